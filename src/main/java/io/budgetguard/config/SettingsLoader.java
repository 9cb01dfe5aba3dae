package io.budgetguard.config;

import io.budgetguard.core.Budget;
import io.budgetguard.core.BudgetPeriod;
import io.budgetguard.core.Money;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads settings from the process environment plus an optional {@code .env} file (environment wins),
 * validates every value and reports all problems at once, one line per variable.
 */
public final class SettingsLoader {
    private static final int MAX_BUDGET_PERIODS = 16;

    private final Variables v;
    private final UpstreamSettingsReader upstream;

    private SettingsLoader(Map<String, String> vars) {
        this.v = new Variables(vars);
        this.upstream = new UpstreamSettingsReader(v);
    }

    /** Environment plus {@code workDir/.env} when it exists. */
    public static Settings load(Map<String, String> env, Path workDir) throws ConfigException {
        Map<String, String> merged = new HashMap<>(DotEnv.read(workDir.resolve(".env")));
        merged.putAll(env);
        return fromMap(merged);
    }

    public static Settings fromMap(Map<String, String> vars) throws ConfigException {
        SettingsLoader l = new SettingsLoader(vars);
        Settings s = l.build();
        if (!l.v.problems().isEmpty()) throw new ConfigException(l.v.problems());
        return s;
    }

