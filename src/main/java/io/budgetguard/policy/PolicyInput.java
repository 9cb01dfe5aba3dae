package io.budgetguard.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.core.Money;
import io.budgetguard.budget.WindowUsage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The policy's input (DESIGN §5b), always serialised with Jackson: flat on purpose, since every JSON object
 * costs ~2 µs to parse inside wasm.
 */
public final class PolicyInput {
    public static final int MAX_PARAMS = 64;
    public static final int MAX_PARAM_STRING_CHARS = 256;
    /** English weekday names by {@link java.time.DayOfWeek#ordinal()} (getDisplayName builds a formatter per call). */
    private static final String[] WEEKDAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

    /**
     * What the proxy knows about the request when the policy runs. {@code maxTokens} is the output limit the client
     * set (null when it set none); {@code reservedOutputTokens} is the worst case the gateway reserves for it (the
     * model's cap when the client set none, times the number of choices).
     */
    public record Request(String endpoint, String provider, String model, boolean stream, Long maxTokens, long reservedOutputTokens,
                          long promptTokens, long estimatedCostMicroUsd, JsonNode body, String endUser,
                          java.util.Map<String, String> tags) {}

    private final ObjectMapper json;
    private final int promptBytesMax;

    public PolicyInput(ObjectMapper json, int promptBytesMax) {
        this.json = json;
        this.promptBytesMax = promptBytesMax;
    }

    /**
     * The input as a tree; the parts {@code reading} does not read (the prompt text, the params) are left out, as
     * costly to gather.
     */
    public ObjectNode tree(String tenantId, int rateLimitPerMin, List<WindowUsage> budgets, String keyId, String keyName,
                           Request r, Instant now, PolicyEngine.Loaded reading) {
        ObjectNode in = json.createObjectNode();
        ObjectNode tenant = in.putObject("tenant");
        tenant.put("id", tenantId);
        tenant.put("rate_limit_per_min", rateLimitPerMin);
        ArrayNode bs = tenant.putArray("budgets");
        for (WindowUsage u : budgets) {
            ObjectNode b = bs.addObject();
            b.put("period", u.window().period().name());
            // "tenant", "key" or "model_group", and which key or group: every window that applies to the request.
            b.put("scope", u.window().scope().kind().name().toLowerCase(java.util.Locale.ROOT));
            if (u.window().scope().kind() != io.budgetguard.core.WindowScope.Kind.TENANT) b.put("scope_id", u.window().scope().id());
            b.put("limit_usd", Money.usd(u.window().limitMicroUsd()));
            b.put("spent_usd", Money.usd(u.spentMicroUsd()));
            b.put("reserved_usd", Money.usd(u.reservedMicroUsd()));
            b.put("remaining_usd", Money.usd(u.remainingMicroUsd()));
        }
        ObjectNode key = in.putObject("key");
        key.put("id", keyId);
        key.put("name", keyName);
        ObjectNode req = in.putObject("request");
        req.put("endpoint", r.endpoint());
        req.put("provider", r.provider());
        req.put("model", r.model());
        req.put("stream", r.stream());
        if (r.maxTokens() == null) req.putNull("max_tokens");
        else req.put("max_tokens", r.maxTokens().longValue());
        req.put("reserved_output_tokens", r.reservedOutputTokens());
        req.put("prompt_tokens", r.promptTokens());
        req.put("estimated_cost_usd", Money.usd(r.estimatedCostMicroUsd()));
        req.put("end_user", r.endUser());
        ObjectNode tags = req.putObject("tags");
        r.tags().forEach(tags::put);
        if (reading.reads("request", "params")) params(req.putObject("params"), r.body());
        if (reading.reads("request", "prompt_text")) req.put("prompt_text", promptText(r.body()));
        ObjectNode time = in.putObject("time");
        ZonedDateTime t = now.atZone(ZoneOffset.UTC);
        if (reading.reads("time", "now")) time.put("now", now.toString());
        time.put("weekday", WEEKDAYS[t.getDayOfWeek().ordinal()]);
        time.put("hour_utc", t.getHour());
        return in;
    }

    /** Top-level scalar fields of the body (temperature, user, ...), bounded in count and length. */
    private static void params(ObjectNode out, JsonNode body) {
        if (body == null) return;
        int n = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext() && n < MAX_PARAMS; ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode v = f.getValue();
            if (v.isNumber() || v.isBoolean()) {
                out.set(f.getKey(), v);
                n++;
            } else if (v.isTextual() && v.asText().length() <= MAX_PARAM_STRING_CHARS) {
                out.set(f.getKey(), v);
                n++;
            }
        }
    }

    /** All message and prompt text joined by newlines, cut at the byte cap (never mid-character). */
    String promptText(JsonNode body) {
        StringBuilder b = new StringBuilder();
        if (body != null) {
            for (String field : new String[] {"instructions", "messages", "prompt", "input"}) collect(body.get(field), b);
        }
        byte[] utf8 = b.toString().getBytes(StandardCharsets.UTF_8);
        if (utf8.length <= promptBytesMax) return b.toString();
        int end = promptBytesMax;
        while (end > 0 && (utf8[end] & 0xC0) == 0x80) end--;
        return new String(utf8, 0, end, StandardCharsets.UTF_8);
    }

    private void collect(JsonNode v, StringBuilder b) {
        if (v == null || b.length() > promptBytesMax) return;
        if (v.isTextual()) {
            if (!b.isEmpty()) b.append('\n');
            b.append(v.asText());
        } else if (v.isArray()) {
            for (JsonNode e : v) collect(e, b);
        } else if (v.isObject()) {
            collect(v.get("content"), b);
            collect(v.get("text"), b);
        }
    }
}
