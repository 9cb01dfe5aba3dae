package io.budgetguard.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.core.UsageEvent;
import io.budgetguard.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ledger's hash chain, per tenant: rows numbered in the order written, each hash chained to the previous one;
 * verification finds a row edited, removed or added behind the append-only trigger's back, and an export's head
 * finds a chain rewritten consistently.
 */
abstract class LedgerChainContract {
    Database db;
    Ledger ledger;
    Instant t0 = Instant.parse("2026-12-02T10:00:00.123456789Z");

    /** A migrated database of the dialect under test. */
    abstract Database openDatabase() throws Exception;

    /** Whether the ledger under test journals reservations (the embedded group commit) or appends batches (a worker). */
    abstract boolean journaled();

    /** Runs SQL on the ledger with its append-only trigger out of the way, as someone with the database's keys could. */
    abstract void behindTheTriggersBack(String sql) throws SQLException;

    @BeforeEach
    void open() throws Exception {
        db = openDatabase();
        ledger = new Ledger(db, journaled());
    }

    @AfterEach
    void close() {
        ledger.close();
        db.close();
    }

    UsageEvent event(String id, String tenant, long cost, int i) {
        Instant at = t0.plusMillis(i * 1_000L);
        return new UsageEvent(id, tenant, "key_1", "/v1/chat/completions", "openai", "gpt-4o", UsageEvent.Status.OK, 10 + i, 0, 0,
                5, cost + 10, cost, 200, at, at.plusNanos(42_000_500), i % 2 == 0 ? "user-" + i : null, i % 3 == 0 ? "team=a" : "");
    }

    void append(UsageEvent e) {
        if (journaled()) ledger.append(e);
        else ledger.appendBatch(List.of(e));
    }

    List<ChainVerification.Result> verify() {
        List<ChainVerification.Result> out = new ArrayList<>();
        ledger.chains().verify(null, out::add);
        return out;
    }

    ChainVerification.Result verify(String tenant) {
        List<ChainVerification.Result> out = new ArrayList<>();
        ledger.chains().verify(tenant, out::add);
        assertEquals(1, out.size());
        return out.get(0);
    }

    void appendFive(String tenant) {
        for (int i = 1; i <= 5; i++) append(event(tenant + "-req-" + i, tenant, 1_000 * i, i));
    }

    @Test
    void rowsAreNumberedPerTenantAndEachHashChainsToThePrevious() throws Exception {
        for (int i = 1; i <= 5; i++) {
            append(event("acme-" + i, "acme", 100 * i, i));
            if (i <= 3) append(event("beta-" + i, "beta", 7 * i, i));
        }
        List<ChainVerification.Result> results = verify();
        assertEquals(List.of("acme", "beta"), results.stream().map(ChainVerification.Result::tenantId).toList());
        assertTrue(results.stream().allMatch(ChainVerification.Result::intact), results.toString());
        assertEquals(5, results.get(0).chainedRows());
        assertEquals(3, results.get(1).chainedRows());
        assertEquals(List.of(results.get(0).head(), results.get(1).head()), ledger.chains().heads(List.of("acme", "beta", "nobody")));
        try (Connection c = db.connection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT request_id, chain_seq FROM usage_ledger WHERE tenant_id = 'acme' ORDER BY chain_seq")) {
            for (int i = 1; i <= 5; i++) {
                assertTrue(rs.next());
                assertEquals("acme-" + i, rs.getString(1));
                assertEquals(i, rs.getLong(2));
            }
        }
    }

    @Test
    void aRowAppendedTwiceTakesOneLinkAndAReopenedLedgerContinuesTheChain() throws Exception {
        append(event("r1", "acme", 5, 1));
        append(event("r1", "acme", 5, 1));
        append(event("r2", "acme", 6, 2));
        ledger.close();
        ledger = new Ledger(db, journaled());
        append(event("r2", "acme", 6, 2));
        append(event("r3", "acme", 7, 3));
        ChainVerification.Result r = verify("acme");
        assertTrue(r.intact(), r.toString());
        assertEquals(3, r.chainedRows());
        assertEquals(3, r.head().seq());
    }

    @Test
    void anEditedRowIsFoundAtItsLink() throws Exception {
        appendFive("acme");
        appendFive("beta");
        behindTheTriggersBack("UPDATE usage_ledger SET cost_usd = 0.000001 WHERE request_id = 'acme-req-3'");
        ChainVerification.Result acme = verify("acme");
        assertFalse(acme.intact());
        assertEquals(3, acme.firstBreak().seq());
        assertEquals("acme-req-3", acme.firstBreak().requestId());
        assertTrue(acme.firstBreak().problem().startsWith("the row does not match its hash"), acme.firstBreak().problem());
        assertEquals(2, acme.chainedRows(), "the rows before it are intact");
        assertTrue(verify("beta").intact(), "another tenant's chain is its own");
    }

