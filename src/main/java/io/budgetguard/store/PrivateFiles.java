package io.budgetguard.store;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

/** The embedded store's files are the gateway user's alone: the directory 0700, every file in it 0600. */
public final class PrivateFiles {
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private PrivateFiles() {}

    public static void directory(Path dir) throws IOException {
        Files.createDirectories(dir);
        if (POSIX) Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }

    public static void file(Path file) throws IOException {
        if (POSIX && Files.exists(file)) Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    /** Every regular file directly in {@code dir}. */
    static void restrictAll(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                // H2 may remove its trace or temp files meanwhile.
                if (Files.isRegularFile(f)) {
                    try {
                        file(f);
                    } catch (java.nio.file.NoSuchFileException gone) {
                        // nothing to protect
                    }
                }
            }
        }
    }
}
