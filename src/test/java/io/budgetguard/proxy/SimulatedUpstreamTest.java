package io.budgetguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.testing.TestGateway;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** UPSTREAM=simulated: the gateway answers like OpenAI without one, and budgets bite as they would. */
class SimulatedUpstreamTest {
    static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";

    @Test
    void everyEndpointAnswersInOpenAisShapeWithUsageAndABudgetEndsIn402() throws Exception {
        try (TestGateway gw = TestGateway.start(null, Map.of("UPSTREAM", "simulated"), Clock.systemUTC())) {
            gw.admin("POST", "/admin/tenant", "{\"id\":\"trial\",\"budgets\":[{\"period\":\"daily\",\"limit_usd\":0.0001}]}");
            String key = gw.newKey("trial");

            HttpResponse<String> chat = gw.postJson("/v1/chat/completions", key, CHAT);
            assertEquals(200, chat.statusCode(), chat.body());
            JsonNode c = TestGateway.json(chat.body());
            assertTrue(c.at("/choices/0/message/content").asText().contains("simulated"), chat.body());
            assertTrue(c.at("/usage/completion_tokens").asInt() > 0 && c.at("/usage/completion_tokens").asInt() <= 16);

            HttpResponse<String> stream = gw.postJson("/v1/chat/completions", key,
                    CHAT.replace("{\"model\"", "{\"stream\":true,\"stream_options\":{\"include_usage\":true},\"model\""));
            assertEquals(200, stream.statusCode());
            assertTrue(stream.body().contains("\"usage\"") && stream.body().trim().endsWith("data: [DONE]"), stream.body());

            HttpResponse<String> emb = gw.postJson("/v1/embeddings", key, "{\"model\":\"text-embedding-3-small\",\"input\":\"hi\"}");
            assertEquals(200, emb.statusCode(), emb.body());
            HttpResponse<String> resp = gw.postJson("/v1/responses", key, "{\"model\":\"gpt-4o-mini\",\"input\":\"hi\",\"max_output_tokens\":16}");
            assertEquals(200, resp.statusCode(), resp.body());
            assertTrue(TestGateway.json(resp.body()).at("/usage/output_tokens").asInt() > 0);

            int status = 200;
            for (int i = 0; i < 200 && status == 200; i++) status = gw.postJson("/v1/chat/completions", key, CHAT).statusCode();
            assertEquals(402, status, "the daily budget runs out on simulated answers as on real ones");
            JsonNode tenant = TestGateway.json(gw.admin("GET", "/admin/tenant/trial", null).body());
            assertTrue(tenant.at("/budgets/0/spent_usd").decimalValue().signum() > 0, tenant.toString());
        }
    }
}
