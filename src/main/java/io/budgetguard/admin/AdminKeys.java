package io.budgetguard.admin;

import io.budgetguard.auth.KeyMaterial;
import io.budgetguard.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/**
 * Admin keys that {@code seed} made, kept only as hashes: with them the first run has a working admin API and no
 * key known to anyone. Accepted beside ADMIN_API_KEY; the admin API is read-rarely, so each check asks the database.
 */
public final class AdminKeys {
    static final String PREFIX = "bg_admin_";

    private final Database db;

    public AdminKeys(Database db) {
        this.db = db;
    }

    /** A new admin key: its hash is stored, the key itself is returned to be shown once. */
    public String create(Instant now) {
        String key = PREFIX + KeyMaterial.newKey().substring(KeyMaterial.KEY_PREFIX.length());
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("admin_key_insert"))) {
            ps.setString(1, KeyMaterial.newKeyId());
            ps.setString(2, KeyMaterial.hash(key));
            ps.setObject(3, Database.utc(now));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw Database.unavailable("admin key insert", e);
        }
        return key;
    }

    /** True when {@code key} hashes to a stored, unrevoked admin key. */
    public boolean matches(String key) {
        if (key == null || !key.startsWith(PREFIX)) return false;
        return count("admin_key_matches", KeyMaterial.hash(key)) > 0;
    }

    /** True when at least one admin key is stored (the admin API is then on even without ADMIN_API_KEY). */
    public boolean any() {
        return count("admin_keys_active", null) > 0;
    }

    private long count(String query, String hash) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query(query))) {
            if (hash != null) ps.setString(1, hash);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw Database.unavailable("admin keys", e);
        }
    }
}
