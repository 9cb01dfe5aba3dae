package io.budgetguard.ledger;

import io.budgetguard.budget.RedisStore;
import io.budgetguard.core.StoreRejectedException;
import io.budgetguard.core.UsageEvent;
import io.budgetguard.core.UsageEventJson;
import io.budgetguard.log.JsonLog;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XAutoClaimParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The consumer side of the tenants' Redis ledger streams (settle appends to them in its script): a consumer
 * group per stream, batches committed to the ledger database and then acknowledged and deleted, entries a dead
 * consumer left pending claimed, lost groups recreated, refused entries parked in a dead-letter stream.
 */
public final class RedisLedgerStream {
    static final String LEDGER_GROUP = "ledger";

    /** Where drained events go: called with a batch, returns once they are committed to the ledger database. */
    @FunctionalInterface
    public interface LedgerSink {
        void commit(List<UsageEvent> events);
    }

    private final RedisStore redis;
    private final RedisStore.Script ack = RedisStore.script("ack.lua");
    /** Streams whose consumer group is known to exist; forgotten when Redis says it does not (NOGROUP). */
    private final Set<String> groupsCreated = ConcurrentHashMap.newKeySet();
    private final AtomicLong groupsRecreated = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();

    public RedisLedgerStream(RedisStore redis) {
        this.redis = redis;
    }

    /**
     * Moves this tenant's ledger events into the ledger database: first entries a dead consumer left pending
     * for longer than {@code claimIdleMs} (XAUTOCLAIM), then new ones; each batch is acknowledged (and then
     * deleted) only after {@code sink} committed it. Unacknowledged entries are never trimmed. A stream or group
     * Redis lost (restart without AOF, FLUSHALL, failover) is recreated and the drain goes on; an entry the database
     * refuses (SQLState 22/23) or that cannot be read is parked in the tenant's dead-letter stream and its neighbours
     * land. Returns how many events were committed.
     */
    public int drain(String tenantId, String consumer, long claimIdleMs, int batchSize, int maxBatches, LedgerSink sink) {
        String stream = RedisStore.ledgerStream(tenantId);
        ensureGroup(stream);
        int committed = 0;
        for (int batch = 0; batch < maxBatches; batch++) {
            List<StreamEntry> entries = withGroup(stream, () -> redis.call(r -> r.xautoclaim(stream, LEDGER_GROUP, consumer,
                    claimIdleMs, new StreamEntryID(0, 0), new XAutoClaimParams().count(batchSize)).getValue()));
            if (entries.isEmpty()) {
                List<Map.Entry<String, List<StreamEntry>>> read = withGroup(stream, () -> redis.call(r -> r.xreadGroup(
                        LEDGER_GROUP, consumer, new XReadGroupParams().count(batchSize),
                        Map.of(stream, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY))));
                entries = read == null || read.isEmpty() ? List.of() : read.get(0).getValue();
            }
            if (entries.isEmpty()) break;
            committed += commit(tenantId, entries, sink);
            List<String> ackArgs = new ArrayList<>(entries.size() + 1);
            ackArgs.add(LEDGER_GROUP);
            for (StreamEntry e : entries) ackArgs.add(e.getID().toString());
            redis.eval(ack, List.of(stream, RedisStore.drainEpoch(tenantId)), ackArgs);
        }
        return committed;
    }

    /** Commits a batch; when the database refuses it for its data, entry by entry, parking each refused one. */
    private int commit(String tenantId, List<StreamEntry> entries, LedgerSink sink) {
        List<UsageEvent> events = new ArrayList<>(entries.size());
        List<StreamEntry> readable = new ArrayList<>(entries.size());
        for (StreamEntry e : entries) {
            try {
                events.add(UsageEventJson.read(e.getFields().get("e")));
                readable.add(e);
            } catch (RuntimeException ex) {
                deadLetter(tenantId, e, "unreadable event: " + ex.getMessage());
            }
        }
        try {
            sink.commit(events);
            return events.size();
        } catch (StoreRejectedException batchRefused) {
            int landed = 0;
            for (int i = 0; i < events.size(); i++) {
                try {
                    sink.commit(List.of(events.get(i)));
                    landed++;
                } catch (StoreRejectedException refused) {
                    deadLetter(tenantId, readable.get(i), refused.getMessage());
                }
            }
            return landed;
        }
    }

    /** Keeps an entry the ledger cannot take, with why, in {@code {tenant}:ledger:dead}: nothing lost, nothing retried forever. */
    private void deadLetter(String tenantId, StreamEntry e, String why) {
        String raw = e.getFields().getOrDefault("e", "");
        redis.call(r -> r.xadd(deadLetterStream(tenantId), XAddParams.xAddParams(),
                Map.of("e", raw, "error", why, "id", e.getID().toString())));
        deadLetters.incrementAndGet();
        JsonLog.error("ledger_dead_letter", "tenant", tenantId, "entry", e.getID().toString(), "error", why);
    }

    static String deadLetterStream(String tenantId) {
        return RedisStore.key(tenantId, "ledger:dead");
    }

    /** Creates the group (and the stream) unless known to exist; remembered only once Redis said yes. */
    private void ensureGroup(String stream) {
        if (groupsCreated.contains(stream)) return;
        try {
            redis.call(r -> r.xgroupCreate(stream, LEDGER_GROUP, new StreamEntryID(0, 0), true));
        } catch (IllegalStateException e) {
            if (e.getMessage() == null || !e.getMessage().contains("BUSYGROUP")) throw e;
        }
        groupsCreated.add(stream);
    }

    /** Runs a group command; when Redis lost the group (NOGROUP), recreates it and runs the command once more. */
    private <T> T withGroup(String stream, Supplier<T> op) {
        try {
            return op.get();
        } catch (IllegalStateException e) {
            if (e.getMessage() == null || !e.getMessage().contains("NOGROUP")) throw e;
            groupsCreated.remove(stream);
            ensureGroup(stream);
            groupsRecreated.incrementAndGet();
            JsonLog.warn("ledger_group_recreated", "stream", stream);
            return op.get();
        }
    }

    /** {consumer groups recreated, entries parked in dead-letter streams} since start. */
    public long[] health() {
        return new long[] {groupsRecreated.get(), deadLetters.get()};
    }

    /** Events of this tenant not yet in the ledger database, and the age of the oldest (ms; 0 when none). */
    public long[] backlog(String tenantId, long nowMs) {
        String stream = RedisStore.ledgerStream(tenantId);
        long pending = redis.call(r -> r.exists(stream) ? r.xlen(stream) : 0L);
        if (pending == 0) return new long[] {0, 0};
        List<StreamEntry> first = redis.call(r -> r.xrange(stream, "-", "+", 1));
        long ageMs = first.isEmpty() ? 0 : Math.max(0, nowMs - first.get(0).getID().getTime());
        return new long[] {pending, ageMs};
    }
}
