package io.budgetguard.budget;

import io.budgetguard.core.StoreUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * The shared Redis (standalone or Cluster) as the counters and the ledger stream use it: the pooled client, Lua
 * scripts loaded once and run by SHA, the key layout (every key of a tenant carries the hash tag {tenantId}, so a
 * script touches one Cluster slot) and one mapping of Redis failures to operating errors.
 */
public final class RedisStore implements AutoCloseable {
    /** A script file loaded once and run by SHA; reloaded when Redis answers NOSCRIPT (it restarted). */
    public static final class Script {
        final String source;
        volatile String sha;

        Script(String source) {
            this.source = source;
        }
    }

    private final UnifiedJedis redis;

    RedisStore(UnifiedJedis redis) {
        this.redis = redis;
    }

    /** {@code urls}: one URL = a standalone server, several (comma-separated) = a cluster. */
    public static RedisStore connect(String urls, int poolSize, long timeoutMs) {
        String[] all = urls.split(",");
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(poolSize);
        pool.setMaxIdle(poolSize);
        pool.setMaxWait(java.time.Duration.ofMillis(timeoutMs));
        URI first = URI.create(all[0].trim());
        JedisClientConfig config = clientConfig(first, (int) timeoutMs);
        if (all.length == 1) return new RedisStore(new JedisPooled(new HostAndPort(first.getHost(), port(first)), config, pool));
        Set<HostAndPort> nodes = new HashSet<>();
        for (String u : all) {
            URI uri = URI.create(u.trim());
            nodes.add(new HostAndPort(uri.getHost(), port(uri)));
        }
        return new RedisStore(new JedisCluster(nodes, config, pool));
    }

    private static int port(URI uri) {
        return uri.getPort() > 0 ? uri.getPort() : 6379;
    }

    private static JedisClientConfig clientConfig(URI uri, int timeoutMs) {
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(timeoutMs).socketTimeoutMillis(timeoutMs)
                .ssl("rediss".equals(uri.getScheme())).clientName("budgetguard");
        String info = uri.getUserInfo();
        if (info != null && !info.isEmpty()) {
            int colon = info.indexOf(':');
            String user = colon < 0 ? null : info.substring(0, colon);
            b.password(colon < 0 ? info : info.substring(colon + 1));
            if (user != null && !user.isEmpty()) b.user(user);
        }
        String path = uri.getPath();
        if (path != null && path.length() > 1) b.database(Integer.parseInt(path.substring(1)));
        return b.build();
    }

    /** A key of the tenant: {@code bg:{tenantId}:suffix}. */
    public static String key(String tenantId, String suffix) {
        return "bg:{" + tenantId + "}:" + suffix;
    }

    /** The tenant's ledger stream: settle appends to it, the drain moves it into the ledger database. */
    public static String ledgerStream(String tenantId) {
        return key(tenantId, "ledger");
    }

    /** Incremented by every drain acknowledgement: a window rebuild that saw it change starts again. */
    public static String drainEpoch(String tenantId) {
        return key(tenantId, "ledger:epoch");
    }

    /** A script made of the given files from {@code /lua/}, concatenated. */
    public static Script script(String... files) {
        StringBuilder source = new StringBuilder();
        for (String f : files) source.append(resource(f));
        return new Script(source.toString());
    }

    public Object eval(Script s, List<String> keys, List<String> args) {
        return call(() -> {
            if (s.sha == null) s.sha = redis.scriptLoad(s.source, keys.get(0));
            try {
                return redis.evalsha(s.sha, keys, args);
            } catch (JedisNoScriptException e) {
                s.sha = redis.scriptLoad(s.source, keys.get(0)); // Redis restarted or flushed its script cache
                return redis.evalsha(s.sha, keys, args);
            }
        });
    }

    /** Runs one command on the client: Redis unreachable or refusing = store unavailable (fail closed); a script error = a bug. */
    public <T> T call(java.util.function.Function<UnifiedJedis, T> op) {
        return call(() -> op.apply(redis));
    }

    private static <T> T call(Supplier<T> op) {
        try {
            return op.get();
        } catch (JedisNoScriptException e) {
            throw new StoreUnavailableException("redis lost its scripts twice in a row", e);
        } catch (JedisDataException e) {
            if (e.getMessage() != null && (e.getMessage().startsWith("LOADING") || e.getMessage().startsWith("READONLY")
                    || e.getMessage().startsWith("CLUSTERDOWN") || e.getMessage().startsWith("TRYAGAIN")
                    || e.getMessage().startsWith("MASTERDOWN") || e.getMessage().startsWith("BUSY "))) { // not BUSYGROUP
                throw new StoreUnavailableException("redis is not ready: " + e.getMessage(), e);
            }
            throw new IllegalStateException("redis script error: " + e.getMessage(), e);
        } catch (JedisException e) {
            throw new StoreUnavailableException("redis unavailable: " + e.getMessage(), e);
        }
    }

    /** A script's reply element as text. */
    public static String str(Object o) {
        return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
    }

    private static String resource(String name) {
        try (InputStream in = RedisStore.class.getResourceAsStream("/lua/" + name)) {
            if (in == null) throw new IllegalStateException("missing Lua script " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read Lua script " + name, e);
        }
    }

    public void ping() {
        call(UnifiedJedis::ping);
    }

    @Override
    public void close() {
        redis.close();
    }
}
