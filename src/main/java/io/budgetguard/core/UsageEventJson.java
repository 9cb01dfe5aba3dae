package io.budgetguard.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;

/** A usage event as it travels through the Redis ledger stream: flat JSON, money in integer micro-USD. */
public final class UsageEventJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private UsageEventJson() {}

    public static String write(UsageEvent e) {
        ObjectNode o = JSON.createObjectNode();
        o.put("request_id", e.requestId());
        o.put("tenant_id", e.tenantId());
        o.put("api_key_id", e.apiKeyId());
        o.put("endpoint", e.endpoint());
        o.put("provider", e.provider());
        o.put("model", e.model());
        o.put("status", e.status().name());
        o.put("prompt_tokens", e.promptTokens());
        o.put("cached_tokens", e.cachedTokens());
        if (e.cacheWriteTokens() > 0) o.put("cache_write_tokens", e.cacheWriteTokens());
        o.put("completion_tokens", e.completionTokens());
        o.put("estimated_cost_micro_usd", e.estimatedCostMicroUsd());
        o.put("cost_micro_usd", e.costMicroUsd());
        if (e.upstreamStatus() != null) o.put("upstream_status", e.upstreamStatus());
        o.put("started_at_ms", e.startedAt().toEpochMilli());
        o.put("finished_at_ms", e.finishedAt().toEpochMilli());
        if (e.endUser() != null) o.put("end_user", e.endUser());
        if (!e.tags().isEmpty()) o.put("tags", e.tags());
        return o.toString();
    }

    public static UsageEvent read(String json) {
        try {
            JsonNode o = JSON.readTree(json);
            return new UsageEvent(o.get("request_id").asText(), o.get("tenant_id").asText(), o.get("api_key_id").asText(),
                    o.get("endpoint").asText(), o.path("provider").asText("openai"), o.get("model").isNull() ? null : o.get("model").asText(),
                    UsageEvent.Status.valueOf(o.get("status").asText()), o.get("prompt_tokens").asLong(),
                    o.get("cached_tokens").asLong(), o.path("cache_write_tokens").asLong(0), o.get("completion_tokens").asLong(),
                    o.get("estimated_cost_micro_usd").asLong(), o.get("cost_micro_usd").asLong(),
                    o.has("upstream_status") ? o.get("upstream_status").asInt() : null,
                    Instant.ofEpochMilli(o.get("started_at_ms").asLong()), Instant.ofEpochMilli(o.get("finished_at_ms").asLong()),
                    o.hasNonNull("end_user") ? o.get("end_user").asText() : null, o.path("tags").asText(""));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("unreadable ledger event: " + e.getMessage(), e);
        }
    }
}
