package io.budgetguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.testing.SdkFixture;
import io.budgetguard.testing.TestGateway;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The official Python and Node SDKs, unmodified, with base_url pointed at the gateway: every proxied route,
 * streams with and without the usage chunk, and each refusal as the SDK's own error class.
 */
class SdkCompatibilityTest {
    static boolean runs(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    static void requireTool(boolean present, String what) {
        if (System.getenv("CI") != null) assertTrue(present, "CI must install " + what);
        Assumptions.assumeTrue(present, "install " + what + " to run this test");
    }

    /**
     * Runs one of the Python SDK scripts ({@code src/test/python/<script>}) with {@code env}, after checking the SDK
     * (and the extra {@code modules}) are there; it must exit 0. Returns the JSON of its last line.
     */
    static JsonNode python(String script, java.util.Map<String, String> env, String... modules) throws Exception {
        String python = System.getenv().getOrDefault("BUDGETGUARD_PYTHON", "python3");
        String imports = String.join(", ", java.util.stream.Stream.concat(java.util.stream.Stream.of("openai"),
                java.util.Arrays.stream(modules)).toList());
        requireTool(runs(python, "-c", "import " + imports), "the Python packages " + imports);
        ProcessBuilder pb = new ProcessBuilder(python, "src/test/python/" + script).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), script + " did not finish: " + output);
        org.junit.jupiter.api.Assertions.assertEquals(0, p.exitValue(), output);
        return io.budgetguard.testing.TestGateway.json(output.strip().lines().reduce((a, b) -> b).orElseThrow());
    }

    static JsonNode run(SdkFixture f, List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(f.env);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the SDK run finished");
        assertEquals(0, p.exitValue(), output);
        return TestGateway.json(output.strip().lines().reduce((a, b) -> b).orElseThrow());
    }

    /**
     * The gateway asked for a real wait (the window frees 1-2.5 s after the test moved its clock) and the
     * SDK's automatic retry waited for it: same tolerance as the Java SDK test, relative to what was asked.
     */
    static void assertRetryHonoured(JsonNode r) {
        double asked = r.get("retry_after_s").asDouble();
        assertTrue(asked >= 1.0, r.toString());
        assertTrue(r.get("retry_after_honoured_s").asDouble() >= asked - 0.5, r.toString());
    }

    @Test
    void theOfficialPythonSdkWorksUnmodified() throws Exception {
        String python = System.getenv().getOrDefault("BUDGETGUARD_PYTHON", "python3");
        requireTool(runs(python, "-c", "import openai"), "the openai Python package (pip install openai)");
        try (SdkFixture f = new SdkFixture()) {
            JsonNode r = run(f, List.of(python, "src/test/python/sdk_compat.py"));
            assertTrue(r.get("typed_errors").asBoolean());
            assertTrue(r.get("modern_models_without_limits").asBoolean(), "gpt-5 and o4-mini without max_tokens pass the default policy");
            assertRetryHonoured(r);
            f.assertLedgerMatchesUpstream();
        }
    }

    @Test
    void theOfficialNodeSdkWorksUnmodified() throws Exception {
        requireTool(runs("node", "--version") && Files.isDirectory(Path.of("src/test/node/node_modules/openai")),
                "node and the openai npm package (npm ci in src/test/node)");
        try (SdkFixture f = new SdkFixture()) {
            JsonNode r = run(f, List.of("node", "src/test/node/sdk_compat.mjs"));
            assertTrue(r.get("typed_errors").asBoolean());
            assertRetryHonoured(r);
            f.assertLedgerMatchesUpstream();
        }
    }
}
