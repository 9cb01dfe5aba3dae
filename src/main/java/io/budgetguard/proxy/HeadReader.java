package io.budgetguard.proxy;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads CRLF-terminated lines byte by byte from the buffered stream, within one byte budget for all of them: the
 * whole head (status line, interim heads and headers alike), or one chunk-size or trailer line of a body. Bare
 * LF is accepted; a NUL is not.
 */
final class HeadReader {
    private final InputStream in;
    private int remainingBytes;

    HeadReader(UpstreamConnection conn, int maxHeadBytes) {
        this(conn.in, maxHeadBytes);
    }

    HeadReader(InputStream in, int maxHeadBytes) {
        this.in = in;
        this.remainingBytes = maxHeadBytes;
    }

    String line() throws IOException {
        StringBuilder b = new StringBuilder(64);
        while (true) {
            int c = in.read();
            if (c < 0) throw new java.io.EOFException("upstream closed the connection mid-line");
            if (--remainingBytes < 0) throw new UpstreamProtocolException("response head larger than its limit");
            if (c == '\n') {
                int len = b.length();
                if (len > 0 && b.charAt(len - 1) == '\r') b.setLength(len - 1);
                return b.toString();
            }
            if (c == 0) throw new UpstreamProtocolException("NUL in the response head");
            b.append((char) c);
        }
    }
}
