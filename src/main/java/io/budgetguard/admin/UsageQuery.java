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

/**
 * The usage report's query: {@code group_by=model|model_group|provider|key|user|day|tag:<key>&from=YYYY-MM-DD&to=YYYY-MM-DD}
 * (days UTC, inclusive), with filters {@code key=, user=, model=, provider=, tag=<key>=<value>}. The export takes the
 * same range and filters, and {@code group_by=key|user|tag:<key>} as a column beside day, tenant, provider and model.
 */
final class UsageQuery {
    static final long MAX_RANGE_DAYS = 3_660;
    private static final int MAX_PARAMS = 16;
    private static final java.util.Set<String> REPORT_GROUPS = java.util.Set.of("model", "model_group", "day", "provider", "key", "user");
    private static final java.util.regex.Pattern TAG_FILTER = java.util.regex.Pattern.compile(
            "[a-z0-9][a-z0-9_.-]{0,31}=[A-Za-z0-9_.:/@+-]{1,64}");
    private static final java.util.regex.Pattern PROVIDER = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

    record Range(LocalDate from, LocalDate to, String groupBy, io.budgetguard.ledger.UsageFilter filter) {}

    private static final java.util.regex.Pattern TAG_GROUP = java.util.regex.Pattern.compile("tag:[a-z0-9][a-z0-9_.-]{0,31}");

    private final Clock clock;

    UsageQuery(Clock clock) {
        this.clock = clock;
    }

    Range parse(String rawQuery) {
        Map<String, String> q = params(rawQuery);
        String groupBy = q.getOrDefault("group_by", "model");
        if (!REPORT_GROUPS.contains(groupBy) && !TAG_GROUP.matcher(groupBy).matches()) {
            throw ApiException.invalidRequest("'group_by' must be 'model', 'model_group', 'provider', 'key', 'user', 'day' or "
                    + "'tag:<key>' (e.g. tag:team).", "group_by");
        }
        return range(q, groupBy);
    }

    /** The export's query: {@code group_by} (optional) adds a key, user or tag column. */
    Range parseExport(String rawQuery) {
        Map<String, String> q = params(rawQuery);
        String groupBy = q.get("group_by");
        if (groupBy != null && !java.util.Set.of("key", "user", "model_group").contains(groupBy) && !TAG_GROUP.matcher(groupBy).matches()) {
            throw ApiException.invalidRequest("The export is always by day, tenant, provider and model; 'group_by' adds 'key', "
                    + "'user', 'model_group' or 'tag:<key>'.", "group_by");
        }
        return range(q, groupBy);
    }

    /** The cross-tenant reads' query: the range and filters, plus {@code tenant=}, {@code status=} and {@code limit=}. */
    record Across(Range range, String tenant, String status, int limit) {}

    static final int MAX_ROWS = 1_000;
    private static final java.util.Set<String> ACROSS_GROUPS = java.util.Set.of("tenant", "key", "user", "model", "provider", "day");
    private static final java.util.Set<String> LEDGER_STATUSES = java.util.Set.of("ok", "upstream_error", "client_abort", "expired");

    /** {@code GET /admin/usage}, {@code /admin/refusals} and {@code /admin/ledger}: every tenant, or one. */
    Across parseAcross(String rawQuery, String defaultGroup, int defaultLimit) {
        Map<String, String> q = params(rawQuery);
        String groupBy = q.getOrDefault("group_by", defaultGroup);
        if (!ACROSS_GROUPS.contains(groupBy) && !TAG_GROUP.matcher(groupBy).matches()) {
            throw ApiException.invalidRequest("'group_by' must be 'tenant', 'key', 'user', 'model', 'provider', 'day' or "
                    + "'tag:<key>'.", "group_by");
        }
        String tenant = q.getOrDefault("tenant", "");
        if (!tenant.isEmpty()) AdminInput.tenantId(tenant, "tenant");
        String status = q.getOrDefault("status", "");
        if (!status.isEmpty() && !LEDGER_STATUSES.contains(status)) {
            throw ApiException.invalidRequest("'status' must be one of " + new java.util.TreeSet<>(LEDGER_STATUSES) + ".", "status");
        }
        int limit = defaultLimit;
        String l = q.get("limit");
        if (l != null) {
            try {
                limit = Integer.parseInt(l);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_ROWS) {
                throw ApiException.invalidRequest("'limit' must be a whole number from 1 to " + MAX_ROWS + ".", "limit");
            }
        }
        return new Across(range(q, groupBy), tenant, status, limit);
    }

    private Range range(Map<String, String> q, String groupBy) {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        LocalDate from = date(q.get("from"), today.withDayOfMonth(1), "from");
        LocalDate to = date(q.get("to"), today, "to");
        if (to.isBefore(from)) throw ApiException.invalidRequest("'to' is before 'from'.", "to");
        if (ChronoUnit.DAYS.between(from, to) > MAX_RANGE_DAYS) {
            throw ApiException.invalidRequest("The range may span at most " + MAX_RANGE_DAYS + " days.", "from");
        }
        return new Range(from, to, groupBy, filter(q));
    }

    private static io.budgetguard.ledger.UsageFilter filter(Map<String, String> q) {
        String key = q.get("key");
        if (key != null) io.budgetguard.http.Identifier.require(key, "key", 64);
        String user = q.get("user");
        if (user != null) io.budgetguard.http.Identifier.require(user, "user", 256);
        String model = q.get("model");
        if (model != null) io.budgetguard.http.Identifier.require(model, "model", 256);
        String provider = q.get("provider");
        if (provider != null && !PROVIDER.matcher(provider).matches()) throw ApiException.invalidRequest("'provider' is not a provider name.", "provider");
        String tag = q.get("tag");
        if (tag != null && !TAG_FILTER.matcher(tag).matches()) {
            throw ApiException.invalidRequest("'tag' must be key=value, e.g. team=search.", "tag");
        }
        return new io.budgetguard.ledger.UsageFilter(key, user, model, provider, tag);
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

    /** {@code GET /admin/reconciliation}: from and to (default: the last 7 days before today) and a provider ("" = all). */
    record Days(LocalDate from, LocalDate to, String provider) {}

    Days reconciliation(String rawQuery) {
        Map<String, String> q = params(rawQuery);
        for (String k : q.keySet()) {
            if (!java.util.Set.of("from", "to", "provider").contains(k)) throw ApiException.invalidRequest("Unknown query parameter '" + k + "'.", k);
        }
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        LocalDate from = date(q.get("from"), today.minusDays(7), "from"), to = date(q.get("to"), today.minusDays(1), "to");
        if (to.isBefore(from)) throw ApiException.invalidRequest("'to' is before 'from'.", "to");
        if (ChronoUnit.DAYS.between(from, to) > 366) throw ApiException.invalidRequest("The range may span at most 366 days.", "from");
        String provider = q.getOrDefault("provider", "");
        if (!provider.isEmpty() && !PROVIDER.matcher(provider).matches()) throw ApiException.invalidRequest("'provider' is not a provider name.", "provider");
        return new Days(from, to, provider);
    }

    /** A query string of at most {@code tenant=<id>}: the tenant, or "" for every tenant. */
    static String tenantOnly(String rawQuery) {
        Map<String, String> q = params(rawQuery);
        for (String k : q.keySet()) if (!k.equals("tenant")) throw ApiException.invalidRequest("Unknown query parameter '" + k + "'.", k);
        String tenant = q.getOrDefault("tenant", "");
        if (!tenant.isEmpty()) AdminInput.tenantId(tenant, "tenant");
        return tenant;
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
