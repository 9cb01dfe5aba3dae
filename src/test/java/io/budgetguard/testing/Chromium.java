package io.budgetguard.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Headless Debian Chromium: renders a page (JavaScript included), returns its DOM and keeps a screenshot. */
public final class Chromium {
    private Chromium() {}

    public static String require() {
        String bin = Files.isExecutable(Path.of("/usr/bin/chromium")) ? "/usr/bin/chromium" : null;
        if (System.getenv("CI") != null && bin == null) throw new IllegalStateException("CI must install chromium");
        Assumptions.assumeTrue(bin != null, "apt-get install chromium to run the browser tests");
        return bin;
    }

    /** The DOM after the page's scripts ran, plus a screenshot at {@code screenshot}. */
    public static String render(String url, Path screenshot) throws IOException, InterruptedException {
        String bin = require();
        Files.createDirectories(screenshot.getParent());
        Path profile = Files.createTempDirectory("chromium");
        List<String> common = List.of(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--virtual-time-budget=15000", "--window-size=1280,1600");
        run(concat(common, "--screenshot=" + screenshot.toAbsolutePath(), url));
        return run(concat(common, "--dump-dom", url));
    }

    private static List<String> concat(List<String> a, String... more) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>(a);
        out.addAll(List.of(more));
        return out;
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("chromium did not finish: " + cmd);
        }
        return out;
    }
}
