package io.budgetguard.security;

import static io.budgetguard.testing.Envelope.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.log.JsonLog;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.GatewayProcess;
import io.budgetguard.testing.TestGateway;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Attacks on the HTTP surface: each is refused without a 5xx, reaches nobody and changes nothing. */
class HostileInputTest {
    static FakeOpenAI upstream;
    static TestGateway gw;
    static String key;

    @BeforeAll
    static void start() throws Exception {
        upstream = new FakeOpenAI();
        gw = TestGateway.start(upstream);
        key = gw.createTenantWithKey("target");
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

    /** Sends raw bytes and returns whatever comes back before the server closes (or 3 s pass). */
    static String raw(int port, byte[] request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(3_000);
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = s.getInputStream().read(buf)) > 0; ) out.write(buf, 0, n);
            } catch (SocketTimeoutException e) {
                // keep-alive: the server answered and waits for more
            } catch (IOException e) {
                // reset by the server: also an answer
            }
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void contentLengthWithTransferEncodingIsRefusedAndNothingIsSmuggled() throws Exception {
        String smuggled = "DELETE /admin/tenant/target/apikeys/any HTTP/1.1\r\nHost: x\r\nX-Admin-Key: " + TestGateway.ADMIN_KEY + "\r\n\r\n";
        String req = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled;
        String answer = raw(gw.port(), req.getBytes(StandardCharsets.US_ASCII));
        assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
        assertEquals(1, answer.split("HTTP/1.1 ").length - 1, "exactly one response: the smuggled request was never parsed");
        assertEquals(0, upstream.calls());
    }

    @Test
    void oversizedHeadersAreRefusedWithoutReachingAHandler() throws Exception {
        String req = "GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key + "\r\nX-Padding: "
                + "a".repeat(20 * 1024) + "\r\n\r\n";
        String answer = raw(gw.port(), req.getBytes(StandardCharsets.US_ASCII));
        assertFalse(answer.startsWith("HTTP/1.1 2") || answer.startsWith("HTTP/1.1 5"), answer);
        assertEquals(0, upstream.calls());
    }

    @Test
    void anOversizedChunkedBodyIs413() throws Exception {
        HttpResponse<String> r = gw.send(gw.request("/v1/chat/completions").header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(new byte[5 * 1024 * 1024]))));
        assertError(r, 413, "request_too_large");
        assertEquals(0, upstream.calls());
    }

    @Test
    void deeplyNestedJsonIs400() throws Exception {
        String nested = "[".repeat(5_000) + "]".repeat(5_000);
        assertError(gw.postJson("/v1/chat/completions", key, "{\"model\":\"gpt-4o-mini\",\"messages\":" + nested + "}"), 400, "invalid_request");
        assertError(gw.admin("POST", "/admin/tenant", "{\"id\":\"deep\",\"budgets\":" + nested + "}"), 400, "invalid_request");
        assertEquals(0, upstream.calls());
    }

    @Test
    void aHugeNumberIs400() throws Exception {
        assertError(gw.postJson("/v1/chat/completions", key, "{\"model\":\"gpt-4o-mini\",\"max_tokens\":" + "9".repeat(5_000) + "}"),
                400, "invalid_request");
        assertError(gw.admin("POST", "/admin/tenant", "{\"id\":\"bignum\",\"rate_limit_per_min\":1e400}"), 400, "invalid_request");
        assertError(gw.admin("POST", "/admin/tenant", "{\"id\":\"bignum\",\"budgets\":[{\"period\":\"daily\",\"limit_usd\":1e400}]}"),
                400, "invalid_request");
        assertError(gw.admin("GET", "/admin/tenant/bignum", null), 404, "not_found");
    }

    @Test
    void invalidUtf8Is400() throws Exception {
        byte[] head = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"".getBytes(StandardCharsets.US_ASCII);
        byte[] tail = "\"}]}".getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[head.length + 2 + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        body[head.length] = (byte) 0xC3;
        body[head.length + 1] = (byte) 0x28;
        System.arraycopy(tail, 0, body, head.length + 2, tail.length);
        HttpResponse<String> r = gw.send(gw.request("/v1/chat/completions").header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofByteArray(body)));
        assertError(r, 400, "invalid_request");
        assertEquals(0, upstream.calls());
    }

    @Test
    void noHeaderOrBodyFieldCanRedirectTheUpstream() throws Exception {
        HttpResponse<String> r = gw.send(gw.request("/v1/chat/completions").header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + key).header("X-Forwarded-Host", "evil.example").header("OpenAI-Base-URL", "http://evil.example")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-4o-mini\",\"base_url\":\"http://evil.example\",\"messages\":[]}")));
        assertEquals(200, r.statusCode());
        assertEquals(1, upstream.calls(), "the configured upstream got the call");
        assertEquals("/v1/chat/completions", upstream.received().get(0).path());
        assertEquals(null, upstream.received().get(0).header("x-forwarded-host"), "client headers are not forwarded");
    }

    @Test
    void pathTraversalThroughAModelIdStaysNotFound() throws Exception {
        HttpResponse<String> r = gw.send(gw.request("/v1/models/..%2F..%2Fadmin%2Ftenant").header("Authorization", "Bearer " + key).GET());
        assertTrue(r.statusCode() == 404 || (r.statusCode() == 200 && upstream.received().get(0).path().startsWith("/v1/models/")),
                r.statusCode() + " " + upstream.received());
    }

    @Test
    void aLoggedValueCannotForgeALogLine() {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream previous = JsonLog.redirect(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            JsonLog.info("probe", "path", "/x\n{\"level\":\"error\",\"event\":\"forged\"}\u2028", "tenant", "a\"b\\c\r");
        } finally {
            JsonLog.redirect(previous);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        // Other gateways of this JVM may log meanwhile; every line must still be one whole JSON object.
        java.util.List<String> events = out.lines().map(l -> TestGateway.json(l).get("event").asText()).toList();
        assertEquals(1, events.stream().filter("probe"::equals).count(), out);
        assertFalse(events.contains("forged"), out);
        String probe = out.lines().filter(l -> l.contains("\"event\":\"probe\"")).findFirst().orElseThrow();
        assertTrue(TestGateway.json(probe).get("path").asText().contains("forged"), "kept as data, escaped");
    }

    @Test
    void slowClientsAreCutOffAndDoNotStarveOthers() throws Exception {
        try (GatewayProcess g = GatewayProcess.start(Map.of("REQUEST_READ_TIMEOUT_MS", "1000", "MAX_INFLIGHT_REQUESTS", "16",
                "BUDGETGUARD_DATA_DIR", java.nio.file.Files.createTempDirectory("slow").toString(),
                "OPENAI_BASE_URL", upstream.baseUrl()))) {
            int port = Integer.parseInt(g.baseUrl().substring(g.baseUrl().lastIndexOf(':') + 1));
            List<Socket> slow = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                Socket s = new Socket("127.0.0.1", port);
                OutputStream out = s.getOutputStream();
                if (i % 2 == 0) {
                    out.write("POST /v1/chat/completions HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII)); // stalls in the headers
                } else {
                    out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Authorization: Bearer bg_x\r\nContent-Length: 1000\r\n\r\n{\"mo").getBytes(StandardCharsets.US_ASCII)); // stalls in the body
                }
                out.flush();
                slow.add(s);
            }
            HttpResponse<String> health = java.net.http.HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(java.net.URI.create(g.baseUrl() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), "operator routes answer while 40 clients trickle and hold every request slot");
            for (Socket s : slow) {
                s.setSoTimeout(10_000);
                assertTrue(closedByServer(s.getInputStream()), "a trickling client is cut off within the bound");
                s.close();
            }
            HttpResponse<String> after = java.net.http.HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(java.net.URI.create(g.baseUrl() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, after.statusCode(), "nothing stays exhausted");
        }
    }

    /** True when the server ends the connection (EOF or reset), after any response it chose to send. */
    static boolean closedByServer(InputStream in) {
        try {
            byte[] buf = new byte[4096];
            for (int i = 0; i < 1_000; i++) if (in.read(buf) < 0) return true;
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
