package io.budgetguard.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** ADMIN_LISTEN puts the admin API and the dashboard on their own listener, out of the proxy's reach and load. */
class AdminListenerTest {
    static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    int get(String url, String adminKey) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (adminKey != null) b.header("X-Admin-Key", adminKey);
        return client.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void theAdminApiAndDashboardAnswerOnlyOnTheirOwnListener() throws Exception {
        try (FakeOpenAI upstream = new FakeOpenAI();
             TestGateway gw = TestGateway.start(upstream, Map.of("ADMIN_LISTEN", "127.0.0.1:0"), Clock.systemUTC())) {
            assertNotEquals(gw.port(), gw.gateway().adminPort());
            String key = gw.createTenantWithKey("split"); // through the admin listener
            assertEquals(200, gw.postJson("/v1/chat/completions", key, CHAT).statusCode(), "the proxy serves the new key");
            assertEquals(404, get(gw.url("/admin/tenants"), TestGateway.ADMIN_KEY), "no admin API on the proxy's listener");
            assertEquals(404, get(gw.url("/dashboard"), null), "no dashboard there either");
            assertEquals(200, get(gw.adminUrl("/admin/tenants"), TestGateway.ADMIN_KEY));
            assertEquals(401, get(gw.adminUrl("/admin/tenants"), null), "the admin key is still required");
            assertEquals(200, get(gw.adminUrl("/dashboard"), null));
            assertEquals(200, get(gw.adminUrl("/health"), null));
            assertEquals(404, get(gw.adminUrl("/v1/models"), null), "no proxy on the admin listener");
        }
    }

    @Test
    void theAdminListenerAnswersWhileTheProxyIsAtItsInFlightLimit() throws Exception {
        try (FakeOpenAI upstream = new FakeOpenAI();
             TestGateway gw = TestGateway.start(upstream, Map.of("ADMIN_LISTEN", "127.0.0.1:0", "MAX_INFLIGHT_REQUESTS", "1"),
                     Clock.systemUTC())) {
            String key = setUpWithOnePermit(gw);
            var release = upstream.holdHeaders();
            CompletableFuture<Integer> held;
            try {
                held = CompletableFuture.supplyAsync(() -> {
                    try {
                        return gw.postJson("/v1/chat/completions", key, CHAT).statusCode();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                for (int i = 0; i < 600 && upstream.calls() == 0; i++) Thread.sleep(10); // poll for state: the call is upstream
                assertEquals(1, upstream.calls());
                assertEquals(503, gw.postJson("/v1/chat/completions", key, CHAT).statusCode(), "the proxy is full");
                assertEquals(200, get(gw.adminUrl("/admin/tenants"), TestGateway.ADMIN_KEY), "the admin listener is not");
            } finally {
                release.countDown();
            }
            assertEquals(200, held.get().intValue());
        }
    }

    /**
     * With one permit, an admin call can find the previous one still holding it: the client has its answer a moment
     * before the server has closed the exchange and let the permit go. Set-up polls past that (bounded).
     */
    private static String setUpWithOnePermit(TestGateway gw) throws Exception {
        for (int i = 0; i < 200; i++) {
            int status = gw.admin("POST", "/admin/tenant", "{\"id\":\"busy\"}").statusCode();
            if (status == 201 || status == 409) break;
            Thread.sleep(10);
        }
        for (int i = 0; i < 200; i++) {
            var k = gw.admin("POST", "/admin/tenant/busy/apikeys", "{\"name\":\"test\"}");
            if (k.statusCode() == 201) {
                String key = TestGateway.json(k.body()).get("key").asText();
                gw.addSecret(key);
                return key;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no key within 200 tries");
    }

    @Test
    void aMalformedAdminListenIsRefusedAtStartNamingTheVariable() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(io.budgetguard.config.ConfigException.class,
                () -> io.budgetguard.config.SettingsLoader.fromMap(Map.of("ADMIN_LISTEN", "3001")));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("ADMIN_LISTEN"), e.getMessage());
    }
}
