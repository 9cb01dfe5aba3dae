package io.budgetguard.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.TestGateway;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmbeddedBudgetEnforcementTest extends BudgetEnforcementContract {
    @Override
    Map<String, String> env() {
        return Map.of();
    }

    @Test
    void aRestartNeitherForgetsSpendNorRefusesRequestsThatFit() throws Exception {
        long est = estimateMicroUsd();
        String key = tenantWithBudget("durable", 3 * est, 100);
        upstream.completionAtMaxTokens();
        assertEquals(200, gw.postJson("/v1/chat/completions", key, BODY).statusCode());
        long spent = micros(monthly("durable").get("spent_usd"));
        assertTrue(spent > 0);
        String dataDir = gw.dataDir().toString();
        gw.closeKeepingData();
        gw = TestGateway.start(upstream, Map.of("BUDGETGUARD_DATA_DIR", dataDir), Clock.systemUTC());
        assertEquals(spent, micros(monthly("durable").get("spent_usd")), "spend rebuilt from the ledger");
        assertEquals(200, gw.postJson("/v1/chat/completions", key, BODY).statusCode(), "a request that fits passes");
        assertEquals(200, gw.postJson("/v1/chat/completions", key, BODY).statusCode());
        assertEquals(402, gw.postJson("/v1/chat/completions", key, BODY).statusCode(), "the cap survives the restart");
    }

    @Test
    void aReservationLeftByAProcessThatDiedBecomesAnExpiredLedgerRowAtItsEstimate() throws Exception {
        String key = tenantWithBudget("crashed", 10_000_000, 100);
        try (var c = gw.sql(); var st = c.createStatement()) {
            st.executeUpdate("INSERT INTO reservations (request_id, tenant_id, api_key_id, endpoint, model, estimated_cost_usd, started_at) "
                    + "VALUES ('req_inflight', 'crashed', 'key_x', '/v1/chat/completions', 'gpt-4o-mini', 0.000321, CURRENT_TIMESTAMP)");
        }
        String dataDir = gw.dataDir().toString();
        gw.closeKeepingData();
        gw = TestGateway.start(upstream, Map.of("BUDGETGUARD_DATA_DIR", dataDir), Clock.systemUTC());
        assertEquals(1, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE request_id = 'req_inflight' AND status = 'expired' "
                + "AND cost_usd = 0.000321 AND estimated_cost_usd = 0.000321"));
        assertEquals(0, gw.sqlLong("SELECT COUNT(*) FROM reservations"));
        assertEquals(321, micros(monthly("crashed").get("spent_usd")));
        assertEquals(200, gw.postJson("/v1/chat/completions", key, BODY).statusCode());
        assertEquals(0, gw.sqlLong("SELECT COUNT(*) FROM reservations"), "the journal row goes with the ledger row");
    }
}
