package io.budgetguard.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.ShiftableClock;
import io.budgetguard.testing.StartTlsRelay;
import io.budgetguard.testing.TestGateway;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Budget alerts by email: through a real SMTP server (GreenMail) behind STARTTLS with a certificate the gateway is
 * told to trust, authenticated, once per threshold and window like the webhooks, and never in clear or unauthenticated.
 */
class EmailAlertsTest {
    static final String CHAT = BudgetAlertsTest.CHAT;
    static final String PASSWORD = "smtp-pass-0f9e8d7c";

    @TempDir
    Path dir;

    static Map<String, String> relayEnv(StartTlsRelay relay, int port, String password) {
        Map<String, String> env = new HashMap<>();
        env.put("ALERT_SMTP_HOST", "127.0.0.1");
        env.put("ALERT_SMTP_PORT", String.valueOf(port));
        env.put("ALERT_SMTP_USERNAME", "alerts");
        env.put("ALERT_SMTP_PASSWORD", password);
        env.put("ALERT_SMTP_CA_FILE", relay.caPem().toString());
        env.put("ALERT_EMAIL_FROM", "budgetguard@example.com");
        env.put("ALERT_EMAIL_TO", "finops@example.com");
        env.put("WORKER_PERIOD_MS", "100");
        return env;
    }

