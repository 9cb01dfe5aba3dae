package io.budgetguard.budget;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.config.Settings;
import io.budgetguard.log.JsonLog;
import io.budgetguard.store.StoreUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAutoClaimParams;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.params.ZAddParams;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * Counters in Redis, shared by any number of gateways: admission and settle are each one Lua script run by
 * EVALSHA (one round trip). Every key of a tenant carries the hash tag {tenantId}, so each script touches one
 * Redis Cluster slot. Windows missing from Redis (first use, or Redis restarted empty) are rebuilt from the ledger.
 */
public final class RedisCounters implements SpendCounters {
    static final long RATE_KEY_TTL_MS = 120_000;
    static final int MAX_ADMIT_ATTEMPTS = 3;

    /** A script file loaded once and run by SHA; reloaded when Redis answers NOSCRIPT (it restarted). */
    private static final class Script {
        final String name;
        final String source;
        volatile String sha;

        Script(String name, String source) {
            this.name = name;
            this.source = source;
        }
    }

    private final UnifiedJedis redis;
    private final SpendHistory history;
    private final long graceMs;
    private final ObjectMapper json = new ObjectMapper();
    private final Script admit;
    private final Script settle;
    private final Script init;
    private final Script usage;
    private final Script ack;

    RedisCounters(UnifiedJedis redis, SpendHistory history, long graceMs) {
        this.redis = redis;
        this.history = history;
        this.graceMs = graceMs;
        String lib = resource("lib.lua");
        this.admit = new Script("admit", lib + resource("admit.lua"));
        this.settle = new Script("settle", lib + resource("settle.lua"));
        this.init = new Script("init", lib + resource("init.lua"));
        this.usage = new Script("usage", lib + resource("usage.lua"));
        this.ack = new Script("ack", resource("ack.lua"));
    }

