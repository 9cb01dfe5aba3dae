package io.budgetguard.budget;

import java.util.Map;

class EmbeddedScopedBudgetsTest extends ScopedBudgetsContract {
    @Override
    Map<String, String> env() {
        return Map.of();
    }
}
