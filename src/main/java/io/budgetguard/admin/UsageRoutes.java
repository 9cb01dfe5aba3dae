package io.budgetguard.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.core.Money;
import io.budgetguard.http.HttpCall;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.ledger.UsageReport;
import io.budgetguard.tenant.Tenant;
import java.io.IOException;
import java.util.Map;

/** The admin API's reads of the ledger: a tenant's usage report and the chargeback CSV of every tenant. */
final class UsageRoutes {
    private final ObjectMapper json;
    private final UsageQuery usageQuery;
    private final Ledger ledger;

    UsageRoutes(ObjectMapper json, UsageQuery usageQuery, Ledger ledger) {
        this.json = json;
        this.usageQuery = usageQuery;
        this.ledger = ledger;
    }

    /** One tenant's totals by model or day over a range of days. */
    void report(HttpCall call, Tenant t) throws IOException {
        UsageQuery.Range range = usageQuery.parse(call.uri().getRawQuery());
        UsageReport report = ledger.report(t.id(), range.from(), range.to(), range.groupBy());
        ObjectNode out = json.createObjectNode();
        out.put("tenant", t.id());
        out.put("from", report.from().toString());
        out.put("to", report.to().toString());
        out.put("group_by", report.groupBy());
        ArrayNode rows = out.putArray("rows");
        for (UsageReport.Row r : report.rows()) rows.add(row(r, true));
        out.set("total", row(report.total(), false));
        call.sendJson(json, 200, out);
    }

    /** Chargeback CSV of every tenant by day, provider and model, streamed as the ledger is read. */
    void export(HttpCall call, Map<String, String> params) throws IOException {
        UsageQuery.Range range = usageQuery.parse(call.uri().getRawQuery());
        call.responseHeaders().set("Content-Type", "text/csv; charset=utf-8");
        call.responseHeaders().set("Content-Disposition",
                "attachment; filename=\"budgetguard-usage-" + range.from() + "-to-" + range.to() + ".csv\"");
        try (java.io.Writer w = new java.io.BufferedWriter(new java.io.OutputStreamWriter(call.startResponse(200, 0),
                java.nio.charset.StandardCharsets.UTF_8), 64 * 1024)) {
            w.write("day,tenant_id,provider,model,requests,prompt_tokens,cached_tokens,completion_tokens,cost_usd\n");
            ledger.export(range.from(), range.to(), (day, tenant, provider, model, requests, prompt, cached, completion, cost) ->
                    w.write(day + ',' + tenant + ',' + csv(provider) + ',' + csv(model) + ',' + requests + ',' + prompt + ',' + cached + ','
                            + completion + ',' + Money.usd(cost).toPlainString() + '\n'));
        }
    }

    /** Model names come from clients: quote them when they could break the CSV or start a formula. */
    static String csv(String v) {
        boolean quote = v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r")
                || (!v.isEmpty() && "=+-@".indexOf(v.charAt(0)) >= 0);
        if (!quote) return v;
        String safe = !v.isEmpty() && "=+-@".indexOf(v.charAt(0)) >= 0 ? "'" + v : v;
        return '"' + safe.replace("\"", "\"\"") + '"';
    }

    private ObjectNode row(UsageReport.Row r, boolean withKey) {
        ObjectNode o = json.createObjectNode();
        if (withKey) o.put("key", r.key());
        o.put("requests", r.requests());
        o.put("prompt_tokens", r.promptTokens());
        o.put("completion_tokens", r.completionTokens());
        o.put("cost_usd", usd(r.costMicroUsd()));
        return o;
    }

    /** USD for people: 12.5, not 12.500000 (exact: at most six decimals). */
    static java.math.BigDecimal usd(long microUsd) {
        return Money.usd(microUsd).stripTrailingZeros();
    }
}
