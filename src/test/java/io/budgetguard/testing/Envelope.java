package io.budgetguard.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;

/** Assertions on OpenAI's error envelope. */
public final class Envelope {
    private Envelope() {}

    public static JsonNode assertError(HttpResponse<String> r, int status, String code) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"), "JSON error");
        assertTrue(r.headers().firstValue("x-request-id").isPresent(), "x-request-id on errors too");
        JsonNode err = TestGateway.json(r.body()).get("error");
        assertTrue(err != null && err.isObject(), "envelope: " + r.body());
        assertEquals(code, err.get("code").asText());
        assertTrue(err.has("type") && err.has("param"), "type and param present: " + r.body());
        assertFalse(err.get("message").asText().isBlank(), "a message a person can read");
        return err;
    }
}
