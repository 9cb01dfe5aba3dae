package io.budgetguard;

import io.budgetguard.alert.AlertStore;
import io.budgetguard.billing.Reconciliation;
import io.budgetguard.config.Settings;
import io.budgetguard.core.Money;
import io.budgetguard.core.StoreUnavailableException;
import io.budgetguard.store.Database;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * {@code budgetguard reconcile --from YYYY-MM-DD --to YYYY-MM-DD}: the ledger against the providers' cost reports
 * for those days, stored and printed; exits 1 when a day disagrees past the threshold or a report cannot be read.
 */
final class ReconcileCommand {
    static final int MAX_DAYS = 366;

    private ReconcileCommand() {}

    static int run(String[] args, Map<String, String> env, Path workDir, PrintStream out, PrintStream err) {
        LocalDate from = null, to = null;
        for (int i = 1; i < args.length; i += 2) {
            if (i + 1 >= args.length) return usage(err, args[i] + " needs a value");
            try {
                switch (args[i]) {
                    case "--from" -> from = LocalDate.parse(args[i + 1]);
                    case "--to" -> to = LocalDate.parse(args[i + 1]);
                    default -> {
                        return usage(err, "unknown option '" + args[i] + "'");
                    }
                }
            } catch (DateTimeParseException e) {
                return usage(err, args[i] + ": expected a date like 2026-11-30");
            }
        }
        if (from == null || to == null) return usage(err, "--from and --to are both needed");
        if (to.isBefore(from) || to.toEpochDay() - from.toEpochDay() >= MAX_DAYS) return usage(err, "--to must be on or after --from, at most " + MAX_DAYS + " days");
        Settings s = Main.settingsOrNull(env, workDir, err);
        if (s == null) return Main.EXIT_FAILURE;
        if (s.reconcile() == null) {
            err.println("budgetguard: no cost report to reconcile with: set RECONCILE_OPENAI_ADMIN_KEY or RECONCILE_ANTHROPIC_ADMIN_KEY");
            return Main.EXIT_FAILURE;
        }
        try (Database db = Gateway.openDatabase(s)) {
            Reconciliation.Report r = Duties.reconciliation(s, db, new AlertStore(db), Clock.systemUTC(),
                    io.budgetguard.http.JsonMappers.bounded(s.jsonLimits())).run(from, to);
            print(r, out);
            return r.flagged().isEmpty() && r.unreadable().isEmpty() ? Main.EXIT_OK : Main.EXIT_FAILURE;
        } catch (StoreUnavailableException e) {
            err.println("budgetguard: " + e.getMessage());
            return Main.EXIT_FAILURE;
        }
    }

    private static void print(Reconciliation.Report r, PrintStream out) {
        out.printf("%-10s  %-10s  %-12s  %-32s  %12s  %12s  %12s%n", "day", "provider", "project", "model", "ledger_usd", "billed_usd", "gap_usd");
        for (Reconciliation.Row row : r.rows()) {
            out.printf("%-10s  %-10s  %-12s  %-32s  %12s  %12s  %12s%n", row.day(), row.provider(), row.project().isEmpty() ? "(all)" : row.project(),
                    row.model().isEmpty() ? "(none)" : row.model(), Money.display(row.ledgerMicroUsd()), Money.display(row.providerMicroUsd()),
                    Money.display(row.gapMicroUsd()));
        }
        r.unreadable().forEach((p, why) -> out.println("UNREAD " + p + ": " + why));
        for (Reconciliation.Flag f : r.flagged()) {
            out.println("FLAGGED " + f.day() + " " + f.provider() + ": billed $" + Money.display(f.providerMicroUsd()) + ", ledger $"
                    + Money.display(f.ledgerMicroUsd()));
        }
        out.println(r.rows().size() + " rows compared, " + r.flagged().size() + " days flagged");
    }

    private static int usage(PrintStream err, String problem) {
        err.println("budgetguard: " + problem);
        err.println("Usage: java -jar budgetguard.jar reconcile --from YYYY-MM-DD --to YYYY-MM-DD");
        return Main.EXIT_USAGE;
    }
}
