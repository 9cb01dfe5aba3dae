package io.budgetguard.alert;

import java.nio.file.Path;
import java.util.List;

/**
 * The SMTP relay budget alerts are mailed through (ALERT_SMTP_*), with the sender and the recipients of tenants
 * that name none of their own. The password is never printed.
 */
public record SmtpRelay(String host, int port, Tls tls, String username, String password, String from, List<String> to,
                        Path caFile, long timeoutMs) {
    /** How the connection is protected: STARTTLS required (the default), TLS from the first byte, or none. */
    public enum Tls {
        STARTTLS(587), SMTPS(465), NONE(25);

        public final int defaultPort;

        Tls(int defaultPort) {
            this.defaultPort = defaultPort;
        }
    }

    public static final long DEFAULT_TIMEOUT_MS = 10_000;

    public SmtpRelay {
        to = List.copyOf(to);
    }

    public boolean authenticates() {
        return username != null;
    }

    @Override
    public String toString() {
        return "SmtpRelay[" + host + ":" + port + ", tls=" + tls + ", username=" + (username == null ? "unset" : "set")
                + ", password=" + (password == null ? "unset" : "set") + ", from=" + from + ", to=" + to.size()
                + " recipients, caFile=" + caFile + ", timeoutMs=" + timeoutMs + "]";
    }
}