    /** Connects to {@code REDIS_URL}: one URL = a standalone server, several = a cluster. */
    public static RedisCounters connect(Settings s, SpendHistory history, long graceMs) {
        String[] urls = s.redisUrl().split(",");
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(s.redisPoolSize());
        pool.setMaxIdle(s.redisPoolSize());
        pool.setMaxWait(java.time.Duration.ofMillis(s.redisTimeoutMs()));
        URI first = URI.create(urls[0].trim());
        JedisClientConfig config = clientConfig(first, (int) s.redisTimeoutMs());
        UnifiedJedis redis;
        if (urls.length == 1) {
            redis = new JedisPooled(new HostAndPort(first.getHost(), port(first)), config, pool);
        } else {
            Set<HostAndPort> nodes = new HashSet<>();
            for (String u : urls) {
                URI uri = URI.create(u.trim());
                nodes.add(new HostAndPort(uri.getHost(), port(uri)));
            }
            redis = new JedisCluster(nodes, config, pool);
        }
        return new RedisCounters(redis, history, graceMs);
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

    static String key(String tenantId, String suffix) {
        return "bg:{" + tenantId + "}:" + suffix;
    }

    static String windowKey(String tenantId, WindowRef w) {
        return key(tenantId, "w:" + w.id());
    }

    @Override
    public Admission admit(Reservation p, int rateLimitPerMin, long nowMs) {
        markActive(p.tenantId(), nowMs);
        List<String> keys = new ArrayList<>(3 + p.windows().size());
        keys.add(key(p.tenantId(), "rate"));
        keys.add(key(p.tenantId(), "res"));
        keys.add(key(p.tenantId(), "dl"));
        List<String> args = new ArrayList<>(9 + 5 * p.windows().size());
        args.add(Long.toString(nowMs));
        args.add(p.id());
        args.add(Long.toString(p.estimateMicroUsd()));
        args.add(Integer.toString(rateLimitPerMin));
        args.add(Long.toString(EmbeddedCounters.RATE_BUCKET_MS));
        args.add(Integer.toString(EmbeddedCounters.RATE_BUCKETS));
        args.add(Long.toString(p.deadlineMs()));
        args.add(payload(p));
        args.add(Long.toString(RATE_KEY_TTL_MS));
        for (WindowRef w : p.windows()) {
            keys.add(windowKey(p.tenantId(), w));
            args.add(Long.toString(w.limitMicroUsd()));
            args.add(w.rolling() ? "r" : "c");
            args.add(Long.toString(w.bucketMs()));
            args.add(Integer.toString(WindowRef.ROLLING_BUCKETS));
            args.add(Long.toString(expireAt(w, nowMs)));
        }
        for (int attempt = 0; attempt < MAX_ADMIT_ATTEMPTS; attempt++) {
            List<?> r = (List<?>) eval(admit, keys, args);
            String verdict = str(r.get(0));
            int remaining;
            switch (verdict) {
                case "OK" -> {
                    remaining = Integer.parseInt(str(r.get(1)));
                    return new Admission.Admitted(p, new RateState(rateLimitPerMin, remaining, rateResetMs()));
                }
                case "RATE" -> {
                    long retry = Long.parseLong(str(r.get(1)));
                    return new Admission.RateLimited(new RateState(rateLimitPerMin, 0, retry), retry);
                }
                case "BUDGET" -> {
                    WindowRef w = p.windows().get(Integer.parseInt(str(r.get(1))) - 1);
                    remaining = Integer.parseInt(str(r.get(4)));
                    return new Admission.OverBudget(w, Long.parseLong(str(r.get(2))), Long.parseLong(str(r.get(3))),
                            new RateState(rateLimitPerMin, remaining, rateResetMs()));
                }
                case "MISSING" -> {
                    List<WindowRef> missing = new ArrayList<>();
                    for (int i = 1; i < r.size(); i++) missing.add(p.windows().get(Integer.parseInt(str(r.get(i))) - 1));
                    rebuild(p.tenantId(), missing, nowMs);
                }
                default -> throw new IllegalStateException("admit.lua answered " + verdict);
            }
        }
        throw new IllegalStateException("budget windows of " + p.tenantId() + " still missing after " + MAX_ADMIT_ATTEMPTS + " rebuilds");
    }

    private static long rateResetMs() {
        return EmbeddedCounters.RATE_BUCKET_MS * (EmbeddedCounters.RATE_BUCKETS + 1);
    }

    private long expireAt(WindowRef w, long nowMs) {
        return w.rolling() ? nowMs + w.period().rollingSpan().toMillis() + graceMs : w.endMs() + graceMs;
    }

    /**
     * Builds missing windows from the ledger database plus the events still in the tenant's ledger stream (only
     * where still missing), in one script; started again when a drain deleted entries meanwhile.
     */
    private void rebuild(String tenantId, List<WindowRef> windows, long nowMs) {
        for (int attempt = 1; ; attempt++) {
            String epoch = call(() -> redis.get(drainEpoch(tenantId)));
            List<String> keys = new ArrayList<>();
            List<String> args = new ArrayList<>();
            args.add(epoch == null ? "" : epoch);
            args.add(Integer.toString(MAX_REBUILD_STREAM_ENTRIES));
            for (WindowRef w : windows) {
                keys.add(windowKey(tenantId, w));
                rebuildArgs(tenantId, w, nowMs, args);
            }
            keys.add(ledgerStream(tenantId));
            keys.add(drainEpoch(tenantId));
            keys.add(key(tenantId, "res"));
            String result = str(eval(init, keys, args));
            if (result.equals("OK")) break;
            if (result.equals("BACKLOG")) {
                throw new StoreUnavailableException("redis: the ledger stream of " + tenantId + " holds more than "
                        + MAX_REBUILD_STREAM_ENTRIES + " undrained events, so its budget windows cannot be rebuilt until the "
                        + "worker drains it", null);
            }
            if (attempt >= MAX_REBUILD_ATTEMPTS) {
                throw new StoreUnavailableException("redis: budget windows of " + tenantId + " kept changing while rebuilt", null);
            }
        }
        JsonLog.info("redis_windows_rebuilt", "tenant", tenantId, "windows", windows.size());
    }

    static final String ACTIVE_TENANTS = "bg:active";
    /** Set once when missing: a new value means the marks (and everything else) were lost. */
    static final String ACTIVE_EPOCH = "bg:active:epoch";
    /** A gateway tells Redis a tenant is active at most this often (the duties look back far longer). */
    static final long ACTIVE_MARK_INTERVAL_MS = 1_000;
    static final int MAX_MARKS_REMEMBERED = 100_000;
    private final Map<String, Long> markedMs = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * One sorted set (tenant → last active ms) for the whole deployment, outside the tenant's slot (so outside the
     * scripts): written before the admission it announces, at most once per ACTIVE_MARK_INTERVAL_MS per tenant
     * and gateway.
     */
    @Override
    public void markActive(String tenantId, long nowMs) {
        Long last = markedMs.get(tenantId);
        if (last != null && nowMs - last < ACTIVE_MARK_INTERVAL_MS && nowMs >= last) return;
        call(() -> redis.zadd(ACTIVE_TENANTS, nowMs, tenantId, ZAddParams.zAddParams().gt()));
        if (markedMs.size() >= MAX_MARKS_REMEMBERED) markedMs.clear();
        markedMs.put(tenantId, nowMs);
    }

