package io.budgetguard;

import io.budgetguard.config.Settings;
import io.budgetguard.core.StoreUnavailableException;
import io.budgetguard.ledger.ChainVerification;
import io.budgetguard.store.Database;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/** {@code budgetguard ledger verify [--tenant ID] [--head TENANT:SEQ:HASH]}: the ledger's hash chains, checked. */
final class LedgerCommand {
    private LedgerCommand() {}

    static int run(String[] args, Map<String, String> env, Path workDir, PrintStream out, PrintStream err) {
        if (args.length < 2 || !args[1].equals("verify")) return usage(err, "expected `ledger verify`");
        String tenant = null;
        ChainVerification.Head head = null;
        for (int i = 2; i < args.length; i += 2) {
            if (i + 1 >= args.length) return usage(err, args[i] + " needs a value");
            switch (args[i]) {
                case "--tenant" -> tenant = args[i + 1];
                case "--head" -> {
                    try {
                        head = ChainVerification.Head.parse(args[i + 1]);
                    } catch (IllegalArgumentException e) {
                        return usage(err, "--head: " + e.getMessage());
                    }
                }
                default -> {
                    return usage(err, "unknown option '" + args[i] + "'");
                }
            }
        }
        if (head != null && tenant != null && !tenant.equals(head.tenantId())) return usage(err, "--head names another tenant than --tenant");
        Settings settings = Main.settingsOrNull(env, workDir, err);
        if (settings == null) return Main.EXIT_FAILURE;
        try (Database db = Gateway.openDatabase(settings)) {
            return verify(new ChainVerification(db), tenant, head, out);
        } catch (StoreUnavailableException e) {
            err.println("budgetguard: " + e.getMessage());
            return Main.EXIT_FAILURE;
        }
    }

    private static int verify(ChainVerification chains, String tenant, ChainVerification.Head head, PrintStream out) {
        long[] counts = new long[2]; // tenants, broken
        java.util.function.Consumer<ChainVerification.Result> print = r -> {
            counts[0]++;
            if (!r.intact()) counts[1]++;
            out.println(line(r));
        };
        if (head != null) print.accept(chains.verifyAgainst(head));
        else chains.verify(tenant, print);
        out.println(counts[0] + (counts[0] == 1 ? " tenant" : " tenants") + " checked, "
                + (counts[1] == 0 ? "every chain intact" : counts[1] + " broken"));
        return counts[1] == 0 ? Main.EXIT_OK : Main.EXIT_FAILURE;
    }

    static String line(ChainVerification.Result r) {
        String unchained = r.unchainedRows() == 0 ? "" : " (" + r.unchainedRows() + " rows written before the chain began)";
        if (r.intact()) {
            return r.tenantId() + ": intact, " + r.chainedRows() + " rows chained"
                    + (r.head() == null ? "" : ", head " + r.head().token()) + unchained;
        }
        ChainVerification.Break b = r.firstBreak();
        return r.tenantId() + ": BROKEN at row " + b.seq() + (b.requestId() == null ? "" : " (request " + b.requestId() + ")")
                + ": " + b.problem() + "; " + r.chainedRows() + " rows before it intact" + unchained;
    }

    private static int usage(PrintStream err, String problem) {
        err.println("budgetguard: " + problem);
        err.println("Usage: java -jar budgetguard.jar ledger verify [--tenant ID] [--head TENANT:SEQ:HASH]");
        return Main.EXIT_USAGE;
    }
}
