package io.budgetguard.config;

import io.budgetguard.core.Budget;
import io.budgetguard.core.BudgetPeriod;
import io.budgetguard.core.Money;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
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
    private static final int MAX_DOTENV_BYTES = 1024 * 1024;
    private static final int MAX_BUDGET_PERIODS = 16;

    private final Map<String, String> vars;
    private final List<String> problems = new ArrayList<>();
    /** Every variable this load looked at, in order (the documentation test checks each is documented). */
    private final java.util.Set<String> read = new java.util.LinkedHashSet<>();
    /** Whole-number settings read: name to {default, min, max} (the README's defaults are checked against it). */
    private final Map<String, long[]> numeric = new java.util.LinkedHashMap<>();

    private SettingsLoader(Map<String, String> vars) {
        this.vars = vars;
    }

    /** Environment plus {@code workDir/.env} when it exists. */
    public static Settings load(Map<String, String> env, Path workDir) throws ConfigException {
        Map<String, String> merged = new HashMap<>(readDotEnv(workDir.resolve(".env")));
        merged.putAll(env);
        return fromMap(merged);
    }

    public static Settings fromMap(Map<String, String> vars) throws ConfigException {
        SettingsLoader l = new SettingsLoader(vars);
        Settings s = l.build();
        if (!l.problems.isEmpty()) throw new ConfigException(l.problems);
        return s;
    }

    private Settings build() {
        String policyPath = str("OPA_POLICY_PATH");
        Path dataDir = Path.of(str("BUDGETGUARD_DATA_DIR", "./data"));
        String databaseUrl = str("DATABASE_URL");
        String redisUrl = str("REDIS_URL");
        if (databaseUrl != null) {
            try {
                io.budgetguard.store.DatabaseUrl.parse(databaseUrl);
            } catch (IllegalArgumentException e) {
                problems.add("DATABASE_URL: " + e.getMessage());
            }
        }
        if (redisUrl != null && !redisUrl.matches("(rediss?://[^,\\s]+)(,rediss?://[^,\\s]+)*")) {
            problems.add("REDIS_URL: expected redis://[:password@]host:port[/db] (rediss:// for TLS), comma-separated for a cluster");
        }
        long defaultBudgetMicroUsd = usd("DEFAULT_BUDGET_USD", "10");
        String prices = str("PRICES_PATH");
        if (prices != null && !Files.isReadable(Path.of(prices))) {
            problems.add("PRICES_PATH: no readable file at " + prices + " (expected a JSON price list shaped like "
                    + "src/main/resources/prices.json; unset it to use the shipped table)");
        }
        long reservationTimeoutS = longIn("RESERVATION_TIMEOUT_S", 900, 10, 86_400);
        // Read by Logback itself (logback.xml) when logging starts; checked here so a bad value stops the start.
        intIn("LOG_QUEUE_LINES", 10_000, 100, 1_000_000);
        URI baseUrl = baseUrl();
        return new SettingsBuilder()
                .openaiKey(upstreamKey())
                .openaiBaseUrl(baseUrl)
                .adminApiKey(adminKey())
                .maxReqsPerMin(intIn("MAX_REQS_PER_MIN", 100, 1, 1_000_000))
                .defaultBudgets(budgetPeriods(defaultBudgetMicroUsd))
                .opaPolicyPath("off".equals(policyPath) ? null : Path.of(policyPath == null ? "policy/bundle.tar.gz" : policyPath))
                .opaPolicyPathExplicit(policyPath != null && !"off".equals(policyPath))
                .dev(bool("BUDGETGUARD_DEV"))
                .databaseUrl(databaseUrl)
                .redisUrl(redisUrl)
                .bindAddress(str("HOST", "0.0.0.0"))
                .port(intIn("PORT", Settings.DEFAULT_PORT, 0, 65_535))
                .reservationTimeoutS(reservationTimeoutS)
                .dataDir(dataDir)
                .pricesPath(prices == null ? null : Path.of(prices))
                .defaultPriceMicroUsdPerMTok(defaultPrice())
                .maxBodyBytes(intIn("MAX_BODY_BYTES", Settings.DEFAULT_MAX_BODY_BYTES, 1024, 64 * 1024 * 1024))
                .maxHeaderBytes(intIn("MAX_HEADER_BYTES", Settings.DEFAULT_MAX_HEADER_BYTES, 1024, 1024 * 1024))
                .maxInflightRequests(intIn("MAX_INFLIGHT_REQUESTS", Settings.DEFAULT_MAX_INFLIGHT_REQUESTS, 1, 100_000))
                .requestReadTimeoutMs(longIn("REQUEST_READ_TIMEOUT_MS", Settings.DEFAULT_REQUEST_READ_TIMEOUT_MS, 100, 600_000))
                .clientIdleTimeoutMs(longIn("CLIENT_IDLE_TIMEOUT_MS", Settings.DEFAULT_CLIENT_IDLE_TIMEOUT_MS, 100, 3_600_000))
                .upstreamConnectTimeoutMs(longIn("UPSTREAM_CONNECT_TIMEOUT_MS", Settings.DEFAULT_UPSTREAM_CONNECT_TIMEOUT_MS, 10, 600_000))
                .upstreamFirstByteTimeoutMs(longIn("UPSTREAM_FIRST_BYTE_TIMEOUT_MS", Settings.DEFAULT_UPSTREAM_FIRST_BYTE_TIMEOUT_MS, 10, 3_600_000))
                .upstreamIdleTimeoutMs(longIn("UPSTREAM_IDLE_TIMEOUT_MS", Settings.DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS, 10, 3_600_000))
                .maxSseEventBytes(intIn("MAX_SSE_EVENT_BYTES", Settings.DEFAULT_MAX_SSE_EVENT_BYTES, 1024, 64 * 1024 * 1024))
                .authCacheTtlMs(longIn("AUTH_CACHE_TTL_MS", Settings.DEFAULT_AUTH_CACHE_TTL_MS, 0, 1_000))
                .redisTimeoutMs(longIn("REDIS_TIMEOUT_MS", Settings.DEFAULT_REDIS_TIMEOUT_MS, 10, 60_000))
                .redisPoolSize(intIn("REDIS_POOL_SIZE", Settings.DEFAULT_REDIS_POOL_SIZE, 1, 4096))
                .policyPoolSize(intIn("POLICY_POOL_SIZE", Settings.defaultPolicyPoolSize(), 1, 256))
                .policyPromptBytesMax(intIn("POLICY_PROMPT_BYTES_MAX", Settings.DEFAULT_POLICY_PROMPT_BYTES_MAX, 0, 1024 * 1024))
                .policyTimeoutMs(longIn("POLICY_TIMEOUT_MS", Settings.DEFAULT_POLICY_TIMEOUT_MS, 1, 60_000))
                .policyPollMs(longIn("POLICY_POLL_MS", Settings.DEFAULT_POLICY_POLL_MS, 50, 60_000))
                .alertWebhookUrl(webhook())
                .workerPeriodMs(longIn("WORKER_PERIOD_MS", 5_000, 50, 3_600_000))
                .dbPoolSize(intIn("DB_POOL_SIZE", 16, 1, 1_000))
                .dbTimeoutMs(longIn("DB_TIMEOUT_MS", 2_000, 100, 60_000))
                .ledgerClaimIdleMs(longIn("LEDGER_CLAIM_IDLE_MS", 30_000, 100, 3_600_000))
                .upstreamLimits(upstreamLimits(baseUrl))
                .requestDeadlineMs(requestDeadlineMs(reservationTimeoutS))
                .clientWriteTimeoutMs(longIn("CLIENT_WRITE_TIMEOUT_MS", Settings.DEFAULT_CLIENT_WRITE_TIMEOUT_MS, 100, 3_600_000))
                .shutdownGraceS(longIn("SHUTDOWN_GRACE_S", Settings.DEFAULT_SHUTDOWN_GRACE_S, 0, 3_600))
                .jsonLimits(jsonLimits())
                .defaultMaxOutputTokens(longIn("DEFAULT_MAX_OUTPUT_TOKENS", 0, 0, 10_000_000))
                .metricsPerTenant(bool("METRICS_PER_TENANT"))
                .build();
    }

    private Settings.JsonLimits jsonLimits() {
        return new Settings.JsonLimits(
                intIn("JSON_MAX_DEPTH", Settings.DEFAULT_JSON_MAX_DEPTH, 8, 1_000),
                intIn("JSON_MAX_STRING_CHARS", Settings.DEFAULT_MAX_BODY_BYTES, 1024, 64 * 1024 * 1024),
                intIn("JSON_MAX_NUMBER_CHARS", Settings.DEFAULT_JSON_MAX_NUMBER_CHARS, 20, 1_000),
                intIn("JSON_MAX_NAME_CHARS", Settings.DEFAULT_JSON_MAX_NAME_CHARS, 64, 64 * 1024));
    }

    /** A request can never outlive its reservation: the deadline must end before the reservation expires. */
    private long requestDeadlineMs(long reservationTimeoutS) {
        long reservationMs = reservationTimeoutS * 1000;
        long deadline = longIn("REQUEST_DEADLINE_MS", Settings.defaultRequestDeadlineMs(reservationTimeoutS), 100, 86_400_000);
        if (deadline >= reservationMs) {
            problems.add("REQUEST_DEADLINE_MS: " + deadline + " must be less than RESERVATION_TIMEOUT_S x 1000 ("
                    + reservationMs + "): a request may never outlive its reservation");
        }
        return deadline;
    }

    private Settings.UpstreamLimits upstreamLimits(URI baseUrl) {
        String trustStore = str("UPSTREAM_TRUST_STORE");
        Path trust = trustStore == null ? null : Path.of(trustStore);
        if (trust != null && !Files.isReadable(trust)) {
            problems.add("UPSTREAM_TRUST_STORE: cannot read " + trust + " (a PKCS12 or JKS file of trusted certificates)");
        }
        return new Settings.UpstreamLimits(
                longIn("UPSTREAM_KEEPALIVE_MS", Settings.DEFAULT_UPSTREAM_KEEPALIVE_MS, 0, 3_600_000),
                intIn("UPSTREAM_MAX_IDLE_CONNECTIONS", Settings.DEFAULT_UPSTREAM_MAX_IDLE_CONNECTIONS, 0, 100_000),
                intIn("UPSTREAM_MAX_HEADERS", Settings.DEFAULT_UPSTREAM_MAX_HEADERS, 8, 1_000),
                intIn("UPSTREAM_MAX_HEADER_BYTES", Settings.DEFAULT_UPSTREAM_MAX_HEADER_BYTES, 1024, 1024 * 1024),
                trust, str("UPSTREAM_TRUST_STORE_PASSWORD"), egressProxy(baseUrl));
    }

    /**
     * The proxy egress goes through: HTTPS_PROXY for an https upstream, HTTP_PROXY for an http one (either
     * spelling case), unless NO_PROXY names the upstream's host (exact, a domain suffix, or '*').
     */
    private URI egressProxy(URI baseUrl) {
        if (baseUrl == null) return null;
        String name = "https".equals(baseUrl.getScheme()) ? "HTTPS_PROXY" : "HTTP_PROXY";
        String raw = str(name);
        if (raw == null) raw = str(name.toLowerCase(java.util.Locale.ROOT));
        if (raw == null) return null;
        String noProxy = str("NO_PROXY");
        if (noProxy == null) noProxy = str("no_proxy");
        if (noProxy != null && NoProxy.matches(noProxy, baseUrl.getHost())) return null;
        try {
            URI proxy = new URI(raw.contains("://") ? raw : "http://" + raw);
            if (!"http".equals(proxy.getScheme()) || proxy.getHost() == null) {
                problems.add(name + ": expected http://host:port (an HTTP proxy that speaks CONNECT)");
                return null;
            }
            if (proxy.getUserInfo() != null) {
                problems.add(name + ": credentials in the proxy URL are not supported");
                return null;
            }
            return proxy;
        } catch (URISyntaxException e) {
            problems.add(name + ": not a valid URL");
            return null;
        }
    }

    private String webhook() {
        String url = str("ALERT_WEBHOOK_URL");
        if (url == null) return null;
        try {
            return io.budgetguard.alert.AlertSettings.validWebhook(url);
        } catch (IllegalArgumentException e) {
            problems.add("ALERT_WEBHOOK_URL: " + e.getMessage());
            return null;
        }
    }

    /** {@code input,output} or {@code input,cached_input,output}, USD per 1M tokens. */
    private long[] defaultPrice() {
        String raw = str("DEFAULT_PRICE");
        if (raw == null) return null;
        String[] parts = raw.split(",");
        try {
            if (parts.length != 2 && parts.length != 3) throw new IllegalArgumentException("needs 2 or 3 amounts");
            long input = Money.microUsdFromUsd(parts[0]);
            long cached = parts.length == 3 ? Money.microUsdFromUsd(parts[1]) : input;
            long output = Money.microUsdFromUsd(parts[parts.length - 1]);
            return new long[] {input, cached, output};
        } catch (IllegalArgumentException e) {
            problems.add("DEFAULT_PRICE: " + e.getMessage() + " (expected input,output or input,cached_input,output in USD per 1M tokens, e.g. 2.50,10)");
            return null;
        }
    }

    /** Words of placeholder keys (such as .env.example's): a key containing one is known to everyone. */
    private static final List<String> PLACEHOLDER_WORDS = List.of("change-me", "changeme", "change_me", "replace-me",
            "replaceme", "your-", "placeholder", "example", "xxxxxxxx");
    /** A key of fewer distinct characters is guessable however long it is ("aaaaaaaaaaaaaaaa"). */
    static final int MIN_ADMIN_KEY_DISTINCT_CHARS = 8;

    /** OPENAI_KEY, else OPENAI_API_KEY (the variable OpenAI's SDKs read). */
    private String upstreamKey() {
        String key = str("OPENAI_KEY");
        return key != null ? key : str("OPENAI_API_KEY");
    }

    private String adminKey() {
        String key = str("ADMIN_API_KEY");
        if (key == null) return null;
        String fix = " (use e.g. `openssl rand -hex 24`, or unset it to keep the admin API off)";
        if (key.length() < 16) {
            problems.add("ADMIN_API_KEY: must be at least 16 characters" + fix);
            return null;
        }
        String lower = key.toLowerCase(java.util.Locale.ROOT);
        if (PLACEHOLDER_WORDS.stream().anyMatch(lower::contains)) {
            problems.add("ADMIN_API_KEY: is a placeholder (such as the one in .env.example), known to everyone" + fix);
            return null;
        }
        if (key.chars().distinct().count() < MIN_ADMIN_KEY_DISTINCT_CHARS) {
            problems.add("ADMIN_API_KEY: has fewer than " + MIN_ADMIN_KEY_DISTINCT_CHARS + " distinct characters" + fix);
            return null;
        }
        return key;
    }

    private URI baseUrl() {
        String raw = str("OPENAI_BASE_URL", "https://api.openai.com");
        try {
            URI uri = new URI(raw);
            String scheme = uri.getScheme();
            if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                    || uri.getQuery() != null || uri.getFragment() != null || uri.getUserInfo() != null) {
                problems.add("OPENAI_BASE_URL: must be an http(s) URL with a host and no query, e.g. https://api.openai.com");
                return null;
            }
            // Accept the SDKs' convention (".../v1") as well as the bare host: proxied paths carry /v1 themselves.
            String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("/+$", "");
            if (path.endsWith("/v1")) path = path.substring(0, path.length() - 3);
            return new URI(scheme, null, uri.getHost(), uri.getPort(), path, null, null);
        } catch (URISyntaxException e) {
            problems.add("OPENAI_BASE_URL: not a valid URL");
            return null;
        }
    }

    private List<Budget> budgetPeriods(long defaultMicroUsd) {
        String raw = str("BUDGET_PERIODS", "monthly");
        List<Budget> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String[] entries = raw.split(",");
        if (entries.length > MAX_BUDGET_PERIODS) {
            problems.add("BUDGET_PERIODS: at most " + MAX_BUDGET_PERIODS + " windows");
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
                problems.add("BUDGET_PERIODS: " + ex.getMessage() + " (entries look like monthly, daily:5 or rolling:24h:3)");
            }
        }
        if (out.isEmpty() && problems.stream().noneMatch(p -> p.startsWith("BUDGET_PERIODS"))) {
            problems.add("BUDGET_PERIODS: lists no window (e.g. monthly or monthly:100,daily:5)");
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

    private long usd(String name, String dflt) {
        try {
            return Money.microUsdFromUsd(str(name, dflt));
        } catch (IllegalArgumentException e) {
            problems.add(name + ": '" + str(name, dflt) + "' " + e.getMessage() + " (a USD amount such as 10 or 2.50)");
            return 0;
        }
    }

    /** Each whole-number setting a load of {@code vars} reads, with its default and bounds: {default, min, max}. */
    static Map<String, long[]> numericSettings(Map<String, String> vars) {
        SettingsLoader l = new SettingsLoader(vars);
        l.build();
        return l.numeric;
    }

    /** The variables a load of {@code vars} reads, whether or not they are set. */
    static java.util.Set<String> variablesRead(Map<String, String> vars) {
        SettingsLoader l = new SettingsLoader(vars);
        l.build();
        return l.read;
    }

    private String str(String name) {
        read.add(name);
        String v = vars.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    private String str(String name, String dflt) {
        String v = str(name);
        return v == null ? dflt : v;
    }

    private boolean bool(String name) {
        String v = str(name, "false").toLowerCase(java.util.Locale.ROOT);
        return switch (v) {
            case "1", "true", "yes", "on" -> true;
            case "0", "false", "no", "off" -> false;
            default -> {
                problems.add(name + ": '" + v + "' is not a boolean (true or false)");
                yield false;
            }
        };
    }

    private int intIn(String name, int dflt, int min, int max) {
        return (int) longIn(name, dflt, min, max);
    }

    private long longIn(String name, long dflt, long min, long max) {
        numeric.put(name, new long[] {dflt, min, max});
        String v = str(name);
        if (v == null) return dflt;
        try {
            long n = Long.parseLong(v);
            if (n < min || n > max) {
                problems.add(name + ": " + n + " is out of range (" + min + ".." + max + ")");
                return dflt;
            }
            return n;
        } catch (NumberFormatException e) {
            problems.add(name + ": '" + v + "' is not a whole number");
            return dflt;
        }
    }

    /** KEY=VALUE lines; '#' comments, optional 'export ', optional single or double quotes. */
    static Map<String, String> readDotEnv(Path file) {
        Map<String, String> out = new HashMap<>();
        if (!Files.isRegularFile(file)) return out;
        try {
            if (Files.size(file) > MAX_DOTENV_BYTES) throw new IOException(".env is larger than 1 MiB");
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) continue;
                if (l.startsWith("export ")) l = l.substring(7).strip();
                int eq = l.indexOf('=');
                if (eq <= 0) continue;
                String key = l.substring(0, eq).strip();
                String value = l.substring(eq + 1).strip();
                if (value.length() >= 2 && (value.charAt(0) == '"' || value.charAt(0) == '\'')
                        && value.charAt(value.length() - 1) == value.charAt(0)) {
                    value = value.substring(1, value.length() - 1);
                } else {
                    int hash = value.indexOf(" #");
                    if (hash >= 0) value = value.substring(0, hash).strip();
                }
                out.put(key, value);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }
}
