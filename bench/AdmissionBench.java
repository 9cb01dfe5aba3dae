// Admission + settle throughput and latency for the two counter stores.
// Run: bench/admission.sh   (or: java -cp target/budgetguard.jar bench/AdmissionBench.java embedded|redis [redis-url])
import io.budgetguard.budget.Admission;
import io.budgetguard.core.Budget;
import io.budgetguard.core.BudgetPeriod;
import io.budgetguard.budget.EmbeddedCounters;
import io.budgetguard.budget.RedisCounters;
import io.budgetguard.core.Reservation;
import io.budgetguard.budget.SpendCounters;
import io.budgetguard.core.WindowRef;
import io.budgetguard.config.SettingsLoader;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.store.Database;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

public class AdmissionBench {
    static final int WARMUP_OPS = 20_000;
    static final int OPS_PER_THREAD = 20_000;

    public static void main(String[] args) throws Exception {
        String store = args.length > 0 ? args[0] : "embedded";
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int tenants = args.length > 3 ? Integer.parseInt(args[3]) : 100;
        Database db = Database.embedded(Files.createTempDirectory("bench"));
        db.migrate();
        Ledger ledger = new Ledger(db, false);
        SpendCounters counters = store.equals("redis")
                ? new RedisCounters(io.budgetguard.budget.RedisStore.connect(args[1], 64, 2_000), ledger, 3_600_000)
                : new EmbeddedCounters(ledger, 3_600_000);
        List<Budget> budgets = List.of(new Budget(BudgetPeriod.MONTHLY, 1_000_000_000_000L),
                new Budget(BudgetPeriod.DAILY, 1_000_000_000_000L), new Budget(BudgetPeriod.parse("rolling:24h"), 1_000_000_000_000L));
        run(counters, budgets, 4, tenants, WARMUP_OPS / 4, new long[WARMUP_OPS], new long[WARMUP_OPS]);
        long[] admit = new long[threads * OPS_PER_THREAD];
        long[] settle = new long[threads * OPS_PER_THREAD];
        long elapsed = run(counters, budgets, threads, tenants, OPS_PER_THREAD, admit, settle);
        Arrays.sort(admit);
        Arrays.sort(settle);
        System.out.printf("store=%s threads=%d tenants=%d windows=%d ops=%d%n", store, threads, tenants, budgets.size(), admit.length);
        System.out.printf("  throughput: %.0f admit+settle pairs/s%n", admit.length / (elapsed / 1e9));
        System.out.printf("  admit  p50=%.1fus p99=%.1fus p99.9=%.1fus%n", us(admit, 0.50), us(admit, 0.99), us(admit, 0.999));
        System.out.printf("  settle p50=%.1fus p99=%.1fus p99.9=%.1fus%n", us(settle, 0.50), us(settle, 0.99), us(settle, 0.999));
        counters.close();
        db.close();
    }

    static double us(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) (q * sorted.length))] / 1000.0;
    }

    static long run(SpendCounters counters, List<Budget> budgets, int threads, int tenants, int opsPerThread,
                    long[] admitNs, long[] settleNs) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        AtomicLong seq = new AtomicLong();
        for (int t = 0; t < threads; t++) {
            int base = t * opsPerThread;
            ts.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < opsPerThread; i++) {
                    long now = System.currentTimeMillis();
                    long id = seq.incrementAndGet();
                    List<WindowRef> ws = new ArrayList<>(budgets.size());
                    for (Budget b : budgets) ws.add(WindowRef.of(b, now));
                    Reservation r = new Reservation("req_" + id, "tenant-" + (id % tenants), "key", "/v1/chat/completions",
                            "gpt-4o-mini", 1_000, now, now + 900_000, ws);
                    long a0 = System.nanoTime();
                    Admission a = counters.admit(r, 1_000_000_000, now);
                    long a1 = System.nanoTime();
                    if (!(a instanceof Admission.Admitted)) throw new IllegalStateException("refused: " + a);
                    counters.settle(r, 700, now);
                    long s1 = System.nanoTime();
                    admitNs[base + i] = a1 - a0;
                    settleNs[base + i] = s1 - a1;
                }
            }));
        }
        long t0 = System.nanoTime();
        start.countDown();
        for (Thread t : ts) t.join();
        return System.nanoTime() - t0;
    }
}
