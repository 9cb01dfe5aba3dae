package io.budgetguard.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.http.ApiException;
import io.budgetguard.http.HttpCall;
import io.budgetguard.pricing.PriceTable;
import java.io.IOException;
import java.util.Map;

/**
 * GET /v1/models with a providers file: the models a tenant may call, across providers, in OpenAI's list shape
 * ({@code owned_by} names the provider), answered by the gateway itself since no one upstream knows them all.
 */
final class ModelList {
    private final ObjectMapper json;
    private final ModelRouter router;
    private final PriceTable prices;

    ModelList(ObjectMapper json, ModelRouter router, PriceTable prices) {
        this.json = json;
        this.router = router;
        this.prices = prices;
    }

    void answer(HttpCall call, Endpoint endpoint, String model) throws IOException {
        if (endpoint == Endpoint.MODEL) {
            ModelRouter.Target t = listed().get(model);
            if (t == null) throw new ApiException(404, "invalid_request_error", "model_not_found",
                    "The model '" + model + "' does not exist or you do not have access to it.", "model", Map.of());
            call.sendJson(json, 200, entry(model, t));
            return;
        }
        ObjectNode list = json.createObjectNode();
        list.put("object", "list");
        ArrayNode data = list.putArray("data");
        listed().forEach((name, t) -> data.add(entry(name, t)));
        call.sendJson(json, 200, list);
    }

    /** Listed names, aliases, and the priced models of the provider that takes any model. */
    private Map<String, ModelRouter.Target> listed() {
        Map<String, ModelRouter.Target> out = new java.util.LinkedHashMap<>(router.listed());
        for (io.budgetguard.config.Provider p : router.providers()) {
            if (!p.anyModel()) continue;
            for (String m : prices.models(p.priceList())) out.putIfAbsent(m, new ModelRouter.Target(p, m, m));
        }
        return out;
    }

    private ObjectNode entry(String name, ModelRouter.Target t) {
        ObjectNode o = json.createObjectNode();
        o.put("id", name);
        o.put("object", "model");
        o.put("created", 0);
        o.put("owned_by", t.provider().name());
        return o;
    }
}
