package io.budgetguard.ledger;

import io.budgetguard.core.UsageEvent;
import io.budgetguard.core.WindowScope;

import io.budgetguard.core.Money;
import io.budgetguard.core.Reservation;
import io.budgetguard.budget.SpendHistory;
import java.util.HashMap;
import java.util.Map;
import io.budgetguard.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The append-only usage ledger. Appends are idempotent by request id (a replay writes nothing);
 * the database itself rejects UPDATE and DELETE.
 */
public final class Ledger implements SpendHistory, AutoCloseable {
    private final Database db;
    private final boolean journaled;
    /** Embedded mode: every request writes twice; concurrent requests share commits. */
    private final GroupCommit group;
    private final LedgerChain chain;

    /** @param journaled whether reservations are journaled in this database (embedded mode: this process is its only writer) */
    public Ledger(Database db, boolean journaled) {
        this(db, journaled, GroupCommit.CHECKPOINT_INTERVAL_MS);
    }

    /** With the embedded store's checkpoint interval (tests checkpoint after every write with 0). */
    Ledger(Database db, boolean journaled, long checkpointIntervalMs) {
        this.db = db;
        this.journaled = journaled;
        this.chain = new LedgerChain(db, journaled);
        this.group = journaled ? new GroupCommit(db, chain, checkpointIntervalMs) : null;
    }

    /**
     * Appends the event and, in the same transaction, drops its reservation journal row; false when a row with
     * its request id already existed (a replay writes nothing).
     */
    @Override
    public boolean append(UsageEvent e) {
        if (!journaled) return appendBatch(List.of(e)) == 1;
        return group.append(e);
    }

    /**
     * Appends a batch in one transaction, linked into the tenants' hash chains (idempotent per request id: a row
     * already there is skipped and takes no link); returns how many rows were new.
     */
    public int appendBatch(java.util.List<UsageEvent> events) {
        if (events.isEmpty()) return 0;
        LedgerChain.Linked[] linked = new LedgerChain.Linked[1];
        int inserted = chain.exclusive(() -> db.inTransaction("ledger batch", c -> {
            linked[0] = chain.link(c, events, true);
            try (PreparedStatement ps = c.prepareStatement(db.query("ledger_insert"))) {
                for (int i = 0; i < events.size(); i++) {
                    bindEvent(ps, events.get(i), linked[0].links().get(i));
                    ps.addBatch();
                }
                return LedgerChain.checkedInserts(ps.executeBatch(), linked[0].links());
            }
        }));
        chain.committed(linked[0]);
        return inserted;
    }

    /** Binds {@code e} and its chain link (null for a row that is already there) to the {@code ledger_insert} query. */
    static void bindEvent(PreparedStatement ps, UsageEvent e, LedgerChain.Link link) throws SQLException {
        ps.setString(1, e.requestId());
        ps.setString(2, e.tenantId());
        ps.setString(3, e.apiKeyId());
        ps.setString(4, e.endpoint());
        ps.setString(5, e.model());
        ps.setString(6, e.status().sql());
        ps.setLong(7, e.promptTokens());
        ps.setLong(8, e.cachedTokens());
        ps.setLong(9, e.completionTokens());
        ps.setBigDecimal(10, Money.usd(e.estimatedCostMicroUsd()));
        ps.setBigDecimal(11, Money.usd(e.costMicroUsd()));
        if (e.upstreamStatus() == null) ps.setNull(12, Types.INTEGER);
        else ps.setInt(12, e.upstreamStatus());
        ps.setObject(13, Database.utc(LedgerChain.stored(e.startedAt())));
        ps.setObject(14, Database.utc(LedgerChain.stored(e.finishedAt())));
        ps.setLong(15, e.latencyMs());
        ps.setString(16, e.provider());
        ps.setLong(17, e.cacheWriteTokens());
        ps.setString(18, e.endUser());
        ps.setString(19, e.tags());
        if (link == null) {
            ps.setNull(20, Types.BIGINT);
            ps.setNull(21, Types.CHAR);
        } else {
            ps.setLong(20, link.seq());
            ps.setString(21, link.hash());
        }
    }

    /** The database the ledger lives in (for the control plane's own tables beside it). */
    public Database database() {
        return db;
    }

    /** The ledger's hash chains: verification and heads. */
    public ChainVerification chains() {
        return new ChainVerification(db);
    }

    /** Journals a reservation before its request is forwarded (embedded mode). */
    public void journal(Reservation r) {
        if (!journaled) return;
        group.journal(r);
    }

    /** Binds {@code r} to the parameters of the {@code reservation_insert} query. */
    static void bindReservation(PreparedStatement ps, Reservation r) throws SQLException {
        ps.setString(1, r.id());
        ps.setString(2, r.tenantId());
        ps.setString(3, r.apiKeyId());
        ps.setString(4, r.endpoint());
        ps.setString(5, r.model());
        ps.setBigDecimal(6, Money.usd(r.estimateMicroUsd()));
        ps.setObject(7, Database.utc(Instant.ofEpochMilli(r.createdMs())));
        ps.setString(8, r.provider());
        ps.setString(9, r.endUser());
        ps.setString(10, r.tags());
    }

