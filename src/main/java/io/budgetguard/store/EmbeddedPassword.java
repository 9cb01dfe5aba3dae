package io.budgetguard.store;

import io.budgetguard.core.StoreUnavailableException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;

/**
 * The embedded database's password: random, generated at first start, kept in {@code db.password} readable by the
 * gateway's user only. A database created before passwords existed (empty password) is given one on first open.
 */
final class EmbeddedPassword {
    static final String FILE = "db.password";

    private EmbeddedPassword() {}

    static String ensure(Path dataDir, String url) {
        Path file = dataDir.resolve(FILE);
        try {
            if (Files.exists(file)) return Files.readString(file, StandardCharsets.US_ASCII).trim();
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            String password = HexFormat.of().formatHex(random);
            if (Files.exists(dataDir.resolve("budgetguard.mv.db"))) setOnExisting(url, password);
            Path tmp = dataDir.resolve(FILE + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, password, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return password;
        } catch (IOException e) {
            throw new StoreUnavailableException("cannot keep the embedded database password in " + file + ": " + e.getMessage(), e);
        }
    }

    /** A database from before passwords: it was opened with an empty one, which is replaced now. */
    private static void setOnExisting(String url, String password) {
        try (Connection c = DriverManager.getConnection(url, "budgetguard", ""); Statement st = c.createStatement()) {
            st.execute("ALTER USER budgetguard SET PASSWORD '" + password + "'");
        } catch (SQLException e) {
            throw new StoreUnavailableException("cannot set a password on the existing embedded database: " + e.getMessage(), e);
        }
    }
}
