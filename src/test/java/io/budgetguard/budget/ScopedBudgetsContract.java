package io.budgetguard.budget;

import static io.budgetguard.testing.Envelope.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Budgets below the tenant's, on each counter store: an API key's own cap within its tenant's, and a model group's
 * cap shared by its models and their dated snapshots. Every level is checked and reserved in the same atomic
 * admission; a window built later from the ledger counts only its own scope's spend.
 */
abstract class ScopedBudgetsContract {
    static final String BODY = "{\"model\":\"%s\",\"max_tokens\":100,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Summarise the quarterly report in three bullet points.\"}]}";

    FakeOpenAI upstream;
    TestGateway gw;
    /** The stores this test's gateway was started on (a second gateway process joins them). */
    Map<String, String> stores;

    abstract Map<String, String> env();

    @BeforeEach
    void start() throws Exception {
        upstream = new FakeOpenAI();
        stores = env();
        gw = TestGateway.start(upstream, stores, Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        gw.close();
        upstream.close();
    }

    void tenant(String id, String limitUsd) throws Exception {
        HttpResponse<String> r = gw.admin("POST", "/admin/tenant", "{\"id\":\"" + id + "\",\"rate_limit_per_min\":100000,"
                + "\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":" + limitUsd + "}]}");
        assertEquals(201, r.statusCode(), r.body());
    }

    String keyId(String tenant, String key) {
        return gw.keyIdOf(key);
    }

    List<HttpResponse<String>> race(List<String> keys, List<String> models, int n) throws Exception {
        return race(List.of(gw.url("")), keys, models, n);
    }

    /** n requests at once, spread over the gateways' base URLs, the keys and the models. */
    List<HttpResponse<String>> race(List<String> gateways, List<String> keys, List<String> models, int n) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            fs.add(client.sendAsync(HttpRequest.newBuilder(URI.create(gateways.get(i % gateways.size()) + "/v1/chat/completions"))
                    .timeout(java.time.Duration.ofSeconds(60)).header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + keys.get(i % keys.size()))
                    .POST(HttpRequest.BodyPublishers.ofString(BODY.formatted(models.get(i % models.size())))).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        List<HttpResponse<String>> out = new ArrayList<>();
        for (var f : fs) out.add(f.get());
        return out;
    }

    /** Settled micro-USD in the ledger of rows matching {@code where} (waits, bounded, for the drain in Redis mode). */
    long ledgerSpend(String where, long rows) throws Exception {
        for (int i = 0; i < 300 && gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE " + where) < rows; i++) Thread.sleep(50);
        return gw.sqlLong("SELECT CAST(COALESCE(SUM(cost_usd), 0) * 1000000 AS BIGINT) FROM usage_ledger WHERE " + where);
    }

    static long micros(JsonNode usd) {
        return new BigDecimal(usd.asText()).movePointRight(6).longValueExact();
    }

    JsonNode view(String tenant) throws Exception {
        return TestGateway.json(gw.admin("GET", "/admin/tenant/" + tenant, null).body());
    }

    @Test
    void twoKeysRaceAKeysOwnCapAndTheTenantsAtOnceAndNeitherIsPassed() throws Exception {
        upstream.completionAtMaxTokens();
        tenant("keys", "0.02");
        String capped = gw.newKey("keys");
        String free = gw.newKey("keys");
        String cappedId = keyId("keys", capped);
        HttpResponse<String> set = gw.admin("POST", "/admin/tenant/keys/apikeys/" + cappedId + "/budgets",
                "{\"budgets\":[{\"period\":\"daily\",\"limit_usd\":0.0004}]}");
        assertEquals(200, set.statusCode(), set.body());
        List<HttpResponse<String>> all = race(List.of(capped, free), List.of("gpt-4o-mini"), 100);
        long ok = all.stream().filter(r -> r.statusCode() == 200).count();
        assertEquals(100, ok + all.stream().filter(r -> r.statusCode() == 402).count(), "served or refused with 402");
        assertTrue(all.stream().anyMatch(r -> r.statusCode() == 402 && r.body().contains("The API key " + cappedId + "'s daily budget")),
                "the key's refusal names its level");
        long tenantSpend = ledgerSpend("tenant_id = 'keys'", ok);
        long keySpend = ledgerSpend("api_key_id = '" + cappedId + "'", 1);
        assertTrue(keySpend > 0 && keySpend <= 400, "the key spent " + keySpend + " of its 400");
        assertTrue(tenantSpend <= 20_000, "the tenant spent " + tenantSpend + " of its 20,000");
        JsonNode v = view("keys");
        assertEquals(0, micros(v.at("/budgets/0/reserved_usd")), "nothing stays reserved at the tenant");
        for (JsonNode k : v.get("api_keys")) {
            for (JsonNode b : k.get("budgets")) {
                assertEquals(0, micros(b.get("reserved_usd")), "nor at the key");
                assertEquals(keySpend, micros(b.get("spent_usd")), "the key's counter equals its ledger rows");
            }
        }
    }

    @Test
    void aModelGroupCapsItsModelsAndTheirDatedSnapshotsTogether() throws Exception {
        upstream.completionAtMaxTokens();
        tenant("group", "10");
        String key = gw.newKey("group");
        HttpResponse<String> g = gw.admin("POST", "/admin/tenant/group/model-groups/mini",
                "{\"models\":[\"gpt-4o-mini\"],\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":0.0005}]}");
        assertEquals(200, g.statusCode(), g.body());
        List<HttpResponse<String>> all = race(List.of(key), List.of("gpt-4o-mini", "gpt-4o-mini-2024-07-18", "gpt-4o"), 90);
        long refused = all.stream().filter(r -> r.statusCode() == 402).count();
        assertTrue(refused > 0 && all.stream().filter(r -> r.statusCode() == 402).allMatch(r -> r.body().contains("model group 'mini'")),
                "only the group refuses");
        long ok = all.size() - refused;
        ledgerSpend("tenant_id = 'group'", ok);
        long groupSpend = ledgerSpend("tenant_id = 'group' AND model LIKE 'gpt-4o-mini%'", 1);
        assertEquals(30, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE model = 'gpt-4o'"), "models outside the group are not held");
        assertTrue(gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE model = 'gpt-4o-mini-2024-07-18'") < 30,
                "a dated snapshot does not dodge the group");
        assertTrue(groupSpend > 0 && groupSpend <= 500, "the group spent " + groupSpend + " of its 500");
        JsonNode b = view("group").at("/model_groups/0/budgets/0");
        assertEquals(groupSpend, micros(b.get("spent_usd")));
        assertEquals(0, micros(b.get("reserved_usd")));
    }

    @Test
    void endUsersRaceTheTenantsPerUserCapAndOneUsersOwnAtOnce() throws Exception {
        upstream.completionAtMaxTokens();
        tenant("users", "10");
        String key = gw.newKey("users");
        assertEquals(200, gw.admin("POST", "/admin/tenant/users/user-budgets",
                "{\"budgets\":[{\"period\":\"daily\",\"limit_usd\":0.0003}]}").statusCode());
        HttpResponse<String> vip = gw.admin("POST", "/admin/tenant/users/users/vip/budgets",
                "{\"budgets\":[{\"period\":\"daily\",\"limit_usd\":0.0006}]}");
        assertEquals(200, vip.statusCode(), vip.body());
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
        String[] users = {"alice", "bob", "vip"};
        for (int i = 0; i < 90; i++) {
            String user = users[i % 3];
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gw.url("/v1/chat/completions"))).header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + key).timeout(java.time.Duration.ofSeconds(60));
            // alice is named by the header, bob and vip by the body's user field.
            String body = BODY.formatted("gpt-4o-mini");
            if (user.equals("alice")) b.header("X-BudgetGuard-User", "alice");
            else body = body.replace("{\"model\"", "{\"user\":\"" + user + "\",\"model\"");
            fs.add(client.sendAsync(b.POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        long ok = 0;
        for (var f : fs) {
            HttpResponse<String> r = f.get();
            if (r.statusCode() == 200) ok++;
            else assertTrue(r.statusCode() == 402 && r.body().contains("The end user '"), r.body());
        }
        ledgerSpend("tenant_id = 'users'", ok);
        for (String u : users) {
            long spent = ledgerSpend("end_user = '" + u + "'", 1);
            long cap = u.equals("vip") ? 600 : 300;
            assertTrue(spent > 0 && spent <= cap, u + " spent " + spent + " of " + cap);
        }
        JsonNode v = view("users");
        assertEquals("vip", v.at("/end_users/users/0/id").asText());
        assertEquals(0, micros(v.at("/end_users/users/0/budgets/0/reserved_usd")));
        assertEquals(ledgerSpend("end_user = 'vip'", 1), micros(v.at("/end_users/users/0/budgets/0/spent_usd")));
        JsonNode report = TestGateway.json(gw.admin("GET", "/admin/tenant/users/usage?group_by=user", null).body());
        assertEquals(List.of("alice", "bob", "vip"), report.get("rows").findValuesAsText("key"));
    }

    @Test
    void tagsAreRecordedOnEveryRowAndReportedByEachTagsValues() throws Exception {
        tenant("tags", "10");
        String key = gw.newKey("tags");
        for (String tags : new String[] {"team=search,feature=autocomplete", "feature=chat,team=search", "team=ads", ""}) {
            HttpRequest.Builder b = gw.request("/v1/chat/completions").header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(BODY.formatted("gpt-4o-mini")));
            if (!tags.isEmpty()) b.header("X-BudgetGuard-Tags", tags);
            assertEquals(200, gw.send(b).statusCode());
        }
        ledgerSpend("tenant_id = 'tags'", 4);
        assertEquals(1, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE tags = 'feature=chat,team=search'"), "canonical: sorted by key");
        JsonNode byTeam = TestGateway.json(gw.admin("GET", "/admin/tenant/tags/usage?group_by=tag:team", null).body());
        assertEquals(List.of("", "ads", "search"), byTeam.get("rows").findValuesAsText("key"), byTeam.toString());
        assertEquals(2, byTeam.at("/rows/2/requests").asLong());
        for (String bad : new String[] {"team", "Team=x", "team=a b", "team=a,team=b", "a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11"}) {
            HttpResponse<String> r = gw.send(gw.request("/v1/chat/completions").header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + key).header("X-BudgetGuard-Tags", bad)
                    .POST(HttpRequest.BodyPublishers.ofString(BODY.formatted("gpt-4o-mini"))));
            assertEquals(400, r.statusCode(), bad + ": " + r.body());
            assertTrue(r.body().contains("X-BudgetGuard-Tags"), r.body());
        }
        assertEquals(4, upstream.calls(), "bad tags reach nobody");
        // Filters and the export's extra column read the same rows.
        JsonNode search = TestGateway.json(gw.admin("GET", "/admin/tenant/tags/usage?group_by=model&tag=team=search", null).body());
        assertEquals(2, search.at("/total/requests").asLong(), search.toString());
        String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
        String csv = gw.admin("GET", "/admin/usage/export?from=" + today + "&to=" + today + "&group_by=tag:feature&tag=team=search", null).body();
        String[] lines = csv.split("\n");
        assertEquals("day,tenant_id,provider,model,tag_feature,requests,prompt_tokens,cached_tokens,completion_tokens,cost_usd", lines[0]);
        assertEquals(List.of("autocomplete", "chat"), java.util.Arrays.stream(lines).skip(1).map(l -> l.split(",")[4]).sorted().toList(), csv);
        assertError(gw.admin("GET", "/admin/tenant/tags/usage?tag=team", null), 400, "invalid_request");
    }

    @Test
    void theReportGroupsByModelGroupAndFiltersByKeyUserAndProvider() throws Exception {
        tenant("dims", "10");
        String a = gw.newKey("dims");
        String b = gw.newKey("dims");
        assertEquals(200, gw.admin("POST", "/admin/tenant/dims/model-groups/mini",
                "{\"models\":[\"gpt-4o-mini\"],\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":5}]}").statusCode());
        for (String[] call : new String[][] {{a, "gpt-4o-mini"}, {a, "gpt-4o-mini-2024-07-18"}, {b, "gpt-4o"}}) {
            assertEquals(200, gw.postJson("/v1/chat/completions", call[0], BODY.formatted(call[1])).statusCode());
        }
        ledgerSpend("tenant_id = 'dims'", 3);
        JsonNode groups = TestGateway.json(gw.admin("GET", "/admin/tenant/dims/usage?group_by=model_group", null).body());
        assertEquals(List.of("", "mini"), groups.get("rows").findValuesAsText("key"), groups.toString());
        assertEquals(2, groups.at("/rows/1/requests").asLong());
        JsonNode byKey = TestGateway.json(gw.admin("GET", "/admin/tenant/dims/usage?group_by=model&key=" + keyId("dims", b), null).body());
        assertEquals(List.of("gpt-4o"), byKey.get("rows").findValuesAsText("key"), byKey.toString());
        JsonNode other = TestGateway.json(gw.admin("GET", "/admin/tenant/dims/usage?provider=nobody", null).body());
        assertEquals(0, other.at("/total/requests").asLong());
        String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
        String csv = gw.admin("GET", "/admin/usage/export?from=" + today + "&to=" + today + "&group_by=key", null).body();
        assertTrue(csv.startsWith("day,tenant_id,provider,model,api_key_id,requests,"), csv);
        assertTrue(csv.contains("," + keyId("dims", a) + ",1,") && csv.contains("," + keyId("dims", b) + ",1,"), csv);
        String byGroup = gw.admin("GET", "/admin/usage/export?from=" + today + "&to=" + today + "&group_by=model_group", null).body();
        assertTrue(byGroup.startsWith("day,tenant_id,provider,model,model_group,requests,"), byGroup);
        assertTrue(byGroup.contains(",dims,openai,gpt-4o-mini-2024-07-18,mini,1,") && byGroup.contains(",dims,openai,gpt-4o,,1,"), byGroup);
    }

    @Test
    void aScopedWindowAddedLaterIsBuiltFromTheLedgerWithOnlyItsOwnSpend() throws Exception {
        tenant("later", "10");
        String a = gw.newKey("later");
        String b = gw.newKey("later");
        for (String[] call : new String[][] {{a, "gpt-4o-mini"}, {a, "gpt-4o-mini-2024-07-18"}, {b, "gpt-4o-mini"}, {b, "gpt-4o"}}) {
            assertEquals(200, gw.postJson("/v1/chat/completions", call[0], BODY.formatted(call[1])).statusCode());
        }
        String aId = keyId("later", a);
        long aSpend = ledgerSpend("api_key_id = '" + aId + "'", 2);
        long miniSpend = ledgerSpend("tenant_id = 'later' AND model LIKE 'gpt-4o-mini%'", 3);
        assertEquals(200, gw.admin("POST", "/admin/tenant/later/apikeys/" + aId + "/budgets",
                "{\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":1},{\"period\":\"rolling:24h\",\"limit_usd\":1}]}").statusCode());
        assertEquals(200, gw.admin("POST", "/admin/tenant/later/model-groups/mini",
                "{\"models\":[\"gpt-4o-mini\"],\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":1}]}").statusCode());
        JsonNode v = view("later");
        for (JsonNode k : v.get("api_keys")) {
            if (!k.get("id").asText().equals(aId)) continue;
            assertEquals(aSpend, micros(k.at("/budgets/0/spent_usd")), "the calendar window holds key a's spend only");
            assertEquals(aSpend, micros(k.at("/budgets/1/spent_usd")), "and so does the rolling one");
        }
        assertEquals(miniSpend, micros(v.at("/model_groups/0/budgets/0/spent_usd")), "the group's window: its models and snapshots");
        assertTrue(miniSpend < micros(v.at("/budgets/0/spent_usd")), "less than the tenant's");
    }
}
