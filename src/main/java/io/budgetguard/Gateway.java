package io.budgetguard;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.budgetguard.admin.AdminHandler;
import io.budgetguard.auth.TenantAuth;
import io.budgetguard.budget.EmbeddedCounters;
import io.budgetguard.budget.RedisCounters;
import io.budgetguard.budget.SpendCounters;
import io.budgetguard.store.TenantDirectory;
import io.budgetguard.policy.DenialLog;
import io.budgetguard.metrics.Metrics;
import io.budgetguard.alert.AlertStore;
import io.budgetguard.alert.BudgetAlerts;
import io.budgetguard.policy.PolicyEngine;
import io.budgetguard.worker.ReservationExpiry;
import io.budgetguard.worker.LedgerDrain;
import io.budgetguard.worker.Worker;
import io.budgetguard.budget.TenantSweep;
import io.budgetguard.config.Settings;
import io.budgetguard.http.HttpApi;
import io.budgetguard.http.Route;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.log.JsonLog;
import io.budgetguard.pricing.PriceTable;
import io.budgetguard.proxy.ProxyHandler;
import io.budgetguard.store.Database;
import io.budgetguard.store.TenantStore;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One running gateway: its stores, its HTTP front and the handlers between them. */
public final class Gateway implements AutoCloseable {
    /** JSON nested deeper than this is refused (a 400), long before it could exhaust a stack. */

    private final Database database;
    private final Ledger ledger;
    private final SpendCounters counters;
    private final PolicyEngine policy;
    private final ProxyHandler proxy;
    private final HttpApi http;
    private final Worker worker;
    private final Metrics metrics;
    private final List<Route> routes;
    private final long shutdownGraceMs;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private Gateway(Database database, Ledger ledger, SpendCounters counters, PolicyEngine policy, ProxyHandler proxy,
                    HttpApi http, Worker worker, Metrics metrics, List<Route> routes, long shutdownGraceMs) {
        this.database = database;
        this.ledger = ledger;
        this.counters = counters;
        this.policy = policy;
        this.proxy = proxy;
        this.http = http;
        this.worker = worker;
        this.metrics = metrics;
        this.routes = List.copyOf(routes);
        this.shutdownGraceMs = shutdownGraceMs;
    }

    public static ObjectMapper objectMapper() {
        return objectMapper(io.budgetguard.config.Settings.JsonLimits.DEFAULTS);
    }

