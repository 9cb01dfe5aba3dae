package io.budgetguard.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.GatewayProcess;
import io.budgetguard.testing.Load;
import io.budgetguard.testing.PostgresDb;
import io.budgetguard.testing.RedisServer;
import io.budgetguard.testing.TestGateway;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Production mode under faults, with real servers on loopback: afterwards ledger rows == upstream calls,
 * no duplicate request id, every reservation settled, and the counters never below the ledger.
 */
class FaultToleranceTest {
    static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    static void awaitTrue(java.util.concurrent.Callable<Boolean> c, long ms, String what) throws Exception {
        long end = System.currentTimeMillis() + ms;
        while (System.currentTimeMillis() < end) {
            try {
                if (c.call()) return;
            } catch (Exception e) {
                // a server still coming back: try again until the deadline
            }
            Thread.sleep(100);
        }
        assertTrue(c.call(), what);
    }

    static long micros(String usd) {
        return new BigDecimal(usd).movePointRight(6).longValueExact();
    }

    static String tenant(TestGateway gw, String id) throws Exception {
        gw.admin("POST", "/admin/tenant", "{\"id\":\"" + id + "\",\"rate_limit_per_min\":100000,"
                + "\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":1000}]}");
        return gw.newKey(id);
    }

    /** The invariants every fault test ends with. */
    static void assertLedgerExact(TestGateway gw, FakeOpenAI upstream, String tenant) throws Exception {
        awaitTrue(() -> gw.sqlLong("SELECT COUNT(*) FROM usage_ledger") == upstream.calls(), 60_000,
                "ledger rows == upstream calls (" + upstream.calls() + ")");
        assertEquals(gw.sqlLong("SELECT COUNT(*) FROM usage_ledger"), gw.sqlLong("SELECT COUNT(DISTINCT request_id) FROM usage_ledger"));
        awaitTrue(() -> micros(TestGateway.json(gw.admin("GET", "/admin/tenant/" + tenant, null).body())
                .at("/budgets/0/reserved_usd").asText()) == 0, 60_000, "every reservation settled");
        long counted = micros(TestGateway.json(gw.admin("GET", "/admin/tenant/" + tenant, null).body()).at("/budgets/0/spent_usd").asText());
        long ledger = gw.sqlLong("SELECT CAST(COALESCE(SUM(cost_usd), 0) * 1000000 AS BIGINT) FROM usage_ledger");
        assertTrue(counted >= ledger, "counters " + counted + " never below the ledger " + ledger);
    }

    @Test
    void redisKilledAndRestartedWithAofUnderLoadLosesNoLedgerRow() throws Exception {
        try (RedisServer redis = RedisServer.start("--appendonly", "yes", "--appendfsync", "always");
             FakeOpenAI upstream = new FakeOpenAI();
             TestGateway gw = TestGateway.start(upstream, Map.of("REDIS_URL", redis.url(), "WORKER_PERIOD_MS", "100",
                     "RESERVATION_TIMEOUT_S", "10", "REDIS_TIMEOUT_MS", "500"), Clock.systemUTC())) {
            String key = tenant(gw, "aof");
            try (Load load = new Load(gw.url("/v1/chat/completions"), key, CHAT, 4, 60_000)) {
                awaitTrue(() -> load.count(200) >= 20, 20_000, "traffic flows");
                redis.crashAndRestart(1_500);
                int before = load.count(200);
                awaitTrue(() -> load.count(200) >= before + 20, 30_000, "served again after Redis returns, without a gateway restart");
                assertTrue(load.count(503) > 0, "requests during the outage failed closed: " + load.statuses());
                assertEquals(java.util.Set.of(200, 503), load.statuses().keySet(), "nothing but served or refused: " + load.statuses());
            }
            assertLedgerExact(gw, upstream, "aof");
        }
    }

    @Test
    void postgresStoppedForThirtySecondsUnderLoadTheGatewayKeepsServingAndTheWorkerCatchesUp() throws Exception {
        String cluster = localCluster();
        String db = PostgresDb.create();
        try (RedisServer redis = RedisServer.start("--appendonly", "yes", "--appendfsync", "always");
             FakeOpenAI upstream = new FakeOpenAI();
             TestGateway gw = TestGateway.start(upstream, Map.of("REDIS_URL", redis.url(), "DATABASE_URL", db,
                     "WORKER_PERIOD_MS", "100", "DB_TIMEOUT_MS", "500"), Clock.systemUTC())) {
            String key = tenant(gw, "pgdown");
            try (Load load = new Load(gw.url("/v1/chat/completions"), key, CHAT, 4, 120_000)) {
                awaitTrue(() -> load.count(200) >= 20, 20_000, "traffic flows");
                pgctl(cluster, "stop");
                int okBefore;
                try {
                    okBefore = load.count(200);
                    awaitTrue(() -> load.count(200) - okBefore > 100, 60_000, "kept serving on Redis while Postgres is down");
                    gw.awaitWorkerPasses("ledger_drain", 3);
                    String metrics = gw.send(gw.request("/metrics").GET()).body();
                    assertTrue(metrics.contains("budgetguard_ledger_pending_events ") && !metrics.contains("budgetguard_ledger_pending_events 0\n"),
                            "the backlog is visible while Postgres is down");
                    assertEquals(java.util.Set.of(200), load.statuses().keySet(), "Postgres down refuses nothing: " + load.statuses());
                } finally {
                    pgctl(cluster, "start");
                }
            }
            assertLedgerExact(gw, upstream, "pgdown");
        }
    }

    @Test
    void aWorkerKilledMidDrainLosesAndDuplicatesNothing() throws Exception {
        String db = PostgresDb.create();
        try (RedisServer redis = RedisServer.start("--appendonly", "yes", "--appendfsync", "always");
             FakeOpenAI upstream = new FakeOpenAI()) {
            Map<String, String> env = new java.util.HashMap<>(Map.of("REDIS_URL", redis.url(), "DATABASE_URL", db,
                    "OPENAI_BASE_URL", upstream.baseUrl(), "OPENAI_KEY", TestGateway.UPSTREAM_KEY,
                    "ADMIN_API_KEY", TestGateway.ADMIN_KEY, "WORKER_PERIOD_MS", "50", "LEDGER_CLAIM_IDLE_MS", "1000",
                    "BUDGETGUARD_DATA_DIR", java.nio.file.Files.createTempDirectory("unused").toString()));
            try (GatewayProcess serve = GatewayProcess.start("serve", env)) {
                java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
                http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(serve.baseUrl() + "/admin/tenant"))
                        .header("X-Admin-Key", TestGateway.ADMIN_KEY).header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"id\":\"drained\",\"rate_limit_per_min\":100000,"
                                + "\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":1000}]}")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                String key = TestGateway.json(http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(serve.baseUrl() + "/admin/tenant/drained/apikeys"))
                        .header("X-Admin-Key", TestGateway.ADMIN_KEY).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body()).get("key").asText();
                try (Load load = new Load(serve.baseUrl() + "/v1/chat/completions", key, CHAT, 8, 60_000)) {
                    awaitTrue(() -> load.count(200) >= 1_500, 60_000, "a backlog builds up with no worker running");
                }
                assertEquals(0, rows(db), "serve leaves draining to the workers");
                GatewayProcess doomed = GatewayProcess.start("worker", env);
                awaitTrue(() -> rows(db) > 0, 30_000, "the first worker starts draining");
                doomed.kill(); // SIGKILL, mid-drain: some entries read and not yet acknowledged
                long afterKill = rows(db);
                assertTrue(afterKill < upstream.calls(), "killed before it finished (" + afterKill + " of " + upstream.calls() + ")");
                try (GatewayProcess survivor = GatewayProcess.start("worker", env)) {
                    awaitTrue(() -> rows(db) == upstream.calls(), 60_000, "the second worker claims the rest");
                }
                assertEquals(rows(db), count(db, "SELECT COUNT(DISTINCT request_id) FROM usage_ledger"), "no duplicate request id");
            }
        }
    }

    static long rows(String db) throws Exception {
        return count(db, "SELECT COUNT(*) FROM usage_ledger");
    }

    static long count(String db, String sql) throws Exception {
        io.budgetguard.store.DatabaseUrl u = io.budgetguard.store.DatabaseUrl.parse(db);
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(u.jdbcUrl(), u.user(), u.password());
             java.sql.Statement st = c.createStatement(); java.sql.ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** "15 main" for the local Debian cluster the tests use, or a skip when Postgres is not local. */
    static String localCluster() throws Exception {
        PostgresDb.create(); // skips without Postgres
        Process p = new ProcessBuilder("pg_lsclusters", "-h").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        Assumptions.assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && !out.isEmpty(), "no local Debian cluster");
        String[] f = out.lines().findFirst().orElseThrow().split("\\s+");
        return f[0] + " " + f[1];
    }

    static void pgctl(String cluster, String action) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("pg_ctlcluster"));
        cmd.addAll(List.of(cluster.split(" ")));
        cmd.add(action);
        if (action.equals("stop")) cmd.addAll(List.of("-m", "fast"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + ": " + out);
    }
}
