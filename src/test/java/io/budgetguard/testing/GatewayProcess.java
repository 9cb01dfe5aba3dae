package io.budgetguard.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A second gateway as a real OS process (`budgetguard serve` in its own JVM), for multi-process tests. */
public final class GatewayProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    private GatewayProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    public static GatewayProcess start(Map<String, String> env) throws IOException, InterruptedException {
        return start("serve", env);
    }

    /** Starts {@code command} (serve, all or worker); waits for /health unless it is a worker. */
    public static GatewayProcess start(String command, Map<String, String> env) throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = Files.createTempFile("gateway-process", ".log");
        ProcessBuilder pb = new ProcessBuilder(java, "-Dsun.net.httpserver.nodelay=true", "-cp",
                System.getProperty("java.class.path"), "io.budgetguard.Main", command);
        pb.environment().put("OPA_POLICY_PATH", "off");
        pb.environment().putAll(env);
        pb.environment().put("PORT", Integer.toString(port));
        pb.environment().put("HOST", "127.0.0.1");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        GatewayProcess g = new GatewayProcess(pb.start(), port, log);
        if (!command.equals("worker")) g.awaitHealthy();
        return g;
    }

    private void awaitHealthy() throws IOException, InterruptedException {
        HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        for (int i = 0; i < 300; i++) {
            if (!process.isAlive()) break;
            try {
                HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return;
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IOException("gateway process did not become healthy: " + String.join("\n", tail()));
    }

    private List<String> tail() throws IOException {
        List<String> lines = Files.readAllLines(log);
        return lines.subList(Math.max(0, lines.size() - 30), lines.size());
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** Stops it abruptly, as a crash would (SIGKILL). */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Asks it to stop, as a deploy or `kill` would (SIGTERM), without waiting. */
    public void terminate() {
        process.destroy();
    }

    /** Waits for the process to exit; true when it did within the bound. */
    public boolean awaitExit(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    public int exitCode() {
        return process.exitValue();
    }

    public List<String> logTail() throws IOException {
        return tail();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
    }
}
