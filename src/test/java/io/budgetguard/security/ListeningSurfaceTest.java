package io.budgetguard.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Nothing reachable but the gateway's own port; the embedded store's files are private to its user. */
class ListeningSurfaceTest {
    /** Listening TCP sockets of this JVM: "address:port" from /proc, the address in /proc's hex form. */
    static Set<String> listeningSockets() throws Exception {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) inodes.add(target.substring(8, target.length() - 1));
                } catch (java.io.IOException gone) {
                    // closed meanwhile
                }
            }
        }
        Set<String> out = new HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table)).subList(1, Files.readAllLines(Path.of(table)).size())) {
                String[] f = line.trim().split("\\s+");
                if (f[3].equals("0A") && inodes.contains(f[9])) {
                    String[] local = f[1].split(":");
                    out.add(local[0] + ":" + Integer.parseInt(local[1], 16));
                }
            }
        }
        return out;
    }

    static boolean loopback(String hexAddress) {
        // 127.0.0.1, ::1, and 127.0.0.1 as an IPv4-mapped IPv6 address (a dual-stack socket bound to loopback)
        return hexAddress.equals("0100007F") || hexAddress.equals("00000000000000000000000001000000")
                || hexAddress.equals("0000000000000000FFFF00000100007F");
    }

    @Test
    void anEmbeddedGatewayOnAllInterfacesListensOnItsPortAloneAndItsDatabaseOnLoopbackOnly() throws Exception {
        try (TestGateway gw = TestGateway.start(null, Map.of("HOST", "0.0.0.0"), Clock.systemUTC())) {
            gw.createTenantWithKey("surface"); // the database is open and in use
            Set<String> reachable = new HashSet<>();
            for (String s : listeningSockets()) {
                if (!loopback(s.substring(0, s.indexOf(':')))) reachable.add(s.substring(s.indexOf(':') + 1));
            }
            assertEquals(Set.of(Integer.toString(gw.port())), reachable, "only PORT is reachable from the network: " + listeningSockets());
        }
    }

    @Test
    void theDataDirectoryAndItsFilesArePrivateAndTheDatabaseNeedsItsPassword() throws Exception {
        Path dir;
        try (TestGateway gw = TestGateway.start(null)) {
            dir = gw.dataDir();
            gw.createTenantWithKey("private");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (Files.isRegularFile(f)) {
                        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
                    }
                }
            }
            assertTrue(Files.exists(dir.resolve("db.password")));
            String url = "jdbc:h2:file:" + dir.resolve("budgetguard") + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;AUTO_SERVER=TRUE";
            assertThrows(SQLException.class, () -> DriverManager.getConnection(url, "budgetguard", "").close(),
                    "the empty password of old no longer opens the database");
            String password = Files.readString(dir.resolve("db.password")).trim();
            try (var c = DriverManager.getConnection(url, "budgetguard", password)) {
                assertFalse(c.isClosed(), "a second local process of the same user opens it with the kept password");
            }
        }
    }
}
