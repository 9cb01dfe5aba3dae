package io.budgetguard.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * DATABASE_URL as Prisma and Heroku write it ({@code postgresql://user:pass@host:5432/db?sslmode=require}) or
 * a {@code jdbc:postgresql:} URL. The password is kept apart from the JDBC URL so it never reaches a log line.
 */
public record DatabaseUrl(String jdbcUrl, String user, String password) {
    public static DatabaseUrl parse(String raw) {
        if (raw.startsWith("jdbc:postgresql:")) return new DatabaseUrl(raw, null, null);
        try {
            URI u = new URI(raw);
            if (!"postgresql".equals(u.getScheme()) && !"postgres".equals(u.getScheme())) {
                throw new IllegalArgumentException("expected postgresql://user:pass@host:5432/db or a jdbc:postgresql: URL");
            }
            if (u.getHost() == null || u.getPath() == null || u.getPath().length() < 2) {
                throw new IllegalArgumentException("needs a host and a database name (postgresql://user:pass@host:5432/db)");
            }
            String user = null;
            String password = null;
            if (u.getRawUserInfo() != null) {
                String[] parts = u.getRawUserInfo().split(":", 2);
                user = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
                if (parts.length == 2) password = URLDecoder.decode(parts[1], StandardCharsets.UTF_8);
            }
            String jdbc = "jdbc:postgresql://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "") + u.getRawPath()
                    + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
            return new DatabaseUrl(jdbc, user, password);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("is not a valid URL");
        }
    }

    @Override
    public String toString() {
        return "DatabaseUrl[" + jdbcUrl + ", user=" + user + ", password=" + (password == null ? "unset" : "set") + "]";
    }
}
