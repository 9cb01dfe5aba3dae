package io.budgetguard.tenant;

import io.budgetguard.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/**
 * Which tenant created an object a provider stores (a response, a file, a batch), and at which provider: recorded
 * when the provider answers its creation, consulted before any call that names it, so a tenant reaches only its own
 * objects. Files and batches also keep the object as the provider last described it (the gateway lists a tenant's
 * own from here, never the provider's list of everyone's), and a batch the reservation it holds until it is settled.
 */
public final class TenantObjects {
    public static final String RESPONSE = "response";
    public static final String FILE = "file";
    public static final String BATCH = "batch";

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

    /** Records an object with its description and, for a batch, the reservation it holds (null: none). */
    public void record(String kind, String objectId, String tenantId, String provider, Instant now, String objectJson,
                       String reservation) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("tenant_object_insert_described"))) {
            ps.setString(1, objectId);
            ps.setString(2, tenantId);
            ps.setString(3, kind);
            ps.setString(4, provider);
            ps.setObject(5, Database.utc(now));
            ps.setString(6, objectJson);
            ps.setString(7, reservation);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw Database.unavailable("tenant objects", e);
        }
    }

    private static final java.util.regex.Pattern FILE_ID = java.util.regex.Pattern.compile("file-[A-Za-z0-9_-]{1,120}");

    /**
     * The files a batch wrote (its output and error files) are its tenant's too, recorded once the batch names them,
     * so the tenant can read its results through the gateway; a file already recorded is left as it is.
     */
    public void recordBatchFiles(String tenantId, String provider, com.fasterxml.jackson.databind.JsonNode batch, Instant now) {
        for (String field : new String[] {"output_file_id", "error_file_id"}) {
            String id = batch.path(field).asText(null);
            if (id == null || !FILE_ID.matcher(id).matches()) continue;
            String description = "{\"id\":\"" + id + "\",\"object\":\"file\",\"purpose\":\""
                    + (field.startsWith("output") ? "batch_output" : "batch_error") + "\",\"created_at\":" + now.getEpochSecond() + "}";
            record(FILE, id, tenantId, provider, now, description, null);
        }
    }

    /** Replaces the stored description of an object (a batch seen in a later state). */
    public void describe(String kind, String objectId, String objectJson) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("tenant_object_describe"))) {
            ps.setString(1, objectJson);
            ps.setString(2, objectId);
            ps.setString(3, kind);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw Database.unavailable("tenant objects", e);
        }
    }

    /** The tenant's objects of a kind as described, newest first, after {@code afterId} (null: from the newest). */
    public java.util.List<String> list(String tenantId, String kind, String afterId, int limit) {
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement(db.query(afterId == null ? "tenant_object_list" : "tenant_object_list_after"))) {
            int i = 1;
            ps.setString(i++, tenantId);
            ps.setString(i++, kind);
            if (afterId != null) ps.setString(i++, afterId);
            ps.setInt(i, limit);
            java.util.List<String> out = new java.util.ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(rs.getString(2));
            }
            return out;
        } catch (SQLException e) {
            throw Database.unavailable("tenant objects", e);
        }
    }

    /** An object that holds a reservation not yet settled (a batch, a background response). */
    public record Held(String objectId, String tenantId, String provider, String reservation) {}

    /** Held objects of a kind, oldest first, at most {@code max}. */
    public java.util.List<Held> held(String kind, int max) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("objects_held"))) {
            ps.setString(1, kind);
            ps.setInt(2, max);
            java.util.List<Held> out = new java.util.ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(new Held(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
            }
            return out;
        } catch (SQLException e) {
            throw Database.unavailable("tenant objects", e);
        }
    }

    /** The reservation an object still holds, if it does. */
    public Optional<String> heldOne(String kind, String objectId) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("object_held_one"))) {
            ps.setString(1, objectId);
            ps.setString(2, kind);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw Database.unavailable("tenant objects", e);
        }
    }

    /** Attaches a held reservation to an object recorded without one; false when it is unknown or already holds one. */
    public boolean hold(String kind, String objectId, String reservation) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("object_hold"))) {
            ps.setString(1, reservation);
            ps.setString(2, objectId);
            ps.setString(3, kind);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw Database.unavailable("tenant objects", e);
        }
    }

    /** Marks a held object settled (with its final description, when given); false when it already was. */
    public boolean settled(String kind, String objectId, String objectJson, Instant now) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("object_settled"))) {
            ps.setObject(1, Database.utc(now));
            ps.setString(2, objectJson);
            ps.setString(3, objectId);
            ps.setString(4, kind);
            return ps.executeUpdate() == 1;
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
