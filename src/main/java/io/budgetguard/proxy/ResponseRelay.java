package io.budgetguard.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.http.HttpCall;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;

/**
 * Passes an upstream response to the client as it arrives — SSE event by event, JSON batch by batch — while
 * reading its usage on the way. Never buffers a whole body. A client that goes away cancels the upstream call.
 */
final class ResponseRelay {
    /** How the relay ended. */
    enum End { COMPLETE, CLIENT_GONE, UPSTREAM_FAILED }

    record Result(End end, Usage usage) {}

    /** Upstream headers a client may see; everything else (org ids, upstream rate limits, cookies) stays behind. */
    private static final List<String> PASSED_HEADERS = List.of(
            "content-type", "openai-processing-ms", "openai-version", "retry-after", "retry-after-ms");

    /** Client write failed: the client is gone. Unchecked so it crosses the SSE sink. */
    private static final class ClientGone extends RuntimeException {
        ClientGone() {
            super(null, null, false, false);
        }
    }

    private final ObjectMapper json;
    private final long idleTimeoutMs;
    private final int maxSseEventBytes;

    ResponseRelay(ObjectMapper json, long idleTimeoutMs, int maxSseEventBytes) {
        this.json = json;
        this.idleTimeoutMs = idleTimeoutMs;
        this.maxSseEventBytes = maxSseEventBytes;
    }

    Result relay(HttpCall call, Upstream.Response up, ProxyRequest req) throws InterruptedException {
        copyHeaders(up.headers(), call);
        String upstreamId = up.headers().firstValue("x-request-id").orElse(null);
        if (upstreamId != null && upstreamId.length() <= 128) call.responseHeaders().set("x-upstream-request-id", upstreamId);
        boolean sse = req.stream() && up.status() == 200 && isEventStream(up.headers());
        OutputStream out;
        try {
            // Always chunked: the client sees the end of the body only after the ledger row is written.
            out = call.startResponse(up.status(), isBodyless(up.status()) ? -1 : 0);
        } catch (IOException e) {
            up.body().cancel();
            return new Result(End.CLIENT_GONE, null);
        }
        return sse ? relaySse(out, up.body(), req) : relayJson(out, up.body());
    }

    private Result relayJson(OutputStream out, UpstreamBody body) throws InterruptedException {
        try (UsageScanner scanner = new UsageScanner(json.getFactory())) {
            try {
                for (List<ByteBuffer> batch; (batch = body.next(idleTimeoutMs)) != null; ) {
                    for (ByteBuffer b : batch) {
                        int off = b.arrayOffset() + b.position();
                        scanner.feed(b.array(), off, b.remaining());
                        write(out, b.array(), off, b.remaining());
                    }
                }
                flush(out);
                return new Result(End.COMPLETE, scanner.result());
            } catch (ClientGone e) {
                body.cancel();
                return new Result(End.CLIENT_GONE, scanner.result());
            } catch (IOException e) {
                body.cancel();
                return new Result(End.UPSTREAM_FAILED, scanner.result());
            }
        }
    }

    private Result relaySse(OutputStream out, UpstreamBody body, ProxyRequest req) throws InterruptedException {
        SseEvents events = new SseEvents(maxSseEventBytes);
        Usage[] usage = new Usage[1];
        SseEvents.Sink sink = (b, off, len, whole) -> {
            if (whole && SseEvents.hasUsageObject(b, off, len)) {
                JsonNode data = parse(SseEvents.data(b, off, len));
                Usage u = data == null ? null : usageOf(data);
                if (u != null) {
                    usage[0] = u;
                    if (req.stripUsageChunk() && data.path("choices").isArray() && data.path("choices").isEmpty()) return;
                }
            }
            write(out, b, off, len);
        };
        try {
            for (List<ByteBuffer> batch; (batch = body.next(idleTimeoutMs)) != null; ) {
                for (ByteBuffer b : batch) {
                    events.feed(b.array(), b.arrayOffset() + b.position(), b.remaining(), sink);
                }
                flush(out); // one chunk per upstream batch: events reach the client as they arrive
            }
            events.finish(sink);
            flush(out);
            return new Result(End.COMPLETE, usage[0]);
        } catch (ClientGone e) {
            body.cancel();
            return new Result(End.CLIENT_GONE, usage[0]);
        } catch (IOException e) {
            body.cancel();
            return new Result(End.UPSTREAM_FAILED, usage[0]);
        }
    }

    private static Usage usageOf(JsonNode data) {
        Usage u = Usage.of(data.get("usage"));
        return u != null ? u : Usage.of(data.path("response").get("usage"));
    }

    private JsonNode parse(byte[] data) {
        try {
            return json.readTree(data);
        } catch (IOException e) {
            return null;
        }
    }

    private static void write(OutputStream out, byte[] b, int off, int len) {
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            throw new ClientGone();
        }
    }

    private static void flush(OutputStream out) {
        try {
            out.flush();
        } catch (IOException e) {
            throw new ClientGone();
        }
    }

    private static void copyHeaders(HttpHeaders from, HttpCall call) {
        for (String name : PASSED_HEADERS) {
            from.firstValue(name).ifPresent(v -> call.responseHeaders().set(name, v));
        }
    }

    private static boolean isEventStream(HttpHeaders h) {
        return h.firstValue("content-type").map(v -> v.toLowerCase(Locale.ROOT).startsWith("text/event-stream")).orElse(false);
    }

    private static boolean isBodyless(int status) {
        return status == 204 || status == 304;
    }
}
