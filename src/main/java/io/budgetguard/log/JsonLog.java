package io.budgetguard.log;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The gateway's structured events, through SLF4J to Logback ({@code logback.xml}): an asynchronous appender with
 * a bounded queue that never blocks a request, and {@link JsonLineEncoder} writing one JSON object per line on
 * stdout with every text redacted. Callers pass an event name and field names and values in pairs. Invariant: no
 * secret and no prompt text is passed here (the redaction is the second line of defence, and the one that covers
 * library lines).
 */
public final class JsonLog {
    static final String LOGGER_NAME = "budgetguard";
    static final long MAX_FLUSH_WAIT_MS = 5_000;
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER_NAME);
    /** Lines handed to Logback so far (the encoder counts those written). */
    private static final AtomicLong ownLinesLogged = new AtomicLong();

    private JsonLog() {}

    /**
     * Tests capture every line the gateway writes; lines logged before the call still go to the previous stream,
     * which is returned (to be restored).
     */
    public static PrintStream redirect(PrintStream stream) {
        flush();
        PrintStream previous = StdoutAppender.target;
        StdoutAppender.target = stream;
        return previous;
    }

    /**
     * Returns once every line logged before the call was written, or after MAX_FLUSH_WAIT_MS (a line the full
     * queue dropped is never written).
     */
    public static void flush() {
        long target = ownLinesLogged.get();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_FLUSH_WAIT_MS);
        while (JsonLineEncoder.ownLinesWritten.get() < target && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
        StdoutAppender.target.flush();
    }

    public static void info(String event, Object... fields) {
        if (LOG.isInfoEnabled()) write(LOG.atInfo(), event, null, fields);
    }

    public static void warn(String event, Object... fields) {
        if (LOG.isWarnEnabled()) write(LOG.atWarn(), event, null, fields);
    }

    public static void error(String event, Object... fields) {
        write(LOG.atError(), event, null, fields);
    }

    /** A bug: logged at error level with the exception and its whole stack trace (causes included). */
    public static void bug(String event, Throwable t, Object... fields) {
        write(LOG.atError(), event, t, fields);
    }

    private static void write(LoggingEventBuilder b, String event, Throwable t, Object... fields) {
        if (fields.length % 2 != 0) throw new IllegalStateException("log fields come in name/value pairs");
        b.setMessage(event);
        for (int i = 0; i < fields.length; i += 2) b.addKeyValue(String.valueOf(fields[i]), fields[i + 1]);
        if (t != null) b.setCause(t);
        ownLinesLogged.incrementAndGet();
        b.log();
    }
}
