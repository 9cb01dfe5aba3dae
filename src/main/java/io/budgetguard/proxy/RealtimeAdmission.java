package io.budgetguard.proxy;

import io.budgetguard.auth.Caller;
import io.budgetguard.core.Reservation;
import io.budgetguard.core.UsageEvent;
import io.budgetguard.core.WindowRef;
import io.budgetguard.pricing.Estimate;
import io.budgetguard.pricing.ModelPrice;
import io.budgetguard.tenant.Tenant;
import java.time.Clock;
import java.util.List;

/**
 * A realtime session's standing with its budget: who it is (authenticated, its model routed, priced and allowed,
 * its policy passed when it opened), the worst case of one of its responses, and each response's reservation,
 * admitted in one atomic step over every window and limit like any request and settled once with its own ledger row.
 */
final class RealtimeAdmission {
    static final String ENDPOINT = "/v1/realtime";

    private final ProxyHandler proxy;
    private final Settlement settlement;
    private final Clock clock;
    private final String sessionId;
    private final Tenant tenant;
    private final Caller caller;
    private final ModelRouter.Target target;
    private final ModelPrice price;
    private final Estimate perResponse;
    private final String endUser;
    private final String tags;
    private final long sessionMaxMs;

    RealtimeAdmission(ProxyHandler proxy, Settlement settlement, Clock clock, String sessionId, Tenant tenant, Caller caller,
                      ModelRouter.Target target, ModelPrice price, Estimate perResponse, String endUser, String tags, long sessionMaxMs) {
        this.proxy = proxy;
        this.settlement = settlement;
        this.clock = clock;
        this.sessionId = sessionId;
        this.tenant = tenant;
        this.caller = caller;
        this.target = target;
        this.price = price;
        this.perResponse = perResponse;
        this.endUser = endUser;
        this.tags = tags;
        this.sessionMaxMs = sessionMaxMs;
    }

    /** The worst case of one response: the model's whole context window in and its output cap out. */
    static Estimate perResponse(ModelPrice price) {
        long in = price.contextWindowTokens(), out = price.maxOutputTokens();
        return new Estimate(in, out, price.costMicroUsd(in, 0, out));
    }

    String tenantId() {
        return tenant.id();
    }

    /** Reserves the worst case of the session's {@code n}th response; a refusal is the 402 or 429 any request gets. */
    Reservation admitNext(int n) {
        long now = clock.millis();
        List<WindowRef> windows = tenant.windowsFor(caller.keyId(), target.upstreamModel(), endUser, now);
        Reservation proposed = new Reservation(sessionId + "-" + n, tenant.id(), caller.keyId(), ENDPOINT, target.provider().name(),
                target.upstreamModel(), perResponse.costMicroUsd(), now, now + sessionMaxMs, windows, endUser, tags,
                Math.addExact(perResponse.promptTokens(), perResponse.maxOutputTokens()));
        return proxy.journaled(proposed, proxy.tryAdmit(proposed, tenant, caller), tenant, caller, perResponse, outcome -> { });
    }

    /**
     * Settles one response's reservation: at its usage, else (no usage reported) at its worst case when it may have
     * generated, else at nothing.
     */
    void settle(Reservation r, Usage usage, boolean maybeBilled) {
        settlement.settle(r, new Outcome(UsageEvent.Status.OK, 200, usage, maybeBilled, null), price);
    }
}