    @Override
    public List<String> activeSince(long sinceMs, int max) {
        return call(() -> redis.zrangeByScore(ACTIVE_TENANTS, Long.toString(sinceMs), "+inf", 0, max));
    }

    @Override
    public String activityEpoch() {
        String epoch = call(() -> redis.get(ACTIVE_EPOCH));
        if (epoch != null) return epoch;
        call(() -> redis.set(ACTIVE_EPOCH, Long.toHexString(new java.security.SecureRandom().nextLong()),
                SetParams.setParams().nx()));
        return call(() -> redis.get(ACTIVE_EPOCH));
    }

    @Override
    public void forgetActiveBefore(long beforeMs) {
        call(() -> redis.zremrangeByScore(ACTIVE_TENANTS, "-inf", "(" + beforeMs));
    }

    @Override
    public SettleResult settle(Reservation r, long actualMicroUsd, long nowMs, io.budgetguard.ledger.UsageEvent event,
                               List<WindowRef> current) {
        if (actualMicroUsd < 0) throw new IllegalStateException("negative cost");
        markActive(r.tenantId(), nowMs);
        List<String> keys = new ArrayList<>(4 + r.windows().size());
        keys.add(key(r.tenantId(), "res"));
        keys.add(key(r.tenantId(), "dl"));
        keys.add(key(r.tenantId(), "done"));
        keys.add(ledgerStream(r.tenantId()));
        List<String> args = new ArrayList<>(7 + 3 * r.windows().size());
        args.add(r.id());
        args.add(Long.toString(actualMicroUsd));
        args.add(Long.toString(nowMs));
        args.add(Long.toString(r.estimateMicroUsd()));
        args.add(Long.toString(r.createdMs()));
        args.add(Long.toString(graceMs));
        args.add(event == null ? "" : io.budgetguard.ledger.UsageEventJson.write(event));
        for (WindowRef w : r.windows()) settleWindow(keys, args, r.tenantId(), w, "h");
        for (WindowRef w : SpendCounters.spendOnly(r, current)) settleWindow(keys, args, r.tenantId(), w, "s");
        String result = str(eval(settle, keys, args));
        if (result.endsWith(":CLAMPED")) {
            JsonLog.error("reserved_was_short", "request_id", r.id(), "tenant", r.tenantId());
            result = result.substring(0, result.length() - ":CLAMPED".length());
        }
        return SettleResult.valueOf(result);
    }

    private static void settleWindow(List<String> keys, List<String> args, String tenantId, WindowRef w, String held) {
        keys.add(windowKey(tenantId, w));
        args.add(w.rolling() ? "r" : "c");
        args.add(Long.toString(w.bucketMs()));
        args.add(Integer.toString(WindowRef.ROLLING_BUCKETS));
        args.add(held);
    }

