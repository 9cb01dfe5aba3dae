package io.budgetguard.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The container files, checked without a Docker engine: the compose file's services, ports, environment and
 * healthchecks, the Dockerfile's stages, and the healthcheck probe against a real gateway.
 */
class ContainerFilesTest {
    static JsonNode compose() throws Exception {
        return new ObjectMapper(new YAMLFactory()).readTree(Files.readString(Path.of("docker-compose.yml")));
    }

    @Test
    void composeRunsPostgresRedisWithAofTheGatewayAndTheWorker() throws Exception {
        JsonNode services = compose().get("services");
        assertEquals(Set.of("postgres", "redis", "api", "worker"), Set.copyOf(iterate(services.fieldNames())));
        for (String s : List.of("postgres", "redis", "api", "worker")) {
            assertTrue(services.get(s).has("healthcheck"), s + " has a healthcheck");
        }
        String redisCommand = services.at("/redis/command").toString();
        assertTrue(redisCommand.contains("--appendonly") && redisCommand.contains("yes") && redisCommand.contains("always"), redisCommand);
        assertEquals("[\"serve\"]", services.at("/api/command").toString());
        assertEquals("[\"worker\"]", services.at("/worker/command").toString());
        assertEquals("3000:3000", services.at("/api/ports/0").asText());
        for (String s : List.of("api", "worker")) {
            JsonNode env = services.get(s).get("environment");
            assertTrue(env.get("DATABASE_URL").asText().startsWith("postgresql://"), s);
            assertEquals("redis://redis:6379", env.get("REDIS_URL").asText(), s);
            assertEquals("service_healthy", services.at("/" + s + "/depends_on/postgres/condition").asText());
            assertEquals("service_healthy", services.at("/" + s + "/depends_on/redis/condition").asText());
        }
        JsonNode apiEnv = services.at("/api/environment");
        for (String v : List.of("OPENAI_KEY", "ADMIN_API_KEY", "MAX_REQS_PER_MIN", "DEFAULT_BUDGET_USD", "BUDGET_PERIODS")) {
            assertTrue(apiEnv.has(v), "api passes " + v);
        }
    }

    @Test
    void theDockerfileBuildsTheJarAndThePolicyAndRunsAsANonRootUserWithAHealthcheck() throws Exception {
        String d = Files.readString(Path.of("Dockerfile"));
        assertTrue(d.contains("AS build") && d.contains("package"), "jar stage");
        assertTrue(d.contains("FROM openpolicyagent/opa:1.22.3-debug AS policy") && d.contains("\"-e\", \"budgetguard/decision\"")
                && d.contains("/policy/manifest.sh"), "policy stage, with the manifest naming what the policy reads");
        assertTrue(d.contains("FROM eclipse-temurin:25-jre"), "JRE 25 runtime");
        assertTrue(d.contains("USER budgetguard") && d.contains("--uid 10001"), "non-root");
        assertTrue(d.contains("HEALTHCHECK") && d.contains("io.budgetguard.HealthProbe"), "healthcheck");
        assertTrue(d.contains("EXPOSE 3000"));
    }

    @Test
    void theHealthProbeSucceedsAgainstARunningGatewayAndFailsWithoutOne() throws Exception {
        try (FakeOpenAI upstream = new FakeOpenAI(); TestGateway gw = TestGateway.start(upstream)) {
            assertEquals(0, probe(gw.port()));
        }
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            int unused = s.getLocalPort();
            s.close();
            assertEquals(1, probe(unused));
        }
    }

    static int probe(int port) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "io.budgetguard.HealthProbe");
        pb.environment().put("PORT", Integer.toString(port));
        Process p = pb.redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return p.exitValue();
    }

    static List<String> iterate(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
