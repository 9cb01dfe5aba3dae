package io.budgetguard.proxy;

import io.budgetguard.http.ApiException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code multipart/form-data} body read as it passes (RFC 7578), fed in pieces of any size: the text fields
 * (bounded in total), each file part's name, declared type, first bytes and size, and the byte offsets of each
 * field's value, so that one can be rewritten in the bytes sent on. Nothing of a file is kept beyond its first
 * {@link #FILE_HEAD_BYTES}. Malformed framing is a 400 in OpenAI's envelope.
 */
final class MultipartForm {
    /** Enough of a file to read its container header (WAV's fmt chunk sits in the first few dozen bytes). */
    static final int FILE_HEAD_BYTES = 4096;
    static final int MAX_PART_HEADER_BYTES = 8192;
    static final int MAX_PARTS = 64;
    private static final Pattern BOUNDARY = Pattern.compile("(?i)boundary=(?:\"([^\"]{1,70})\"|([^\\s;,\"]{1,70}))");
    private static final Pattern NAME = Pattern.compile("(?i)[;\\s]name=\"([^\"]{0,256})\"");
    private static final Pattern FILENAME = Pattern.compile("(?i)[;\\s]filename=\"([^\"]{0,1024})\"");
    private static final byte[] HEADER_END = {'\r', '\n', '\r', '\n'};

    /** A file part as far as it has arrived. */
    static final class FilePart {
        final String field;
        final String filename;
        final String contentType;
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        long sizeBytes;
        boolean complete;

        FilePart(String field, String filename, String contentType) {
            this.field = field;
            this.filename = filename;
            this.contentType = contentType;
        }
    }

    /** Where a text field's value sits in the body: [startOffset, endOffset). */
    record FieldSpan(long startOffset, long endOffset) {}

    private enum State { BODY, AFTER_DELIMITER, HEADERS, EPILOGUE }

    private final byte[] delimiter;
    private final int maxFieldBytes;
    private final Map<String, String> fields = new LinkedHashMap<>();
    private final Map<String, FieldSpan> spans = new LinkedHashMap<>();
    private final List<FilePart> files = new ArrayList<>();
    private final List<String> fieldsAfterFirstFile = new ArrayList<>();
    /** Bytes fed but not yet decided on (a delimiter may begin in them). */
    private byte[] pending = new byte[0];
    /** The offset in the body of pending[0]; the body's first byte is 0 (two virtual bytes precede it). */
    private long pendingOffset = -2;
    private State state = State.BODY;
    private boolean preamble = true;
    private int fieldBytes;
    private String currentField;
    private long currentFieldStart;
    private ByteArrayOutputStream currentValue;
    private FilePart currentFile;

    MultipartForm(String contentType, int maxFieldBytes) {
        this.delimiter = ("\r\n--" + boundary(contentType)).getBytes(StandardCharsets.ISO_8859_1);
        this.maxFieldBytes = maxFieldBytes;
        // The first delimiter has no line break before it: a virtual one makes every delimiter alike.
        this.pending = new byte[] {'\r', '\n'};
    }

    static boolean isMultipart(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).trim().startsWith("multipart/form-data");
    }

    private static String boundary(String contentType) {
        if (!isMultipart(contentType)) throw ApiException.invalidRequest("Content-Type must be multipart/form-data.");
        Matcher m = BOUNDARY.matcher(contentType);
        if (!m.find()) throw ApiException.invalidRequest("The multipart Content-Type names no boundary.");
        return m.group(1) != null ? m.group(1) : m.group(2);
    }

    Map<String, String> fields() { return fields; }
    Map<String, FieldSpan> spans() { return spans; }
    List<FilePart> files() { return files; }
    /** Text fields that arrived after a file had begun (too late for anything priced before the files stream). */
    List<String> fieldsAfterFirstFile() { return fieldsAfterFirstFile; }
    boolean complete() { return state == State.EPILOGUE; }
    boolean fileStarted() { return !files.isEmpty(); }

    /** The file part being read now, or null. */
    FilePart currentFile() { return currentFile; }

    void feed(byte[] b, int off, int len) {
        if (state == State.EPILOGUE || len == 0) return;
        byte[] joined = new byte[pending.length + len];
        System.arraycopy(pending, 0, joined, 0, pending.length);
        System.arraycopy(b, off, joined, pending.length, len);
        pending = joined;
        int at = 0;
        while (at < pending.length && state != State.EPILOGUE) {
            int used = step(at);
            if (used < 0) break; // needs more bytes
            at = used;
        }
        pendingOffset += at;
        pending = java.util.Arrays.copyOfRange(pending, at, pending.length);
    }

    /** The end of the body: a form without its closing delimiter is cut short. */
    void finish() {
        if (state != State.EPILOGUE) throw ApiException.invalidRequest("The multipart body ends before its closing boundary.");
    }

    /** Consumes from {@code at}; the new position, or -1 when more bytes are needed. */
    private int step(int at) {
        return switch (state) {
            case BODY -> body(at);
            case AFTER_DELIMITER -> afterDelimiter(at);
            case HEADERS -> headers(at);
            case EPILOGUE -> pending.length;
        };
    }

    private int body(int at) {
        int found = indexOf(pending, delimiter, at);
        if (found >= 0) {
            data(at, found);
            endPart();
            state = State.AFTER_DELIMITER;
            return found + delimiter.length;
        }
        int safe = Math.max(at, pending.length - delimiter.length + 1);
        data(at, safe);
        return safe == at ? -1 : safe;
    }

    private int afterDelimiter(int at) {
        if (pending.length - at < 2) return -1;
        if (pending[at] == '-' && pending[at + 1] == '-') {
            state = State.EPILOGUE;
            return pending.length;
        }
        if (pending[at] == '\r' && pending[at + 1] == '\n') {
            state = State.HEADERS;
            return at + 2;
        }
        throw ApiException.invalidRequest("The multipart body has a malformed boundary line.");
    }

    private int headers(int at) {
        int end = indexOf(pending, HEADER_END, at);
        if (end < 0) {
            if (pending.length - at > MAX_PART_HEADER_BYTES) throw ApiException.invalidRequest("A multipart part's headers are too large.");
            return -1;
        }
        if (end - at > MAX_PART_HEADER_BYTES) throw ApiException.invalidRequest("A multipart part's headers are too large.");
        startPart(new String(pending, at, end - at, StandardCharsets.UTF_8), pendingOffset + end + HEADER_END.length);
        state = State.BODY;
        return end + HEADER_END.length;
    }

    private void startPart(String headerText, long dataOffset) {
        preamble = false;
        if (fields.size() + files.size() >= MAX_PARTS) throw ApiException.invalidRequest("The form has more than " + MAX_PARTS + " parts.");
        String disposition = null, type = null;
        for (String line : headerText.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            if (name.equals("content-disposition")) disposition = line.substring(colon + 1);
            else if (name.equals("content-type")) type = line.substring(colon + 1).trim();
        }
        Matcher n = disposition == null ? null : NAME.matcher(disposition);
        if (n == null || !n.find()) throw ApiException.invalidRequest("A multipart part has no name.");
        Matcher f = FILENAME.matcher(disposition);
        if (f.find()) {
            currentFile = new FilePart(n.group(1), f.group(1), type);
            files.add(currentFile);
        } else {
            currentField = n.group(1);
            currentFieldStart = dataOffset;
            currentValue = new ByteArrayOutputStream();
            if (!files.isEmpty()) fieldsAfterFirstFile.add(currentField);
        }
    }

    private void data(int from, int to) {
        if (to <= from || preamble) return;
        int len = to - from;
        if (currentFile != null) {
            int keep = (int) Math.min(len, Math.max(0, FILE_HEAD_BYTES - currentFile.head.size()));
            currentFile.head.write(pending, from, keep);
            currentFile.sizeBytes += len;
        } else if (currentValue != null) {
            fieldBytes += len;
            if (fieldBytes > maxFieldBytes) {
                throw ApiException.invalidRequest("The form's text fields exceed " + maxFieldBytes + " bytes (MAX_FORM_FIELD_BYTES).");
            }
            currentValue.write(pending, from, len);
        }
    }

    private void endPart() {
        if (currentFile != null) {
            currentFile.complete = true;
        } else if (currentValue != null) {
            fields.putIfAbsent(currentField, currentValue.toString(StandardCharsets.UTF_8));
            spans.putIfAbsent(currentField, new FieldSpan(currentFieldStart, currentFieldStart + currentValue.size()));
        }
        currentFile = null;
        currentValue = null;
        currentField = null;
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
