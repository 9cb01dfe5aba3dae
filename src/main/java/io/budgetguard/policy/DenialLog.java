package io.budgetguard.policy;

import io.budgetguard.log.JsonLog;
import io.budgetguard.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/** The audit trail of policy denials (tenant, key, time, reasons); a denial touches no spend. */
public final class DenialLog {
    static final int MAX_REASONS_CHARS = 4_000;

    private final Database db;

    public DenialLog(Database db) {
        this.db = db;
    }

    /** Records a denial; a store failure is logged, never turned into a different answer for the client. */
    public void record(String requestId, String tenantId, String keyId, String endpoint, String model,
                       List<String> reasons, String revision, Instant at) {
        String joined = String.join("\n", reasons);
        if (joined.length() > MAX_REASONS_CHARS) joined = joined.substring(0, MAX_REASONS_CHARS);
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("denial_insert"))) {
            ps.setString(1, requestId);
            ps.setString(2, tenantId);
            ps.setString(3, keyId);
            ps.setString(4, endpoint);
            ps.setString(5, model);
            ps.setString(6, joined);
            ps.setString(7, revision);
            ps.setObject(8, Database.utc(at));
            ps.executeUpdate();
        } catch (SQLException | RuntimeException e) {
            JsonLog.error("policy_denial_not_recorded", "request_id", requestId, "tenant", tenantId, "error", e.toString());
        }
    }
}
