package io.budgetguard;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.admin.AdminHandler;
import io.budgetguard.admin.AdminKeys;
import io.budgetguard.auth.TenantAuth;
import io.budgetguard.budget.EmbeddedCounters;
import io.budgetguard.budget.RedisCounters;
import io.budgetguard.budget.RedisStore;
import io.budgetguard.budget.SpendCounters;
import io.budgetguard.tenant.TenantDirectory;
import io.budgetguard.policy.DenialLog;
import io.budgetguard.metrics.Metrics;
import io.budgetguard.alert.AlertStore;
import io.budgetguard.policy.PolicyEngine;
import io.budgetguard.worker.Worker;
import io.budgetguard.config.Settings;
import io.budgetguard.http.HttpApi;
import io.budgetguard.http.Route;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.log.JsonLog;
import io.budgetguard.pricing.PriceTable;
import io.budgetguard.proxy.ProxyHandler;
import io.budgetguard.store.Database;
import io.budgetguard.tenant.TenantStore;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/** One running gateway: its stores, its HTTP front and the handlers between them. */
public final class Gateway implements AutoCloseable {
    /** JSON nested deeper than this is refused (a 400), long before it could exhaust a stack. */

    private final Database database;
    private final Ledger ledger;
    private final SpendCounters counters;
    private final PolicyEngine policy;
    private final ProxyHandler proxy;
    private final HttpApi http;
    /** The admin API and dashboard on their own listener (ADMIN_LISTEN), or null when they share the proxy's. */
    private final HttpApi adminHttp;
    /** The simulated upstream (UPSTREAM=simulated), or null. */
    private final AutoCloseable simulated;
    private final Worker worker;
    private final Metrics metrics;
    private final List<Route> routes;
    private final long shutdownGraceMs;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private Gateway(Database database, Ledger ledger, SpendCounters counters, PolicyEngine policy, ProxyHandler proxy,
                    HttpApi http, HttpApi adminHttp, AutoCloseable simulated, Worker worker, Metrics metrics, List<Route> routes,
                    long shutdownGraceMs) {
        this.adminHttp = adminHttp;
        this.simulated = simulated;
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
        return io.budgetguard.http.JsonMappers.bounded(limits);
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

    public static Gateway start(Settings s, Clock clock) throws IOException {
        return start(s, clock, Role.ALL);
    }

    public static Gateway startServe(Settings s, Clock clock) throws IOException {
        return start(s, clock, Role.SERVE);
    }

    public static Gateway startWorker(Settings s, Clock clock) throws IOException {
        if (s.redisUrl() == null) throw new IllegalStateException("a separate worker needs shared counters (REDIS_URL)");
        return start(s, clock, Role.WORKER);
    }

    /**
     * What is wrong with the providers file against the price table (an unpriced model, a name two providers list),
     * one line each; empty when nothing is or there is no providers file.
     */
    public static List<String> providerProblems(Settings s) throws IOException {
        PriceTable prices = PriceTable.load(objectMapper(s.jsonLimits()), s.pricesPath(), s.defaultPriceMicroUsdPerMTok());
        return ProxyHandler.providerProblems(s, prices);
    }

    /** The steps of a start, top to bottom; each resource is closed again if a later step fails. */
    private static Gateway start(Settings configured, Clock clock, Role role) throws IOException {
        ObjectMapper json = objectMapper(configured.jsonLimits());
        PriceTable prices = PriceTable.load(json, configured.pricesPath(), configured.defaultPriceMicroUsdPerMTok());
        Opened opened = new Opened();
        io.budgetguard.simulated.SimulatedUpstream simulated = configured.upstreamSimulated() && role.serves()
                ? opened.add(io.budgetguard.simulated.SimulatedUpstream.start()) : null;
        Settings s = simulated == null ? configured
                : io.budgetguard.config.SettingsBuilder.from(configured).openaiBaseUrl(simulated.baseUrl()).build();
        Database db = opened.add(openDatabase(s));
        try {
            PolicyEngine policy = opened.add(policy(s, role, json));
            Ledger ledger = opened.add(new Ledger(db, s.redisUrl() == null));
            recoverOrphans(ledger, clock);
            long graceMs = 2 * s.reservationTimeoutS() * 1000 + 60_000;
            SpendCounters counters = opened.add(counters(s, ledger, graceMs));
            TenantStore tenants = new TenantStore(db);
            TenantDirectory directory = new TenantDirectory(tenants, s.authCacheTtlMs());
            AlertStore alertStore = new AlertStore(db);
            Metrics metrics = new Metrics(s.metricsPerTenant());
            metrics.policyRevision(policy::revision);
            TenantAuth auth = new TenantAuth(tenants, s.authCacheTtlMs(), clock); // one cache: admin revocations reach the proxy
            io.budgetguard.ledger.RefusalLog refusals = new io.budgetguard.ledger.RefusalLog(db,
                    s.refusalLimits().flushMs(), s.refusalLimits().maxGroups()); // closed by the proxy
            ProxyHandler proxy = opened.add(new ProxyHandler(s, json, clock, auth, directory, prices, counters, ledger, policy,
                    new DenialLog(db), refusals, metrics));
            io.budgetguard.docs.StaticPages pages = new io.budgetguard.docs.StaticPages();
            List<Route> routes = new ArrayList<>(OperationsRoutes.of(json, db, counters, policy, metrics, pages));
            routes.addAll(proxy.routes());
            AdminKeys adminKeys = new AdminKeys(db);
            List<Route> adminRoutes = new ArrayList<>(new AdminHandler(s, json, clock, tenants, directory, auth, counters, ledger,
                    refusals, alertStore, adminKeys).routes());
            adminRoutes.addAll(pages.dashboardRoutes());
            if (s.adminListen() == null) routes.addAll(adminRoutes);
            Worker worker = opened.add(new Worker(role.runsDuties(s)
                    ? Duties.of(s, clock, db, tenants, counters, ledger, alertStore, json, metrics, graceMs, prices, directory) : List.of(),
                    s.workerPeriodMs()));
            HttpApi http = role.serves() ? opened.add(HttpApi.start(s, routes, json, metrics)) : null;
            if (role.serves() && s.realtime().port() >= 0) proxy.startRealtime();
            HttpApi adminHttp = role.serves() && s.adminListen() != null
                    ? opened.add(HttpApi.start(s, s.adminListen(), adminListenerRoutes(adminRoutes, json, policy), json, metrics, false))
                    : null;
            List<Route> answered = new ArrayList<>(routes);
            if (s.adminListen() != null) answered.addAll(adminRoutes);
            logStarted(s, role, db, http, prices, adminKeys);
            return new Gateway(db, ledger, counters, policy, proxy, http, adminHttp, simulated, worker, metrics, answered,
                    s.shutdownGraceS() * 1000);
        } catch (IOException | RuntimeException e) {
            opened.closeAll(e);
            throw e;
        }
    }

    private static PolicyEngine policy(Settings s, Role role, ObjectMapper json) throws IOException {
        if (!role.serves() || s.opaPolicyPath() == null) return PolicyEngine.disabled(json);
        return PolicyEngine.start(s.opaPolicyPath(), s.opaPolicyPathExplicit(), s.policyPoolSize(), s.policyTimeoutMs(),
                s.policyMemoBytes(), s.dev(), s.policyPollMs(), json);
    }

    private static void recoverOrphans(Ledger ledger, Clock clock) {
        int recovered = ledger.recoverOrphans(clock.instant());
        if (recovered > 0) JsonLog.warn("orphaned_reservations_recovered", "count", recovered);
    }

    /** In-process counters without REDIS_URL; Redis (standalone or Cluster) with it. */
    private static SpendCounters counters(Settings s, Ledger ledger, long graceMs) {
        if (s.redisUrl() == null) return new EmbeddedCounters(ledger, graceMs);
        return new RedisCounters(RedisStore.connect(s.redisUrl(), s.redisPoolSize(), s.redisTimeoutMs()), ledger, graceMs);
    }

    private static void logStarted(Settings s, Role role, Database db, HttpApi http, PriceTable prices,
                                   AdminKeys adminKeys) {
        if (s.upstreamSimulated()) {
            JsonLog.warn("upstream_simulated", "message", "UPSTREAM=simulated: requests are answered by the built-in stand-in "
                    + "for OpenAI at " + s.openaiBaseUrl() + ", not by OpenAI");
        } else if (role.serves() && s.providers() == null && s.openaiKey() == null) {
            JsonLog.warn("no_upstream_key", "message", "neither OPENAI_KEY nor OPENAI_API_KEY is set: requests are "
                    + "forwarded without an Authorization header, and OpenAI answers them 401");
        }
        JsonLog.info("started", "role", role.serves() ? "gateway" : "worker", "port", http == null ? null : http.port(),
                "database", db.dialect(), "version", Version.get(), "counters", s.redisUrl() == null ? "embedded" : "redis",
                "data_dir", s.dataDir().toAbsolutePath().toString(),
                "upstream", s.providers() == null ? s.openaiBaseUrl().toString() : "providers file",
                "providers", s.providers() == null ? "openai" : String.join(",", s.providers().list().stream().map(p -> p.name()).toList()),
                "models_priced", prices.size(), "openai_key", s.openaiKey() != null,
                "admin_api", s.adminEnabled() || adminKeys.any() ? "enabled"
                        : "disabled: run seed (it prints an admin key) or set ADMIN_API_KEY");
    }

    /** Appends the refusals counted so far (for reads that must see them at once). */
    public void flushRefusals() {
        proxy.flushRefusals();
    }

    /** The routes this gateway answers (the OpenAPI test checks the document against them). */
    public List<Route> routes() {
        return routes;
    }

    public PolicyEngine policy() {
        return policy;
    }

    /** The admin listener's port (ADMIN_LISTEN), or the proxy's when the admin API shares it. */
    public int adminPort() {
        return adminHttp != null ? adminHttp.port() : http.port();
    }

    /** Admin, dashboard and a liveness probe, for the admin listener. */
    private static List<Route> adminListenerRoutes(List<Route> adminRoutes, ObjectMapper json, PolicyEngine policy) {
        List<Route> out = new ArrayList<>(adminRoutes);
        out.add(new Route("GET", "/health", (call, p) -> call.sendJson(json, 200, OperationsRoutes.health(policy))));
        return out;
    }

    public int port() {
        return http.port();
    }

    /** The realtime listener's port (REALTIME_PORT), or -1 when it is off. */
    public int realtimePort() {
        return proxy.realtimePort();
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
        if (adminHttp != null) adminHttp.close();
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
        if (simulated != null) {
            try {
                simulated.close();
            } catch (Exception e) {
                JsonLog.warn("simulated_upstream_close_failed", "error", e.toString());
            }
        }
    }
}
