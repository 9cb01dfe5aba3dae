package io.budgetguard.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Every line on stdout is one JSON object: the gateway's events, its bugs with stack traces, and library lines, all redacted. */
class JsonLogTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static List<JsonNode> captured(Runnable logging) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream previous = JsonLog.redirect(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            logging.run();
            // A library line is not counted by JsonLog.flush: one of ours logged after it is written after it.
            JsonLog.info("marker");
            JsonLog.flush();
        } finally {
            JsonLog.redirect(previous);
        }
        return out.toString(StandardCharsets.UTF_8).lines().map(l -> {
            try {
                return JSON.readTree(l);
            } catch (Exception e) {
                throw new AssertionError("not one JSON object: " + l, e);
            }
        }).toList();
    }

    static JsonNode only(List<JsonNode> lines, Predicate<JsonNode> which) {
        List<JsonNode> found = lines.stream().filter(which).toList();
        assertEquals(1, found.size(), lines.toString());
        return found.get(0);
    }

    @Test
    void anEventIsOneFlatObjectWithItsFieldsInOrder() {
        JsonNode line = only(captured(() -> JsonLog.info("probe_event", "tenant", "acme", "n", 3, "ok", true)),
                l -> l.path("event").asText().equals("probe_event"));
        assertEquals("info", line.get("level").asText());
        assertTrue(line.has("ts"));
        assertEquals("acme", line.get("tenant").asText());
        assertEquals(3, line.get("n").asInt(), "numbers stay numbers");
        assertTrue(line.get("ok").asBoolean());
        assertEquals(List.of("ts", "level", "event", "tenant", "n", "ok"), fieldNames(line));
    }

    @Test
    void aBugCarriesTheExceptionAndItsWholeStackTrace() {
        JsonNode line = only(captured(() -> JsonLog.bug("probe_bug", new IllegalStateException("broken",
                new java.io.IOException("root cause")))), l -> l.path("event").asText().equals("probe_bug"));
        assertEquals("error", line.get("level").asText());
        assertEquals("java.lang.IllegalStateException: broken", line.get("exception").asText());
        String trace = line.get("stack_trace").asText();
        assertTrue(trace.contains("JsonLogTest") && trace.contains("Caused by: java.io.IOException: root cause"), trace);
    }

    @Test
    void libraryLinesAtWarnReachTheLogAsJsonAndBelowWarnAreDropped() {
        List<JsonNode> lines = captured(() -> {
            LoggerFactory.getLogger("com.zaxxer.hikari.pool.HikariPool").warn("pool {} is slow", "ledger");
            LoggerFactory.getLogger("com.zaxxer.hikari.pool.HikariPool").info("pool {} started", "ledger");
        });
        JsonNode line = only(lines, l -> l.path("event").asText().equals("library"));
        assertEquals("warn", line.get("level").asText());
        assertEquals("com.zaxxer.hikari.pool.HikariPool", line.get("logger").asText());
        assertEquals("pool ledger is slow", line.get("message").asText());
    }

    @Test
    void credentialsAreRedactedFromEveryLineLibraryLinesIncluded() {
        String tenantKey = "bg_live_0123456789abcdefABCDEF";
        String upstreamKey = "sk-proj-abcdefghijklmnop0123";
        String dbPassword = "s3cret-pw";
        List<JsonNode> lines = captured(() -> {
            LoggerFactory.getLogger("redis.clients.jedis.Connection").error("cannot connect to redis://default:" + dbPassword
                    + "@10.0.0.1:6379 with " + upstreamKey);
            JsonLog.warn("probe_secret", "header", "Bearer " + tenantKey, "url", "postgresql://bg:" + dbPassword + "@db/bg");
            JsonLog.bug("probe_secret_bug", new IllegalStateException("key " + tenantKey + " refused"));
        });
        String all = lines.toString();
        for (String secret : List.of(tenantKey, upstreamKey, dbPassword)) assertFalse(all.contains(secret), all);
        assertTrue(all.contains("redis://<redacted>@10.0.0.1:6379"), "the rest of the text stays readable: " + all);
    }

    static List<String> fieldNames(JsonNode n) {
        List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
