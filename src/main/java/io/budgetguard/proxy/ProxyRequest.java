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
                    boolean usageRequested, byte[] upstreamBody) {
    static final int MAX_MODEL_CHARS = 256;
    static final int MAX_END_USER_CHARS = 256;
    /** The request fields that name the application's end user; they reach the upstream's abuse logs as given. */
    static final java.util.List<String> END_USER_FIELDS = java.util.List.of("user", "safety_identifier");

    /** A body-less request (model listing). */
    static ProxyRequest withoutBody(Endpoint endpoint, String model) {
        if (model != null) Identifier.require(model, "model", MAX_MODEL_CHARS);
        return new ProxyRequest(endpoint, null, model, false, false, false, null);
    }

    /**
     * {@code pathModel} is the model (or Azure deployment) the route names in its path, null where the body names it;
     * {@code injectUsage} whether the provider of a model (null: of a request without one) takes {@code stream_options}
     * to report a stream's usage.
     */
    static ProxyRequest parse(Endpoint endpoint, byte[] body, ObjectMapper json, String pathModel,
                              java.util.function.Predicate<String> injectUsage) {
        JsonNode root = io.budgetguard.http.JsonBounds.readObject(json, body);
        ObjectNode obj = (ObjectNode) root;
        JsonNode model = endpoint.pathModelParameter() != null ? json.getNodeFactory().textNode(pathModel) : obj.get("model");
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
        boolean stream = endpoint.alwaysStreams();
        JsonNode s = obj.get("stream");
        if (endpoint.streams() && !stream && s != null && !s.isNull()) {
            if (!s.isBoolean()) throw ApiException.invalidRequest("'stream' must be a boolean.", "stream");
            stream = s.booleanValue();
        }
        boolean usageOptions = endpoint.usageNeedsStreamOptions() && stream && injectUsage.test(optional ? null : model.asText());
        boolean clientWantsUsage = stream && usageOptions && wantsUsage(obj);
        boolean askForUsage = stream && usageOptions && !clientWantsUsage;
        byte[] upstream = askForUsage ? withUsageRequested(obj, json) : body;
        return new ProxyRequest(endpoint, obj, optional ? null : model.asText(), stream, clientWantsUsage, askForUsage, upstream);
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
        return new ProxyRequest(endpoint, capped, model, stream, clientWantsUsageChunk, usageRequested, upstream);
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

    /** The final usage-only chunk is removed when the gateway asked for it and the client did not. */
    boolean stripUsageChunk() {
        return stream && endpoint.usageNeedsStreamOptions() && !clientWantsUsageChunk && usageRequested;
    }

    /**
     * This request with the model the upstream knows it by, where that differs from the client's name (an alias, a
     * {@code provider/model} name): the body's model field rewritten, nothing else.
     */
    ProxyRequest withUpstreamModel(String upstreamModel, ObjectMapper mapper) {
        if (json == null || endpoint.pathModelParameter() != null || model == null || model.equals(upstreamModel)) return this;
        ObjectNode renamed = json.deepCopy();
        renamed.put("model", upstreamModel);
        byte[] upstream = stripUsageChunk() ? withUsageRequested(renamed, mapper) : bytes(renamed, mapper);
        return new ProxyRequest(endpoint, renamed, model, stream, clientWantsUsageChunk, usageRequested, upstream);
    }
}