    private Settings build() {
        String policyPath = v.str("OPA_POLICY_PATH");
        Path dataDir = Path.of(v.str("BUDGETGUARD_DATA_DIR", "./data"));
        String databaseUrl = v.str("DATABASE_URL");
        String redisUrl = v.str("REDIS_URL");
        if (databaseUrl != null) {
            try {
                io.budgetguard.store.DatabaseUrl.parse(databaseUrl);
            } catch (IllegalArgumentException e) {
                v.problem("DATABASE_URL: " + e.getMessage());
            }
        }
        if (redisUrl != null && !redisUrl.matches("(rediss?://[^,\\s]+)(,rediss?://[^,\\s]+)*")) {
            v.problem("REDIS_URL: expected redis://[:password@]host:port[/db] (rediss:// for TLS), comma-separated for a cluster");
        }
        long defaultBudgetMicroUsd = v.usd("DEFAULT_BUDGET_USD", "10");
        String prices = v.str("PRICES_PATH");
        if (prices != null && !Files.isReadable(Path.of(prices))) {
            v.problem("PRICES_PATH: no readable file at " + prices + " (expected a JSON price list shaped like "
                    + "src/main/resources/prices.json; unset it to use the shipped table)");
        }
        long reservationTimeoutS = v.longIn("RESERVATION_TIMEOUT_S", 900, 10, 86_400);
        // Read by Logback itself (logback.xml) when logging starts; checked here so a bad value stops the start.
        v.intIn("LOG_QUEUE_LINES", 10_000, 100, 1_000_000);
        URI baseUrl = upstream.baseUrl();
        return new SettingsBuilder()
                .openaiKey(upstream.key())
                .openaiBaseUrl(baseUrl)
                .adminApiKey(AdminKeyRule.check(v))
                .maxReqsPerMin(v.intIn("MAX_REQS_PER_MIN", 100, 1, 1_000_000))
                .defaultBudgets(budgetPeriods(defaultBudgetMicroUsd))
                .opaPolicyPath("off".equals(policyPath) ? null : Path.of(policyPath == null ? "policy/bundle.tar.gz" : policyPath))
                .opaPolicyPathExplicit(policyPath != null && !"off".equals(policyPath))
                .dev(v.bool("BUDGETGUARD_DEV"))
                .databaseUrl(databaseUrl)
                .redisUrl(redisUrl)
                .bindAddress(v.str("HOST", "0.0.0.0"))
                .port(v.intIn("PORT", Settings.DEFAULT_PORT, 0, 65_535))
                .reservationTimeoutS(reservationTimeoutS)
                .dataDir(dataDir)
                .pricesPath(prices == null ? null : Path.of(prices))
                .defaultPriceMicroUsdPerMTok(defaultPrice())
                .maxBodyBytes(v.intIn("MAX_BODY_BYTES", Settings.DEFAULT_MAX_BODY_BYTES, 1024, 64 * 1024 * 1024))
                .maxHeaderBytes(v.intIn("MAX_HEADER_BYTES", Settings.DEFAULT_MAX_HEADER_BYTES, 1024, 1024 * 1024))
                .maxInflightRequests(v.intIn("MAX_INFLIGHT_REQUESTS", Settings.DEFAULT_MAX_INFLIGHT_REQUESTS, 1, 100_000))
                .requestReadTimeoutMs(v.longIn("REQUEST_READ_TIMEOUT_MS", Settings.DEFAULT_REQUEST_READ_TIMEOUT_MS, 100, 600_000))
                .clientIdleTimeoutMs(v.longIn("CLIENT_IDLE_TIMEOUT_MS", Settings.DEFAULT_CLIENT_IDLE_TIMEOUT_MS, 100, 3_600_000))
                .upstreamConnectTimeoutMs(v.longIn("UPSTREAM_CONNECT_TIMEOUT_MS", Settings.DEFAULT_UPSTREAM_CONNECT_TIMEOUT_MS, 10, 600_000))
                .upstreamFirstByteTimeoutMs(v.longIn("UPSTREAM_FIRST_BYTE_TIMEOUT_MS", Settings.DEFAULT_UPSTREAM_FIRST_BYTE_TIMEOUT_MS, 10, 3_600_000))
                .upstreamIdleTimeoutMs(v.longIn("UPSTREAM_IDLE_TIMEOUT_MS", Settings.DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS, 10, 3_600_000))
                .maxSseEventBytes(v.intIn("MAX_SSE_EVENT_BYTES", Settings.DEFAULT_MAX_SSE_EVENT_BYTES, 1024, 64 * 1024 * 1024))
                .authCacheTtlMs(v.longIn("AUTH_CACHE_TTL_MS", Settings.DEFAULT_AUTH_CACHE_TTL_MS, 0, 1_000))
                .redisTimeoutMs(v.longIn("REDIS_TIMEOUT_MS", Settings.DEFAULT_REDIS_TIMEOUT_MS, 10, 60_000))
                .redisPoolSize(v.intIn("REDIS_POOL_SIZE", Settings.DEFAULT_REDIS_POOL_SIZE, 1, 4096))
                .policyPoolSize(v.intIn("POLICY_POOL_SIZE", Settings.defaultPolicyPoolSize(), 1, 256))
                .policyPromptBytesMax(v.intIn("POLICY_PROMPT_BYTES_MAX", Settings.DEFAULT_POLICY_PROMPT_BYTES_MAX, 0, 1024 * 1024))
                .policyTimeoutMs(v.longIn("POLICY_TIMEOUT_MS", Settings.DEFAULT_POLICY_TIMEOUT_MS, 1, 60_000))
                .policyPollMs(v.longIn("POLICY_POLL_MS", Settings.DEFAULT_POLICY_POLL_MS, 50, 60_000))
                .policyMemoBytes(v.longIn("POLICY_MEMO_BYTES", io.budgetguard.policy.PolicyEngine.DEFAULT_MEMO_BYTES, 0, 1L << 30))
                .alertWebhookUrl(webhook())
                .workerPeriodMs(v.longIn("WORKER_PERIOD_MS", 5_000, 50, 3_600_000))
                .dbPoolSize(v.intIn("DB_POOL_SIZE", 16, 1, 1_000))
                .dbTimeoutMs(v.longIn("DB_TIMEOUT_MS", 2_000, 100, 60_000))
                .ledgerClaimIdleMs(v.longIn("LEDGER_CLAIM_IDLE_MS", 30_000, 100, 3_600_000))
                .upstreamLimits(upstream.limits(baseUrl))
                .requestDeadlineMs(requestDeadlineMs(reservationTimeoutS))
                .clientWriteTimeoutMs(v.longIn("CLIENT_WRITE_TIMEOUT_MS", Settings.DEFAULT_CLIENT_WRITE_TIMEOUT_MS, 100, 3_600_000))
                .shutdownGraceS(v.longIn("SHUTDOWN_GRACE_S", Settings.DEFAULT_SHUTDOWN_GRACE_S, 0, 3_600))
                .jsonLimits(jsonLimits())
                .defaultMaxOutputTokens(v.longIn("DEFAULT_MAX_OUTPUT_TOKENS", 0, 0, 10_000_000))
                .metricsPerTenant(v.bool("METRICS_PER_TENANT"))
                .adminListen(adminListen())
                .upstreamSimulated(simulated())
                .providers(upstream.providers())
                .refusalLimits(new Settings.RefusalLimits(v.longIn("REFUSALS_FLUSH_MS", Settings.RefusalLimits.DEFAULTS.flushMs(), 50, 60_000),
                        v.intIn("REFUSALS_MAX_GROUPS", Settings.RefusalLimits.DEFAULTS.maxGroups(), 100, 1_000_000)))
                .alertSmtp(new SmtpSettingsReader(v).relay())
                .stripe(stripe())
                .reconcile(reconcile())
                .realtime(new Settings.RealtimeLimits(v.intIn("REALTIME_PORT", -1, -1, 65535),
                        v.intIn("REALTIME_MAX_SESSIONS", Settings.RealtimeLimits.DEFAULT_MAX_SESSIONS, 1, 100_000),
                        v.longIn("REALTIME_SESSION_MAX_S", Settings.RealtimeLimits.DEFAULT_SESSION_MAX_S, 10, 24 * 3600),
                        v.intIn("REALTIME_MAX_MESSAGE_BYTES", Settings.RealtimeLimits.DEFAULT_MAX_MESSAGE_BYTES, 1024, 256 * 1024 * 1024)))
                .objectLimits(new Settings.ObjectLimits(
                        v.longIn("MAX_UPLOAD_BYTES", Settings.ObjectLimits.DEFAULT_MAX_UPLOAD_BYTES, 1024, 1024L * 1024 * 1024),
                        v.intIn("MAX_FORM_FIELD_BYTES", Settings.ObjectLimits.DEFAULT_MAX_FORM_FIELD_BYTES, 1024, 16 * 1024 * 1024),
                        v.longIn("MAX_BATCH_INPUT_BYTES", Settings.ObjectLimits.DEFAULT_MAX_BATCH_INPUT_BYTES, 1024, 16L * 1024 * 1024 * 1024),
                        v.longIn("MAX_BATCH_OUTPUT_BYTES", Settings.ObjectLimits.DEFAULT_MAX_BATCH_OUTPUT_BYTES, 1024, 64L * 1024 * 1024 * 1024),
                        v.longIn("BACKGROUND_HOLD_S", Settings.ObjectLimits.DEFAULT_BACKGROUND_HOLD_S, 60, 7 * 24 * 3600),
                        v.longIn("HELD_POLL_MS", Settings.ObjectLimits.DEFAULT_HELD_POLL_MS, 50, 3_600_000)))
                .build();
    }

