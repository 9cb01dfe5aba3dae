package io.budgetguard.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.Locale;

/**
 * One HTTP exchange as the handlers see it: the request, its id, and guarded ways to answer.
 * Invariant: response headers are sent at most once; {@link #responseStarted()} tells whether they were.
 */
public final class HttpCall {
    private static final byte[] NO_BYTES = new byte[0];

    private final HttpExchange exchange;
    private final String requestId;
    private final long startedNanos;
    private final java.util.concurrent.ScheduledExecutorService deadlines;
    private final long bodyTimeoutMs;
    private final ClientStream clientStream;
    /** When the whole request must be over (System.nanoTime), whatever it is waiting for. */
    private final long deadlineNanos;
    private volatile boolean responseStarted;
    private volatile boolean aborted;
    private volatile boolean deadlinePassed;
    /** An upload is being read and passed on: the deadline cuts the client's side of it too. */
    private volatile boolean uploading;
    private volatile Runnable onAbort;
    private int status;
    private String tenantId;
    private String outcome;
    private String route = "unmatched";

    HttpCall(HttpExchange exchange, String requestId, long startedNanos,
             java.util.concurrent.ScheduledExecutorService deadlines, long bodyTimeoutMs, long deadlineMs) {
        this.exchange = exchange;
        this.requestId = requestId;
        this.startedNanos = startedNanos;
        this.deadlines = deadlines;
        this.bodyTimeoutMs = bodyTimeoutMs;
        this.deadlineNanos = startedNanos + deadlineMs * 1_000_000;
        this.clientStream = new ClientStream(exchange.getResponseBody());
        exchange.setStreams(null, clientStream);
        exchange.getResponseHeaders().set("x-request-id", requestId);
    }

    /**
     * The response stream as the handlers write it: it notes when a write is blocked (a client that stopped
     * reading), and once the call is aborted its close fails, which makes the JDK server drop the connection
     * instead of writing the chunked terminator: a cut body never reaches the client as a complete one.
     */
    private final class ClientStream extends OutputStream {
        private final OutputStream out;
        /** System.nanoTime() when the write in progress started; 0 when none is. */
        private volatile long writingSinceNanos;

        ClientStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (aborted) throw new IOException("response aborted");
            writingSinceNanos = System.nanoTime() | 1;
            try {
                out.write(b, off, len);
            } finally {
                writingSinceNanos = 0;
            }
        }

        @Override
        public void flush() throws IOException {
            if (aborted) throw new IOException("response aborted");
            writingSinceNanos = System.nanoTime() | 1;
            try {
                out.flush();
            } finally {
                writingSinceNanos = 0;
            }
        }

