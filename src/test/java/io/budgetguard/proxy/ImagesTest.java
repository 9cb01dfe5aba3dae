package io.budgetguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Image generation and text to speech under the cap (speech: tts-1 and tts-1-hd by the input's characters, known
 * before it is sent). DALL-E priced per image by quality and size (reserved at n images, settled at
 * them), gpt-image-1 by its image tokens (reserved at the largest image of the quality asked for, settled from the
 * response's usage), anything unpriced refused before it is sent; driven by the official Python SDK.
 */
class ImagesTest {
    static final String PATH = "/v1/images/generations";

    static String cost(TestGateway gw, String where) throws Exception {
        try (var c = gw.sql(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT SUM(cost_usd), COUNT(*) FROM usage_ledger WHERE " + where)) {
            rs.next();
            return (rs.getBigDecimal(1) == null ? "0" : rs.getBigDecimal(1).stripTrailingZeros().toPlainString()) + " x" + rs.getLong(2);
        }
    }

    @Test
    void theOfficialPythonSdkGeneratesImagesAndSpeechEachBilledOnceAtItsPrice() throws Exception {
        String python = System.getenv().getOrDefault("BUDGETGUARD_PYTHON", "python3");
        SdkCompatibilityTest.requireTool(SdkCompatibilityTest.runs(python, "-c", "import openai"), "the openai Python package");
        try (FakeOpenAI upstream = new FakeOpenAI(); TestGateway gw = TestGateway.start(upstream)) {
            gw.admin("POST", "/admin/tenant", "{\"id\":\"art\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":10}]}");
            gw.admin("POST", "/admin/tenant", "{\"id\":\"broke\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":0.05}]}");
            ProcessBuilder pb = new ProcessBuilder(python, "src/test/python/media_compat.py").redirectErrorStream(true);
            pb.environment().put("BASE_URL", gw.url("/v1"));
            pb.environment().put("KEY", gw.newKey("art"));
            pb.environment().put("KEY_BROKE", gw.newKey("broke"));
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), output);
            assertEquals("0.12 x1", cost(gw, "model = 'dall-e-3'"), "one HD 1792x1024 image: $0.12");
            assertEquals("0.036 x1", cost(gw, "model = 'dall-e-2'"), "two 512x512 images at $0.018");
            assertEquals("0.01108 x1", cost(gw, "model = 'gpt-image-1'"), "20 prompt tokens at $10/M and 272 image tokens at $40/M");
            assertEquals("0 x0", cost(gw, "tenant_id = 'broke'"), "refused before it was sent");
            // "Bonjour, ça va ?" is 16 characters at $30 per million (tts-1-hd), "streamed to a file" 18 at $15.
            assertEquals("0.00048 x1", cost(gw, "model = 'tts-1-hd'"), "characters, not bytes: $0.00048");
            assertEquals("0.00027 x1", cost(gw, "model = 'tts-1'"));
            assertEquals("0 x1", cost(gw, "endpoint = '/v1/moderations'"), "moderation is free: one row at 0");
            assertEquals(3, upstream.received().stream().filter(r -> r.path().equals(PATH)).count(), "the unpriced and the "
                    + "over-budget requests never reached the upstream");
        }
    }

    @Test
    void reservationsCoverTheWorstCaseAndBoundsAreCheckedAtTheirLimits() throws Exception {
        try (FakeOpenAI upstream = new FakeOpenAI(); TestGateway gw = TestGateway.start(upstream)) {
            String key = gw.createTenantWithKey("bounds");
            assertEquals(200, gw.postJson(PATH, key, "{\"model\":\"dall-e-2\",\"prompt\":\"x\",\"size\":\"256x256\",\"n\":10}").statusCode(), "n at its limit");
            assertEquals("0.16 x1", cost(gw, "model = 'dall-e-2'"));
            for (String bad : List.of("{\"model\":\"dall-e-2\",\"prompt\":\"x\",\"n\":11}", "{\"model\":\"dall-e-2\",\"prompt\":\"x\",\"n\":0}",
                    "{\"model\":\"dall-e-2\",\"prompt\":\"x\",\"n\":\"2\"}", "{\"model\":\"dall-e-2\",\"prompt\":\"x\",\"quality\":\"hd\"}",
                    "{\"model\":\"dall-e-5\",\"prompt\":\"x\"}", "{\"prompt\":\"x\"}",
                    "{\"model\":\"gpt-image-1\",\"prompt\":\"x\",\"stream\":true}", "{\"model\":\"gpt-image-1\",\"prompt\":\"x\",\"quality\":\"ultra\"}")) {
                var r = gw.postJson(PATH, key, bad);
                assertEquals(400, r.statusCode(), bad + " -> " + r.body());
                assertEquals("invalid_request_error", TestGateway.json(r.body()).at("/error/type").asText());
            }
            // gpt-image-1 with quality and size left to the model: reserved at high and the largest size.
            upstream.imageOutputTokens = 4160;
            assertEquals(200, gw.postJson(PATH, key, "{\"model\":\"gpt-image-1\",\"prompt\":\"x\",\"n\":2}").statusCode());
            try (var c = gw.sql(); var st = c.createStatement(); var rs = st.executeQuery(
                    "SELECT estimated_cost_usd, cost_usd, completion_tokens FROM usage_ledger WHERE model = 'gpt-image-1'")) {
                rs.next();
                assertTrue(rs.getBigDecimal(1).compareTo(new java.math.BigDecimal("0.4992")) >= 0, "2 x 6240 tokens at $40/M reserved: "
                        + rs.getBigDecimal(1));
                assertEquals(8320, rs.getLong(3), "settled from the usage");
                assertTrue(rs.getBigDecimal(2).compareTo(rs.getBigDecimal(1)) < 0, "below the reservation");
            }
            upstream.failNext(500, "server_error", "The server had an error");
            assertEquals(500, gw.postJson(PATH, key, "{\"model\":\"dall-e-3\",\"prompt\":\"x\"}").statusCode());
            assertEquals("0 x1", cost(gw, "model = 'dall-e-3'"), "OpenAI does not bill its errors: one row at 0");
        }
    }
}
