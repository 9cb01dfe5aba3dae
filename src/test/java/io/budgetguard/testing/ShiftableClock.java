package io.budgetguard.testing;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** Real time plus an offset a test can move forward: windows roll over without sleeping. */
public final class ShiftableClock extends Clock {
    private final AtomicLong offsetMs = new AtomicLong();
    /** The instant a frozen clock stands at (before its offset); -1 for one that follows real time. */
    private final long frozenAtMs;

    public ShiftableClock() {
        this(-1);
    }

    private ShiftableClock(long frozenAtMs) {
        this.frozenAtMs = frozenAtMs;
    }

    /** A clock that moves only when advanced: for assertions on exact look-backs, which real time would blur. */
    public static ShiftableClock frozen() {
        return new ShiftableClock(System.currentTimeMillis());
    }

    public void advance(long ms) {
        offsetMs.addAndGet(ms);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis());
    }

    @Override
    public long millis() {
        return (frozenAtMs < 0 ? System.currentTimeMillis() : frozenAtMs) + offsetMs.get();
    }
}
