package io.budgetguard.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.http.ApiException;
import io.budgetguard.log.JsonLog;
import io.budgetguard.tenant.TenantObjects;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The objects a tenant owns at its providers (stored responses, files, batches) as the data plane sees them: a call
 * that names one is let through only for its own tenant (else the 404 OpenAI gives for an object that does not
 * exist, before anything is reserved or sent), a created one is recorded as its tenant's, a deleted one forgotten,
 * and a tenant's files and batches are listed from the gateway's own record, never from the provider's list of
 * every tenant's.
 */
final class OwnedObjects {
    private static final Map<String, Pattern> IDS = Map.of(
            TenantObjects.RESPONSE, Pattern.compile("resp_[A-Za-z0-9_-]{1,120}"),
            TenantObjects.FILE, Pattern.compile("file-[A-Za-z0-9_-]{1,120}"),
            TenantObjects.BATCH, Pattern.compile("batch_[A-Za-z0-9_-]{1,120}"));
    /** OpenAI's listing bounds: files up to 10,000 a page, batches up to 100 (20 by default). */
    static final int MAX_FILES_PAGE = 10_000;
    static final int MAX_BATCHES_PAGE = 100;
    static final int DEFAULT_BATCHES_PAGE = 20;

    private final TenantObjects store;
    private final ModelRouter router;
    private final ObjectMapper json;
    private final Clock clock;

    OwnedObjects(TenantObjects store, ModelRouter router, ObjectMapper json, Clock clock) {
        this.store = store;
        this.router = router;
        this.json = json;
        this.clock = clock;
    }

    static boolean validId(String kind, String id) {
        return id != null && IDS.get(kind).matcher(id).matches();
    }

    /** Where the tenant's object of this kind and id lives; a 404 for anything that is not the tenant's. */
    ModelRouter.Target target(String tenantId, String kind, String id) {
        ApiException missing = ApiException.notFound("No " + kind + " found with id '" + (validId(kind, id) ? id : "…") + "'.");
        if (!validId(kind, id)) throw missing;
        TenantObjects.Owner owner = store.owner(kind, id).orElseThrow(() -> missing);
        if (!owner.tenantId().equals(tenantId)) throw missing;
        return router.forProvider(owner.provider()).orElseThrow(() -> missing);
    }

    /** Records what a successful call created (a response by its id; a file with its description), or forgot (a delete). */
    void keep(Endpoint endpoint, String tenantId, String provider, Map<String, String> params, ResponseRelay.Result r) {
        try {
            if (endpoint.createsResponse() && validId(TenantObjects.RESPONSE, r.objectId())) {
                store.record(TenantObjects.RESPONSE, r.objectId(), tenantId, provider, clock.instant());
            } else if (endpoint == Endpoint.FILES && r.end() == ResponseRelay.End.COMPLETE && r.body() != null) {
                JsonNode file = json.readTree(r.body());
                String id = file.path("id").asText(null);
                if (validId(TenantObjects.FILE, id)) store.record(TenantObjects.FILE, id, tenantId, provider, clock.instant(), file.toString(), null);
            } else if (endpoint == Endpoint.BATCH && r.end() == ResponseRelay.End.COMPLETE && r.body() != null) {
                store.recordBatchFiles(tenantId, provider, json.readTree(r.body()), clock.instant());
            } else if ((endpoint == Endpoint.RESPONSE_DELETE || endpoint == Endpoint.FILE_DELETE) && r.end() == ResponseRelay.End.COMPLETE) {
                store.forget(endpoint.ownedKind(), params.get("id"), tenantId);
            }
        } catch (io.budgetguard.core.StoreUnavailableException | IOException e) {
            // Fails closed: the object cannot be reached through the gateway until its owner is known.
            JsonLog.warn("object_owner_unrecorded", "tenant", tenantId, "endpoint", endpoint.path(), "error", e.getMessage());
        }
    }

    /** Records a created batch as the tenant's with the reservation it holds; false when its answer names no batch. */
    boolean holdBatch(String tenantId, String provider, byte[] answer, String heldReservation) {
        try {
            JsonNode batch = json.readTree(answer);
            String id = batch.path("id").asText(null);
            if (!validId(TenantObjects.BATCH, id)) return false;
            store.record(TenantObjects.BATCH, id, tenantId, provider, clock.instant(), batch.toString(), heldReservation);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Holds a background response's reservation on the response recorded by {@link #keep}; false when it was not recorded. */
    boolean holdResponse(String responseId, String heldReservation) {
        return validId(TenantObjects.RESPONSE, responseId) && store.hold(TenantObjects.RESPONSE, responseId, heldReservation);
    }

    /** OpenAI's list object of the tenant's own files or batches, newest first, paged by {@code after} and {@code limit}. */
    ObjectNode list(String tenantId, Endpoint endpoint, String rawQuery) {
        String kind = endpoint == Endpoint.FILES_LIST ? TenantObjects.FILE : TenantObjects.BATCH;
        Map<String, String> q = query(rawQuery);
        int max = kind.equals(TenantObjects.FILE) ? MAX_FILES_PAGE : MAX_BATCHES_PAGE;
        int limit = limit(q.get("limit"), kind.equals(TenantObjects.FILE) ? MAX_FILES_PAGE : DEFAULT_BATCHES_PAGE, max);
        String after = q.get("after");
        if (after != null && !validId(kind, after)) throw ApiException.invalidRequest("'after' is not a " + kind + " id.", "after");
        String purpose = q.get("purpose");
        List<String> rows = store.list(tenantId, kind, after, limit + 1);
        ObjectNode list = json.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        for (int i = 0; i < Math.min(limit, rows.size()); i++) {
            try {
                JsonNode o = json.readTree(rows.get(i));
                if (purpose == null || purpose.equals(o.path("purpose").asText())) data.add(o);
            } catch (IOException e) {
                throw new IllegalStateException("a stored " + kind + " description is not JSON", e);
            }
        }
        list.put("first_id", data.isEmpty() ? null : data.get(0).path("id").asText());
        list.put("last_id", data.isEmpty() ? null : data.get(data.size() - 1).path("id").asText());
        list.put("has_more", rows.size() > limit);
        return list;
    }

    private static int limit(String v, int dflt, int max) {
        if (v == null) return dflt;
        if (!v.matches("[0-9]{1,6}") || Integer.parseInt(v) < 1 || Integer.parseInt(v) > max) {
            throw ApiException.invalidRequest("'limit' must be a whole number from 1 to " + max + ".", "limit");
        }
        return Integer.parseInt(v);
    }

    private static Map<String, String> query(String rawQuery) {
        Map<String, String> q = new java.util.HashMap<>();
        if (rawQuery == null) return q;
        for (String pair : rawQuery.split("&", 32)) {
            int eq = pair.indexOf('=');
            if (eq <= 0) continue;
            q.putIfAbsent(pair.substring(0, eq), java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8));
        }
        return q;
    }
}
