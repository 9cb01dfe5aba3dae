package io.budgetguard.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Three real redis-server masters on loopback joined into a Redis Cluster (no replicas). */
public final class RedisCluster implements AutoCloseable {
    private final List<RedisServer> nodes = new ArrayList<>();

    public static RedisCluster start() throws IOException, InterruptedException {
        RedisCluster c = new RedisCluster();
        try {
            for (int i = 0; i < 3; i++) {
                c.nodes.add(RedisServer.start("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-node-timeout", "5000"));
            }
            List<String> cmd = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            for (RedisServer n : c.nodes) cmd.add("127.0.0.1:" + n.port());
            cmd.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("cluster create failed: " + out);
            for (RedisServer n : c.nodes) {
                for (int i = 0; i < 200 && !n.command("CLUSTER", "INFO").contains("cluster_state:ok"); i++) Thread.sleep(50);
            }
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** REDIS_URL for a cluster: every node, comma-separated. */
    public String url() {
        return String.join(",", nodes.stream().map(RedisServer::url).toList());
    }

    /** Keys each master holds (a race should spread tenants over several). */
    public List<Long> keysPerNode() throws IOException {
        List<Long> out = new ArrayList<>();
        for (RedisServer n : nodes) out.add(Long.parseLong(n.command("DBSIZE").replace(":", "").trim()));
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        for (RedisServer n : nodes) n.close();
    }
}
