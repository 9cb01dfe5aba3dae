package io.budgetguard.proxy;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/** One keep-alive HTTP/1.1 connection to the upstream (plain or TLS), used by one request at a time. */
final class UpstreamConnection {
    final Socket socket;
    final InputStream in;
    final OutputStream out;
    final boolean reused;
    long idleSinceNanos;

    UpstreamConnection(Socket socket, boolean reused) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
        this.out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
        this.reused = reused;
    }

    private UpstreamConnection(UpstreamConnection c) {
        this.socket = c.socket;
        this.in = c.in;
        this.out = c.out;
        this.reused = true;
    }

    /** The same socket, marked as taken from the pool. */
    UpstreamConnection reuse() {
        return new UpstreamConnection(this);
    }

    void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
    }
}
