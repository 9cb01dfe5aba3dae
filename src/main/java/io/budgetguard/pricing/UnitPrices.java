package io.budgetguard.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;

/** {@code unit-prices.json}: what is billed per image or per character, beside the generated token table. */
final class UnitPrices {
    private UnitPrices() {}

    static JsonNode read(ObjectMapper json) throws IOException {
        try (InputStream in = UnitPrices.class.getResourceAsStream("/unit-prices.json")) {
            if (in == null) throw new IllegalStateException("unit-prices.json is missing from the jar");
            return json.readTree(in);
        }
    }
}
