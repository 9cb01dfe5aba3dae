package io.budgetguard.deferred;

import java.io.ByteArrayOutputStream;

/** JSONL read as it streams: each complete line handed on as it ends, a line or a file past its bound refused. */
final class JsonLines {
    @FunctionalInterface
    interface Sink {
        void line(byte[] b, int off, int len);
    }

    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final int maxLineBytes;
    private final long maxLines;
    private final Sink sink;
    private long lines;

    JsonLines(int maxLineBytes, long maxLines, Sink sink) {
        this.maxLineBytes = maxLineBytes;
        this.maxLines = maxLines;
        this.sink = sink;
    }

    void feed(byte[] b, int off, int len) {
        int start = off;
        for (int i = off; i < off + len; i++) {
            if (b[i] != '\n') continue;
            if (partial.size() + (i - start) > maxLineBytes) throw new BatchRefused("A line of the file is longer than " + maxLineBytes + " bytes.");
            if (partial.size() == 0) {
                emit(b, start, i - start);
            } else {
                partial.write(b, start, i - start);
                emit(partial.toByteArray(), 0, partial.size());
                partial.reset();
            }
            start = i + 1;
        }
        if (partial.size() + (off + len - start) > maxLineBytes) throw new BatchRefused("A line of the file is longer than " + maxLineBytes + " bytes.");
        partial.write(b, start, off + len - start);
    }

    void finish() {
        if (partial.size() > 0) emit(partial.toByteArray(), 0, partial.size());
        partial.reset();
    }

    long lines() {
        return lines;
    }

    private void emit(byte[] b, int off, int len) {
        int end = off + len;
        while (end > off && (b[end - 1] == '\r' || b[end - 1] == ' ' || b[end - 1] == '\t')) end--;
        int start = off;
        while (start < end && (b[start] == ' ' || b[start] == '\t')) start++;
        if (start == end) return;
        if (++lines > maxLines) throw new BatchRefused("The file has more than " + maxLines + " lines.");
        sink.line(b, start, end - start);
    }
}
