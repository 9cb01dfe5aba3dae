package io.budgetguard.config;

import io.budgetguard.core.Budget;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds {@link Settings} by name: a setting added to the record gets a setter here, and no call counts commas.
 * Only {@link SettingsLoader} (which validates every value) and tests build settings; nothing has a default here.
 */
public final class SettingsBuilder {
    private String openaiKey;
    private URI openaiBaseUrl;
    private String adminApiKey;
    private int maxReqsPerMin;
    private List<Budget> defaultBudgets;
    private Path opaPolicyPath;
    private boolean opaPolicyPathExplicit;
    private boolean dev;
    private String databaseUrl;
    private String redisUrl;
    private String bindAddress;
    private int port;
    private long reservationTimeoutS;
    private Path dataDir;
    private Path pricesPath;
    private long[] defaultPriceMicroUsdPerMTok;
    private int maxBodyBytes;
    private int maxHeaderBytes;
    private int maxInflightRequests;
    private long requestReadTimeoutMs;
    private long clientIdleTimeoutMs;
    private long upstreamConnectTimeoutMs;
    private long upstreamFirstByteTimeoutMs;
    private long upstreamIdleTimeoutMs;
    private int maxSseEventBytes;
    private long authCacheTtlMs;
    private long redisTimeoutMs;
    private int redisPoolSize;
    private int policyPoolSize;
    private int policyPromptBytesMax;
    private long policyTimeoutMs;
    private long policyPollMs;
    private long policyMemoBytes = io.budgetguard.policy.PolicyEngine.DEFAULT_MEMO_BYTES;
    private String alertWebhookUrl;
    private long workerPeriodMs;
    private Settings.RefusalLimits refusalLimits = Settings.RefusalLimits.DEFAULTS;
    private io.budgetguard.alert.SmtpRelay alertSmtp;
    private io.budgetguard.billing.StripeSettings stripe;
    private io.budgetguard.billing.ReconcileSettings reconcile;
    private Settings.ObjectLimits objectLimits = Settings.ObjectLimits.DEFAULTS;
    private Settings.RealtimeLimits realtime = Settings.RealtimeLimits.DEFAULTS;
    private int dbPoolSize;
    private long dbTimeoutMs;
    private long ledgerClaimIdleMs;
    private Settings.UpstreamLimits upstreamLimits;
    private long requestDeadlineMs;
    private long clientWriteTimeoutMs;
    private long shutdownGraceS;
    private Settings.JsonLimits jsonLimits;
    private long defaultMaxOutputTokens;
    private boolean metricsPerTenant;
    private java.net.InetSocketAddress adminListen;
    private boolean upstreamSimulated;
    private Settings.Providers providers;

    SettingsBuilder() {}

