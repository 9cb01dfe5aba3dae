package io.budgetguard.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** A real redis-server on a free loopback port, owned by one test class; data in a temp dir. */
public final class RedisServer implements AutoCloseable {
    private Process process;
    private final int port;
    private final Path dir;
    private final List<String> args;

    private RedisServer(Process process, int port, Path dir, List<String> args) {
        this.process = process;
        this.port = port;
        this.dir = dir;
        this.args = args;
    }

    public static String binary() {
        for (String p : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server")) {
            if (Files.isExecutable(Path.of(p))) return p;
        }
        return null;
    }

    /** Starts one; in CI a missing redis-server fails the test, elsewhere it skips it. */
    public static RedisServer start(String... extraArgs) throws IOException, InterruptedException {
        String bin = binary();
        if (System.getenv("CI") != null && bin == null) throw new IllegalStateException("CI must install redis-server");
        Assumptions.assumeTrue(bin != null, "install redis-server to run the Redis tests");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path dir = Files.createTempDirectory("redis-test");
        List<String> cmd = new ArrayList<>(List.of(bin, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--dir", dir.toString(), "--protected-mode", "yes"));
        List<String> extra = List.of(extraArgs);
        if (!extra.contains("--appendonly")) cmd.addAll(List.of("--appendonly", "no"));
        cmd.addAll(extra);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        RedisServer server = new RedisServer(p, port, dir, cmd);
        server.awaitReady();
        return server;
    }

    private void awaitReady() throws InterruptedException, IOException {
        for (int i = 0; i < 200; i++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.getOutputStream().write("PING\r\n".getBytes());
                byte[] buf = new byte[7];
                if (s.getInputStream().read(buf) > 0 && new String(buf).startsWith("+PONG")) return;
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(50);
        }
        throw new IOException("redis-server did not start on port " + port + ": " + Files.readString(dir.resolve("redis.log")));
    }

    /** Kills the server (SIGKILL: no chance to write anything more) and starts it again on the same port and data. */
    public void crashAndRestart(long downMs) throws IOException, InterruptedException {
        kill();
        Thread.sleep(downMs);
        startAgain();
    }

    /** SIGKILL: the server is gone until {@link #startAgain()}. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Starts the killed server again on the same port and data directory. */
    public void startAgain() throws IOException, InterruptedException {
        process = new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(
                dir.resolve("redis.log").toFile())).start();
        awaitReady();
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Runs a command through redis-cli-free RESP over a socket: enough for FLUSHALL and SCRIPT FLUSH. */
    public String command(String... args) throws IOException {
        StringBuilder b = new StringBuilder("*" + args.length + "\r\n");
        for (String a : args) b.append('$').append(a.getBytes().length).append("\r\n").append(a).append("\r\n");
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(b.toString().getBytes());
            byte[] buf = new byte[256];
            int n = s.getInputStream().read(buf);
            return n <= 0 ? "" : new String(buf, 0, n).trim();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
    }
}
