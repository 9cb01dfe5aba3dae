package io.budgetguard.billing;

import io.budgetguard.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which Stripe customer a tenant's spend is reported to: the tenant's own, and optionally one per API key or end user
 * (a row goes to its key's customer, else its user's, else the tenant's; a row with none is not reported).
 */
public final class StripeCustomers {
    public static final int MAX_MAPPINGS = 1_000;
    static final java.util.regex.Pattern CUSTOMER_ID = java.util.regex.Pattern.compile("cus_[A-Za-z0-9]{1,250}");

    /** A tenant's mapping: its own customer (null for none) and per key id and per end user. */
    public record Mapping(String tenantCustomer, Map<String, String> byKey, Map<String, String> byUser) {
        public Mapping {
            byKey = Map.copyOf(byKey);
            byUser = Map.copyOf(byUser);
        }

        /** The customer a ledger row of this tenant is billed to, or null. */
        public String customerFor(String apiKeyId, String endUser) {
            String c = apiKeyId == null ? null : byKey.get(apiKeyId);
            if (c == null && endUser != null) c = byUser.get(endUser);
            return c != null ? c : tenantCustomer;
        }

        public boolean isEmpty() {
            return tenantCustomer == null && byKey.isEmpty() && byUser.isEmpty();
        }

        int size() {
            return (tenantCustomer == null ? 0 : 1) + byKey.size() + byUser.size();
        }
    }

    private final Database db;

    public StripeCustomers(Database db) {
        this.db = db;
    }

    /** A Stripe customer id ({@code cus_...}), or an IllegalArgumentException saying what it should look like. */
    public static String validCustomer(String id) {
        if (id == null || !CUSTOMER_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("must be a Stripe customer id like cus_NffrFeUfNV2Hib");
        }
        return id;
    }

    public Mapping find(String tenantId) {
        String tenant = null;
        Map<String, String> byKey = new LinkedHashMap<>(), byUser = new LinkedHashMap<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("stripe_customers_of_tenant"))) {
            ps.setString(1, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    switch (rs.getString(1)) {
                        case "tenant" -> tenant = rs.getString(3);
                        case "key" -> byKey.put(rs.getString(2), rs.getString(3));
                        default -> byUser.put(rs.getString(2), rs.getString(3));
                    }
                }
            }
        } catch (SQLException e) {
            throw Database.unavailable("stripe customers", e);
        }
        return new Mapping(tenant, byKey, byUser);
    }

    /** Replaces a tenant's mapping (an empty one stops its reporting; what was reported stays reported). */
    public void replace(String tenantId, Mapping m) {
        if (m.size() > MAX_MAPPINGS) throw new IllegalArgumentException("at most " + MAX_MAPPINGS + " customers per tenant");
        db.inTransaction("stripe customers", c -> {
            try (PreparedStatement del = c.prepareStatement(db.query("stripe_customers_delete"));
                 PreparedStatement ins = c.prepareStatement(db.query("stripe_customer_insert"))) {
                del.setString(1, tenantId);
                del.executeUpdate();
                if (m.tenantCustomer() != null) add(ins, tenantId, "tenant", "", m.tenantCustomer());
                for (Map.Entry<String, String> e : m.byKey().entrySet()) add(ins, tenantId, "key", e.getKey(), e.getValue());
                for (Map.Entry<String, String> e : m.byUser().entrySet()) add(ins, tenantId, "user", e.getKey(), e.getValue());
                ins.executeBatch();
                return null;
            }
        });
    }

    private static void add(PreparedStatement ins, String tenantId, String scope, String value, String customer) throws SQLException {
        ins.setString(1, tenantId);
        ins.setString(2, scope);
        ins.setString(3, value);
        ins.setString(4, customer);
        ins.addBatch();
    }

    /** How far a tenant's reporting got: the last chain number reported, counts, and its backoff. */
    public record Watermark(long reportedSeq, long eventsSent, long rowsSkipped, int attempts, java.time.Instant nextAttemptAt,
                            java.time.Instant updatedAt) {}

    /** The tenant's watermark, or null before its first pass. */
    public Watermark watermark(String tenantId) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("stripe_watermark_of"))) {
            ps.setString(1, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return null;
                return new Watermark(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getInt(4),
                        rs.getObject(5, java.time.OffsetDateTime.class).toInstant(), rs.getObject(6, java.time.OffsetDateTime.class).toInstant());
            }
        } catch (SQLException e) {
            throw Database.unavailable("stripe watermark", e);
        }
    }

    /** Tenants with any mapping: the ones the showback duty visits. */
    public List<String> mappedTenants() {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("stripe_mapped_tenants"));
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) out.add(rs.getString(1));
        } catch (SQLException e) {
            throw Database.unavailable("stripe customers", e);
        }
        return out;
    }
}