    /** A copy of {@code s} to change a setting in (the composition root points the upstream at the simulator). */
    public static SettingsBuilder from(Settings s) {
        SettingsBuilder b = new SettingsBuilder();
        b.openaiKey = s.openaiKey();
        b.openaiBaseUrl = s.openaiBaseUrl();
        b.adminApiKey = s.adminApiKey();
        b.maxReqsPerMin = s.maxReqsPerMin();
        b.defaultBudgets = s.defaultBudgets();
        b.opaPolicyPath = s.opaPolicyPath();
        b.opaPolicyPathExplicit = s.opaPolicyPathExplicit();
        b.dev = s.dev();
        b.databaseUrl = s.databaseUrl();
        b.redisUrl = s.redisUrl();
        b.bindAddress = s.bindAddress();
        b.port = s.port();
        b.reservationTimeoutS = s.reservationTimeoutS();
        b.dataDir = s.dataDir();
        b.pricesPath = s.pricesPath();
        b.defaultPriceMicroUsdPerMTok = s.defaultPriceMicroUsdPerMTok();
        b.maxBodyBytes = s.maxBodyBytes();
        b.maxHeaderBytes = s.maxHeaderBytes();
        b.maxInflightRequests = s.maxInflightRequests();
        b.requestReadTimeoutMs = s.requestReadTimeoutMs();
        b.clientIdleTimeoutMs = s.clientIdleTimeoutMs();
        b.upstreamConnectTimeoutMs = s.upstreamConnectTimeoutMs();
        b.upstreamFirstByteTimeoutMs = s.upstreamFirstByteTimeoutMs();
        b.upstreamIdleTimeoutMs = s.upstreamIdleTimeoutMs();
        b.maxSseEventBytes = s.maxSseEventBytes();
        b.authCacheTtlMs = s.authCacheTtlMs();
        b.redisTimeoutMs = s.redisTimeoutMs();
        b.redisPoolSize = s.redisPoolSize();
        b.policyPoolSize = s.policyPoolSize();
        b.policyPromptBytesMax = s.policyPromptBytesMax();
        b.policyTimeoutMs = s.policyTimeoutMs();
        b.policyPollMs = s.policyPollMs();
        b.policyMemoBytes = s.policyMemoBytes();
        b.alertWebhookUrl = s.alertWebhookUrl();
        b.workerPeriodMs = s.workerPeriodMs();
        b.refusalLimits = s.refusalLimits();
        b.alertSmtp = s.alertSmtp();
        b.stripe = s.stripe();
        b.reconcile = s.reconcile();
        b.objectLimits = s.objectLimits();
        b.realtime = s.realtime();
        b.dbPoolSize = s.dbPoolSize();
        b.dbTimeoutMs = s.dbTimeoutMs();
        b.ledgerClaimIdleMs = s.ledgerClaimIdleMs();
        b.upstreamLimits = s.upstreamLimits();
        b.requestDeadlineMs = s.requestDeadlineMs();
        b.clientWriteTimeoutMs = s.clientWriteTimeoutMs();
        b.shutdownGraceS = s.shutdownGraceS();
        b.jsonLimits = s.jsonLimits();
        b.defaultMaxOutputTokens = s.defaultMaxOutputTokens();
        b.metricsPerTenant = s.metricsPerTenant();
        b.adminListen = s.adminListen();
        b.upstreamSimulated = s.upstreamSimulated();
        b.providers = s.providers();
        return b;
    }

