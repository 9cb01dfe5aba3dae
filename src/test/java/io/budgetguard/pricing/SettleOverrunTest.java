package io.budgetguard.pricing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * When the upstream bills more than was reserved (it ignored max_tokens, or counted tokens the estimate could not
 * see), the whole actual cost is settled: in the ledger, in the counters, in /metrics; the budget's remaining goes
 * negative honestly and the next request is refused.
 */
class SettleOverrunTest {
    FakeOpenAI upstream;
    TestGateway gw;

    @BeforeEach
    void start() throws Exception {
        upstream = new FakeOpenAI();
        gw = TestGateway.start(upstream);
        gw.admin("POST", "/admin/tenant", "{\"id\":\"over\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":1}]}");
    }

    @AfterEach
    void stop() {
        gw.close();
        upstream.close();
    }

    @Test
    void anActualCostAboveTheReservationIsRecordedWholeAndCounted() throws Exception {
        String key = gw.newKey("over");
        // gpt-4o-mini output is $0.60 per 1M tokens: 5M completion tokens cost $3.00 against a $1 budget.
        upstream.usage(10, 0, 5_000_000);
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", key,
                "{\"model\":\"gpt-4o-mini\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        long costMicroUsd = Math.ceilDiv(10 * 150_000L + 5_000_000L * 600_000L, 1_000_000L);
        assertEquals(new BigDecimal(costMicroUsd).movePointLeft(6).stripTrailingZeros(),
                new BigDecimal(gw.sqlLong("SELECT CAST(cost_usd * 1000000 AS BIGINT) FROM usage_ledger WHERE tenant_id = 'over'"))
                        .movePointLeft(6).stripTrailingZeros(), "the ledger holds the whole actual cost");
        var budget = TestGateway.json(gw.admin("GET", "/admin/tenant/over", null).body()).at("/budgets/0");
        assertEquals(0, new BigDecimal("-2.000002").compareTo(budget.get("remaining_usd").decimalValue()),
                "remaining is negative by the overrun: " + budget);
        String metrics = gw.send(gw.request("/metrics").GET()).body();
        assertTrue(metrics.contains("budgetguard_settle_overrun_total 1"), metrics);
        assertTrue(TestGateway.logLines().stream().anyMatch(l -> l.contains("\"settle_overrun\"") && l.contains("over")),
                "the overrun is logged with its request id");
        HttpResponse<String> next = gw.postJson("/v1/chat/completions", key,
                "{\"model\":\"gpt-4o-mini\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(402, next.statusCode(), next.body());
    }
}
