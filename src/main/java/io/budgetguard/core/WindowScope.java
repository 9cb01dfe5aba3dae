package io.budgetguard.core;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * Whose spend a budget window counts: the whole tenant's, one API key's, one end user's (the application's user of a
 * call), or one model group's (a named set of models sharing a budget). A model belongs to a group by its name or as a dated snapshot of a listed name
 * ({@code <name>-YYYY-MM-DD}, {@code <name>-YYYYMMDD}, {@code <name>-MMDD}), so rotating variants cannot dodge it;
 * the ledger queries and the Redis scripts apply the same rule.
 */
public record WindowScope(Kind kind, String id, Set<String> models) {
    public enum Kind { TENANT, KEY, USER, MODEL_GROUP }

    public static final WindowScope TENANT = new WindowScope(Kind.TENANT, "", Set.of());
    private static final Pattern DATED = Pattern.compile("(.+)-(?:20[0-9]{2}-[01][0-9]-[0-3][0-9]|20[0-9]{6}|[01][0-9][0-3][0-9])");

    public WindowScope {
        models = Set.copyOf(models);
        if (kind != Kind.TENANT && (id == null || id.isEmpty())) throw new IllegalStateException("a scoped window names its scope");
        if (kind == Kind.MODEL_GROUP && models.isEmpty()) throw new IllegalStateException("a model group lists its models");
    }

    public static WindowScope key(String keyId) {
        return new WindowScope(Kind.KEY, keyId, Set.of());
    }

    public static WindowScope user(String endUser) {
        return new WindowScope(Kind.USER, endUser, Set.of());
    }

    public static WindowScope modelGroup(String name, Set<String> models) {
        return new WindowScope(Kind.MODEL_GROUP, name, models);
    }

    /** Whether a request of this key, model and end user counts in this scope. */
    public boolean matches(String apiKeyId, String model, String endUser) {
        return switch (kind) {
            case TENANT -> true;
            case KEY -> id.equals(apiKeyId);
            case USER -> id.equals(endUser);
            case MODEL_GROUP -> inGroup(model);
        };
    }

    private boolean inGroup(String model) {
        if (model == null) return false;
        if (models.contains(model)) return true;
        var m = DATED.matcher(model);
        return m.matches() && models.contains(m.group(1));
    }

    /**
     * The group's membership as one regular expression (the same in Java, H2 and Postgres): a listed name, optionally
     * followed by a date suffix; every character outside [A-Za-z0-9] escaped.
     */
    public String modelPattern() {
        StringBuilder b = new StringBuilder("^(");
        boolean first = true;
        for (String m : new java.util.TreeSet<>(models)) {
            if (!first) b.append('|');
            first = false;
            for (char c : m.toCharArray()) {
                if (c < 0x80 && !Character.isLetterOrDigit(c)) b.append('\\');
                b.append(c);
            }
        }
        return b.append(")(-(20[0-9]{2}-[01][0-9]-[0-3][0-9]|20[0-9]{6}|[01][0-9][0-3][0-9]))?$").toString();
    }

    /** The prefix of this scope's window ids: none for the tenant, {@code key:<id>/}, {@code group:<name>/}. */
    public String idPrefix() {
        return switch (kind) {
            case TENANT -> "";
            case KEY -> "key:" + id + "/";
            case USER -> "user:" + id + "/";
            case MODEL_GROUP -> "group:" + id + "/";
        };
    }

    /** How a person reads it in a refusal: "the tenant's", "key key_ab's", "model group 'gpt'". */
    public String describe() {
        return switch (kind) {
            case TENANT -> "The tenant's";
            case KEY -> "The API key " + id + "'s";
            case USER -> "The end user '" + id + "''s";
            case MODEL_GROUP -> "The model group '" + id + "''s";
        };
    }
}
