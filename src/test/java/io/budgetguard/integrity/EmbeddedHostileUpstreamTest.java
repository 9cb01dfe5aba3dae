package io.budgetguard.integrity;

import java.util.Map;

/** The hostile-upstream contract on the embedded store (in-process counters, H2 ledger). */
class EmbeddedHostileUpstreamTest extends HostileUpstreamContract {
    @Override
    Map<String, String> storeEnv() {
        return Map.of();
    }
}
