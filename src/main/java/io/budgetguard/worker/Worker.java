package io.budgetguard.worker;

import io.budgetguard.log.JsonLog;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Background duties on a fixed period, each on its own thread and in its own try, so one failing duty (a store
 * briefly down) or a long one (the ledger drain catching up) neither stops nor delays the others. Duties must be
 * idempotent: several processes may run them at once.
 */
public final class Worker implements AutoCloseable {
    /** A named unit of background work. */
    public record Duty(String name, Runnable run) {}

    private final List<ScheduledExecutorService> schedulers = new ArrayList<>();
    private final java.util.Map<String, java.util.concurrent.atomic.AtomicLong> passes = new java.util.concurrent.ConcurrentHashMap<>();

    public Worker(List<Duty> duties, long periodMs) {
        for (Duty d : duties) {
            java.util.concurrent.atomic.AtomicLong done = passes.computeIfAbsent(d.name(), k -> new java.util.concurrent.atomic.AtomicLong());
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("budgetguard-" + d.name()).daemon(true).factory());
            scheduler.scheduleWithFixedDelay(() -> {
                try {
                    d.run().run();
                } catch (RuntimeException e) {
                    JsonLog.warn("duty_failed", "duty", d.name(), "error", e.toString());
                } finally {
                    done.incrementAndGet();
                }
            }, periodMs, periodMs, TimeUnit.MILLISECONDS);
            schedulers.add(scheduler);
        }
    }

    /** Passes of a duty completed so far (failed ones included): tests wait for passes, not for time. */
    public long passes(String duty) {
        java.util.concurrent.atomic.AtomicLong n = passes.get(duty);
        return n == null ? 0 : n.get();
    }

    @Override
    public void close() {
        schedulers.forEach(ScheduledExecutorService::shutdownNow);
    }
}
