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

    /** USD per 1M tokens (input, output) a name must be priced at, from OpenAI's list as the dataset carries it. */
    static long[] usd(String input, String output) {
        return new long[] {io.budgetguard.core.Money.microUsdFromUsd(new java.math.BigDecimal(input)),
                io.budgetguard.core.Money.microUsdFromUsd(new java.math.BigDecimal(output))};
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0} is priced as {1}/{2} per 1M tokens")
    @org.junit.jupiter.params.provider.CsvSource({
            // Variants that the old longest-prefix rule priced as their cheaper base model:
            "gpt-5-pro, 15, 120", "o3-pro, 20, 80", "o3-deep-research, 10, 40", "gpt-4-32k, 60, 120",
            "gpt-4o-realtime-preview, 40, 80",
            // Bases, aliases and dated snapshots:
            "gpt-5, 1.25, 10", "gpt-5-2025-08-07, 1.25, 10", "gpt-4o, 2.5, 10", "gpt-4o-2024-08-06, 2.5, 10",
            "gpt-4o-2024-05-13, 5, 15", "gpt-4o-mini-2024-07-18, 0.15, 0.6", "gpt-4-0613, 30, 60", "o4-mini, 1.1, 4.4",
            // Fine-tuned models, at their base's fine-tuned rates:
            "ft:gpt-4o-mini-2024-07-18:org::abc, 0.3, 1.2", "ft:gpt-4o-mini-2024-07-18:my-org:custom:id123, 0.3, 1.2",
            "ft:gpt-3.5-turbo-0125:org::x, 3, 6"})
    void everyNameResolvesToItsOwnListPriceNeverACheaperOnes(String model, String input, String output) throws Exception {
        ModelPrice p = shipped().lookup(model).orElseThrow(() -> new AssertionError(model + " is not priced"));
        long[] want = usd(input, output);
        assertEquals(want[0], p.inputMicroUsdPerMTok(), model + " input");
        assertEquals(want[1], p.outputMicroUsdPerMTok(), model + " output");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {
            // A name that merely starts with a priced one is unknown: it may cost many times more.
            "gpt-5-ultra", "gpt-4o-mini-", "gpt-4o-mini-\u0000", "gpt-4o-mini-2024-07-18-extra", "gpt-4oo", "gpt-4o-2024-13",
            // Audio models the dataset lists at text rates only would under-bill their audio tokens: refused.
            "gpt-4o-audio-preview", "gpt-4o-audio-preview-2024-12-17", "gpt-4o-mini-tts",
            // Fine-tunes of a base without fine-tuned rates, and malformed fine-tunes:
            "ft:gpt-5:org::x", "ft::org::x", "ft:gpt-4o-mini-mystery:org::x", ""})
    void aNameThatIsNotListedIsUnknown(String model) throws Exception {
        assertTrue(shipped().lookup(model).isEmpty(), model + " must not be priced");
    }

    @Test
    void aLongContextTierPricesTheWholeRequestAboveItsThreshold() throws Exception {
        ModelPrice p = shipped().lookup("gpt-5.4").orElseThrow();
        assertEquals(1, p.tiers().size());
        long above = p.tiers().get(0).aboveInputTokens();
        assertEquals(272_000, above);
        // At the threshold: the base rates ($2.50 in, $15 out); one token more: the tier's ($5, $22.50) on every token.
        assertEquals(Math.ceilDiv(above * 2_500_000 + 1_000 * 15_000_000L, 1_000_000), p.costMicroUsd(above, 0, 1_000));
        assertEquals(Math.ceilDiv((above + 1) * 5_000_000 + 1_000 * 22_500_000L, 1_000_000), p.costMicroUsd(above + 1, 0, 1_000));
        assertTrue(p.costMicroUsd(above - 1, 0, 0) < p.costMicroUsd(above + 1, 0, 0) / 2 + 3);
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
        assertEquals(1_000_000, t.lookup("gpt-4o-2099-01-01").orElseThrow().inputMicroUsdPerMTok(), "a new snapshot takes the override");
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
