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
 * drop its journal entry): callers queue their write and wait; one writer thread runs whatever is queued as one
 * batch. A caller returns only after its write is durable; concurrent requests share one write. Each batch is first
 * appended to the {@link LedgerWal} (H2 itself stores commits up to 500 ms later).
 *
 * <p>With the log, a journal entry is durable once logged: it is kept in {@link #logOnlyJournals} and written to H2
 * only if it is still open at a checkpoint, so the common request (journaled, settled within seconds) costs H2 one
 * ledger insert instead of an insert, a delete and a second transaction. Every CHECKPOINT_INTERVAL_MS, or when the
 * log passes MAX_WAL_BYTES, the open journal entries are stored in H2, H2 checkpoints and the log is emptied; a
 * crash before that leaves them in the log, which replay applies at the next start. Bounded: queue length, batch
 * size, wait, log size.
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
    /**
     * Owned by the writer thread: reservations journaled in the log only (not in H2), by request id. Their appends
     * need no delete; at a checkpoint they are stored in H2 before the log is emptied. Bounded by the requests in
     * flight between two checkpoints.
     */
    private final java.util.Map<String, Reservation> logOnlyJournals = new java.util.HashMap<>();

    private final long checkpointIntervalMs;

    GroupCommit(Database db, LedgerChain chain, long checkpointIntervalMs) {
        this.db = db;
        this.checkpointIntervalMs = checkpointIntervalMs;
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
        // With the log, journal entries stay out of H2 (the log is their record); without it they are H2 rows.
        List<LedgerWal.Entry> stored = wal == null ? entries : appendsOnly(entries);
        int[][] counts = stored.isEmpty() ? new int[][] {new int[0], new int[0]} : store(c, stored, logBefore);
        int j = 0, a = 0;
        for (Op op : batch) {
            Reservation r = op.entry().journal();
            boolean inserted;
            if (r != null && wal != null) inserted = logOnlyJournals.putIfAbsent(r.id(), r) == null;
            else if (r != null) inserted = LedgerChain.inserted(counts[0][j++]);
            else {
                logOnlyJournals.remove(op.entry().append().requestId());
                inserted = LedgerChain.inserted(counts[1][a++]);
            }
            op.done().complete(inserted);
        }
        checkpointIfDue(c);
    }

    /** The entries H2 stores when the log records the journal: the appends. */
    private static List<LedgerWal.Entry> appendsOnly(List<LedgerWal.Entry> entries) {
        List<LedgerWal.Entry> out = new ArrayList<>(entries.size());
        for (LedgerWal.Entry e : entries) if (e.append() != null) out.add(e);
        return out;
    }

    /** Stores {@code stored} in H2 as one transaction; on failure, cuts the batch from the log and rethrows. */
    private int[][] store(Connection c, List<LedgerWal.Entry> stored, long logBefore) throws SQLException {
        try {
            List<UsageEvent> appends = appendsOf(stored);
            LedgerChain.Linked linked = chain.link(c, appends, false);
            int[][] counts = execute(stored, journalInsert, ledgerInsert, journalDelete, linked.links(), this::journalRowMayExist);
            if (!LedgerChain.insertedAsLinked(counts[1], linked.links())) {
                // A row was already there (rare: a replay): its link would leave a gap. Again, skipping those rows.
                c.rollback();
                linked = chain.link(c, appends, true);
                counts = execute(stored, journalInsert, ledgerInsert, journalDelete, linked.links(), this::journalRowMayExist);
                LedgerChain.checkedInserts(counts[1], linked.links());
            }
            CrashPoint.reached(CrashPoint.Step.BEFORE_COMMIT);
            c.commit();
            chain.committed(linked);
            return counts;
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

    /** An append's journal row is in H2 unless its reservation was journaled in the log only (the usual case). */
    private boolean journalRowMayExist(String requestId) {
        return !logOnlyJournals.containsKey(requestId);
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
     * in order; an append's journal row is deleted where {@code journalRowMayExist} says it may be there. Returns the
     * journal and insert counts.
     */
    static int[][] execute(List<LedgerWal.Entry> entries, PreparedStatement journal, PreparedStatement insert,
                           PreparedStatement delete, List<LedgerChain.Link> links,
                           java.util.function.Predicate<String> journalRowMayExist) throws SQLException {
        boolean anyJournal = false, anyAppend = false, anyDelete = false;
        int appended = 0;
        for (LedgerWal.Entry e : entries) {
            if (e.journal() != null) {
                Ledger.bindReservation(journal, e.journal());
                journal.addBatch();
                anyJournal = true;
            } else {
                Ledger.bindEvent(insert, e.append(), links.get(appended++));
                insert.addBatch();
                anyAppend = true;
                if (!journalRowMayExist.test(e.append().requestId())) continue;
                delete.setString(1, e.append().requestId());
                delete.addBatch();
                anyDelete = true;
            }
        }
        int[] journalCounts = anyJournal ? journal.executeBatch() : new int[0];
        int[] insertCounts = anyAppend ? insert.executeBatch() : new int[0];
        if (anyDelete) delete.executeBatch();
        return new int[][] {journalCounts, insertCounts};
    }

    /**
     * Stores the reservations still journaled in the log only, lets H2 store everything and empties the log, every
     * checkpoint interval (CHECKPOINT_INTERVAL_MS) or past MAX_WAL_BYTES.
     */
    private void checkpointIfDue(Connection c) throws SQLException {
        if (wal == null) return;
        try {
            boolean due = System.nanoTime() - lastCheckpointNanos > TimeUnit.MILLISECONDS.toNanos(checkpointIntervalMs)
                    || wal.sizeBytes() > MAX_WAL_BYTES;
            if (!due) return;
            storeLogOnlyJournals(c);
            try (Statement st = c.createStatement()) {
                st.execute("CHECKPOINT");
            }
            wal.clear();
            lastCheckpointNanos = System.nanoTime();
        } catch (java.io.IOException e) {
            throw new StoreUnavailableException("cannot empty the ledger log: " + e.getMessage(), e);
        }
    }

    /** The open reservations the log alone records, stored in H2 so the log can be emptied. */
    private void storeLogOnlyJournals(Connection c) throws SQLException {
        if (logOnlyJournals.isEmpty()) return;
        try (PreparedStatement ps = c.prepareStatement(db.query("reservation_replay"))) {
            for (Reservation r : logOnlyJournals.values()) {
                Ledger.bindReservation(ps, r);
                ps.addBatch();
            }
            ps.executeBatch();
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        }
        logOnlyJournals.clear();
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
