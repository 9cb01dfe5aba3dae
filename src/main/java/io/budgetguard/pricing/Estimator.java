package io.budgetguard.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.Iterator;
import java.util.Map;

/**
 * Upper bound of what a request can cost, computed before it is sent. Text is counted with the model's real
 * tokenizer; everything OpenAI frames around it is over-counted on purpose:
 * <ul>
 *   <li>chat messages: {@value #TOKENS_PER_MESSAGE} per message (OpenAI bills 3) plus {@value #REPLY_PRIMING_TOKENS}
 *       for the reply, 1 per name, and {@value #FIXED_MARGIN_TOKENS} fixed;</li>
 *   <li>tools, functions and response schemas: the tokens of their JSON text (OpenAI renders them more compactly);</li>
 *   <li>images: the model's most expensive image; audio and files: one token per byte of their encoded data;</li>
 *   <li>output: max_completion_tokens / max_tokens / max_output_tokens, else the model's output cap, times n;</li>
 *   <li>input the gateway cannot see (previous_response_id, conversation): the model's whole context window.</li>
 * </ul>
 * Models without a local tokenizer ({@link ModelPrice#UTF8_BYTES}: Anthropic, Gemini, Mistral and other
 * openai-compatible providers) count every UTF-8 byte of text as a token, which byte-level BPE (and SentencePiece with
 * byte fallback) can never exceed, with {@value #BYTE_BOUND_TOKENS_PER_MESSAGE} tokens of framing per message. Their
 * native shapes add: Anthropic's tool-use system prompt ({@value #ANTHROPIC_TOOL_PROMPT_TOKENS} when tools are given),
 * images at the model's most expensive image, documents at the context window; Gemini's media parts (images, audio,
 * video, files: not bounded by their bytes) at the context window.
 */
public final class Estimator {
    /** {@code IMAGE} and {@code SPEECH} are priced by {@link ImagePrices} and {@link SpeechPrices}, not here. */
    public enum Kind { CHAT, COMPLETION, EMBEDDING, RESPONSE, MESSAGES, GENERATE, IMAGE, SPEECH }

    /** Counts the tokens of a text, or bounds them from above. */
    @FunctionalInterface
    interface Tokens {
        long of(String text);
    }

    /** Role markers and separators a chat template puts around a message, over-counted for byte-bound models. */
    static final int BYTE_BOUND_TOKENS_PER_MESSAGE = 16;
    /**
     * The system prompt Anthropic adds when tools are given: 346 tokens at most across its current models (313-346
     * for Claude 4, up to 530 for Claude 3 Opus), bounded here above every published figure.
     */
    static final int ANTHROPIC_TOOL_PROMPT_TOKENS = 800;

    static final int TOKENS_PER_MESSAGE = 4;
    static final int REPLY_PRIMING_TOKENS = 3;
    static final int FIXED_MARGIN_TOKENS = 16;
    /** The legacy completions API generates 16 tokens when max_tokens is absent. */
    static final int COMPLETIONS_DEFAULT_MAX_TOKENS = 16;
    /** n and best_of above this are refused upstream anyway; bounding keeps the arithmetic exact. */
    static final int MAX_CHOICES = 128;
    /** No request generates more; bounding it keeps cost arithmetic far from overflow. */
    static final long MAX_OUTPUT_TOKENS = 10_000_000;

    private final EncodingRegistry registry = Encodings.newLazyEncodingRegistry();
    private final ObjectMapper json;

    public Estimator(ObjectMapper json) {
        this.json = json;
    }

    public Estimate estimate(Kind kind, JsonNode body, ModelPrice price) {
        boolean bytes = ModelPrice.UTF8_BYTES.equals(price.encoding());
        Tokens enc = bytes ? Estimator::utf8Bytes : encoding(price.encoding())::countTokensOrdinary;
        int perMessage = bytes ? BYTE_BOUND_TOKENS_PER_MESSAGE : TOKENS_PER_MESSAGE;
        long prompt;
        long output;
        switch (kind) {
            case CHAT -> {
                prompt = chatPrompt(enc, perMessage, body, price);
                output = outputCap(Kind.CHAT, body, price) * choices(body, "n");
            }
            case COMPLETION -> {
                prompt = promptInput(enc, body.get("prompt")) + FIXED_MARGIN_TOKENS;
                Long asked = requestedOutputTokens(Kind.COMPLETION, body);
                long max = asked != null ? asked : COMPLETIONS_DEFAULT_MAX_TOKENS;
                output = max * Math.max(choices(body, "n"), choices(body, "best_of"));
            }
            case EMBEDDING -> {
                prompt = promptInput(enc, body.get("input"));
                output = 0;
            }
            case RESPONSE -> {
                prompt = responsePrompt(enc, perMessage, body, price);
                output = outputCap(Kind.RESPONSE, body, price);
            }
            case MESSAGES -> {
                prompt = NativeShapes.anthropicPrompt(this, enc, body, price);
                output = outputCap(Kind.MESSAGES, body, price);
            }
            case GENERATE -> {
                prompt = NativeShapes.geminiPrompt(this, enc, body, price);
                output = outputCap(Kind.GENERATE, body, price) * geminiCandidates(body);
            }
            default -> throw new IllegalStateException("unknown kind " + kind);
        }
        output = Math.min(output, MAX_OUTPUT_TOKENS);
        return new Estimate(prompt, output, price.costMicroUsd(prompt, 0, output));
    }

