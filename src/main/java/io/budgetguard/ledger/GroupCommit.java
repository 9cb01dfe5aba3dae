package io.budgetguard.ledger;

import io.budgetguard.store.Database;
import io.budgetguard.store.StoreUnavailableException;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Group commit for the embedded store's per-request writes (journal a reservation; append a ledger row and
 * drop its journal entry): callers queue their write and wait; one writer thread runs whatever is queued in a
 * single transaction. A caller returns only after its write committed, as before, but concurrent requests
 * share one commit instead of paying one each. Bounded: queue length, batch size, wait.
 */
final class GroupCommit implements AutoCloseable {
    static final int MAX_QUEUED = 10_000;
    static final int MAX_BATCH = 512;
    static final long MAX_WAIT_MS = 30_000;

    @FunctionalInterface
    interface Write {
        boolean run(Connection c) throws java.sql.SQLException;
    }

    private record Op(Write write, CompletableFuture<Boolean> done) {}

    private final Database db;
    private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>(MAX_QUEUED);
    private final Thread writer;

    GroupCommit(Database db) {
        this.db = db;
        this.writer = Thread.ofVirtual().name("ledger-group-commit").start(this::loop);
    }

    /** Runs {@code write} in the next batch; returns its result once that batch committed. */
    boolean submit(String what, Write write) {
        Op op = new Op(write, new CompletableFuture<>());
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
        while (!Thread.currentThread().isInterrupted()) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                return;
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            List<Boolean> results = new ArrayList<>(batch.size());
            try {
                db.inTransaction("ledger group commit", c -> {
                    results.clear();
                    for (Op op : batch) results.add(op.write().run(c));
                    return null;
                });
                for (int i = 0; i < batch.size(); i++) batch.get(i).done().complete(results.get(i));
            } catch (RuntimeException e) {
                for (Op op : batch) op.done().completeExceptionally(e);
            }
            batch.clear();
        }
    }

    @Override
    public void close() {
        writer.interrupt();
        for (Op op; (op = queue.poll()) != null; ) {
            op.done().completeExceptionally(new StoreUnavailableException("ledger closed", null));
        }
    }
}
