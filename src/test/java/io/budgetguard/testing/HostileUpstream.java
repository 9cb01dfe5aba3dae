package io.budgetguard.testing;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ServerSocketFactory;

/**
 * An upstream that misbehaves the way real networks, CDNs and broken servers do, on raw sockets (a well-behaved
 * HTTP server library cannot send these answers). Each request chooses its treatment by its {@code "user"} field
 * (a {@link Mode} name, default OK); every answer names the request id it answers, so a test can see whether a
 * client ever received bytes meant for another request. Keep-alive: a connection serves requests until a mode
 * closes it.
 */
public final class HostileUpstream implements AutoCloseable {
    public enum Mode {
        OK, INTERIM_100, INTERIM_103, CLOSE_AFTER_REQUEST, CLOSE_MID_HEADERS, CLOSE_MID_BODY_FIXED,
        CLOSE_MID_BODY_CHUNKED, CLOSE_MID_SSE_FIXED, CLOSE_MID_SSE_CHUNKED, DUPLICATE_CONTENT_LENGTH,
        NEGATIVE_CONTENT_LENGTH, LIST_CONTENT_LENGTH, CONTENT_LENGTH_WITH_CHUNKED, BAD_CHUNK_SIZE, TOO_MANY_HEADERS,
        TRICKLE, NO_ANSWER, ENDLESS_STREAM, LONGER_THAN_CONTENT_LENGTH,
        /** An endless SSE stream as fast as the socket takes it: fills a client's buffers that stopped reading. */
        FLOOD
    }

    private static final Pattern REQUEST_ID = Pattern.compile("(?im)^x-client-request-id:\\s*(\\S+)");
    private static final Pattern USER = Pattern.compile("\"user\"\\s*:\\s*\"([A-Z0-9_]+)\"");
    private static final int MAX_HEAD_BYTES = 64 * 1024;

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
    private final Map<Socket, Boolean> open = new ConcurrentHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();

    private HostileUpstream(ServerSocket server) {
        this.server = server;
        threads.submit(this::acceptLoop);
    }

    public static HostileUpstream start() throws IOException {
        return start(ServerSocketFactory.getDefault());
    }

    /** On a given factory: an SSLServerSocketFactory makes it a TLS upstream. */
    public static HostileUpstream start(ServerSocketFactory factory) throws IOException {
        return new HostileUpstream(factory.createServerSocket(0, 128, InetAddress.getLoopbackAddress()));
    }

    public String baseUrl(String scheme) {
        return scheme + "://127.0.0.1:" + server.getLocalPort();
    }

    public int port() {
        return server.getLocalPort();
    }

    public String baseUrl() {
        return baseUrl("http");
    }

