package io.budgetguard.pricing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.Gateway;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Models without a local tokenizer are bounded by UTF-8 bytes (byte-level BPE can never emit more tokens than bytes),
 * with framing per message, Anthropic's tool prompt, images at the model's worst case, and what the body cannot
 * bound (documents, Gemini media, cached content) at the context window. Cache writes cost their own rate.
 */
class ByteBoundEstimateTest {
    static final ObjectMapper JSON = Gateway.objectMapper();
    static final Estimator ESTIMATOR = new Estimator(JSON);
    static PriceTable prices;

    static {
        try {
            prices = PriceTable.load(JSON, null);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Estimate estimate(Estimator.Kind kind, String list, String model, String body) throws Exception {
        return ESTIMATOR.estimate(kind, JSON.readTree(body), prices.lookup(list, model).orElseThrow());
    }

    @Test
    void everyUtf8ByteOfTextCountsAsATokenPlusFraming() throws Exception {
        // "héllo ✓" is 10 UTF-8 bytes (é two, ✓ three); the emoji four.
        long base = estimate(Estimator.Kind.MESSAGES, "anthropic", "claude-haiku-4-5",
                "{\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"\"}]}").promptTokens();
        long text = estimate(Estimator.Kind.MESSAGES, "anthropic", "claude-haiku-4-5",
                "{\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"héllo ✓\uD83D\uDE00\"}]}").promptTokens();
        assertEquals(10 + 4, text - base);
        assertTrue(base >= Estimator.BYTE_BOUND_TOKENS_PER_MESSAGE);
    }

    @Test
    void theBoundIsNeverBelowWhatAByteLevelTokenizerCountsOverACorpus() throws Exception {
        // o200k is a byte-level BPE: its count of any text is at most the bytes of the text, so the byte bound holds.
        com.knuddels.jtokkit.api.Encoding o200k = com.knuddels.jtokkit.Encodings.newLazyEncodingRegistry()
                .getEncoding(com.knuddels.jtokkit.api.EncodingType.O200K_BASE);
        for (String text : List.of("Summarise the quarterly report.", "日本語のテキストです。", "emoji \uD83D\uDE00\uD83D\uDE80 and code: {a: [1,2]}",
                "a".repeat(5000), "\u0000\u0001 control", "Ωμέγα ψ")) {
            long bound = estimate(Estimator.Kind.GENERATE, "google", "gemini-2.5-flash",
                    "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":" + JSON.writeValueAsString(text) + "}]}]}").promptTokens();
            assertTrue(bound >= o200k.countTokensOrdinary(text), text);
            assertTrue(bound >= text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, text);
        }
    }

    @Test
    void anthropicToolsAddTheToolPromptAndDocumentsTakeTheContextWindow() throws Exception {
        String plain = "{\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        String tools = "{\"max_tokens\":10,\"tools\":[{\"name\":\"t\",\"input_schema\":{}}],\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        long a = estimate(Estimator.Kind.MESSAGES, "anthropic", "claude-haiku-4-5", plain).promptTokens();
        long b = estimate(Estimator.Kind.MESSAGES, "anthropic", "claude-haiku-4-5", tools).promptTokens();
        assertTrue(b - a >= Estimator.ANTHROPIC_TOOL_PROMPT_TOKENS, a + " -> " + b);
        String doc = "{\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\",\"source\":{\"type\":\"url\","
                + "\"url\":\"https://example.com/a.pdf\"}}]}]}";
        assertEquals(200_000, estimate(Estimator.Kind.MESSAGES, "anthropic", "claude-haiku-4-5", doc).promptTokens());
        String image = "{\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"url\","
                + "\"url\":\"https://example.com/a.png\"}}]}]}";
        assertTrue(estimate(Estimator.Kind.MESSAGES, "anthropic", "claude-haiku-4-5", image).promptTokens() >= 1600);
    }

    @Test
    void geminiMediaAndCachedContentTakeTheContextWindowAndOutputIsMaxOutputTokensTimesCandidates() throws Exception {
        String media = "{\"contents\":[{\"parts\":[{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"iVBO\"}}]}]}";
        assertEquals(1_048_576, estimate(Estimator.Kind.GENERATE, "google", "gemini-2.5-flash", media).promptTokens());
        assertEquals(1_048_576, estimate(Estimator.Kind.GENERATE, "google", "gemini-2.5-flash",
                "{\"cachedContent\":\"cachedContents/x\",\"contents\":[]}").promptTokens());
        Estimate e = estimate(Estimator.Kind.GENERATE, "google", "gemini-2.5-flash",
                "{\"contents\":[],\"generationConfig\":{\"maxOutputTokens\":300,\"candidateCount\":2}}");
        assertEquals(600, e.maxOutputTokens());
        assertEquals(128_000, estimate(Estimator.Kind.GENERATE, "google", "gemini-2.5-flash", "{\"contents\":[]}").maxOutputTokens(),
                "no limit: the model's output cap");
    }

    @Test
    void cacheWritesCostTheirOwnRateAndKeepTheirRatioInALongContextTier() {
        ModelPrice sonnet = prices.lookup("anthropic", "claude-sonnet-4-5").orElseThrow();
        // $3 input, $3.75 5-minute write, $6 one-hour write, $0.30 read, $15 output; above 200k input: $6 / $22.50.
        assertEquals(1_000 * 3 + 1_000 * 3.75 + 1_000 * 6 + 1_000 * 0.3 + 1_000 * 15,
                sonnet.costMicroUsd(4_000, 1_000, 2_000, 1_000, 1_000), 0.0001);
        long tier = sonnet.costMicroUsd(300_000, 0, 100_000, 0, 0);
        assertEquals(200_000L * 6 + 100_000L * 7.5, tier, 0.0001);
    }

    @Test
    void anthropicsDatedIdsArePricedAsTheirModel() {
        assertEquals(prices.lookup("anthropic", "claude-sonnet-4-5"), prices.lookup("anthropic", "claude-sonnet-4-5-20250929"));
        assertTrue(prices.lookup("anthropic", "gpt-4o").isEmpty(), "a model is looked up only in its provider's list");
    }
}
