package io.budgetguard.billing;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.alert.AlertStore;
import io.budgetguard.core.Money;
import io.budgetguard.log.JsonLog;
import io.budgetguard.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The ledger checked against what each provider says it billed, per UTC day, project and model: a day whose totals
 * differ by at least the threshold (both RECONCILE_THRESHOLD_USD and RECONCILE_THRESHOLD_PCT of the larger) is
 * flagged and alerted once. Billed above the ledger: calls that did not go through the gateway (a bypass) or that
 * the ledger lacks; ledger above billed: a price list above the provider's (out of date). Dated model snapshots are
 * compared as their base model (OpenAI bills gpt-4o as gpt-4o-2024-08-06).
 */
public final class Reconciliation {
    /** One compared cell: the ledger's cost and the provider's, in micro-USD. */
    public record Row(LocalDate day, String provider, String project, String model, long ledgerMicroUsd, long providerMicroUsd) {
        public long gapMicroUsd() {
            return providerMicroUsd - ledgerMicroUsd;
        }
    }

    /** A day of one provider whose totals disagree past the threshold. */
    public record Flag(LocalDate day, String provider, long ledgerMicroUsd, long providerMicroUsd) {}

    /** A check: the rows compared, the days flagged, and the providers whose report could not be read (with why). */
    public record Report(LocalDate from, LocalDate to, List<Row> rows, List<Flag> flagged, Map<String, String> unreadable) {}

    private static final Pattern DATED = Pattern.compile("-(?:20[0-9]{2}-[01][0-9]-[0-3][0-9]|20[0-9]{6})$");

    private final Database db;
    private final ReconcileSettings settings;
    private final ProviderCostReport reports;
    private final AlertStore alerts;
    private final String globalWebhook;
    private final List<String> globalEmail;
    private final Clock clock;
    private volatile long lastRunMs = -1;
    private volatile Report last;

    public Reconciliation(Database db, ReconcileSettings settings, AlertStore alerts, String globalWebhook, List<String> globalEmail,
                          Clock clock, ObjectMapper json) {
        this.db = db;
        this.settings = settings;
        this.alerts = alerts;
        this.globalWebhook = globalWebhook;
        this.globalEmail = globalEmail;
        this.clock = clock;
        this.reports = new ProviderCostReport(json, settings.timeoutMs(), settings.maxPages());
    }

    /** The duty: every RECONCILE_PERIOD_MS, the last RECONCILE_DAYS full UTC days. */
    public int runIfDue() {
        long now = clock.millis();
        if (lastRunMs >= 0 && now - lastRunMs < settings.periodMs()) return 0;
        lastRunMs = now;
        LocalDate today = LocalDate.ofInstant(Instant.ofEpochMilli(now), ZoneOffset.UTC);
        return run(today.minusDays(settings.days()), today.minusDays(1)).flagged().size();
    }

    /** The last check of this process, or null before one. */
    public Report last() {
        return last;
    }

    /** Checks the days [from, to], stores the rows, alerts each flagged day once. */
    public Report run(LocalDate from, LocalDate to) {
        List<Row> rows = new ArrayList<>();
        List<Flag> flagged = new ArrayList<>();
        Map<String, String> unreadable = new TreeMap<>();
        for (ReconcileSettings.Source s : sources()) {
            List<ProviderCostReport.Line> billed;
            try {
                billed = s == settings.openai() ? reports.openai(s, from, to) : reports.anthropic(s, from, to);
            } catch (ProviderCostReport.Unreadable e) {
                unreadable.put(s.provider(), e.getMessage());
                JsonLog.warn("reconcile_report_unreadable", "provider", s.provider(), "error", e.getMessage());
                continue;
            }
            List<Row> compared = compare(s, billed, ledgerSums(s.provider(), from, to), from, to);
            store(s.provider(), from, to, compared);
            rows.addAll(compared);
            for (Flag f : flags(compared)) {
                flagged.add(f);
                alert(f);
            }
        }
        Report r = new Report(from, to, rows, flagged, unreadable);
        last = r;
        return r;
    }

