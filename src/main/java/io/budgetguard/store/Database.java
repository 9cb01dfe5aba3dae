package io.budgetguard.store;

import io.budgetguard.core.StoreRejectedException;
import io.budgetguard.core.StoreUnavailableException;

import io.budgetguard.log.JsonLog;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcConnectionPool;

/**
 * The relational store: a pooled DataSource, its dialect's migrations (applied once, in order, each in a
 * transaction) and its named queries. SQL errors become {@link StoreUnavailableException} except data and
 * constraint errors ({@link StoreRejectedException}) and SQL bugs ({@link IllegalStateException}).
 */
public final class Database implements AutoCloseable {
    /** Embedded pool size: H2 serialises writers anyway; more connections only cost memory. */
    public static final int EMBEDDED_MAX_CONNECTIONS = 16;

    private final DataSource dataSource;
    private final AutoCloseable closer;
    private final String dialect;
    private final Map<String, String> queries;
    /** The embedded store's directory (null for Postgres). */
    private final Path dataDir;

    private Database(DataSource dataSource, AutoCloseable closer, String dialect, Path dataDir) {
        this.dataSource = dataSource;
        this.dataDir = dataDir;
        this.closer = closer;
        this.dialect = dialect;
        this.queries = SqlScript.namedQueries(SqlScript.resource("sql/" + dialect + "/queries.sql"));
    }

    static {
        // H2's AUTO_SERVER (a second local process: `seed` while `all` runs) listens on loopback only, never on
        // the network. Set before any H2 class reads its system properties.
        if (System.getProperty("h2.bindAddress") == null) System.setProperty("h2.bindAddress", "127.0.0.1");
    }

    /**
     * The embedded H2 file database under {@code dataDir}: the directory private to the gateway's user (0700, its
     * files 0600), the database protected by a random password generated at first start and kept in
     * {@code db.password} (0600). AUTO_SERVER lets a second local process of the same user open the same file
     * through the first one, over loopback.
     */
    public static Database embedded(Path dataDir) {
        try {
            PrivateFiles.directory(dataDir);
        } catch (java.io.IOException e) {
            throw new StoreUnavailableException("cannot create data directory " + dataDir + ": " + e.getMessage(), e);
        }
        String url = "jdbc:h2:file:" + dataDir.toAbsolutePath().normalize().resolve("budgetguard")
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;AUTO_SERVER=TRUE;LOCK_TIMEOUT=10000";
        String password = EmbeddedPassword.ensure(dataDir, url);
        JdbcConnectionPool pool = JdbcConnectionPool.create(url, "budgetguard", password);
        pool.setMaxConnections(EMBEDDED_MAX_CONNECTIONS);
        pool.setLoginTimeout(10);
        try (java.sql.Connection c = pool.getConnection()) {
            PrivateFiles.restrictAll(dataDir); // H2 created its files with the process umask
        } catch (java.sql.SQLException | java.io.IOException e) {
            pool.dispose();
            throw new StoreUnavailableException("cannot open the embedded database in " + dataDir + ": " + e.getMessage(), e);
        }
        return new Database(pool, pool::dispose, "h2", dataDir.toAbsolutePath().normalize());
    }

    /** The production store: Postgres through a bounded HikariCP pool. */
    public static Database postgres(DatabaseUrl url, int poolSize, long connectTimeoutMs) {
        com.zaxxer.hikari.HikariConfig c = new com.zaxxer.hikari.HikariConfig();
        c.setJdbcUrl(url.jdbcUrl());
        if (url.user() != null) c.setUsername(url.user());
        if (url.password() != null) c.setPassword(url.password());
        c.setMaximumPoolSize(poolSize);
        c.setMinimumIdle(Math.min(2, poolSize));
        c.setConnectionTimeout(Math.max(250, connectTimeoutMs));
        c.setValidationTimeout(Math.max(250, Math.min(connectTimeoutMs, 5_000)));
        c.setPoolName("budgetguard");
        // The pool is created even when Postgres is down and recovers when it returns (a running gateway rides out an
        // outage on Redis); a process that is starting still needs Postgres, for its migrations, and refuses to start.
        c.setInitializationFailTimeout(-1);
        c.addDataSourceProperty("ApplicationName", "budgetguard");
        c.addDataSourceProperty("tcpKeepAlive", "true");
        com.zaxxer.hikari.HikariDataSource ds = new com.zaxxer.hikari.HikariDataSource(c);
        return new Database(ds, ds::close, "postgres", null);
    }

    public String dialect() {
        return dialect;
    }

    /** The month whose partitions (and the next two) this process already made sure of. */
    private volatile java.time.LocalDate partitionsEnsuredFor;

    /**
     * Postgres: makes sure the ledger's partitions for this month and the next two exist. The worker calls it
     * every period; it reaches the database once per process and month.
     */
    public void ensureLedgerPartitions(Instant now) {
        if (!dialect.equals("postgres")) return;
        java.time.LocalDate month = java.time.LocalDate.ofInstant(now, ZoneOffset.UTC).withDayOfMonth(1);
        if (month.equals(partitionsEnsuredFor)) return;
        try (Connection c = connection(); PreparedStatement ps = c.prepareStatement(query("ensure_ledger_partition"))) {
            for (int i = 0; i < 3; i++) {
                ps.setObject(1, month.plusMonths(i));
                ps.execute();
            }
            partitionsEnsuredFor = month;
        } catch (SQLException e) {
            throw unavailable("ledger partitions", e);
        }
    }

    public String query(String name) {
        String q = queries.get(name);
        if (q == null) throw new IllegalStateException("no query named " + name + " for " + dialect);
        return q;
    }

    /** Work inside one transaction. */
    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
    public <T> T inTransaction(String what, SqlWork<T> work) {
        try (Connection c = connection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException ex) {
                c.rollback();
                throw ex;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException ex) {
            throw unavailable(what, ex);
        }
    }

    /** The embedded store's directory, or null for Postgres. */
    public Path dataDir() {
        return dataDir;
    }

    public Connection connection() {
        try {
            return dataSource.getConnection();
        } catch (SQLException e) {
            throw unavailable("connect", e);
        }
    }

    /** Throws StoreUnavailableException when the database cannot run a trivial query (readiness). */
    public void ping() {
        try (Connection c = connection()) {
            if (!c.isValid(2)) throw new StoreUnavailableException("database connection is not valid", null);
        } catch (SQLException e) {
            throw unavailable("ping", e);
        }
    }

    /** Applies the dialect's migrations that are not yet recorded; returns how many ran. */
    public int migrate() {
        return new Migrations(this).apply();
    }

    public static OffsetDateTime utc(Instant t) {
        return t.atOffset(ZoneOffset.UTC);
    }

    public static boolean isUniqueViolation(SQLException e) {
        return "23505".equals(e.getSQLState());
    }

    /**
     * Maps a SQL failure: syntax and schema errors are bugs; data and constraint errors (classes 22, 23) are the
     * request's, told to the caller; the rest means the store is not usable now.
     */
    public static RuntimeException unavailable(String what, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.startsWith("42")) return new IllegalStateException(what + ": " + e.getMessage(), e);
        if (state.startsWith("22") || state.startsWith("23")) return new StoreRejectedException(what, state, e);
        return new StoreUnavailableException("database unavailable during " + what + ": " + e.getMessage(), e);
    }

    @Override
    public void close() {
        try {
            closer.close();
        } catch (Exception e) {
            JsonLog.warn("database_close_failed", "error", e.toString());
        }
    }
}
