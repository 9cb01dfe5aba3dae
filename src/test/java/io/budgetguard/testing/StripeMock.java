package io.budgetguard.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/**
 * Stripe's API as {@code stripe-mock} serves it (Stripe's own OpenAPI spec: it validates every parameter and answers
 * in Stripe's shapes), behind a recorder that keeps each meter event it forwarded and can fail the next calls (500)
 * or refuse one identifier (400), as Stripe does. stripe-mock keeps no state, so the recorder also does what Stripe
 * does with a meter event identifier it has seen: it accepts it again without counting it twice.
 */
public final class StripeMock implements AutoCloseable {
    /** A meter event as Stripe received it. */
    public record MeterEvent(String identifier, String eventName, String customer, long value, long timestamp) {}

    private final Process mock;
    private final int mockPort;
    private final HttpServer recorder;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** Every meter event call that stripe-mock accepted, resends included, in order. */
    public final List<MeterEvent> calls = new CopyOnWriteArrayList<>();
    /** The events Stripe holds: one per identifier. */
    public final Map<String, MeterEvent> events = new ConcurrentHashMap<>();
    public final AtomicInteger failNext = new AtomicInteger();
    public volatile String refuseIdentifier;
    public volatile long delayMs;

    private StripeMock(Process mock, int mockPort) throws IOException {
        this.mock = mock;
        this.mockPort = mockPort;
        recorder = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        recorder.createContext("/", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            try {
                if (delayMs > 0) Thread.sleep(delayMs);
                Map<String, String> form = form(new String(body, StandardCharsets.UTF_8));
                boolean meterEvent = ex.getRequestURI().getPath().equals("/v1/billing/meter_events");
                if (meterEvent && failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    reply(ex, 500, "{\"error\":{\"type\":\"api_error\",\"message\":\"An unknown error occurred\"}}");
                    return;
                }
                if (meterEvent && form.get("identifier") != null && form.get("identifier").equals(refuseIdentifier)) {
                    reply(ex, 400, "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"timestamp_too_far_in_past\","
                            + "\"message\":\"Timestamp must be within the past 35 calendar days.\"}}");
                    return;
                }
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mockPort + ex.getRequestURI()))
                        .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
                for (String h : List.of("Authorization", "Content-Type", "Idempotency-Key", "Stripe-Version")) {
                    String v = ex.getRequestHeaders().getFirst(h);
                    if (v != null) b.header(h, v);
                }
                HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                if (meterEvent && r.statusCode() == 200) {
                    MeterEvent e = new MeterEvent(form.get("identifier"), form.get("event_name"), form.get("payload[stripe_customer_id]"),
                            Long.parseLong(form.get("payload[value]")), Long.parseLong(form.get("timestamp")));
                    calls.add(e);
                    events.putIfAbsent(e.identifier(), e);
                }
                reply(ex, r.statusCode(), r.body());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reply(ex, 500, "{}");
            }
        });
        recorder.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        recorder.start();
    }

    private static void reply(com.sun.net.httpserver.HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    private static Map<String, String> form(String body) {
        Map<String, String> out = new HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    public static String binary() {
        List<Path> candidates = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) candidates.add(Path.of(dir, "stripe-mock"));
        candidates.add(Path.of(System.getProperty("user.home"), "go", "bin", "stripe-mock"));
        for (Path p : candidates) if (Files.isExecutable(p)) return p.toString();
        return null;
    }

    /** stripe-mock started on a free port (skipped where it is not installed; CI must install it). */
    public static StripeMock start() throws Exception {
        String bin = binary();
        if (System.getenv("CI") != null && bin == null) throw new IllegalStateException("CI must install stripe-mock");
        Assumptions.assumeTrue(bin != null, "install stripe-mock (go install github.com/stripe/stripe-mock@latest)");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = Files.createTempFile("stripe-mock", ".log");
        Process p = new ProcessBuilder(bin, "-http-port", Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
        for (int i = 0; i < 200; i++) {
            try {
                c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/customers"))
                        .header("Authorization", "Bearer sk_test_123").build(), HttpResponse.BodyHandlers.discarding());
                return new StripeMock(p, port);
            } catch (IOException e) {
                if (!p.isAlive()) throw new IllegalStateException("stripe-mock exited: " + Files.readString(log));
                Thread.sleep(50);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("stripe-mock did not listen: " + Files.readString(log));
    }

    /** Where the gateway should send Stripe calls (STRIPE_API_BASE). */
    public String apiBase() {
        return "http://127.0.0.1:" + recorder.getAddress().getPort();
    }

    @Override
    public void close() throws Exception {
        recorder.stop(0);
        mock.destroy();
        if (!mock.waitFor(5, TimeUnit.SECONDS)) mock.destroyForcibly();
    }

}
