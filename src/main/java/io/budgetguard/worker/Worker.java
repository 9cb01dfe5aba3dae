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

    public Worker(List<Duty> duties, long periodMs) {
        for (Duty d : duties) {
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("budgetguard-" + d.name()).daemon(true).factory());
            scheduler.scheduleWithFixedDelay(() -> {
                try {
                    d.run().run();
                } catch (RuntimeException e) {
                    JsonLog.warn("duty_failed", "duty", d.name(), "error", e.toString());
                }
            }, periodMs, periodMs, TimeUnit.MILLISECONDS);
            schedulers.add(scheduler);
        }
    }

    @Override
    public void close() {
        schedulers.forEach(ScheduledExecutorService::shutdownNow);
    }
}
