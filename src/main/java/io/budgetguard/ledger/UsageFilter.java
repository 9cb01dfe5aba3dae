package io.budgetguard.ledger;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Which ledger rows a report or an export sums: one key's, one end user's, one model's, one provider's, or those
 * carrying one tag ({@code key=value}); "" = no filter on that dimension. Values are validated by the caller.
 */
public record UsageFilter(String apiKeyId, String endUser, String model, String provider, String tag) {
    public static final UsageFilter NONE = new UsageFilter("", "", "", "", "");

    public UsageFilter {
        apiKeyId = apiKeyId == null ? "" : apiKeyId;
        endUser = endUser == null ? "" : endUser;
        model = model == null ? "" : model;
        provider = provider == null ? "" : provider;
        tag = tag == null ? "" : tag;
    }

    /** Binds the ten parameters every usage query ends its WHERE clause with, from {@code at}; returns the next index. */
    int bind(PreparedStatement ps, int at) throws SQLException {
        String[] values = {apiKeyId, endUser, model, provider, tag.isEmpty() ? "" : "," + tag + ","};
        for (String v : values) {
            ps.setString(at++, v);
            ps.setString(at++, v);
        }
        return at;
    }
}
