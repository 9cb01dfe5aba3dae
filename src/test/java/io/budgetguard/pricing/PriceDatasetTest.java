package io.budgetguard.pricing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shipped price table is exactly what prices/regenerate.py makes of the pinned genai-prices release: every
 * model's price equals the dataset's (the script downloads the release from PyPI and compares the whole file).
 */
class PriceDatasetTest {
    @Test
    void theShippedTableIsWhatTheDatasetGives() throws Exception {
        Process p = new ProcessBuilder("python3", "prices/regenerate.py", "--check").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "regenerate.py did not finish: " + out);
        assertEquals(0, p.exitValue(), "src/main/resources/prices.json differs from the dataset; run prices/regenerate.py: " + out);
    }
}
