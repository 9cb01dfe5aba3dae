package io.budgetguard.tenant;

import io.budgetguard.core.Budget;
import io.budgetguard.core.BudgetPeriod;
import io.budgetguard.core.Money;
import io.budgetguard.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The budgets below a tenant's: per API key and per model group (its models and budgets), in the relational store.
 * Each change touches the tenant's row in the same transaction, so a cached tenant is re-read by every gateway.
 */
public final class ScopeStore {
    static final String KEY = "key";
    static final String MODEL_GROUP = "model_group";

    private final Database db;

    public ScopeStore(Database db) {
        this.db = db;
    }

    /** Key budgets, model groups and user budgets ('*' = the per-user defaults) of a tenant. */
    record Scopes(Map<String, List<Budget>> keyBudgets, List<Tenant.ModelGroup> groups, Map<String, List<Budget>> userBudgets,
                  List<Budget> userDefaults) {}

    /** The user id under which the tenant's per-user default budgets are stored. */
    static final String DEFAULT_USER = "*";

    Scopes load(Connection c, String tenantId) throws SQLException {
        Map<String, List<Budget>> keys = new LinkedHashMap<>();
        Map<String, List<Budget>> groupBudgets = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(db.query("scoped_budgets_of_tenant"))) {
            ps.setString(1, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Budget b = new Budget(BudgetPeriod.parse(rs.getString(3)), Money.microUsdFromSql(rs.getBigDecimal(4)));
                    (KEY.equals(rs.getString(1)) ? keys : groupBudgets).computeIfAbsent(rs.getString(2), k -> new ArrayList<>()).add(b);
                }
            }
        }
        List<Tenant.ModelGroup> groups = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(db.query("model_groups_of_tenant"))) {
            ps.setString(1, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Set<String> models = new LinkedHashSet<>(List.of(rs.getString(2).split("\n")));
                    groups.add(new Tenant.ModelGroup(rs.getString(1), models, groupBudgets.getOrDefault(rs.getString(1), List.of())));
                }
            }
        }
        Map<String, List<Budget>> users = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(db.query("user_budgets_of_tenant"))) {
            ps.setString(1, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    users.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
                            .add(new Budget(BudgetPeriod.parse(rs.getString(2)), Money.microUsdFromSql(rs.getBigDecimal(3))));
                }
            }
        }
        List<Budget> defaults = users.remove(DEFAULT_USER);
        return new Scopes(keys, groups, users, defaults == null ? List.of() : defaults);
    }

    /** Replaces one end user's budgets ({@code userId} null: the per-user defaults); false when the tenant does not exist. */
    public boolean replaceUserBudgets(String tenantId, String userId, List<Budget> budgets, Instant now) {
        String id = userId == null ? DEFAULT_USER : userId;
        return inTenant(tenantId, now, c -> {
            try (PreparedStatement ps = c.prepareStatement(db.query("user_budgets_delete"))) {
                ps.setString(1, tenantId);
                ps.setString(2, id);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(db.query("user_budget_insert"))) {
                for (Budget b : budgets) {
                    ps.setString(1, tenantId);
                    ps.setString(2, id);
                    ps.setString(3, b.period().name());
                    ps.setBigDecimal(4, Money.usd(b.limitMicroUsd()));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        });
    }

    /** Replaces the budgets of one of the tenant's keys; false when the tenant does not exist. */
    public boolean replaceKeyBudgets(String tenantId, String keyId, List<Budget> budgets, Instant now) {
        return inTenant(tenantId, now, c -> replace(c, tenantId, KEY, keyId, budgets));
    }

    /** Creates or replaces a model group with its models and budgets; false when the tenant does not exist. */
    public boolean putModelGroup(String tenantId, String name, Set<String> models, List<Budget> budgets, Instant now) {
        return inTenant(tenantId, now, c -> {
            deleteGroupRow(c, tenantId, name);
            try (PreparedStatement ps = c.prepareStatement(db.query("model_group_insert"))) {
                ps.setString(1, tenantId);
                ps.setString(2, name);
                ps.setString(3, String.join("\n", models));
                ps.executeUpdate();
            }
            replace(c, tenantId, MODEL_GROUP, name, budgets);
        });
    }

    /** Removes a model group and its budgets; false when the tenant does not exist. */
    public boolean deleteModelGroup(String tenantId, String name, Instant now) {
        return inTenant(tenantId, now, c -> {
            deleteGroupRow(c, tenantId, name);
            replace(c, tenantId, MODEL_GROUP, name, List.of());
        });
    }

    private void deleteGroupRow(Connection c, String tenantId, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(db.query("model_group_delete"))) {
            ps.setString(1, tenantId);
            ps.setString(2, name);
            ps.executeUpdate();
        }
    }

    private void replace(Connection c, String tenantId, String kind, String scopeId, List<Budget> budgets) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(db.query("scoped_budgets_delete"))) {
            ps.setString(1, tenantId);
            ps.setString(2, kind);
            ps.setString(3, scopeId);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement(db.query("scoped_budget_insert"))) {
            for (Budget b : budgets) {
                ps.setString(1, tenantId);
                ps.setString(2, kind);
                ps.setString(3, scopeId);
                ps.setString(4, b.period().name());
                ps.setBigDecimal(5, Money.usd(b.limitMicroUsd()));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    @FunctionalInterface
    interface Change {
        void apply(Connection c) throws SQLException;
    }

    /** One transaction that first touches the tenant (false when it does not exist), then applies the change. */
    boolean inTenant(String tenantId, Instant now, Change change) {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement(db.query("tenant_touch"))) {
                    ps.setObject(1, Database.utc(now));
                    ps.setString(2, tenantId);
                    if (ps.executeUpdate() == 0) {
                        c.rollback();
                        return false;
                    }
                }
                change.apply(c);
                c.commit();
                return true;
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw Database.unavailable("budgets replace", e);
        }
    }
}
