package io.budgetguard.store;

/**
 * Remembers that the database just failed, so that callers with a last known value serve it at once for
 * {@code coolDownMs} instead of each waiting out a connection timeout; one caller per cool-down probes again.
 */
public final class OutageBreaker {
    private final long coolDownNanos;
    private volatile long openUntilNanos;

    public OutageBreaker(long coolDownMs) {
        this.coolDownNanos = coolDownMs * 1_000_000L;
    }

    /** True while the database is presumed down. */
    public boolean open() {
        return System.nanoTime() - openUntilNanos < 0;
    }

    public void trip() {
        openUntilNanos = System.nanoTime() + coolDownNanos;
    }
}
