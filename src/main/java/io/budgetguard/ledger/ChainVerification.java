package io.budgetguard.ledger;

import io.budgetguard.core.Money;
import io.budgetguard.core.UsageEvent;
import io.budgetguard.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code budgetguard ledger verify}: recomputes each tenant's hash chain from the stored rows and reports the first
 * broken link (a row edited, removed or added behind the append-only trigger's back), and the chain heads an
 * export carries so an auditor can check it against the database later.
 */
public final class ChainVerification {
    /** Rows read per round trip while a chain is recomputed. */
    static final int FETCH_ROWS = 1_000;

    /** The last link of a tenant's chain. */
    public record Head(String tenantId, long seq, String hash) {
        /** {@code tenant:seq:hash}, as exports carry it and {@code --head} takes it. */
        public String token() {
            return tenantId + ":" + seq + ":" + hash;
        }

        /** Parses {@code tenant:seq:hash}; an IllegalArgumentException says what is wrong. */
        public static Head parse(String token) {
            int last = token.lastIndexOf(':'), mid = last < 0 ? -1 : token.lastIndexOf(':', last - 1);
            if (mid <= 0) throw new IllegalArgumentException("expected tenant:seq:hash");
            String hash = token.substring(last + 1);
            if (!hash.matches("[0-9a-f]{64}")) throw new IllegalArgumentException("the hash is 64 lowercase hex digits");
            try {
                long seq = Long.parseLong(token.substring(mid + 1, last));
                if (seq < 1) throw new NumberFormatException();
                return new Head(token.substring(0, mid), seq, hash);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("the sequence number is a whole number from 1");
            }
        }
    }

    /** Where a chain breaks: the row's sequence number and request id (null when the row is missing), and why. */
    public record Break(long seq, String requestId, String problem) {}

    /** One tenant's chain: rows checked, rows written before the chain began, its head, and its first break or null. */
    public record Result(String tenantId, long chainedRows, long unchainedRows, Head head, Break firstBreak) {
        public boolean intact() {
            return firstBreak == null;
        }
    }

    private final Database db;

    public ChainVerification(Database db) {
        this.db = db;
    }

    /** Verifies every tenant's chain ({@code tenantId} null), or one; each result to {@code out} as it is known. */
    public void verify(String tenantId, Consumer<Result> out) {
        for (String[] t : tenants(tenantId)) out.accept(verifyOne(t[0], Long.parseLong(t[1]), null));
    }

    /**
     * Verifies a tenant's chain up to {@code expected}'s row and checks that row's hash is the one expected (an
     * export's head): a chain rewritten since, even consistently, ends elsewhere.
     */
    public Result verifyAgainst(Head expected) {
        List<String[]> t = tenants(expected.tenantId());
        Result r = verifyOne(expected.tenantId(), t.isEmpty() ? 0 : Long.parseLong(t.get(0)[1]), expected);
        if (!r.intact()) return r;
        if (r.head() == null || r.head().seq() < expected.seq()) {
            return new Result(r.tenantId(), r.chainedRows(), r.unchainedRows(), r.head(),
                    new Break(expected.seq(), null, "the chain ends before row " + expected.seq() + ": rows were removed"));
        }
        if (!r.head().hash().equals(expected.hash())) {
            return new Result(r.tenantId(), r.chainedRows(), r.unchainedRows(), r.head(), new Break(expected.seq(), null,
                    "row " + expected.seq() + " hashes to " + r.head().hash() + ", not the expected " + expected.hash()
                            + ": the chain up to it was rewritten"));
        }
        return r;
    }

    /** The chain heads of these tenants (one indexed lookup each; a tenant without chained rows is left out). */
    public List<Head> heads(Iterable<String> tenantIds) {
        List<Head> out = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("ledger_chain_head"))) {
            for (String t : tenantIds) {
                ps.setString(1, t);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) out.add(new Head(t, rs.getLong(1), rs.getString(2)));
                }
            }
        } catch (SQLException e) {
            throw Database.unavailable("ledger chain heads", e);
        }
        return out;
    }

    /** Tenant ids with ledger rows, each with how many rows predate the chain. */
    private List<String[]> tenants(String tenantId) {
        List<String[]> out = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("ledger_chain_tenants"))) {
            ps.setString(1, tenantId == null ? "" : tenantId);
            ps.setString(2, tenantId == null ? "" : tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(new String[] {rs.getString(1), Long.toString(rs.getLong(2))});
            }
        } catch (SQLException e) {
            throw Database.unavailable("ledger chain tenants", e);
        }
        return out;
    }

    private Result verifyOne(String tenantId, long unchained, Head upTo) {
        return db.inTransaction("ledger verify", c -> {
            try (PreparedStatement ps = c.prepareStatement(db.query("ledger_chain_rows"))) {
                ps.setFetchSize(FETCH_ROWS);
                ps.setString(1, tenantId);
                try (ResultSet rs = ps.executeQuery()) {
                    return walk(tenantId, unchained, rs, upTo);
                }
            }
        });
    }

    private static Result walk(String tenantId, long unchained, ResultSet rs, Head upTo) throws SQLException {
        LedgerChain.Link prev = LedgerChain.Link.GENESIS;
        long rows = 0;
        while (rs.next() && (upTo == null || prev.seq() < upTo.seq())) {
            long seq = rs.getLong(20);
            String stored = rs.getString(21), requestId = rs.getString(1);
            Head head = prev.seq() == 0 ? null : new Head(tenantId, prev.seq(), prev.hash());
            if (seq == prev.seq()) return broken(tenantId, rows, unchained, head, seq, requestId, "a second row numbered " + seq
                    + " (a row added behind the trigger's back, or a forked chain)");
            if (seq != prev.seq() + 1) return broken(tenantId, rows, unchained, head, prev.seq() + 1, null,
                    "rows " + (prev.seq() + 1) + (seq - 1 > prev.seq() + 1 ? " to " + (seq - 1) : "") + " are missing (removed)");
            String recomputed;
            try {
                recomputed = LedgerChain.hash(prev.hash(), seq, event(rs), rs.getLong(17));
            } catch (RuntimeException e) {
                return broken(tenantId, rows, unchained, head, seq, requestId, "the row no longer reads as a ledger row: " + e.getMessage());
            }
            if (!recomputed.equals(stored)) return broken(tenantId, rows, unchained, head, seq, requestId,
                    "the row does not match its hash: its columns, or the hash of row " + (seq - 1) + ", were changed");
            prev = new LedgerChain.Link(seq, stored);
            rows++;
        }
        return new Result(tenantId, rows, unchained, prev.seq() == 0 ? null : new Head(tenantId, prev.seq(), prev.hash()), null);
    }

    private static Result broken(String tenantId, long rows, long unchained, Head head, long seq, String requestId, String problem) {
        return new Result(tenantId, rows, unchained, head, new Break(seq, requestId, problem));
    }

    /** The event a {@code ledger_chain_rows} row stores (what its hash covers, latency aside). */
    static UsageEvent event(ResultSet rs) throws SQLException {
        int upstream = rs.getInt(14);
        Integer upstreamStatus = rs.wasNull() ? null : upstream;
        return new UsageEvent(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), UsageEvent.Status.fromSql(rs.getString(7)), rs.getLong(8), rs.getLong(9), rs.getLong(10), rs.getLong(11),
                Money.microUsdFromSql(rs.getBigDecimal(12)), Money.microUsdFromSql(rs.getBigDecimal(13)), upstreamStatus,
                rs.getObject(15, OffsetDateTime.class).toInstant(), rs.getObject(16, OffsetDateTime.class).toInstant(),
                rs.getString(18), rs.getString(19));
    }
}
