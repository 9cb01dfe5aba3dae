package io.budgetguard.ledger;

import io.budgetguard.core.UsageEvent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.store.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LedgerTest {
    Database db;
    Ledger ledger;

    @BeforeEach
    void open() throws Exception {
        Path dir = Files.createTempDirectory("ledger-test");
        db = Database.embedded(dir);
        db.migrate();
        ledger = new Ledger(db, true);
    }

    @AfterEach
    void close() {
        db.close();
    }

    static UsageEvent event(String id, long costMicroUsd) {
        Instant t = Instant.parse("2026-11-26T10:00:00Z");
        return new UsageEvent(id, "acme", "key_1", "/v1/chat/completions", "openai", "gpt-4o", UsageEvent.Status.OK,
                10, 0, 0, 5, costMicroUsd, costMicroUsd, 200, t, t.plusMillis(42));
    }

    @Test
    void anAppendIsIdempotentByRequestId() {
        assertTrue(ledger.append(event("req_1", 100)));
        assertFalse(ledger.append(event("req_1", 100)), "a replay writes nothing");
        assertEquals(100, ledger.spentMicroUsd("acme", Instant.parse("2026-11-01T00:00:00Z"), Instant.parse("2026-12-01T00:00:00Z")));
    }

    @Test
    void theDatabaseRejectsUpdatesOfLedgerRows() throws Exception {
        ledger.append(event("req_u", 100));
        try (Connection c = db.connection(); Statement st = c.createStatement()) {
            SQLException e = assertThrows(SQLException.class, () -> st.executeUpdate("UPDATE usage_ledger SET cost_usd = 0"));
            assertTrue(e.getMessage().contains("append-only"), e.getMessage());
        }
        assertEquals(100, ledger.spentMicroUsd("acme", Instant.EPOCH, Instant.parse("2030-01-01T00:00:00Z")));
    }

    @Test
    void theDatabaseRejectsDeletesOfLedgerRows() throws Exception {
        ledger.append(event("req_d", 100));
        try (Connection c = db.connection(); Statement st = c.createStatement()) {
            assertThrows(SQLException.class, () -> st.executeUpdate("DELETE FROM usage_ledger WHERE request_id = 'req_d'"));
        }
        assertEquals(100, ledger.spentMicroUsd("acme", Instant.EPOCH, Instant.parse("2030-01-01T00:00:00Z")));
    }

    @Test
    void costsAreStoredExactlyToTheMicroDollar() {
        ledger.append(event("req_a", 1));
        ledger.append(event("req_b", 999_999));
        ledger.append(event("req_c", 123_456_789_012L));
        assertEquals(123_457_789_012L, ledger.spentMicroUsd("acme", Instant.EPOCH, Instant.parse("2030-01-01T00:00:00Z")));
    }

    @Test
    void migrationsRunOnce() {
        assertEquals(0, db.migrate());
    }
}
