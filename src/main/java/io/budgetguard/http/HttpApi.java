package io.budgetguard.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.budgetguard.config.Settings;
import io.budgetguard.log.JsonLog;
import io.budgetguard.store.StoreUnavailableException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The HTTP front: {@code com.sun.net.httpserver} with a virtual thread per request, a bound on requests in
 * flight, an {@code x-request-id} on every response, and the single place where errors become OpenAI's envelope.
 */
public final class HttpApi implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;
    private final List<Route> routes;
    private final ObjectMapper json;
    private final Semaphore inflight;
    private final int maxInflight;
    private final long bodyTimeoutMs;
    /** One daemon thread that only fires request-body deadlines. */
    private final java.util.concurrent.ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("budgetguard-deadlines").daemon(true).factory());

    private final io.budgetguard.metrics.Metrics metrics;

    private HttpApi(HttpServer server, ExecutorService executor, List<Route> routes, ObjectMapper json, int maxInflight,
                    long bodyTimeoutMs, io.budgetguard.metrics.Metrics metrics) {
        this.metrics = metrics;
        this.bodyTimeoutMs = bodyTimeoutMs;
        this.server = server;
        this.executor = executor;
        this.routes = List.copyOf(routes);
        this.json = json;
        this.maxInflight = maxInflight;
        this.inflight = new Semaphore(maxInflight);
    }

    /**
     * The JDK server reads its {@code sun.net.httpserver.*} properties once, in a static initializer
     * (DESIGN §7b): they are set here, before the first server is created, unless the operator set them.
     */
    public static void configureJdkServer(Settings s) {
        setDefault("sun.net.httpserver.nodelay", "true");
        setDefault("sun.net.httpserver.maxReqHeaderSize", Integer.toString(s.maxHeaderBytes()));
        setDefault("sun.net.httpserver.maxReqHeaders", "200");
        setDefault("sun.net.httpserver.maxReqTime", Long.toString(Math.max(1, s.requestReadTimeoutMs() / 1000)));
        setDefault("sun.net.httpserver.idleInterval", Long.toString(Math.max(1, s.clientIdleTimeoutMs() / 1000)));
        setDefault("sun.net.httpserver.maxIdleConnections", Integer.toString(Math.max(200, s.maxInflightRequests())));
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }

    public static HttpApi start(Settings s, List<Route> routes, ObjectMapper json, io.budgetguard.metrics.Metrics metrics)
            throws IOException {
        configureJdkServer(s);
        HttpServer server = HttpServer.create(new InetSocketAddress(s.bindAddress(), s.port()), 1024);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        HttpApi api = new HttpApi(server, executor, routes, json, s.maxInflightRequests(), s.requestReadTimeoutMs(), metrics);
        metrics.inflight(() -> api.maxInflight - api.inflight.availablePermits());
        server.setExecutor(executor);
        server.createContext("/", api::dispatch);
        server.start();
        return api;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void dispatch(HttpExchange exchange) {
        HttpCall call = new HttpCall(exchange, newRequestId(), System.nanoTime(), deadlines, bodyTimeoutMs);
        String code = null;
        if (!inflight.tryAcquire()) {
            sendError(call, ApiException.overloaded(maxInflight));
            finish(call, "overloaded");
            return;
        }
        try {
            route(call);
        } catch (ApiException e) {
            code = e.code();
            sendError(call, e);
        } catch (StoreUnavailableException e) {
            code = "store_unavailable";
            JsonLog.error("store_unavailable", "request_id", call.requestId(), "error", e.getMessage());
            sendError(call, ApiException.storeUnavailable("The gateway's store is unavailable, so budgets cannot be "
                    + "checked; the request was not forwarded. Retry shortly."));
        } catch (IOException e) {
            code = "client_io";
        } catch (RuntimeException e) {
            code = "internal_error";
            JsonLog.error("bug", "request_id", call.requestId(), "path", call.path(), "exception", e.toString(),
                    "at", e.getStackTrace().length > 0 ? e.getStackTrace()[0].toString() : "");
            sendError(call, new ApiException(500, "server_error", "internal_error",
                    "Internal error; the request id is " + call.requestId() + ".", null, Map.of()));
        } finally {
            inflight.release();
            finish(call, code);
        }
    }

    private void route(HttpCall call) throws IOException {
        String path = call.path();
        List<String> allowed = new ArrayList<>(2);
        for (Route r : routes) {
            Map<String, String> params = r.match(path);
            if (params == null) continue;
            if (!r.method().equals(call.method())) {
                allowed.add(r.method());
                continue;
            }
            call.route(r.pattern());
            r.handler().handle(call, params);
            return;
        }
        if (!allowed.isEmpty()) throw ApiException.methodNotAllowed(call.method(), path, String.join(", ", allowed));
        throw ApiException.unknownUrl(call.method(), path);
    }

    private void sendError(HttpCall call, ApiException e) {
        if (call.responseStarted()) return; // mid-stream: the connection is closed below, nothing else can be said
        try {
            ObjectNode body = json.createObjectNode();
            ObjectNode err = body.putObject("error");
            err.put("message", e.getMessage());
            err.put("type", e.type());
            err.put("param", e.param());
            err.put("code", e.code());
            e.headers().forEach((k, v) -> call.responseHeaders().set(k, v));
            // The rest of a too-large or too-slow body was never read: say the connection ends, or a client
            // would send its next request on it and get no answer.
            if (e.status() == 413 || e.status() == 408) call.responseHeaders().set("Connection", "close");
            call.sendJson(json, e.status(), body);
        } catch (IOException ignored) {
            // the client is gone; nothing to answer
        }
    }

    private void finish(HttpCall call, String code) {
        // Counted before the exchange closes: a client that scrapes /metrics right after its answer sees it.
        metrics.request(call.route(), code != null ? code : call.outcome() != null ? call.outcome() : "ok");
        call.close();
        long latencyMs = (System.nanoTime() - call.startedNanos()) / 1_000_000;
        JsonLog.info("request", "request_id", call.requestId(), "method", call.method(), "path", call.path(),
                "status", call.status(), "code", code == null ? call.outcome() : code, "tenant", call.tenantId(), "latency_ms", latencyMs);
    }

    /**
     * "req_" + 12 hex digits of epoch milliseconds + 12 random hex digits (48 bits). Time-ordered, so the ledger's
     * and journal's primary-key indexes grow at their right edge instead of rewriting random pages (UUIDv7's idea).
     */
    private static String newRequestId() {
        long random = ThreadLocalRandom.current().nextLong() & 0xFFFF_FFFF_FFFFL;
        char[] id = new char[28];
        id[0] = 'r';
        id[1] = 'e';
        id[2] = 'q';
        id[3] = '_';
        hex(System.currentTimeMillis() & 0xFFFF_FFFF_FFFFL, id, 4);
        hex(random, id, 16);
        return new String(id);
    }

    private static void hex(long value48, char[] out, int at) {
        for (int i = 11; i >= 0; i--) {
            out[at + i] = Character.forDigit((int) (value48 & 0xF), 16);
            value48 >>>= 4;
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        deadlines.shutdownNow();
    }
}
