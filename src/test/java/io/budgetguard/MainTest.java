package io.budgetguard;

import io.budgetguard.store.Database;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
    @TempDir
    Path dir;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    int run(Map<String, String> env, String... args) {
        return Main.run(args, env, dir, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void helpPrintsUsageAndSucceeds() {
        assertEquals(0, run(Map.of(), "--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("serve"));
    }

    @Test
    void versionPrintsTheVersion() {
        assertEquals(0, run(Map.of(), "--version"));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("budgetguard "));
    }

    @Test
    void anUnknownCommandPrintsUsageAndExits2() {
        assertEquals(2, run(Map.of(), "serv"));
        assertTrue(err().contains("unknown command 'serv'") && err().contains("Usage:"));
    }

    @Test
    void anUnknownFlagPrintsUsageAndExits2() {
        assertEquals(2, run(Map.of(), "--verbose"));
        assertTrue(err().contains("unknown option '--verbose'"));
    }

    @Test
    void noCommandExits2() {
        assertEquals(2, run(Map.of()));
    }

    @Test
    void badConfigurationExitsNonZeroNamingTheVariable() {
        assertEquals(1, run(Map.of("PORT", "http"), "serve"));
        assertTrue(err().contains("PORT:"), err());
    }

    @Test
    void migrateAndSeedWorkOnAFreshDataDirectory() {
        Map<String, String> env = Map.of("BUDGETGUARD_DATA_DIR", dir.resolve("data").toString());
        assertEquals(0, run(env, "migrate"));
        assertEquals(0, run(env, "seed"));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("Created tenant 'demo'"), printed);
        assertTrue(printed.lines().anyMatch(l -> l.startsWith("bg_") && l.length() > 40), "the key is printed once");
        assertEquals(0, run(env, "seed"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("already exists"));
    }

    @Test
    void seedPrintsAnAdminKeyOnceAndItOpensTheAdminApiWithNoAdminApiKeySet() throws Exception {
        Map<String, String> env = Map.of("BUDGETGUARD_DATA_DIR", dir.resolve("data").toString());
        assertEquals(0, run(env, "seed"));
        java.util.List<String> adminKeys = out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("bg_admin_")).toList();
        assertEquals(1, adminKeys.size(), "one admin key, printed once");
        assertEquals(0, run(env, "seed"));
        assertEquals(1, out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("bg_admin_")).count(),
                "a second seed makes no second admin key");
        Map<String, String> serve = new java.util.HashMap<>(env);
        serve.putAll(Map.of("PORT", "0", "HOST", "127.0.0.1", "OPA_POLICY_PATH", "off"));
        try (Gateway gw = Gateway.start(io.budgetguard.config.SettingsLoader.fromMap(serve), java.time.Clock.systemUTC())) {
            var client = java.net.http.HttpClient.newHttpClient();
            java.util.function.Function<String, Integer> tenants = key -> {
                try {
                    return client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + gw.port()
                            + "/admin/tenants")).header("X-Admin-Key", key).build(),
                            java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            assertEquals(200, tenants.apply(adminKeys.get(0)));
            assertEquals(401, tenants.apply("bg_admin_not-the-key-0123456789"));
        }
        try (Database db = Gateway.openDatabase(io.budgetguard.config.SettingsLoader.fromMap(env));
             var c = db.connection(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT key_hash FROM admin_keys")) {
            rs.next();
            assertEquals(io.budgetguard.auth.KeyMaterial.hash(adminKeys.get(0)), rs.getString(1).trim(), "stored only as its hash");
        }
    }

    @Test
    void aGatewayRefusesToStartWhilePostgresIsDownSayingSo() {
        // Nothing listens on port 9: migrations cannot run, so the process exits 1 with one line naming the cause.
        assertEquals(1, run(Map.of("DATABASE_URL", "postgresql://budgetguard:x@127.0.0.1:9/none", "DB_TIMEOUT_MS", "500",
                "PORT", "0"), "serve"));
        assertTrue(err().contains("database unavailable"), err());
    }

    @Test
    void aWorkerWithoutSharedCountersExplainsWhyAndExits2() {
        assertEquals(2, run(Map.of("BUDGETGUARD_DATA_DIR", dir.resolve("data").toString()), "worker"));
        assertTrue(err().contains("REDIS_URL"), err());
    }

    @Test
    void serveStartsAndStops() {
        assertEquals(0, run(Map.of("BUDGETGUARD_DATA_DIR", dir.resolve("data").toString(), "PORT", "0", "HOST", "127.0.0.1"), "all"));
    }
}
