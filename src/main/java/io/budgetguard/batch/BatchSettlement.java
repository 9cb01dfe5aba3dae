package io.budgetguard.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.budget.ReservationPayload;
import io.budgetguard.budget.SpendCounters;
import io.budgetguard.config.Provider;
import io.budgetguard.core.Reservation;
import io.budgetguard.core.UsageEvent;
import io.budgetguard.core.WindowRef;
import io.budgetguard.log.JsonLog;
import io.budgetguard.pricing.ModelPrice;
import io.budgetguard.pricing.PriceTable;
import io.budgetguard.tenant.TenantObjects;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The worker duty that ends held batches: each pass asks the provider about every batch that still holds its
 * reservation; one that finished (completed, failed, expired, cancelled: OpenAI bills what it ran in each) is
 * settled at its output file's usage at the batch price, and its ledger row written, once: the settle is idempotent
 * per reservation, so a worker that dies between the settle and the mark settles nothing twice. A batch whose
 * reservation passed its deadline is left to the reservation expiry (settled at its estimate) and no longer asked
 * about.
 */
public final class BatchSettlement {
    static final Set<String> FINAL = Set.of("completed", "failed", "expired", "cancelled");
    /** Batches visited in one pass at most. */
    static final int MAX_PER_PASS = 200;

    private final TenantObjects objects;
    private final SpendCounters counters;
    private final BiFunction<Reservation, Long, List<WindowRef>> currentWindows;
    private final Map<String, Provider> providers;
    private final PriceTable prices;
    private final ObjectMapper json;
    private final Clock clock;
    private final HttpClient http;
    private final long maxOutputBytes;
    private final int maxLineBytes;
    private final io.budgetguard.metrics.Metrics metrics;

