package io.budgetguard.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.budgetguard.config.Settings;
import io.budgetguard.log.JsonLog;
import io.budgetguard.core.StoreRejectedException;
import io.budgetguard.core.StoreUnavailableException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

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
    /**
     * One daemon thread that only fires request-body deadlines. A body read in time cancels its deadline, which
     * leaves the queue at once: kept until it would have fired, the cancelled ones piled up (12,811 live under load).
     */
    private final java.util.concurrent.ScheduledExecutorService deadlines = deadlineTimer();

    private static java.util.concurrent.ScheduledExecutorService deadlineTimer() {
        java.util.concurrent.ScheduledThreadPoolExecutor t = new java.util.concurrent.ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("budgetguard-deadlines").daemon(true).factory());
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    private final io.budgetguard.metrics.Metrics metrics;
    private final long requestDeadlineMs;
    private final long clientWriteTimeoutNanos;
    /** Calls being handled: the watchdog enforces their deadlines, a shutdown cuts what is left of them. */
    private final java.util.Set<HttpCall> active = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean draining;
    private volatile boolean stopped;

    private HttpApi(HttpServer server, ExecutorService executor, List<Route> routes, ObjectMapper json, Settings s,
                    io.budgetguard.metrics.Metrics metrics) {
        this.metrics = metrics;
        this.requestDeadlineMs = s.requestDeadlineMs();
        this.clientWriteTimeoutNanos = s.clientWriteTimeoutMs() * 1_000_000;
        int maxInflight = s.maxInflightRequests();
        long bodyTimeoutMs = s.requestReadTimeoutMs();
        this.bodyTimeoutMs = bodyTimeoutMs;
        this.server = server;
        this.executor = executor;
        this.routes = List.copyOf(routes);
        this.json = json;
        this.maxInflight = maxInflight;
        this.inflight = new Semaphore(maxInflight);
    }

    /** The main listener (HOST, PORT): its in-flight count is the one /metrics reports. */
    public static HttpApi start(Settings s, List<Route> routes, ObjectMapper json, io.budgetguard.metrics.Metrics metrics)
            throws IOException {
        return start(s, new InetSocketAddress(s.bindAddress(), s.port()), routes, json, metrics, true);
    }

    /** A listener on {@code address} with its own in-flight permits (so proxy load never starves it). */
    public static HttpApi start(Settings s, InetSocketAddress address, List<Route> routes, ObjectMapper json,
                                io.budgetguard.metrics.Metrics metrics, boolean main) throws IOException {
        JdkServerProperties.configure(s);
        HttpServer server = HttpServer.create(address, 1024);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        HttpApi api = new HttpApi(server, executor, routes, json, s, metrics);
        if (main) metrics.inflight(() -> api.maxInflight - api.inflight.availablePermits());
        server.setExecutor(executor);
        server.createContext("/", api::dispatch);
        server.start();
        long sweepMs = Math.clamp(Math.min(s.requestDeadlineMs(), s.clientWriteTimeoutMs()) / 4, 10, 1_000);
        api.deadlines.scheduleWithFixedDelay(api::enforceDeadlines, sweepMs, sweepMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        return api;
    }

    private void enforceDeadlines() {
        long now = System.nanoTime();
        for (HttpCall call : active) {
            try {
                if (call.enforceDeadlines(now, clientWriteTimeoutNanos)) {
                    JsonLog.warn("request_cut", "request_id", call.requestId(), "reason",
                            call.deadlinePassed() ? "request_deadline" : "client_write_stall");
                }
            } catch (RuntimeException e) {
                JsonLog.bug("deadline_enforcement_failed", e);
            }
        }
    }

    /**
     * Graceful stop: no new connection is accepted and requests arriving on open ones are refused (503, retry
     * elsewhere); requests in flight may finish for up to {@code graceMs}. Whatever still runs then is cut (each
     * is settled by its own handler) and awaited for a bounded time, so the stores close after the last settle.
     */
    public void drain(long graceMs) {
        draining = true;
        Thread stopper = Thread.ofPlatform().name("budgetguard-http-stop").start(
                () -> server.stop((int) Math.min(Integer.MAX_VALUE, (graceMs + 999) / 1000)));
        awaitNoneInFlight(graceMs);
        for (HttpCall call : active) call.abort();
        awaitNoneInFlight(5_000);
        stopper.interrupt();
        try {
            stopper.join(5_000);
            stopped = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Polls until no request holds an in-flight permit, for at most {@code maxWaitMs}. */
    private void awaitNoneInFlight(long maxWaitMs) {
        long until = System.nanoTime() + maxWaitMs * 1_000_000;
        while (inflight.availablePermits() < maxInflight && System.nanoTime() - until < 0) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void dispatch(HttpExchange exchange) {
        HttpCall call = new HttpCall(exchange, RequestIds.next(), System.nanoTime(), deadlines, bodyTimeoutMs, requestDeadlineMs);
        String code = null;
        if (draining) {
            call.responseHeaders().set("Connection", "close");
            sendError(call, ApiException.shuttingDown());
            finish(call, "shutting_down");
            return;
        }
        // Health, readiness and metrics stay outside the in-flight bound: they must answer exactly when it is full.
        boolean operator = isOperatorRoute(call.path());
        if (!operator && !inflight.tryAcquire()) {
            sendError(call, ApiException.overloaded(maxInflight));
            finish(call, "overloaded");
            return;
        }
        active.add(call);
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
        } catch (StoreRejectedException e) {
            code = e.constraint() ? "conflict" : "invalid_value";
            JsonLog.warn("store_rejected", "request_id", call.requestId(), "sql_state", e.sqlState());
            sendError(call, e.constraint()
                    ? ApiException.conflict("The change conflicts with stored data (SQLState " + e.sqlState() + "); nothing was changed.")
                    : ApiException.invalidRequest("A value in the request cannot be stored (SQLState " + e.sqlState()
                            + "); nothing was changed."));
        } catch (IOException e) {
            code = "client_io";
            if (call.responseStarted()) call.abort();
        } catch (RuntimeException | Error e) {
            code = "internal_error";
            JsonLog.bug("bug", e, "request_id", call.requestId(), "path", call.path());
            sendError(call, new ApiException(500, "server_error", "internal_error",
                    "Internal error; the request id is " + call.requestId() + ".", null, Map.of()));
        } finally {
            active.remove(call);
            if (!operator) inflight.release();
            finish(call, code);
        }
    }

    private static boolean isOperatorRoute(String path) {
        return path.equals("/health") || path.equals("/ready") || path.equals("/metrics");
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
        if (call.responseStarted()) {
            // Mid-body: the status is gone, so the body must not end as if complete. Drop the connection.
            call.abort();
            return;
        }
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

    @Override
    public void close() {
        if (!stopped) server.stop(0);
        executor.shutdownNow();
        deadlines.shutdownNow();
    }
}
