package io.budgetguard.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.styra.opa.wasm.OpaBuiltin;
import com.styra.opa.wasm.OpaPolicy;
import com.styra.opa.wasm.OpaWasm;
import io.budgetguard.log.JsonLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Rego policies compiled to wasm and evaluated in-process on Chicory. One OpaPolicy instance is not
 * thread-safe, so evaluations borrow from a fixed pool of instances, each built with its data and entrypoint
 * preloaded; a reload builds a whole new pool and swaps it in atomically, and a broken bundle keeps the
 * previous one. Any evaluation failure is a deny with reason policy_error (fail closed).
 *
 * <p>A bundle whose manifest names the input paths the policy reads ({@link InputProjection}) is evaluated on that
 * projection only, and its decisions are remembered by projection (up to {@code memoBytes} of keys, per loaded
 * policy: a reload starts afresh), so a request whose projection was seen before costs a lookup, not an evaluation.
 */
public final class PolicyEngine implements AutoCloseable {
    public static final String ENTRYPOINT = "budgetguard/decision";
    public static final long DEFAULT_MEMO_BYTES = 8L * 1024 * 1024;
    /**
     * Host builtins the gateway provides (opa-java-wasm's defaults); all others must be native to wasm. Every one is
     * deterministic, and a policy needing any other is refused: remembered decisions depend on that.
     */
    static final Set<String> PROVIDED_BUILTINS = Set.of("sprintf", "json.is_valid", "yaml.is_valid", "yaml.marshal", "yaml.unmarshal");

    /**
     * A loaded policy: its instances, where it came from, the input it reads (null: all of it) and its remembered
     * decisions (null: none). Callers take one with {@link #loaded()} and use it for both gathering and evaluating the
     * input of one request, so a reload in between cannot pair one policy's projection with another's rules.
     */
    public final class Loaded {
        private final String revision;
        private final ArrayBlockingQueue<OpaPolicy> idle;
        private final PolicyBundle bundle;
        private final long fileStamp;
        private final InputProjection projection;
        private final Cache<String, PolicyDecision> memo;
        private final java.util.concurrent.atomic.LongAdder memoHits = new java.util.concurrent.atomic.LongAdder();

        private Loaded(String revision, ArrayBlockingQueue<OpaPolicy> idle, PolicyBundle bundle, long fileStamp) {
            this.revision = revision;
            this.idle = idle;
            this.bundle = bundle;
            this.fileStamp = fileStamp;
            this.projection = bundle.inputPaths() == null ? null : new InputProjection(bundle.inputPaths());
            // A policy reading the budgets' usage or the clock to the millisecond sees a new input every request.
            boolean repeats = projection != null && !projection.reads(List.of("tenant", "budgets"))
                    && !projection.reads(List.of("time", "now"));
            this.memo = !repeats || memoBytes == 0 ? null : Caffeine.newBuilder()
                    .maximumWeight(memoBytes).weigher((String k, PolicyDecision d) -> 2 * k.length() + 96).build();
        }

        public String revision() {
            return revision;
        }

        /** Decisions answered from memory since this policy was loaded. */
        public long memoHits() {
            return memoHits.sum();
        }

        /** Whether the policy reads {@code path} of its input (true when its bundle does not say what it reads). */
        public boolean reads(String... path) {
            return projection == null || projection.reads(List.of(path));
        }

        /** The decision for {@code input}: remembered, or evaluated on the part of it the policy reads. */
        public PolicyDecision evaluate(ObjectNode input) {
            if (projection == null) return run(this, input.toString());
            String key = projection.project(input).toString();
            PolicyDecision known = memo == null ? null : memo.getIfPresent(key);
            if (known != null) {
                memoHits.increment();
                return known;
            }
            PolicyDecision d = run(this, key);
            if (memo != null && !d.failed()) memo.put(key, d);
            return d;
        }
    }

    private final Path path;
    private final int poolSize;
    private final long borrowTimeoutMs;
    private final long memoBytes;
    private final ObjectMapper json;
    private final AtomicReference<Loaded> current = new AtomicReference<>();
    private final ExecutorService builders = Executors.newVirtualThreadPerTaskExecutor();
    private volatile Thread watcher;

    private PolicyEngine(Path path, int poolSize, long borrowTimeoutMs, long memoBytes, ObjectMapper json) {
        this.path = path;
        this.poolSize = poolSize;
        this.borrowTimeoutMs = borrowTimeoutMs;
        this.memoBytes = memoBytes;
        this.json = json;
    }

    /** An engine with no policy: every request is allowed (no custom policy configured). */
    public static PolicyEngine disabled(ObjectMapper json) {
        return new PolicyEngine(null, 0, 0, 0, json);
    }

