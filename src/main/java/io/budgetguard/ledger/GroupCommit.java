package io.budgetguard.ledger;

import io.budgetguard.core.UsageEvent;

import io.budgetguard.core.Reservation;
import io.budgetguard.store.Database;
import io.budgetguard.core.StoreUnavailableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Group commit for the embedded store's per-request writes (journal a reservation; append a ledger row and
 * drop its journal entry): callers queue their write and wait; one writer thread runs whatever is queued as JDBC
 * batches of three prepared statements, parsed once per connection, in a single transaction. A caller returns
 * only after its write committed; concurrent requests share one commit. Each batch is first appended to the
 * {@link LedgerWal} (H2 itself stores commits up to 500 ms later); every CHECKPOINT_INTERVAL_MS, or when the log
 * passes MAX_WAL_BYTES, H2 checkpoints and the log is emptied. Bounded: queue length, batch size, wait, log size.
 */
final class GroupCommit implements AutoCloseable {
    static final int MAX_QUEUED = 10_000;
    static final int MAX_BATCH = 512;
    static final long MAX_WAIT_MS = 30_000;
    static final long CHECKPOINT_INTERVAL_MS = 5_000;
    static final long MAX_CLOSE_WAIT_MS = 5_000;
    static final long MAX_WAL_BYTES = 64L * 1024 * 1024;

    /** One queued write (as it is logged) and its caller's result. */
    private record Op(LedgerWal.Entry entry, CompletableFuture<Boolean> done) {}

    private final Database db;
    private final LedgerChain chain;
    /** The embedded store's write-ahead log; null on Postgres. */
    private final LedgerWal wal;
    private long lastCheckpointNanos = System.nanoTime();
    private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>(MAX_QUEUED);
    private final Thread writer;
    /** Owned by the writer thread: its connection and statements, reopened after a failure. */
    private Connection connection;
    private PreparedStatement journalInsert, ledgerInsert, journalDelete;

    GroupCommit(Database db, LedgerChain chain) {
        this.db = db;
        this.chain = chain;
        // Postgres commits are durable when they return; only the embedded H2 store needs the log.
        this.wal = db.dataDir() == null ? null : new LedgerWal(db.dataDir());
        if (wal != null) WalReplay.run(db, wal, chain);
        this.writer = Thread.ofVirtual().name("ledger-group-commit").start(this::loop);
    }

    /** Journals {@code r}; returns once committed. */
    boolean journal(Reservation r) {
        return submit("reservation journal", new Op(new LedgerWal.Entry(r, null), new CompletableFuture<>()));
    }

    /** Appends {@code e} and drops its journal row; returns once committed, false when the row existed. */
    boolean append(UsageEvent e) {
        return submit("ledger append", new Op(new LedgerWal.Entry(null, e), new CompletableFuture<>()));
    }

    private boolean submit(String what, Op op) {
        if (!queue.offer(op)) throw new StoreUnavailableException(what + ": the write queue is full", null);
        try {
            return op.done().get(MAX_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new StoreUnavailableException(what + ": no commit within " + MAX_WAIT_MS + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException(what + ": interrupted", e);
        }
    }

    private void loop() {
        List<Op> batch = new ArrayList<>(MAX_BATCH);
        try {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    batch.add(queue.take());
                } catch (InterruptedException e) {
                    return;
                }
                queue.drainTo(batch, MAX_BATCH - 1);
                try {
                    commit(batch);
                } catch (SQLException e) {
                    fail(batch, Database.unavailable("ledger group commit", e));
                } catch (RuntimeException e) {
                    fail(batch, e);
                }
                batch.clear();
            }
        } finally {
            closeConnection();
        }
    }

    private void fail(List<Op> batch, RuntimeException failure) {
        for (Op op : batch) op.done().completeExceptionally(failure);
        closeConnection();
    }

