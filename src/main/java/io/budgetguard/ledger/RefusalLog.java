package io.budgetguard.ledger;

import io.budgetguard.core.Money;
import io.budgetguard.log.JsonLog;
import io.budgetguard.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Requests refused before they reached a provider (402, 429, 403) and the worst-case spend each would have reserved:
 * counted in memory per hour, tenant, key, model and reason, and appended to {@code refusals} every REFUSALS_FLUSH_MS (a second), so a
 * flood of refusals costs a map update each, not a database write each. A process that dies loses at most its last
 * period of counts: these are statistics, not money (no spend and no ledger row depends on them).
 */
public final class RefusalLog implements AutoCloseable {
    private static final long HOUR_MS = 3_600_000L;
    private static final int MAX_MODEL_CHARS = 256;

    /** What is counted together. */
    record Group(String tenantId, String apiKeyId, long hourStartMs, int status, String reason, String provider, String model) {}

    private final Database db;
    /** Distinct groups held between two flushes at most; past it a refusal is counted under its tenant alone. */
    private final int maxPendingGroups;
    private ConcurrentHashMap<Group, long[]> pending = new ConcurrentHashMap<>();
    /** Counting shares it; the flush's swap of the map takes it alone, so no count lands in a map already written. */
    private final java.util.concurrent.locks.ReadWriteLock swap = new java.util.concurrent.locks.ReentrantReadWriteLock();
    private final ScheduledExecutorService flusher;

    /** Appends every {@code flushMs}; at most {@code maxPendingGroups} groups in between. */
    public RefusalLog(Database db, long flushMs, int maxPendingGroups) {
        if (flushMs <= 0 || maxPendingGroups <= 0) throw new IllegalArgumentException("refusal log bounds must be > 0");
        this.db = db;
        this.maxPendingGroups = maxPendingGroups;
        this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "refusal-log");
            t.setDaemon(true);
            return t;
        });
        flusher.scheduleWithFixedDelay(this::flush, flushMs, flushMs, TimeUnit.MILLISECONDS);
    }

    /** Counts one refusal; {@code preventedMicroUsd} is the worst case the request would have reserved. */
    public void record(String tenantId, String apiKeyId, int status, String reason, String provider, String model,
                       long preventedMicroUsd, long nowMs) {
        if (preventedMicroUsd < 0) throw new IllegalArgumentException("prevented spend < 0: " + preventedMicroUsd);
        String m = model == null ? "" : model.length() > MAX_MODEL_CHARS ? model.substring(0, MAX_MODEL_CHARS) : model;
        Group g = new Group(tenantId, apiKeyId == null ? "" : apiKeyId, nowMs - Math.floorMod(nowMs, HOUR_MS), status,
                reason, provider == null ? "" : provider, m);
        swap.readLock().lock();
        try {
            ConcurrentHashMap<Group, long[]> map = pending;
            if (map.size() >= maxPendingGroups && !map.containsKey(g)) {
                g = new Group(tenantId, "", g.hourStartMs(), status, reason, "", "");
            }
            map.compute(g, (k, v) -> {
                long[] sums = v == null ? new long[2] : v;
                sums[0]++;
                sums[1] = Math.addExact(sums[1], preventedMicroUsd);
                return sums;
            });
        } finally {
            swap.readLock().unlock();
        }
    }

    /** Appends the counts so far (the flusher's duty; also on close, and for tests that read at once). */
    public synchronized void flush() {
        ConcurrentHashMap<Group, long[]> taken;
        swap.writeLock().lock();
        try {
            taken = pending;
            if (taken.isEmpty()) return;
            pending = new ConcurrentHashMap<>();
        } finally {
            swap.writeLock().unlock();
        }
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("refusal_insert"))) {
            c.setAutoCommit(false);
            for (Map.Entry<Group, long[]> e : taken.entrySet()) {
                Group g = e.getKey();
                long[] sums = e.getValue();
                ps.setString(1, g.tenantId());
                ps.setString(2, g.apiKeyId());
                ps.setObject(3, Database.utc(Instant.ofEpochMilli(g.hourStartMs())));
                ps.setInt(4, g.status());
                ps.setString(5, g.reason());
                ps.setString(6, g.provider());
                ps.setString(7, g.model());
                ps.setLong(8, sums[0]);
                ps.setBigDecimal(9, Money.usd(sums[1]));
                ps.addBatch();
            }
            ps.executeBatch();
            c.commit();
        } catch (SQLException | RuntimeException e) {
            JsonLog.error("refusals_not_recorded", "groups", taken.size(), "error", e.toString());
        }
    }

    /** Groups counted since the last append. */
    int pendingGroups() {
        swap.readLock().lock();
        try {
            return pending.size();
        } finally {
            swap.readLock().unlock();
        }
    }

    /** Refusals summed per day, tenant, status and reason. */
    public record DayCount(String day, String tenantId, int status, String reason, long requests, long preventedMicroUsd) {}

    /** The counts of {@code [from, to)}, for one tenant or ("" ) all. */
    public List<DayCount> byDay(String tenantId, Instant from, Instant to) {
        List<DayCount> out = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("refusals_by_day"))) {
            ps.setObject(1, Database.utc(from));
            ps.setObject(2, Database.utc(to));
            ps.setString(3, tenantId);
            ps.setString(4, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new DayCount(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4), rs.getLong(5),
                            Money.microUsdFromSql(rs.getBigDecimal(6))));
                }
            }
        } catch (SQLException e) {
            throw Database.unavailable("refusals", e);
        }
        return out;
    }

    @Override
    public void close() {
        flusher.shutdown();
        try {
            flusher.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
    }
}
