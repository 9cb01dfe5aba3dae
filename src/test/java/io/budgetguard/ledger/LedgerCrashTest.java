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

/** The embedded store's durability against a killed process (a real child JVM, halted right after committing). */
class LedgerCrashTest {
    @Test
    void ledgerAndJournalRowsCommittedJustBeforeTheProcessDiesSurvive() throws Exception {
        Path dir = Files.createTempDirectory("crash");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), CrashAfterCommit.class.getName(), dir.toString(), "50")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child finished");
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(out.contains("committed 50"), out);
        try (Database db = Database.embedded(dir); Connection c = db.connection()) {
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
