package io.budgetguard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.Gateway;
import io.budgetguard.config.ConfigException;
import io.budgetguard.config.Settings;
import io.budgetguard.config.SettingsLoader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A real gateway on a free port, embedded store in a temp dir, upstream pointed at a {@link FakeOpenAI}. */
public final class TestGateway implements AutoCloseable {
    public static final String ADMIN_KEY = "test-admin-key-0123456789";
    public static final String UPSTREAM_KEY = "sk-upstream-test-secret";
    public static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /** Every log line the gateways of this JVM wrote, for the secrets check (bounded). */
    static final java.util.concurrent.ConcurrentLinkedDeque<String> LOG_LINES = new java.util.concurrent.ConcurrentLinkedDeque<>();
    static final int MAX_LOG_LINES = 500_000;

    static {
        java.io.PrintStream original = System.out;
        io.budgetguard.log.JsonLog.redirect(new java.io.PrintStream(new java.io.OutputStream() {
            private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                original.write(b);
                if (b == '\n') {
                    LOG_LINES.add(line.toString(java.nio.charset.StandardCharsets.UTF_8));
                    if (LOG_LINES.size() > MAX_LOG_LINES) LOG_LINES.pollFirst();
                    line.reset();
                } else {
                    line.write(b);
                }
            }
        }, true, java.nio.charset.StandardCharsets.UTF_8));
    }

    private final Gateway gateway;
    private final Path dataDir;
    /** Secrets this gateway saw: none of them may appear in any log line. */
    private final java.util.Set<String> secrets = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Map<String, String> keyIds = new java.util.concurrent.ConcurrentHashMap<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private TestGateway(Gateway gateway, Path dataDir) {
        this.gateway = gateway;
        this.dataDir = dataDir;
    }

    /** The production stores: counters and ledger stream in {@code redis}, a fresh Postgres database, a fast worker. */
    public static Map<String, String> productionStores(RedisServer redis) {
        return Map.of("REDIS_URL", redis.url(), "DATABASE_URL", PostgresDb.create(), "WORKER_PERIOD_MS", "100");
    }

    public static TestGateway start(FakeOpenAI upstream) throws IOException {
        return start(upstream, Map.of(), Clock.systemUTC());
    }

    public static TestGateway start(FakeOpenAI upstream, Map<String, String> env, Clock clock) throws IOException {
        Path dir = env.containsKey("BUDGETGUARD_DATA_DIR") ? Path.of(env.get("BUDGETGUARD_DATA_DIR"))
                : Files.createTempDirectory("budgetguard-test");
        Map<String, String> vars = new HashMap<>();
        vars.put("PORT", "0");
        vars.put("HOST", "127.0.0.1");
        vars.put("BUDGETGUARD_DATA_DIR", dir.toString());
        vars.put("OPENAI_BASE_URL", upstream == null ? "http://127.0.0.1:9" : upstream.baseUrl());
        vars.put("OPENAI_KEY", UPSTREAM_KEY);
        vars.put("ADMIN_API_KEY", ADMIN_KEY);
        vars.put("OPA_POLICY_PATH", "off");
        vars.put("SHUTDOWN_GRACE_S", "2");
        vars.putAll(env);
        Settings s;
        try {
            s = SettingsLoader.fromMap(vars);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        TestGateway gw = new TestGateway(Gateway.start(s, clock), dir);
        // The secrets of the duties' services: never in a log line either.
        for (String name : List.of("ALERT_SMTP_PASSWORD", "STRIPE_API_KEY", "RECONCILE_OPENAI_ADMIN_KEY", "RECONCILE_ANTHROPIC_ADMIN_KEY")) {
            if (vars.get(name) != null) gw.secrets.add(vars.get(name));
        }
        return gw;
    }

    public String url(String path) {
        return "http://127.0.0.1:" + gateway.port() + path;
    }

    public int port() {
        return gateway.port();
    }

    public Gateway gateway() {
        return gateway;
    }

    public HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
        return client.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(url(path)));
    }

    public HttpResponse<String> postJson(String path, String tenantKey, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (tenantKey != null) b.header("Authorization", "Bearer " + tenantKey);
        return send(b);
    }

    /** A URL on the admin API's listener (the proxy's unless ADMIN_LISTEN is set). */
    public String adminUrl(String path) {
        return "http://127.0.0.1:" + gateway.adminPort() + path;
    }

    public HttpResponse<String> admin(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(adminUrl(path))).header("X-Admin-Key", ADMIN_KEY);
        if (body != null) b.header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return send(b);
    }

    /** Creates a tenant (default budgets unless given) and returns a fresh API key for it. */
    public String createTenantWithKey(String id) throws IOException, InterruptedException {
        HttpResponse<String> t = admin("POST", "/admin/tenant", "{\"id\":\"" + id + "\"}");
        if (t.statusCode() != 201) throw new IllegalStateException("tenant create: " + t.statusCode() + " " + t.body());
        return newKey(id);
    }

    public String newKey(String tenantId) throws IOException, InterruptedException {
        HttpResponse<String> k = admin("POST", "/admin/tenant/" + tenantId + "/apikeys", "{\"name\":\"test\"}");
        if (k.statusCode() != 201) throw new IllegalStateException("key create: " + k.statusCode() + " " + k.body());
        String key = json(k.body()).get("key").asText();
        secrets.add(key);
        keyIds.put(key, json(k.body()).get("id").asText());
        return key;
    }

    /** The id of a key this gateway made with {@link #newKey}. */
    public String keyIdOf(String key) {
        return keyIds.get(key);
    }

    /** Another secret (a provider's key) that must never appear in a log line. */
    public void addSecret(String secret) {
        secrets.add(secret);
    }

    public static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + body, e);
        }
    }

    /** A single number from SQL against the gateway's own database. */
    public long sqlLong(String sql) throws Exception {
        try (Connection c = gateway.database().connection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    public Connection sql() {
        return gateway.database().connection();
    }

    public java.util.List<io.budgetguard.http.Route> routes() {
        return gateway.routes();
    }

    /** Waits until the worker duty has completed {@code n} more passes (bounded: 30 s). */
    public void awaitWorkerPasses(String duty, int n) throws InterruptedException {
        long target = gateway.workerPasses(duty) + n;
        for (int i = 0; i < 3_000 && gateway.workerPasses(duty) < target; i++) Thread.sleep(10);
        if (gateway.workerPasses(duty) < target) throw new AssertionError(duty + " did not complete " + n + " passes");
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Stops the gateway like a restart would, leaving its data directory for the next one. */
    public void closeKeepingData() {
        gateway.close();
        assertNoSecretLogged();
        assertSettledOnce();
    }

    /** Requests admitted so far: what a rejected request must leave unchanged, whichever store holds the ledger. */
    public long admitted() {
        return gateway.settlement()[0];
    }

    /**
     * The money invariant every test checks at close: every request this gateway admitted was settled exactly once,
     * nothing stays reserved, and each one got its ledger row.
     */
    public void assertSettledOnce() {
        long[] s = gateway.settlement();
        String figures = "admitted " + s[0] + ", still reserved " + s[1] + ", ledger rows " + s[2] + ", settled twice " + s[3];
        if (s[1] != 0 || s[3] != 0 || s[0] != s[2]) throw new AssertionError("settle-once invariant broken: " + figures);
    }

    /** Fails when any tenant key, the admin key or the upstream key appears in any log line written so far. */
    public void assertNoSecretLogged() {
        io.budgetguard.log.JsonLog.flush();
        java.util.Set<String> all = new java.util.HashSet<>(secrets);
        all.add(ADMIN_KEY);
        all.add(UPSTREAM_KEY);
        for (String line : LOG_LINES) {
            for (String secret : all) {
                if (line.contains(secret)) throw new AssertionError("a secret appears in a log line: " + line.replace(secret, "<secret>"));
            }
        }
    }

    /** Lines logged so far in this JVM (for tests that look for a specific event). */
    public static java.util.List<String> logLines() {
        io.budgetguard.log.JsonLog.flush();
        return new java.util.ArrayList<>(LOG_LINES);
    }

    @Override
    public void close() {
        closeKeepingData();
        try (var files = Files.walk(dataDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // temp dir (H2 may still be removing its lock file); the OS cleans up eventually
        }
    }
}
