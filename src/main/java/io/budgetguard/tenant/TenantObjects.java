package io.budgetguard.tenant;

import io.budgetguard.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/**
 * Which tenant created an object a provider stores (a response), and at which provider: recorded when the provider
 * answers its creation, consulted before any call that names it, so a tenant reaches only its own objects.
 */
public final class TenantObjects {
    /** The tenant an object belongs to and the provider it lives at. */
    public record Owner(String tenantId, String provider) {}

    private final Database db;

    public TenantObjects(Database db) {
        this.db = db;
    }

    public void record(String kind, String objectId, String tenantId, String provider, Instant now) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("tenant_object_insert"))) {
            ps.setString(1, objectId);
            ps.setString(2, tenantId);
            ps.setString(3, kind);
            ps.setString(4, provider);
            ps.setObject(5, Database.utc(now));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw Database.unavailable("tenant objects", e);
        }
    }

    public Optional<Owner> owner(String kind, String objectId) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("tenant_object_find"))) {
            ps.setString(1, objectId);
            ps.setString(2, kind);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Owner(rs.getString(1), rs.getString(2))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw Database.unavailable("tenant objects", e);
        }
    }

    public void forget(String kind, String objectId, String tenantId) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("tenant_object_delete"))) {
            ps.setString(1, objectId);
            ps.setString(2, kind);
            ps.setString(3, tenantId);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw Database.unavailable("tenant objects", e);
        }
    }
}