    private Settings.JsonLimits jsonLimits() {
        return new Settings.JsonLimits(
                v.intIn("JSON_MAX_DEPTH", Settings.DEFAULT_JSON_MAX_DEPTH, 8, 1_000),
                v.intIn("JSON_MAX_STRING_CHARS", Settings.DEFAULT_MAX_BODY_BYTES, 1024, 64 * 1024 * 1024),
                v.intIn("JSON_MAX_NUMBER_CHARS", Settings.DEFAULT_JSON_MAX_NUMBER_CHARS, 20, 1_000),
                v.intIn("JSON_MAX_NAME_CHARS", Settings.DEFAULT_JSON_MAX_NAME_CHARS, 64, 64 * 1024));
    }

    /** A request can never outlive its reservation: the deadline must end before the reservation expires. */
    private long requestDeadlineMs(long reservationTimeoutS) {
        long reservationMs = reservationTimeoutS * 1000;
        long deadline = v.longIn("REQUEST_DEADLINE_MS", Settings.defaultRequestDeadlineMs(reservationTimeoutS), 100, 86_400_000);
        if (deadline >= reservationMs) {
            v.problem("REQUEST_DEADLINE_MS: " + deadline + " must be less than RESERVATION_TIMEOUT_S x 1000 ("
                    + reservationMs + "): a request may never outlive its reservation");
        }
        return deadline;
    }