    private void rebuildArgs(String tenantId, WindowRef w, long nowMs, List<String> args) {
        args.add(w.rolling() ? "r" : "c");
        args.add(Long.toString(expireAt(w, nowMs)));
        if (w.rolling()) {
            long lo = Math.floorDiv(nowMs, w.bucketMs()) - WindowRef.ROLLING_BUCKETS;
            Map<Long, Long> buckets = history.spentPerBucket(tenantId, lo * w.bucketMs(), w.bucketMs(), List.of());
            args.add(Long.toString(lo));
            args.add("0");
            args.add("0");
            args.add(Long.toString(w.bucketMs()));
            args.add(w.id());
            args.add(Integer.toString(buckets.size()));
            for (Map.Entry<Long, Long> e : buckets.entrySet()) {
                args.add(Long.toString(Math.max(e.getKey(), lo)));
                args.add(Long.toString(e.getValue()));
            }
        } else {
            args.add(Long.toString(history.spentMicroUsd(tenantId, w.startMs(), w.endMs(), List.of())));
            args.add(Long.toString(w.startMs()));
            args.add(Long.toString(w.endMs()));
            args.add("0");
            args.add(w.id());
            args.add("0");
        }
    }

    static String drainEpoch(String tenantId) {
        return key(tenantId, "ledger:epoch");
    }

    static String ledgerStream(String tenantId) {
        return key(tenantId, "ledger");
    }

    /** Where drained events go: called with a batch, returns once they are committed to the ledger database. */
    @FunctionalInterface
    public interface LedgerSink {
        void commit(List<io.budgetguard.ledger.UsageEvent> events);
    }

    static final String LEDGER_GROUP = "ledger";
    /** A window rebuild scans the tenant's undrained events in one script; a longer backlog waits for the drain. */
    static final int MAX_REBUILD_STREAM_ENTRIES = 100_000;
    static final int MAX_REBUILD_ATTEMPTS = 5;
    /** Streams whose consumer group is known to exist; forgotten when Redis says it does not (NOGROUP). */
    private final java.util.Set<String> groupsCreated = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicLong groupsRecreated = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong deadLetters = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Moves this tenant's ledger events into the ledger database: first entries a dead consumer left pending
     * for longer than {@code claimIdleMs} (XAUTOCLAIM), then new ones; each batch is acknowledged (and then
     * deleted) only after {@code sink} committed it. Unacknowledged entries are never trimmed. A stream or group
     * Redis lost (restart without AOF, FLUSHALL, failover) is recreated and the drain goes on; an entry the database
     * refuses (SQLState 22/23) or that cannot be read is parked in the tenant's dead-letter stream and its neighbours
     * land. Returns how many events were committed.
     */
    public int drainLedger(String tenantId, String consumer, long claimIdleMs, int batchSize, int maxBatches, LedgerSink sink) {
        String stream = ledgerStream(tenantId);
        ensureGroup(stream);
        int committed = 0;
        for (int batch = 0; batch < maxBatches; batch++) {
            List<StreamEntry> entries = withGroup(stream, () -> redis.xautoclaim(stream, LEDGER_GROUP, consumer,
                    claimIdleMs, new StreamEntryID(0, 0), new XAutoClaimParams().count(batchSize)).getValue());
            if (entries.isEmpty()) {
                List<Map.Entry<String, List<StreamEntry>>> read = withGroup(stream, () -> redis.xreadGroup(
                        LEDGER_GROUP, consumer, new XReadGroupParams().count(batchSize),
                        Map.of(stream, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY)));
                entries = read == null || read.isEmpty() ? List.of() : read.get(0).getValue();
            }
            if (entries.isEmpty()) break;
            committed += commit(tenantId, entries, sink);
            List<String> ackArgs = new ArrayList<>(entries.size() + 1);
            ackArgs.add(LEDGER_GROUP);
            for (StreamEntry e : entries) ackArgs.add(e.getID().toString());
            eval(ack, List.of(stream, drainEpoch(tenantId)), ackArgs);
        }
        return committed;
    }