    public static ObjectMapper objectMapper(io.budgetguard.config.Settings.JsonLimits limits) {
        // Requests run on virtual threads, which Jackson's default thread-local buffer pool cannot reuse across:
        // a shared pool hands the same parse and write buffers from request to request.
        com.fasterxml.jackson.core.JsonFactory factory = com.fasterxml.jackson.core.JsonFactory.builder()
                .recyclerPool(com.fasterxml.jackson.core.util.JsonRecyclerPools.sharedConcurrentDequePool())
                .build();
        JsonMapper mapper = JsonMapper.builder(factory)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
                .build();
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(limits.maxDepth()).maxStringLength(limits.maxStringChars())
                .maxNumberLength(limits.maxNumberChars()).maxNameLength(limits.maxNameChars()).build());
        return mapper;
    }

    /** Postgres when DATABASE_URL is set, else the embedded H2 file; migrated either way. */
    public static Database openDatabase(Settings s) {
        Database db = s.databaseUrl() == null ? Database.embedded(s.dataDir())
                : Database.postgres(io.budgetguard.store.DatabaseUrl.parse(s.databaseUrl()), s.dbPoolSize(), s.dbTimeoutMs());
        try {
            db.migrate();
            db.ensureLedgerPartitions(java.time.Instant.now());
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
        return db;
    }

    /** {@code all}: the gateway and every worker duty in one process. */
    public static Gateway start(Settings s, Clock clock) throws IOException {
        return start(s, clock, true, true);
    }

    /**
     * {@code serve}: the gateway. With shared counters (Redis) every background duty (drain, expiry, alerts,
     * partitions) is left to {@code worker} processes, so background cost does not grow with the number of
     * gateways. On the embedded store there is no separate worker, so every duty runs here.
     */
    public static Gateway startServe(Settings s, Clock clock) throws IOException {
        return start(s, clock, true, s.redisUrl() == null);
    }

    /** The worker alone: background duties over the shared stores, no HTTP (needs REDIS_URL). */
    public static Gateway startWorker(Settings s, Clock clock) throws IOException {
        if (s.redisUrl() == null) throw new IllegalStateException("a separate worker needs shared counters (REDIS_URL)");
        return start(s, clock, false, true);
    }

    private static Gateway start(Settings s, Clock clock, boolean serve, boolean workerDuties) throws IOException {
        ObjectMapper json = objectMapper(s.jsonLimits());
        PriceTable prices = PriceTable.load(json, s.pricesPath(), s.defaultPriceMicroUsdPerMTok());
        Database db = openDatabase(s);
        SpendCounters counters = null;
        PolicyEngine policy = null;
        Ledger ledger = null;
        ProxyHandler proxy = null;
        try {
            policy = serve && s.opaPolicyPath() != null
                    ? PolicyEngine.start(s.opaPolicyPath(), s.opaPolicyPathExplicit(), s.policyPoolSize(), s.policyTimeoutMs(),
                            s.dev(), s.policyPollMs(), json)
                    : PolicyEngine.disabled(json);
            PolicyEngine activePolicy = policy;
            TenantStore tenants = new TenantStore(db);
            boolean embeddedCounters = s.redisUrl() == null;
            ledger = new Ledger(db, embeddedCounters);
            int recovered = ledger.recoverOrphans(clock.instant());
            if (recovered > 0) JsonLog.warn("orphaned_reservations_recovered", "count", recovered);
            long graceMs = 2 * s.reservationTimeoutS() * 1000 + 60_000;
            counters = embeddedCounters ? new EmbeddedCounters(ledger, graceMs) : RedisCounters.connect(s, ledger, graceMs);
            TenantDirectory directory = new TenantDirectory(tenants, s.authCacheTtlMs());
            AlertStore alertStore = new AlertStore(db);
            TenantAuth auth = new TenantAuth(tenants, s.authCacheTtlMs());
            List<Route> routes = new ArrayList<>();
            Metrics metrics = new Metrics(s.metricsPerTenant());
            metrics.policyRevision(policy::revision);
            SpendCounters activeCounters = counters;
            routes.add(new Route("GET", "/health", (call, p) -> call.sendJson(json, 200, health(activePolicy))));
            routes.add(new Route("GET", "/ready", (call, p) -> ready(call, json, db, activeCounters)));
            routes.add(new Route("GET", "/metrics", (call, p) ->
                    call.sendText(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render())));
            routes.addAll(new io.budgetguard.docs.StaticPages().routes());
            proxy = new ProxyHandler(s, json, clock, auth, directory, prices, counters, ledger, policy,
                    new DenialLog(db), metrics);
            routes.addAll(proxy.routes());
            routes.addAll(new AdminHandler(s, json, clock, tenants, directory, auth, counters, ledger, alertStore).routes());
            List<Worker.Duty> duties = workerDuties
                    ? duties(s, clock, db, tenants, counters, ledger, alertStore, json, metrics, graceMs) : List.of();
            Worker worker = new Worker(duties, s.workerPeriodMs());
            HttpApi http = serve ? HttpApi.start(s, routes, json, metrics) : null;
            if (serve && s.openaiKey() == null) {
                JsonLog.warn("no_upstream_key", "message", "neither OPENAI_KEY nor OPENAI_API_KEY is set: requests are "
                        + "forwarded without an Authorization header, and OpenAI answers them 401");
            }
            JsonLog.info("started", "role", serve ? "gateway" : "worker", "port", http == null ? null : http.port(),
                    "database", db.dialect(),
                    "version", Version.get(),
                    "counters", embeddedCounters ? "embedded" : "redis",
                    "data_dir", s.dataDir().toAbsolutePath().toString(), "upstream", s.openaiBaseUrl().toString(),
                    "models_priced", prices.size(), "openai_key", s.openaiKey() != null,
                    "admin_api", s.adminEnabled() ? "enabled" : "disabled: set ADMIN_API_KEY to enable it");
            return new Gateway(db, ledger, counters, policy, proxy, http, worker, metrics, routes, s.shutdownGraceS() * 1000);
        } catch (IOException | RuntimeException e) {
            if (proxy != null) proxy.close();
            if (policy != null) policy.close();
            if (counters != null) counters.close();
            if (ledger != null) ledger.close();
            db.close();
            throw e;
        }
    }

    /** Tenant ids a full sweep pages through at most (a thousand pages of the directory). */
    static final int MAX_TENANT_PAGES = 1_000;

    /**
     * The background duties, each visiting only tenants with recent activity (its own {@link TenantSweep}); they
     * look back past the longest a reservation can stay outstanding plus two periods.
     */
    private static List<Worker.Duty> duties(Settings s, Clock clock, Database db, TenantStore tenants, SpendCounters counters,
                                            Ledger ledger, AlertStore alertStore, ObjectMapper json, Metrics metrics, long graceMs) {
        long lookBackMs = graceMs + 2 * s.workerPeriodMs();
        java.util.function.Consumer<java.util.function.Consumer<String>> everyTenant = c -> tenants.forEachId(MAX_TENANT_PAGES, c);
        List<Worker.Duty> duties = new ArrayList<>();
        if (counters instanceof RedisCounters redis) {
            LedgerDrain drain = new LedgerDrain(redis, new TenantSweep("ledger_drain", counters, everyTenant, lookBackMs, clock),
                    ledger, clock, s.ledgerClaimIdleMs());
            duties.add(new Worker.Duty("ledger_drain", drain::runUntilCaughtUp));
            metrics.ledgerBacklog(() -> {
                long[] health = redis.drainHealth();
                return new long[] {drain.pendingEvents(), drain.oldestAgeMs(), health[0], health[1], drain.tenantFailures()};
            });
        }
        ReservationExpiry expiry = new ReservationExpiry(counters, tenants,
                new TenantSweep("reservation_expiry", counters, everyTenant, lookBackMs, clock), clock);
        duties.add(new Worker.Duty("reservation_expiry", expiry::runOnce));
        duties.add(new Worker.Duty("ledger_partitions", () -> db.ensureLedgerPartitions(clock.instant())));
        BudgetAlerts alerts = new BudgetAlerts(tenants, new TenantSweep("budget_alerts", counters, everyTenant, lookBackMs, clock),
                alertStore, counters, s.alertWebhookUrl(), clock, json);
        duties.add(new Worker.Duty("budget_alerts", alerts::runOnce));
        return duties;
    }

    /** Readiness: 200 when the database and the counters answer, else 503 saying which does not. */
    private static void ready(io.budgetguard.http.HttpCall call, ObjectMapper json, Database db, SpendCounters counters)
            throws IOException {
        Map<String, Object> checks = new java.util.LinkedHashMap<>();
        checks.put("database", probe(db::ping));
        checks.put("counters", probe(counters::ping));
        boolean ok = checks.values().stream().allMatch("ok"::equals);
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("status", ok ? "ready" : "unavailable");
        body.put("checks", checks);
        if (!ok) {
            body.put("error", Map.of("message", "A store is unreachable: " + checks, "type", "server_error",
                    "code", "store_unavailable"));
        }
        call.sendJson(json, ok ? 200 : 503, body);
    }

    private static String probe(Runnable check) {
        try {
            check.run();
            return "ok";
        } catch (RuntimeException e) {
            return "down: " + e.getMessage();
        }
    }

    private static Map<String, Object> health(PolicyEngine policy) {
        Map<String, Object> p = new java.util.LinkedHashMap<>();
        p.put("enabled", policy.enabled());
        p.put("revision", policy.revision());
        Map<String, Object> h = new java.util.LinkedHashMap<>();
        h.put("status", "ok");
        h.put("version", Version.get());
        h.put("policy", p);
        return h;
    }

    /** The routes this gateway answers (the OpenAPI test checks the document against them). */
    public List<Route> routes() {
        return routes;
    }

    public PolicyEngine policy() {
        return policy;
    }

    public int port() {
        return http.port();
    }

    public Database database() {
        return database;
    }

    public SpendCounters counters() {
        return counters;
    }

    /** Completed passes of a worker duty (budget_alerts, ledger_drain, ...). */
    public long workerPasses(String duty) {
        return worker.passes(duty);
    }

    /** {admitted, outstanding, ledger rows recorded, settled twice} since start (the settle-once invariant). */
    public long[] settlement() {
        return metrics.settlement();
    }

    /**
     * Stops in order: stop accepting and let requests in flight finish for up to SHUTDOWN_GRACE_S (each settles
     * and writes its row), cut and settle what remains, then stop the worker and close the stores.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        if (http != null) {
            http.drain(shutdownGraceMs);
            http.close();
        }
        proxy.close();
        worker.close();
        policy.close();
        counters.close();
        ledger.close();
        database.close();
    }
}
