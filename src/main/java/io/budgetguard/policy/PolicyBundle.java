package io.budgetguard.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * A compiled policy as `opa build -t wasm` writes it: a .tar.gz bundle (policy.wasm, data.json, .manifest
 * with its revision) or a bare .wasm module with no data. Sizes are bounded: a bundle is read whole.
 */
record PolicyBundle(byte[] wasm, String dataJson, String revision) {
    static final long MAX_BUNDLE_BYTES = 64L * 1024 * 1024;
    static final int MAX_ENTRIES = 1_000;

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
        if (path.endsWith(".wasm")) return new PolicyBundle(bytes, "{}", "sha256:" + sha256(bytes));
        Map<String, byte[]> files = untar(new GZIPInputStream(new java.io.ByteArrayInputStream(bytes)));
        String module = "policy.wasm";
        String revision = null;
        byte[] manifest = files.get(".manifest");
        if (manifest != null) {
            JsonNode m = json.readTree(manifest);
            revision = m.path("revision").asText(null);
            JsonNode wasm = m.path("wasm");
            if (wasm.isArray() && !wasm.isEmpty()) module = wasm.get(0).path("module").asText(module).replaceFirst("^/", "");
        }
        byte[] wasm = files.get(module);
        if (wasm == null) throw new IOException(path + " holds no " + module + " (build it with opa build -t wasm)");
        byte[] data = files.get("data.json");
        if (revision == null || revision.isBlank()) revision = "sha256:" + sha256(bytes);
        return new PolicyBundle(wasm, data == null ? "{}" : new String(data, StandardCharsets.UTF_8), revision);
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