    /** Commits a batch; when the database refuses it for its data, entry by entry, parking each refused one. */
    private int commit(String tenantId, List<StreamEntry> entries, LedgerSink sink) {
        List<io.budgetguard.ledger.UsageEvent> events = new ArrayList<>(entries.size());
        List<StreamEntry> readable = new ArrayList<>(entries.size());
        for (StreamEntry e : entries) {
            try {
                events.add(io.budgetguard.ledger.UsageEventJson.read(e.getFields().get("e")));
                readable.add(e);
            } catch (RuntimeException ex) {
                deadLetter(tenantId, e, "unreadable event: " + ex.getMessage());
            }
        }
        try {
            sink.commit(events);
            return events.size();
        } catch (io.budgetguard.store.StoreRejectedException batchRefused) {
            int landed = 0;
            for (int i = 0; i < events.size(); i++) {
                try {
                    sink.commit(List.of(events.get(i)));
                    landed++;
                } catch (io.budgetguard.store.StoreRejectedException refused) {
                    deadLetter(tenantId, readable.get(i), refused.getMessage());
                }
            }
            return landed;
        }
    }

    /** Keeps an entry the ledger cannot take, with why, in {@code {tenant}:ledger:dead}: nothing lost, nothing retried forever. */
    private void deadLetter(String tenantId, StreamEntry e, String why) {
        String raw = e.getFields().getOrDefault("e", "");
        call(() -> redis.xadd(deadLetterStream(tenantId), XAddParams.xAddParams(),
                Map.of("e", raw, "error", why, "id", e.getID().toString())));
        deadLetters.incrementAndGet();
        JsonLog.error("ledger_dead_letter", "tenant", tenantId, "entry", e.getID().toString(), "error", why);
    }

    static String deadLetterStream(String tenantId) {
        return key(tenantId, "ledger:dead");
    }

    /** Creates the group (and the stream) unless known to exist; remembered only once Redis said yes. */
    private void ensureGroup(String stream) {
        if (groupsCreated.contains(stream)) return;
        try {
            call(() -> redis.xgroupCreate(stream, LEDGER_GROUP, new StreamEntryID(0, 0), true));
        } catch (IllegalStateException e) {
            if (e.getMessage() == null || !e.getMessage().contains("BUSYGROUP")) throw e;
        }
        groupsCreated.add(stream);
    }

    /** Runs a group command; when Redis lost the group (NOGROUP), recreates it and runs the command once more. */
    private <T> T withGroup(String stream, java.util.function.Supplier<T> op) {
        try {
            return call(op);
        } catch (IllegalStateException e) {
            if (e.getMessage() == null || !e.getMessage().contains("NOGROUP")) throw e;
            groupsCreated.remove(stream);
            ensureGroup(stream);
            groupsRecreated.incrementAndGet();
            JsonLog.warn("ledger_group_recreated", "stream", stream);
            return call(op);
        }
    }

    /** {consumer groups recreated, entries parked in dead-letter streams} since start. */
    public long[] drainHealth() {
        return new long[] {groupsRecreated.get(), deadLetters.get()};
    }

    /** Events of this tenant not yet in the ledger database, and the age of the oldest (ms; 0 when none). */
    public long[] ledgerBacklog(String tenantId, long nowMs) {
        String stream = ledgerStream(tenantId);
        long pending = call(() -> redis.exists(stream) ? redis.xlen(stream) : 0L);
        if (pending == 0) return new long[] {0, 0};
        List<StreamEntry> first = call(() -> redis.xrange(stream, "-", "+", 1));
        long ageMs = first.isEmpty() ? 0 : Math.max(0, nowMs - first.get(0).getID().getTime());
        return new long[] {pending, ageMs};
    }