    private List<ReconcileSettings.Source> sources() {
        List<ReconcileSettings.Source> out = new ArrayList<>();
        if (settings.openai() != null) out.add(settings.openai());
        if (settings.anthropic() != null) out.add(settings.anthropic());
        return out;
    }

    /** "gpt-4o-2024-08-06" and "gpt-4o" are one model here; so are "claude-sonnet-4-20250514" and "claude-sonnet-4". */
    static String baseModel(String model) {
        return DATED.matcher(model).replaceFirst("");
    }

    private static List<Row> compare(ReconcileSettings.Source s, List<ProviderCostReport.Line> billed, Map<String, Long> ledger,
                                     LocalDate from, LocalDate to) {
        String project = s.project() == null ? "" : s.project();
        Map<String, long[]> cells = new TreeMap<>(); // "day|model" -> {ledger, billed}
        ledger.forEach((k, v) -> {
            String[] dm = k.split("\\|", 2);
            cells.computeIfAbsent(dm[0] + "|" + baseModel(dm[1]), x -> new long[2])[0] += v;
        });
        for (ProviderCostReport.Line l : billed) {
            if (s.project() != null && !s.project().equals(l.project())) continue; // another project's spend: not ours
            if (l.day().isBefore(from) || l.day().isAfter(to)) continue;
            cells.computeIfAbsent(l.day() + "|" + baseModel(l.model()), x -> new long[2])[1] += l.microUsd();
        }
        List<Row> out = new ArrayList<>();
        cells.forEach((k, v) -> {
            String[] dm = k.split("\\|", 2);
            out.add(new Row(LocalDate.parse(dm[0]), s.provider(), project, dm[1], v[0], v[1]));
        });
        return out;
    }

    /** Days of the rows whose totals disagree past the threshold, per provider. */
    private List<Flag> flags(List<Row> rows) {
        List<Flag> out = new ArrayList<>();
        dayTotals(rows).forEach((provider, days) -> days.forEach((day, t) -> {
            long gap = Math.abs(t[1] - t[0]);
            if (gap >= settings.thresholdMicroUsd() && gap * 100 >= (long) settings.thresholdPct() * Math.max(t[0], t[1])) {
                out.add(new Flag(day, provider, t[0], t[1]));
            }
        }));
        return out;
    }

    /** Per provider and day: {ledger, billed} in micro-USD, summed over the rows (models and projects). */
    static Map<String, Map<LocalDate, long[]>> dayTotals(List<Row> rows) {
        Map<String, Map<LocalDate, long[]>> out = new TreeMap<>();
        for (Row r : rows) {
            long[] t = out.computeIfAbsent(r.provider(), p -> new TreeMap<>()).computeIfAbsent(r.day(), d -> new long[2]);
            t[0] += r.ledgerMicroUsd();
            t[1] += r.providerMicroUsd();
        }
        return out;
    }

    /** Per provider of a check (the metrics): {days flagged, the absolute gaps of the days' totals summed, in micro-USD}. */
    public static Map<String, long[]> gaps(Report r) {
        Map<String, long[]> out = new TreeMap<>();
        if (r == null) return out;
        dayTotals(r.rows()).forEach((provider, days) -> {
            long gap = 0;
            for (long[] t : days.values()) gap += Math.abs(t[1] - t[0]);
            out.put(provider, new long[] {0, gap});
        });
        for (Flag f : r.flagged()) out.computeIfAbsent(f.provider(), p -> new long[2])[0]++;
        return out;
    }