    /** Stripe showback: on with STRIPE_API_KEY, every other STRIPE_* setting bounded here. */
    private io.budgetguard.billing.StripeSettings stripe() {
        String key = v.str("STRIPE_API_KEY");
        String base = v.str("STRIPE_API_BASE", io.budgetguard.billing.StripeSettings.DEFAULT_API_BASE.toString());
        String event = v.str("STRIPE_METER_EVENT_NAME", io.budgetguard.billing.StripeSettings.DEFAULT_EVENT_NAME);
        String customerKey = v.str("STRIPE_CUSTOMER_PAYLOAD_KEY", "stripe_customer_id");
        String valueKey = v.str("STRIPE_VALUE_PAYLOAD_KEY", "value");
        int batch = v.intIn("STRIPE_BATCH_ROWS", io.budgetguard.billing.StripeSettings.DEFAULT_BATCH_ROWS, 1, 1_000);
        long timeoutMs = v.longIn("STRIPE_TIMEOUT_MS", io.budgetguard.billing.StripeSettings.DEFAULT_TIMEOUT_MS, 100, 120_000);
        long backoffMs = v.longIn("STRIPE_MAX_BACKOFF_MS", io.budgetguard.billing.StripeSettings.DEFAULT_MAX_BACKOFF_MS, 1_000, 86_400_000);
        java.util.regex.Pattern name = java.util.regex.Pattern.compile("[A-Za-z0-9_.:-]{1,100}");
        for (String[] n : new String[][] {{"STRIPE_METER_EVENT_NAME", event}, {"STRIPE_CUSTOMER_PAYLOAD_KEY", customerKey},
                {"STRIPE_VALUE_PAYLOAD_KEY", valueKey}}) {
            if (!name.matcher(n[1]).matches()) v.problem(n[0] + ": 1 to 100 letters, digits or _ . : -");
        }
        URI apiBase = httpUrl("STRIPE_API_BASE", base, "https://api.stripe.com (stripe-mock: http://127.0.0.1:12111)");
        if (key == null) return null;
        if (!key.matches("(sk|rk)_(live|test)_[A-Za-z0-9]{8,250}")) {
            v.problem("STRIPE_API_KEY: expected a Stripe secret or restricted key (sk_live_..., rk_live_..., sk_test_...)");
        }
        return new io.budgetguard.billing.StripeSettings(key, apiBase, event, customerKey, valueKey, batch, timeoutMs, backoffMs);
    }

