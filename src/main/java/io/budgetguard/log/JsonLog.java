package io.budgetguard.log;

import java.io.PrintStream;
import java.time.Instant;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Structured logs: one JSON object per line on stdout. Callers pass field names and values in pairs.
 * Invariant: no secret and no prompt text is ever passed here; values are escaped, so a hostile value
 * cannot forge a second line. Lines are handed to one writer thread through a lock-free queue, so a request
 * never waits on the stream's lock or a write syscall; the writer writes what has queued in one go. Bounded: past
 * MAX_QUEUED_LINES the caller writes its line itself (back-pressure, no loss). Flushed at JVM exit.
 */
public final class JsonLog {
    static final int MAX_QUEUED_LINES = 10_000;
    static final long MAX_FLUSH_WAIT_MS = 5_000;
    static final int MAX_LINES_PER_WRITE = 1_000;

    private static volatile PrintStream out = System.out;
    private static final ConcurrentLinkedQueue<String> queue = new ConcurrentLinkedQueue<>();
    /** Lines queued and not yet written (the writer decrements after writing). */
    private static final AtomicInteger queued = new AtomicInteger();
    private static final Thread writer = Thread.ofPlatform().name("budgetguard-log").daemon(true).start(JsonLog::drain);

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(JsonLog::flush, "budgetguard-log-flush"));
    }

    private JsonLog() {}

    /** Tests capture every line the gateway writes; lines queued so far still go to the previous stream. */
    public static void redirect(PrintStream stream) {
        flush();
        out = stream;
    }

    /** Returns once every line logged before the call was written (or after MAX_FLUSH_WAIT_MS). */
    public static void flush() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_FLUSH_WAIT_MS);
        while (queued.get() > 0 && System.nanoTime() < deadline) {
            LockSupport.unpark(writer);
            LockSupport.parkNanos(100_000);
        }
    }

    private static void drain() {
        StringBuilder batch = new StringBuilder(64 * 1024);
        while (true) {
            int n = 0;
            for (String line; n < MAX_LINES_PER_WRITE && (line = queue.poll()) != null; n++) batch.append(line).append('\n');
            if (n == 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                continue;
            }
            PrintStream o = out;
            synchronized (o) {
                o.print(batch);
                o.flush();
            }
            batch.setLength(0);
            queued.addAndGet(-n);
        }
    }

    public static void info(String event, Object... fields) {
        write("info", event, fields);
    }

    public static void warn(String event, Object... fields) {
        write("warn", event, fields);
    }

    public static void error(String event, Object... fields) {
        write("error", event, fields);
    }

    /** A bug: logged at error level with the exception and its whole stack trace (causes included). */
    public static void bug(String event, Throwable t, Object... fields) {
        java.io.StringWriter trace = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(trace));
        Object[] all = java.util.Arrays.copyOf(fields, fields.length + 4);
        all[fields.length] = "exception";
        all[fields.length + 1] = t.toString();
        all[fields.length + 2] = "stack_trace";
        all[fields.length + 3] = trace.toString();
        write("error", event, all);
    }

    private static void write(String level, String event, Object... fields) {
        if (fields.length % 2 != 0) throw new IllegalStateException("log fields come in name/value pairs");
        StringBuilder b = new StringBuilder(128 + fields.length * 16);
        b.append("{\"ts\":\"").append(Instant.now()).append("\",\"level\":\"").append(level).append("\",\"event\":");
        string(b, event);
        for (int i = 0; i < fields.length; i += 2) {
            b.append(',');
            string(b, String.valueOf(fields[i]));
            b.append(':');
            Object v = fields[i + 1];
            if (v == null) b.append("null");
            else if (v instanceof Number || v instanceof Boolean) b.append(v);
            else string(b, v.toString());
        }
        b.append('}');
        if (queued.incrementAndGet() > MAX_QUEUED_LINES) {
            queued.decrementAndGet();
            PrintStream o = out;
            synchronized (o) {
                o.println(b);
            }
            return;
        }
        queue.add(b.toString());
        if (queued.get() == 1) LockSupport.unpark(writer); // it may be parked on an empty queue

    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
