package io.budgetguard.proxy;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * The upstream response body read straight from its socket on the request's virtual thread: Content-Length,
 * chunked or until close; each wait bounded by the stream-idle timeout. A body read to its end hands the
 * connection back for keep-alive; a cancelled or failed one closes it, which ends the upstream call.
 */
final class UpstreamBody {
    static final int READ_BYTES = 16 * 1024;
    private static final int MAX_LINE = 8 * 1024;
    /** Hex digits only (no sign, no 0x), at most 15 of them: a size that cannot overflow a long. */
    private static final java.util.regex.Pattern CHUNK_SIZE = java.util.regex.Pattern.compile("[0-9a-fA-F]{1,15}");

    private final UpstreamConnection conn;
    private final long contentLength;
    private final boolean chunked;
    private final boolean reusable;
    private final Consumer<UpstreamConnection> release;
    private long remaining;
    private boolean ended;
    private boolean done;

    /** @param contentLength -1 when unknown (chunked, or until the connection closes) */
    UpstreamBody(UpstreamConnection conn, long contentLength, boolean chunked, boolean reusable, Consumer<UpstreamConnection> release) {
        this.conn = conn;
        this.contentLength = contentLength;
        this.chunked = chunked;
        this.reusable = reusable && (chunked || contentLength >= 0);
        this.release = release;
        this.remaining = chunked ? 0 : contentLength;
        if (!chunked && contentLength == 0) finish();
    }

    /** The next bytes (heap buffers over their own array, read in place by the relay), or null at the end. */
    List<ByteBuffer> next(long idleTimeoutMs) throws IOException, InterruptedException {
        if (ended) return null;
        try {
            conn.socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, idleTimeoutMs));
            if (chunked && remaining == 0) {
                remaining = chunkSize();
                if (remaining == 0) {
                    skipTrailers();
                    finish();
                    return null;
                }
            }
            int want = contentLength < 0 && !chunked ? READ_BYTES : (int) Math.min(READ_BYTES, remaining);
            byte[] buf = new byte[want];
            int n = conn.in.read(buf, 0, want);
            if (n < 0) {
                if (contentLength < 0 && !chunked) {
                    finish();
                    return null;
                }
                throw new EOFException("upstream closed the connection mid-body");
            }
            if (chunked || contentLength >= 0) remaining -= n;
            if (chunked && remaining == 0) crlf();
            if (!chunked && contentLength >= 0 && remaining == 0) finish();
            return List.of(ByteBuffer.wrap(buf, 0, n));
        } catch (SocketTimeoutException e) {
            cancel();
            throw new HttpTimeoutException("upstream sent nothing for " + idleTimeoutMs + " ms");
        } catch (IOException e) {
            cancel();
            throw e;
        }
    }

    private void finish() {
        ended = true;
        if (done) return;
        done = true;
        if (reusable) release.accept(conn);
        else conn.abort();
    }

    /** Stops reading: the connection is closed, which ends the upstream call. */
    void cancel() {
        ended = true;
        if (done) return;
        done = true;
        conn.abort();
    }

    private long chunkSize() throws IOException {
        String line = line();
        int semi = line.indexOf(';');
        String hex = (semi < 0 ? line : line.substring(0, semi)).trim();
        if (!CHUNK_SIZE.matcher(hex).matches()) throw new UpstreamProtocolException("bad chunk size from upstream");
        return Long.parseLong(hex, 16);
    }

    private void crlf() throws IOException {
        if (!line().isEmpty()) throw new UpstreamProtocolException("bad chunk ending from upstream");
    }

    private void skipTrailers() throws IOException {
        for (int i = 0; i < 100; i++) if (line().isEmpty()) return;
        throw new IOException("too many trailers from upstream");
    }

    /** One chunk-size or trailer line, bounded on its own. */
    private String line() throws IOException {
        return new HeadReader(conn, MAX_LINE).line();
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