    public BatchSettlement(TenantObjects objects, SpendCounters counters, BiFunction<Reservation, Long, List<WindowRef>> currentWindows,
                           List<Provider> providers, PriceTable prices, ObjectMapper json, Clock clock, long maxOutputBytes,
                           int maxLineBytes, io.budgetguard.metrics.Metrics metrics) {
        this.metrics = metrics;
        this.objects = objects;
        this.counters = counters;
        this.currentWindows = currentWindows;
        Map<String, Provider> byName = new java.util.HashMap<>();
        for (Provider p : providers) byName.put(p.name(), p);
        this.providers = Map.copyOf(byName);
        this.prices = prices;
        this.json = json;
        this.clock = clock;
        this.maxOutputBytes = maxOutputBytes;
        this.maxLineBytes = maxLineBytes;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** One pass over the held batches; returns how many were settled. */
    public int runOnce() {
        int settled = 0;
        for (TenantObjects.HeldBatch b : objects.heldBatches(MAX_PER_PASS)) {
            try {
                if (visit(b)) settled++;
            } catch (IOException | RuntimeException e) {
                JsonLog.warn("batch_poll_failed", "batch", b.batchId(), "tenant", b.tenantId(), "error", e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return settled;
            }
        }
        return settled;
    }

    private boolean visit(TenantObjects.HeldBatch b) throws IOException, InterruptedException {
        Reservation r = ReservationPayload.read(b.tenantId(), reservationId(b.reservation()), payload(b.reservation()));
        Provider p = providers.get(b.provider());
        long now = clock.millis();
        if (now > r.deadlineMs() || p == null) {
            // The reservation expiry settles it at its estimate: a batch never seen to finish is billed at its worst case.
            JsonLog.warn("batch_unfinished_at_deadline", "batch", b.batchId(), "tenant", b.tenantId(), "provider", b.provider());
            objects.batchSettled(b.batchId(), null, Instant.ofEpochMilli(now));
            return false;
        }
        HttpResponse<byte[]> got = http.send(get(p, "/batches/" + b.batchId()), HttpResponse.BodyHandlers.ofByteArray());
        if (got.statusCode() != 200) throw new IOException("the provider answered " + got.statusCode() + " for the batch");
        JsonNode batch = json.readTree(got.body());
        String status = batch.path("status").asText();
        if (!FINAL.contains(status)) {
            objects.describe(TenantObjects.BATCH, b.batchId(), json.writeValueAsString(batch));
            return false;
        }
        ModelPrice fallback = prices.lookup(p.priceList(), r.model()).orElseThrow(
                () -> new IllegalStateException("the batch's model " + r.model() + " lost its price"));
        BatchOutput out = new BatchOutput(json, m -> prices.lookup(p.priceList(), m), fallback, maxLineBytes);
        String outputFile = batch.path("output_file_id").asText(null);
        if (outputFile != null) read(p, outputFile, out);
        out.finish();
        if (out.unreadable() > 0) JsonLog.warn("batch_output_unreadable_lines", "batch", b.batchId(), "lines", out.unreadable());
        settle(b, r, batch, out);
        return true;
    }

    private void settle(TenantObjects.HeldBatch b, Reservation r, JsonNode batch, BatchOutput out) throws IOException {
        long now = clock.millis();
        long cost = out.costMicroUsd();
        Instant started = Instant.ofEpochMilli(r.createdMs());
        Instant finished = Instant.ofEpochMilli(Math.max(now, r.createdMs()));
        UsageEvent event = new UsageEvent(r.id(), r.tenantId(), r.apiKeyId(), r.endpoint(), r.provider(), r.model(),
                UsageEvent.Status.OK, out.promptTokens(), out.cachedTokens(), 0, out.completionTokens(), r.estimateMicroUsd(),
                cost, 200, started, finished, r.endUser(), r.tags());
        SpendCounters.SettleResult result = counters.settle(r, cost, now, event, currentWindows.apply(r, now));
        if (result != SpendCounters.SettleResult.ALREADY) {
            metrics.spend(r.tenantId(), cost);
            metrics.ledgerRowRecorded();
        }
        if (cost > r.estimateMicroUsd()) {
            JsonLog.error("settle_overrun", "request_id", r.id(), "tenant", r.tenantId(), "batch", b.batchId(),
                    "estimate_micro_usd", r.estimateMicroUsd(), "actual_micro_usd", cost);
        }
        objects.batchSettled(b.batchId(), json.writeValueAsString(batch), Instant.ofEpochMilli(now));
        JsonLog.info("batch_settled", "batch", b.batchId(), "tenant", r.tenantId(), "requests", out.requests(),
                "cost_micro_usd", cost, "estimate_micro_usd", r.estimateMicroUsd(), "result", result.name().toLowerCase(java.util.Locale.ROOT));
    }

    /** Streams a file's content into the output reader, bounded. */
    private void read(Provider p, String fileId, BatchOutput out) throws IOException, InterruptedException {
        HttpResponse<InputStream> got = http.send(get(p, "/files/" + fileId + "/content"), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = got.body()) {
            if (got.statusCode() != 200) throw new IOException("the provider answered " + got.statusCode() + " for the output file");
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
                if (total > maxOutputBytes) throw new IOException("the output file is larger than " + maxOutputBytes + " bytes");
                out.feed(buf, 0, n);
            }
        }
    }

    private HttpRequest get(Provider p, String path) {
        // OpenAI's base URL is its host (paths carry /v1); an openai-compatible server's carries its own prefix.
        String base = p.baseUrl().toString().replaceAll("/+$", "")
                + (p.kind() == io.budgetguard.config.ProviderKind.OPENAI ? "/v1" : "");
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).GET()
                .timeout(Duration.ofMillis(Math.max(1_000, p.firstByteTimeoutMs())));
        if (p.key() != null) b.header("Authorization", "Bearer " + p.key());
        return b.build();
    }

    /** The held reservation column: its id, a newline, its payload. */
    public static String held(Reservation r) {
        return r.id() + "\n" + ReservationPayload.write(r);
    }

    private static String reservationId(String held) {
        return held.substring(0, held.indexOf('\n'));
    }

    private static String payload(String held) {
        return held.substring(held.indexOf('\n') + 1);
    }
}
