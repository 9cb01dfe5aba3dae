package io.budgetguard.alert;

import java.net.URI;
import java.util.List;

/**
 * A tenant's alert thresholds (percent of each window's limit), its own webhook (null = the global one) and its own
 * email recipients (empty = ALERT_EMAIL_TO).
 */
public record AlertSettings(List<Integer> thresholdsPct, String webhookUrl, List<String> emailTo) {
    public static final List<Integer> DEFAULT_THRESHOLDS_PCT = List.of(50, 80, 100);
    public static final int MAX_THRESHOLDS = 10;

    public AlertSettings {
        thresholdsPct = List.copyOf(thresholdsPct);
        emailTo = List.copyOf(emailTo);
    }

    public static AlertSettings defaults() {
        return new AlertSettings(DEFAULT_THRESHOLDS_PCT, null, List.of());
    }

    /** Where a webhook points, without its path (Slack webhook paths are credentials). */
    public static String redacted(String url) {
        if (url == null) return null;
        URI u = URI.create(url);
        return u.getScheme() + "://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "") + "/…";
    }

    /** http(s) with a host, or an IllegalArgumentException saying what is wrong. */
    public static String validWebhook(String url) {
        try {
            URI u = new URI(url);
            if (!("https".equals(u.getScheme()) || "http".equals(u.getScheme())) || u.getHost() == null || url.length() > 2048) {
                throw new IllegalArgumentException("must be an http(s) URL with a host, at most 2048 characters");
            }
            return url;
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("is not a valid URL");
        }
    }
}