    /** One EVALSHA for every window (they share the tenant's hash slot); a missing window is rebuilt first. */
    @Override
    public List<WindowUsage> usage(String tenantId, List<WindowRef> windows, long nowMs) {
        if (windows.isEmpty()) return List.of();
        List<String> keys = new ArrayList<>(windows.size());
        List<String> args = new ArrayList<>(windows.size() * 2);
        for (WindowRef w : windows) {
            keys.add(windowKey(tenantId, w));
            args.add(w.rolling() ? "r" : "c");
            args.add(w.rolling() ? Long.toString(Math.floorDiv(nowMs, w.bucketMs()) - WindowRef.ROLLING_BUCKETS) : "0");
        }
        for (int attempt = 0; attempt < MAX_ADMIT_ATTEMPTS; attempt++) {
            List<?> r = (List<?>) eval(usage, keys, args);
            List<WindowRef> missing = new ArrayList<>();
            List<WindowUsage> out = new ArrayList<>(windows.size());
            for (int i = 0; i < windows.size(); i++) {
                if (Long.parseLong(str(r.get(3 * i))) == 0) missing.add(windows.get(i));
                out.add(new WindowUsage(windows.get(i), Long.parseLong(str(r.get(3 * i + 1))), Long.parseLong(str(r.get(3 * i + 2)))));
            }
            if (missing.isEmpty()) return out;
            rebuild(tenantId, missing, nowMs);
        }
        throw new StoreUnavailableException("redis: budget windows of " + tenantId + " vanished while being read", null);
    }

    @Override
    public List<Reservation> expired(String tenantId, long nowMs, int max) {
        List<String> ids = call(() -> redis.zrangeByScore(key(tenantId, "dl"), "-inf", Long.toString(nowMs), 0, max));
        if (ids.isEmpty()) return List.of();
        List<String> payloads = call(() -> redis.hmget(key(tenantId, "res"), ids.toArray(String[]::new)));
        List<Reservation> out = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            if (payloads.get(i) != null) out.add(parse(tenantId, ids.get(i), payloads.get(i)));
        }
        return out;
    }

    /** What an expiry needs to settle and record a reservation whose gateway died. */
    private String payload(Reservation r) {
        ObjectNode o = json.createObjectNode();
        o.put("k", r.apiKeyId());
        o.put("e", r.endpoint());
        o.put("m", r.model());
        o.put("est", r.estimateMicroUsd());
        o.put("c", r.createdMs());
        o.put("d", r.deadlineMs());
        ArrayNode ws = o.putArray("w");
        for (WindowRef w : r.windows()) {
            ObjectNode wo = ws.addObject();
            wo.put("id", w.id());
            wo.put("p", w.period().name());
            wo.put("s", w.startMs());
            wo.put("e", w.endMs());
            wo.put("l", w.limitMicroUsd());
        }
        return o.toString();
    }

    private Reservation parse(String tenantId, String id, String payload) {
        try {
            JsonNode o = json.readTree(payload);
            List<WindowRef> ws = new ArrayList<>();
            for (JsonNode w : o.get("w")) {
                ws.add(new WindowRef(w.get("id").asText(), BudgetPeriod.parse(w.get("p").asText()), w.get("s").asLong(),
                        w.get("e").asLong(), w.get("l").asLong()));
            }
            return new Reservation(id, tenantId, o.get("k").asText(), o.get("e").asText(),
                    o.get("m").isNull() ? null : o.get("m").asText(), o.get("est").asLong(), o.get("c").asLong(),
                    o.get("d").asLong(), ws);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("unreadable reservation " + id + " of " + tenantId, e);
        }
    }

    private Object eval(Script s, List<String> keys, List<String> args) {
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

    /** Redis unreachable or refusing = store unavailable (fail closed); a script error = a bug. */
    private static <T> T call(java.util.function.Supplier<T> op) {
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

    private static String str(Object o) {
        return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
    }

    private static String resource(String name) {
        try (InputStream in = RedisCounters.class.getResourceAsStream("/lua/" + name)) {
            if (in == null) throw new IllegalStateException("missing Lua script " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read Lua script " + name, e);
        }
    }

    @Override
    public void ping() {
        call(() -> redis.ping());
    }

    @Override
    public void close() {
        redis.close();
    }
}
