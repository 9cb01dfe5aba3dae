package io.budgetguard.ledger;

import io.budgetguard.store.Database;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** The hash chain on the embedded store, written by its group commit (write-ahead log and H2). */
class EmbeddedLedgerChainTest extends LedgerChainContract {
    @Override
    Database openDatabase() throws Exception {
        Database d = Database.embedded(Files.createTempDirectory("chain"));
        d.migrate();
        return d;
    }

    @Override
    boolean journaled() {
        return true;
    }

    /** H2's append-only rule is a Java trigger: dropped, the statement run, put back. */
    @Override
    void behindTheTriggersBack(String sql) throws SQLException {
        try (Connection c = db.connection(); Statement st = c.createStatement()) {
            st.execute("DROP TRIGGER usage_ledger_no_update");
            st.execute("DROP TRIGGER usage_ledger_no_delete");
            st.execute(sql);
            st.execute("CREATE TRIGGER usage_ledger_no_update BEFORE UPDATE ON usage_ledger FOR EACH ROW CALL 'io.budgetguard.store.AppendOnlyTrigger'");
            st.execute("CREATE TRIGGER usage_ledger_no_delete BEFORE DELETE ON usage_ledger FOR EACH ROW CALL 'io.budgetguard.store.AppendOnlyTrigger'");
        }
    }
}
