package io.budgetguard.worker;

import io.budgetguard.log.JsonLog;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Background duties on a fixed period, each in its own try so one failing duty (a store briefly down) neither
 * stops the others nor the loop. Duties must be idempotent: several processes may run them at once.
 */
public final class Worker implements AutoCloseable {
    /** A named unit of background work. */
    public record Duty(String name, Runnable run) {}

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("budgetguard-worker").daemon(true).factory());

    public Worker(List<Duty> duties, long periodMs) {
        scheduler.scheduleWithFixedDelay(() -> {
            for (Duty d : duties) {
                try {
                    d.run().run();
                } catch (RuntimeException e) {
                    JsonLog.warn("duty_failed", "duty", d.name(), "error", e.toString());
                }
            }
        }, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