    @Test
    void anEditOfAnyColumnIsFound() throws Exception {
        String[] edits = {"tenant_id = 'acme'", "model = 'gpt-4o-mini'", "completion_tokens = 4", "end_user = 'someone-else'",
                "tags = ''", "finished_at = started_at", "status = 'expired'", "estimated_cost_usd = 1"};
        for (int i = 0; i < edits.length; i++) append(event("row-" + i, "t" + i, 1_000, 3));
        for (int i = 0; i < edits.length; i++) {
            behindTheTriggersBack("UPDATE usage_ledger SET " + edits[i] + " WHERE request_id = 'row-" + i + "'");
        }
        for (ChainVerification.Result r : verify()) assertFalse(r.intact(), r.tenantId() + " edited: " + r);
    }

    @Test
    void aRemovedRowIsFoundAndARemovedLastRowByTheExportsHead() throws Exception {
        appendFive("acme");
        ChainVerification.Head exported = verify("acme").head();
        behindTheTriggersBack("DELETE FROM usage_ledger WHERE request_id = 'acme-req-5'");
        assertTrue(verify("acme").intact(), "a chain cut at its end still chains");
        ChainVerification.Result against = ledger.chains().verifyAgainst(exported);
        assertFalse(against.intact());
        assertTrue(against.firstBreak().problem().startsWith("the chain ends before row 5"), against.firstBreak().problem());

        behindTheTriggersBack("DELETE FROM usage_ledger WHERE request_id = 'acme-req-2'");
        ChainVerification.Result r = verify("acme");
        assertEquals(2, r.firstBreak().seq());
        assertNull(r.firstBreak().requestId());
        assertEquals("rows 2 are missing (removed)", r.firstBreak().problem());
    }

    @Test
    void anAddedRowIsFound() throws Exception {
        appendFive("acme");
        behindTheTriggersBack("INSERT INTO usage_ledger (request_id, tenant_id, api_key_id, endpoint, model, status, prompt_tokens,"
                + " cached_tokens, completion_tokens, estimated_cost_usd, cost_usd, upstream_status, started_at, finished_at,"
                + " latency_ms, provider, cache_write_tokens, end_user, tags, chain_seq, chain_hash)"
                + " SELECT 'forged', tenant_id, api_key_id, endpoint, model, status, prompt_tokens, cached_tokens,"
                + " completion_tokens, estimated_cost_usd, cost_usd, upstream_status, started_at, finished_at, latency_ms,"
                + " provider, cache_write_tokens, end_user, tags, chain_seq, chain_hash FROM usage_ledger WHERE request_id = 'acme-req-3'");
        ChainVerification.Result r = verify("acme");
        assertFalse(r.intact());
        assertEquals(3, r.firstBreak().seq());
        assertTrue(r.firstBreak().problem().startsWith("a second row numbered 3"), r.firstBreak().problem());
    }

    @Test
    void aChainRewrittenConsistentlyPassesOnItsOwnButNotAgainstAnExportsHead() throws Exception {
        appendFive("acme");
        ChainVerification.Head exported = verify("acme").head();
        assertTrue(ledger.chains().verifyAgainst(exported).intact());
        behindTheTriggersBack("UPDATE usage_ledger SET cost_usd = 0 WHERE request_id = 'acme-req-2'");
        rehashFrom("acme", 2);
        assertTrue(verify("acme").intact(), "whoever knows the hash can recompute the chain");
        ChainVerification.Result r = ledger.chains().verifyAgainst(exported);
        assertFalse(r.intact());
        assertTrue(r.firstBreak().problem().contains("the chain up to it was rewritten"), r.firstBreak().problem());
    }

    /** What a careful forger does: recompute every hash from row {@code seq} on. */
    private void rehashFrom(String tenant, long seq) throws SQLException {
        List<String[]> rows = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("ledger_chain_rows"))) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                String prev = LedgerChain.GENESIS_HASH;
                while (rs.next()) {
                    long s = rs.getLong(20);
                    String h = s < seq ? rs.getString(21) : LedgerChain.hash(prev, s, ChainVerification.event(rs), rs.getLong(17));
                    if (s >= seq) rows.add(new String[] {rs.getString(1), h});
                    prev = h;
                }
            }
        }
        for (String[] r : rows) behindTheTriggersBack("UPDATE usage_ledger SET chain_hash = '" + r[1] + "' WHERE request_id = '" + r[0] + "'");
    }
}
