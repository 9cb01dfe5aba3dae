package io.budgetguard.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.http.HttpCall;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.ledger.RefusalLog;
import io.budgetguard.ledger.UsageReport;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The admin API's reads across tenants, the dashboard's sources: spend by tenant, key, user, model, provider, tag or
 * day ({@code GET /admin/usage}), refusals and the spend they prevented ({@code GET /admin/refusals}), and the
 * newest ledger rows ({@code GET /admin/ledger}).
 */
final class OverviewRoutes {
    private static final int DEFAULT_TOP = 10;
    private static final int DEFAULT_LEDGER_ROWS = 50;
    private static final String OTHERS = "(others)";

    private final ObjectMapper json;
    private final UsageQuery query;
    private final Ledger ledger;
    private final RefusalLog refusals;

    OverviewRoutes(ObjectMapper json, UsageQuery query, Ledger ledger, RefusalLog refusals) {
        this.json = json;
        this.query = query;
        this.ledger = ledger;
        this.refusals = refusals;
    }

    /**
     * Spend grouped by one dimension, largest first, at most {@code limit} rows and the rest summed as "(others)"
     * (by day: every day, oldest first). The total is the whole range's.
     */
    void usage(HttpCall call, Map<String, String> params) throws IOException {
        UsageQuery.Across q = query.parseAcross(call.uri().getRawQuery(), "tenant", DEFAULT_TOP);
        String group = q.range().groupBy().equals("user") ? "tenant_user" : q.range().groupBy();
        UsageReport report = ledger.report(q.tenant().isEmpty() ? null : q.tenant(), q.range().from(), q.range().to(), group,
                q.range().filter());
        List<UsageReport.Row> rows = new ArrayList<>(report.rows());
        boolean byDay = group.equals("day");
        if (!byDay) rows.sort(Comparator.comparingLong(UsageReport.Row::costMicroUsd).reversed().thenComparing(UsageReport.Row::key));
        ObjectNode out = header(q);
        ArrayNode list = out.putArray("rows");
        UsageReport.Row others = new UsageReport.Row(OTHERS, 0, 0, 0, 0);
        for (int i = 0; i < rows.size(); i++) {
            if (byDay || i < q.limit()) list.add(UsageRoutes.row(json, rows.get(i), true));
            else others = others.plus(OTHERS, rows.get(i));
        }
        if (others.requests() > 0) list.add(UsageRoutes.row(json, others, true));
        out.set("total", UsageRoutes.row(json, report.total(), true));
        call.sendJson(json, 200, out);
    }

    /** Refusals per reason, per tenant and per day, each with the worst-case spend the refused requests would have reserved. */
    void refusals(HttpCall call, Map<String, String> params) throws IOException {
        UsageQuery.Across q = query.parseAcross(call.uri().getRawQuery(), "tenant", DEFAULT_TOP);
        List<RefusalLog.DayCount> counts = refusals.byDay(q.tenant(), start(q.range().from()), start(q.range().to().plusDays(1)));
        Map<String, long[]> byReason = new TreeMap<>(), byTenant = new TreeMap<>(), byDay = new TreeMap<>();
        long requests = 0, prevented = 0;
        for (RefusalLog.DayCount c : counts) {
            add(byReason, c.status() + " " + c.reason(), c);
            add(byTenant, c.tenantId(), c);
            add(byDay, c.day(), c);
            requests += c.requests();
            prevented += c.preventedMicroUsd();
        }
        ObjectNode out = header(q);
        put(out.putArray("by_reason"), byReason, Integer.MAX_VALUE, "reason");
        put(out.putArray("by_tenant"), byTenant, q.limit(), "tenant");
        put(out.putArray("by_day"), byDay, Integer.MAX_VALUE, "day");
        ObjectNode total = out.putObject("total");
        total.put("requests", requests);
        total.put("prevented_usd", UsageRoutes.usd(prevented));
        call.sendJson(json, 200, out);
    }

    /** The newest ledger rows of the range, filtered like the usage report, plus {@code tenant=} and {@code status=}. */
    void latest(HttpCall call, Map<String, String> params) throws IOException {
        UsageQuery.Across q = query.parseAcross(call.uri().getRawQuery(), "day", DEFAULT_LEDGER_ROWS);
        List<Ledger.Row> rows = ledger.latest(q.tenant(), q.status(), start(q.range().from()), start(q.range().to().plusDays(1)),
                q.range().filter(), q.limit());
        ObjectNode out = header(q);
        ArrayNode list = out.putArray("rows");
        for (Ledger.Row r : rows) {
            ObjectNode o = list.addObject();
            o.put("request_id", r.requestId());
            o.put("tenant_id", r.tenantId());
            o.put("api_key_id", r.apiKeyId());
            o.put("endpoint", r.endpoint());
            o.put("provider", r.provider());
            o.put("model", r.model());
            o.put("status", r.status());
            o.put("prompt_tokens", r.promptTokens());
            o.put("completion_tokens", r.completionTokens());
            o.put("cost_usd", UsageRoutes.usd(r.costMicroUsd()));
            if (r.upstreamStatus() == null) o.putNull("upstream_status");
            else o.put("upstream_status", r.upstreamStatus());
            o.put("started_at", r.startedAt().toString());
            o.put("latency_ms", r.latencyMs());
            o.put("end_user", r.endUser());
            o.put("tags", r.tags());
        }
        call.sendJson(json, 200, out);
    }

    private ObjectNode header(UsageQuery.Across q) {
        ObjectNode out = json.createObjectNode();
        out.put("from", q.range().from().toString());
        out.put("to", q.range().to().toString());
        out.put("group_by", q.range().groupBy());
        if (!q.tenant().isEmpty()) out.put("tenant", q.tenant());
        return out;
    }

    private static void add(Map<String, long[]> sums, String key, RefusalLog.DayCount c) {
        long[] s = sums.computeIfAbsent(key, k -> new long[2]);
        s[0] += c.requests();
        s[1] += c.preventedMicroUsd();
    }

    /** The groups largest (by requests) first when limited, else in key order. */
    private static void put(ArrayNode into, Map<String, long[]> sums, int limit, String name) {
        List<Map.Entry<String, long[]>> entries = new ArrayList<>(sums.entrySet());
        if (limit != Integer.MAX_VALUE) entries.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        for (int i = 0; i < entries.size() && i < limit; i++) {
            ObjectNode o = into.addObject();
            o.put(name, entries.get(i).getKey());
            o.put("requests", entries.get(i).getValue()[0]);
            o.put("prevented_usd", UsageRoutes.usd(entries.get(i).getValue()[1]));
        }
    }

    private static Instant start(LocalDate day) {
        return day.atStartOfDay(ZoneOffset.UTC).toInstant();
    }
}
