package io.budgetguard.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** The real OPA CLI, for compiling Rego to wasm bundles and for `opa eval` as the reference. */
public final class Opa {
    private Opa() {}

    public static String binary() {
        List<Path> candidates = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) candidates.add(Path.of(dir, "opa"));
        String gopath = System.getenv("GOPATH");
        if (gopath != null) candidates.add(Path.of(gopath, "bin", "opa"));
        candidates.add(Path.of(System.getProperty("user.home"), "go", "bin", "opa"));
        for (Path p : candidates) if (Files.isExecutable(p)) return p.toString();
        return null;
    }

    /** The binary, or a skip (a failure in CI, which must install it). */
    public static String require() {
        String bin = binary();
        if (System.getenv("CI") != null && bin == null) throw new IllegalStateException("CI must install the OPA CLI");
        Assumptions.assumeTrue(bin != null, "install the OPA CLI (go install github.com/open-policy-agent/opa@v1.22.3)");
        return bin;
    }

    /**
     * The bundle policy/build.sh builds from the given files (Rego and data.json), into {@code out}: a manifest naming the
     * input paths the policy reads (policy/manifest.sh), then opa build -b -t wasm -e budgetguard/decision.
     */
    public static Path build(Path out, String revision, Path... files) throws IOException, InterruptedException {
        Path root = Files.createTempDirectory("bundle-root");
        List<String> copied = new ArrayList<>();
        for (Path f : files) {
            Path to = root.resolve(f.getFileName());
            Files.copy(f, to);
            copied.add(to.toString());
        }
        List<String> manifest = new ArrayList<>(List.of("sh", "policy/manifest.sh", require(), root.resolve(".manifest").toString()));
        manifest.addAll(copied);
        run(manifest);
        run(List.of(require(), "build", "-b", "-t", "wasm", "-e", "budgetguard/decision", "--revision", revision, "-o",
                out.toString(), root.toString()));
        return out;
    }

    /** A bundle as plain {@code opa build -t wasm} writes it: no manifest metadata, so nothing says what the policy reads. */
    public static Path buildWithoutInputPaths(Path out, String revision, Path... files) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(require(), "build", "-t", "wasm", "-e", "budgetguard/decision",
                "--revision", revision, "-o", out.toString()));
        for (Path f : files) cmd.add(f.toString());
        run(cmd);
        return out;
    }

    /** The decision `opa eval` computes for this input, as JSON text. */
    public static String eval(String input, Path... files) throws IOException, InterruptedException {
        Path in = Files.createTempFile("opa-input", ".json");
        Files.writeString(in, input);
        List<String> cmd = new ArrayList<>(List.of(require(), "eval", "--format", "json", "--input", in.toString()));
        for (Path f : files) {
            cmd.add("--data");
            cmd.add(f.toString());
        }
        cmd.add("data.budgetguard.decision");
        return run(cmd);
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + " failed: " + out);
        return out;
    }
}
