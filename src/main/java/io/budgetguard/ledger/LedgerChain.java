package io.budgetguard.ledger;

import io.budgetguard.core.UsageEvent;
import io.budgetguard.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ledger's hash chain, one per tenant: row n of a tenant carries {@code chain_seq = n} and
 * {@code chain_hash = SHA-256(chain_hash of row n-1, the row's own columns)}, so editing, removing or inserting a
 * row behind the append-only trigger's back breaks the chain at that row. The gateways never serialise on it:
 * embedded, the one ledger writer links rows as it commits them; in production the workers link them as they drain
 * the streams into Postgres, holding a transaction-scoped advisory lock per tenant.
 */
final class LedgerChain {
    static final String GENESIS_HASH = "0".repeat(64);

    /** A tenant's last link: its sequence number and hash (seq 0 and the genesis hash before the first row). */
    record Link(long seq, String hash) {
        static final Link GENESIS = new Link(0, GENESIS_HASH);
    }

    /** The links of one batch: per event (null for a row that already exists) and the tenants' new heads. */
    record Linked(List<Link> links, Map<String, Link> heads) {}

    private final Database db;
    /** Embedded H2: this process is the ledger's only writer, so heads are kept once read. Null: read in each transaction. */
    private final Map<String, Link> cachedHeads;
    /** Postgres: writers in other processes too, so each tenant's chain is locked in the database. */
    private final boolean databaseLocks;
    /** H2 without the group commit (tests, tools): its writers are in this process, one batch at a time. */
    private final java.util.concurrent.locks.ReentrantLock processLock = new java.util.concurrent.locks.ReentrantLock();

    LedgerChain(Database db, boolean onlyWriter) {
        this.db = db;
        this.databaseLocks = db.dialect().equals("postgres");
        this.cachedHeads = onlyWriter && !databaseLocks ? new ConcurrentHashMap<>() : null;
    }

    /** Runs a transaction that links rows: alone in this process where the database has no chain lock. */
    <T> T exclusive(java.util.function.Supplier<T> transaction) {
        if (databaseLocks) return transaction.get();
        processLock.lock();
        try {
            return transaction.get();
        } finally {
            processLock.unlock();
        }
    }

    /**
     * Links {@code events} in order against their tenants' heads; events that repeat an earlier one of the batch,
     * or with {@code skipExisting} are already in the ledger, get no link (the insert skips them). With shared writers
     * (Postgres) it first takes each tenant's chain lock, held until {@code c}'s transaction ends, and only then looks
     * for existing rows and heads, so a row another writer committed meanwhile is seen.
     */
    Linked link(Connection c, List<UsageEvent> events, boolean skipExisting) throws SQLException {
        Set<String> tenants = new TreeSet<>(); // sorted: two workers lock in the same order
        for (UsageEvent e : events) tenants.add(e.tenantId());
        if (databaseLocks) lock(c, tenants);
        Set<String> existing = skipExisting && !events.isEmpty() ? existing(c, events) : Set.of();
        Map<String, Link> heads = new HashMap<>();
        for (String t : tenants) heads.put(t, head(c, t));
        List<Link> links = new ArrayList<>(events.size());
        Set<String> seen = new HashSet<>();
        for (UsageEvent e : events) {
            if (existing.contains(e.requestId()) || !seen.add(e.requestId())) {
                links.add(null);
                continue;
            }
            Link prev = heads.get(e.tenantId());
            Link next = new Link(prev.seq() + 1, hash(prev.hash(), prev.seq() + 1, e, e.latencyMs()));
            heads.put(e.tenantId(), next);
            links.add(next);
        }
        return new Linked(links, heads);
    }

    /** Called after the transaction that inserted {@code linked} committed. */
    void committed(Linked linked) {
        if (cachedHeads != null) cachedHeads.putAll(linked.heads());
    }

    /** Whether a batch count says the row was inserted (a driver may report a batched insert without its count). */
    static boolean inserted(int count) {
        return count == 1 || count == java.sql.Statement.SUCCESS_NO_INFO;
    }

    /** Whether every linked row was inserted and every unlinked one (already there) was not. */
    static boolean insertedAsLinked(int[] counts, List<Link> links) {
        for (int i = 0; i < counts.length; i++) {
            if (inserted(counts[i]) != (links.get(i) != null)) return false;
        }
        return true;
    }

    /**
     * How many rows were inserted, checked against the links: anything but {@link #insertedAsLinked} (a row that
     * appeared meanwhile) would leave a gap or a fork in the chain, so it fails the transaction loudly instead.
     */
    static int checkedInserts(int[] counts, List<Link> links) {
        int n = 0;
        for (int i = 0; i < counts.length; i++) {
            boolean row = inserted(counts[i]);
            if (row != (links.get(i) != null)) {
                throw new IllegalStateException("ledger chain: row " + i + " of the batch was " + (row ? "" : "not ") + "inserted against its link");
            }
            if (row) n++;
        }
        return n;
    }

    /** Forgets cached heads (after a failed transaction whose outcome is unknown). */
    void forget() {
        if (cachedHeads != null) cachedHeads.clear();
    }

    private void lock(Connection c, Collection<String> tenants) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(db.query("ledger_chain_lock"))) {
            for (String t : tenants) {
                ps.setString(1, t);
                ps.execute();
            }
        }
    }

    private Link head(Connection c, String tenantId) throws SQLException {
        if (cachedHeads != null) {
            Link cached = cachedHeads.get(tenantId);
            if (cached != null) return cached;
        }
        try (PreparedStatement ps = c.prepareStatement(db.query("ledger_chain_head"))) {
            ps.setString(1, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Link(rs.getLong(1), rs.getString(2)) : Link.GENESIS;
            }
        }
    }

    /** Request ids of {@code events} already in the ledger (a replay, or a settle the expiry beat). */
    private Set<String> existing(Connection c, List<UsageEvent> events) throws SQLException {
        Set<String> out = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(db.query("ledger_existing_ids"))) {
            ps.setArray(1, c.createArrayOf("VARCHAR", events.stream().map(UsageEvent::requestId).distinct().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** Times as the ledger stores them (microseconds): the hash written and the hash recomputed from the row agree. */
    static Instant stored(Instant t) {
        return t.truncatedTo(ChronoUnit.MICROS);
    }

    /**
     * The row's hash: SHA-256 over the previous hash, the sequence number and every stored column, each field
     * length-prefixed (a null is {@code ~}), so no two different rows encode alike. {@code latencyMs} is the stored
     * column (derived from the unrounded times when the row was written).
     */
    static String hash(String prevHash, long seq, UsageEvent e, long latencyMs) {
        StringBuilder b = new StringBuilder(512);
        field(b, prevHash);
        field(b, Long.toString(seq));
        field(b, e.requestId());
        field(b, e.tenantId());
        field(b, e.apiKeyId());
        field(b, e.endpoint());
        field(b, e.provider());
        field(b, e.model());
        field(b, e.status().sql());
        field(b, Long.toString(e.promptTokens()));
        field(b, Long.toString(e.cachedTokens()));
        field(b, Long.toString(e.cacheWriteTokens()));
        field(b, Long.toString(e.completionTokens()));
        field(b, Long.toString(e.estimatedCostMicroUsd()));
        field(b, Long.toString(e.costMicroUsd()));
        field(b, e.upstreamStatus() == null ? null : e.upstreamStatus().toString());
        field(b, micros(e.startedAt()));
        field(b, micros(e.finishedAt()));
        field(b, Long.toString(latencyMs));
        field(b, e.endUser());
        field(b, e.tags());
        return io.budgetguard.core.Sha256.hex(b.toString());
    }

    private static String micros(Instant t) {
        Instant s = stored(t);
        return Long.toString(Math.addExact(Math.multiplyExact(s.getEpochSecond(), 1_000_000L), s.getNano() / 1_000));
    }

    private static void field(StringBuilder b, String v) {
        if (v == null) {
            b.append('~');
        } else {
            b.append(v.length()).append(':').append(v);
        }
        b.append('|');
    }
}
