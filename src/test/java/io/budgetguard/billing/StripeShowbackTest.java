package io.budgetguard.billing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.GatewayProcess;
import io.budgetguard.testing.RedisServer;
import io.budgetguard.testing.ShiftableClock;
import io.budgetguard.testing.StripeMock;
import io.budgetguard.testing.TestGateway;
import java.net.http.HttpRequest;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Stripe showback against stripe-mock (Stripe's own API spec): each ledger row becomes one meter event for its key's,
 * user's or tenant's customer, with the row's cost; failures are retried, refusals skipped, and a worker killed
 * mid-report and restarted (two at once) reports no row twice.
 */
class StripeShowbackTest {
    static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    static final String STRIPE_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";

    static Map<String, String> stripeEnv(StripeMock stripe, int batchRows) {
        Map<String, String> env = new HashMap<>();
        env.put("STRIPE_API_KEY", STRIPE_KEY);
        env.put("STRIPE_API_BASE", stripe.apiBase());
        env.put("STRIPE_BATCH_ROWS", Integer.toString(batchRows));
        env.put("STRIPE_MAX_BACKOFF_MS", "1000");
        env.put("WORKER_PERIOD_MS", "100");
        return env;
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        for (int i = 0; i < 600 && !condition.getAsBoolean(); i++) Thread.sleep(50);
        assertTrue(condition.getAsBoolean(), what);
    }

    /** request id to cost in micro-USD of every ledger row of the tenant. */
    static Map<String, Long> ledger(TestGateway gw, String tenant) throws Exception {
        Map<String, Long> out = new HashMap<>();
        try (var c = gw.sql(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT request_id, cost_usd FROM usage_ledger WHERE tenant_id = '" + tenant + "'")) {
            while (rs.next()) out.put(rs.getString(1), io.budgetguard.core.Money.microUsdFromSql(rs.getBigDecimal(2)));
        }
        return out;
    }

    static void send(TestGateway gw, String key, String user, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            HttpRequest.Builder b = gw.request("/v1/chat/completions").header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(CHAT));
            if (user != null) b.header("X-BudgetGuard-User", user);
            assertEquals(200, gw.send(b).statusCode());
        }
    }

    @Test
    void eachLedgerRowBecomesOneMeterEventForItsKeysUsersOrTenantsCustomer() throws Exception {
        try (StripeMock stripe = StripeMock.start(); FakeOpenAI upstream = new FakeOpenAI();
             TestGateway gw = TestGateway.start(upstream, stripeEnv(stripe, 4), new ShiftableClock())) {
            upstream.completionAtMaxTokens();
            gw.admin("POST", "/admin/tenant", "{\"id\":\"acme\"}");
            String main = gw.newKey("acme");
            JsonNode created = TestGateway.json(gw.admin("POST", "/admin/tenant/acme/apikeys", "{\"name\":\"batch\"}").body());
            String batchKey = created.get("key").asText(), batchKeyId = created.get("id").asText();
            var set = gw.admin("POST", "/admin/tenant/acme/stripe", "{\"customer_id\":\"cus_Acme0001\",\"keys\":{\"" + batchKeyId
                    + "\":\"cus_Batch001\"},\"users\":{\"bob\":\"cus_Bob00001\"}}");
            assertEquals(200, set.statusCode(), set.body());
            for (String bad : List.of("{\"customer_id\":\"acme\"}", "{\"customer_id\":5}", "{\"keys\":[\"cus_Abc\"]}",
                    "{\"users\":{\"bob\":\"cus_\"}}", "{\"other\":1}")) {
                assertEquals(400, gw.admin("POST", "/admin/tenant/acme/stripe", bad).statusCode(), bad);
            }
            assertEquals(404, gw.admin("POST", "/admin/tenant/nobody/stripe", "{\"customer_id\":\"cus_X\"}").statusCode());
            assertEquals("cus_Batch001", TestGateway.json(gw.admin("GET", "/admin/tenant/acme/stripe", null).body())
                    .at("/keys/" + batchKeyId).asText(), "a refused change changed nothing");
            send(gw, main, null, 5);
            send(gw, batchKey, "bob", 3); // the key's customer wins over the user's
            send(gw, main, "bob", 2);
            Map<String, Long> rows = ledger(gw, "acme");
            assertEquals(10, rows.size());
            await(() -> stripe.events.size() == 10, "a meter event per row: " + stripe.events.size());
            gw.awaitWorkerPasses("stripe_showback", 5);
            assertEquals(10, stripe.calls.size(), "each sent once: " + stripe.calls.size());
            Map<String, Integer> perCustomer = new HashMap<>();
            for (StripeMock.MeterEvent e : stripe.events.values()) {
                String request = e.identifier().substring("bg_".length());
                assertEquals(rows.get(request), e.value(), "the row's cost in micro-USD: " + e);
                assertEquals("budgetguard_spend", e.eventName());
                perCustomer.merge(e.customer(), 1, Integer::sum);
            }
            assertEquals(Map.of("cus_Acme0001", 5, "cus_Batch001", 3, "cus_Bob00001", 2), perCustomer);
            JsonNode status = TestGateway.json(gw.admin("GET", "/admin/tenant/acme/stripe", null).body());
            assertEquals(10, status.at("/reported/through_seq").asLong());
            assertEquals(10, status.at("/reported/events_sent").asLong());
            String metrics = gw.send(gw.request("/metrics").GET()).body();
            assertTrue(metrics.contains("budgetguard_stripe_meter_events_total 10"), metrics);
            assertTrue(metrics.contains("budgetguard_stripe_lag_rows 0"), metrics);
            assertTrue(!metrics.contains(STRIPE_KEY) && !gw.admin("GET", "/admin/tenant/acme/stripe", null).body().contains(STRIPE_KEY));
        }
    }

    @Test
    void transientFailuresAreRetriedAndARefusedEventIsSkipped() throws Exception {
        ShiftableClock clock = new ShiftableClock();
        try (StripeMock stripe = StripeMock.start(); FakeOpenAI upstream = new FakeOpenAI();
             TestGateway gw = TestGateway.start(upstream, stripeEnv(stripe, 100), clock)) {
            upstream.completionAtMaxTokens();
            String key = gw.createTenantWithKey("flaky");
            send(gw, key, null, 6);
            List<String> ids = List.copyOf(ledger(gw, "flaky").keySet());
            stripe.refuseIdentifier = "bg_" + ids.get(0);
            stripe.failNext.set(3);
            assertEquals(200, gw.admin("POST", "/admin/tenant/flaky/stripe", "{\"customer_id\":\"cus_Flaky001\"}").statusCode());
            await(() -> stripe.failNext.get() == 0, "Stripe answers 500 three times");
            for (int i = 0; i < 20 && stripe.events.size() < 5; i++) {
                clock.advance(1_000); // past each backoff
                gw.awaitWorkerPasses("stripe_showback", 1);
            }
            await(() -> stripe.events.size() == 5, "every row but the refused one: " + stripe.events.keySet());
            assertTrue(!stripe.events.containsKey(stripe.refuseIdentifier));
            JsonNode status = TestGateway.json(gw.admin("GET", "/admin/tenant/flaky/stripe", null).body());
            assertEquals(6, status.at("/reported/through_seq").asLong(), "the refused row is passed, not retried forever");
            assertEquals(1, status.at("/reported/rows_skipped").asLong());
            String metrics = gw.send(gw.request("/metrics").GET()).body();
            assertTrue(metrics.contains("budgetguard_stripe_rows_skipped_total 1"), metrics);
            assertTrue(!metrics.contains("budgetguard_stripe_failures_total 0"), "failures were counted: " + metrics);
        }
    }

    @Test
    void aWorkerKilledMidReportAndTwoRestartedReportEachRowOnce() throws Exception {
        try (StripeMock stripe = StripeMock.start(); FakeOpenAI upstream = new FakeOpenAI(); RedisServer redis = RedisServer.start()) {
            upstream.completionAtMaxTokens();
            Map<String, String> stores = TestGateway.productionStores(redis);
            try (TestGateway gw = TestGateway.start(upstream, stores, new ShiftableClock())) {
                String key = gw.createTenantWithKey("killed");
                send(gw, key, null, 40);
                await(() -> {
                    try {
                        return ledger(gw, "killed").size() == 40;
                    } catch (Exception e) {
                        return false;
                    }
                }, "the drain moved every row to Postgres");
                assertEquals(200, gw.admin("POST", "/admin/tenant/killed/stripe", "{\"customer_id\":\"cus_Killed01\"}").statusCode());
                Map<String, String> env = new HashMap<>(stores);
                env.putAll(stripeEnv(stripe, 5));
                env.put("OPENAI_KEY", "sk-unused");
                stripe.delayMs = 40;
                GatewayProcess first = GatewayProcess.start("worker", env);
                await(() -> stripe.calls.size() >= 12, "the first worker is reporting");
                first.kill(); // SIGKILL, in the middle of a batch
                GatewayProcess a = GatewayProcess.start("worker", env), b = GatewayProcess.start("worker", env);
                try {
                    await(() -> stripe.events.size() == 40, "every row reported after the restart: " + stripe.events.size());
                    await(() -> {
                        try {
                            return TestGateway.json(gw.admin("GET", "/admin/tenant/killed/stripe", null).body())
                                    .at("/reported/through_seq").asLong() == 40;
                        } catch (Exception e) {
                            return false;
                        }
                    }, "the watermark reaches the last row");
                } finally {
                    a.close(); // both passed over the caught-up tenant until they stopped
                    b.close();
                }
                Map<String, Long> rows = ledger(gw, "killed");
                for (String id : rows.keySet()) assertTrue(stripe.events.containsKey("bg_" + id), id);
                int resent = stripe.calls.size() - stripe.events.size();
                assertTrue(resent <= 5, "only the killed batch may be resent (same identifiers, which Stripe counts once): " + resent);
            }
        }
    }
}