    /** An http(s) URL with a host, or null after one problem line naming the variable and an example. */
    private URI httpUrl(String name, String raw, String example) {
        try {
            URI uri = new URI(raw);
            if (("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) && uri.getHost() != null) return uri;
        } catch (URISyntaxException e) {
            // said below, as for a URL of another scheme
        }
        v.problem(name + ": expected an http(s) URL, e.g. " + example);
        return null;
    }

    /** Reconciliation: each provider's cost report is read when its admin key is set. */
    private io.budgetguard.billing.ReconcileSettings reconcile() {
        io.budgetguard.billing.ReconcileSettings.Source openai = source("OPENAI", "https://api.openai.com", "openai", "sk-admin-");
        io.budgetguard.billing.ReconcileSettings.Source anthropic = source("ANTHROPIC", "https://api.anthropic.com", "anthropic", "sk-ant-admin");
        long thresholdMicroUsd = v.usd("RECONCILE_THRESHOLD_USD", "1");
        int pct = v.intIn("RECONCILE_THRESHOLD_PCT", io.budgetguard.billing.ReconcileSettings.DEFAULT_THRESHOLD_PCT, 0, 100);
        int days = v.intIn("RECONCILE_DAYS", io.budgetguard.billing.ReconcileSettings.DEFAULT_DAYS, 1, 31);
        long periodMs = v.longIn("RECONCILE_PERIOD_MS", io.budgetguard.billing.ReconcileSettings.DEFAULT_PERIOD_MS, 1_000, 86_400_000);
        long timeoutMs = v.longIn("RECONCILE_TIMEOUT_MS", io.budgetguard.billing.ReconcileSettings.DEFAULT_TIMEOUT_MS, 100, 300_000);
        int pages = v.intIn("RECONCILE_MAX_PAGES", io.budgetguard.billing.ReconcileSettings.DEFAULT_MAX_PAGES, 1, 10_000);
        if (openai == null && anthropic == null) return null;
        return new io.budgetguard.billing.ReconcileSettings(openai, anthropic, thresholdMicroUsd, pct, days, periodMs, timeoutMs, pages);
    }

    private io.budgetguard.billing.ReconcileSettings.Source source(String name, String defaultBase, String defaultProvider, String keyPrefix) {
        String key = v.str("RECONCILE_" + name + "_ADMIN_KEY");
        String base = v.str("RECONCILE_" + name + "_BASE_URL", defaultBase);
        String provider = v.str("RECONCILE_" + name + "_PROVIDER", defaultProvider);
        String project = v.str("RECONCILE_" + name + (name.equals("OPENAI") ? "_PROJECT" : "_WORKSPACE"));
        URI uri = httpUrl("RECONCILE_" + name + "_BASE_URL", base, defaultBase);
        if (!provider.matches("[a-z0-9][a-z0-9_-]{0,63}")) v.problem("RECONCILE_" + name + "_PROVIDER: a provider name as the ledger has it, e.g. " + defaultProvider);
        if (key == null) return null;
        if (!key.startsWith(keyPrefix)) {
            v.problem("RECONCILE_" + name + "_ADMIN_KEY: expected an admin key (" + keyPrefix + "...): the cost report needs one, a project key is refused");
        }
        return new io.budgetguard.billing.ReconcileSettings.Source(uri, key, provider, project);
    }

    /** {@code UPSTREAM=simulated}: the built-in stand-in for OpenAI (opt-in, never the default). */
    private boolean simulated() {
        String upstream = v.str("UPSTREAM", "openai");
        if (upstream.equals("simulated")) return true;
        if (!upstream.equals("openai")) v.problem("UPSTREAM: expected openai (the default: OPENAI_BASE_URL) or simulated");
        return false;
    }

    /** {@code host:port} of the admin API's own listener; unset = the admin API shares the proxy's. */
    private java.net.InetSocketAddress adminListen() {
        String raw = v.str("ADMIN_LISTEN");
        if (raw == null) return null;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.\\-]+):([0-9]{1,5})").matcher(raw);
        if (!m.matches() || Integer.parseInt(m.group(2)) > 65_535) {
            v.problem("ADMIN_LISTEN: expected host:port, e.g. 127.0.0.1:3001 (the admin API and dashboard on their own listener)");
            return null;
        }
        String host = m.group(1).startsWith("[") ? m.group(1).substring(1, m.group(1).length() - 1) : m.group(1);
        return new java.net.InetSocketAddress(host, Integer.parseInt(m.group(2)));
    }

