package io.budgetguard.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * Token usage as the upstream reported it, in one shape for every provider. {@code promptTokens} is the whole
 * prompt; {@code cachedTokens} the part of it read from cache; {@code cacheWriteTokens} the part written to cache
 * (Anthropic), of which {@code cacheWriteLongTokens} with the one-hour lifetime; {@code completionTokens} all output,
 * reasoning included.
 *
 * <p>Field names per wire format: OpenAI chat and completions say prompt/completion tokens with
 * {@code prompt_tokens_details.cached_tokens}; the Responses API says input/output tokens; Anthropic's
 * {@code input_tokens} leaves out both cache counts, which it reports beside it; Gemini's {@code usageMetadata}
 * counts the prompt with its cached part, and output as candidates plus thoughts.
 */
public record Usage(long promptTokens, long cachedTokens, long cacheWriteTokens, long cacheWriteLongTokens,
                    long completionTokens) {
    public static final Usage NONE = new Usage(0, 0, 0);

    public Usage {
        if (promptTokens < 0 || cachedTokens < 0 || cacheWriteTokens < 0 || cacheWriteLongTokens < 0 || completionTokens < 0) {
            throw new IllegalStateException("negative usage");
        }
        if (cachedTokens + cacheWriteTokens > promptTokens || cacheWriteLongTokens > cacheWriteTokens) {
            throw new IllegalStateException("cache counts are parts of the prompt");
        }
    }

    /** Usage without cache writes (OpenAI, Gemini). */
    public Usage(long promptTokens, long cachedTokens, long completionTokens) {
        this(promptTokens, cachedTokens, 0, 0, completionTokens);
    }

    /**
     * Collects usage fields one number at a time, from a tree or from a streaming parser; a field seen again (a
     * stream's later, cumulative count) replaces the earlier value.
     */
    static final class Builder {
        private long prompt;
        private long cached;
        private long completion;
        private long cacheRead;
        private long cacheWrite;
        private long cacheWriteLong;
        private long geminiPrompt;
        private long geminiToolPrompt;
        private long geminiCached;
        private long geminiCandidates;
        private long geminiThoughts;
        private boolean any;

        /** {@code parent} is null for a field of the usage object itself, else the nested object's field name. */
        void accept(String parent, String field, long value) {
            if (value < 0) return;
            if (parent == null) {
                acceptTopLevel(field, value);
            } else if ((parent.equals("prompt_tokens_details") || parent.equals("input_tokens_details"))
                    && field.equals("cached_tokens")) {
                cached = value;
            } else if (parent.equals("cache_creation") && field.equals("ephemeral_1h_input_tokens")) {
                cacheWriteLong = value;
            }
        }

        private void acceptTopLevel(String field, long value) {
            switch (field) {
                case "prompt_tokens", "input_tokens" -> prompt = value;
                case "completion_tokens", "output_tokens" -> completion = value;
                case "cache_read_input_tokens" -> cacheRead = value;
                case "cache_creation_input_tokens" -> cacheWrite = value;
                case "promptTokenCount" -> geminiPrompt = value;
                case "toolUsePromptTokenCount" -> geminiToolPrompt = value;
                case "cachedContentTokenCount" -> geminiCached = value;
                case "candidatesTokenCount" -> geminiCandidates = value;
                case "thoughtsTokenCount" -> geminiThoughts = value;
                default -> { return; }
            }
            any = true;
        }

        /** Every count of a parsed usage object ({@code usage} or {@code usageMetadata}). */
        void accept(JsonNode usage) {
            if (usage == null || !usage.isObject()) return;
            for (Iterator<Map.Entry<String, JsonNode>> it = usage.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                if (v.isIntegralNumber()) {
                    accept(null, e.getKey(), v.asLong());
                } else if (v.isObject()) {
                    for (Iterator<Map.Entry<String, JsonNode>> inner = v.fields(); inner.hasNext(); ) {
                        Map.Entry<String, JsonNode> f = inner.next();
                        if (f.getValue().isIntegralNumber()) accept(e.getKey(), f.getKey(), f.getValue().asLong());
                    }
                }
            }
        }

        boolean any() {
            return any;
        }

        Usage build() {
            long write = cacheWrite;
            long promptAll = Math.addExact(Math.addExact(prompt, Math.addExact(cacheRead, write)),
                    Math.addExact(geminiPrompt, geminiToolPrompt));
            long cachedAll = Math.min(Math.addExact(Math.addExact(cached, cacheRead), geminiCached), promptAll - write);
            long output = Math.addExact(completion, Math.addExact(geminiCandidates, geminiThoughts));
            return new Usage(promptAll, cachedAll, write, Math.min(cacheWriteLong, write), output);
        }
    }

    /** Usage of a parsed {@code usage} object, or null when it carries no token counts. */
    static Usage of(JsonNode usage) {
        Builder b = new Builder();
        b.accept(usage);
        return b.any() ? b.build() : null;
    }
}
