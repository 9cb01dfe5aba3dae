package io.budgetguard.core;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A kind of budget window: calendar (daily, ISO weekly, monthly; all UTC) or rolling over the last N hours/days.
 * Its canonical name ({@code monthly}, {@code rolling:24h}) is what the API, the database and config use.
 */
public record BudgetPeriod(Kind kind, Duration rollingSpan) {
    public enum Kind { DAILY, WEEKLY, MONTHLY, ROLLING }

    /** A rolling window spans at least one hour and at most 366 days. */
    public static final Duration MAX_ROLLING_SPAN = Duration.ofDays(366);
    private static final Pattern ROLLING = Pattern.compile("rolling:([1-9][0-9]{0,4})([hd])");

    public static final BudgetPeriod DAILY = new BudgetPeriod(Kind.DAILY, null);
    public static final BudgetPeriod WEEKLY = new BudgetPeriod(Kind.WEEKLY, null);
    public static final BudgetPeriod MONTHLY = new BudgetPeriod(Kind.MONTHLY, null);

    public BudgetPeriod {
        if ((kind == Kind.ROLLING) != (rollingSpan != null)) {
            throw new IllegalStateException("a rolling span belongs to rolling periods only");
        }
    }

    /** Parses {@code daily|weekly|monthly|rolling:<N>h|rolling:<N>d}; IllegalArgumentException says what is accepted. */
    public static BudgetPeriod parse(String text) {
        String t = text.trim();
        switch (t) {
            case "daily": return DAILY;
            case "weekly": return WEEKLY;
            case "monthly": return MONTHLY;
            default: break;
        }
        Matcher m = ROLLING.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration span = m.group(2).equals("h") ? Duration.ofHours(n) : Duration.ofDays(n);
            if (span.compareTo(MAX_ROLLING_SPAN) > 0) {
                throw new IllegalArgumentException("rolling window '" + t + "' is longer than 366 days");
            }
            return new BudgetPeriod(Kind.ROLLING, span);
        }
        throw new IllegalArgumentException(
                "unknown budget period '" + t + "' (expected daily, weekly, monthly, rolling:<N>h or rolling:<N>d)");
    }

    public String name() {
        return switch (kind) {
            case DAILY -> "daily";
            case WEEKLY -> "weekly";
            case MONTHLY -> "monthly";
            case ROLLING -> rollingSpan.toHours() % 24 == 0
                    ? "rolling:" + rollingSpan.toDays() + "d"
                    : "rolling:" + rollingSpan.toHours() + "h";
        };
    }

    /** The window of this period that contains {@code now}: [start, end). */
    public BudgetWindow windowAt(Instant now) {
        LocalDate day = LocalDate.ofInstant(now, ZoneOffset.UTC);
        return switch (kind) {
            case DAILY -> window(day, day.plusDays(1));
            case WEEKLY -> {
                LocalDate monday = day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
                yield window(monday, monday.plusWeeks(1));
            }
            case MONTHLY -> {
                LocalDate first = day.withDayOfMonth(1);
                yield window(first, first.plusMonths(1));
            }
            case ROLLING -> new BudgetWindow(this, now.minus(rollingSpan), now);
        };
    }

    private BudgetWindow window(LocalDate start, LocalDate end) {
        return new BudgetWindow(this, start.atStartOfDay(ZoneOffset.UTC).toInstant(),
                end.atStartOfDay(ZoneOffset.UTC).toInstant());
    }

    @Override
    public String toString() {
        return name();
    }
}