    /** Runs the batch as one transaction and completes every op with its own result. */
    private void commit(List<Op> batch) throws SQLException {
        Connection c = open();
        List<LedgerWal.Entry> entries = new ArrayList<>(batch.size());
        for (Op op : batch) entries.add(op.entry());
        long logBefore = -1;
        try {
            if (wal != null) logBefore = wal.append(entries);
        } catch (java.io.IOException e) {
            throw new StoreUnavailableException("cannot write the ledger log: " + e.getMessage(), e);
        }
        CrashPoint.reached(CrashPoint.Step.LOGGED);
        try {
            List<UsageEvent> appends = appendsOf(entries);
            LedgerChain.Linked linked = chain.link(c, appends, false);
            int[][] counts = execute(entries, journalInsert, ledgerInsert, journalDelete, linked.links());
            if (!LedgerChain.insertedAsLinked(counts[1], linked.links())) {
                // A row was already there (rare: a replay): its link would leave a gap. Again, skipping those rows.
                c.rollback();
                linked = chain.link(c, appends, true);
                counts = execute(entries, journalInsert, ledgerInsert, journalDelete, linked.links());
                LedgerChain.checkedInserts(counts[1], linked.links());
            }
            CrashPoint.reached(CrashPoint.Step.BEFORE_COMMIT);
            c.commit();
            chain.committed(linked);
            checkpointIfDue(c);
            int j = 0, a = 0;
            for (Op op : batch) {
                int count = op.entry().journal() != null ? counts[0][j++] : counts[1][a++];
                op.done().complete(LedgerChain.inserted(count));
            }
        } catch (SQLException | RuntimeException e) {
            chain.forget(); // a commit that threw may or may not have happened: heads are read again
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // the connection is closed below; the failure that matters is the one rethrown
            }
            unlog(logBefore);
            throw e;
        }
    }

    static List<UsageEvent> appendsOf(List<LedgerWal.Entry> entries) {
        List<UsageEvent> out = new ArrayList<>(entries.size());
        for (LedgerWal.Entry e : entries) if (e.append() != null) out.add(e.append());
        return out;
    }

    /** A batch whose commit failed is cut from the log before its callers hear of the failure: never replayed. */
    private void unlog(long logBefore) throws SQLException {
        if (logBefore < 0) return;
        try {
            wal.truncate(logBefore);
        } catch (java.io.IOException e) {
            // The batch would be replayed at the next start for callers told it failed: refuse to go on.
            io.budgetguard.log.JsonLog.error("ledger_log_truncate_failed", "error", e.getMessage());
            throw new IllegalStateException("cannot cut a failed batch from the ledger log: " + e.getMessage(), e);
        }
        CrashPoint.reached(CrashPoint.Step.FAILED_BATCH_CUT);
    }

    /**
     * Runs the entries as three JDBC batches (journal inserts; ledger inserts; journal deletes), which keeps each
     * request's own order: its journal entry always precedes its append. {@code links} are the appends' chain links,
     * in order. Returns the journal and insert counts.
     */
    static int[][] execute(List<LedgerWal.Entry> entries, PreparedStatement journal, PreparedStatement insert,
                           PreparedStatement delete, List<LedgerChain.Link> links) throws SQLException {
        boolean anyJournal = false, anyAppend = false;
        int appended = 0;
        for (LedgerWal.Entry e : entries) {
            if (e.journal() != null) {
                Ledger.bindReservation(journal, e.journal());
                journal.addBatch();
                anyJournal = true;
            } else {
                Ledger.bindEvent(insert, e.append(), links.get(appended++));
                insert.addBatch();
                delete.setString(1, e.append().requestId());
                delete.addBatch();
                anyAppend = true;
            }
        }
        int[] journalCounts = anyJournal ? journal.executeBatch() : new int[0];
        int[] insertCounts = anyAppend ? insert.executeBatch() : new int[0];
        if (anyAppend) delete.executeBatch();
        return new int[][] {journalCounts, insertCounts};
    }

    /** Lets H2 store everything and empties the log, every CHECKPOINT_INTERVAL_MS or past MAX_WAL_BYTES. */
    private void checkpointIfDue(Connection c) throws SQLException {
        if (wal == null) return;
        try {
            boolean due = System.nanoTime() - lastCheckpointNanos > TimeUnit.MILLISECONDS.toNanos(CHECKPOINT_INTERVAL_MS)
                    || wal.sizeBytes() > MAX_WAL_BYTES;
            if (!due) return;
            try (Statement st = c.createStatement()) {
                st.execute("CHECKPOINT");
            }
            wal.clear();
            lastCheckpointNanos = System.nanoTime();
        } catch (java.io.IOException e) {
            throw new StoreUnavailableException("cannot empty the ledger log: " + e.getMessage(), e);
        }
    }

    private Connection open() throws SQLException {
        if (connection != null) return connection;
        Connection c = db.connection();
        try {
            c.setAutoCommit(false);
            journalInsert = c.prepareStatement(db.query("reservation_insert"));
            ledgerInsert = c.prepareStatement(db.query("ledger_insert"));
            journalDelete = c.prepareStatement(db.query("reservation_delete"));
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return connection = c;
    }

    private void closeConnection() {
        if (connection == null) return;
        try (Connection c = connection; PreparedStatement a = journalInsert; PreparedStatement b = ledgerInsert;
             PreparedStatement d = journalDelete) {
            c.setAutoCommit(true);
        } catch (SQLException ignored) {
            // a broken connection is dropped either way
        }
        connection = null;
    }

    @Override
    public void close() {
        writer.interrupt();
        try {
            // its connection goes back before the database is closed after us
            writer.join(java.time.Duration.ofMillis(MAX_CLOSE_WAIT_MS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (wal != null) wal.close();
        } catch (java.io.IOException ignored) {
            // what it holds is replayed at the next start
        }
        for (Op op; (op = queue.poll()) != null; ) {
            op.done().completeExceptionally(new StoreUnavailableException("ledger closed", null));
        }
    }
}
