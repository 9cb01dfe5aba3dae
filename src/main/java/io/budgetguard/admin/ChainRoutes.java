package io.budgetguard.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.http.HttpCall;
import io.budgetguard.ledger.ChainVerification;
import io.budgetguard.tenant.TenantStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The ledger's hash chains in the admin API: {@code GET /admin/ledger/heads} (each tenant's last link, as an export
 * carries it) and {@code GET /admin/ledger/verify} (every row rehashed; the first broken link per tenant).
 */
final class ChainRoutes {
    /** Heads an export's header lists at most; past it the header says where to read them. */
    static final int MAX_HEADS_IN_HEADER = 100;
    static final String HEADS_HEADER = "X-BudgetGuard-Ledger-Heads";
    private static final int MAX_TENANT_PAGES = 1_000;

    private final ObjectMapper json;
    private final ChainVerification chains;
    private final TenantStore tenants;

    ChainRoutes(ObjectMapper json, ChainVerification chains, TenantStore tenants) {
        this.json = json;
        this.chains = chains;
        this.tenants = tenants;
    }

    void heads(HttpCall call, Map<String, String> params) throws IOException {
        String tenant = UsageQuery.tenantOnly(call.uri().getRawQuery());
        ObjectNode out = json.createObjectNode();
        ArrayNode list = out.putArray("heads");
        for (ChainVerification.Head h : chains.heads(tenantIds(tenant))) {
            list.addObject().put("tenant_id", h.tenantId()).put("seq", h.seq()).put("hash", h.hash()).put("token", h.token());
        }
        call.sendJson(json, 200, out);
    }

    void verify(HttpCall call, Map<String, String> params) throws IOException {
        String tenant = UsageQuery.tenantOnly(call.uri().getRawQuery());
        ObjectNode out = json.createObjectNode();
        ArrayNode list = out.putArray("tenants");
        long[] broken = new long[1];
        chains.verify(tenant.isEmpty() ? null : tenant, r -> {
            ObjectNode o = list.addObject();
            o.put("tenant_id", r.tenantId());
            o.put("intact", r.intact());
            o.put("chained_rows", r.chainedRows());
            o.put("unchained_rows", r.unchainedRows());
            if (r.head() == null) o.putNull("head");
            else o.put("head", r.head().token());
            if (r.intact()) {
                o.putNull("first_break");
            } else {
                broken[0]++;
                o.putObject("first_break").put("seq", r.firstBreak().seq()).put("request_id", r.firstBreak().requestId())
                        .put("problem", r.firstBreak().problem());
            }
        });
        out.put("intact", broken[0] == 0);
        call.sendJson(json, 200, out);
    }

    /** The export's header: {@code tenant:seq:hash} of every tenant's chain head, comma-separated, as the export starts. */
    void exportHeader(HttpCall call) {
        List<String> ids = tenantIds("");
        if (ids.size() > MAX_HEADS_IN_HEADER) {
            call.responseHeaders().set(HEADS_HEADER, "omitted: " + ids.size() + " tenants; read GET /admin/ledger/heads");
            return;
        }
        List<String> tokens = new ArrayList<>();
        for (ChainVerification.Head h : chains.heads(ids)) tokens.add(h.token());
        call.responseHeaders().set(HEADS_HEADER, String.join(",", tokens));
    }

    private List<String> tenantIds(String tenant) {
        if (!tenant.isEmpty()) return List.of(tenant);
        List<String> ids = new ArrayList<>();
        tenants.forEachId(MAX_TENANT_PAGES, ids::add);
        return ids;
    }
}
