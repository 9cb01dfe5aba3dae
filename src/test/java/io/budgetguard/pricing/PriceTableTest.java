package io.budgetguard.pricing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.Gateway;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PriceTableTest {
    static PriceTable shipped() throws Exception {
        return PriceTable.load(Gateway.objectMapper(), null);
    }

    @Test
    void datedSnapshotsMatchTheirLongestListedPrefix() throws Exception {
        PriceTable t = shipped();
        assertEquals("gpt-4o", t.lookup("gpt-4o-2024-08-06").orElseThrow().model());
        assertEquals("gpt-4o-mini", t.lookup("gpt-4o-mini-2024-07-18").orElseThrow().model());
        assertEquals("gpt-4o-2024-05-13", t.lookup("gpt-4o-2024-05-13").orElseThrow().model(), "exact entries win");
        assertEquals("gpt-4", t.lookup("gpt-4-0613").orElseThrow().model());
    }

    @Test
    void aNameIsNotAPrefixMatchWithoutADash() throws Exception {
        assertTrue(shipped().lookup("gpt-4.5-preview").isEmpty());
        assertTrue(shipped().lookup("gpt-4oo").isEmpty());
        assertTrue(shipped().lookup("").isEmpty());
    }

    @Test
    void costsAreRoundedUpToTheMicroDollar() throws Exception {
        ModelPrice mini = shipped().lookup("gpt-4o-mini").orElseThrow();
        assertEquals(1, mini.costMicroUsd(1, 0, 0), "$0.15 per 1M tokens: one token still costs one micro-dollar");
        assertEquals(150, mini.costMicroUsd(1_000, 0, 0));
        assertEquals(435, mini.costMicroUsd(1000, 200, 500));
        assertEquals(0, mini.costMicroUsd(0, 0, 0));
    }

    @Test
    void anOverrideFileReplacesAndAddsModels(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("prices.json");
        Files.writeString(f, "{\"models\":{\"gpt-4o\":{\"input\":1,\"output\":2},\"my-finetune\":{\"input\":3,\"output\":4,\"max_output_tokens\":100}}}");
        PriceTable t = PriceTable.load(Gateway.objectMapper(), f);
        assertEquals(1_000_000, t.lookup("gpt-4o-2024-08-06").orElseThrow().inputMicroUsdPerMTok());
        assertEquals(1_000_000, t.lookup("gpt-4o").orElseThrow().cachedInputMicroUsdPerMTok(), "cached defaults to input");
        assertEquals(100, t.lookup("my-finetune").orElseThrow().maxOutputTokens());
    }

    @Test
    void aBadOverrideNamesTheModelAndField(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("prices.json");
        Files.writeString(f, "{\"models\":{\"bad\":{\"input\":-1,\"output\":2}}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PriceTable.load(Gateway.objectMapper(), f));
        assertTrue(e.getMessage().contains("bad") && e.getMessage().contains("input"), e.getMessage());
    }
}
