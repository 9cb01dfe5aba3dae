package io.budgetguard.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * A budget added while requests are in flight counts them when they settle: the new window never reserved for them,
 * but their actual cost lands in it, so a cap added during traffic is not overspent by what was already running.
 */
abstract class WindowAddedMidFlightContract {
    static final int IN_FLIGHT = 20;
    static final String STREAM = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"max_tokens\":20,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    abstract Map<String, String> storeEnv() throws Exception;

    @Test
    void aDailyCapAddedDuringTwentyStreamsCountsAllOfThem() throws Exception {
        try (FakeOpenAI upstream = new FakeOpenAI();
             TestGateway gw = TestGateway.start(upstream, storeEnv(), Clock.systemUTC())) {
            String tenant = "midflight" + Long.toHexString(System.nanoTime());
            gw.admin("POST", "/admin/tenant", "{\"id\":\"" + tenant + "\",\"rate_limit_per_min\":100000,"
                    + "\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":100}]}");
            String key = gw.newKey(tenant);
            CountDownLatch gate = upstream.gateStreams();
            HttpClient client = HttpClient.newHttpClient();
            List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
            for (int i = 0; i < IN_FLIGHT; i++) {
                streams.add(client.sendAsync(HttpRequest.newBuilder(URI.create(gw.url("/v1/chat/completions")))
                        .header("Content-Type", "application/json").header("Authorization", "Bearer " + key)
                        .POST(HttpRequest.BodyPublishers.ofString(STREAM)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < 400 && upstream.calls() < IN_FLIGHT; i++) Thread.sleep(25);
            assertEquals(IN_FLIGHT, upstream.calls(), "all twenty are in flight");

            assertEquals(200, gw.admin("POST", "/admin/tenant/" + tenant + "/budgets", "{\"budgets\":[{\"period\":\"monthly\","
                    + "\"limit_usd\":100},{\"period\":\"daily\",\"limit_usd\":50},{\"period\":\"rolling:24h\",\"limit_usd\":50}]}")
                    .statusCode());
            assertEquals(0, spent(gw, tenant, "daily").signum(), "the new daily window starts from the ledger: nothing settled yet");
            gate.countDown();
            for (CompletableFuture<HttpResponse<String>> s : streams) assertEquals(200, s.get().statusCode());

            BigDecimal monthly = spent(gw, tenant, "monthly");
            assertEquals(1, monthly.signum(), "the streams cost something");
            assertEquals(0, monthly.compareTo(spent(gw, tenant, "daily")), "the daily window counts every call in flight when it was added");
            assertEquals(0, monthly.compareTo(spent(gw, tenant, "rolling:1d")), "and so does the rolling one");
        }
    }

    private static BigDecimal spent(TestGateway gw, String tenant, String period) throws Exception {
        for (var b : TestGateway.json(gw.admin("GET", "/admin/tenant/" + tenant, null).body()).get("budgets")) {
            if (b.get("period").asText().equals(period)) return b.get("spent_usd").decimalValue();
        }
        throw new AssertionError("no " + period + " budget");
    }
}
