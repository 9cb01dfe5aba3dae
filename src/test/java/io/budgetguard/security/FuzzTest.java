package io.budgetguard.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.RedisServer;
import io.budgetguard.testing.TestGateway;
import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
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
 * Property-based fuzzing against the real gateway, embedded and production (Redis + Postgres) alike: random and
 * half-valid proxy bodies and admin inputs, numbers at the edges of every numeric type, trailing garbage after valid
 * bodies, and control, bidi and surrogate characters in every string field. Whatever comes in: never a 5xx, always
 * OpenAI's envelope on an error, and a rejected request changes nothing (no upstream call, no admission, no ledger
 * row, no tenant, no budget).
 */
class FuzzTest {
    static final int TRIES = 10_000;
    static final ObjectMapper JSON = new ObjectMapper();
    /** Stands for a raw number in a generated body; replaced by the number's text after serialising. */
    static final String RAW_NUMBER = "\u0001raw-number\u0001";
    static FakeOpenAI upstream;
    static RedisServer redis;
    static TestGateway embedded;
    static TestGateway production;
    static String embeddedKey;
    static String productionKey;

    @BeforeContainer
    static void start() throws Exception {
        upstream = new FakeOpenAI();
        redis = RedisServer.start();
        embedded = TestGateway.start(upstream);
        production = TestGateway.start(upstream, TestGateway.productionStores(redis), java.time.Clock.systemUTC());
        embeddedKey = fuzzTenant(embedded);
        productionKey = fuzzTenant(production);
    }

