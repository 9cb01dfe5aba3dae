package io.budgetguard.ledger;

import io.budgetguard.budget.Reservation;
import io.budgetguard.store.Database;
import java.nio.file.Path;
import java.util.List;

/** Child process for LedgerCrashTest: commits journal and ledger writes, says so, then dies without any cleanup. */
public final class CrashAfterCommit {
    public static void main(String[] args) {
        Database db = Database.embedded(Path.of(args[0]));
        db.migrate();
        Ledger ledger = new Ledger(db, true);
        int n = Integer.parseInt(args[1]);
        for (int i = 0; i < n; i++) {
            ledger.append(LedgerTest.event("req_crash_" + i, 1_000));
            long now = System.currentTimeMillis();
            ledger.journal(new Reservation("req_inflight_" + i, "acme", "key_1", "/v1/chat/completions", "gpt-4o", 500,
                    now, now + 900_000, List.of()));
        }
        System.out.println("committed " + n);
        System.out.flush();
        Runtime.getRuntime().halt(9); // as kill -9: no shutdown hooks, no database close
    }
}
