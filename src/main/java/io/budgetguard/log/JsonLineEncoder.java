package io.budgetguard.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.event.KeyValuePair;

/**
 * One JSON object per line, the format the gateway has always written: {@code ts}, {@code level},
 * {@code event}, then the event's fields in order. A library's line (HikariCP, Jedis, Chicory...) has event
 * {@code library} with its {@code logger} and {@code message}. A throwable adds {@code exception} and the whole
 * {@code stack_trace}. Every text passes {@link Redaction} and is escaped, so no value can forge a second line.
 * Logback's own JsonEncoder nests fields under {@code kvpList} and renames them; log pipelines that read this
 * format keep working.
 */
public final class JsonLineEncoder extends EncoderBase<ILoggingEvent> {
    private static final byte[] NONE = new byte[0];
    /** Lines of the gateway's own logger encoded so far (JsonLog.flush waits for them). */
    static final AtomicLong ownLinesWritten = new AtomicLong();

    @Override
    public byte[] headerBytes() {
        return NONE;
    }

    @Override
    public byte[] footerBytes() {
        return NONE;
    }

    @Override
    public byte[] encode(ILoggingEvent e) {
        StringBuilder b = new StringBuilder(256);
        b.append("{\"ts\":\"").append(Instant.ofEpochMilli(e.getTimeStamp()).plusNanos(e.getNanoseconds() % 1_000_000))
                .append("\",\"level\":\"").append(level(e.getLevel())).append("\",\"event\":");
        boolean own = JsonLog.LOGGER_NAME.equals(e.getLoggerName());
        if (own) {
            string(b, e.getMessage());
        } else {
            b.append("\"library\",\"logger\":");
            string(b, e.getLoggerName());
            b.append(",\"message\":");
            string(b, e.getFormattedMessage());
        }
        if (e.getKeyValuePairs() != null) {
            for (KeyValuePair kv : e.getKeyValuePairs()) {
                b.append(',');
                string(b, kv.key);
                b.append(':');
                value(b, kv.value);
            }
        }
        IThrowableProxy t = e.getThrowableProxy();
        if (t != null) {
            b.append(",\"exception\":");
            string(b, t.getClassName() + (t.getMessage() == null ? "" : ": " + t.getMessage()));
            b.append(",\"stack_trace\":");
            string(b, ThrowableProxyUtil.asString(t));
        }
        b.append("}\n");
        if (own) ownLinesWritten.incrementAndGet();
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String level(Level l) {
        return switch (l.toInt()) {
            case Level.ERROR_INT -> "error";
            case Level.WARN_INT -> "warn";
            case Level.INFO_INT -> "info";
            case Level.DEBUG_INT -> "debug";
            default -> "trace";
        };
    }

    private static void value(StringBuilder b, Object v) {
        if (v == null) b.append("null");
        else if (v instanceof Number || v instanceof Boolean) b.append(v);
        else string(b, v.toString());
    }

    private static void string(StringBuilder b, String raw) {
        String s = Redaction.redact(raw == null ? "null" : raw);
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
