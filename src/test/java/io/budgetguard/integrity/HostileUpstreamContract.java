package io.budgetguard.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.HostileUpstream;
import io.budgetguard.testing.HostileUpstream.Mode;
import io.budgetguard.testing.TestGateway;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Whatever the upstream does, the money path holds: with one tenant's requests meeting a hostile answer and another
 * tenant's running beside them on the same connection pool, no client receives another request's bytes, a body the
 * upstream cut is never presented as complete, the upstream sees each request at most once, every admitted
 * request gets exactly one ledger row, and nothing stays reserved. Run against each store.
 */
abstract class HostileUpstreamContract {
    static final int REQUESTS_PER_TENANT = 6;
    private static final Pattern REQUEST_ID = Pattern.compile("req_[0-9a-f]{24}");
    private static final Set<Mode> COMPLETE = Set.of(Mode.OK, Mode.INTERIM_100, Mode.INTERIM_103, Mode.LONGER_THAN_CONTENT_LENGTH);
    private static final Set<Mode> CUT_MID_BODY = Set.of(Mode.CLOSE_MID_BODY_FIXED, Mode.CLOSE_MID_BODY_CHUNKED,
            Mode.CLOSE_MID_SSE_FIXED, Mode.CLOSE_MID_SSE_CHUNKED, Mode.BAD_CHUNK_SIZE, Mode.TRICKLE, Mode.ENDLESS_STREAM);
    private static final Set<Mode> STREAMING = Set.of(Mode.CLOSE_MID_SSE_FIXED, Mode.CLOSE_MID_SSE_CHUNKED, Mode.ENDLESS_STREAM);

    /** One client's view of one call. */
    record Seen(String tenant, Mode mode, int status, String requestId, String body, boolean cut) {}

    HostileUpstream upstream;
    TestGateway gw;
    String hostile;
    String polite;
    String hostileKey;
    String politeKey;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    abstract Map<String, String> storeEnv();

    @BeforeEach
    void start() throws Exception {
        upstream = HostileUpstream.start();
        Map<String, String> env = new HashMap<>(storeEnv());
        env.put("UPSTREAM_FIRST_BYTE_TIMEOUT_MS", "1500");
        env.put("UPSTREAM_IDLE_TIMEOUT_MS", "500");
        env.put("REQUEST_DEADLINE_MS", "3000");
        env.put("RESERVATION_TIMEOUT_S", "10");
        env.put("UPSTREAM_KEEPALIVE_MS", "60000");
        gw = TestGateway.start(null, withUpstream(env), Clock.systemUTC());
        // Fresh tenants per case: a shared Redis keeps rate-limit windows across the cases.
        String suffix = Long.toHexString(System.nanoTime());
        hostile = "hostile-" + suffix;
        polite = "polite-" + suffix;
        hostileKey = gw.createTenantWithKey(hostile);
        politeKey = gw.createTenantWithKey(polite);
    }

    private Map<String, String> withUpstream(Map<String, String> env) {
        env.put("OPENAI_BASE_URL", upstream.baseUrl());
        return env;
    }

