package io.budgetguard.ledger;

import io.budgetguard.core.StoreUnavailableException;
import io.budgetguard.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** At start, the embedded store's write-ahead log applied to H2 (verified batch by batch), then checkpointed and emptied. */
final class WalReplay {
    private WalReplay() {}

    /** Applies, in order and idempotently, what a previous process logged but H2 may not have stored. */
    static void run(Database db, LedgerWal wal, LedgerChain chain) {
        LedgerWal.Contents contents;
        try {
            contents = wal.read();
        } catch (java.io.IOException e) {
            throw new StoreUnavailableException("cannot read the ledger log: " + e.getMessage(), e);
        }
        if (contents.stoppedBecause() != null) {
            // Nobody was told a torn or corrupt batch committed (a caller returns only after its batch is written
            // whole and committed), so what follows it is dropped; said once, with where.
            io.budgetguard.log.JsonLog.warn("ledger_log_replay_stopped", "reason", contents.stoppedBecause(),
                    "entries_replayed", contents.entries().size());
        }
        List<LedgerWal.Entry> entries = contents.entries();
        if (entries.isEmpty()) {
            try {
                wal.clear();
            } catch (java.io.IOException e) {
                throw new StoreUnavailableException("cannot empty the ledger log: " + e.getMessage(), e);
            }
            return;
        }
        // Replay tolerates journal rows that H2 did store (reservation_replay ignores a conflict).
        // Rows H2 did store are skipped and take no link.
        List<io.budgetguard.core.UsageEvent> appends = GroupCommit.appendsOf(entries);
        LedgerChain.Linked linked = db.inTransaction("ledger log replay", c -> {
            LedgerChain.Linked l = chain.link(c, appends, true);
            try (PreparedStatement j = c.prepareStatement(db.query("reservation_replay"));
                 PreparedStatement a = c.prepareStatement(db.query("ledger_insert"));
                 PreparedStatement d = c.prepareStatement(db.query("reservation_delete"))) {
                LedgerChain.checkedInserts(GroupCommit.execute(entries, j, a, d, l.links(), id -> true)[1], l.links());
                return l;
            }
        });
        chain.committed(linked);
        try (Connection c = db.connection(); Statement st = c.createStatement()) {
            st.execute("CHECKPOINT");
            wal.clear();
        } catch (SQLException | java.io.IOException e) {
            throw new StoreUnavailableException("cannot checkpoint after replaying the ledger log: " + e.getMessage(), e);
        }
        io.budgetguard.log.JsonLog.info("ledger_log_replayed", "entries", entries.size());
    }
}