    /**
     * Loads the policy at {@code path}. A missing file means the default policy built into the jar, unless the path
     * was set explicitly (then it refuses to start); a broken file always refuses to start (it would otherwise
     * silently allow everything).
     */
    public static PolicyEngine start(Path path, boolean explicit, int poolSize, long borrowTimeoutMs, boolean watch,
                                     long pollMs, ObjectMapper json) throws IOException {
        return start(path, explicit, poolSize, borrowTimeoutMs, DEFAULT_MEMO_BYTES, watch, pollMs, json);
    }

    /** As above, remembering up to {@code memoBytes} of decisions per loaded policy (0: none). */
    public static PolicyEngine start(Path path, boolean explicit, int poolSize, long borrowTimeoutMs, long memoBytes,
                                     boolean watch, long pollMs, ObjectMapper json) throws IOException {
        PolicyEngine e = new PolicyEngine(path, poolSize, borrowTimeoutMs, memoBytes, json);
        if (!Files.exists(path)) {
            if (explicit) throw new IOException("OPA_POLICY_PATH: " + path + " does not exist");
            PolicyBundle builtIn = PolicyBundle.builtIn(json);
            if (builtIn == null) {
                JsonLog.info("policy_off", "reason", "no policy bundle at " + path + " and none built in; build one with policy/build.sh");
            } else {
                // No bundle of one's own: the default policy shipped in the jar (the quick start runs with it on); in
                // dev mode a bundle that appears at the path later replaces it.
                e.current.set(e.load(builtIn, 0));
                JsonLog.info("policy_loaded", "path", "built-in", "revision", e.revision(), "instances", poolSize);
            }
        } else {
            e.current.set(e.load());
            JsonLog.info("policy_loaded", "path", path.toString(), "revision", e.revision(), "instances", poolSize);
        }
        if (watch) e.watch(pollMs);
        return e;
    }

    public boolean enabled() {
        return current.get() != null;
    }

    /** The policy in force, or null when none is. */
    public Loaded loaded() {
        return current.get();
    }

    /** The loaded policy's revision, or null when no custom policy is active. */
    public String revision() {
        Loaded l = current.get();
        return l == null ? null : l.revision();
    }

    /** The decision for the whole input as JSON text (nothing remembered). */
    public PolicyDecision evaluate(String inputJson) {
        Loaded l = current.get();
        if (l == null) return PolicyDecision.ALLOW;
        return run(l, inputJson);
    }

