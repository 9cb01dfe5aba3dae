package io.budgetguard.billing;

import com.stripe.StripeClient;
import com.stripe.exception.ApiConnectionException;
import com.stripe.exception.AuthenticationException;
import com.stripe.exception.InvalidRequestException;
import com.stripe.exception.StripeException;
import com.stripe.net.RequestOptions;
import com.stripe.param.billing.MeterEventCreateParams;
import io.budgetguard.core.Money;
import io.budgetguard.log.JsonLog;
import io.budgetguard.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Stripe showback duty: each mapped tenant's ledger rows, in chain order, become Stripe Billing meter events
 * (the row's cost in micro-USD for its key's, user's or tenant's customer). Each event's identifier is derived from
 * the row ({@code bg_<request id>}), which Stripe deduplicates; the tenant's watermark (the last chain number
 * reported) is advanced in the same transaction that holds the tenant's watermark row locked, so a restart or a
 * second worker resumes after it instead of reporting again. A transient failure (network, 429, 5xx, a wrong key)
 * stops the tenant's batch and backs off; a refused event (400: e.g. older than Stripe's 35 days) is skipped and
 * counted.
 */
public final class StripeShowback {
    /** Batches one tenant reports in one pass at most, so a tenant with a large backlog does not hold the others up. */
    static final int MAX_BATCHES_PER_PASS = 10;
    /** Counters since this process started, and the lag of the last pass. */
    public record Health(long eventsSent, long rowsSkipped, long failures, long lagRows, long lagMs) {}

    private final Database db;
    private final StripeCustomers customers;
    private final StripeSettings settings;
    private final StripeClient stripe;
    private final Clock clock;
    private final AtomicLong sent = new AtomicLong(), skipped = new AtomicLong(), failures = new AtomicLong();
    private volatile long lagRows, lagMs;

    public StripeShowback(Database db, StripeCustomers customers, StripeSettings settings, Clock clock) {
        this.db = db;
        this.customers = customers;
        this.settings = settings;
        this.clock = clock;
        this.stripe = StripeClient.builder().setApiKey(settings.apiKey()).setApiBase(settings.apiBase().toString())
                .setConnectTimeout((int) settings.timeoutMs()).setReadTimeout((int) settings.timeoutMs())
                .setMaxNetworkRetries(0) // retried here, with backoff, by the watermark
                .build();
    }

    public Health health() {
        return new Health(sent.get(), skipped.get(), failures.get(), lagRows, lagMs);
    }

    /** One pass over every mapped tenant: reports until each is caught up or backing off; returns events sent. */
    public int runOnce() {
        int total = 0;
        long rows = 0, oldestMs = 0;
        for (String tenant : customers.mappedTenants()) {
            try {
                total += report(tenant);
            } catch (io.budgetguard.core.StoreUnavailableException e) {
                JsonLog.warn("stripe_showback_tenant_failed", "tenant", tenant, "error", e.getMessage());
            }
            long[] lag = lag(tenant);
            rows += lag[0];
            if (lag[1] > 0) oldestMs = Math.max(oldestMs, clock.millis() - lag[1]);
        }
        lagRows = rows;
        lagMs = oldestMs;
        return total;
    }

    /** A tenant's batches, one transaction each, until it is caught up, backing off, or the pass's bound is reached. */
    private int report(String tenant) {
        ensureWatermark(tenant);
        StripeCustomers.Mapping mapping = customers.find(tenant);
        int total = 0;
        for (int batch = 0; batch < MAX_BATCHES_PER_PASS; batch++) {
            int[] outcome = db.inTransaction("stripe showback", c -> reportBatch(c, tenant, mapping));
            total += outcome[0];
            if (outcome[1] == 0) break; // caught up, or backing off
        }
        return total;
    }