        @Override
        public void close() throws IOException {
            if (aborted) throw new IOException("response aborted");
            out.close();
        }
    }

    /**
     * Ends the call at once, from any thread: the hook registered by {@link #onAbort} runs (it cuts the upstream
     * call) and the client connection is dropped without completing the response. Idempotent.
     */
    public void abort() {
        if (aborted) return;
        aborted = true;
        cutUpstream();
        exchange.close();
    }

    private void cutUpstream() {
        Runnable hook = onAbort;
        if (hook != null) hook.run();
    }

    /** What to cut when this call is aborted (the upstream connection); runs now if it already was. */
    public void onAbort(Runnable hook) {
        onAbort = hook;
        if (aborted || deadlinePassed) hook.run();
    }

    /** True once the request deadline passed (the upstream call was cut for it). */
    public boolean deadlinePassed() {
        return deadlinePassed;
    }

    /**
     * Called by the server's watchdog: past the request deadline the upstream call is cut (the handler then answers
     * 504 if nothing was sent yet, else the connection is dropped); a client write blocked longer than
     * {@code writeTimeoutNanos} drops the client. True when the call was ended.
     */
    boolean enforceDeadlines(long nowNanos, long writeTimeoutNanos) {
        if (aborted) return false;
        long since = clientStream.writingSinceNanos;
        if (since != 0 && nowNanos - since > writeTimeoutNanos) {
            abort();
            return true;
        }
        if (!deadlinePassed && nowNanos - deadlineNanos > 0) {
            deadlinePassed = true;
            cutUpstream();
            if (responseStarted || uploading) abort();
            return true;
        }
        return false;
    }

    public String requestId() { return requestId; }
    public long startedNanos() { return startedNanos; }
    public String method() { return exchange.getRequestMethod(); }
    public URI uri() { return exchange.getRequestURI(); }
    public String path() { return exchange.getRequestURI().getPath(); }
    public Headers requestHeaders() { return exchange.getRequestHeaders(); }
    public Headers responseHeaders() { return exchange.getResponseHeaders(); }
    public boolean responseStarted() { return responseStarted; }
    public int status() { return status; }
    public String tenantId() { return tenantId; }
    public String route() { return route; }
    void route(String pattern) { this.route = pattern; }
    public String outcome() { return outcome; }

    /** Who made the call and how it ended, for the access log; set by handlers once known. */
    public void identify(String tenantId) { this.tenantId = tenantId; }
    public void outcome(String outcome) { this.outcome = outcome; }

    public String header(String name) {
        return exchange.getRequestHeaders().getFirst(name);
    }

    /**
     * The body, refused with 413 past {@code maxBytes} before reading more than one byte over the limit. A client
     * that has not sent it all within the request read timeout is cut off: a trickling client cannot hold a
     * connection and a request slot for longer than that.
     */
    public byte[] readBody(int maxBytes) throws IOException {
        java.util.concurrent.atomic.AtomicBoolean expired = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.ScheduledFuture<?> deadline = deadlines.schedule(() -> {
            expired.set(true);
            exchange.close();
        }, bodyTimeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        try {
            return readBodyUnbounded(maxBytes);
        } catch (IOException e) {
            if (expired.get()) throw new IOException("request body not received within " + bodyTimeoutMs + " ms", e);
            throw e;
        } finally {
            deadline.cancel(false);
        }
    }

    private byte[] readBodyUnbounded(int maxBytes) throws IOException {
        String declared = header("Content-Length");
        if (declared != null) {
            long n;
            try {
                n = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                throw ApiException.invalidRequest("Content-Length is not a number.");
            }
            if (n > maxBytes) throw ApiException.tooLarge(maxBytes);
            if (n == 0) return NO_BYTES;
        }
        try (InputStream in = exchange.getRequestBody()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(declared == null ? 8192 : (int) Long.parseLong(declared.trim()));
            byte[] buf = new byte[8192];
            int total = 0;
            for (int r; (r = in.read(buf)) > 0; ) {
                total += r;
                if (total > maxBytes) throw ApiException.tooLarge(maxBytes);
                out.write(buf, 0, r);
            }
            return out.toByteArray();
        }
    }

    /**
     * The request body as a stream, for an upload passed on as it arrives (never read whole); until
     * {@link #uploadDone} the request deadline drops the client as well as the upstream.
     */
    public InputStream uploadBody() {
        uploading = true;
        return exchange.getRequestBody();
    }

    public void uploadDone() {
        uploading = false;
    }

    /** True when the Content-Type is JSON (any charset parameter). */
    public boolean hasJsonBody() {
        String ct = header("Content-Type");
        return ct != null && ct.toLowerCase(Locale.ROOT).trim().startsWith("application/json");
    }

    public void sendText(int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        try (OutputStream out = startResponse(status, bytes.length)) {
            out.write(bytes);
        }
    }

    /** Sends headers; {@code length} -1 = no body, 0 = chunked, else exact length. */
    public OutputStream startResponse(int status, long length) throws IOException {
        if (responseStarted) throw new IllegalStateException("response already started");
        responseStarted = true;
        this.status = status;
        exchange.sendResponseHeaders(status, length);
        return exchange.getResponseBody();
    }

    public void sendJson(ObjectMapper json, int status, Object body) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        try (OutputStream out = startResponse(status, bytes.length)) {
            out.write(bytes);
        }
    }

    public void close() {
        exchange.close();
    }
}
