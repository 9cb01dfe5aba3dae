package io.budgetguard.tenant;

import io.budgetguard.store.Database;

import io.budgetguard.core.Budget;
import io.budgetguard.core.BudgetPeriod;
import io.budgetguard.core.Money;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Tenants, their budgets and their API keys (stored as hashes) in the relational store. */
public final class TenantStore {
    private final Database db;
    private final ScopeStore scopes;

    public TenantStore(Database db) {
        this.db = db;
        this.scopes = new ScopeStore(db);
    }

    /** The budgets of keys and model groups. */
    public ScopeStore scopes() {
        return scopes;
    }

    /** Creates the tenant with its budgets in one transaction; false when the id is taken. */
    public boolean create(Tenant t) {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement(db.query("tenant_insert"))) {
                    ps.setString(1, t.id());
                    ps.setString(2, t.name());
                    ps.setInt(3, t.rateLimitPerMin());
                    ps.setObject(4, Database.utc(t.createdAt()));
                    ps.setObject(5, Database.utc(t.createdAt()));
                    ps.setObject(6, t.defaultMaxOutputTokens(), java.sql.Types.BIGINT);
                    ps.executeUpdate();
                }
                insertBudgets(c, t.id(), t.budgets());
                c.commit();
                return true;
            } catch (SQLException e) {
                c.rollback();
                if (Database.isUniqueViolation(e)) return false;
                throw e;
            }
        } catch (SQLException e) {
            throw Database.unavailable("tenant create", e);
        }
    }

    public Optional<Tenant> find(String id) {
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement(db.query("tenant_find"))) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                long cap = rs.getLong(5);
                Long outputCap = rs.wasNull() ? null : cap;
                long tpm = rs.getLong(6);
                Long tokensPerMin = rs.wasNull() ? null : tpm;
                ScopeStore.Scopes s = scopes.load(c, id);
                return Optional.of(new Tenant(rs.getString(1), rs.getString(2), rs.getInt(3),
                        rs.getObject(4, OffsetDateTime.class).toInstant(), budgets(c, id), outputCap, s.keyBudgets(), s.groups(),
                        s.userBudgets(), s.userDefaults(), tokensPerMin));
            }
        } catch (SQLException e) {
            throw Database.unavailable("tenant find", e);
        }
    }

    /** Sets (or, with null, clears) the tenant's default output cap; false when the tenant does not exist. */
    public boolean setDefaultMaxOutputTokens(String tenantId, Long cap, Instant now) {
        return setTenantNumber("tenant_output_cap_update", "tenant output cap update", tenantId, cap, now);
    }

    /** One nullable number of the tenant's row (its update query takes value, updated_at, id); false when absent. */
    private boolean setTenantNumber(String query, String what, String tenantId, Long value, Instant now) {
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement(db.query(query))) {
            ps.setObject(1, value, java.sql.Types.BIGINT);
            ps.setObject(2, Database.utc(now));
            ps.setString(3, tenantId);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw Database.unavailable(what, e);
        }
    }

    /** Replaces all budgets of an existing tenant atomically; false when the tenant does not exist. */
    public boolean replaceBudgets(String tenantId, List<Budget> budgets, Instant now) {
        return scopes.inTenant(tenantId, now, c -> {
            try (PreparedStatement ps = c.prepareStatement(db.query("budgets_delete"))) {
                ps.setString(1, tenantId);
                ps.executeUpdate();
            }
            insertBudgets(c, tenantId, budgets);
        });
    }

    private void insertBudgets(Connection c, String tenantId, List<Budget> budgets) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(db.query("budget_insert"))) {
            for (Budget b : budgets) {
                ps.setString(1, tenantId);
                ps.setString(2, b.period().name());
                ps.setBigDecimal(3, Money.usd(b.limitMicroUsd()));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private List<Budget> budgets(Connection c, String tenantId) throws SQLException {
        List<Budget> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(db.query("budgets_of_tenant"))) {
            ps.setString(1, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Budget(BudgetPeriod.parse(rs.getString(1)), Money.microUsdFromSql(rs.getBigDecimal(2))));
                }
            }
        }
        return out;
    }

    /** Tenant ids after {@code afterId} in order, at most 500: for duties that walk every tenant. */
    public List<String> idsAfter(String afterId) {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement(db.query("tenant_ids_after"))) {
            ps.setString(1, afterId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1));
            }
        } catch (SQLException e) {
            throw Database.unavailable("tenant list", e);
        }
        return out;
    }

    /**
     * Calls {@code each} with every tenant id in order, page by page, reading at most {@code maxPages} pages
     * of 500: the walk every duty and the tenant list share.
     */
    public void forEachId(int maxPages, java.util.function.Consumer<String> each) {
        String after = "";
        for (int page = 0; page < maxPages; page++) {
            List<String> ids = idsAfter(after);
            if (ids.isEmpty()) return;
            ids.forEach(each);
            after = ids.get(ids.size() - 1);
        }
    }

    public void insertKey(ApiKey key, String keyHash) {
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement(db.query("key_insert"))) {
            ps.setString(1, key.id());
            ps.setString(2, key.tenantId());
            ps.setString(3, key.name());
            ps.setString(4, key.prefix());
            ps.setString(5, keyHash);
            ps.setObject(6, Database.utc(key.createdAt()));
            bindControls(ps, 7, key.controls());
            ps.executeUpdate();
        } catch (SQLException e) {
            throw Database.unavailable("key insert", e);
        }
    }

    public Optional<ApiKey> findKeyByHash(String keyHash) {
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement(db.query("key_find_by_hash"))) {
            ps.setString(1, keyHash);
            ps.setString(2, keyHash);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                return Optional.of(new ApiKey(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        instant(rs, 6), instant(rs, 5), controls(rs, 7), instant(rs, 12)));
            }
        } catch (SQLException e) {
            throw Database.unavailable("key lookup", e);
        }
    }

    public List<ApiKey> keysOf(String tenantId) {
        List<ApiKey> out = new ArrayList<>();
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement(db.query("keys_of_tenant"))) {
            ps.setString(1, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new ApiKey(rs.getString(1), tenantId, rs.getString(2), rs.getString(3), instant(rs, 4),
                            instant(rs, 5), controls(rs, 6), null));
                }
            }
        } catch (SQLException e) {
            throw Database.unavailable("keys list", e);
        }
        return out;
    }

    public enum RevokeResult { REVOKED, ALREADY_REVOKED, NOT_FOUND }

    public RevokeResult revokeKey(String tenantId, String keyId, Instant now) {
        try (Connection c = db.connection()) {
            try (PreparedStatement ps = c.prepareStatement(db.query("key_revoke"))) {
                ps.setObject(1, Database.utc(now));
                ps.setString(2, keyId);
                ps.setString(3, tenantId);
                if (ps.executeUpdate() == 1) return RevokeResult.REVOKED;
            }
            try (PreparedStatement ps = c.prepareStatement(db.query("key_exists"))) {
                ps.setString(1, keyId);
                ps.setString(2, tenantId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? RevokeResult.ALREADY_REVOKED : RevokeResult.NOT_FOUND;
                }
            }
        } catch (SQLException e) {
            throw Database.unavailable("key revoke", e);
        }
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    /** Expiry, allowed models, default output cap, rate limit from four columns starting at {@code at}. */
    private static ApiKey.Controls controls(ResultSet rs, int at) throws SQLException {
        String models = rs.getString(at + 1);
        long cap = rs.getLong(at + 2);
        Long outputCap = rs.wasNull() ? null : cap;
        int rate = rs.getInt(at + 3);
        Integer rateLimit = rs.wasNull() ? null : rate;
        long tpm = rs.getLong(at + 4);
        Long tokensPerMin = rs.wasNull() ? null : tpm;
        return new ApiKey.Controls(instant(rs, at), models == null || models.isEmpty() ? java.util.Set.of()
                : new java.util.LinkedHashSet<>(List.of(models.split("\n"))), outputCap, rateLimit, tokensPerMin);
    }

    private static void bindControls(PreparedStatement ps, int at, ApiKey.Controls k) throws SQLException {
        ps.setObject(at, k.expiresAt() == null ? null : Database.utc(k.expiresAt()));
        ps.setString(at + 1, k.allowedModels().isEmpty() ? null : String.join("\n", k.allowedModels()));
        ps.setObject(at + 2, k.defaultMaxOutputTokens(), java.sql.Types.BIGINT);
        ps.setObject(at + 3, k.rateLimitPerMin(), java.sql.Types.INTEGER);
        ps.setObject(at + 4, k.tokensPerMin(), java.sql.Types.BIGINT);
    }

    /** Replaces a key's controls; false when the tenant has no such key. */
    public boolean setKeyControls(String tenantId, String keyId, ApiKey.Controls controls) {
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement(db.query("key_controls_update"))) {
            bindControls(ps, 1, controls);
            ps.setString(6, keyId);
            ps.setString(7, tenantId);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw Database.unavailable("key controls update", e);
        }
    }

    /**
     * Gives a key a new secret (its id, budgets and ledger history stay); the old secret keeps working until
     * {@code oldValidUntil}. False when the tenant has no such active key. One transaction.
     */
    public boolean rotateKey(String tenantId, String keyId, String newHash, String newPrefix, Instant oldValidUntil) {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                String oldHash;
                try (PreparedStatement ps = c.prepareStatement(db.query("key_secret_of"))) {
                    ps.setString(1, keyId);
                    ps.setString(2, tenantId);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            c.rollback();
                            return false;
                        }
                        oldHash = rs.getString(1);
                    }
                }
                try (PreparedStatement ps = c.prepareStatement(db.query("key_retired_insert"))) {
                    ps.setString(1, oldHash);
                    ps.setString(2, keyId);
                    ps.setObject(3, Database.utc(oldValidUntil));
                    ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement(db.query("key_secret_replace"))) {
                    ps.setString(1, newHash);
                    ps.setString(2, newPrefix);
                    ps.setString(3, keyId);
                    ps.setString(4, tenantId);
                    ps.setString(5, oldHash);
                    if (ps.executeUpdate() != 1) throw new SQLException("the key's secret changed during its rotation", "40001");
                }
                c.commit();
                return true;
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw Database.unavailable("key rotation", e);
        }
    }

    /** Sets (or, with null, clears) the tenant's tokens per minute; false when the tenant does not exist. */
    public boolean setTokensPerMin(String tenantId, Long tokensPerMin, Instant now) {
        return setTenantNumber("tenant_tokens_per_min_update", "tenant tokens per minute update", tenantId, tokensPerMin, now);
    }
}
