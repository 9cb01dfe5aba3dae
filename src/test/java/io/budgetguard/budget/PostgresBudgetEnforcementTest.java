package io.budgetguard.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.budgetguard.testing.GatewayProcess;
import io.budgetguard.testing.PostgresDb;
import io.budgetguard.testing.RedisServer;
import io.budgetguard.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Production mode: tenants and ledger in Postgres, counters in Redis, several gateway processes. */
class PostgresBudgetEnforcementTest extends BudgetEnforcementContract {
    static RedisServer redis;
    String databaseUrl;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        redis.close();
    }

    @Override
    Map<String, String> env() {
        databaseUrl = PostgresDb.create();
        return Map.of("REDIS_URL", redis.url(), "DATABASE_URL", databaseUrl, "WORKER_PERIOD_MS", "100");
    }

    @Test
    void theRaceHoldsAcrossTwoGatewayProcessesOnOnePostgresAndOneRedis() throws Exception {
        long est = estimateMicroUsd();
        long limit = 15 * est + est / 2;
        String key = tenantWithBudget("pg-procs", limit, 100_000);
        upstream.completionAtMaxTokens();
        try (GatewayProcess other = GatewayProcess.start(Map.of("REDIS_URL", redis.url(), "DATABASE_URL", databaseUrl,
                "OPENAI_BASE_URL", upstream.baseUrl(), "OPENAI_KEY", TestGateway.UPSTREAM_KEY, "ADMIN_API_KEY", TestGateway.ADMIN_KEY,
                "BUDGETGUARD_DATA_DIR", java.nio.file.Files.createTempDirectory("unused").toString()))) {
            List<HttpResponse<String>> all = race(List.of(gw.url(""), other.baseUrl()), key, 200);
            assertRaceOutcome(all, limit, "pg-procs");
        }
    }

    @Test
    void theUsageReportByDayWorksOnPostgres() throws Exception {
        String key = tenantWithBudget("pg-report", 10_000_000, 100);
        assertEquals(200, gw.postJson("/v1/chat/completions", key, BODY).statusCode());
        awaitLedgerRows("pg-report", 1);
        HttpResponse<String> r = gw.admin("GET", "/admin/tenant/pg-report/usage?group_by=day", null);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(1, TestGateway.json(r.body()).at("/total/requests").asInt());
        assertEquals(java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString(), TestGateway.json(r.body()).at("/rows/0/key").asText());
    }
}
