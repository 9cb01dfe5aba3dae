package io.budgetguard.ledger;

import io.budgetguard.core.Reservation;
import io.budgetguard.store.Database;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Child process for LedgerCrashTest: commits {@code n} journal and ledger writes (each acknowledged), says so, then
 * dies without any cleanup, at a chosen step of one more write:
 * {@code after-commit} (no further write), {@code mid-write} (half of a batch reached the log),
 * {@code before-commit} (the batch is in the log, H2 has not committed it), {@code failed-commit} (H2's commit failed,
 * the caller was told so; then the process dies), {@code across-checkpoint} (a checkpoint after every write, so the
 * in-flight reservations are stored in H2 and the log emptied; one more reservation is journaled and settled after a
 * checkpoint).
 */
public final class CrashAfterCommit {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Database db = Database.embedded(dir);
        db.migrate();
        int n = Integer.parseInt(args[1]);
        String step = args.length > 2 ? args[2] : "after-commit";
        Ledger ledger = new Ledger(db, true, step.equals("across-checkpoint") ? 0 : GroupCommit.CHECKPOINT_INTERVAL_MS);
        for (int i = 0; i < n; i++) {
            ledger.append(LedgerTest.event("req_crash_" + i, 1_000));
            long now = System.currentTimeMillis();
            ledger.journal(new Reservation("req_inflight_" + i, "acme", "key_1", "/v1/chat/completions", "openai", "gpt-4o", 500,
                    now, now + 900_000, List.of()));
        }
        System.out.println("committed " + n);
        switch (step) {
            case "mid-write" -> {
                var frame = LedgerWal.frame(List.of(new LedgerWal.Entry(null, LedgerTest.event("req_torn", 1_000))));
                frame.limit(frame.limit() / 2);
                try (FileChannel ch = FileChannel.open(dir.resolve(LedgerWal.FILE_NAME), StandardOpenOption.APPEND)) {
                    ch.write(frame);
                }
            }
            case "before-commit" -> {
                CrashPoint.install(s -> {
                    if (s == CrashPoint.Step.BEFORE_COMMIT) halt();
                });
                ledger.append(LedgerTest.event("req_unacknowledged", 1_000));
            }
            case "failed-commit" -> {
                CrashPoint.install(s -> {
                    if (s == CrashPoint.Step.BEFORE_COMMIT) throw new java.sql.SQLException("injected commit failure", "08006");
                });
                try {
                    ledger.append(LedgerTest.event("req_failed", 1_000));
                    System.out.println("unexpectedly committed");
                } catch (RuntimeException told) {
                    System.out.println("told it failed: " + told.getMessage());
                }
            }
            case "across-checkpoint" -> {
                long now = System.currentTimeMillis();
                ledger.journal(new Reservation("req_settled_later", "acme", "key_1", "/v1/chat/completions", "openai", "gpt-4o", 500,
                        now, now + 900_000, List.of()));
                ledger.append(LedgerTest.event("req_between", 1_000)); // its checkpoint stores req_settled_later in H2
                ledger.append(LedgerTest.event("req_settled_later", 1_000));
                System.out.println("settled after a checkpoint");
            }
            default -> { }
        }
        halt();
    }

    private static void halt() {
        System.out.flush();
        Runtime.getRuntime().halt(9); // as kill -9: no shutdown hooks, no database close
    }
}