    /** Returns {events sent, whether more rows may follow}. */
    private int[] reportBatch(Connection c, String tenant, StripeCustomers.Mapping mapping) throws SQLException {
        long reportedSeq;
        int attempts;
        try (PreparedStatement ps = c.prepareStatement(db.query("stripe_watermark_lock"))) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return new int[] {0, 0};
                reportedSeq = rs.getLong(1);
                attempts = rs.getInt(2);
                if (rs.getObject(3, OffsetDateTime.class).toInstant().isAfter(clock.instant())) return new int[] {0, 0};
            }
        }
        List<Row> rows = rowsAfter(c, tenant, reportedSeq);
        long seq = reportedSeq;
        int sentNow = 0, skippedNow = 0;
        boolean failed = false;
        for (Row r : rows) {
            String customer = mapping.customerFor(r.apiKeyId(), r.endUser());
            if (customer == null || r.costMicroUsd() == 0) {
                seq = r.seq(); // nobody to bill, or nothing to bill
                continue;
            }
            Outcome o = send(tenant, customer, r);
            if (o == Outcome.RETRY) {
                failed = true;
                break;
            }
            if (o == Outcome.SENT) sentNow++;
            else skippedNow++;
            seq = r.seq();
        }
        int nextAttempts = failed ? attempts + 1 : 0;
        Instant next = failed ? clock.instant().plusMillis(Math.min(settings.maxBackoffMs(), 1_000L << Math.min(20, nextAttempts)))
                : clock.instant();
        try (PreparedStatement ps = c.prepareStatement(db.query("stripe_watermark_update"))) {
            ps.setLong(1, seq);
            ps.setLong(2, sentNow);
            ps.setLong(3, skippedNow);
            ps.setInt(4, nextAttempts);
            ps.setObject(5, Database.utc(next));
            ps.setObject(6, Database.utc(clock.instant()));
            ps.setString(7, tenant);
            ps.executeUpdate();
        }
        sent.addAndGet(sentNow);
        skipped.addAndGet(skippedNow);
        if (failed) failures.incrementAndGet();
        return new int[] {sentNow, !failed && rows.size() == settings.batchRows() ? 1 : 0};
    }

    private enum Outcome { SENT, SKIPPED, RETRY }

    private Outcome send(String tenant, String customer, Row r) {
        String identifier = "bg_" + r.requestId();
        MeterEventCreateParams params = MeterEventCreateParams.builder().setEventName(settings.eventName())
                .setIdentifier(identifier).setTimestamp(r.finishedAt().getEpochSecond())
                .putPayload(settings.customerPayloadKey(), customer).putPayload(settings.valuePayloadKey(), Long.toString(r.costMicroUsd()))
                .build();
        try {
            stripe.v1().billing().meterEvents().create(params, RequestOptions.builder().setIdempotencyKey(identifier).build());
            return Outcome.SENT;
        } catch (InvalidRequestException e) {
            if (e.getStatusCode() != null && e.getStatusCode() == 429) return retry(tenant, e);
            JsonLog.warn("stripe_meter_event_refused", "tenant", tenant, "request_id", r.requestId(), "status", e.getStatusCode(),
                    "code", e.getCode(), "message", e.getStripeError() == null ? null : e.getStripeError().getMessage());
            return Outcome.SKIPPED;
        } catch (AuthenticationException e) {
            JsonLog.error("stripe_authentication_failed", "tenant", tenant, "status", e.getStatusCode());
            return Outcome.RETRY;
        } catch (ApiConnectionException e) {
            return retry(tenant, e);
        } catch (StripeException e) {
            return retry(tenant, e);
        }
    }

    private static Outcome retry(String tenant, StripeException e) {
        JsonLog.warn("stripe_meter_event_failed", "tenant", tenant, "error", e.getClass().getSimpleName(), "status", e.getStatusCode());
        return Outcome.RETRY;
    }

    private record Row(long seq, String requestId, String apiKeyId, String endUser, long costMicroUsd, Instant finishedAt) {}

    private List<Row> rowsAfter(Connection c, String tenant, long seq) throws SQLException {
        List<Row> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(db.query("stripe_rows_after"))) {
            ps.setString(1, tenant);
            ps.setLong(2, seq);
            ps.setInt(3, settings.batchRows());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            Money.microUsdFromSql(rs.getBigDecimal(5)), rs.getObject(6, OffsetDateTime.class).toInstant()));
                }
            }
        }
        return out;
    }

    private void ensureWatermark(String tenant) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("stripe_watermark_insert"))) {
            ps.setString(1, tenant);
            ps.setObject(2, Database.utc(clock.instant()));
            ps.setObject(3, Database.utc(clock.instant()));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw Database.unavailable("stripe watermark", e);
        }
    }

    /** {rows not yet reported, finished_at of the oldest in epoch ms (0 for none)}. */
    private long[] lag(String tenant) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("stripe_lag"))) {
            ps.setString(1, tenant);
            ps.setString(2, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return new long[] {0, 0};
                OffsetDateTime oldest = rs.getObject(2, OffsetDateTime.class);
                return new long[] {rs.getLong(1), oldest == null ? 0 : oldest.toInstant().toEpochMilli()};
            }
        } catch (SQLException e) {
            return new long[] {0, 0};
        }
    }
}
