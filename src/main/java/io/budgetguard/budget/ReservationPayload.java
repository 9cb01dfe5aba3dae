package io.budgetguard.budget;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.core.BudgetPeriod;
import io.budgetguard.core.Reservation;
import io.budgetguard.core.WindowRef;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A reservation as Redis keeps it in the tenant's {@code res} hash (compact JSON), for expiry to settle it; also as a
 * held batch keeps it, for the worker that sees the batch finish.
 */
public final class ReservationPayload {
    private static final ObjectMapper json = new ObjectMapper();

    private ReservationPayload() {}

    /** What an expiry needs to settle and record a reservation whose gateway died. */
    public static String write(Reservation r) {
        ObjectNode o = json.createObjectNode();
        o.put("k", r.apiKeyId());
        o.put("e", r.endpoint());
        o.put("p", r.provider());
        if (r.endUser() != null) o.put("u", r.endUser());
        if (!r.tags().isEmpty()) o.put("t", r.tags());
        if (r.reservedTokens() > 0) o.put("tk", r.reservedTokens());
        o.put("m", r.model());
        o.put("est", r.estimateMicroUsd());
        o.put("c", r.createdMs());
        o.put("d", r.deadlineMs());
        ArrayNode ws = o.putArray("w");
        for (WindowRef w : r.windows()) {
            ObjectNode wo = ws.addObject();
            wo.put("id", w.id());
            wo.put("p", w.period().name());
            wo.put("s", w.startMs());
            wo.put("e", w.endMs());
            wo.put("l", w.limitMicroUsd());
        }
        return o.toString();
    }

    public static Reservation read(String tenantId, String id, String payload) {
        try {
            JsonNode o = json.readTree(payload);
            List<WindowRef> ws = new ArrayList<>();
            for (JsonNode w : o.get("w")) {
                ws.add(new WindowRef(w.get("id").asText(), BudgetPeriod.parse(w.get("p").asText()), w.get("s").asLong(),
                        w.get("e").asLong(), w.get("l").asLong()));
            }
            return new Reservation(id, tenantId, o.get("k").asText(), o.get("e").asText(), o.path("p").asText("openai"),
                    o.get("m").isNull() ? null : o.get("m").asText(), o.get("est").asLong(), o.get("c").asLong(),
                    o.get("d").asLong(), ws, o.hasNonNull("u") ? o.get("u").asText() : null, o.path("t").asText(""),
                    o.path("tk").asLong(0));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("unreadable reservation " + id + " of " + tenantId, e);
        }
    }
}
