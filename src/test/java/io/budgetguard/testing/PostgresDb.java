package io.budgetguard.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;

/**
 * A fresh database on the real Postgres server that CI starts (TEST_DATABASE_URL, a role that may CREATE
 * DATABASE). Locally the same default is tried; without a server the Postgres tests are skipped (in CI, failed).
 */
public final class PostgresDb {
    static final String DEFAULT_ADMIN_URL = "postgresql://budgetguard:budgetguard@127.0.0.1:5432/postgres";

    private PostgresDb() {}

    static String adminUrl() {
        String url = System.getenv("TEST_DATABASE_URL");
        return url == null || url.isBlank() ? DEFAULT_ADMIN_URL : url;
    }

    /** Creates an empty database and returns its DATABASE_URL. */
    public static String create() {
        io.budgetguard.store.DatabaseUrl admin = io.budgetguard.store.DatabaseUrl.parse(adminUrl());
        String name = "bg_test_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        try (Connection c = DriverManager.getConnection(admin.jdbcUrl(), admin.user(), admin.password());
             Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (Exception e) {
            if (System.getenv("CI") != null) throw new IllegalStateException("CI must provide Postgres at TEST_DATABASE_URL", e);
            Assumptions.abort("no Postgres for the tests (" + e.getMessage() + ")");
        }
        return adminUrl().substring(0, adminUrl().lastIndexOf('/') + 1) + name;
    }
}
