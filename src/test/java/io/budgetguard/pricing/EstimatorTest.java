package io.budgetguard.pricing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import io.budgetguard.Gateway;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The estimate must be an upper bound of what OpenAI bills. "Actual" prompt tokens come from OpenAI's own
 * published counts (the cookbook's "How to count tokens with tiktoken": 129 for cl100k models, 124 for gpt-4o
 * on its example conversation) and, for the rest of the corpus, from the formula that cookbook verifies
 * against the API: 3 tokens per message + 1 per name + 3 to prime the reply.
 */
class EstimatorTest {
    static final ObjectMapper JSON = Gateway.objectMapper();
    static PriceTable prices;
    static final Estimator ESTIMATOR = new Estimator(JSON);

    static {
        try {
            prices = PriceTable.load(JSON, null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static final String COOKBOOK = """
            {"model":"%s","messages":[
            {"role":"system","content":"You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
            {"role":"system","name":"example_user","content":"New synergies will help drive top-line growth."},
            {"role":"system","name":"example_assistant","content":"Things working well together will increase revenue."},
            {"role":"system","name":"example_user","content":"Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
            {"role":"system","name":"example_assistant","content":"Let's talk later when we're less busy about how to do better."},
            {"role":"user","content":"This late pivot means we don't have time to boil the ocean for the client deliverable."}]}""";

    static Estimate estimate(Estimator.Kind kind, String body) throws Exception {
        JsonNode b = JSON.readTree(body);
        return ESTIMATOR.estimate(kind, b, prices.lookup(b.get("model").asText()).orElseThrow());
    }

    @Test
    void theCookbookConversationIsOverCountedForBothEncodings() throws Exception {
        assertTrue(estimate(Estimator.Kind.CHAT, COOKBOOK.formatted("gpt-4")).promptTokens() >= 129);
        assertTrue(estimate(Estimator.Kind.CHAT, COOKBOOK.formatted("gpt-3.5-turbo")).promptTokens() >= 129);
        long gpt4o = estimate(Estimator.Kind.CHAT, COOKBOOK.formatted("gpt-4o")).promptTokens();
        assertTrue(gpt4o >= 124 && gpt4o <= 124 + 6 + 16, "tight: one extra token per message plus the fixed margin, was " + gpt4o);
    }

    /** OpenAI's billing formula for chat prompts, counted with the same tokenizer. */
    static long billed(Encoding enc, JsonNode messages) {
        long t = 3;
        for (JsonNode m : messages) {
            t += 3 + enc.countTokensOrdinary(m.get("role").asText()) + enc.countTokensOrdinary(m.path("content").asText(""));
            if (m.has("name")) t += 1 + enc.countTokensOrdinary(m.get("name").asText());
        }
        return t;
    }

    @Test
    void theEstimateBoundsTheBilledPromptOverACorpus() throws Exception {
        List<String> corpus = List.of(
                "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},{\"role\":\"user\",\"content\":\"Explain TCP slow start in two sentences, with one example using a 10 MB download.\"}]}",
                "{\"model\":\"gpt-4.1\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(200) + "\"}]}",
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Übersetze: 'Der Bär trinkt Kaffee.' → 日本語 / العربية / emoji 🐻☕\"}]}",
                "{\"model\":\"o3-mini\",\"messages\":[{\"role\":\"developer\",\"content\":\"Answer in JSON.\"},{\"role\":\"user\",\"content\":\"{\\\"q\\\": [1,2,3], \\\"code\\\": \\\"for (int i = 0; i < n; i++) { sum += a[i]; }\\\"}\"}]}",
                "{\"model\":\"gpt-3.5-turbo\",\"messages\":[{\"role\":\"user\",\"name\":\"alice\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},{\"role\":\"user\",\"name\":\"bob\",\"content\":\"c\"}]}");
        for (String body : corpus) {
            JsonNode b = JSON.readTree(body);
            ModelPrice price = prices.lookup(b.get("model").asText()).orElseThrow();
            Encoding enc = Encodings.newDefaultEncodingRegistry().getEncoding(
                    price.encoding().equals("cl100k_base") ? EncodingType.CL100K_BASE : EncodingType.O200K_BASE);
            long actual = billed(enc, b.get("messages"));
            long est = estimate(Estimator.Kind.CHAT, body).promptTokens();
            assertTrue(est >= actual, body + ": estimate " + est + " < billed " + actual);
            assertTrue(est <= actual + b.get("messages").size() + 16, "over by no more than the stated margin: " + est + " vs " + actual);
        }
    }

    @Test
    void outputIsTheRequestedCapTimesTheNumberOfChoices() throws Exception {
        assertEquals(500, estimate(Estimator.Kind.CHAT, "{\"model\":\"gpt-4o\",\"max_tokens\":250,\"n\":2,\"messages\":[]}").maxOutputTokens());
        assertEquals(300, estimate(Estimator.Kind.CHAT, "{\"model\":\"o3\",\"max_completion_tokens\":300,\"messages\":[]}").maxOutputTokens());
        assertEquals(16_384, estimate(Estimator.Kind.CHAT, "{\"model\":\"gpt-4o\",\"messages\":[]}").maxOutputTokens(),
                "no cap: the model's own output limit");
        assertEquals(16 * 3, estimate(Estimator.Kind.COMPLETION, "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"x\",\"best_of\":3}").maxOutputTokens(),
                "legacy completions default to 16 tokens");
        assertEquals(0, estimate(Estimator.Kind.EMBEDDING, "{\"model\":\"text-embedding-3-small\",\"input\":[\"a\",\"b\"]}").maxOutputTokens());
        assertEquals(64, estimate(Estimator.Kind.RESPONSE, "{\"model\":\"gpt-4o\",\"input\":\"hi\",\"max_output_tokens\":64}").maxOutputTokens());
    }

    @Test
    void imagesCountAtTheModelsMostExpensiveImage() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is this?\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64," + "A".repeat(5000) + "\"}}]}]}";
        long tokens = estimate(Estimator.Kind.CHAT, body).promptTokens();
        assertTrue(tokens >= 48_169 && tokens < 48_169 + 100, "image at gpt-4o-mini's worst case, base64 not tokenised: " + tokens);
    }

    @Test
    void toolsAreCountedThroughTheirJson() throws Exception {
        String tools = ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Get the weather for a city\","
                + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}]";
        String base = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]";
        long without = estimate(Estimator.Kind.CHAT, base + "}").promptTokens();
        long with = estimate(Estimator.Kind.CHAT, base + tools + "}").promptTokens();
        assertTrue(with - without >= 40, "tool definitions add their JSON tokens: " + (with - without));
    }

    @Test
    void inputTheGatewayCannotSeeCountsAsAFullContextWindow() throws Exception {
        long tokens = estimate(Estimator.Kind.RESPONSE, "{\"model\":\"gpt-4o\",\"input\":\"go on\",\"previous_response_id\":\"resp_1\"}").promptTokens();
        assertTrue(tokens >= 128_000, "previous_response_id brings history billed as input: " + tokens);
    }

    @Test
    void embeddingsCountEveryInput() throws Exception {
        long one = estimate(Estimator.Kind.EMBEDDING, "{\"model\":\"text-embedding-3-small\",\"input\":\"hello world\"}").promptTokens();
        long three = estimate(Estimator.Kind.EMBEDDING, "{\"model\":\"text-embedding-3-small\",\"input\":[\"hello world\",\"hello world\",[1,2,3]]}").promptTokens();
        assertEquals(2, one);
        assertEquals(2 + 2 + 3, three);
    }
}
