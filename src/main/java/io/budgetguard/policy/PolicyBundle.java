package io.budgetguard.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * A compiled policy as `opa build -t wasm` writes it: a .tar.gz bundle (policy.wasm, data.json, .manifest
 * with its revision) or a bare .wasm module with no data. Sizes are bounded: a bundle is read whole.
 * {@code inputPaths} are the input paths the policy reads, from the manifest's {@code metadata.budgetguard.input_paths}
 * (policy/manifest.sh writes them with {@code opa deps}); null when the bundle does not say.
 */
record PolicyBundle(byte[] wasm, String dataJson, String revision, List<List<String>> inputPaths) {
    static final long MAX_BUNDLE_BYTES = 64L * 1024 * 1024;
    static final int MAX_ENTRIES = 1_000;
    static final int MAX_INPUT_PATHS = 1_000;

    /** The default policy built from policy/*.rego by {@code policy/build.sh --default}, shipped in the jar. */
    static final String BUILT_IN = "/policy/default-bundle.tar.gz";

    static PolicyBundle read(Path path, ObjectMapper json) throws IOException {
        long size = Files.size(path);
        if (size > MAX_BUNDLE_BYTES) throw new IOException(path + " is larger than " + MAX_BUNDLE_BYTES + " bytes");
        return parse(path.toString(), Files.readAllBytes(path), json);
    }

    /** The built-in default policy, or null when the jar was built without it. */
    static PolicyBundle builtIn(ObjectMapper json) throws IOException {
        try (InputStream in = PolicyBundle.class.getResourceAsStream(BUILT_IN)) {
            if (in == null) return null;
            return parse("built-in " + BUILT_IN, in.readNBytes((int) MAX_BUNDLE_BYTES), json);
        }
    }

    private static PolicyBundle parse(String path, byte[] bytes, ObjectMapper json) throws IOException {
        if (path.endsWith(".wasm")) return new PolicyBundle(bytes, "{}", "sha256:" + sha256(bytes), null);
        Map<String, byte[]> files = untar(new GZIPInputStream(new java.io.ByteArrayInputStream(bytes)));
        String module = "policy.wasm";
        String revision = null;
        List<List<String>> inputPaths = null;
        byte[] manifest = files.get(".manifest");
        if (manifest != null) {
            JsonNode m = json.readTree(manifest);
            revision = m.path("revision").asText(null);
            JsonNode wasm = m.path("wasm");
            if (wasm.isArray() && !wasm.isEmpty()) module = wasm.get(0).path("module").asText(module).replaceFirst("^/", "");
            inputPaths = inputPaths(path, m.path("metadata").path("budgetguard").get("input_paths"));
        }
        byte[] wasm = files.get(module);
        if (wasm == null) throw new IOException(path + " holds no " + module + " (build it with opa build -t wasm)");
        byte[] data = files.get("data.json");
        if (revision == null || revision.isBlank()) revision = "sha256:" + sha256(bytes);
        return new PolicyBundle(wasm, data == null ? "{}" : new String(data, StandardCharsets.UTF_8), revision, inputPaths);
    }

    /** The manifest's input paths: an array of arrays of keys; absent is null, anything malformed refuses the bundle. */
    private static List<List<String>> inputPaths(String path, JsonNode paths) throws IOException {
        if (paths == null || paths.isNull()) return null;
        if (!paths.isArray() || paths.size() > MAX_INPUT_PATHS) {
            throw new IOException(path + ": metadata.budgetguard.input_paths must be an array of at most " + MAX_INPUT_PATHS + " paths");
        }
        List<List<String>> out = new ArrayList<>();
        for (JsonNode p : paths) {
            if (!p.isArray()) throw new IOException(path + ": each of metadata.budgetguard.input_paths must be an array of keys");
            List<String> keys = new ArrayList<>();
            for (JsonNode k : p) {
                if (!k.isTextual()) throw new IOException(path + ": an input path holds a key that is not a string: " + p);
                keys.add(k.asText());
            }
            out.add(List.copyOf(keys));
        }
        return List.copyOf(out);
    }

    /** Regular files of a ustar archive by name (leading '/' and './' removed). */
    private static Map<String, byte[]> untar(InputStream in) throws IOException {
        Map<String, byte[]> out = new HashMap<>();
        byte[] header = new byte[512];
        for (int entries = 0; entries < MAX_ENTRIES; entries++) {
            if (in.readNBytes(header, 0, 512) < 512 || header[0] == 0) return out;
            String name = field(header, 0, 100);
            String prefix = field(header, 345, 155);
            if (!prefix.isEmpty()) name = prefix + "/" + name;
            long size = Long.parseLong(field(header, 124, 12).trim().isEmpty() ? "0" : field(header, 124, 12).trim(), 8);
            if (size > MAX_BUNDLE_BYTES) throw new IOException("tar entry " + name + " is too large");
            byte[] body = in.readNBytes((int) size);
            if (body.length < size) throw new IOException("truncated tar entry " + name);
            long pad = (512 - size % 512) % 512;
            in.skipNBytes(pad);
            char type = (char) header[156];
            if (type == '0' || type == 0) out.put(name.replaceFirst("^\\./", "").replaceFirst("^/", ""), body);
        }
        throw new IOException("bundle has more than " + MAX_ENTRIES + " entries");
    }

    private static String field(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) end++;
        return new String(h, off, end - off, StandardCharsets.US_ASCII);
    }

    private static String sha256(byte[] b) {
        return io.budgetguard.core.Sha256.hex(b).substring(0, 16);
    }
}
