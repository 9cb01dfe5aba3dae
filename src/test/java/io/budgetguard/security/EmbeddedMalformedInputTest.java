package io.budgetguard.security;

import java.util.Map;

/** The malformed-input contract on the embedded store. */
class EmbeddedMalformedInputTest extends MalformedInputContract {
    @Override
    Map<String, String> storeEnv() {
        return Map.of();
    }
}
