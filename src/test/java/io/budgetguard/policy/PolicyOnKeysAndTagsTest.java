package io.budgetguard.policy;

import static io.budgetguard.testing.Envelope.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.Opa;
import io.budgetguard.testing.TestGateway;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A custom policy decides on the request's key, end user, tags and each applying budget window's scope. */
class PolicyOnKeysAndTagsTest {
    static final String REGO = """
            package budgetguard

            import rego.v1

            decision := {"allow": count(deny) == 0, "reasons": sort([r | some r in deny])}

            deny contains "the ci key may not call without a team tag" if {
            	input.key.name == "ci"
            	not input.request.tags.team
            }

            deny contains msg if {
            	input.request.tags.team == "frozen"
            	msg := sprintf("team frozen is frozen (user %s)", [input.request.end_user])
            }

            deny contains "a key budget must apply" if {
            	input.key.name == "ci"
            	count([b | some b in input.tenant.budgets; b.scope == "key"]) == 0
            }
            """;

    @Test
    void thePolicySeesTheKeyTheEndUserTheTagsAndEachWindowsScope() throws Exception {
        Path dir = Files.createTempDirectory("policy-tags");
        Path rego = dir.resolve("tags.rego");
        Files.writeString(rego, REGO);
        Path data = dir.resolve("data.json");
        Files.writeString(data, "{}");
        Path bundle = Opa.build(dir.resolve("bundle.tar.gz"), "tags-rev", rego, data);
        try (FakeOpenAI upstream = new FakeOpenAI();
             TestGateway gw = TestGateway.start(upstream, Map.of("OPA_POLICY_PATH", bundle.toString()), Clock.systemUTC())) {
            assertEquals(201, gw.admin("POST", "/admin/tenant", "{\"id\":\"acme\"}").statusCode());
            JsonNode created = TestGateway.json(gw.admin("POST", "/admin/tenant/acme/apikeys", "{\"name\":\"ci\"}").body());
            String key = created.get("key").asText();
            gw.addSecret(key);
            String body = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":10,\"user\":\"u-42\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            JsonNode denied = assertError(send(gw, key, body, null), 403, "policy_denied");
            assertTrue(denied.get("message").asText().contains("without a team tag"), denied.toString());
            assertTrue(denied.get("message").asText().contains("a key budget must apply"), denied.toString());
            assertEquals(200, gw.admin("POST", "/admin/tenant/acme/apikeys/" + created.get("id").asText() + "/budgets",
                    "{\"budgets\":[{\"period\":\"daily\",\"limit_usd\":1}]}").statusCode());
            JsonNode frozen = assertError(send(gw, key, body, "team=frozen"), 403, "policy_denied");
            assertEquals("Request denied by policy: team frozen is frozen (user u-42)", frozen.get("message").asText());
            assertEquals(200, send(gw, key, body, "team=search").statusCode());
            assertEquals(1, upstream.calls());
        }
    }

    static java.net.http.HttpResponse<String> send(TestGateway gw, String key, String body, String tags) throws Exception {
        HttpRequest.Builder b = gw.request("/v1/chat/completions").header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(body));
        if (tags != null) b.header("X-BudgetGuard-Tags", tags);
        return gw.send(b);
    }
}
