package io.budgetguard.proxy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The part of an upload read before it could be priced, kept to be sent on once admitted: in memory up to
 * {@link #MEMORY_BYTES}, beyond that in a temporary file (deleted on close). Only a form whose file comes before
 * its model ever reaches the file; its size is bounded by the upload's own bound.
 */
final class UploadSpool implements AutoCloseable {
    static final int MEMORY_BYTES = 256 * 1024;

    private final java.io.ByteArrayOutputStream memory = new java.io.ByteArrayOutputStream();
    private Path file;
    private FileChannel channel;
    private long sizeBytes;

    void write(byte[] b, int off, int len) throws IOException {
        if (channel == null && memory.size() + len <= MEMORY_BYTES) {
            memory.write(b, off, len);
        } else {
            if (channel == null) {
                file = Files.createTempFile("budgetguard-upload", ".part");
                channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE);
                channel.write(ByteBuffer.wrap(memory.toByteArray()));
            }
            channel.write(ByteBuffer.wrap(b, off, len));
        }
        sizeBytes += len;
    }

    long sizeBytes() {
        return sizeBytes;
    }

    /** Writes bytes [from, to) of what was kept. */
    void copyTo(OutputStream out, long from, long to) throws IOException {
        if (to <= from) return;
        if (channel == null) {
            out.write(memory.toByteArray(), (int) from, (int) (to - from));
            return;
        }
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        for (long at = from; at < to; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), to - at));
            int n = channel.read(buf, at);
            if (n < 0) throw new IOException("the upload spool is shorter than written");
            out.write(buf.array(), 0, n);
            at += n;
        }
    }

    @Override
    public void close() {
        try {
            if (channel != null) channel.close();
            if (file != null) Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a temporary file the system removes anyway
        }
    }
}