    @AfterEach
    void stop() throws Exception {
        gw.close(); // asserts the settle-once invariant
        upstream.close();
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = "FLOOD", mode = EnumSource.Mode.EXCLUDE) // FLOOD is for clients that stop reading
    void noRequestIsSentTwiceSettledTwiceOrAnsweredWithAnotherRequestsBytes(Mode mode) throws Exception {
        List<Seen> seen = race(mode);
        for (Seen s : seen) {
            assertOnlyItsOwnBytes(s);
            Mode m = s.mode();
            if (COMPLETE.contains(m)) {
                assertEquals(200, s.status(), s.toString());
                assertFalse(s.cut(), "a complete answer arrives whole: " + s);
                assertTrue(s.body().contains("answer for " + s.requestId()), s.toString());
            } else if (CUT_MID_BODY.contains(m)) {
                // The connection drops: after the 200 was sent, or before anything reached the client at all.
                assertTrue(s.status() == 200 || s.status() == 0, s.toString());
                assertTrue(s.cut(), "a body the upstream cut must not end as complete: " + s);
                assertFalse(s.body().contains("[DONE]"), s.toString());
            } else {
                assertEquals(m == Mode.NO_ANSWER ? 504 : 502, s.status(), s.toString());
                assertTrue(s.body().contains("\"error\""), "an error in OpenAI's envelope: " + s);
            }
        }
        Map<String, Integer> reached = upstream.requestIdsSeen();
        reached.forEach((id, n) -> assertEquals(1, n, "request " + id + " reached the upstream " + n + " times"));
        assertEquals(3 * REQUESTS_PER_TENANT, reached.size(), "every admitted request reached the upstream once");
        for (String id : reached.keySet()) assertOneLedgerRow(id);
        assertEquals(REQUESTS_PER_TENANT, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE tenant_id = '" + hostile + "'"));
        assertEquals(2 * REQUESTS_PER_TENANT, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE tenant_id = '" + polite + "' AND status = 'ok'"));
        String hostileRows = "SELECT COUNT(*) FROM usage_ledger WHERE tenant_id = '" + hostile + "' AND ";
        if (COMPLETE.contains(mode)) {
            assertEquals(REQUESTS_PER_TENANT, gw.sqlLong(hostileRows + "status = 'ok'"));
        } else {
            // Unknown usage after the request was written: the upstream may bill it, so it is billed at the estimate.
            assertEquals(REQUESTS_PER_TENANT, gw.sqlLong(hostileRows
                    + "status = 'upstream_error' AND cost_usd = estimated_cost_usd AND cost_usd > 0"));
        }
        assertNothingReserved(hostile);
        assertNothingReserved(polite);
    }

    private List<Seen> race(Mode mode) throws Exception {
        List<Callable<Seen>> calls = new ArrayList<>();
        for (int i = 0; i < REQUESTS_PER_TENANT; i++) {
            calls.add(() -> call(hostile, hostileKey, mode));
            calls.add(() -> call(polite, politeKey, Mode.OK));
        }
        List<Seen> out = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<Seen> f : pool.invokeAll(calls)) out.add(f.get());
        }
        // Then the polite tenant alone, on whatever the hostile answers left in the pool.
        for (int i = 0; i < REQUESTS_PER_TENANT; i++) out.add(call(polite, politeKey, Mode.OK));
        return out;
    }

    private Seen call(String tenant, String key, Mode mode) throws IOException, InterruptedException {
        String body = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":50,\"user\":\"" + mode + "\","
                + (STREAMING.contains(mode) ? "\"stream\":true," : "")
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        HttpResponse<InputStream> r;
        try {
            r = client.send(gw.request("/v1/chat/completions").timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + key)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            return new Seen(tenant, mode, 0, null, "", true);
        }
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        boolean cut = false;
        try (InputStream in = r.body()) {
            in.transferTo(got);
        } catch (IOException e) {
            cut = true;
        }
        return new Seen(tenant, mode, r.statusCode(), r.headers().firstValue("x-request-id").orElseThrow(),
                got.toString(StandardCharsets.UTF_8), cut);
    }

    private static void assertOnlyItsOwnBytes(Seen s) {
        Matcher m = REQUEST_ID.matcher(s.body());
        while (m.find()) {
            assertEquals(s.requestId(), m.group(), "a client received bytes meant for another request: " + s);
        }
    }

    private void assertOneLedgerRow(String requestId) throws Exception {
        String sql = "SELECT COUNT(*) FROM usage_ledger WHERE request_id = '" + requestId + "'";
        long rows = 0;
        for (int i = 0; i < 300 && (rows = gw.sqlLong(sql)) == 0; i++) Thread.sleep(50);
        assertEquals(1, rows, "one ledger row for " + requestId);
    }

    private void assertNothingReserved(String tenant) throws Exception {
        String reserved = null;
        for (int i = 0; i < 100; i++) {
            reserved = TestGateway.json(gw.admin("GET", "/admin/tenant/" + tenant, null).body()).path("budgets").get(0)
                    .path("reserved_usd").asText();
            if (new java.math.BigDecimal(reserved).signum() == 0) return;
            Thread.sleep(50);
        }
        throw new AssertionError(tenant + " still has " + reserved + " USD reserved");
    }
}
