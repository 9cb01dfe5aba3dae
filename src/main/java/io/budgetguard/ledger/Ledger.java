package io.budgetguard.ledger;

import io.budgetguard.budget.Money;
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
public final class Ledger {
    private final Database db;

    public Ledger(Database db) {
        this.db = db;
    }

    /** Appends the event; false when a row with its request id already exists. */
    public boolean append(UsageEvent e) {
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement(db.query("ledger_insert"))) {
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
            ps.setObject(13, Database.utc(e.startedAt()));
            ps.setObject(14, Database.utc(e.finishedAt()));
            ps.setLong(15, e.latencyMs());
            return ps.executeUpdate() == 1;
        } catch (SQLException ex) {
            throw Database.unavailable("ledger append", ex);
        }
    }

    /** Settled spend of a tenant for requests started in [from, to). */
    public long spentMicroUsd(String tenantId, Instant from, Instant to) {
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement(db.query("ledger_spent_between"))) {
            ps.setString(1, tenantId);
            ps.setObject(2, Database.utc(from));
            ps.setObject(3, Database.utc(to));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return Money.microUsdFromSql(rs.getBigDecimal(1));
            }
        } catch (SQLException ex) {
            throw Database.unavailable("ledger spend", ex);
        }
    }

    /** Totals for requests started on days {@code from}..{@code to} (UTC, both inclusive). */
    public UsageReport report(String tenantId, LocalDate from, LocalDate to, String groupBy) {
        String query = switch (groupBy) {
            case "model" -> "usage_by_model";
            case "day" -> "usage_by_day";
            default -> throw new IllegalStateException("group_by was validated by the caller: " + groupBy);
        };
        List<UsageReport.Row> rows = new ArrayList<>();
        long requests = 0, prompt = 0, completion = 0, cost = 0;
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement(db.query(query))) {
            ps.setString(1, tenantId);
            ps.setObject(2, Database.utc(from.atStartOfDay(ZoneOffset.UTC).toInstant()));
            ps.setObject(3, Database.utc(to.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant()));
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
}
