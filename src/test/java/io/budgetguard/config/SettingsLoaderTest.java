package io.budgetguard.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.core.BudgetPeriod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsLoaderTest {
    @Test
    void defaultsMatchTheDesignContract() throws Exception {
        Settings s = SettingsLoader.fromMap(Map.of());
        assertEquals(3000, s.port());
        assertEquals(100, s.maxReqsPerMin());
        assertEquals("https://api.openai.com", s.openaiBaseUrl().toString());
        assertEquals(1, s.defaultBudgets().size());
        assertEquals(BudgetPeriod.MONTHLY, s.defaultBudgets().get(0).period());
        assertEquals(10_000_000L, s.defaultBudgets().get(0).limitMicroUsd());
        assertEquals(4 * 1024 * 1024, s.maxBodyBytes());
        assertEquals(900, s.reservationTimeoutS());
        assertEquals(Path.of("./data"), s.dataDir());
        assertFalse(s.adminEnabled());
        assertNull(s.openaiKey());
    }

    @Test
    void budgetPeriodsMayCarryTheirOwnAmounts() throws Exception {
        Settings s = SettingsLoader.fromMap(Map.of("BUDGET_PERIODS", "monthly:100, daily:5,rolling:24h:3,weekly",
                "DEFAULT_BUDGET_USD", "7.25"));
        assertEquals(List.of("monthly", "daily", "rolling:1d", "weekly"),
                s.defaultBudgets().stream().map(b -> b.period().name()).toList());
        assertEquals(List.of(100_000_000L, 5_000_000L, 3_000_000L, 7_250_000L),
                s.defaultBudgets().stream().map(b -> b.limitMicroUsd()).toList());
    }

    @Test
    void everyBadValueIsOneLineNamingItsVariable() {
        ConfigException e = assertThrows(ConfigException.class, () -> SettingsLoader.fromMap(Map.of(
                "PORT", "70000", "MAX_REQS_PER_MIN", "lots", "DEFAULT_BUDGET_USD", "-3",
                "BUDGET_PERIODS", "monthly,monthly", "OPENAI_BASE_URL", "ftp://x", "BUDGETGUARD_DEV", "maybe",
                "ADMIN_API_KEY", "short")));
        List<String> p = e.problems();
        for (String var : List.of("PORT", "MAX_REQS_PER_MIN", "DEFAULT_BUDGET_USD", "BUDGET_PERIODS", "OPENAI_BASE_URL",
                "BUDGETGUARD_DEV", "ADMIN_API_KEY")) {
            assertEquals(1, p.stream().filter(l -> l.startsWith(var + ":")).count(), var + " in " + p);
        }
        for (String line : p) assertFalse(line.contains("\n"));
        assertFalse(e.getMessage().contains("short"), "a secret value is never echoed");
    }

    @Test
    void openAiApiKeyIsAcceptedWhenOpenAiKeyIsUnsetAndOpenAiKeyWins() throws Exception {
        assertEquals("sk-from-sdk-variable", SettingsLoader.fromMap(Map.of("OPENAI_API_KEY", "sk-from-sdk-variable")).openaiKey());
        assertEquals("sk-own", SettingsLoader.fromMap(Map.of("OPENAI_API_KEY", "sk-other", "OPENAI_KEY", "sk-own")).openaiKey());
        assertNull(SettingsLoader.fromMap(Map.of()).openaiKey());
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"change-me-to-a-long-random-string", "CHANGEME0123456789abcdef",
            "your-admin-key-goes-here", "aaaaaaaaaaaaaaaaaaaaaaaa", "abababababababababab", "0123456"})
    void aPlaceholderOrWeakAdminKeyIsRefusedWithoutEchoingIt(String key) {
        ConfigException e = assertThrows(ConfigException.class, () -> SettingsLoader.fromMap(Map.of("ADMIN_API_KEY", key)));
        assertTrue(e.problems().get(0).startsWith("ADMIN_API_KEY: "), e.problems().toString());
        assertFalse(e.getMessage().contains(key), "the key itself is never echoed");
    }

    @Test
    void aRandomAdminKeyIsAccepted() throws Exception {
        assertEquals("3f9c2a7be1d04c6f8a5e", SettingsLoader.fromMap(Map.of("ADMIN_API_KEY", "3f9c2a7be1d04c6f8a5e")).adminApiKey());
    }

    @Test
    void aPricesPathThatIsNotThereIsOneLineNamingIt() {
        ConfigException e = assertThrows(ConfigException.class, () -> SettingsLoader.fromMap(Map.of("PRICES_PATH", "/nonexistent/prices.json")));
        assertEquals(1, e.problems().size(), e.problems().toString());
        assertTrue(e.problems().get(0).startsWith("PRICES_PATH: no readable file at /nonexistent/prices.json"), e.problems().toString());
    }

    @Test
    void boundsAreCheckedAtTheirLimits() throws Exception {
        assertEquals(1024, SettingsLoader.fromMap(Map.of("MAX_BODY_BYTES", "1024")).maxBodyBytes());
        assertThrows(ConfigException.class, () -> SettingsLoader.fromMap(Map.of("MAX_BODY_BYTES", "1023")));
        assertEquals(65_535, SettingsLoader.fromMap(Map.of("PORT", "65535")).port());
        assertThrows(ConfigException.class, () -> SettingsLoader.fromMap(Map.of("PORT", "65536")));
        assertEquals(Settings.JsonLimits.DEFAULTS, SettingsLoader.fromMap(Map.of()).jsonLimits());
        assertEquals(8, SettingsLoader.fromMap(Map.of("JSON_MAX_DEPTH", "8")).jsonLimits().maxDepth());
        assertThrows(ConfigException.class, () -> SettingsLoader.fromMap(Map.of("JSON_MAX_DEPTH", "7")));
        assertEquals(1000, SettingsLoader.fromMap(Map.of("JSON_MAX_NUMBER_CHARS", "1000")).jsonLimits().maxNumberChars());
        assertThrows(ConfigException.class, () -> SettingsLoader.fromMap(Map.of("JSON_MAX_NUMBER_CHARS", "1001")));
    }

    @Test
    void theSdkStyleBaseUrlWithV1IsAccepted() throws Exception {
        assertEquals("http://127.0.0.1:8080", SettingsLoader.fromMap(Map.of("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1/"))
                .openaiBaseUrl().toString());
    }

    @Test
    void dotEnvIsReadAndTheEnvironmentWins(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(".env"), """
                # comment
                export PORT=4000
                OPENAI_KEY="sk-from-dotenv"
                MAX_REQS_PER_MIN=50 # inline comment
                """);
        Settings s = SettingsLoader.load(Map.of("PORT", "5000"), dir);
        assertEquals(5000, s.port());
        assertEquals("sk-from-dotenv", s.openaiKey());
        assertEquals(50, s.maxReqsPerMin());
    }

    @Test
    void toStringNeverShowsSecrets() throws Exception {
        Settings s = SettingsLoader.fromMap(Map.of("OPENAI_KEY", "sk-secret-value", "ADMIN_API_KEY", "admin-secret-value-123"));
        assertFalse(s.toString().contains("sk-secret-value"));
        assertFalse(s.toString().contains("admin-secret-value-123"));
        assertTrue(s.toString().contains("openaiKey=set"));
    }

    @Test
    void anSmtpRelayIsCheckedWhole() throws Exception {
        Settings s = SettingsLoader.fromMap(Map.of("ALERT_SMTP_HOST", "smtp.example.com", "ALERT_EMAIL_FROM", "bg@example.com",
                "ALERT_SMTP_USERNAME", "bg", "ALERT_SMTP_PASSWORD", "smtp-secret-value", "ALERT_EMAIL_TO", "a@example.com, b@example.com"));
        assertEquals(587, s.alertSmtp().port());
        assertEquals(io.budgetguard.alert.SmtpRelay.Tls.STARTTLS, s.alertSmtp().tls(), "STARTTLS, required, by default");
        assertEquals(List.of("a@example.com", "b@example.com"), s.alertSmtp().to());
        assertFalse(s.alertSmtp().toString().contains("smtp-secret-value"));
        assertEquals(null, SettingsLoader.fromMap(Map.of()).alertSmtp(), "no relay, no email alerts");

        ConfigException e = assertThrows(ConfigException.class, () -> SettingsLoader.fromMap(Map.of("ALERT_SMTP_HOST", "smtp.example.com",
                "ALERT_SMTP_TLS", "none", "ALERT_SMTP_USERNAME", "bg", "ALERT_SMTP_PASSWORD", "smtp-secret-value",
                "ALERT_EMAIL_TO", "not-an-address", "ALERT_SMTP_CA_FILE", "/nonexistent.pem")));
        List<String> p = e.problems();
        assertTrue(p.stream().anyMatch(l -> l.startsWith("ALERT_SMTP_TLS: none would send ALERT_SMTP_PASSWORD in clear")), p.toString());
        assertTrue(p.stream().anyMatch(l -> l.startsWith("ALERT_EMAIL_FROM: ")), p.toString());
        assertTrue(p.stream().anyMatch(l -> l.startsWith("ALERT_EMAIL_TO: ")), p.toString());
        assertTrue(p.stream().anyMatch(l -> l.startsWith("ALERT_SMTP_CA_FILE: ")), p.toString());
        assertFalse(p.toString().contains("smtp-secret-value"));

        assertTrue(assertThrows(ConfigException.class, () -> SettingsLoader.fromMap(Map.of("ALERT_EMAIL_TO", "a@example.com")))
                .problems().get(0).startsWith("ALERT_SMTP_HOST: "), "recipients without a relay are a mistake, said at start");
        assertTrue(assertThrows(ConfigException.class, () -> SettingsLoader.fromMap(Map.of("ALERT_SMTP_HOST", "smtp.example.com",
                "ALERT_EMAIL_FROM", "bg@example.com", "ALERT_SMTP_USERNAME", "bg"))).problems().get(0)
                .startsWith("ALERT_SMTP_USERNAME: set both"));
    }

    @Test
    void stripeShowbackIsOnWithAKeyAndItsBoundsAreChecked() throws Exception {
        assertEquals(null, SettingsLoader.fromMap(Map.of()).stripe());
        Settings s = SettingsLoader.fromMap(Map.of("STRIPE_API_KEY", "sk_test_4eC39HqLyjWDarjtT1zdp7dc"));
        assertEquals(100, s.stripe().batchRows());
        assertEquals("https://api.stripe.com", s.stripe().apiBase().toString());
        assertFalse(s.stripe().toString().contains("4eC39HqLyjWDarjtT1zdp7dc"));
        assertEquals(1_000, SettingsLoader.fromMap(Map.of("STRIPE_API_KEY", "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
                "STRIPE_BATCH_ROWS", "1000")).stripe().batchRows(), "the limit itself");
        ConfigException e = assertThrows(ConfigException.class, () -> SettingsLoader.fromMap(Map.of("STRIPE_API_KEY", "pk_live_abcdefgh123",
                "STRIPE_BATCH_ROWS", "1001", "STRIPE_API_BASE", "ftp://stripe", "STRIPE_METER_EVENT_NAME", "has space")));
        List<String> p = e.problems();
        for (String v : List.of("STRIPE_API_KEY: ", "STRIPE_BATCH_ROWS: ", "STRIPE_API_BASE: ", "STRIPE_METER_EVENT_NAME: ")) {
            assertTrue(p.stream().anyMatch(l -> l.startsWith(v)), v + " in " + p);
        }
        assertFalse(p.toString().contains("abcdefgh123"), "a key is never echoed");
    }

    @Test
    void reconciliationNeedsAdminKeysAndBoundsItsCheck() throws Exception {
        assertEquals(null, SettingsLoader.fromMap(Map.of()).reconcile());
        Settings s = SettingsLoader.fromMap(Map.of("RECONCILE_ANTHROPIC_ADMIN_KEY", "sk-ant-admin01-abcdefgh"));
        assertEquals(null, s.reconcile().openai());
        assertEquals("anthropic", s.reconcile().anthropic().provider());
        assertEquals(1_000_000, s.reconcile().thresholdMicroUsd());
        assertFalse(s.reconcile().toString().contains("abcdefgh"));
        assertEquals(31, SettingsLoader.fromMap(Map.of("RECONCILE_OPENAI_ADMIN_KEY", "sk-admin-abcdefgh", "RECONCILE_DAYS", "31"))
                .reconcile().days(), "the limit itself");
        ConfigException e = assertThrows(ConfigException.class, () -> SettingsLoader.fromMap(Map.of("RECONCILE_OPENAI_ADMIN_KEY",
                "sk-proj-abcdefgh", "RECONCILE_DAYS", "32", "RECONCILE_THRESHOLD_PCT", "101")));
        List<String> p = e.problems();
        for (String v : List.of("RECONCILE_OPENAI_ADMIN_KEY: ", "RECONCILE_DAYS: ", "RECONCILE_THRESHOLD_PCT: ")) {
            assertTrue(p.stream().anyMatch(l -> l.startsWith(v)), v + " in " + p);
        }
        assertFalse(p.toString().contains("abcdefgh"), "a key is never echoed");
    }
}
