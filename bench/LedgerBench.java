// The embedded ledger's per-request writes alone: journal a reservation, then append its ledger row (as the proxy
// does around each forwarded request), from N virtual threads over one group commit, on H2 with its write-ahead log.
// Prints throughput and the process's CPU microseconds per request (all threads, JIT and GC included).
// Run: java -cp target/budgetguard.jar bench/LedgerBench.java [threads] [seconds]
import io.budgetguard.core.Reservation;
import io.budgetguard.core.UsageEvent;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.store.Database;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

public class LedgerBench {
    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        Database db = Database.embedded(Files.createTempDirectory("ledger-bench"));
        db.migrate();
        try (Ledger ledger = new Ledger(db, true)) {
            run(ledger, threads, Math.max(5, seconds / 2)); // warm-up
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            long n = run(ledger, threads, seconds);
            double elapsedS = (System.nanoTime() - t0) / 1e9;
            long cpuNs = os.getProcessCpuTime() - cpu0;
            System.out.printf("threads=%d requests=%d req/s=%.0f cpu_us_per_req=%.1f%n", threads, n, n / elapsedS, cpuNs / 1e3 / n);
        }
        db.close();
    }

    static final AtomicLong SEQ = new AtomicLong();

    static long run(Ledger ledger, int threads, int seconds) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong done = new AtomicLong();
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            ts.add(Thread.ofVirtual().start(() -> {
                while (!stop.get()) {
                    String id = "req_" + SEQ.incrementAndGet();
                    long now = System.currentTimeMillis();
                    ledger.journal(new Reservation(id, "acme", "key_1", "/v1/chat/completions", "openai", "gpt-4o-mini", 500,
                            now, now + 900_000, List.of()));
                    Instant t = Instant.ofEpochMilli(now);
                    ledger.append(new UsageEvent(id, "acme", "key_1", "/v1/chat/completions", "openai", "gpt-4o-mini",
                            UsageEvent.Status.OK, 14, 0, 0, 7, 500, 120, 200, t, t.plusMillis(3)));
                    done.incrementAndGet();
                }
            }));
        }
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        for (Thread t : ts) t.join();
        return done.get();
    }
}
