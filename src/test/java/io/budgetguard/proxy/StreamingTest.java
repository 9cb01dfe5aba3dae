package io.budgetguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StreamingTest {
    static FakeOpenAI upstream;
    static TestGateway gw;
    static String key;

    static final String STREAM = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    static final String STREAM_WITH_USAGE = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @BeforeAll
    static void start() throws Exception {
        upstream = new FakeOpenAI();
        gw = TestGateway.start(upstream, Map.of("UPSTREAM_IDLE_TIMEOUT_MS", "500"), Clock.systemUTC());
        key = gw.createTenantWithKey("streamer");
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.close();
    }

    @BeforeEach
    void reset() {
        upstream.reset();
    }

    private HttpResponse<InputStream> open(String body) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(gw.request("/v1/chat/completions")
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    private static List<String> dataLines(HttpResponse<String> r) {
        List<String> out = new ArrayList<>();
        for (String line : r.body().split("\n")) if (line.startsWith("data: ")) out.add(line.substring(6));
        return out;
    }

    @Test
    void theFirstEventReachesTheClientWhileTheUpstreamIsStillSending() throws Exception {
        CountDownLatch gate = upstream.gateStreams();
        HttpResponse<InputStream> r = open(STREAM);
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        BufferedReader reader = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
        String first = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = reader.readLine()) != null; ) if (line.startsWith("data: ")) return line;
                return null;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(10, TimeUnit.SECONDS);
        assertTrue(first.contains("Hello"), first);
        assertEquals(1, gate.getCount(), "the upstream is still held mid-stream while the client has the first event");
        gate.countDown();
        StringBuilder rest = new StringBuilder();
        for (String line; (line = reader.readLine()) != null; ) rest.append(line).append('\n');
        assertTrue(rest.toString().contains("data: [DONE]"));
    }

    @Test
    void theUsageChunkIsRequestedUpstreamAndStrippedWhenTheClientDidNotAskForIt() throws Exception {
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", key, STREAM);
        assertEquals(200, r.statusCode());
        String sent = upstream.received().get(0).bodyText();
        assertTrue(TestGateway.json(sent).at("/stream_options/include_usage").asBoolean(), sent);
        List<String> data = dataLines(r);
        assertEquals("[DONE]", data.get(data.size() - 1));
        for (String d : data) {
            if (d.equals("[DONE]")) continue;
            assertFalse(TestGateway.json(d).get("choices").isEmpty(), "usage-only chunk leaked: " + d);
        }
        String id = r.headers().firstValue("x-request-id").orElseThrow();
        assertEquals(1, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE request_id = '" + id
                + "' AND status = 'ok' AND prompt_tokens = 12 AND completion_tokens = 5 AND cost_usd > 0"));
    }

    @Test
    void theUsageChunkIsKeptWhenTheClientAskedForIt() throws Exception {
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", key, STREAM_WITH_USAGE);
        assertEquals(STREAM_WITH_USAGE, upstream.received().get(0).bodyText(), "forwarded unchanged");
        List<String> data = dataLines(r);
        String usageChunk = data.get(data.size() - 2);
        assertEquals(12, TestGateway.json(usageChunk).at("/usage/prompt_tokens").asInt());
        assertTrue(TestGateway.json(usageChunk).get("choices").isEmpty());
    }

    @Test
    void aResponsesStreamIsPassedThroughWithItsEventNamesAndCosted() throws Exception {
        HttpResponse<String> r = gw.postJson("/v1/responses", key, "{\"model\":\"gpt-4o\",\"stream\":true,\"input\":\"hi\"}");
        assertTrue(r.body().contains("event: response.created\n"));
        assertTrue(r.body().contains("event: response.completed\n"));
        String id = r.headers().firstValue("x-request-id").orElseThrow();
        assertEquals(1, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE request_id = '" + id
                + "' AND status = 'ok' AND prompt_tokens = 12 AND cached_tokens = 4 AND completion_tokens = 5"));
    }

    @Test
    void aClientThatDisconnectsMidStreamCancelsTheUpstreamCall() throws Exception {
        upstream.endlessStreams();
        String rid;
        try (Socket s = new Socket("127.0.0.1", gw.port())) {
            byte[] body = STREAM.getBytes(StandardCharsets.UTF_8);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer " + key + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            String line;
            String id = null;
            while ((line = in.readLine()) != null && !line.contains("data: ")) {
                if (line.toLowerCase().startsWith("x-request-id:")) id = line.substring(13).trim();
            }
            assertTrue(line != null && line.contains("Hello"), "first event arrived");
            rid = id;
        } // the client goes away here
        assertTrue(upstream.awaitStreamCancelled(20), "the upstream saw its reader go away");
        assertTrue(awaitRow("SELECT COUNT(*) FROM usage_ledger WHERE request_id = '" + rid + "' AND status = 'client_abort'"));
    }

    @Test
    void anUpstreamThatFallsSilentMidStreamIsCutAtTheIdleTimeout() throws Exception {
        upstream.stallStreams();
        HttpResponse<java.io.InputStream> r = java.net.http.HttpClient.newHttpClient().send(gw.request("/v1/chat/completions")
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + key)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(STREAM)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofInputStream());
        StringBuilder received = new StringBuilder();
        BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
        assertThrows(IOException.class, () -> {
            for (String l; (l = lines.readLine()) != null; ) received.append(l).append('\n');
        }, "a stream the upstream cut ends in an error, never as a complete response");
        assertTrue(received.toString().contains("Hello"), "what arrived before the stall was delivered");
        assertFalse(received.toString().contains("[DONE]"));
        String id = r.headers().firstValue("x-request-id").orElseThrow();
        assertTrue(awaitRow("SELECT COUNT(*) FROM usage_ledger WHERE request_id = '" + id + "' AND status = 'upstream_error'"));
    }

    /** Polls for a ledger row written after the client already went away (bounded: 20 s). */
    private static boolean awaitRow(String sql) throws Exception {
        for (int i = 0; i < 200; i++) {
            if (gw.sqlLong(sql) == 1) return true;
            Thread.sleep(100);
        }
        return false;
    }
}