    /** "day|model" -> micro-USD of the provider's ledger rows started in [from, to]. */
    private Map<String, Long> ledgerSums(String provider, LocalDate from, LocalDate to) {
        Map<String, Long> out = new TreeMap<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("reconcile_ledger_sums"))) {
            ps.setString(1, provider);
            ps.setObject(2, Database.utc(from.atStartOfDay(ZoneOffset.UTC).toInstant()));
            ps.setObject(3, Database.utc(to.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.merge(rs.getString(1) + "|" + rs.getString(2), Money.microUsdFromSql(rs.getBigDecimal(3)), Long::sum);
            }
        } catch (SQLException e) {
            throw Database.unavailable("reconcile ledger sums", e);
        }
        return out;
    }

    private void store(String provider, LocalDate from, LocalDate to, List<Row> rows) {
        db.inTransaction("reconciliation", c -> {
            try (PreparedStatement del = c.prepareStatement(db.query("reconcile_delete_days"));
                 PreparedStatement ins = c.prepareStatement(db.query("reconcile_insert"))) {
                del.setString(1, provider);
                del.setString(2, from.toString());
                del.setString(3, to.toString());
                del.executeUpdate();
                for (Row r : rows) {
                    ins.setString(1, r.day().toString());
                    ins.setString(2, r.provider());
                    ins.setString(3, r.project());
                    ins.setString(4, r.model().length() > 256 ? r.model().substring(0, 256) : r.model());
                    ins.setBigDecimal(5, Money.usd(r.ledgerMicroUsd()));
                    ins.setBigDecimal(6, Money.usd(r.providerMicroUsd()));
                    ins.setObject(7, Database.utc(clock.instant()));
                    ins.addBatch();
                }
                ins.executeBatch();
                return null;
            }
        });
    }

    /** The stored rows of the days [from, to] (provider "" = every provider). */
    public List<Row> stored(LocalDate from, LocalDate to, String provider) {
        List<Row> out = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(db.query("reconcile_rows"))) {
            ps.setString(1, from.toString());
            ps.setString(2, to.toString());
            ps.setString(3, provider);
            ps.setString(4, provider);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Row(LocalDate.parse(rs.getString(1)), rs.getString(2), rs.getString(3), rs.getString(4),
                            Money.microUsdFromSql(rs.getBigDecimal(5)), Money.microUsdFromSql(rs.getBigDecimal(6))));
                }
            }
        } catch (SQLException e) {
            throw Database.unavailable("reconciliation", e);
        }
        return out;
    }

    /** Days of stored rows that disagree past the threshold. */
    public List<Flag> flagsOf(List<Row> rows) {
        return flags(rows);
    }

    private void alert(Flag f) {
        String message = message(f);
        JsonLog.warn("reconcile_gap", "provider", f.provider(), "day", f.day().toString(), "ledger_usd", Money.display(f.ledgerMicroUsd()),
                "billed_usd", Money.display(f.providerMicroUsd()));
        Instant now = clock.instant();
        String window = "reconcile:" + f.provider() + ":" + f.day();
        if (globalWebhook != null) alerts.enqueue(new AlertStore.Delivery("*", window, "reconcile", 0, AlertStore.Channel.WEBHOOK,
                message, globalWebhook, 0, now), now);
        if (!globalEmail.isEmpty()) alerts.enqueue(new AlertStore.Delivery("*", window, "reconcile", 0, AlertStore.Channel.EMAIL,
                message, String.join(",", globalEmail), 0, now), now);
    }

    static String message(Flag f) {
        long gap = f.providerMicroUsd() - f.ledgerMicroUsd();
        String why = gap > 0 ? "$" + Money.display(gap) + " more than the gateway recorded: calls that bypassed the gateway, or calls the ledger lacks"
                : "$" + Money.display(-gap) + " less than the ledger: the gateway's prices for it may be above the provider's (an out-of-date price list)";
        return ":mag: BudgetGuard reconciliation: *" + f.provider() + "* billed $" + Money.display(f.providerMicroUsd()) + " on "
                + f.day() + ", the ledger recorded $" + Money.display(f.ledgerMicroUsd()) + ": " + why + ".";
    }
}
