package io.budgetguard.ops;

import java.util.Map;

/** The dashboard on the embedded stores (H2 ledger, in-process counters). */
class EmbeddedDashboardTest extends DashboardContract {
    @Override
    String variant() {
        return "embedded";
    }

    @Override
    Map<String, String> env() {
        return Map.of();
    }
}
