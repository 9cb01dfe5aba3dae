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
import java.util.List;
import java.util.Map;

/** The admin API's reads of the ledger: a tenant's usage report and the chargeback CSV of every tenant. */
final class UsageRoutes {
    private final ObjectMapper json;
    private final UsageQuery usageQuery;
    private final Ledger ledger;

    /** Tenants by id, for the model groups an export names (each tenant read once per export). */
    private final java.util.function.Function<String, java.util.Optional<Tenant>> tenants;

    /** Sets the export's chain-heads header before its body starts. */
    private final java.util.function.Consumer<HttpCall> chainHeads;

    UsageRoutes(ObjectMapper json, UsageQuery usageQuery, Ledger ledger,
                java.util.function.Function<String, java.util.Optional<Tenant>> tenants, java.util.function.Consumer<HttpCall> chainHeads) {
        this.chainHeads = chainHeads;
        this.json = json;
        this.usageQuery = usageQuery;
        this.ledger = ledger;
        this.tenants = tenants;
    }

    /** One tenant's totals by model or day over a range of days. */
    void report(HttpCall call, Tenant t) throws IOException {
        UsageQuery.Range range = usageQuery.parse(call.uri().getRawQuery());
        UsageReport report = range.groupBy().equals("model_group")
                ? byModelGroup(t, ledger.report(t.id(), range.from(), range.to(), "model", range.filter()))
                : ledger.report(t.id(), range.from(), range.to(), range.groupBy(), range.filter());
        ObjectNode out = json.createObjectNode();
        out.put("tenant", t.id());
        out.put("from", report.from().toString());
        out.put("to", report.to().toString());
        out.put("group_by", report.groupBy());
        ArrayNode rows = out.putArray("rows");
        for (UsageReport.Row r : report.rows()) rows.add(row(json, r, true));
        out.set("total", row(json, report.total(), false));
        call.sendJson(json, 200, out);
    }

    /**
     * The per-model rows summed per model group (a model counts in every group it belongs to, by name or dated
     * snapshot; a model in none under ""). The total stays the ledger's, not the sum of the groups.
     */
    private static UsageReport byModelGroup(Tenant t, UsageReport byModel) {
        java.util.Map<String, UsageReport.Row> sums = new java.util.TreeMap<>();
        for (UsageReport.Row r : byModel.rows()) {
            java.util.List<String> groups = new java.util.ArrayList<>();
            for (Tenant.ModelGroup g : t.modelGroups()) if (g.scope().matches(null, r.key(), null)) groups.add(g.name());
            if (groups.isEmpty()) groups.add("");
            for (String g : groups) sums.merge(g, r, (a, b) -> a.plus(g, b));
        }
        java.util.List<UsageReport.Row> rows = new java.util.ArrayList<>();
        sums.forEach((g, s) -> rows.add(new UsageReport.Row(g, s.requests(), s.promptTokens(), s.completionTokens(), s.costMicroUsd())));
        return new UsageReport(byModel.tenantId(), byModel.from(), byModel.to(), "model_group", rows, byModel.total());
    }

    /** Chargeback CSV of every tenant by day, provider and model, streamed as the ledger is read. */
    void export(HttpCall call, Map<String, String> params) throws IOException {
        UsageQuery.Range range = usageQuery.parseExport(call.uri().getRawQuery());
        boolean byGroup = "model_group".equals(range.groupBy());
        String dimension = byGroup ? null : range.groupBy();
        java.util.Map<String, List<Tenant.ModelGroup>> groupsOf = new java.util.HashMap<>();
        call.responseHeaders().set("Content-Type", "text/csv; charset=utf-8");
        call.responseHeaders().set("Content-Disposition",
                "attachment; filename=\"budgetguard-usage-" + range.from() + "-to-" + range.to() + ".csv\"");
        chainHeads.accept(call);
        try (java.io.Writer w = new java.io.BufferedWriter(new java.io.OutputStreamWriter(call.startResponse(200, 0),
                java.nio.charset.StandardCharsets.UTF_8), 64 * 1024)) {
            String column = byGroup ? "model_group," : dimension == null ? "" : dimension.equals("key") ? "api_key_id,"
                    : dimension.equals("user") ? "end_user," : "tag_" + dimension.substring(4) + ",";
            w.write("day,tenant_id,provider,model," + column + "requests,prompt_tokens,cached_tokens,completion_tokens,cost_usd\n");
            ledger.export(range.from(), range.to(), dimension, range.filter(),
                    (day, tenant, provider, model, dim, requests, prompt, cached, completion, cost) ->
                    w.write(day + ',' + tenant + ',' + csv(provider) + ',' + csv(model) + ','
                            + (byGroup ? csv(groups(groupsOf, tenant, model)) + ',' : dim == null ? "" : csv(dim) + ',')
                            + requests + ',' + prompt + ',' + cached + ',' + completion + ',' + Money.usd(cost).toPlainString() + '\n'));
        }
    }

    /** The tenant's model groups that hold {@code model} (by name or dated snapshot), joined by '|'; "" for none. */
    private String groups(java.util.Map<String, List<Tenant.ModelGroup>> groupsOf, String tenantId, String model) {
        List<Tenant.ModelGroup> groups = groupsOf.computeIfAbsent(tenantId,
                id -> tenants.apply(id).map(Tenant::modelGroups).orElse(List.of()));
        java.util.StringJoiner j = new java.util.StringJoiner("|");
        for (Tenant.ModelGroup g : groups) if (g.scope().matches(null, model, null)) j.add(g.name());
        return j.toString();
    }

    /** Model names come from clients: quote them when they could break the CSV or start a formula. */
    static String csv(String v) {
        boolean quote = v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r")
                || (!v.isEmpty() && "=+-@".indexOf(v.charAt(0)) >= 0);
        if (!quote) return v;
        String safe = !v.isEmpty() && "=+-@".indexOf(v.charAt(0)) >= 0 ? "'" + v : v;
        return '"' + safe.replace("\"", "\"\"") + '"';
    }

    /** A report row as the admin API answers it (the total without its key). */
    static ObjectNode row(ObjectMapper json, UsageReport.Row r, boolean withKey) {
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