    private PolicyDecision run(Loaded l, String inputJson) {
        OpaPolicy instance;
        try {
            instance = l.idle.poll(borrowTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return PolicyDecision.error("interrupted");
        }
        if (instance == null) return PolicyDecision.error("no policy instance free within " + borrowTimeoutMs + " ms");
        String out;
        try {
            out = instance.evaluate(inputJson);
        } catch (RuntimeException e) {
            // An instance that failed mid-evaluation may hold corrupt memory: replace it, never reuse it.
            builders.submit(() -> replace(l));
            JsonLog.warn("policy_evaluation_failed", "revision", l.revision(), "error", e.toString());
            return PolicyDecision.error("evaluation failed");
        }
        l.idle.offer(instance);
        return parse(out);
    }

    /** Reloads from the file; on any failure the previous policy stays and the reason is logged. */
    public boolean reload() {
        try {
            Loaded fresh = load();
            current.set(fresh);
            JsonLog.info("policy_reloaded", "path", path.toString(), "revision", fresh.revision());
            return true;
        } catch (IOException | RuntimeException e) {
            JsonLog.warn("policy_reload_failed", "path", String.valueOf(path), "kept_revision", revision(), "error", e.getMessage());
            return false;
        }
    }

    private Loaded load() throws IOException {
        long stamp = stamp();
        return load(PolicyBundle.read(path, json), stamp);
    }

    private Loaded load(PolicyBundle bundle, long stamp) throws IOException {
        List<Future<OpaPolicy>> futures = new ArrayList<>();
        for (int i = 0; i < poolSize; i++) futures.add(builders.submit((Callable<OpaPolicy>) () -> instance(bundle)));
        ArrayBlockingQueue<OpaPolicy> idle = new ArrayBlockingQueue<>(poolSize);
        for (Future<OpaPolicy> f : futures) {
            try {
                idle.add(f.get());
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause();
                throw c instanceof IOException io ? io : new IOException(c.getMessage() == null ? c.toString() : c.getMessage(), c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while loading the policy");
            }
        }
        return new Loaded(bundle.revision(), idle, bundle, stamp);
    }

    /** Builds one instance with data and entrypoint preloaded, after checking what it needs from the host. */
    private OpaPolicy instance(PolicyBundle bundle) throws IOException {
        OpaPolicy p;
        try {
            p = OpaPolicy.builder().withPolicy(bundle.wasm()).withJsonMapper(json).build();
        } catch (RuntimeException e) {
            throw new IOException("not a loadable OPA wasm module (ABI 1.3 from a current opa build): " + e.getMessage(), e);
        }
        Set<String> missing = missingBuiltins(p);
        if (!missing.isEmpty()) {
            throw new IOException("the policy needs builtins the gateway does not provide: " + missing
                    + " (provided: " + new TreeSet<>(PROVIDED_BUILTINS) + ")");
        }
        if (!p.entrypoints().containsKey(ENTRYPOINT)) {
            throw new IOException("the policy has no entrypoint " + ENTRYPOINT + " (build with -e " + ENTRYPOINT + ")");
        }
        p.data(bundle.dataJson());
        p.entrypoint(ENTRYPOINT);
        return p;
    }

    /**
     * Host builtins the module imports that the gateway does not provide: they would fail only at evaluation.
     * opa-java-wasm reads the module's builtin table once, while building (the module frees it afterwards),
     * and keeps one entry per required builtin; that table is read here.
     */
    private static Set<String> missingBuiltins(OpaPolicy p) throws IOException {
        try {
            java.lang.reflect.Field wasmField = OpaPolicy.class.getDeclaredField("wasm");
            wasmField.setAccessible(true);
            OpaWasm w = (OpaWasm) wasmField.get(p);
            java.lang.reflect.Field table = OpaWasm.class.getDeclaredField("builtins");
            table.setAccessible(true);
            Set<String> missing = new TreeSet<>();
            for (OpaBuiltin.Builtin b : (OpaBuiltin.Builtin[]) table.get(w)) {
                if (b != null && !PROVIDED_BUILTINS.contains(b.name())) missing.add(b.name());
            }
            return missing;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException("cannot inspect the policy's builtins (opa-java-wasm changed?): " + e, e);
        }
    }

    private void replace(Loaded l) {
        try {
            l.idle.offer(instance(l.bundle));
        } catch (IOException | RuntimeException e) {
            JsonLog.error("policy_instance_rebuild_failed", "revision", l.revision(), "error", e.toString());
        }
    }

    /** Result sets read so far, by their text: a policy has few distinct answers even when every input is new. */
    private final java.util.concurrent.ConcurrentHashMap<String, PolicyDecision> answers = new java.util.concurrent.ConcurrentHashMap<>();
    static final int MAX_ANSWERS = 256;
    static final int MAX_ANSWER_CHARS = 1_024;

    /** OPA's result set: [{"result": {...}}]; an empty set (undefined decision) or a malformed one is a deny. */
    private PolicyDecision parse(String out) {
        PolicyDecision known = answers.get(out);
        if (known != null) return known;
        PolicyDecision d = read(out);
        if (answers.size() < MAX_ANSWERS && out.length() <= MAX_ANSWER_CHARS) answers.put(out, d);
        return d;
    }

    private PolicyDecision read(String out) {
        try {
            JsonNode rs = json.readTree(out);
            if (!rs.isArray() || rs.isEmpty()) return PolicyDecision.error("the decision is undefined");
            JsonNode d = rs.get(0).path("result");
            JsonNode allow = d.get("allow");
            if (allow == null || !allow.isBoolean()) return PolicyDecision.error("the decision has no boolean 'allow'");
            List<String> reasons = new ArrayList<>();
            for (JsonNode r : d.path("reasons")) reasons.add(r.isTextual() ? r.asText() : r.toString());
            if (!allow.booleanValue() && reasons.isEmpty()) reasons.add("denied by policy");
            return new PolicyDecision(allow.booleanValue(), reasons);
        } catch (IOException e) {
            return PolicyDecision.error("unreadable decision");
        }
    }

    private long stamp() throws IOException {
        return Files.getLastModifiedTime(path).toMillis() * 31 + Files.size(path);
    }

    /** Dev mode: reload when the file changes (polled; works on every filesystem, editors that replace files included). */
    private void watch(long pollMs) {
        watcher = Thread.ofVirtual().name("policy-watch").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(pollMs);
                    if (!Files.exists(path)) continue;
                    Loaded l = current.get();
                    long s = stamp();
                    // A broken file is tried once; the next attempt waits for the next change.
                    if ((l == null || s != l.fileStamp) && s != failedStamp && !reload()) failedStamp = s;
                } catch (InterruptedException e) {
                    return;
                } catch (IOException e) {
                    JsonLog.warn("policy_watch_failed", "error", e.getMessage());
                }
            }
        });
    }

    private volatile long failedStamp;

    @Override
    public void close() {
        Thread w = watcher;
        if (w != null) w.interrupt();
        builders.shutdownNow();
    }
}
