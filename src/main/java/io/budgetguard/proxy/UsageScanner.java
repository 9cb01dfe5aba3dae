package io.budgetguard.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import java.io.IOException;

/**
 * Finds the top-level {@code usage} object (Gemini: {@code usageMetadata}) of a JSON response while the response streams through the
 * gateway, without buffering it: bytes are fed to Jackson's non-blocking parser as they pass.
 * A body that is not JSON simply yields no usage. Close it: closing returns the field names it learned to the
 * factory's shared symbol table and its buffers to the pool; an unclosed parser re-learns every name, copying the
 * table each time (measured: about a third of the gateway's allocation).
 */
final class UsageScanner implements AutoCloseable {
    private static final int TRACKED_DEPTH = 5;

    private final JsonParser parser;
    private final ByteArrayFeeder feeder;
    private final String[] fieldAt = new String[TRACKED_DEPTH + 1];
    private final Usage.Builder usage = new Usage.Builder();
    private int depth;
    /** 1 when the body is a JSON array of responses (Gemini's stream without alt=sse): each one's usage counts. */
    private int base = -1;
    private boolean inUsage;
    private boolean failed;
    /** The body's own top-level "id" (a stored response's), or null. */
    private String objectId;
    /** Seconds of audio a transcription reports ({@code usage.seconds}, else verbose JSON's {@code duration}), or -1. */
    private long usageSeconds = -1;
    private long durationSeconds = -1;

    UsageScanner(JsonFactory factory) {
        try {
            this.parser = factory.createNonBlockingByteArrayParser();
        } catch (IOException e) {
            throw new IllegalStateException("Jackson cannot create a non-blocking parser", e);
        }
        this.feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
    }

    void feed(byte[] bytes, int offset, int length) {
        if (failed || length == 0) return;
        try {
            feeder.feedInput(bytes, offset, offset + length);
            for (JsonToken t; (t = parser.nextToken()) != null && t != JsonToken.NOT_AVAILABLE; ) {
                on(t);
            }
        } catch (IOException | RuntimeException e) {
            failed = true;
        }
    }

    @Override
    public void close() {
        try {
            parser.close();
        } catch (IOException ignored) {
            // nothing is read from a source; closing only releases symbols and buffers
        }
    }

    /** The top-level "id" of the body (the first one), or null. */
    String objectId() {
        return objectId;
    }

    /** The seconds of audio the body reports (rounded up), or -1. */
    long audioSeconds() {
        return usageSeconds >= 0 ? usageSeconds : durationSeconds;
    }

    /** The usage found, or null. */
    Usage result() {
        return usage.any() ? usage.build() : null;
    }

    private void on(JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT, START_ARRAY -> {
                if (base < 0) base = t == JsonToken.START_ARRAY ? 1 : 0;
                if (t == JsonToken.START_OBJECT && depth == base + 1 && isUsageField(fieldAt[base + 1])) inUsage = true;
                depth++;
                if (depth <= TRACKED_DEPTH) fieldAt[depth] = null;
            }
            case END_OBJECT, END_ARRAY -> {
                if (depth == base + 2 && inUsage) inUsage = false;
                depth--;
            }
            case FIELD_NAME -> {
                if (depth <= TRACKED_DEPTH) fieldAt[depth] = parser.currentName();
            }
            case VALUE_STRING -> {
                if (objectId == null && depth == base + 1 && "id".equals(fieldAt[base + 1])) objectId = parser.getText();
            }
            case VALUE_NUMBER_FLOAT -> seconds();
            case VALUE_NUMBER_INT -> {
                seconds();
                if (!inUsage) return;
                if (depth == base + 2) usage.accept(null, fieldAt[base + 2], parser.getLongValue());
                else if (depth == base + 3) usage.accept(fieldAt[base + 2], fieldAt[base + 3], parser.getLongValue());
            }
            default -> { }
        }
    }

    private void seconds() throws IOException {
        boolean usage = inUsage && depth == base + 2 && "seconds".equals(fieldAt[base + 2]);
        boolean duration = !inUsage && depth == base + 1 && "duration".equals(fieldAt[base + 1]);
        if (!usage && !duration) return;
        java.math.BigDecimal v = parser.getDecimalValue();
        if (v.signum() < 0 || v.compareTo(MAX_SECONDS) > 0) return;
        long whole = v.setScale(0, java.math.RoundingMode.CEILING).longValueExact();
        if (usage) usageSeconds = whole;
        else durationSeconds = whole;
    }

    private static final java.math.BigDecimal MAX_SECONDS = java.math.BigDecimal.valueOf(1_000_000_000L);

    private static boolean isUsageField(String name) {
        return "usage".equals(name) || "usageMetadata".equals(name);
    }
}
