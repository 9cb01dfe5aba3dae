package io.budgetguard.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * Token usage as the upstream reported it. Chat and completions say prompt/completion tokens, the Responses
 * API says input/output tokens; cached tokens are the part of the prompt served from cache.
 */
public record Usage(long promptTokens, long cachedTokens, long completionTokens) {
    public static final Usage NONE = new Usage(0, 0, 0);

    public Usage {
        if (promptTokens < 0 || cachedTokens < 0 || completionTokens < 0) throw new IllegalStateException("negative usage");
    }

    /** Collects usage fields one number at a time, from a tree or from a streaming parser. */
    static final class Builder {
        private long prompt;
        private long cached;
        private long completion;
        private boolean any;

        /** {@code parent} is null for a field of the usage object itself, else the nested object's field name. */
        void accept(String parent, String field, long value) {
            if (value < 0) return;
            if (parent == null) {
                switch (field) {
                    case "prompt_tokens", "input_tokens" -> { prompt = value; any = true; }
                    case "completion_tokens", "output_tokens" -> { completion = value; any = true; }
                    default -> { }
                }
            } else if ((parent.equals("prompt_tokens_details") || parent.equals("input_tokens_details"))
                    && field.equals("cached_tokens")) {
                cached = value;
            }
        }

        boolean any() {
            return any;
        }

        Usage build() {
            return new Usage(prompt, Math.min(cached, prompt), completion);
        }
    }

    /** Usage of a parsed {@code usage} object, or null when it carries no token counts. */
    static Usage of(JsonNode usage) {
        if (usage == null || !usage.isObject()) return null;
        Builder b = new Builder();
        for (Iterator<Map.Entry<String, JsonNode>> it = usage.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (v.isIntegralNumber()) {
                b.accept(null, e.getKey(), v.asLong());
            } else if (v.isObject()) {
                JsonNode c = v.get("cached_tokens");
                if (c != null && c.isIntegralNumber()) b.accept(e.getKey(), "cached_tokens", c.asLong());
            }
        }
        return b.any() ? b.build() : null;
    }
}
