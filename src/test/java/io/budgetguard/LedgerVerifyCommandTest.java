package io.budgetguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.store.Database;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.ShiftableClock;
import io.budgetguard.testing.TestGateway;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code budgetguard ledger verify}: after real traffic the chains are intact and the export's heads match them;
 * a row edited behind the append-only trigger's back is reported with its row and request, and the command fails.
 */
class LedgerVerifyCommandTest {
    static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    Path workDir;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    int ledger(Path dataDir, String... args) {
        out.reset();
        err.reset();
        String[] all = new String[args.length + 1];
        all[0] = "ledger";
        System.arraycopy(args, 0, all, 1, args.length);
        return Main.run(all, Map.of("BUDGETGUARD_DATA_DIR", dataDir.toString()), workDir,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), false);
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void verifyPassesAfterTrafficAndFindsAnEditedRowAndTheExportsHeadsMatch() throws Exception {
        Path dataDir;
        String token;
        try (FakeOpenAI upstream = new FakeOpenAI()) {
            upstream.completionAtMaxTokens();
            TestGateway gw = TestGateway.start(upstream, Map.of(), new ShiftableClock());
            dataDir = gw.dataDir();
            gw.admin("POST", "/admin/tenant", "{\"id\":\"acme\"}");
            gw.admin("POST", "/admin/tenant", "{\"id\":\"beta\"}");
            String acme = gw.newKey("acme"), beta = gw.newKey("beta");
            for (int i = 0; i < 3; i++) assertEquals(200, gw.postJson("/v1/chat/completions", acme, CHAT).statusCode());
            assertEquals(200, gw.postJson("/v1/chat/completions", beta, CHAT).statusCode());

            var heads = TestGateway.json(gw.admin("GET", "/admin/ledger/heads", null).body()).get("heads");
            assertEquals(2, heads.size());
            token = heads.get(0).get("token").asText();
            assertTrue(token.matches("acme:3:[0-9a-f]{64}"), token);
            var export = gw.send(gw.request("/admin/usage/export?from=" + java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1)
                    + "&to=" + java.time.LocalDate.now(java.time.ZoneOffset.UTC).plusDays(1))
                    .header("X-Admin-Key", TestGateway.ADMIN_KEY).GET());
            assertEquals(200, export.statusCode());
            assertEquals(token + "," + heads.get(1).get("token").asText(),
                    export.headers().firstValue("X-BudgetGuard-Ledger-Heads").orElseThrow(), "the export carries the chain heads");
            var verified = TestGateway.json(gw.admin("GET", "/admin/ledger/verify", null).body());
            assertTrue(verified.get("intact").asBoolean(), verified.toString());
            assertEquals(400, gw.admin("GET", "/admin/ledger/verify?tenant=Not%20an%20id", null).statusCode());
            assertEquals(400, gw.admin("GET", "/admin/ledger/heads?other=1", null).statusCode());
            gw.closeKeepingData();
        }

        assertEquals(0, ledger(dataDir, "verify"), out() + err);
        assertTrue(out().contains("acme: intact, 3 rows chained, head " + token), out());
        assertTrue(out().contains("2 tenants checked, every chain intact"), out());
        assertEquals(0, ledger(dataDir, "verify", "--head", token), out());

        try (Database db = Database.embedded(dataDir); Connection c = db.connection(); Statement st = c.createStatement()) {
            st.execute("DROP TRIGGER usage_ledger_no_update");
            st.execute("UPDATE usage_ledger SET cost_usd = 0 WHERE tenant_id = 'acme' AND chain_seq = 2");
            st.execute("CREATE TRIGGER usage_ledger_no_update BEFORE UPDATE ON usage_ledger FOR EACH ROW CALL 'io.budgetguard.store.AppendOnlyTrigger'");
        }
        assertEquals(1, ledger(dataDir, "verify"), out());
        assertTrue(out().contains("acme: BROKEN at row 2 (request "), out());
        assertTrue(out().contains("the row does not match its hash"), out());
        assertTrue(out().contains("1 rows before it intact"), out());
        assertTrue(out().contains("beta: intact, 1 rows chained"), out());
        assertTrue(out().contains("2 tenants checked, 1 broken"), out());
        assertEquals(0, ledger(dataDir, "verify", "--tenant", "beta"), out());
        assertEquals(1, ledger(dataDir, "verify", "--head", token), out());
    }

    @Test
    void badUsageExits2() {
        assertEquals(2, ledger(workDir, "check"));
        assertEquals(2, ledger(workDir, "verify", "--head", "acme:0:abc"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--head: "), err.toString(StandardCharsets.UTF_8));
        assertEquals(2, ledger(workDir, "verify", "--tenant"));
        assertEquals(2, ledger(workDir, "verify", "--everything", "x"));
    }
}
