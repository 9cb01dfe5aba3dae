package io.budgetguard.pricing;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Prompt bounds of the providers' native request shapes (Anthropic Messages, Gemini generateContent), with the same
 * rules as OpenAI's shapes: text by its token bound, structure (tools, schemas, function calls) by its JSON text,
 * framing per message over-counted, and input the gateway cannot bound from the body at the model's context window.
 */
final class NativeShapes {
    private NativeShapes() {}

    /** Anthropic: system, messages, tools; documents and uploaded files cannot be bounded by their bytes. */
    static long anthropicPrompt(Estimator e, Estimator.Tokens enc, JsonNode body, ModelPrice price) {
        long tokens = Estimator.REPLY_PRIMING_TOKENS + Estimator.FIXED_MARGIN_TOKENS;
        tokens += e.content(enc, body.get("system"), price);
        JsonNode messages = body.get("messages");
        if (messages != null && messages.isArray()) {
            for (JsonNode m : messages) {
                if (unboundedAnthropic(m.get("content"))) return price.contextWindowTokens();
                tokens += Estimator.BYTE_BOUND_TOKENS_PER_MESSAGE + e.content(enc, m.get("content"), price);
            }
        }
        JsonNode tools = body.get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) tokens += Estimator.ANTHROPIC_TOOL_PROMPT_TOKENS;
        return tokens + e.structure(enc, body, "tools", "tool_choice", "output_format");
    }

    /** A document, container upload or file reference: its tokens depend on content the body does not carry. */
    private static boolean unboundedAnthropic(JsonNode content) {
        if (content == null || !content.isArray()) return false;
        for (JsonNode block : content) {
            String type = block.path("type").asText("");
            if (type.equals("document") || type.equals("container_upload")) return true;
            String source = block.path("source").path("type").asText("");
            if (source.equals("file") || (source.equals("url") && !type.equals("image"))) return true;
            if (type.equals("tool_result") && unboundedAnthropic(block.get("content"))) return true;
        }
        return false;
    }

    /**
     * Gemini: systemInstruction, contents, tools. Media parts (inline data, file data) cost by resolution or duration,
     * not bytes, and cached content is billed on every request: any of them puts the prompt at the context window.
     */
    static long geminiPrompt(Estimator e, Estimator.Tokens enc, JsonNode body, ModelPrice price) {
        if (body.hasNonNull("cachedContent")) return price.contextWindowTokens();
        long tokens = Estimator.REPLY_PRIMING_TOKENS + Estimator.FIXED_MARGIN_TOKENS;
        JsonNode system = body.get("systemInstruction");
        if (system != null && !system.isNull()) {
            if (unboundedGemini(system.get("parts"))) return price.contextWindowTokens();
            tokens += Estimator.BYTE_BOUND_TOKENS_PER_MESSAGE + e.content(enc, system.get("parts"), price);
        }
        JsonNode contents = body.get("contents");
        if (contents != null && contents.isArray()) {
            for (JsonNode c : contents) {
                if (unboundedGemini(c.get("parts"))) return price.contextWindowTokens();
                tokens += Estimator.BYTE_BOUND_TOKENS_PER_MESSAGE + e.content(enc, c.get("parts"), price);
            }
        } else if (contents != null && contents.isObject()) {
            if (unboundedGemini(contents.get("parts"))) return price.contextWindowTokens();
            tokens += Estimator.BYTE_BOUND_TOKENS_PER_MESSAGE + e.content(enc, contents.get("parts"), price);
        }
        return tokens + e.structure(enc, body, "tools", "toolConfig", "generationConfig");
    }

    private static boolean unboundedGemini(JsonNode parts) {
        if (parts == null || !parts.isArray()) return false;
        for (JsonNode part : parts) {
            if (part.has("inlineData") || part.has("inline_data") || part.has("fileData") || part.has("file_data")) return true;
        }
        return false;
    }
}
