package io.budgetguard.ledger;

import io.budgetguard.core.UsageEvent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.store.Database;
import io.budgetguard.store.DatabaseUrl;
import io.budgetguard.testing.PostgresDb;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The ledger on a real Postgres: append-only by trigger, idempotent, partitioned by month, migrated once. */
class PostgresLedgerTest {
    String url;
    Database db;
    Ledger ledger;

    @BeforeEach
    void open() {
        url = PostgresDb.create();
        db = Database.postgres(DatabaseUrl.parse(url), 4, 5_000);
        db.migrate();
        db.ensureLedgerPartitions(Instant.now());
        ledger = new Ledger(db, true);
    }

    @AfterEach
    void close() {
        db.close();
    }

    static UsageEvent event(String id, long cost, Instant at) {
        return new UsageEvent(id, "acme", "key_1", "/v1/chat/completions", "openai", "gpt-4o", UsageEvent.Status.OK, 10, 0, 0, 5, cost, cost,
                200, at, at.plusMillis(42));
    }

    long count(String sql) throws SQLException {
        try (Connection c = db.connection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void anAppendIsIdempotentByRequestId() {
        Instant now = Instant.now();
        assertTrue(ledger.append(event("req_1", 100, now)));
        assertFalse(ledger.append(event("req_1", 100, now)));
        assertEquals(100, ledger.spentMicroUsd("acme", io.budgetguard.core.WindowScope.TENANT, now.minusSeconds(60).toEpochMilli(), now.plusSeconds(60).toEpochMilli(), List.of()));
    }

    @Test
    void theTriggerRejectsUpdateDeleteAndTruncate() throws Exception {
        ledger.append(event("req_u", 100, Instant.now()));
        for (String sql : List.of("UPDATE usage_ledger SET cost_usd = 0", "DELETE FROM usage_ledger", "TRUNCATE usage_ledger")) {
            try (Connection c = db.connection(); Statement st = c.createStatement()) {
                SQLException e = assertThrows(SQLException.class, () -> st.execute(sql), sql);
                assertTrue(e.getMessage().contains("append-only"), e.getMessage());
            }
        }
        assertEquals(1, count("SELECT COUNT(*) FROM usage_ledger"));
    }

    @Test
    void rowsLandInTheirMonthsPartition() throws Exception {
        Instant now = Instant.now();
        ledger.append(event("req_p", 1, now));
        String month = java.time.LocalDate.ofInstant(now, java.time.ZoneOffset.UTC).toString().substring(0, 7).replace('-', '_');
        assertEquals(1, count("SELECT COUNT(*) FROM usage_ledger_" + month));
        assertEquals(0, count("SELECT COUNT(*) FROM usage_ledger_default"));
    }

    @Test
    void moneyIsExactToTheMicroDollar() {
        Instant now = Instant.now();
        ledger.append(event("req_a", 1, now));
        ledger.append(event("req_b", 999_999, now));
        ledger.append(event("req_c", 123_456_789_012L, now));
        assertEquals(123_457_789_012L, ledger.spentMicroUsd("acme", io.budgetguard.core.WindowScope.TENANT, now.minusSeconds(1).toEpochMilli(), now.plusSeconds(1).toEpochMilli(), List.of()));
    }

    @Test
    void processesMigratingAtOnceApplyEachMigrationOnce() throws Exception {
        String fresh = PostgresDb.create();
        List<Future<Integer>> applied = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            for (int i = 0; i < 4; i++) {
                applied.add(pool.submit(() -> {
                    try (Database d = Database.postgres(DatabaseUrl.parse(fresh), 2, 5_000)) {
                        return d.migrate();
                    }
                }));
            }
            int total = 0;
            for (Future<Integer> f : applied) total += f.get();
            long listed = java.nio.file.Files.readAllLines(java.nio.file.Path.of("sql/postgres/migrations.list")).stream()
                    .map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).count();
            assertEquals(listed, total, "every listed migration, applied once between the four of them");
        }
    }
}