    private String webhook() {
        String url = v.str("ALERT_WEBHOOK_URL");
        if (url == null) return null;
        try {
            return io.budgetguard.alert.AlertSettings.validWebhook(url);
        } catch (IllegalArgumentException e) {
            v.problem("ALERT_WEBHOOK_URL: " + e.getMessage());
            return null;
        }
    }

    /** {@code input,output} or {@code input,cached_input,output}, USD per 1M tokens. */
    private long[] defaultPrice() {
        String raw = v.str("DEFAULT_PRICE");
        if (raw == null) return null;
        String[] parts = raw.split(",");
        try {
            if (parts.length != 2 && parts.length != 3) throw new IllegalArgumentException("needs 2 or 3 amounts");
            long input = Money.microUsdFromUsd(parts[0]);
            long cached = parts.length == 3 ? Money.microUsdFromUsd(parts[1]) : input;
            long output = Money.microUsdFromUsd(parts[parts.length - 1]);
            return new long[] {input, cached, output};
        } catch (IllegalArgumentException e) {
            v.problem("DEFAULT_PRICE: " + e.getMessage() + " (expected input,output or input,cached_input,output in USD per 1M tokens, e.g. 2.50,10)");
            return null;
        }
    }


    private List<Budget> budgetPeriods(long defaultMicroUsd) {
        String raw = v.str("BUDGET_PERIODS", "monthly");
        List<Budget> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String[] entries = raw.split(",");
        if (entries.length > MAX_BUDGET_PERIODS) {
            v.problem("BUDGET_PERIODS: at most " + MAX_BUDGET_PERIODS + " windows");
            return List.of();
        }
        for (String entry : entries) {
            String e = entry.trim();
            if (e.isEmpty()) continue;
            try {
                Budget b = budgetEntry(e, defaultMicroUsd);
                if (!seen.add(b.period().name())) throw new IllegalArgumentException("window '" + b.period() + "' appears twice");
                out.add(b);
            } catch (IllegalArgumentException ex) {
                v.problem("BUDGET_PERIODS: " + ex.getMessage() + " (entries look like monthly, daily:5 or rolling:24h:3)");
            }
        }
        if (out.isEmpty() && v.problems().stream().noneMatch(p -> p.startsWith("BUDGET_PERIODS"))) {
            v.problem("BUDGET_PERIODS: lists no window (e.g. monthly or monthly:100,daily:5)");
        }
        return List.copyOf(out);
    }

    /** {@code monthly}, {@code daily:5}, {@code rolling:24h}, {@code rolling:24h:3}. */
    private static Budget budgetEntry(String e, long defaultMicroUsd) {
        String[] parts = e.split(":");
        int periodParts = parts[0].equals("rolling") ? 2 : 1;
        if (parts.length < periodParts || parts.length > periodParts + 1) {
            throw new IllegalArgumentException("cannot read '" + e + "'");
        }
        BudgetPeriod period = BudgetPeriod.parse(String.join(":", java.util.Arrays.copyOf(parts, periodParts)));
        long limit = defaultMicroUsd;
        if (parts.length == periodParts + 1) {
            try {
                limit = Money.microUsdFromUsd(parts[periodParts]);
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("amount of '" + e + "' " + ex.getMessage());
            }
        }
        return new Budget(period, limit);
    }

    /** Each whole-number setting a load of {@code vars} reads, with its default and bounds: {default, min, max}. */
    static Map<String, long[]> numericSettings(Map<String, String> vars) {
        SettingsLoader l = new SettingsLoader(vars);
        l.build();
        return l.v.numeric();
    }

    /** The variables a load of {@code vars} reads, whether or not they are set. */
    static java.util.Set<String> variablesRead(Map<String, String> vars) {
        SettingsLoader l = new SettingsLoader(vars);
        l.build();
        return l.v.read();
    }
}