    @Override
    public void close() {
        if (group != null) group.close();
    }

    /**
     * Turns reservations journaled by a process that died into 'expired' ledger rows at their estimate (the
     * upstream may have billed them). Run before serving; returns how many were recovered.
     */
    public int recoverOrphans(Instant now) {
        if (!journaled) return 0;
        int recovered = 0;
        for (int round = 0; round < 1_000; round++) {
            List<UsageEvent> orphans = new ArrayList<>();
            try (Connection c = db.connection();
                 PreparedStatement ps = c.prepareStatement(db.query("reservations_all"));
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long estimate = Money.microUsdFromSql(rs.getBigDecimal(6));
                    Instant started = rs.getObject(7, java.time.OffsetDateTime.class).toInstant();
                    orphans.add(new UsageEvent(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(8),
                            rs.getString(5), UsageEvent.Status.EXPIRED, 0, 0, 0, 0, estimate, estimate, null, started,
                            now.isBefore(started) ? started : now, rs.getString(9), rs.getString(10)));
                }
            } catch (SQLException ex) {
                throw Database.unavailable("reservation recovery", ex);
            }
            if (orphans.isEmpty()) return recovered;
            for (UsageEvent e : orphans) {
                append(e);
                recovered++;
            }
        }
        throw new IllegalStateException("more than a million orphaned reservations");
    }

    @Override
    public long spentMicroUsd(String tenantId, WindowScope scope, long fromMs, long toMs, java.util.Collection<String> excludedIds) {
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement(db.query("ledger_spent_between"))) {
            ps.setString(1, tenantId);
            ps.setObject(2, Database.utc(Instant.ofEpochMilli(fromMs)));
            ps.setObject(3, Database.utc(Instant.ofEpochMilli(toMs)));
            ps.setArray(4, c.createArrayOf("VARCHAR", excludedIds.toArray()));
            bindScope(ps, 5, scope);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return Money.microUsdFromSql(rs.getBigDecimal(1));
            }
        } catch (SQLException ex) {
            throw Database.unavailable("ledger spend", ex);
        }
    }

    @Override
    public Map<Long, Long> spentPerBucket(String tenantId, WindowScope scope, long fromMs, long bucketMs,
                                          java.util.Collection<String> excludedIds) {
        Map<Long, Long> out = new HashMap<>();
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement(db.query("ledger_bucket_sums"))) {
            ps.setLong(1, bucketMs);
            ps.setString(2, tenantId);
            ps.setObject(3, Database.utc(Instant.ofEpochMilli(fromMs)));
            ps.setArray(4, c.createArrayOf("VARCHAR", excludedIds.toArray()));
            bindScope(ps, 5, scope);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.merge(rs.getBigDecimal(1).longValueExact(), Money.microUsdFromSql(rs.getBigDecimal(2)), Long::sum);
                }
            }
        } catch (SQLException ex) {
            throw Database.unavailable("ledger bucket sums", ex);
        }
        return out;
    }

    /** The scope filter of the spend queries: a key's rows, a model group's, or (both flags 0) all. */
    private static void bindScope(PreparedStatement ps, int at, WindowScope scope) throws SQLException {
        boolean key = scope.kind() == WindowScope.Kind.KEY;
        boolean group = scope.kind() == WindowScope.Kind.MODEL_GROUP;
        ps.setInt(at, key ? 1 : 0);
        ps.setString(at + 1, key ? scope.id() : "");
        ps.setInt(at + 2, group ? 1 : 0);
        ps.setString(at + 3, group ? scope.modelPattern() : "");
        boolean user = scope.kind() == WindowScope.Kind.USER;
        ps.setInt(at + 4, user ? 1 : 0);
        ps.setString(at + 5, user ? scope.id() : "");
    }

    /** Settled spend of a tenant for requests started in [from, to). */
    public long spentMicroUsd(String tenantId, Instant from, Instant to) {
        return spentMicroUsd(tenantId, WindowScope.TENANT, from.toEpochMilli(), to.toEpochMilli(), List.of());
    }

    /** One CSV line per UTC day, tenant, provider and model (and the export's extra dimension, else null). */
    public interface ExportSink {
        void row(String day, String tenantId, String provider, String model, String dimension, long requests, long promptTokens, long cachedTokens,
                 long completionTokens, long costMicroUsd) throws java.io.IOException;
    }

    /** Streams the chargeback export for days {@code from}..{@code to} (UTC, inclusive) to the sink, row by row. */
    public void export(LocalDate from, LocalDate to, ExportSink sink) throws java.io.IOException {
        export(from, to, null, UsageFilter.NONE, sink);
    }

    /**
     * The export with an extra dimension ({@code key}, {@code user} or {@code tag:<key>}; null = none) and a filter,
     * streamed row by row.
     */
    public void export(LocalDate from, LocalDate to, String dimension, UsageFilter filter, ExportSink sink) throws java.io.IOException {
        boolean byTag = dimension != null && dimension.startsWith("tag:");
        String query = dimension == null ? "usage_export" : byTag ? "usage_export_by_tag" : "usage_export_by_" + dimension;
        int extra = dimension == null ? 0 : 1;
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query(query))) {
            int at = 1;
            if (byTag) ps.setString(at++, tagPattern(dimension));
            ps.setObject(at++, Database.utc(from.atStartOfDay(ZoneOffset.UTC).toInstant()));
            ps.setObject(at++, Database.utc(to.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant()));
            filter.bind(ps, at);
            ps.setFetchSize(1_000);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int k = 5 + extra;
                    sink.row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), extra == 0 ? null : rs.getString(5),
                            rs.getLong(k), rs.getLong(k + 1), rs.getLong(k + 2), rs.getLong(k + 3),
                            Money.microUsdFromSql(rs.getBigDecimal(k + 4)));
                }
            }
        } catch (SQLException ex) {
            throw Database.unavailable("usage export", ex);
        }
    }

    /** A tag's value out of the canonical ",k=v,k=v," form: the key was validated to [a-z0-9_.-] by the caller. */
    private static String tagPattern(String groupBy) {
        return "," + groupBy.substring(4).replace(".", "\\.") + "=([^,]*),";
    }

    /** Totals for requests started on days {@code from}..{@code to} (UTC, both inclusive). */
    public UsageReport report(String tenantId, LocalDate from, LocalDate to, String groupBy) {
        return report(tenantId, from, to, groupBy, UsageFilter.NONE);
    }

    /**
     * Totals of the rows {@code filter} selects, grouped by {@code groupBy}; {@code tenantId} null = every tenant
     * (then "tenant" and "tenant_user" group by tenant, and by tenant and end user, too).
     */
    public UsageReport report(String tenantId, LocalDate from, LocalDate to, String groupBy, UsageFilter filter) {
        boolean byTag = groupBy.startsWith("tag:");
        String query = byTag ? "usage_by_tag" : switch (groupBy) {
            case "model" -> "usage_by_model";
            case "day" -> "usage_by_day";
            case "provider" -> "usage_by_provider";
            case "key" -> "usage_by_key";
            case "user" -> "usage_by_user";
            case "tenant" -> "usage_by_tenant";
            case "tenant_user" -> "usage_by_tenant_user";
            default -> throw new IllegalStateException("group_by was validated by the caller: " + groupBy);
        };
        List<UsageReport.Row> rows = new ArrayList<>();
        long requests = 0, prompt = 0, completion = 0, cost = 0;
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement(db.query(query))) {
            int at = 1;
            if (byTag) ps.setString(at++, tagPattern(groupBy));
            String tenant = tenantId == null ? "" : tenantId;
            ps.setString(at++, tenant);
            ps.setString(at, tenant);
            ps.setObject(at + 1, Database.utc(from.atStartOfDay(ZoneOffset.UTC).toInstant()));
            ps.setObject(at + 2, Database.utc(to.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant()));
            filter.bind(ps, at + 3);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    UsageReport.Row r = new UsageReport.Row(rs.getString(1), rs.getLong(2), rs.getLong(3),
                            rs.getLong(4), Money.microUsdFromSql(rs.getBigDecimal(5)));
                    rows.add(r);
                    requests += r.requests();
                    prompt += r.promptTokens();
                    completion += r.completionTokens();
                    cost += r.costMicroUsd();
                }
            }
        } catch (SQLException ex) {
            throw Database.unavailable("usage report", ex);
        }
        return new UsageReport(tenantId, from, to, groupBy, rows,
                new UsageReport.Row("total", requests, prompt, completion, cost));
    }

    /** One ledger row as the dashboard's ledger view shows it. */
    public record Row(String requestId, String tenantId, String apiKeyId, String endpoint, String provider, String model,
                      String status, long promptTokens, long completionTokens, long costMicroUsd, Integer upstreamStatus,
                      Instant startedAt, long latencyMs, String endUser, String tags) {}

    /** The newest rows of {@code [from, to)} first, at most {@code limit}; tenant and status "" = any. */
    public List<Row> latest(String tenantId, String status, Instant from, Instant to, UsageFilter filter, int limit) {
        List<Row> rows = new ArrayList<>();
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement(db.query("ledger_latest"))) {
            ps.setString(1, tenantId);
            ps.setString(2, tenantId);
            ps.setObject(3, Database.utc(from));
            ps.setObject(4, Database.utc(to));
            ps.setString(5, status);
            ps.setString(6, status);
            int at = filter.bind(ps, 7);
            ps.setInt(at, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int up = rs.getInt(11);
                    Integer upstream = rs.wasNull() ? null : up;
                    rows.add(new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), rs.getString(7), rs.getLong(8), rs.getLong(9),
                            Money.microUsdFromSql(rs.getBigDecimal(10)), upstream,
                            rs.getObject(12, java.time.OffsetDateTime.class).toInstant(), rs.getLong(13), rs.getString(14),
                            rs.getString(15)));
                }
            }
        } catch (SQLException ex) {
            throw Database.unavailable("ledger rows", ex);
        }
        return rows;
    }
}
