package io.budgetguard.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.core.UsageEvent;
import io.budgetguard.store.Database;
import io.budgetguard.store.DatabaseUrl;
import io.budgetguard.testing.PostgresDb;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The hash chain on Postgres, written by workers draining the streams: several at once never fork a chain. */
class PostgresLedgerChainTest extends LedgerChainContract {
    @Override
    Database openDatabase() {
        Database d = Database.postgres(DatabaseUrl.parse(PostgresDb.create()), 8, 5_000);
        d.migrate();
        d.ensureLedgerPartitions(Instant.parse("2026-12-02T00:00:00Z"));
        return d;
    }

    @Override
    boolean journaled() {
        return false;
    }

    /** Postgres's append-only rule is a trigger the table's owner can disable for one statement. */
    @Override
    void behindTheTriggersBack(String sql) throws SQLException {
        try (Connection c = db.connection(); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE usage_ledger DISABLE TRIGGER usage_ledger_no_update");
            try {
                st.execute(sql);
            } finally {
                st.execute("ALTER TABLE usage_ledger ENABLE TRIGGER usage_ledger_no_update");
            }
        }
    }

    @Test
    void workersDrainingOneTenantAtOnceNeverForkItsChain() throws Exception {
        int workers = 4, batches = 25, perBatch = 4;
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int worker = w;
            Ledger own = new Ledger(db, false); // each worker process has its own ledger and chain state
            done.add(pool.submit(() -> {
                for (int b = 0; b < batches; b++) {
                    List<UsageEvent> batch = new ArrayList<>();
                    for (int i = 0; i < perBatch; i++) batch.add(event("w" + worker + "-b" + b + "-" + i, "shared", 10, i));
                    batch.add(event("w0-b0-0", "shared", 10, 0)); // a redelivered entry: written once, linked once
                    own.appendBatch(batch);
                }
                return null;
            }));
        }
        for (Future<?> f : done) f.get();
        pool.shutdown();
        ChainVerification.Result r = verify("shared");
        assertTrue(r.intact(), r.toString());
        assertEquals((long) workers * batches * perBatch, r.chainedRows());
        assertEquals(r.chainedRows(), r.head().seq());
    }
}
