package io.budgetguard.ledger;

import io.budgetguard.core.UsageEvent;
import io.budgetguard.core.UsageEventJson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.core.Reservation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The embedded store's write-ahead log. H2 keeps commits in memory for up to WRITE_DELAY (500 ms) before its
 * background writer stores them, so a killed process loses them; forcing a store per commit instead makes H2
 * write a new file chunk each time (the file grew to 1.3 GB in 80 s at 1,400 req/s). So each group-commit batch
 * is appended here first, one {@code write} per batch (in the OS's page cache when the caller returns: it
 * survives the process, not a power loss), and the log is emptied after H2 checkpoints. At start, whatever the
 * log still holds is replayed, in order, with idempotent statements.
 *
 * <p>Framed: each batch is {@code "BGW1"}, its payload's length (4 bytes), the payload's CRC32C (4 bytes), then the
 * payload, one line per write ({@code J <reservation json>} journal a reservation; {@code A <usage event json>}
 * append a ledger row). A batch whose H2 commit failed is truncated away before its callers are told; replay
 * verifies every batch and stops at the first that is torn (killed mid-write: nobody was told it committed) or
 * corrupt, saying where.
 */
final class LedgerWal implements AutoCloseable {
    static final String FILE_NAME = "ledger.wal";
    static final byte[] MAGIC = {'B', 'G', 'W', '1'};
    static final int HEADER_BYTES = 12;
    /** No batch is larger: MAX_BATCH entries of bounded size; a larger length is corruption. */
    static final int MAX_BATCH_BYTES = 64 * 1024 * 1024;

    /** One logged write, in order. */
    record Entry(Reservation journal, UsageEvent append) {}

    /** What replay found: the entries of every verified batch, and why it stopped early (null when it did not). */
    record Contents(List<Entry> entries, String stoppedBecause) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path path;
    private final FileChannel channel;

    LedgerWal(Path dataDir) {
        this.path = dataDir.resolve(FILE_NAME);
        try {
            this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
            io.budgetguard.store.PrivateFiles.file(path);
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the ledger log " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Appends the entries as one framed batch in one write; returns once the OS has them, with the log's length
     * before the batch (hand it to {@link #truncate} if the batch must not count: its commit failed).
     */
    long append(List<Entry> entries) throws IOException {
        long before = channel.size();
        channel.write(frame(entries));
        return before;
    }

    static ByteBuffer frame(List<Entry> entries) {
        StringBuilder b = new StringBuilder(entries.size() * 400);
        for (Entry e : entries) {
            if (e.journal() != null) b.append("J ").append(reservationJson(e.journal()));
            else b.append("A ").append(UsageEventJson.write(e.append()));
            b.append('\n');
        }
        byte[] payload = b.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(HEADER_BYTES + payload.length);
        buf.put(MAGIC).putInt(payload.length).putInt(crc32c(payload)).put(payload).flip();
        return buf;
    }

    private static int crc32c(byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload);
        return (int) crc.getValue();
    }

    /** Cuts the log back to {@code length}: the batch written after it never happened. */
    void truncate(long length) throws IOException {
        channel.truncate(length);
    }

    /** Empties the log: call only after H2 has stored everything the log held. */
    void clear() throws IOException {
        channel.truncate(0);
    }

    long sizeBytes() throws IOException {
        return channel.size();
    }

    /** The entries of every complete, verified batch, in order, up to the first batch that is not. */
    Contents read() throws IOException {
        List<Entry> out = new ArrayList<>();
        byte[] bytes = Files.readAllBytes(path);
        if (bytes.length > 1 && (bytes[0] == 'J' || bytes[0] == 'A') && bytes[1] == ' ') return legacy(bytes);
        ByteBuffer all = ByteBuffer.wrap(bytes);
        while (all.hasRemaining()) {
            int at = all.position();
            if (all.remaining() < HEADER_BYTES) return new Contents(out, "a torn batch header at byte " + at);
            byte[] magic = new byte[MAGIC.length];
            all.get(magic);
            int length = all.getInt();
            int expected = all.getInt();
            if (!java.util.Arrays.equals(magic, MAGIC) || length < 0 || length > MAX_BATCH_BYTES) {
                return new Contents(out, "no batch header at byte " + at);
            }
            if (all.remaining() < length) return new Contents(out, "a torn batch at byte " + at);
            byte[] payload = new byte[length];
            all.get(payload);
            if (crc32c(payload) != expected) return new Contents(out, "a batch failing its CRC32C at byte " + at);
            out.addAll(lines(payload));
        }
        return new Contents(out, null);
    }

    /** A log left by a version before framing: whole lines, the bytes after the last newline a torn write. */
    private static Contents legacy(byte[] bytes) throws IOException {
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] != '\n') end--;
        return new Contents(lines(java.util.Arrays.copyOf(bytes, end)), end < bytes.length ? "a torn last line (unframed log)" : null);
    }

    private static List<Entry> lines(byte[] payload) throws IOException {
        List<Entry> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < payload.length; i++) {
            if (payload[i] != '\n') continue;
            String line = new String(payload, start, i - start, StandardCharsets.UTF_8);
            start = i + 1;
            if (line.startsWith("J ")) out.add(new Entry(reservation(line.substring(2)), null));
            else if (line.startsWith("A ")) out.add(new Entry(null, UsageEventJson.read(line.substring(2))));
            else throw new IOException("a verified batch holds an unknown line");
        }
        return out;
    }

    private static String reservationJson(Reservation r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", r.id());
        o.put("tenant_id", r.tenantId());
        o.put("api_key_id", r.apiKeyId());
        o.put("endpoint", r.endpoint());
        o.put("provider", r.provider());
        if (r.endUser() != null) o.put("end_user", r.endUser());
        o.put("tags", r.tags());
        o.put("model", r.model());
        o.put("estimate_micro_usd", r.estimateMicroUsd());
        o.put("created_ms", r.createdMs());
        o.put("deadline_ms", r.deadlineMs());
        return o.toString();
    }

    private static Reservation reservation(String json) throws IOException {
        JsonNode o = JSON.readTree(json);
        return new Reservation(o.get("id").asText(), o.get("tenant_id").asText(), o.get("api_key_id").asText(),
                o.get("endpoint").asText(), o.path("provider").asText("openai"), o.get("model").isNull() ? null : o.get("model").asText(),
                o.get("estimate_micro_usd").asLong(), o.get("created_ms").asLong(), o.get("deadline_ms").asLong(), List.of(),
                o.hasNonNull("end_user") ? o.get("end_user").asText() : null, o.path("tags").asText(""));
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
