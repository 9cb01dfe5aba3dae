package io.budgetguard.deferred;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.config.Provider;
import io.budgetguard.log.JsonLog;
import io.budgetguard.pricing.ModelPrice;
import io.budgetguard.pricing.PriceTable;
import io.budgetguard.tenant.TenantObjects;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The worker duty that ends held batches: each pass asks the provider about every batch that still holds its
 * reservation; one that ended (completed, failed, expired, cancelled: OpenAI bills what it ran in each) is settled
 * at its output file's usage at the batch price, once ({@link DeferredSettlement}). A batch whose reservation
 * passed its deadline is left to the reservation expiry (settled at its estimate) and no longer asked about.
 */
public final class BatchSettlement {
    static final Set<String> FINAL = Set.of("completed", "failed", "expired", "cancelled");
    /** A batch object is small; anything larger is not one. */
    static final int MAX_OBJECT_BYTES = 1024 * 1024;

    private final TenantObjects objects;
    private final DeferredSettlement settlement;
    private final Map<String, Provider> providers;
    private final PriceTable prices;
    private final ObjectMapper json;
    private final Clock clock;
    private final ProviderHttp http = new ProviderHttp();
    private final long maxOutputBytes;
    private final int maxLineBytes;

    public BatchSettlement(TenantObjects objects, DeferredSettlement settlement, List<Provider> providers, PriceTable prices,
                           ObjectMapper json, Clock clock, long maxOutputBytes, int maxLineBytes) {
        this.objects = objects;
        this.settlement = settlement;
        this.providers = DeferredSettlement.byName(providers);
        this.prices = prices;
        this.json = json;
        this.clock = clock;
        this.maxOutputBytes = maxOutputBytes;
        this.maxLineBytes = maxLineBytes;
    }

    /** One pass over the held batches; returns how many this pass settled. */
    public int runOnce() {
        return settlement.pass(TenantObjects.BATCH, providers, "batch_poll_failed", this::visit);
    }

    private boolean visit(TenantObjects.Held b, HeldReservation held, Provider p) throws IOException, InterruptedException {
        ProviderHttp.Got got = http.get(p, "/batches/" + b.objectId(), MAX_OBJECT_BYTES);
        if (got.status() != 200) throw new IOException("the provider answered " + got.status() + " for the batch");
        JsonNode batch = json.readTree(got.body());
        if (!FINAL.contains(batch.path("status").asText())) {
            objects.describe(TenantObjects.BATCH, b.objectId(), batch.toString());
            return false;
        }
        objects.recordBatchFiles(b.tenantId(), b.provider(), batch, clock.instant());
        ModelPrice fallback = prices.lookup(p.priceList(), held.pricedAs()).orElseThrow(
                () -> new IllegalStateException("the batch's model " + held.pricedAs() + " lost its price"));
        BatchOutput out = new BatchOutput(json, m -> prices.lookup(p.priceList(), m), fallback, maxLineBytes);
        String outputFile = batch.path("output_file_id").asText(null);
        if (outputFile != null) read(p, outputFile, out);
        out.finish();
        if (out.unreadable() > 0) JsonLog.warn("batch_output_unreadable_lines", "batch", b.objectId(), "lines", out.unreadable());
        return settlement.settle(TenantObjects.BATCH, b.objectId(), held, new DeferredSettlement.Usage(out.promptTokens(),
                out.cachedTokens(), out.completionTokens(), out.costMicroUsd()), batch.toString());
    }

    /** Streams a file's content into the output reader, bounded. */
    private void read(Provider p, String fileId, BatchOutput out) throws IOException, InterruptedException {
        HttpResponse<InputStream> got = http.stream(p, "/files/" + fileId + "/content");
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
}
