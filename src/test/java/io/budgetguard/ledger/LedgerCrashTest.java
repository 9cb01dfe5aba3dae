package io.budgetguard.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.store.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The embedded store's durability against a killed process (a real child JVM, halted right after committing):
 * what H2 had not stored yet comes back from the ledger log when the ledger is opened again.
 */
class LedgerCrashTest {
    @Test
    void aTornLastLineOfTheLogIsIgnored() throws Exception {
        Path dir = Files.createTempDirectory("torn");
        try (Database db = Database.embedded(dir)) {
            db.migrate();
            try (Ledger ledger = new Ledger(db, true)) {
                ledger.append(LedgerTest.event("req_whole", 1_000));
            }
        }
        Files.writeString(dir.resolve(LedgerWal.FILE_NAME), "A {\"request_id\":\"req_torn\",\"tena",
                java.nio.file.StandardOpenOption.APPEND);
        try (Database db = Database.embedded(dir); Ledger reopened = new Ledger(db, true); Connection c = db.connection()) {
            assertEquals(1, count(c, "SELECT count(*) FROM usage_ledger WHERE request_id = 'req_whole'"));
            assertEquals(0, count(c, "SELECT count(*) FROM usage_ledger WHERE request_id = 'req_torn'"));
        }
    }

    @Test
    void ledgerAndJournalRowsCommittedJustBeforeTheProcessDiesSurvive() throws Exception {
        Path dir = Files.createTempDirectory("crash");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), CrashAfterCommit.class.getName(), dir.toString(), "50")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child finished");
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(out.contains("committed 50"), out);
        try (Database db = Database.embedded(dir)) {
            db.migrate(); // the gateway migrates before it opens the ledger; here even the schema may be gone
        }
        try (Database db = Database.embedded(dir); Ledger reopened = new Ledger(db, true); Connection c = db.connection()) {
            assertEquals(50, count(c, "SELECT count(*) FROM usage_ledger WHERE request_id LIKE 'req_crash_%'"));
            assertEquals(50, count(c, "SELECT count(*) FROM reservations WHERE request_id LIKE 'req_inflight_%'"),
                    "in-flight reservations are still journaled, to become expired rows at restart");
        }
    }

    private static long count(Connection c, String sql) throws Exception {
        try (ResultSet r = c.createStatement().executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }
}