    static long utf8Bytes(String text) {
        long n = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) n += 1;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c)) { n += 4; i++; }
            else n += 3;
        }
        return n;
    }

    private static long geminiCandidates(JsonNode body) {
        JsonNode v = body.path("generationConfig").get("candidateCount");
        if (v == null || !v.isIntegralNumber()) return 1;
        return Math.min(MAX_CHOICES, Math.max(1, v.asLong()));
    }

    private Encoding encoding(String name) {
        return registry.getEncoding(switch (name) {
            case "cl100k_base" -> EncodingType.CL100K_BASE;
            case "p50k_base" -> EncodingType.P50K_BASE;
            case "r50k_base" -> EncodingType.R50K_BASE;
            default -> EncodingType.O200K_BASE;
        });
    }

    private long chatPrompt(Tokens enc, int perMessage, JsonNode body, ModelPrice price) {
        long tokens = REPLY_PRIMING_TOKENS + FIXED_MARGIN_TOKENS;
        JsonNode messages = body.get("messages");
        if (messages != null && messages.isArray()) {
            for (JsonNode m : messages) {
                tokens += perMessage;
                for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> f = it.next();
                    if (f.getKey().equals("name")) tokens += 1;
                    tokens += content(enc, f.getValue(), price);
                }
            }
        }
        return tokens + structure(enc, body, "tools", "functions", "response_format", "tool_choice");
    }

    private long responsePrompt(Tokens enc, int perMessage, JsonNode body, ModelPrice price) {
        long tokens = REPLY_PRIMING_TOKENS + FIXED_MARGIN_TOKENS;
        tokens += content(enc, body.get("instructions"), price);
        JsonNode input = body.get("input");
        if (input != null && input.isArray()) {
            for (JsonNode item : input) tokens += perMessage + content(enc, item, price);
        } else {
            tokens += content(enc, input, price);
        }
        if (body.hasNonNull("previous_response_id") || body.hasNonNull("conversation") || body.hasNonNull("prompt")) {
            tokens += price.contextWindowTokens();
        }
        return tokens + structure(enc, body, "tools", "text", "tool_choice");
    }

    /**
     * Tokens of a content value: strings counted exactly, images at the model's worst case, base64 audio or
     * file data at one token per byte, anything else through its parts.
     */
    long content(Tokens enc, JsonNode v, ModelPrice price) {
        if (v == null || v.isNull()) return 0;
        if (v.isTextual()) return count(enc, v.asText());
        if (v.isNumber() || v.isBoolean()) return 1;
        if (v.isArray()) {
            long t = 0;
            for (JsonNode part : v) t += content(enc, part, price);
            return t;
        }
        String type = v.path("type").asText("");
        if (type.contains("image") || v.has("image_url")) return price.imageMaxTokens() + count(enc, v.path("detail").asText(""));
        long t = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String key = f.getKey();
            if (key.equals("data") || key.equals("file_data")) {
                t += f.getValue().asText("").length();
            } else if (key.equals("type") || key.equals("role")) {
                t += 1;
            } else {
                t += content(enc, f.getValue(), price);
            }
        }
        return t;
    }

    /** Tools, schemas and similar: their JSON text, which is longer than OpenAI's internal rendering. */
    long structure(Tokens enc, JsonNode body, String... fields) {
        long t = 0;
        for (String f : fields) {
            JsonNode v = body.get(f);
            if (v == null || v.isNull()) continue;
            try {
                t += count(enc, json.writeValueAsString(v)) + FIXED_MARGIN_TOKENS;
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("a parsed tree always serialises", e);
            }
        }
        return t;
    }

    /** Prompt or embedding input: a string, an array of strings, an array of token ids, or arrays of those. */
    private long promptInput(Tokens enc, JsonNode v) {
        if (v == null || v.isNull()) return 0;
        if (v.isTextual()) return count(enc, v.asText());
        if (v.isNumber()) return 1;
        long t = 0;
        if (v.isArray()) for (JsonNode e : v) t += promptInput(enc, e);
        return t;
    }

    /**
     * The output limit the client itself set (chat: max_completion_tokens, else max_tokens; completions: max_tokens;
     * responses: max_output_tokens), per choice; null when it set none. What a policy ceiling is about.
     */
    public static Long requestedOutputTokens(Kind kind, JsonNode body) {
        if (body == null || kind == null) return null;
        String[] fields = switch (kind) {
            case CHAT -> new String[] {"max_completion_tokens", "max_tokens"};
            case COMPLETION -> new String[] {"max_tokens"};
            case RESPONSE -> new String[] {"max_output_tokens"};
            case MESSAGES -> new String[] {"max_tokens"};
            case GENERATE -> new String[] {"maxOutputTokens"};
            case EMBEDDING, IMAGE, SPEECH -> new String[0];
        };
        JsonNode holder = kind == Kind.GENERATE ? body.path("generationConfig") : body;
        for (String f : fields) {
            JsonNode v = holder.get(f);
            if (v != null && v.isIntegralNumber() && v.canConvertToLong()) return Math.min(MAX_OUTPUT_TOKENS, Math.max(0, v.asLong()));
        }
        return null;
    }

    /** The client's own output limit, else the model's output cap. */
    private static long outputCap(Kind kind, JsonNode body, ModelPrice price) {
        Long asked = requestedOutputTokens(kind, body);
        return asked != null ? asked : price.maxOutputTokens();
    }

    private static long choices(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || !v.isIntegralNumber()) return 1;
        return Math.min(MAX_CHOICES, Math.max(1, v.asLong()));
    }

    static long count(Tokens enc, String text) {
        return text.isEmpty() ? 0 : enc.of(text);
    }
}