    static String fuzzTenant(TestGateway gw) throws Exception {
        gw.admin("POST", "/admin/tenant", "{\"id\":\"fuzz\",\"rate_limit_per_min\":1000000,\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":100000}]}");
        return gw.newKey("fuzz");
    }

    @AfterContainer
    static void stop() throws Exception {
        embedded.close();
        production.close();
        redis.close();
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
    boolean proxyBodiesNeverCause5xxAndRejectionsChangeNothing(@ForAll("endpoints") String endpoint, @ForAll("proxyBodies") String body,
                                                              @ForAll boolean inProduction) throws Exception {
        TestGateway gw = inProduction ? production : embedded;
        int callsBefore = upstream.calls();
        long admittedBefore = gw.admitted();
        HttpResponse<String> r = gw.send(gw.request(endpoint).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + (inProduction ? productionKey : embeddedKey))
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        if (r.statusCode() >= 500) return false;
        if (r.statusCode() >= 400) {
            return isEnvelope(r.body()) && upstream.calls() == callsBefore && gw.admitted() == admittedBefore;
        }
        // Admitted calls are settled and ledgered: the invariant is asserted at close (production rows land via the drain).
        return gw.admitted() == admittedBefore + 1;
    }

    @Property(tries = TRIES)
    boolean adminInputNeverCauses5xxAndRejectionsChangeNothing(@ForAll("adminBodies") String body, @ForAll boolean replaceBudgets,
                                                              @ForAll boolean inProduction) throws Exception {
        TestGateway gw = inProduction ? production : embedded;
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
                net.jqwik.api.Tuple.of(4, requests().map(FuzzTest::write)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(requests(), edgeNumbers()).as(FuzzTest::withRawNumber)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(requests().map(FuzzTest::write), trailingGarbage()).as(String::concat)));
    }

    /** Numbers at the edges of every type a parser might map them to, written as raw JSON number text. */
    @Provide
    static Arbitrary<String> edgeNumbers() {
        return Arbitraries.oneOf(
                Arbitraries.of("1e-2147483648", "1e2147483647", "1e999999", "-1e-999999", "1E+400", "-0", "-0.0", "0e0",
                        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "2147483648", "4.9e-324",
                        "1.7976931348623157e309", "0." + "0".repeat(500) + "1", "1" + "0".repeat(400), "1" + "0".repeat(99)),
                Combinators.combine(Arbitraries.longs(), Arbitraries.integers()).as((m, e) -> m + "e" + e),
                Arbitraries.bigDecimals().map(java.math.BigDecimal::toString));
    }

    static Arbitrary<String> trailingGarbage() {
        return Arbitraries.oneOf(Arbitraries.of(" trailing", "}", "]", "{}", ",", "\u0000", " {\"model\":\"gpt-4o\"}", "0"),
                Arbitraries.strings().ofMinLength(1).ofMaxLength(20).filter(g -> !g.isBlank()));
    }

    /** A request with one numeric field replaced by a raw number (e.g. max_tokens: 1e-2147483648). */
    static String withRawNumber(Map<String, Object> request, String number) {
        String field = new String[] {"max_tokens", "temperature", "n", "top_p"}[Math.floorMod(number.hashCode(), 4)];
        request.put(field, RAW_NUMBER);
        return write(request).replace(write(RAW_NUMBER), number);
    }

    /** Any string, weighted towards the characters identifiers may not hold: C0, DEL, C1, bidi, separators, surrogates. */
    static Arbitrary<String> hostileStrings(int maxLength) {
        return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(maxLength),
                Arbitraries.strings().withCharRange('\u0000', '\u00a0').withChars('\u202e', '\u2066', '\u200f', '\u2028', '\ufeff',
                        '\ud800', '\udc00', 'a', 'z', '-').ofMaxLength(maxLength));
    }

    Arbitrary<Map<String, Object>> requests() {
        Arbitrary<Object> model = Arbitraries.oneOf(Arbitraries.of("gpt-4o-mini", "gpt-4o", "gpt-3.5-turbo-instruct",
                "text-embedding-3-small", "gpt-4o-mini-2024-07-18", "mystery", ""), scalar(),
                Combinators.combine(Arbitraries.of("gpt-4o-mini", "gpt-4o", ""), hostileStrings(4)).as((m, c) -> (Object) (m + c)));
        Arbitrary<Object> user = Arbitraries.oneOf(hostileStrings(300).map(u -> (Object) u), scalar());
        Arbitrary<Object> messages = Arbitraries.oneOf(
                Combinators.combine(Arbitraries.of("user", "system", "assistant", "developer", "tool"), content())
                        .as((role, content) -> (Object) mapOf("role", role, "content", content)).list().ofMaxSize(4).map(l -> (Object) l),
                anyJson(2));
        Arbitrary<Object> maxTokens = Arbitraries.oneOf(Arbitraries.longs().between(-5, 5_000).map(l -> (Object) l),
                Arbitraries.longs().map(l -> (Object) l), scalar());
        Arbitrary<Object> stream = Arbitraries.oneOf(Arbitraries.of(true, false).map(b -> (Object) b), scalar());
        return Combinators.combine(model, messages, maxTokens, stream, content(), anyJson(2), user, Arbitraries.integers().between(0, 3))
                .as((m, msgs, max, st, prompt, extra, u, userField) -> {
            Map<String, Object> r = new HashMap<>();
            r.put("model", m);
            r.put("messages", msgs);
            r.put("prompt", prompt);
            r.put("input", prompt);
            r.put("max_tokens", max);
            r.put("stream", st);
            r.put("stream_options", extra);
            if (userField == 1) r.put("user", u);
            if (userField == 2) r.put("safety_identifier", u);
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
        Arbitrary<Object> name = Arbitraries.oneOf(hostileStrings(210).map(n -> (Object) n), scalar());
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.strings().ofMaxLength(200)),
                net.jqwik.api.Tuple.of(6, Combinators.combine(id, rate, budgets, name, Arbitraries.integers().between(0, 7))
                        .as((i, r, b, n, fields) -> {
                            Map<String, Object> m = new HashMap<>();
                            m.put("id", i);
                            if ((fields & 1) != 0) m.put("rate_limit_per_min", r);
                            if ((fields & 2) != 0) m.put("budgets", b);
                            if ((fields & 4) != 0) m.put("name", n);
                            return write(m);
                        })),
                net.jqwik.api.Tuple.of(1, Combinators.combine(id, edgeNumbers()).as((i, num) ->
                        "{\"id\":" + write(i) + ",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":" + num + "}]}")),
                net.jqwik.api.Tuple.of(1, Combinators.combine(id, edgeNumbers()).as((i, num) ->
                        "{\"id\":" + write(i) + ",\"rate_limit_per_min\":" + num + "}")),
                net.jqwik.api.Tuple.of(1, Combinators.combine(id, trailingGarbage()).as((i, g) -> "{\"id\":" + write(i) + "}" + g)));
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
