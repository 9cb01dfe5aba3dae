package io.budgetguard.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Property-based fuzzing against the real gateway: random and half-valid proxy bodies and admin inputs.
 * Whatever comes in: never a 5xx, always OpenAI's envelope on an error, and a rejected request changes nothing
 * (no upstream call, no ledger row, no tenant, no budget).
 */
class FuzzTest {
    static final int TRIES = 10_000;
    static final ObjectMapper JSON = new ObjectMapper();
    static FakeOpenAI upstream;
    static TestGateway gw;
    static String key;

    @BeforeContainer
    static void start() throws Exception {
        upstream = new FakeOpenAI();
        gw = TestGateway.start(upstream);
        gw.admin("POST", "/admin/tenant", "{\"id\":\"fuzz\",\"rate_limit_per_min\":1000000,\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":100000}]}");
        key = gw.newKey("fuzz");
    }

    @AfterContainer
    static void stop() {
        gw.close();
        upstream.close();
    }

    static boolean isEnvelope(String body) {
        try {
            JsonNode e = JSON.readTree(body).get("error");
            return e != null && e.get("code").isTextual() && e.get("message").isTextual() && e.has("type") && e.has("param");
        } catch (Exception ex) {
            return false;
        }
    }

    @Property(tries = TRIES)
    boolean proxyBodiesNeverCause5xxAndRejectionsChangeNothing(@ForAll("endpoints") String endpoint, @ForAll("proxyBodies") String body)
            throws Exception {
        int callsBefore = upstream.calls();
        long rowsBefore = gw.sqlLong("SELECT COUNT(*) FROM usage_ledger");
        HttpResponse<String> r = gw.send(gw.request(endpoint).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(body)));
        if (r.statusCode() >= 500) return false;
        if (r.statusCode() >= 400) {
            return isEnvelope(r.body()) && upstream.calls() == callsBefore
                    && gw.sqlLong("SELECT COUNT(*) FROM usage_ledger") == rowsBefore;
        }
        return gw.sqlLong("SELECT COUNT(*) FROM usage_ledger") == rowsBefore + 1;
    }

    @Property(tries = TRIES)
    boolean adminInputNeverCauses5xxAndRejectionsChangeNothing(@ForAll("adminBodies") String body, @ForAll boolean replaceBudgets)
            throws Exception {
        long tenants = gw.sqlLong("SELECT COUNT(*) FROM tenants");
        long budgets = gw.sqlLong("SELECT COUNT(*) FROM budgets");
        String path = replaceBudgets ? "/admin/tenant/fuzz/budgets" : "/admin/tenant";
        HttpResponse<String> r = gw.admin("POST", path, body);
        if (r.statusCode() >= 500) return false;
        if (r.statusCode() >= 400) {
            return isEnvelope(r.body()) && gw.sqlLong("SELECT COUNT(*) FROM tenants") == tenants
                    && gw.sqlLong("SELECT COUNT(*) FROM budgets") == budgets;
        }
        return replaceBudgets ? r.statusCode() == 200 : r.statusCode() == 201 && gw.sqlLong("SELECT COUNT(*) FROM tenants") == tenants + 1;
    }

    @Provide
    Arbitrary<String> endpoints() {
        return Arbitraries.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses");
    }

    /** Anything: noise, JSON of the wrong shape, and requests that are nearly or fully valid. */
    @Provide
    Arbitrary<String> proxyBodies() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.strings().ofMaxLength(300)),
                net.jqwik.api.Tuple.of(1, anyJson(3).map(FuzzTest::write)),
                net.jqwik.api.Tuple.of(4, requests().map(FuzzTest::write)));
    }

    Arbitrary<Map<String, Object>> requests() {
        Arbitrary<Object> model = Arbitraries.oneOf(Arbitraries.of("gpt-4o-mini", "gpt-4o", "gpt-3.5-turbo-instruct",
                "text-embedding-3-small", "gpt-4o-mini-2024-07-18", "mystery", ""), scalar());
        Arbitrary<Object> messages = Arbitraries.oneOf(
                Combinators.combine(Arbitraries.of("user", "system", "assistant", "developer", "tool"), content())
                        .as((role, content) -> (Object) mapOf("role", role, "content", content)).list().ofMaxSize(4).map(l -> (Object) l),
                anyJson(2));
        Arbitrary<Object> maxTokens = Arbitraries.oneOf(Arbitraries.longs().between(-5, 5_000).map(l -> (Object) l),
                Arbitraries.longs().map(l -> (Object) l), scalar());
        Arbitrary<Object> stream = Arbitraries.oneOf(Arbitraries.of(true, false).map(b -> (Object) b), scalar());
        return Combinators.combine(model, messages, maxTokens, stream, content(), anyJson(2)).as((m, msgs, max, st, prompt, extra) -> {
            Map<String, Object> r = new HashMap<>();
            r.put("model", m);
            r.put("messages", msgs);
            r.put("prompt", prompt);
            r.put("input", prompt);
            r.put("max_tokens", max);
            r.put("stream", st);
            r.put("stream_options", extra);
            return r;
        });
    }

    @Provide
    Arbitrary<String> adminBodies() {
        Arbitrary<Object> id = Arbitraries.oneOf(Arbitraries.strings().withChars("abcxyz0123456789_-").ofMinLength(1).ofMaxLength(70)
                .map(s -> (Object) s), Arbitraries.strings().ofMaxLength(20).map(s -> (Object) s), scalar());
        Arbitrary<Object> period = Arbitraries.oneOf(Arbitraries.of("monthly", "weekly", "daily", "rolling:24h", "rolling:7d",
                "rolling:0h", "rolling:999d", "yearly").map(s -> (Object) s), scalar());
        Arbitrary<Object> limit = Arbitraries.oneOf(Arbitraries.bigDecimals().between(new BigDecimal("-10"), new BigDecimal("2000000000"))
                .ofScale(7).map(d -> (Object) d), Arbitraries.integers().map(i -> (Object) i), scalar());
        Arbitrary<Object> budgets = Arbitraries.oneOf(Combinators.combine(period, limit)
                .as((p, l) -> (Object) mapOf("period", p, "limit_usd", l)).list().ofMaxSize(4).map(l -> (Object) l), anyJson(2));
        Arbitrary<Object> rate = Arbitraries.oneOf(Arbitraries.longs().map(l -> (Object) l), scalar());
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.strings().ofMaxLength(200)),
                net.jqwik.api.Tuple.of(6, Combinators.combine(id, rate, budgets, Arbitraries.of(true, false), Arbitraries.of(true, false))
                        .as((i, r, b, withRate, withBudgets) -> {
                            Map<String, Object> m = new HashMap<>();
                            m.put("id", i);
                            if (withRate) m.put("rate_limit_per_min", r);
                            if (withBudgets) m.put("budgets", b);
                            return write(m);
                        })));
    }

    static Map<String, Object> mapOf(String k1, Object v1, String k2, Object v2) {
        Map<String, Object> m = new HashMap<>();
        m.put(k1, v1);
        m.put(k2, v2);
        return m;
    }

    Arbitrary<Object> content() {
        return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(100).map(s -> (Object) s), anyJson(2));
    }

    static Arbitrary<Object> scalar() {
        return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(20).map(s -> (Object) s),
                Arbitraries.doubles().map(d -> (Object) d), Arbitraries.integers().map(i -> (Object) i),
                Arbitraries.of(true, false).map(b -> (Object) b), Arbitraries.just(null));
    }

    static Arbitrary<Object> anyJson(int depth) {
        if (depth == 0) return scalar();
        return Arbitraries.oneOf(scalar(),
                anyJson(depth - 1).list().ofMaxSize(3).map(l -> (Object) l),
                Arbitraries.maps(Arbitraries.strings().ofMaxLength(8), anyJson(depth - 1)).ofMaxSize(3).map(m -> (Object) m));
    }

    static String write(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