    @Test
    void aThresholdAlertArrivesByEmailOverStartTlsOncePerThresholdAndWindow() throws Exception {
        ShiftableClock clock = new ShiftableClock();
        try (StartTlsRelay relay = new StartTlsRelay(dir, "alerts", PASSWORD); FakeOpenAI upstream = new FakeOpenAI()) {
            upstream.completionAtMaxTokens();
            TestGateway gw = TestGateway.start(upstream, relayEnv(relay, relay.port(), PASSWORD), clock);
            String dataDir = gw.dataDir().toString();
            try {
                gw.admin("POST", "/admin/tenant", "{\"id\":\"mailed\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":0.0002}]}");
                var set = gw.admin("POST", "/admin/tenant/mailed/alerts",
                        "{\"thresholds_pct\":[50,80],\"email_to\":[\"owner@example.com\",\"lead@example.com\"]}");
                assertEquals(200, set.statusCode(), set.body());
                assertEquals("[\"owner@example.com\",\"lead@example.com\"]", TestGateway.json(set.body()).at("/alerts/email_to").toString());
                String key = gw.newKey("mailed");
                for (int i = 0; i < 12; i++) assertEquals(200, gw.postJson("/v1/chat/completions", key, CHAT).statusCode());
                BudgetAlertsTest.await(() -> thresholdMails(relay) == 2, "the 50% and 80% alerts arrive by email");

                MimeMessage first = Arrays.stream(relay.mail.getReceivedMessages())
                        .filter(m -> subject(m).contains("50%")).findFirst().orElseThrow();
                assertEquals("BudgetGuard: tenant mailed has used 50% of its budget", first.getSubject());
                assertEquals("budgetguard@example.com", first.getFrom()[0].toString());
                assertEquals("owner@example.com, lead@example.com", first.getHeader("To", ", "),
                        "the tenant's own recipients, not ALERT_EMAIL_TO");
                String body = ((String) first.getContent()).strip();
                assertTrue(body.startsWith("BudgetGuard: tenant mailed has used 50% of its monthly budget: $"), body);
                assertTrue(!body.contains(":warning:") && !body.contains("*"), "no Slack markup in an email: " + body);
                assertTrue(first.getMessageID().matches("<alert\\.[0-9a-f]{32}@budgetguard>"), first.getMessageID());
                assertTrue(relay.tlsSessions.get() >= 2 && relay.clearTextCommands.get() == 0, "every mail went over STARTTLS");

                gw.awaitWorkerPasses("budget_alerts", 10);
                int received = relay.mail.getReceivedMessages().length;
                assertEquals(2, thresholdMails(relay), "each threshold once per window");
                gw.closeKeepingData();
                Map<String, String> again = relayEnv(relay, relay.port(), PASSWORD);
                again.put("BUDGETGUARD_DATA_DIR", dataDir);
                gw = TestGateway.start(upstream, again, clock);
                gw.awaitWorkerPasses("budget_alerts", 10);
                assertEquals(received, relay.mail.getReceivedMessages().length, "a restart does not resend");
                assertTrue(!gw.admin("GET", "/admin/tenant/mailed", null).body().contains(PASSWORD));
            } finally {
                gw.close();
            }
        }
    }

    @Test
    void aTenantWithoutRecipientsIsMailedAtTheGlobalOnesAndTheWebhookIsSentOnItsOwn() throws Exception {
        try (StartTlsRelay relay = new StartTlsRelay(dir, "alerts", PASSWORD); FakeOpenAI upstream = new FakeOpenAI();
             BudgetAlertsTest.Receiver hook = new BudgetAlertsTest.Receiver()) {
            upstream.completionAtMaxTokens();
            hook.refuseNext.set(1_000); // the webhook is down: the email does not wait for it
            Map<String, String> env = relayEnv(relay, relay.port(), PASSWORD);
            env.put("ALERT_WEBHOOK_URL", hook.url());
            try (TestGateway gw = TestGateway.start(upstream, env, new ShiftableClock())) {
                gw.admin("POST", "/admin/tenant", "{\"id\":\"global-mail\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":0.0002}]}");
                gw.admin("POST", "/admin/tenant/global-mail/alerts", "{\"thresholds_pct\":[50]}");
                String key = gw.newKey("global-mail");
                for (int i = 0; i < 8; i++) assertEquals(200, gw.postJson("/v1/chat/completions", key, CHAT).statusCode());
                BudgetAlertsTest.await(() -> thresholdMails(relay) == 1, "the 50% alert by email");
                assertEquals("finops@example.com", relay.mail.getReceivedMessages()[0].getHeader("To", ","));
                assertTrue(hook.refused.get() >= 1, "the webhook was tried as well");
                assertTrue(hook.bodies.isEmpty());
            }
        }
    }

    @Test
    void inProductionTheWorkerMailsFromPostgresOncePerThreshold() throws Exception {
        try (StartTlsRelay relay = new StartTlsRelay(dir, "alerts", PASSWORD); FakeOpenAI upstream = new FakeOpenAI();
             io.budgetguard.testing.RedisServer redis = io.budgetguard.testing.RedisServer.start()) {
            upstream.completionAtMaxTokens();
            Map<String, String> env = relayEnv(relay, relay.port(), PASSWORD);
            env.putAll(TestGateway.productionStores(redis));
            try (TestGateway gw = TestGateway.start(upstream, env, new ShiftableClock())) {
                gw.admin("POST", "/admin/tenant", "{\"id\":\"shared\",\"budgets\":[{\"period\":\"daily\",\"limit_usd\":0.0002}]}");
                gw.admin("POST", "/admin/tenant/shared/alerts", "{\"thresholds_pct\":[50,80]}");
                String key = gw.newKey("shared");
                for (int i = 0; i < 12; i++) assertEquals(200, gw.postJson("/v1/chat/completions", key, CHAT).statusCode());
                BudgetAlertsTest.await(() -> thresholdMails(relay) == 2, "the 50% and 80% alerts by email");
                gw.awaitWorkerPasses("budget_alerts", 10);
                assertEquals(2, thresholdMails(relay));
                assertEquals(2, gw.sqlLong("SELECT COUNT(*) FROM alert_deliveries WHERE channel = 'email' AND status = 'sent'"
                        + " AND kind = 'threshold'"));
            }
        }
    }

    @Test
    void nothingIsSentInClearOrWithAWrongPassword() throws Exception {
        try (StartTlsRelay relay = new StartTlsRelay(dir, "alerts", PASSWORD); FakeOpenAI upstream = new FakeOpenAI()) {
            upstream.completionAtMaxTokens();
            // GreenMail itself offers no STARTTLS: a relay (or a network stripping the offer) that would take mail in clear.
            try (TestGateway noTls = TestGateway.start(upstream, relayEnv(relay, relay.plainPort(), PASSWORD), new ShiftableClock());
                 TestGateway wrongPassword = TestGateway.start(upstream, relayEnv(relay, relay.port(), "not-the-password"),
                         new ShiftableClock())) {
                for (TestGateway gw : List.of(noTls, wrongPassword)) {
                    gw.admin("POST", "/admin/tenant", "{\"id\":\"t\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":0.0002}]}");
                    String key = gw.newKey("t");
                    for (int i = 0; i < 8; i++) assertEquals(200, gw.postJson("/v1/chat/completions", key, CHAT).statusCode());
                }
                BudgetAlertsTest.await(() -> relay.tlsSessions.get() >= 1, "the wrong password was tried over TLS");
                noTls.awaitWorkerPasses("budget_alerts", 5);
                wrongPassword.awaitWorkerPasses("budget_alerts", 5);
                assertEquals(0, relay.mail.getReceivedMessages().length, "no mail without STARTTLS or with a refused login");
                try (var c = noTls.sql(); var rs = c.createStatement().executeQuery(
                        "SELECT status, attempts FROM alert_deliveries WHERE channel = 'email' AND threshold_pct = 50")) {
                    assertTrue(rs.next());
                    assertEquals("pending", rs.getString(1), "kept for a retry");
                    assertTrue(rs.getInt(2) >= 1);
                }
            }
        }
    }

    @Test
    void emailRecipientsAreValidatedAtTheirLimit() throws Exception {
        try (FakeOpenAI upstream = new FakeOpenAI(); TestGateway gw = TestGateway.start(upstream)) {
            gw.admin("POST", "/admin/tenant", "{\"id\":\"to\"}");
            String nine = recipients(9), ten = recipients(10), eleven = recipients(11);
            assertEquals(200, gw.admin("POST", "/admin/tenant/to/alerts", "{\"email_to\":" + nine + "}").statusCode());
            assertEquals(200, gw.admin("POST", "/admin/tenant/to/alerts", "{\"email_to\":" + ten + "}").statusCode());
            var over = gw.admin("POST", "/admin/tenant/to/alerts", "{\"email_to\":" + eleven + "}");
            assertEquals(400, over.statusCode());
            assertEquals("email_to", TestGateway.json(over.body()).at("/error/param").asText());
            for (String bad : List.of("[]", "\"ops@example.com\"", "[5]", "[\"not an address\"]", "[\"Ops <ops@example.com>\"]",
                    "[\"ops@example.com\\r\\nBcc: x@example.com\"]")) {
                assertEquals(400, gw.admin("POST", "/admin/tenant/to/alerts", "{\"email_to\":" + bad + "}").statusCode(), bad);
            }
            assertEquals(10, TestGateway.json(gw.admin("GET", "/admin/tenant/to", null).body()).at("/alerts/email_to").size(),
                    "a refused change changed nothing");
        }
    }

    private static String recipients(int n) {
        return java.util.stream.IntStream.range(0, n).mapToObj(i -> "\"r" + i + "@example.com\"")
                .collect(java.util.stream.Collectors.joining(",", "[", "]"));
    }

    /** A header of a received message (Jakarta Mail's getters throw a checked exception). */
    interface Header {
        String of(MimeMessage m) throws jakarta.mail.MessagingException;
    }

    private static String read(MimeMessage m, Header h) {
        try {
            return h.of(m);
        } catch (jakarta.mail.MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String subject(MimeMessage m) {
        return read(m, MimeMessage::getSubject);
    }

    /** Distinct threshold alerts received (GreenMail keeps one copy per recipient). */
    private static long thresholdMails(StartTlsRelay relay) {
        return Arrays.stream(relay.mail.getReceivedMessages()).filter(m -> subject(m).contains("% of its budget"))
                .map(EmailAlertsTest::messageId).distinct().count();
    }

    private static String messageId(MimeMessage m) {
        return read(m, MimeMessage::getMessageID);
    }
}
