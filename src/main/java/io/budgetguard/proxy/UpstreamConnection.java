package io.budgetguard.proxy;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * One keep-alive HTTP/1.1 connection to the upstream (plain, TLS, or either through a CONNECT tunnel), used by
 * one request at a time. Built on a {@link SocketChannel} so that a pooled connection can be checked without
 * blocking before it is lent (HikariCP's rule), and aborted from another thread by closing the channel.
 */
final class UpstreamConnection {
    private static final int BUFFER_BYTES = 16 * 1024;

    private final SocketChannel channel;
    /** The socket the HTTP bytes go through: the channel's own, or the TLS socket layered over it. */
    final Socket socket;
    final InputStream in;
    final OutputStream out;
    /** When an idle connection must be retired, before the upstream's keep-alive limit closes it. */
    long retireAtNanos;

    UpstreamConnection(SocketChannel channel, Socket socket) throws IOException {
        this.channel = channel;
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), BUFFER_BYTES);
        this.out = new BufferedOutputStream(socket.getOutputStream(), BUFFER_BYTES);
    }

    /**
     * True when the connection may carry a request: still open, and nothing arrived since the last response (no
     * FIN, no stray bytes of a body longer than its Content-Length, no TLS close alert). Never blocks.
     */
    boolean quiet() {
        try {
            if (!channel.isOpen() || in.available() > 0) return false;
            channel.configureBlocking(false);
            int n = channel.read(ByteBuffer.allocate(1));
            channel.configureBlocking(true);
            return n == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Closes the channel at once, from any thread: a read or write blocked on it fails. */
    void abort() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // already gone
        }
    }
}
