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
    @org.junit.jupiter.params.ParameterizedTest(name = "killed {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"after-commit", "mid-write", "before-commit", "failed-commit", "across-checkpoint"})
    void noAcknowledgedRowIsLostAndNoRowAppearsForAWriteToldItFailed(String step) throws Exception {
        Path dir = Files.createTempDirectory("crash");
        String out = crash(dir, step);
        assertTrue(out.contains("committed 50"), out);
        if (step.equals("failed-commit")) assertTrue(out.contains("told it failed"), out);
        if (step.equals("across-checkpoint")) assertTrue(out.contains("settled after a checkpoint"), out);
        try (Database db = Database.embedded(dir)) {
            db.migrate(); // the gateway migrates before it opens the ledger; here even the schema may be gone
        }
        try (Database db = Database.embedded(dir); Ledger reopened = new Ledger(db, true); Connection c = db.connection()) {
            assertEquals(50, count(c, "SELECT count(*) FROM usage_ledger WHERE request_id LIKE 'req_crash_%'"),
                    "every acknowledged row survives");
            assertEquals(50, count(c, "SELECT count(*) FROM reservations WHERE request_id LIKE 'req_inflight_%'"),
                    "in-flight reservations are still journaled, to become expired rows at restart");
            assertEquals(0, count(c, "SELECT count(*) FROM usage_ledger WHERE request_id IN ('req_failed', 'req_torn')"),
                    "no row for a write whose caller was told it failed, nor for a torn batch");
            assertEquals(0, count(c, "SELECT count(*) FROM reservations WHERE request_id NOT LIKE 'req_inflight_%'"),
                    "a settled reservation leaves no journal row, whether it was journaled in the log or in H2");
            java.util.List<ChainVerification.Result> chains = new java.util.ArrayList<>();
            reopened.chains().verify(null, chains::add);
            for (ChainVerification.Result r : chains) {
                assertTrue(r.intact() && r.unchainedRows() == 0, "the replayed rows continue the chain: " + r);
            }
            assertEquals(count(c, "SELECT count(*) FROM usage_ledger"),
                    chains.stream().mapToLong(ChainVerification.Result::chainedRows).sum(), "every row chained once");
        }
    }

    @Test
    void replayStopsAtTheFirstCorruptBatchAndSaysWhere() throws Exception {
        Path dir = Files.createTempDirectory("corrupt");
        try (Database db = Database.embedded(dir)) {
            db.migrate();
        }
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        for (String id : new String[] {"req_first", "req_corrupt", "req_after"}) {
            var frame = LedgerWal.frame(java.util.List.of(new LedgerWal.Entry(null, LedgerTest.event(id, 1_000))));
            byte[] bytes = new byte[frame.remaining()];
            frame.get(bytes);
            if (id.equals("req_corrupt")) bytes[bytes.length - 5] ^= 0x01; // one flipped bit inside the payload
            log.write(bytes);
        }
        Files.write(dir.resolve(LedgerWal.FILE_NAME), log.toByteArray());
        int logged = io.budgetguard.testing.TestGateway.logLines().size();
        try (Database db = Database.embedded(dir); Ledger reopened = new Ledger(db, true); Connection c = db.connection()) {
            assertEquals(1, count(c, "SELECT count(*) FROM usage_ledger WHERE request_id = 'req_first'"));
            assertEquals(0, count(c, "SELECT count(*) FROM usage_ledger WHERE request_id IN ('req_corrupt', 'req_after')"));
        }
        io.budgetguard.log.JsonLog.flush();
        var lines = io.budgetguard.testing.TestGateway.logLines();
        assertTrue(lines.subList(logged, lines.size()).stream().anyMatch(l -> l.contains("ledger_log_replay_stopped")
                && l.contains("CRC32C")), "one clear line says where and why replay stopped");
    }

    private static String crash(Path dir, String step) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), CrashAfterCommit.class.getName(), dir.toString(), "50", step)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child finished");
        return out;
    }

    private static long count(Connection c, String sql) throws Exception {
        try (ResultSet r = c.createStatement().executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }
}
