package io.budgetguard.budget;

import java.util.Map;

/** The mid-flight window contract on the embedded store. */
class EmbeddedWindowAddedMidFlightTest extends WindowAddedMidFlightContract {
    @Override
    Map<String, String> storeEnv() {
        return Map.of();
    }
}
