package io.budgetguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import io.budgetguard.testing.SdkFixture;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK, unmodified, with baseUrl pointed at the gateway. */
class JavaSdkCompatibilityTest {
    static SdkFixture f;
    static OpenAIClient ok;

    @BeforeAll
    static void start() throws Exception {
        f = new SdkFixture();
        ok = client(f.env.get("KEY_OK"), 0);
    }

    @AfterAll
    static void stop() throws Exception {
        f.assertLedgerMatchesUpstream();
        f.close();
    }

    static OpenAIClient client(String key, int retries) {
        return OpenAIOkHttpClient.builder().baseUrl(f.env.get("BASE_URL")).apiKey(key).maxRetries(retries)
                .timeout(Duration.ofSeconds(30)).build();
    }

    static ChatCompletionCreateParams.Builder chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("hi").maxTokens(50);
    }

    @Test
    void chatCompletions() {
        ChatCompletion c = ok.chat().completions().create(chat("gpt-4o-mini").build());
        assertEquals("Hello from the fake upstream.", c.choices().get(0).message().content().orElseThrow());
        assertEquals(12, c.usage().orElseThrow().promptTokens());
    }

    @Test
    void streamingWithoutTheUsageChunk() {
        try (StreamResponse<ChatCompletionChunk> s = ok.chat().completions().createStreaming(chat("gpt-4o-mini").build())) {
            List<ChatCompletionChunk> chunks = s.stream().toList();
            assertTrue(chunks.stream().allMatch(c -> !c.choices().isEmpty()), "no usage-only chunk");
            String text = chunks.stream().map(c -> c.choices().get(0).delta().content().orElse("")).reduce("", String::concat);
            assertEquals("Hello from the fake stream.", text);
        }
    }

    @Test
    void streamingWithTheUsageChunk() {
        ChatCompletionCreateParams p = chat("gpt-4o-mini").streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        try (StreamResponse<ChatCompletionChunk> s = ok.chat().completions().createStreaming(p)) {
            List<ChatCompletionChunk> chunks = s.stream().toList();
            ChatCompletionChunk last = chunks.get(chunks.size() - 1);
            assertTrue(last.choices().isEmpty());
            assertEquals(5, last.usage().orElseThrow().completionTokens());
        }
    }

    @Test
    void completionsEmbeddingsAndResponses() {
        assertEquals("Hello from the fake upstream.", ok.completions().create(CompletionCreateParams.builder()
                .model("gpt-3.5-turbo-instruct").prompt("hi").maxTokens(20).build()).choices().get(0).text());
        List<Float> v = ok.embeddings().create(EmbeddingCreateParams.builder().model("text-embedding-3-small").input("hello").build())
                .data().get(0).embedding();
        assertEquals(List.of(0.25f, -0.5f, 0.75f), v);
        var r = ok.responses().create(ResponseCreateParams.builder().model("gpt-4o").input("hi").maxOutputTokens(50).build());
        assertEquals(12, r.usage().orElseThrow().inputTokens());
        try (StreamResponse<ResponseStreamEvent> s = ok.responses().createStreaming(ResponseCreateParams.builder()
                .model("gpt-4o").input("hi").maxOutputTokens(50).build())) {
            List<ResponseStreamEvent> events = s.stream().toList();
            assertTrue(events.get(events.size() - 1).isCompleted());
        }
    }

    static void assertCode(OpenAIServiceException e, int status, String code) {
        assertEquals(status, e.statusCode());
        assertEquals(code, e.code().orElse(null));
    }

    @Test
    void refusalsAreTheSdksOwnErrorClasses() {
        assertCode(assertThrows(UnauthorizedException.class, () -> client("bg_wrong", 0).chat().completions()
                .create(chat("gpt-4o-mini").build())), 401, "invalid_api_key");
        OpenAIServiceException broke = assertThrows(OpenAIServiceException.class, () -> client(f.env.get("KEY_BROKE"), 0)
                .chat().completions().create(chat("gpt-4o-mini").build()));
        assertCode(broke, 402, "budget_exceeded");
        assertCode(assertThrows(PermissionDeniedException.class, () -> ok.chat().completions().create(chat("o1").build())),
                403, "policy_denied");
        assertCode(assertThrows(BadRequestException.class, () -> ok.chat().completions().create(chat("no-such-model").build())),
                400, "invalid_request");
    }

    @Test
    void aRateLimitIsRetriedAfterRetryAfter() throws Exception {
        OpenAIClient limited = client(f.env.get("KEY_LIMITED"), 0);
        limited.chat().completions().create(chat("gpt-4o-mini").build());
        limited.chat().completions().create(chat("gpt-4o-mini").build());
        RateLimitException e = assertThrows(RateLimitException.class, () -> limited.chat().completions().create(chat("gpt-4o-mini").build()));
        assertCode(e, 429, "rate_limit_exceeded");
        f.clock.advance(58_500);
        RateLimitException again = assertThrows(RateLimitException.class, () -> limited.chat().completions().create(chat("gpt-4o-mini").build()));
        assertTrue(Long.parseLong(again.headers().values("retry-after-ms").get(0)) > 0, "the SDK is told how long to wait");
        long refusedBefore = awaitRateLimitedCount(2);
        ChatCompletion c = client(f.env.get("KEY_LIMITED"), 2).chat().completions().create(chat("gpt-4o-mini").build());
        assertTrue(c.choices().get(0).message().content().isPresent());
        // Waiting as told, the SDK's first retry lands after the window frees: one refusal, then the answer.
        assertEquals(refusedBefore + 1, awaitRateLimitedCount(refusedBefore + 1), "the SDK retried once, after Retry-After");
    }

    /**
     * The refusal count once it has reached {@code atLeast} (bounded wait): the gateway counts a request after its
     * answer is sent, so a client can see the answer before the counter moves.
     */
    private static long awaitRateLimitedCount(long atLeast) throws Exception {
        long n = rateLimitedCount();
        for (int i = 0; i < 500 && n < atLeast; i++) {
            Thread.sleep(10);
            n = rateLimitedCount();
        }
        return n;
    }

    /** Requests the gateway refused for their rate limit, from its own /metrics. */
    private static long rateLimitedCount() throws Exception {
        String metrics = f.gateway.send(f.gateway.request("/metrics").GET()).body();
        return metrics.lines().filter(l -> l.startsWith("budgetguard_requests_total{") && l.contains("outcome=\"rate_limit_exceeded\""))
                .mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
