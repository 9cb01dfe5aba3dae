package io.budgetguard.alert;

import io.budgetguard.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Alert settings per tenant and the delivery log that makes each alert once-per-window and restart-safe. */
public final class AlertStore {
    /** Where an alert goes: a Slack-compatible webhook (destination: its URL) or email (comma-separated addresses). */
    public enum Channel { WEBHOOK, EMAIL;
        String column() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A delivery waiting to be sent (or retried). */
    public record Delivery(String tenantId, String windowId, String kind, int thresholdPct, Channel channel, String message,
                           String destination, int attempts, Instant nextAttemptAt) {}

    private final Database db;

    public AlertStore(Database db) {
        this.db = db;
    }

    public Optional<AlertSettings> find(String tenantId) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("alerts_find"))) {
            ps.setString(1, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                List<Integer> t = Arrays.stream(rs.getString(1).split(",")).filter(x -> !x.isBlank()).map(Integer::parseInt).toList();
                return Optional.of(new AlertSettings(t, rs.getString(2), split(rs.getString(3))));
            }
        } catch (SQLException e) {
            throw Database.unavailable("alert settings", e);
        }
    }

    /** A comma-separated column as a list (null or blank = empty). */
    static List<String> split(String column) {
        if (column == null || column.isBlank()) return List.of();
        return Arrays.stream(column.split(",")).map(String::strip).filter(x -> !x.isEmpty()).toList();
    }

    public void replace(String tenantId, AlertSettings s) {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try (PreparedStatement del = c.prepareStatement(db.query("alerts_delete"));
                 PreparedStatement ins = c.prepareStatement(db.query("alerts_insert"))) {
                del.setString(1, tenantId);
                del.executeUpdate();
                ins.setString(1, tenantId);
                ins.setString(2, String.join(",", s.thresholdsPct().stream().map(String::valueOf).toList()));
                ins.setString(3, s.webhookUrl());
                ins.setString(4, s.emailTo().isEmpty() ? null : String.join(",", s.emailTo()));
                ins.executeUpdate();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw Database.unavailable("alert settings", e);
        }
    }

    /** Records an alert to send; false when it was recorded before (once per window and threshold). */
    public boolean enqueue(Delivery d, Instant now) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("alert_delivery_insert"))) {
            ps.setString(1, d.tenantId());
            ps.setString(2, d.windowId());
            ps.setString(3, d.kind());
            ps.setInt(4, d.thresholdPct());
            ps.setString(5, d.channel().column());
            ps.setString(6, d.message());
            ps.setString(7, d.destination());
            ps.setObject(8, Database.utc(now));
            ps.setObject(9, Database.utc(now));
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw Database.unavailable("alert enqueue", e);
        }
    }

    public List<Delivery> due(Instant now) {
        List<Delivery> out = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("alert_deliveries_due"))) {
            ps.setObject(1, Database.utc(now));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Delivery(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4),
                            Channel.valueOf(rs.getString(5).toUpperCase(java.util.Locale.ROOT)), rs.getString(6),
                            rs.getString(7), rs.getInt(8), rs.getObject(9, OffsetDateTime.class).toInstant()));
                }
            }
        } catch (SQLException e) {
            throw Database.unavailable("alert due", e);
        }
        return out;
    }

    /** Takes a delivery for this process until {@code until}; false when another process took it first. */
    public boolean claim(Delivery d, Instant until) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("alert_delivery_claim"))) {
            ps.setObject(1, Database.utc(until));
            ps.setString(2, d.tenantId());
            ps.setString(3, d.windowId());
            ps.setString(4, d.kind());
            ps.setInt(5, d.thresholdPct());
            ps.setString(6, d.channel().column());
            ps.setObject(7, Database.utc(d.nextAttemptAt()));
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw Database.unavailable("alert claim", e);
        }
    }

    public void finish(Delivery d, String status, int attempts, Instant nextAttemptAt, Instant sentAt) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("alert_delivery_done"))) {
            ps.setString(1, status);
            ps.setInt(2, attempts);
            ps.setObject(3, Database.utc(nextAttemptAt));
            ps.setObject(4, sentAt == null ? null : Database.utc(sentAt));
            ps.setString(5, d.tenantId());
            ps.setString(6, d.windowId());
            ps.setString(7, d.kind());
            ps.setInt(8, d.thresholdPct());
            ps.setString(9, d.channel().column());
            ps.executeUpdate();
        } catch (SQLException e) {
            throw Database.unavailable("alert finish", e);
        }
    }
}
