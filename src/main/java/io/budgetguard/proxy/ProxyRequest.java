package io.budgetguard.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.http.ApiException;
import io.budgetguard.http.Identifier;

/**
 * A validated proxy request: which model, whether it streams, whether the client itself asked for the
 * usage chunk, and the exact bytes to send upstream (the client's own bytes unless usage had to be requested).
 */
record ProxyRequest(Endpoint endpoint, ObjectNode json, String model, boolean stream, boolean clientWantsUsageChunk,
                    byte[] upstreamBody) {
    static final int MAX_MODEL_CHARS = 256;
    static final int MAX_END_USER_CHARS = 256;
    /** The request fields that name the application's end user; they reach the upstream's abuse logs as given. */
    static final java.util.List<String> END_USER_FIELDS = java.util.List.of("user", "safety_identifier");

    /** A body-less request (model listing). */
    static ProxyRequest withoutBody(Endpoint endpoint, String model) {
        if (model != null) Identifier.require(model, "model", MAX_MODEL_CHARS);
        return new ProxyRequest(endpoint, null, model, false, false, null);
    }

    static ProxyRequest parse(Endpoint endpoint, byte[] body, ObjectMapper json) {
        JsonNode root = io.budgetguard.http.JsonBounds.readObject(json, body);
        ObjectNode obj = (ObjectNode) root;
        JsonNode model = obj.get("model");
        boolean optional = endpoint.free() && (model == null || model.isNull());
        if (!optional && (model == null || !model.isTextual() || model.asText().isBlank())) {
            throw ApiException.invalidRequest("You must provide a model parameter.", "model");
        }
        if (!optional) Identifier.require(model.asText(), "model", MAX_MODEL_CHARS);
        for (String field : END_USER_FIELDS) {
            JsonNode v = obj.get(field);
            if (v == null || v.isNull()) continue;
            if (!v.isTextual()) throw ApiException.invalidRequest("'" + field + "' must be a string.", field);
            Identifier.require(v.asText(), field, MAX_END_USER_CHARS);
        }
        boolean stream = false;
        JsonNode s = obj.get("stream");
        if (endpoint.streams() && s != null && !s.isNull()) {
            if (!s.isBoolean()) throw ApiException.invalidRequest("'stream' must be a boolean.", "stream");
            stream = s.booleanValue();
        }
        boolean clientWantsUsage = stream && endpoint.usageNeedsStreamOptions() && wantsUsage(obj);
        boolean askForUsage = stream && endpoint.usageNeedsStreamOptions() && !clientWantsUsage;
        byte[] upstream = askForUsage ? withUsageRequested(obj, json) : body;
        return new ProxyRequest(endpoint, obj, optional ? null : model.asText(), stream, clientWantsUsage, upstream);
    }

    private static boolean wantsUsage(ObjectNode obj) {
        JsonNode opts = obj.get("stream_options");
        if (opts == null || opts.isNull()) return false;
        if (!opts.isObject()) throw ApiException.invalidRequest("'stream_options' must be an object.", "stream_options");
        JsonNode inc = opts.get("include_usage");
        if (inc != null && !inc.isNull() && !inc.isBoolean()) {
            throw ApiException.invalidRequest("'stream_options.include_usage' must be a boolean.", "stream_options.include_usage");
        }
        return inc != null && inc.asBoolean(false);
    }

    /**
     * This request with an output limit set by the gateway (a tenant's or the global default output cap, when the
     * client set none): the one way the gateway changes what a client sent.
     */
    ProxyRequest withOutputLimit(String field, long tokens, ObjectMapper mapper) {
        ObjectNode capped = json.deepCopy();
        capped.put(field, tokens);
        byte[] upstream = stripUsageChunk() ? withUsageRequested(capped, mapper) : bytes(capped, mapper);
        return new ProxyRequest(endpoint, capped, model, stream, clientWantsUsageChunk, upstream);
    }

    /**
     * The body to send with the final usage chunk asked for, so the cost is exact (it is stripped again on the way
     * back); {@code obj} itself is left as the client sent it.
     */
    private static byte[] withUsageRequested(ObjectNode obj, ObjectMapper mapper) {
        ObjectNode copy = obj.deepCopy();
        JsonNode opts = copy.get("stream_options");
        ObjectNode so = opts != null && opts.isObject() ? (ObjectNode) opts : copy.putObject("stream_options");
        so.put("include_usage", true);
        return bytes(copy, mapper);
    }

    private static byte[] bytes(ObjectNode obj, ObjectMapper mapper) {
        try {
            return mapper.writeValueAsBytes(obj);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a parsed tree always serialises", e);
        }
    }

    /** The final usage-only chunk is removed when the client did not ask for it. */
    boolean stripUsageChunk() {
        return stream && endpoint.usageNeedsStreamOptions() && !clientWantsUsageChunk;
    }
}
