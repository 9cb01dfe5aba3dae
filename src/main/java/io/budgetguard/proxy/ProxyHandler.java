package io.budgetguard.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.auth.Caller;
import io.budgetguard.auth.TenantAuth;
import io.budgetguard.config.Settings;
import io.budgetguard.http.ApiException;
import io.budgetguard.http.HttpCall;
import io.budgetguard.http.Route;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.ledger.UsageEvent;
import io.budgetguard.log.JsonLog;
import io.budgetguard.pricing.ModelPrice;
import io.budgetguard.pricing.PriceTable;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The data plane, top to bottom: request → auth → validate and price → forward → relay → ledger.
 * Invariant: every request that reaches the upstream gets exactly one ledger row, whatever happens after.
 */
public final class ProxyHandler {
    private final Settings settings;
    private final ObjectMapper json;
    private final Clock clock;
    private final TenantAuth auth;
    private final PriceTable prices;
    private final Ledger ledger;
    private final Upstream upstream;
    private final ResponseRelay relay;

    public ProxyHandler(Settings settings, ObjectMapper json, Clock clock, TenantAuth auth, PriceTable prices, Ledger ledger) {
        this.settings = settings;
        this.json = json;
        this.clock = clock;
        this.auth = auth;
        this.prices = prices;
        this.ledger = ledger;
        this.upstream = new Upstream(settings);
        this.relay = new ResponseRelay(json, settings.upstreamIdleTimeoutMs(), settings.maxSseEventBytes());
    }

    public List<Route> routes() {
        List<Route> routes = new ArrayList<>();
        for (Endpoint e : Endpoint.values()) {
            routes.add(new Route(e.method(), e.path(), (call, params) -> handle(call, e, params)));
        }
        return routes;
    }

    private void handle(HttpCall call, Endpoint endpoint, Map<String, String> params) throws IOException {
        Instant startedAt = clock.instant();
        Caller caller = auth.authenticate(call.requestHeaders());
        call.identify(caller.tenantId());
        ProxyRequest req = read(call, endpoint, params);
        ModelPrice price = req.json() == null ? null : price(req.model());
        Upstream.Response up;
        try {
            up = upstream.send(endpoint.method(), upstreamPath(endpoint, params), req.upstreamBody(),
                    call.header("Accept"), call.header("OpenAI-Beta"), call.requestId());
        } catch (ApiException e) {
            record(call, caller, req, price, startedAt, UsageEvent.Status.UPSTREAM_ERROR, null, null);
            throw e;
        } catch (InterruptedException e) {
            record(call, caller, req, price, startedAt, UsageEvent.Status.CLIENT_ABORT, null, null);
            Thread.currentThread().interrupt();
            return;
        }
        ResponseRelay.Result r;
        try {
            r = relay.relay(call, up, req);
        } catch (InterruptedException e) {
            up.body().cancel();
            r = new ResponseRelay.Result(ResponseRelay.End.CLIENT_GONE, null);
            Thread.currentThread().interrupt();
        }
        UsageEvent.Status status = switch (r.end()) {
            case CLIENT_GONE -> UsageEvent.Status.CLIENT_ABORT;
            case UPSTREAM_FAILED -> UsageEvent.Status.UPSTREAM_ERROR;
            case COMPLETE -> up.status() < 400 ? UsageEvent.Status.OK : UsageEvent.Status.UPSTREAM_ERROR;
        };
        call.outcome(status.sql());
        record(call, caller, req, price, startedAt, status, up.status(), r.usage());
    }

    private ProxyRequest read(HttpCall call, Endpoint endpoint, Map<String, String> params) throws IOException {
        if (!endpoint.hasBody()) return ProxyRequest.withoutBody(endpoint, params.get("model"));
        if (!call.hasJsonBody()) {
            throw ApiException.invalidRequest("Content-Type must be application/json.");
        }
        return ProxyRequest.parse(endpoint, call.readBody(settings.maxBodyBytes()), json);
    }

    private ModelPrice price(String model) {
        return prices.lookup(model).orElseThrow(() -> ApiException.invalidRequest(
                "The model '" + model + "' has no price in BudgetGuard's price table, so its cost cannot be "
                        + "capped. Add it with PRICES_PATH.", "model"));
    }

    private static String upstreamPath(Endpoint endpoint, Map<String, String> params) {
        if (endpoint != Endpoint.MODEL) return endpoint.path();
        return "/v1/models/" + java.net.URLEncoder.encode(params.get("model"), java.nio.charset.StandardCharsets.UTF_8)
                .replace("+", "%20");
    }

    private void record(HttpCall call, Caller caller, ProxyRequest req, ModelPrice price, Instant startedAt,
                        UsageEvent.Status status, Integer upstreamStatus, Usage usage) {
        Usage u = usage == null ? Usage.NONE : usage;
        long cost = price == null ? 0 : price.costMicroUsd(u.promptTokens(), u.cachedTokens(), u.completionTokens());
        Instant finishedAt = clock.instant();
        UsageEvent event = new UsageEvent(call.requestId(), caller.tenantId(), caller.keyId(),
                req.endpoint().ledgerName(), req.json() == null ? null : req.model(), status, u.promptTokens(),
                u.cachedTokens(), u.completionTokens(), 0, cost, upstreamStatus, startedAt,
                finishedAt.isBefore(startedAt) ? startedAt : finishedAt);
        try {
            ledger.append(event);
        } catch (RuntimeException e) {
            // The upstream call happened: keep every field an operator needs to re-enter the row by hand.
            JsonLog.error("ledger_append_failed", "request_id", event.requestId(), "tenant", event.tenantId(),
                    "api_key_id", event.apiKeyId(), "endpoint", event.endpoint(), "model", event.model(),
                    "status", event.status().sql(), "prompt_tokens", event.promptTokens(),
                    "cached_tokens", event.cachedTokens(), "completion_tokens", event.completionTokens(),
                    "cost_micro_usd", event.costMicroUsd(), "error", e.toString());
            throw e;
        }
    }
}
