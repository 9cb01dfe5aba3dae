package io.budgetguard.config;

import io.budgetguard.alert.AlertMail;
import io.budgetguard.alert.SmtpRelay;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The SMTP relay of email alerts (ALERT_SMTP_*, ALERT_EMAIL_*): all of it checked at start, nothing when no host is set. */
final class SmtpSettingsReader {
    private final Variables v;

    SmtpSettingsReader(Variables v) {
        this.v = v;
    }

    SmtpRelay relay() {
        String host = v.str("ALERT_SMTP_HOST");
        int port = v.intIn("ALERT_SMTP_PORT", SmtpRelay.Tls.STARTTLS.defaultPort, 1, 65_535);
        SmtpRelay.Tls tls = tls();
        String username = v.str("ALERT_SMTP_USERNAME");
        String password = v.str("ALERT_SMTP_PASSWORD");
        String from = v.str("ALERT_EMAIL_FROM");
        String to = v.str("ALERT_EMAIL_TO");
        String ca = v.str("ALERT_SMTP_CA_FILE");
        long timeoutMs = v.longIn("ALERT_SMTP_TIMEOUT_MS", SmtpRelay.DEFAULT_TIMEOUT_MS, 100, 120_000);
        if (host == null) {
            if (from != null || to != null || username != null) {
                v.problem("ALERT_SMTP_HOST: email alert settings are set but no relay: set ALERT_SMTP_HOST (e.g. smtp.example.com)");
            }
            return null;
        }
        if (!host.matches("[A-Za-z0-9.\\-]{1,253}|\\[[0-9A-Fa-f:.]+\\]")) v.problem("ALERT_SMTP_HOST: expected a host name or address");
        if ((username == null) != (password == null)) {
            v.problem("ALERT_SMTP_USERNAME: set both ALERT_SMTP_USERNAME and ALERT_SMTP_PASSWORD, or neither");
        }
        if (password != null && tls == SmtpRelay.Tls.NONE) {
            v.problem("ALERT_SMTP_TLS: none would send ALERT_SMTP_PASSWORD in clear: use starttls or smtps with credentials");
        }
        if (from == null) v.problem("ALERT_EMAIL_FROM: the sender of email alerts is needed with ALERT_SMTP_HOST, e.g. budgetguard@example.com");
        else from = address("ALERT_EMAIL_FROM", from);
        List<String> recipients = to == null ? List.of() : recipients(to);
        Path caFile = ca == null ? null : caFile(ca);
        return new SmtpRelay(host, port, tls, username, password, from, recipients, caFile, timeoutMs);
    }

    private SmtpRelay.Tls tls() {
        String raw = v.str("ALERT_SMTP_TLS", "starttls").toLowerCase(java.util.Locale.ROOT);
        return switch (raw) {
            case "starttls" -> SmtpRelay.Tls.STARTTLS;
            case "smtps" -> SmtpRelay.Tls.SMTPS;
            case "none" -> SmtpRelay.Tls.NONE;
            default -> {
                v.problem("ALERT_SMTP_TLS: expected starttls (the default: required), smtps (TLS from the start) or none");
                yield SmtpRelay.Tls.STARTTLS;
            }
        };
    }

    private String address(String name, String raw) {
        try {
            return AlertMail.validAddress(raw);
        } catch (IllegalArgumentException e) {
            v.problem(name + ": " + e.getMessage());
            return null;
        }
    }

    private List<String> recipients(String raw) {
        try {
            return AlertMail.validRecipients(Arrays.stream(raw.split(",")).map(String::strip).toList());
        } catch (IllegalArgumentException e) {
            v.problem("ALERT_EMAIL_TO: " + e.getMessage() + " (comma-separated)");
            return List.of();
        }
    }

    private Path caFile(String raw) {
        Path p = Path.of(raw);
        if (!Files.isReadable(p)) {
            v.problem("ALERT_SMTP_CA_FILE: no readable file at " + raw + " (PEM certificates of the relay's CA)");
            return null;
        }
        try {
            AlertMail.trusting(p);
            return p;
        } catch (IllegalArgumentException e) {
            v.problem("ALERT_SMTP_CA_FILE: " + raw + " " + e.getMessage());
            return null;
        }
    }
}
