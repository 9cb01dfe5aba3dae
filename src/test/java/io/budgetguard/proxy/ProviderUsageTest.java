package io.budgetguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.budgetguard.Gateway;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Usage in every provider's wire format, read into one shape: the whole prompt, its cached and cache-written parts. */
class ProviderUsageTest {
    static Usage scan(String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        try (UsageScanner s = new UsageScanner(Gateway.objectMapper().getFactory())) {
            for (int i = 0; i < b.length; i += 7) s.feed(b, i, Math.min(7, b.length - i));
            return s.result();
        }
    }

    @Test
    void anthropicsInputLeavesOutBothCacheCountsSoThePromptIsTheirSum() {
        Usage u = scan("{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"usage\"}],\"usage\":{\"input_tokens\":25,"
                + "\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":40,\"output_tokens\":15,"
                + "\"cache_creation\":{\"ephemeral_5m_input_tokens\":70,\"ephemeral_1h_input_tokens\":30}}}");
        assertEquals(new Usage(165, 40, 100, 30, 15), u);
    }

    @Test
    void geminisUsageMetadataCountsThoughtsAsOutputAndTheCachedPartWithinThePrompt() {
        Usage u = scan("{\"candidates\":[],\"usageMetadata\":{\"promptTokenCount\":30,\"cachedContentTokenCount\":10,"
                + "\"candidatesTokenCount\":12,\"thoughtsTokenCount\":8,\"toolUsePromptTokenCount\":4,\"totalTokenCount\":54}}");
        assertEquals(new Usage(34, 10, 20), u);
    }

    @Test
    void geminisStreamAsOneJsonArrayTakesTheLastCumulativeCounts() {
        Usage u = scan("[{\"usageMetadata\":{\"promptTokenCount\":30,\"candidatesTokenCount\":1}},"
                + "{\"usageMetadata\":{\"promptTokenCount\":30,\"candidatesTokenCount\":12}}]");
        assertEquals(new Usage(30, 0, 12), u);
    }

    @Test
    void anthropicsStreamMergesMessageStartAndMessageDelta() {
        Usage.Builder b = new Usage.Builder();
        b.accept(TestJson.tree("{\"input_tokens\":25,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":40,\"output_tokens\":1}"));
        b.accept(TestJson.tree("{\"output_tokens\":15}"));
        assertEquals(new Usage(65, 40, 0, 0, 15), b.build());
    }

    @Test
    void theUsageDetectorSeesGeminisUsageMetadataButNotAFieldThatMerelyStartsLikeIt() {
        byte[] yes = "data: {\"usageMetadata\": {\"promptTokenCount\":1}}".getBytes(StandardCharsets.UTF_8);
        byte[] no = "data: {\"usageMetadataX\": {\"promptTokenCount\":1}, \"usages\": {}}".getBytes(StandardCharsets.UTF_8);
        assertEquals(true, SseEvents.hasUsageObject(yes, 0, yes.length));
        assertEquals(false, SseEvents.hasUsageObject(no, 0, no.length));
    }

    static final class TestJson {
        static com.fasterxml.jackson.databind.JsonNode tree(String s) {
            try {
                return Gateway.objectMapper().readTree(s);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
