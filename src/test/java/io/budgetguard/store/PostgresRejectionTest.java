package io.budgetguard.store;

import io.budgetguard.core.StoreRejectedException;
import io.budgetguard.core.StoreUnavailableException;
import io.budgetguard.tenant.ApiKey;
import io.budgetguard.tenant.Tenant;
import io.budgetguard.tenant.TenantStore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.PostgresDb;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A running Postgres that refuses one value or one change is the request's problem, not an outage: SQLState class 22
 * and 23 are {@link StoreRejectedException} (answered 400/409), and only a store that cannot be reached is
 * {@link StoreUnavailableException} (503).
 */
class PostgresRejectionTest {
    Database db;
    TenantStore tenants;

    @BeforeEach
    void open() {
        db = Database.postgres(DatabaseUrl.parse(PostgresDb.create()), 2, 5_000);
        db.migrate();
        tenants = new TenantStore(db);
        assertTrue(tenants.create(new Tenant("t1", "one", 10, Instant.now(), List.of())));
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void aValueTheColumnCannotHoldIsADataErrorNotAnOutage() {
        var key = new ApiKey("key_nul", "t1", "has\u0000nul", "bg_x", Instant.now(), null);
        StoreRejectedException e = assertThrows(StoreRejectedException.class, () -> tenants.insertKey(key, "hash-nul"));
        assertFalse(e.constraint());
        assertTrue(e.sqlState().startsWith("22"), e.sqlState());
        assertTrue(tenants.keysOf("t1").isEmpty(), "nothing was stored");
    }

    @Test
    void aConflictWithStoredDataIsAConstraintError() {
        tenants.insertKey(new ApiKey("key_a", "t1", "a", "bg_a", Instant.now(), null), "hash-a");
        StoreRejectedException e = assertThrows(StoreRejectedException.class,
                () -> tenants.insertKey(new ApiKey("key_a", "t1", "b", "bg_b", Instant.now(), null), "hash-b"));
        assertTrue(e.constraint());
        assertEquals("23", e.sqlState().substring(0, 2));
        assertEquals(1, tenants.keysOf("t1").size());
    }

    @Test
    void aStoreThatCannotBeReachedIsUnavailable() {
        Database gone = Database.postgres(DatabaseUrl.parse("postgresql://nobody:x@127.0.0.1:9/none"), 1, 500);
        try {
            assertThrows(StoreUnavailableException.class, () -> new TenantStore(gone).find("t1"));
        } finally {
            gone.close();
        }
    }
}
