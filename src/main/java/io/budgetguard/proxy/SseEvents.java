package io.budgetguard.proxy;

import java.io.IOException;
import java.util.Arrays;

/**
 * Splits a Server-Sent Events byte stream into whole events (each ending with its blank line), so the proxy
 * can pass them on one by one and look inside the one that carries usage. An event longer than
 * {@code maxEventBytes} is passed on in pieces, unexamined, rather than buffered without bound.
 */
final class SseEvents {
    interface Sink {
        /** {@code whole} is false for a piece of an oversized event or a trailing fragment. */
        void event(byte[] bytes, int offset, int length, boolean whole) throws IOException;
    }

    private final int maxEventBytes;
    private byte[] buf = new byte[4096];
    private int len;
    private int scanFrom;

    SseEvents(int maxEventBytes) {
        this.maxEventBytes = maxEventBytes;
    }

    void feed(byte[] bytes, int offset, int length, Sink sink) throws IOException {
        int pos = offset;
        int end = offset + length;
        while (pos < end) {
            int room = maxEventBytes - len;
            if (room == 0) {
                sink.event(buf, 0, len, false);
                len = 0;
                scanFrom = 0;
                continue;
            }
            int n = Math.min(room, end - pos);
            ensureCapacity(len + n);
            System.arraycopy(bytes, pos, buf, len, n);
            len += n;
            pos += n;
            emitWholeEvents(sink);
        }
    }

    /** Passes on whatever is left when the stream ends. */
    void finish(Sink sink) throws IOException {
        if (len > 0) sink.event(buf, 0, len, false);
        len = 0;
        scanFrom = 0;
    }

    private void emitWholeEvents(Sink sink) throws IOException {
        int start = 0;
        int i = Math.max(scanFrom, 0);
        while (i < len - 1) {
            int boundary = boundaryAt(i);
            if (boundary < 0) {
                i++;
                continue;
            }
            sink.event(buf, start, boundary - start, true);
            start = boundary;
            i = boundary;
        }
        if (start > 0) {
            System.arraycopy(buf, start, buf, 0, len - start);
            len -= start;
        }
        // A boundary may straddle the next chunk: rescan the last two bytes.
        scanFrom = Math.max(0, len - 2);
    }

    /** End index (exclusive) of an event whose blank line starts at {@code i}, or -1. */
    private int boundaryAt(int i) {
        if (buf[i] != '\n') return -1;
        if (buf[i + 1] == '\n') return i + 2;
        if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n') return i + 3;
        return -1;
    }

    private void ensureCapacity(int needed) {
        if (needed > buf.length) buf = Arrays.copyOf(buf, Math.min(maxEventBytes, Math.max(needed, buf.length * 2)));
    }

    /**
     * True when the bytes contain {@code "usage"} (or Gemini's {@code "usageMetadata"}) followed by ':' and an
     * object, i.e. a non-null usage.
     */
    static boolean hasUsageObject(byte[] b, int offset, int length) {
        int end = offset + length;
        outer:
        for (int i = offset; i + 7 <= end; i++) {
            if (b[i] != '"' || b[i + 1] != 'u') continue;
            byte[] word = USAGE;
            for (int k = 0; k < word.length - 1; k++) {
                if (b[i + k] != word[k]) continue outer;
            }
            int after = i + word.length - 1;
            if (after + METADATA.length <= end && matches(b, after, METADATA)) after += METADATA.length;
            if (after >= end || b[after] != '"') continue;
            int j = skipSpace(b, after + 1, end);
            if (j >= end || b[j] != ':') continue;
            j = skipSpace(b, j + 1, end);
            if (j < end && b[j] == '{') return true;
        }
        return false;
    }

    private static final byte[] USAGE = "\"usage\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] METADATA = "Metadata".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static boolean matches(byte[] b, int at, byte[] word) {
        for (int k = 0; k < word.length; k++) if (b[at + k] != word[k]) return false;
        return true;
    }

    private static int skipSpace(byte[] b, int i, int end) {
        while (i < end && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) i++;
        return i;
    }

    /** The event's data: its {@code data:} lines joined with '\n' (one optional space after the colon removed). */
    static byte[] data(byte[] b, int offset, int length) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(length);
        int end = offset + length;
        int lineStart = offset;
        boolean first = true;
        for (int i = offset; i <= end; i++) {
            if (i < end && b[i] != '\n') continue;
            int lineEnd = i > lineStart && b[i - 1] == '\r' ? i - 1 : i;
            if (lineEnd - lineStart >= 5 && b[lineStart] == 'd' && b[lineStart + 1] == 'a' && b[lineStart + 2] == 't'
                    && b[lineStart + 3] == 'a' && b[lineStart + 4] == ':') {
                int from = lineStart + 5;
                if (from < lineEnd && b[from] == ' ') from++;
                if (!first) out.write('\n');
                out.write(b, from, lineEnd - from);
                first = false;
            }
            lineStart = i + 1;
        }
        return out.toByteArray();
    }
}
