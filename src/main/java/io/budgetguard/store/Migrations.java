package io.budgetguard.store;

import io.budgetguard.log.JsonLog;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;

/**
 * The schema's migrations (sql/<dialect>/migrations.list, applied in order, each once, recorded in
 * schema_migrations); on Postgres under an advisory lock, so gateways starting together migrate once.
 */
final class Migrations {
    private final Database db;
    private final String dialect;

    Migrations(Database db) {
        this.db = db;
        this.dialect = db.dialect();
    }

    /** Applies the dialect's migrations that are not yet recorded; returns how many ran. */
    int apply() {
        List<String> files = SqlScript.resource("sql/" + dialect + "/migrations.list").lines()
                .map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        int applied = 0;
        try (Connection c = db.connection()) {
            // Several processes starting at once: one migrates, the others wait and then find nothing to do.
            if (dialect.equals("postgres")) lock(c, "SELECT pg_advisory_lock(" + MIGRATION_LOCK_ID + ")");
            try {
                try (Statement st = c.createStatement()) {
                    st.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version VARCHAR(128) PRIMARY KEY, "
                            + "applied_at TIMESTAMP WITH TIME ZONE NOT NULL)");
                }
                for (String file : files) {
                    if (isApplied(c, file)) continue;
                    apply(c, file);
                    applied++;
                }
            } finally {
                if (dialect.equals("postgres")) lock(c, "SELECT pg_advisory_unlock(" + MIGRATION_LOCK_ID + ")");
            }
        } catch (SQLException e) {
            throw Database.unavailable("migrate", e);
        }
        if (applied > 0) JsonLog.info("migrated", "dialect", dialect, "applied", applied);
        return applied;
    }

    /** Any fixed 64-bit number; ours spells "budgetgu(ard)". */
    static final long MIGRATION_LOCK_ID = 0x6275646765746775L;

    private static void lock(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static boolean isApplied(Connection c, String version) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM schema_migrations WHERE version = ?")) {
            ps.setString(1, version);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private void apply(Connection c, String file) throws SQLException {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            for (String sql : SqlScript.statements(SqlScript.resource("sql/" + dialect + "/" + file))) {
                st.execute(sql);
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)")) {
                ps.setString(1, file);
                ps.setObject(2, Database.utc(Instant.now()));
                ps.executeUpdate();
            }
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw new IllegalStateException("migration " + file + " failed: " + e.getMessage(), e);
        } finally {
            c.setAutoCommit(true);
        }
    }
}
