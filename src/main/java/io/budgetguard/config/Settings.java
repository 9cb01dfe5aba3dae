package io.budgetguard.config;

import io.budgetguard.core.Budget;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * Every setting and bound of the gateway, with its default, in one place (microhttp's Options).
 * Built only by {@link SettingsLoader}, which validates each value; secrets are never printed by toString.
 */
public record Settings(
        String openaiKey,
        URI openaiBaseUrl,
        String adminApiKey,
        int maxReqsPerMin,
        List<Budget> defaultBudgets,
        Path opaPolicyPath,
        boolean opaPolicyPathExplicit,
        boolean dev,
        String databaseUrl,
        String redisUrl,
        String bindAddress,
        int port,
        long reservationTimeoutS,
        Path dataDir,
        Path pricesPath,
        long[] defaultPriceMicroUsdPerMTok,
        int maxBodyBytes,
        int maxHeaderBytes,
        int maxInflightRequests,
        long requestReadTimeoutMs,
        long clientIdleTimeoutMs,
        long upstreamConnectTimeoutMs,
        long upstreamFirstByteTimeoutMs,
        long upstreamIdleTimeoutMs,
        int maxSseEventBytes,
        long authCacheTtlMs,
        long redisTimeoutMs,
        int redisPoolSize,
        int policyPoolSize,
        int policyPromptBytesMax,
        long policyTimeoutMs,
        long policyPollMs,
        long policyMemoBytes,
        String alertWebhookUrl,
        long workerPeriodMs,
        int dbPoolSize,
        long dbTimeoutMs,
        long ledgerClaimIdleMs,
        UpstreamLimits upstreamLimits,
        long requestDeadlineMs,
        long clientWriteTimeoutMs,
        long shutdownGraceS,
        JsonLimits jsonLimits,
        long defaultMaxOutputTokens,
        boolean metricsPerTenant,
        java.net.InetSocketAddress adminListen,
        boolean upstreamSimulated,
        /** The providers file's upstreams; null without PROVIDERS_PATH (the one upstream is OPENAI_BASE_URL). */
        Providers providers,
        RefusalLimits refusalLimits,
        /** The SMTP relay for email alerts (ALERT_SMTP_HOST); null without one. */
        io.budgetguard.alert.SmtpRelay alertSmtp,
        /** Stripe showback (STRIPE_API_KEY); null without it. */
        io.budgetguard.billing.StripeSettings stripe,
        /** Reconciliation with the providers' cost reports (RECONCILE_*_ADMIN_KEY); null without either. */
        io.budgetguard.billing.ReconcileSettings reconcile,
        ObjectLimits objectLimits,
        RealtimeLimits realtime) {

    /** How often counted refusals are appended (REFUSALS_FLUSH_MS) and how many groups wait between two appends. */
    public record RefusalLimits(long flushMs, int maxGroups) {
        public static final RefusalLimits DEFAULTS = new RefusalLimits(1_000, 10_000);
    }


    /** The upstreams of a providers file, in file order, and its aliases ({@code alias -> provider/model}). */
    public record Providers(List<Provider> list, java.util.Map<String, String> aliases) {
        public Providers {
            list = List.copyOf(list);
            aliases = java.util.Map.copyOf(aliases);
        }
    }

    /**
     * Bounds on every JSON body the gateway parses (admin API and proxy alike), applied by the parser itself before a
     * tree is built: nesting depth, one string's length, one number's digits, one field name's length.
     */
    public record JsonLimits(int maxDepth, int maxStringChars, int maxNumberChars, int maxNameChars) {
        public static final JsonLimits DEFAULTS = new JsonLimits(DEFAULT_JSON_MAX_DEPTH, DEFAULT_MAX_BODY_BYTES,
                DEFAULT_JSON_MAX_NUMBER_CHARS, DEFAULT_JSON_MAX_NAME_CHARS);
    }

    /**
     * How the gateway speaks to its upstream beyond the timeouts: the keep-alive pool, the framing bounds, the
     * trust store for private endpoints and the egress proxy (null when none applies to the upstream's host).
     */
    public record UpstreamLimits(long keepAliveMs, int maxIdleConnections, int maxHeaders, int maxHeaderBytes,
                                 Path trustStore, String trustStorePassword, URI proxy) {
        @Override
        public String toString() {
            return "UpstreamLimits[keepAliveMs=" + keepAliveMs + ", maxIdleConnections=" + maxIdleConnections
                    + ", maxHeaders=" + maxHeaders + ", maxHeaderBytes=" + maxHeaderBytes + ", trustStore=" + trustStore
                    + ", proxy=" + (proxy == null ? "none" : proxy.getHost() + ":" + proxy.getPort()) + "]";
        }
    }

    /**
     * Multipart uploads (audio to transcribe, images to edit), streamed on as they arrive: the largest upload
     * ({@code MAX_UPLOAD_BYTES}, OpenAI's own largest file limit for these endpoints) and the text fields of one form
     * held in memory ({@code MAX_FORM_FIELD_BYTES}); a batch's input file read to estimate it
     * ({@code MAX_BATCH_INPUT_BYTES}, OpenAI's limit) and its output file read to settle it ({@code MAX_BATCH_OUTPUT_BYTES});
     * how long a background response's reservation is held before it expires at its estimate ({@code BACKGROUND_HOLD_S});
     * how often the worker asks the provider about held batches and background responses ({@code HELD_POLL_MS}).
     */
    public record ObjectLimits(long maxUploadBytes, int maxFormFieldBytes, long maxBatchInputBytes, long maxBatchOutputBytes,
                               long backgroundHoldS, long heldPollMs) {
        public static final long DEFAULT_BACKGROUND_HOLD_S = 6 * 3600;
        public static final long DEFAULT_HELD_POLL_MS = 30_000;
        public static final long DEFAULT_MAX_UPLOAD_BYTES = 50L * 1024 * 1024;
        public static final int DEFAULT_MAX_FORM_FIELD_BYTES = 64 * 1024;
        public static final long DEFAULT_MAX_BATCH_INPUT_BYTES = 200L * 1024 * 1024;
        public static final long DEFAULT_MAX_BATCH_OUTPUT_BYTES = 1024L * 1024 * 1024;
        public static final ObjectLimits DEFAULTS = new ObjectLimits(DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_MAX_FORM_FIELD_BYTES,
                DEFAULT_MAX_BATCH_INPUT_BYTES, DEFAULT_MAX_BATCH_OUTPUT_BYTES, DEFAULT_BACKGROUND_HOLD_S, DEFAULT_HELD_POLL_MS);
    }

    public long maxBatchInputBytes() {
        return objectLimits.maxBatchInputBytes();
    }

    public long heldPollMs() {
        return objectLimits.heldPollMs();
    }

    public long backgroundHoldS() {
        return objectLimits.backgroundHoldS();
    }

    public long maxBatchOutputBytes() {
        return objectLimits.maxBatchOutputBytes();
    }

    /** The upstreams: the providers file's, else the one OpenAI upstream of OPENAI_BASE_URL and OPENAI_KEY. */
    public List<Provider> upstreams() {
        if (providers != null) return providers.list();
        return List.of(new Provider(Provider.DEFAULT_NAME, ProviderKind.OPENAI, openaiBaseUrl, openaiKey, "OPENAI_KEY",
                upstreamConnectTimeoutMs, upstreamFirstByteTimeoutMs, upstreamIdleTimeoutMs, io.budgetguard.pricing.PriceTable.OPENAI,
                java.util.Map.of(), true, upstreamLimits.proxy()));
    }

    public long maxUploadBytes() {
        return objectLimits.maxUploadBytes();
    }

    public int maxFormFieldBytes() {
        return objectLimits.maxFormFieldBytes();
    }

    /**
     * Realtime sessions ({@code /v1/realtime} over WebSocket) on their own listener: its port ({@code REALTIME_PORT};
     * -1, the default, is off; 0 any free port), the sessions open at once, the longest one lasts, and the largest
     * message either side may send.
     */
    public record RealtimeLimits(int port, int maxSessions, long sessionMaxS, int maxMessageBytes) {
        public static final int DEFAULT_MAX_SESSIONS = 256;
        public static final long DEFAULT_SESSION_MAX_S = 3600;
        public static final int DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
        public static final RealtimeLimits DEFAULTS = new RealtimeLimits(-1, DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_MAX_S,
                DEFAULT_MAX_MESSAGE_BYTES);
    }

    public static final int DEFAULT_PORT = 3000;
    public static final int DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
    public static final int DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
    public static final int DEFAULT_MAX_INFLIGHT_REQUESTS = 1024;
    public static final long DEFAULT_REQUEST_READ_TIMEOUT_MS = 30_000;
    public static final long DEFAULT_CLIENT_IDLE_TIMEOUT_MS = 30_000;
    public static final long DEFAULT_UPSTREAM_CONNECT_TIMEOUT_MS = 5_000;
    /** Reasoning models can think for minutes before their first byte. */
    public static final long DEFAULT_UPSTREAM_FIRST_BYTE_TIMEOUT_MS = 600_000;
    public static final long DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS = 120_000;
    public static final int DEFAULT_MAX_SSE_EVENT_BYTES = 1024 * 1024;
    /** Key revocation and tenant changes reach every gateway within this (DESIGN §6: 1 s). */
    public static final long DEFAULT_AUTH_CACHE_TTL_MS = 1_000;
    public static final long DEFAULT_REDIS_TIMEOUT_MS = 2_000;
    public static final int DEFAULT_REDIS_POOL_SIZE = 64;
    public static final int DEFAULT_POLICY_PROMPT_BYTES_MAX = 16 * 1024;
    public static final long DEFAULT_POLICY_TIMEOUT_MS = 1_000;
    public static final long DEFAULT_POLICY_POLL_MS = 1_000;
    /**
     * Idle upstream connections are retired after this, before the upstream's own keep-alive limit closes them
     * (uvicorn and Node servers close after 5 s): a request is then rarely written on a connection that is closing.
     */
    public static final long DEFAULT_UPSTREAM_KEEPALIVE_MS = 4_000;
    public static final int DEFAULT_UPSTREAM_MAX_IDLE_CONNECTIONS = 256;
    public static final int DEFAULT_UPSTREAM_MAX_HEADERS = 100;
    public static final int DEFAULT_UPSTREAM_MAX_HEADER_BYTES = 64 * 1024;
    public static final long DEFAULT_CLIENT_WRITE_TIMEOUT_MS = 30_000;
    public static final long DEFAULT_SHUTDOWN_GRACE_S = 25;
    /** Tool schemas nest; nothing an API takes nests deeper than this. */
    public static final int DEFAULT_JSON_MAX_DEPTH = 128;
    public static final int DEFAULT_JSON_MAX_NUMBER_CHARS = 100;
    public static final int DEFAULT_JSON_MAX_NAME_CHARS = 1024;

    /** Without REQUEST_DEADLINE_MS a request may run for 90 % of its reservation's lifetime. */
    public static long defaultRequestDeadlineMs(long reservationTimeoutS) {
        return reservationTimeoutS * 1000 / 10 * 9;
    }

    /** Policy instances: one per core keeps every core busy; each costs a compiled wasm module of memory. */
    public static int defaultPolicyPoolSize() {
        return Math.max(2, Runtime.getRuntime().availableProcessors());
    }

    public boolean adminEnabled() {
        return adminApiKey != null;
    }

    public boolean embedded() {
        return databaseUrl == null && redisUrl == null;
    }

    @Override
    public String toString() {
        return "Settings[openaiBaseUrl=" + openaiBaseUrl + ", openaiKey=" + (openaiKey == null ? "unset" : "set")
                + ", adminApiKey=" + (adminApiKey == null ? "unset" : "set") + ", port=" + port
                + ", dataDir=" + dataDir + ", maxReqsPerMin=" + maxReqsPerMin + ", defaultBudgets=" + defaultBudgets + "]";
    }
}
