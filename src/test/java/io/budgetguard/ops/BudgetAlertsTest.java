package io.budgetguard.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.ShiftableClock;
import io.budgetguard.testing.TestGateway;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Slack-compatible budget alerts: once per threshold per window, retried with backoff, never resent after a restart. */
class BudgetAlertsTest {
    static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    /** A webhook receiver that records what it got and can refuse the next N deliveries. */
    static final class Receiver implements AutoCloseable {
        final HttpServer server;
        final List<String> bodies = new CopyOnWriteArrayList<>();
        final AtomicInteger refuseNext = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();

        Receiver() throws Exception {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            server.createContext("/hook", ex -> {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                if (refuseNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    refused.incrementAndGet();
                    ex.sendResponseHeaders(500, -1);
                } else {
                    bodies.add(body);
                    ex.sendResponseHeaders(200, -1);
                }
                ex.close();
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook/secret-path";
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        for (int i = 0; i < 300 && !condition.getAsBoolean(); i++) Thread.sleep(50);
        assertTrue(condition.getAsBoolean(), what);
    }

    @Test
    void thresholdsAlertOnceEvenAcrossRestartsAndFailedDeliveriesAreRetried() throws Exception {
        ShiftableClock clock = new ShiftableClock();
        try (Receiver hook = new Receiver(); FakeOpenAI upstream = new FakeOpenAI()) {
            upstream.completionAtMaxTokens();
            Map<String, String> env = Map.of("ALERT_WEBHOOK_URL", hook.url(), "WORKER_PERIOD_MS", "100");
            TestGateway gw = TestGateway.start(upstream, env, clock);
            String dataDir = gw.dataDir().toString();
            try {
                gw.admin("POST", "/admin/tenant", "{\"id\":\"alerted\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":0.0002}]}");
                String key = gw.newKey("alerted");
                for (int i = 0; i < 12; i++) assertEquals(200, gw.postJson("/v1/chat/completions", key, CHAT).statusCode());
                await(() -> thresholdAlerts(hook).size() == 2, "the 50% and 80% alerts arrive: " + hook.bodies);
                String all = String.join("\n", hook.bodies);
                assertTrue(all.contains("used 50% of its monthly budget") && all.contains("used 80% of its monthly budget"), all);
                assertTrue(TestGateway.json(hook.bodies.get(0)).get("text").asText().contains("alerted"), "Slack's {\"text\": ...}");
                gw.awaitWorkerPasses("budget_alerts", 10);
                int delivered = hook.bodies.size(); // the two thresholds, plus a forecast alert early in a month
                assertEquals(2, thresholdAlerts(hook).size(), "each threshold once per window");
                gw.closeKeepingData();
                gw = TestGateway.start(upstream, Map.of("ALERT_WEBHOOK_URL", hook.url(), "WORKER_PERIOD_MS", "100",
                        "BUDGETGUARD_DATA_DIR", dataDir), clock);
                gw.awaitWorkerPasses("budget_alerts", 10);
                assertEquals(delivered, hook.bodies.size(), "a restart does not resend");

                hook.refuseNext.set(2);
                gw.admin("POST", "/admin/tenant/alerted/budgets", "{\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":0.00015}]}");
                await(() -> hook.refused.get() == 1, "the first delivery of the 100% alert is refused");
                clock.advance(10_000); // past the 2 s backoff
                await(() -> hook.refused.get() == 2, "and retried after its backoff, refused again");
                clock.advance(10_000); // past the 4 s backoff
                await(() -> thresholdAlerts(hook).size() == 3, "then delivered");
                assertTrue(thresholdAlerts(hook).get(2).contains("used 100% of its monthly budget"), hook.bodies.toString());
                String info = gw.admin("GET", "/admin/tenant/alerted", null).body();
                assertTrue(!info.contains("secret-path"), "the webhook's path (a credential) is not shown");
            } finally {
                gw.close();
            }
        }
    }

    @Test
    void aRollingWindowAlertsAgainInALaterBucket() throws Exception {
        ShiftableClock clock = new ShiftableClock();
        try (Receiver hook = new Receiver(); FakeOpenAI upstream = new FakeOpenAI()) {
            upstream.completionAtMaxTokens();
            try (TestGateway gw = TestGateway.start(upstream, Map.of("ALERT_WEBHOOK_URL", hook.url(), "WORKER_PERIOD_MS", "100"), clock)) {
                gw.admin("POST", "/admin/tenant", "{\"id\":\"rolling\",\"budgets\":[{\"period\":\"rolling:24h\",\"limit_usd\":0.0002}]}");
                gw.admin("POST", "/admin/tenant/rolling/alerts", "{\"thresholds_pct\":[50]}");
                String key = gw.newKey("rolling");
                for (int i = 0; i < 8; i++) assertEquals(200, gw.postJson("/v1/chat/completions", key, CHAT).statusCode());
                await(() -> thresholdAlerts(hook).size() == 1, "the 50% alert of the first day: " + hook.bodies);
                gw.awaitWorkerPasses("budget_alerts", 5);
                assertEquals(1, thresholdAlerts(hook).size(), "once per bucket");
                clock.advance(2 * 86_400_000L); // the first day's spend has rolled out of the window
                for (int i = 0; i < 8; i++) assertEquals(200, gw.postJson("/v1/chat/completions", key, CHAT).statusCode());
                await(() -> thresholdAlerts(hook).size() == 2, "crossing 50% again two days later alerts again: " + hook.bodies);
            }
        }
    }

    static List<String> thresholdAlerts(Receiver hook) {
        return hook.bodies.stream().filter(b -> b.contains("has used")).toList();
    }

    @Test
    void aForecastOverTheLimitAlertsBeforeAnyThresholdIsPassed() throws Exception {
        ShiftableClock clock = new ShiftableClock();
        java.time.Instant now = java.time.Instant.now();
        java.time.Instant tenDaysIn = java.time.LocalDate.ofInstant(now, java.time.ZoneOffset.UTC).withDayOfMonth(11)
                .atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
        clock.advance(tenDaysIn.toEpochMilli() - now.toEpochMilli());
        try (Receiver hook = new Receiver(); FakeOpenAI upstream = new FakeOpenAI();
             TestGateway gw = TestGateway.start(upstream, Map.of("ALERT_WEBHOOK_URL", hook.url(), "WORKER_PERIOD_MS", "100"), clock)) {
            upstream.completionAtMaxTokens();
            gw.admin("POST", "/admin/tenant", "{\"id\":\"burner\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":0.000175}]}");
            String key = gw.newKey("burner");
            for (int i = 0; i < 5; i++) assertEquals(200, gw.postJson("/v1/chat/completions", key, CHAT).statusCode());
            await(() -> !hook.bodies.isEmpty(), "a forecast alert: 40% spent after a third of the month");
            assertTrue(hook.bodies.get(0).contains("is projected to spend"), hook.bodies.get(0));
            assertTrue(thresholdAlerts(hook).isEmpty(), "no threshold was passed");
            var b = TestGateway.json(gw.admin("GET", "/admin/tenant/burner", null).body()).at("/budgets/0/forecast");
            assertTrue(b.get("projected_over_limit").asBoolean());
            assertTrue(b.get("runs_out_at").isTextual(), "the run-out date is shown");
        }
    }

    @Test
    void alertSettingsAreValidated() throws Exception {
        try (FakeOpenAI upstream = new FakeOpenAI(); TestGateway gw = TestGateway.start(upstream)) {
            gw.admin("POST", "/admin/tenant", "{\"id\":\"alerts-in\"}");
            for (String bad : List.of("{\"thresholds_pct\":[]}", "{\"thresholds_pct\":[0]}", "{\"thresholds_pct\":[50,50]}",
                    "{\"webhook_url\":\"ftp://x\"}", "{\"webhook_url\":5}", "{\"other\":1}")) {
                assertEquals(400, gw.admin("POST", "/admin/tenant/alerts-in/alerts", bad).statusCode(), bad);
            }
            var ok = gw.admin("POST", "/admin/tenant/alerts-in/alerts", "{\"thresholds_pct\":[90,25],\"webhook_url\":\"https://hooks.example.com/T/B/x\"}");
            assertEquals(200, ok.statusCode(), ok.body());
            assertEquals("[25,90]", TestGateway.json(ok.body()).at("/alerts/thresholds_pct").toString());
            assertEquals("https://hooks.example.com/…", TestGateway.json(ok.body()).at("/alerts/webhook").asText());
        }
    }
}