    public SettingsBuilder openaiKey(String value) { openaiKey = value; return this; }
    public SettingsBuilder openaiBaseUrl(URI value) { openaiBaseUrl = value; return this; }
    public SettingsBuilder adminApiKey(String value) { adminApiKey = value; return this; }
    public SettingsBuilder maxReqsPerMin(int value) { maxReqsPerMin = value; return this; }
    public SettingsBuilder defaultBudgets(List<Budget> value) { defaultBudgets = value; return this; }
    public SettingsBuilder opaPolicyPath(Path value) { opaPolicyPath = value; return this; }
    public SettingsBuilder opaPolicyPathExplicit(boolean value) { opaPolicyPathExplicit = value; return this; }
    public SettingsBuilder dev(boolean value) { dev = value; return this; }
    public SettingsBuilder databaseUrl(String value) { databaseUrl = value; return this; }
    public SettingsBuilder redisUrl(String value) { redisUrl = value; return this; }
    public SettingsBuilder bindAddress(String value) { bindAddress = value; return this; }
    public SettingsBuilder port(int value) { port = value; return this; }
    public SettingsBuilder reservationTimeoutS(long value) { reservationTimeoutS = value; return this; }
    public SettingsBuilder dataDir(Path value) { dataDir = value; return this; }
    public SettingsBuilder pricesPath(Path value) { pricesPath = value; return this; }
    public SettingsBuilder defaultPriceMicroUsdPerMTok(long[] value) { defaultPriceMicroUsdPerMTok = value; return this; }
    public SettingsBuilder maxBodyBytes(int value) { maxBodyBytes = value; return this; }
    public SettingsBuilder maxHeaderBytes(int value) { maxHeaderBytes = value; return this; }
    public SettingsBuilder maxInflightRequests(int value) { maxInflightRequests = value; return this; }
    public SettingsBuilder requestReadTimeoutMs(long value) { requestReadTimeoutMs = value; return this; }
    public SettingsBuilder clientIdleTimeoutMs(long value) { clientIdleTimeoutMs = value; return this; }
    public SettingsBuilder upstreamConnectTimeoutMs(long value) { upstreamConnectTimeoutMs = value; return this; }
    public SettingsBuilder upstreamFirstByteTimeoutMs(long value) { upstreamFirstByteTimeoutMs = value; return this; }
    public SettingsBuilder upstreamIdleTimeoutMs(long value) { upstreamIdleTimeoutMs = value; return this; }
    public SettingsBuilder maxSseEventBytes(int value) { maxSseEventBytes = value; return this; }
    public SettingsBuilder authCacheTtlMs(long value) { authCacheTtlMs = value; return this; }
    public SettingsBuilder redisTimeoutMs(long value) { redisTimeoutMs = value; return this; }
    public SettingsBuilder redisPoolSize(int value) { redisPoolSize = value; return this; }
    public SettingsBuilder policyPoolSize(int value) { policyPoolSize = value; return this; }
    public SettingsBuilder policyPromptBytesMax(int value) { policyPromptBytesMax = value; return this; }
    public SettingsBuilder policyTimeoutMs(long value) { policyTimeoutMs = value; return this; }
    public SettingsBuilder policyPollMs(long value) { policyPollMs = value; return this; }
    public SettingsBuilder policyMemoBytes(long value) { policyMemoBytes = value; return this; }
    public SettingsBuilder alertWebhookUrl(String value) { alertWebhookUrl = value; return this; }
    public SettingsBuilder workerPeriodMs(long value) { workerPeriodMs = value; return this; }
    public SettingsBuilder dbPoolSize(int value) { dbPoolSize = value; return this; }
    public SettingsBuilder dbTimeoutMs(long value) { dbTimeoutMs = value; return this; }
    public SettingsBuilder ledgerClaimIdleMs(long value) { ledgerClaimIdleMs = value; return this; }
    public SettingsBuilder upstreamLimits(Settings.UpstreamLimits value) { upstreamLimits = value; return this; }
    public SettingsBuilder requestDeadlineMs(long value) { requestDeadlineMs = value; return this; }
    public SettingsBuilder clientWriteTimeoutMs(long value) { clientWriteTimeoutMs = value; return this; }
    public SettingsBuilder shutdownGraceS(long value) { shutdownGraceS = value; return this; }
    public SettingsBuilder jsonLimits(Settings.JsonLimits value) { jsonLimits = value; return this; }
    public SettingsBuilder defaultMaxOutputTokens(long value) { defaultMaxOutputTokens = value; return this; }
    public SettingsBuilder metricsPerTenant(boolean value) { metricsPerTenant = value; return this; }
    public SettingsBuilder adminListen(java.net.InetSocketAddress value) { adminListen = value; return this; }
    public SettingsBuilder upstreamSimulated(boolean value) { upstreamSimulated = value; return this; }
    public SettingsBuilder providers(Settings.Providers value) { providers = value; return this; }
    public SettingsBuilder refusalLimits(Settings.RefusalLimits value) { refusalLimits = value; return this; }
    public SettingsBuilder alertSmtp(io.budgetguard.alert.SmtpRelay value) { alertSmtp = value; return this; }
    public SettingsBuilder stripe(io.budgetguard.billing.StripeSettings value) { stripe = value; return this; }
    public SettingsBuilder reconcile(io.budgetguard.billing.ReconcileSettings value) { reconcile = value; return this; }
    public SettingsBuilder objectLimits(Settings.ObjectLimits value) { objectLimits = value; return this; }
    public SettingsBuilder realtime(Settings.RealtimeLimits value) { realtime = value; return this; }
    public Settings build() {
        return new Settings(openaiKey, openaiBaseUrl, adminApiKey, maxReqsPerMin, defaultBudgets, opaPolicyPath,
                opaPolicyPathExplicit, dev, databaseUrl, redisUrl, bindAddress, port, reservationTimeoutS, dataDir,
                pricesPath, defaultPriceMicroUsdPerMTok, maxBodyBytes, maxHeaderBytes, maxInflightRequests,
                requestReadTimeoutMs, clientIdleTimeoutMs, upstreamConnectTimeoutMs, upstreamFirstByteTimeoutMs,
                upstreamIdleTimeoutMs, maxSseEventBytes, authCacheTtlMs, redisTimeoutMs, redisPoolSize,
                policyPoolSize, policyPromptBytesMax, policyTimeoutMs, policyPollMs, policyMemoBytes, alertWebhookUrl, workerPeriodMs,
                dbPoolSize, dbTimeoutMs, ledgerClaimIdleMs, upstreamLimits, requestDeadlineMs, clientWriteTimeoutMs,
                shutdownGraceS, jsonLimits, defaultMaxOutputTokens, metricsPerTenant, adminListen, upstreamSimulated,
                providers, refusalLimits, alertSmtp, stripe, reconcile, objectLimits, realtime);
    }
}
