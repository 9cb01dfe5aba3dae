package io.budgetguard.store;

import java.sql.Connection;
import java.sql.SQLException;
import org.h2.api.Trigger;

/** H2 trigger that keeps {@code usage_ledger} append-only: every UPDATE or DELETE of a row fails. */
public final class AppendOnlyTrigger implements Trigger {
    @Override
    public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws SQLException {
        throw new SQLException("usage_ledger is append-only: UPDATE and DELETE are rejected", "42501");
    }
}
