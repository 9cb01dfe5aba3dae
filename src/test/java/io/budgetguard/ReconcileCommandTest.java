package io.budgetguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.store.Database;
import io.budgetguard.testing.ProviderCostReports;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code budgetguard reconcile --from --to}: prints the comparison, exits 1 on a flagged day and 0 when every day agrees. */
class ReconcileCommandTest {
    @TempDir
    Path dir;
    final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();

    int reconcile(Map<String, String> env, String... args) {
        out.reset();
        err.reset();
        String[] all = new String[args.length + 1];
        all[0] = "reconcile";
        System.arraycopy(args, 0, all, 1, args.length);
        return Main.run(all, env, dir, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), false);
    }

    @Test
    void aFlaggedDayFailsTheCommandAndAgreeingDaysPass() throws Exception {
        LocalDate d2 = LocalDate.now(ZoneOffset.UTC).minusDays(2), d1 = d2.plusDays(1);
        Path data = dir.resolve("data");
        try (Database db = Database.embedded(data)) {
            db.migrate();
            try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("INSERT INTO usage_ledger (request_id, tenant_id,"
                    + " api_key_id, endpoint, model, status, prompt_tokens, cached_tokens, completion_tokens, estimated_cost_usd, cost_usd,"
                    + " upstream_status, started_at, finished_at, latency_ms, provider) VALUES (?, 'acme', 'key_1', '/v1/chat/completions',"
                    + " 'gpt-4o', 'ok', 10, 0, 5, 2, 2, 200, ?, ?, 10, 'openai')")) {
                for (LocalDate d : new LocalDate[] {d2, d1}) {
                    ps.setString(1, "r-" + d);
                    ps.setObject(2, d.atTime(9, 0).atOffset(ZoneOffset.UTC));
                    ps.setObject(3, d.atTime(9, 1).atOffset(ZoneOffset.UTC));
                    ps.executeUpdate();
                }
            }
        }
        try (ProviderCostReports costs = new ProviderCostReports()) {
            costs.openai.add(new ProviderCostReports.Cost(d2, "proj_a", "gpt-4o-2024-08-06, input", new BigDecimal("2")));
            costs.openai.add(new ProviderCostReports.Cost(d1, "proj_a", "gpt-4o-2024-08-06, input", new BigDecimal("9.5")));
            Map<String, String> env = Map.of("BUDGETGUARD_DATA_DIR", data.toString(), "RECONCILE_OPENAI_ADMIN_KEY",
                    ProviderCostReports.OPENAI_ADMIN_KEY, "RECONCILE_OPENAI_BASE_URL", costs.baseUrl());
            assertEquals(1, reconcile(env, "--from", d2.toString(), "--to", d1.toString()), out + " " + err);
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("FLAGGED " + d1 + " openai: billed $9.50, ledger $2.00"), out.toString());
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("2 rows compared, 1 days flagged"), out.toString());
            assertEquals(0, reconcile(env, "--from", d2.toString(), "--to", d2.toString()), out.toString());
            assertEquals(2, reconcile(env, "--from", d1.toString(), "--to", d2.toString()));
            assertEquals(2, reconcile(env, "--from", "yesterday", "--to", d2.toString()));
            assertEquals(2, reconcile(env, "--from", d2.toString()));
            assertEquals(1, reconcile(Map.of("BUDGETGUARD_DATA_DIR", data.toString()), "--from", d2.toString(), "--to", d2.toString()),
                    "nothing to reconcile with is an error, said as such");
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("RECONCILE_OPENAI_ADMIN_KEY"));
        }
    }
}
