package io.budgetguard;

import io.budgetguard.config.Settings;

/** What a process runs: the HTTP API, the background duties, or both. */
enum Role {
    /** {@code all}: the gateway and every worker duty in one process. */
    ALL,
    /**
     * {@code serve}: the gateway. With shared counters (Redis) every background duty (drain, expiry, alerts,
     * partitions) is left to {@code worker} processes, so background cost does not grow with the number of
     * gateways. On the embedded store there is no separate worker, so every duty runs here.
     */
    SERVE,
    /** {@code worker}: the background duties over the shared stores, no HTTP (needs REDIS_URL). */
    WORKER;

    boolean serves() {
        return this != WORKER;
    }

    boolean runsDuties(Settings s) {
        return this != SERVE || s.redisUrl() == null;
    }
}
