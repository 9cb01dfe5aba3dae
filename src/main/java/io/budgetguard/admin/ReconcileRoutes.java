package io.budgetguard.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.billing.Reconciliation;
import io.budgetguard.http.HttpCall;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /admin/reconciliation}: the ledger against the providers' cost reports as of the last check, per day,
 * provider, project and model, with the days whose totals disagree past the threshold. Null reconciliation: none set.
 */
final class ReconcileRoutes {
    private final ObjectMapper json;
    private final UsageQuery query;
    private final Reconciliation reconciliation;

    ReconcileRoutes(ObjectMapper json, UsageQuery query, Reconciliation reconciliation) {
        this.json = json;
        this.query = query;
        this.reconciliation = reconciliation;
    }

    void report(HttpCall call, Map<String, String> params) throws IOException {
        UsageQuery.Days d = query.reconciliation(call.uri().getRawQuery());
        ObjectNode out = json.createObjectNode();
        out.put("from", d.from().toString());
        out.put("to", d.to().toString());
        out.put("configured", reconciliation != null);
        ArrayNode rows = out.putArray("rows");
        ArrayNode flagged = out.putArray("flagged");
        if (reconciliation == null) {
            call.sendJson(json, 200, out);
            return;
        }
        List<Reconciliation.Row> stored = reconciliation.stored(d.from(), d.to(), d.provider());
        for (Reconciliation.Row r : stored) {
            rows.addObject().put("day", r.day().toString()).put("provider", r.provider()).put("project", r.project())
                    .put("model", r.model()).put("ledger_usd", UsageRoutes.usd(r.ledgerMicroUsd()))
                    .put("provider_usd", UsageRoutes.usd(r.providerMicroUsd())).put("gap_usd", UsageRoutes.usd(r.gapMicroUsd()));
        }
        for (Reconciliation.Flag f : reconciliation.flagsOf(stored)) {
            flagged.addObject().put("day", f.day().toString()).put("provider", f.provider())
                    .put("ledger_usd", UsageRoutes.usd(f.ledgerMicroUsd())).put("provider_usd", UsageRoutes.usd(f.providerMicroUsd()))
                    .put("gap_usd", UsageRoutes.usd(f.providerMicroUsd() - f.ledgerMicroUsd()));
        }
        call.sendJson(json, 200, out);
    }
}
