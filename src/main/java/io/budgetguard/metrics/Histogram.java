package io.budgetguard.metrics;

import java.util.concurrent.atomic.LongAdder;

/** A Prometheus histogram with fixed buckets; observing is a few LongAdder increments, no lock. */
public final class Histogram {
    /** Seconds: 100 µs to 60 s, enough resolution for both in-process steps and upstream calls. */
    static final double[] BUCKETS_S = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
            1, 2.5, 5, 10, 30, 60};

    private final String name;
    private final String help;
    private final LongAdder[] counts = new LongAdder[BUCKETS_S.length];
    private final LongAdder total = new LongAdder();
    private final LongAdder sumNanos = new LongAdder();

    Histogram(String name, String help) {
        this.name = name;
        this.help = help;
        for (int i = 0; i < counts.length; i++) counts[i] = new LongAdder();
    }

    public void observeNanos(long nanos) {
        double s = nanos / 1e9;
        for (int i = 0; i < BUCKETS_S.length; i++) {
            if (s <= BUCKETS_S[i]) {
                counts[i].increment();
                break;
            }
        }
        total.increment();
        sumNanos.add(nanos);
    }

    void render(StringBuilder b) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" histogram\n");
        long cumulative = 0;
        for (int i = 0; i < BUCKETS_S.length; i++) {
            cumulative += counts[i].sum();
            b.append(name).append("_bucket{le=\"").append(BUCKETS_S[i]).append("\"} ").append(cumulative).append('\n');
        }
        b.append(name).append("_bucket{le=\"+Inf\"} ").append(total.sum()).append('\n');
        b.append(name).append("_sum ").append(sumNanos.sum() / 1e9).append('\n');
        b.append(name).append("_count ").append(total.sum()).append('\n');
    }
}
