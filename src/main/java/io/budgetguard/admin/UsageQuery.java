package io.budgetguard.admin;

import io.budgetguard.http.ApiException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;

/** The usage report's query: {@code group_by=model|provider|key|user|day|tag:<key>&from=YYYY-MM-DD&to=YYYY-MM-DD} (days UTC, inclusive). */
final class UsageQuery {
    static final long MAX_RANGE_DAYS = 3_660;
    private static final int MAX_PARAMS = 16;

    record Range(LocalDate from, LocalDate to, String groupBy) {}

    private static final java.util.regex.Pattern TAG_GROUP = java.util.regex.Pattern.compile("tag:[a-z0-9][a-z0-9_.-]{0,31}");

    private final Clock clock;

    UsageQuery(Clock clock) {
        this.clock = clock;
    }

    Range parse(String rawQuery) {
        Map<String, String> q = params(rawQuery);
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        String groupBy = q.getOrDefault("group_by", "model");
        if (!java.util.Set.of("model", "day", "provider", "key", "user").contains(groupBy) && !TAG_GROUP.matcher(groupBy).matches()) {
            throw ApiException.invalidRequest("'group_by' must be 'model', 'provider', 'key', 'user', 'day' or 'tag:<key>' "
                    + "(e.g. tag:team).", "group_by");
        }
        LocalDate from = date(q.get("from"), today.withDayOfMonth(1), "from");
        LocalDate to = date(q.get("to"), today, "to");
        if (to.isBefore(from)) throw ApiException.invalidRequest("'to' is before 'from'.", "to");
        if (ChronoUnit.DAYS.between(from, to) > MAX_RANGE_DAYS) {
            throw ApiException.invalidRequest("The range may span at most " + MAX_RANGE_DAYS + " days.", "from");
        }
        return new Range(from, to, groupBy);
    }

    private static LocalDate date(String v, LocalDate dflt, String param) {
        if (v == null || v.isEmpty()) return dflt;
        try {
            if (v.length() != 10) throw new DateTimeParseException("length", v, 0);
            return LocalDate.parse(v);
        } catch (DateTimeParseException e) {
            throw ApiException.invalidRequest("'" + param + "' must be a date as YYYY-MM-DD.", param);
        }
    }

    private static Map<String, String> params(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) return out;
        String[] pairs = raw.split("&");
        if (pairs.length > MAX_PARAMS) throw ApiException.invalidRequest("Too many query parameters.");
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                out.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw ApiException.invalidRequest("The query string is not valid URL encoding.");
            }
        }
        return out;
    }
}