    /** How often each request id reached this upstream. */
    public Map<String, Integer> requestIdsSeen() {
        Map<String, Integer> out = new java.util.HashMap<>();
        seen.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    public int connectionsAccepted() {
        return connections.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                connections.incrementAndGet();
                open.put(s, true);
                threads.submit(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) return;
                byte[] body = in.readNBytes(contentLength(head));
                Matcher id = REQUEST_ID.matcher(head);
                String rid = id.find() ? id.group(1) : "none";
                seen.computeIfAbsent(rid, k -> new AtomicInteger()).incrementAndGet();
                Matcher user = USER.matcher(new String(body, StandardCharsets.UTF_8));
                Mode mode = user.find() ? Mode.valueOf(user.group(1)) : Mode.OK;
                boolean stream = new String(body, StandardCharsets.UTF_8).contains("\"stream\":true");
                if (!answer(out, mode, rid, stream)) return;
            }
        } catch (IOException | InterruptedException e) {
            // the gateway went away or the mode ended the connection
        } finally {
            open.remove(s);
        }
    }

    /** Answers one request; false when the connection must end. */
    private boolean answer(OutputStream out, Mode mode, String rid, boolean stream) throws IOException, InterruptedException {
        byte[] json = completion(rid);
        byte[] sse = events(rid);
        String ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + json.length + "\r\n\r\n";
        switch (mode) {
            case OK -> {
                if (stream) write(out, chunkedHead("text/event-stream") + chunk(sse) + "0\r\n\r\n");
                else write(out, ok, json);
                return true;
            }
            case INTERIM_100 -> write(out, "HTTP/1.1 100 Continue\r\n\r\n" + ok, json);
            case INTERIM_103 -> write(out, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + ok, json);
            case CLOSE_AFTER_REQUEST -> { return false; }
            case CLOSE_MID_HEADERS -> { write(out, "HTTP/1.1 200 OK\r\nContent-Type: appli"); return false; }
            case CLOSE_MID_BODY_FIXED -> { write(out, ok, half(json)); return false; }
            case CLOSE_MID_BODY_CHUNKED -> {
                write(out, chunkedHead("application/json") + chunk(half(json)));
                return false;
            }
            case CLOSE_MID_SSE_FIXED -> {
                write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: " + sse.length + "\r\n\r\n",
                        half(sse));
                return false;
            }
            case CLOSE_MID_SSE_CHUNKED -> {
                write(out, chunkedHead("text/event-stream") + chunk(half(sse)));
                return false;
            }
            case DUPLICATE_CONTENT_LENGTH -> write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                    + json.length + "\r\nContent-Length: " + (json.length + 40) + "\r\n\r\n", json);
            case NEGATIVE_CONTENT_LENGTH -> write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n", json);
            case LIST_CONTENT_LENGTH -> write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                    + json.length + ", " + json.length + "\r\n\r\n", json);
            case CONTENT_LENGTH_WITH_CHUNKED -> write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n" + chunk(json) + "0\r\n\r\n");
            case BAD_CHUNK_SIZE -> write(out, chunkedHead("application/json") + "zz\r\n" + new String(json, StandardCharsets.UTF_8) + "\r\n0\r\n\r\n");
            case TOO_MANY_HEADERS -> {
                StringBuilder h = new StringBuilder("HTTP/1.1 200 OK\r\n");
                for (int i = 0; i < 300; i++) h.append("X-Filler-").append(i).append(": ").append(i).append("\r\n");
                write(out, h + "Content-Type: application/json\r\nContent-Length: " + json.length + "\r\n\r\n", json);
            }
            case TRICKLE -> {
                write(out, chunkedHead("application/json"));
                for (byte b : json) {
                    write(out, "1\r\n" + (char) b + "\r\n");
                    Thread.sleep(1_000);
                }
                write(out, "0\r\n\r\n");
            }
            case NO_ANSWER -> {
                Thread.sleep(Long.MAX_VALUE);
                return false;
            }
            case ENDLESS_STREAM -> {
                write(out, chunkedHead("text/event-stream"));
                for (long i = 0; ; i++) {
                    write(out, chunk(("data: {\"id\":\"chatcmpl-" + rid + "\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                            + "\"delta\":{\"content\":\"" + i + " \"}}]}\n\n").getBytes(StandardCharsets.UTF_8)));
                    Thread.sleep(20);
                }
            }
            case FLOOD -> {
                write(out, chunkedHead("text/event-stream"));
                byte[] event = ("data: {\"id\":\"chatcmpl-" + rid + "\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{\"content\":\"" + "x".repeat(16 * 1024) + "\"}}]}\n\n").getBytes(StandardCharsets.UTF_8);
                while (true) write(out, chunk(event));
            }
            case LONGER_THAN_CONTENT_LENGTH -> {
                // Declares the body shorter than it is: the rest must never be read as the next request's answer.
                byte[] tail = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + json.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8);
                write(out, ok, json, tail, json);
            }
        }
        return true;
    }

    /** A chat completion whose every field names the request it answers. */
    public static byte[] completion(String rid) {
        return ("{\"id\":\"chatcmpl-" + rid + "\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"answer for " + rid + "\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15}}").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] events(String rid) {
        String chunk = "{\"id\":\"chatcmpl-" + rid + "\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,";
        return ("data: " + chunk + "\"delta\":{\"content\":\"answer for " + rid + "\"},\"finish_reason\":null}]}\n\n"
                + "data: " + chunk + "\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                + "data: {\"id\":\"chatcmpl-" + rid + "\",\"object\":\"chat.completion.chunk\",\"choices\":[],"
                + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15}}\n\n"
                + "data: [DONE]\n\n").getBytes(StandardCharsets.UTF_8);
    }

    private static String chunkedHead(String contentType) {
        return "HTTP/1.1 200 OK\r\nContent-Type: " + contentType + "\r\nTransfer-Encoding: chunked\r\n\r\n";
    }

    private static String chunk(byte[] data) {
        return Integer.toHexString(data.length) + "\r\n" + new String(data, StandardCharsets.ISO_8859_1) + "\r\n";
    }

    private static byte[] half(byte[] b) {
        return java.util.Arrays.copyOf(b, b.length / 2);
    }

    private static void write(OutputStream out, String head, byte[]... parts) throws IOException {
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        for (byte[] p : parts) out.write(p);
        out.flush();
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        while (b.length() < MAX_HEAD_BYTES) {
            int c = in.read();
            if (c < 0) return null;
            b.append((char) c);
            if (b.length() >= 4 && b.substring(b.length() - 4).equals("\r\n\r\n")) return b.toString();
        }
        throw new IOException("request head too large");
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) return Integer.parseInt(line.substring(15).trim());
        }
        return 0;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open.keySet()) s.close();
        threads.shutdownNow();
    }
}
