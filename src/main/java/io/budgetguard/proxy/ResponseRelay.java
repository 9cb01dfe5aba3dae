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

    /**
     * How the relay ended, the usage seen, the id of the object the body describes (a stored response) or null, and
     * the seconds of audio a transcription reports or -1.
     */
    record Result(End end, Usage usage, String objectId, long audioSeconds, byte[] body) {
        Result(End end, Usage usage) {
            this(end, usage, null, -1, null);
        }

        Result(End end, Usage usage, String objectId) {
            this(end, usage, objectId, -1, null);
        }
    }

    /** The most of an answer kept whole (the description of an object a call created); a longer one is not kept. */
    static final int MAX_KEPT_BODY_BYTES = 64 * 1024;

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
    private final int maxSseEventBytes;

    ResponseRelay(ObjectMapper json, int maxSseEventBytes) {
        this.json = json;
        this.maxSseEventBytes = maxSseEventBytes;
    }

    /**
     * {@code idleTimeoutMs}: the provider's longest wait between two pieces of the body; {@code keepBody}: whether the
     * answer is also kept whole (up to {@link #MAX_KEPT_BODY_BYTES}).
     */
    Result relay(HttpCall call, Upstream.Response up, ProxyRequest req, long idleTimeoutMs, boolean keepBody) throws InterruptedException {
        copyHeaders(up.headers(), call);
        String upstreamId = up.headers().firstValue("x-request-id").or(() -> up.headers().firstValue("request-id")).orElse(null);
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
        return sse ? relaySse(out, up.body(), req, idleTimeoutMs) : relayJson(out, up.body(), idleTimeoutMs, keepBody);
    }

    private Result relayJson(OutputStream out, UpstreamBody body, long idleTimeoutMs, boolean keepBody) throws InterruptedException {
        java.io.ByteArrayOutputStream kept = keepBody ? new java.io.ByteArrayOutputStream() : null;
        try (UsageScanner scanner = new UsageScanner(json.getFactory())) {
            try {
                for (List<ByteBuffer> batch; (batch = body.next(idleTimeoutMs)) != null; ) {
                    for (ByteBuffer b : batch) {
                        int off = b.arrayOffset() + b.position();
                        scanner.feed(b.array(), off, b.remaining());
                        if (kept != null && kept.size() + b.remaining() <= MAX_KEPT_BODY_BYTES) kept.write(b.array(), off, b.remaining());
                        else kept = null;
                        write(out, b.array(), off, b.remaining());
                    }
                }
                flush(out);
                return new Result(End.COMPLETE, scanner.result(), scanner.objectId(), scanner.audioSeconds(),
                        kept == null ? null : kept.toByteArray());
            } catch (ClientGone e) {
                body.cancel();
                return new Result(End.CLIENT_GONE, scanner.result());
            } catch (IOException e) {
                body.cancel();
                return new Result(End.UPSTREAM_FAILED, scanner.result());
            }
        }
    }

    private Result relaySse(OutputStream out, UpstreamBody body, ProxyRequest req, long idleTimeoutMs) throws InterruptedException {
        SseEvents events = new SseEvents(maxSseEventBytes);
        // One builder for the whole stream: Anthropic reports the prompt in message_start and the output in
        // message_delta; OpenAI and Gemini repeat cumulative counts, the last of which wins.
        Usage.Builder usage = new Usage.Builder();
        String[] responseId = new String[1]; // the Responses API's stream names its response in the event with its usage
        SseEvents.Sink sink = (b, off, len, whole) -> {
            if (whole && SseEvents.hasUsageObject(b, off, len)) {
                JsonNode data = parse(SseEvents.data(b, off, len));
                if (data != null && data.path("response").path("id").isTextual()) responseId[0] = data.path("response").path("id").asText();
                if (data != null && acceptUsage(data, usage)) {
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
            return new Result(End.COMPLETE, result(usage), responseId[0]);
        } catch (ClientGone e) {
            body.cancel();
            return new Result(End.CLIENT_GONE, result(usage));
        } catch (IOException e) {
            body.cancel();
            return new Result(End.UPSTREAM_FAILED, result(usage));
        }
    }

    /** Feeds the event's usage object (wherever its format puts it) to the stream's builder; false when none. */
    private static boolean acceptUsage(JsonNode data, Usage.Builder usage) {
        JsonNode u = data.get("usage");
        if (u == null || !u.isObject()) u = data.path("response").get("usage");
        if (u == null || !u.isObject()) u = data.path("message").get("usage");
        if (u == null || !u.isObject()) u = data.get("usageMetadata");
        if (u == null || !u.isObject()) return false;
        usage.accept(u);
        return true;
    }

    private static Usage result(Usage.Builder usage) {
        return usage.any() ? usage.build() : null;
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
