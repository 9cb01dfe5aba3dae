package io.budgetguard.deferred;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.config.Provider;
import io.budgetguard.pricing.ModelPrice;
import io.budgetguard.pricing.PriceTable;
import io.budgetguard.tenant.TenantObjects;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Background responses ({@code background: true}): held at their reservation from creation until they end, then
 * settled once at their usage, by whichever sees the end first: the tenant's own retrieve through the gateway
 * ({@link #settleFrom}) or this duty's poll of every held response. One that ends without usage (failed before it
 * ran) settles at 0 only when the provider says it failed; cancelled or incomplete ones are billed what they used.
 */
public final class BackgroundResponses {
    static final Set<String> FINAL = Set.of("completed", "failed", "cancelled", "incomplete");

    private final TenantObjects objects;
    private final DeferredSettlement settlement;
    private final Map<String, Provider> providers;
    private final PriceTable prices;
    private final ObjectMapper json;
    private final ProviderHttp http = new ProviderHttp();
    private final int maxObjectBytes;

    public BackgroundResponses(TenantObjects objects, DeferredSettlement settlement, List<Provider> providers, PriceTable prices,
                               ObjectMapper json, int maxObjectBytes) {
        this.objects = objects;
        this.settlement = settlement;
        this.providers = DeferredSettlement.byName(providers);
        this.prices = prices;
        this.json = json;
        this.maxObjectBytes = maxObjectBytes;
    }

    public static boolean ended(String status) {
        return status != null && FINAL.contains(status);
    }

    /** One pass over the held responses; returns how many this pass settled. */
    public int runOnce() {
        return settlement.pass(TenantObjects.RESPONSE, providers, "background_poll_failed", (h, held, p) -> {
            ProviderHttp.Got got = http.get(p, "/responses/" + h.objectId(), maxObjectBytes);
            if (got.status() != 200) throw new IOException("the provider answered " + got.status() + " for the response");
            return settleFrom(h.objectId(), held, p.priceList(), json.readTree(got.body()));
        });
    }

    /** Settles a held response from the response object as the provider describes it, if it has ended; true when settled here. */
    public boolean settleFrom(String responseId, HeldReservation held, String priceList, JsonNode response) {
        if (!ended(response.path("status").asText(null))) return false;
        JsonNode u = response.path("usage");
        long prompt = Math.max(0, u.path("input_tokens").asLong(0));
        long cached = Math.min(prompt, Math.max(0, u.path("input_tokens_details").path("cached_tokens").asLong(0)));
        long output = Math.max(0, u.path("output_tokens").asLong(0));
        long cost;
        if (u.isObject()) {
            ModelPrice price = prices.lookup(priceList, held.pricedAs()).orElse(null);
            cost = price == null ? held.reservation().estimateMicroUsd() : price.costMicroUsd(prompt, cached, output);
        } else {
            // No usage: nothing ran if it failed; otherwise what it used is unknown, so the worst case stands.
            cost = "failed".equals(response.path("status").asText()) ? 0 : held.reservation().estimateMicroUsd();
        }
        return settlement.settle(TenantObjects.RESPONSE, responseId, held, new DeferredSettlement.Usage(prompt, cached, output, cost), null);
    }

    /** The held reservation of a response, if it is still held. */
    public java.util.Optional<HeldReservation> held(String tenantId, String responseId) {
        return objects.heldOne(TenantObjects.RESPONSE, responseId).map(s -> HeldReservation.decode(tenantId, s));
    }
}
