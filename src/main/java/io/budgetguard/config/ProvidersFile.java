package io.budgetguard.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads the providers file (PROVIDERS_PATH, JSON): each upstream by name with its kind, base URL, the environment
 * variable holding its key, timeouts, price list and models; and aliases naming {@code provider/model}. Every
 * mistake is one line naming the field; unknown fields are mistakes too (a misspelt timeout must not pass).
 */
final class ProvidersFile {
    static final int MAX_PROVIDERS = 64;
    static final int MAX_MODELS_PER_PROVIDER = 1_000;
    static final int MAX_FILE_BYTES = 1024 * 1024;
    private static final String NAME = "[a-z0-9][a-z0-9_-]{0,63}";
    private static final Set<String> FIELDS = Set.of("kind", "base_url", "key_env", "models", "deployments", "prices",
            "connect_timeout_ms", "first_byte_timeout_ms", "idle_timeout_ms", "stream_options");

    /** What the file configures: its providers in file order, and aliases to {@code provider/model}. */
    record Contents(List<Provider> providers, Map<String, String> aliases) {}

    private final List<String> problems;
    private final Function<String, String> environment;
    private final long[] defaultTimeoutsMs;

    /**
     * {@code environment} resolves key_env references; {@code defaultTimeoutsMs} = connect, first byte, idle (the
     * UPSTREAM_* settings), for providers that set none of their own.
     */
    private final Function<URI, URI> egressProxy;

    ProvidersFile(List<String> problems, Function<String, String> environment, long[] defaultTimeoutsMs,
                  Function<URI, URI> egressProxy) {
        this.problems = problems;
        this.environment = environment;
        this.defaultTimeoutsMs = defaultTimeoutsMs;
        this.egressProxy = egressProxy;
    }

    Contents read(Path path) {
        JsonNode root;
        try {
            if (Files.size(path) > MAX_FILE_BYTES) {
                problems.add("PROVIDERS_PATH: " + path + " is larger than " + MAX_FILE_BYTES + " bytes");
                return null;
            }
            root = new ObjectMapper().readTree(Files.readAllBytes(path));
        } catch (IOException e) {
            String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                    ? "not valid JSON (" + j.getOriginalMessage() + " at line " + j.getLocation().getLineNr() + ")" : "cannot be read";
            problems.add("PROVIDERS_PATH: " + path + " " + why);
            return null;
        }
        if (root == null || !root.isObject() || !root.path("providers").isObject() || root.path("providers").isEmpty()) {
            problems.add("PROVIDERS_PATH: expected {\"providers\": {\"<name>\": {\"kind\": ..., \"base_url\": ..., \"key_env\": ...}}}");
            return null;
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("providers") && !f.equals("aliases")) problems.add("PROVIDERS_PATH: unknown field '" + f + "' (providers, aliases)");
        }
        List<Provider> providers = new ArrayList<>();
        if (root.path("providers").size() > MAX_PROVIDERS) problems.add("providers: at most " + MAX_PROVIDERS + " providers");
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("providers").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Provider p = provider(e.getKey(), e.getValue());
            if (p != null) providers.add(p);
        }
        return new Contents(providers, aliases(root.get("aliases")));
    }

    private Provider provider(String name, JsonNode p) {
        String at = "providers." + name;
        if (!name.matches(NAME)) {
            problems.add(at + ": a provider name is 1-64 of a-z, 0-9, '_' and '-'");
            return null;
        }
        if (!p.isObject()) {
            problems.add(at + ": expected an object");
            return null;
        }
        int before = problems.size();
        for (Iterator<String> it = p.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (f.equals("key") || f.equals("api_key")) {
                problems.add(at + "." + f + ": keys never go in the providers file; name the environment variable in key_env");
            } else if (!FIELDS.contains(f)) {
                problems.add(at + ": unknown field '" + f + "'");
            }
        }
        ProviderKind kind = ProviderKind.parse(p.path("kind").asText(""));
        if (kind == null) {
            problems.add(at + ".kind: expected openai, openai-compatible, azure-openai, anthropic or gemini");
            return null;
        }
        URI base = baseUrl(at, p.path("base_url").asText(""), kind == ProviderKind.OPENAI);
        String keyEnv = p.path("key_env").asText("");
        String key = null;
        if (!keyEnv.matches("[A-Za-z_][A-Za-z0-9_]{0,127}")) {
            problems.add(at + ".key_env: the name of the environment variable that holds this provider's key");
        } else {
            key = environment.apply(keyEnv);
            if (key == null || key.isBlank()) problems.add(at + ".key_env: " + keyEnv + " is not set");
        }
        String priceList = p.has("prices") ? p.path("prices").asText("") : kind.defaultPriceList();
        if (priceList == null || !priceList.matches(NAME)) {
            problems.add(at + ".prices: the price list its models are priced from (openai, anthropic, google, mistral, "
                    + "deepseek, groq, x-ai, or one of PRICES_PATH's providers)");
        }
        Map<String, Provider.Model> models = models(at, kind, p);
        long connect = timeout(at, p, "connect_timeout_ms", defaultTimeoutsMs[0], 600_000);
        long firstByte = timeout(at, p, "first_byte_timeout_ms", defaultTimeoutsMs[1], 3_600_000);
        long idle = timeout(at, p, "idle_timeout_ms", defaultTimeoutsMs[2], 3_600_000);
        JsonNode so = p.get("stream_options");
        if (so != null && !so.isBoolean()) problems.add(at + ".stream_options: true or false");
        if (problems.size() > before) return null;
        return new Provider(name, kind, base, key == null ? null : key.trim(), keyEnv, connect, firstByte, idle, priceList,
                models, so == null || so.asBoolean(), egressProxy.apply(base));
    }

    /** {@code "models": ["a", "b"]}, {@code {"client-name": "upstream-id"}}, or {@code "*"}; Azure: deployments. */
    private Map<String, Provider.Model> models(String at, ProviderKind kind, JsonNode p) {
        Map<String, Provider.Model> out = new LinkedHashMap<>();
        if (kind == ProviderKind.AZURE_OPENAI) {
            JsonNode d = p.get("deployments");
            if (p.has("models")) problems.add(at + ".models: an azure-openai provider lists \"deployments\": {\"<deployment>\": \"<model>\"}");
            if (d == null || !d.isObject() || d.isEmpty()) {
                problems.add(at + ".deployments: expected {\"<deployment>\": \"<priced model>\"}, e.g. {\"prod-gpt4o\": \"gpt-4o\"}");
                return out;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = d.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!modelName(at + ".deployments", e.getKey()) || !modelName(at + ".deployments." + e.getKey(), e.getValue().asText(""))) continue;
                out.put(e.getKey(), new Provider.Model(e.getKey(), e.getValue().asText()));
            }
            return out;
        }
        if (p.has("deployments")) problems.add(at + ".deployments: only an azure-openai provider has deployments");
        JsonNode m = p.get("models");
        if (m != null && m.isTextual() && m.asText().equals("*")) return out;
        if (m != null && m.isArray() && !m.isEmpty()) {
            for (JsonNode n : m) {
                if (modelName(at + ".models", n.asText(""))) out.put(n.asText(), new Provider.Model(n.asText(), n.asText()));
            }
        } else if (m != null && m.isObject() && !m.isEmpty()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String id = e.getValue().asText("");
                if (modelName(at + ".models", e.getKey()) && upstreamId(at + ".models." + e.getKey(), id)) {
                    out.put(e.getKey(), new Provider.Model(id, id));
                }
            }
        } else {
            problems.add(at + ".models: expected [\"model\", ...], {\"client name\": \"upstream model id\"}, or \"*\" (any priced model)");
        }
        if (out.size() > MAX_MODELS_PER_PROVIDER) problems.add(at + ".models: at most " + MAX_MODELS_PER_PROVIDER);
        return out;
    }

    /** An upstream's own model id may hold '/' (Hugging Face names at vLLM); it is never parsed, only sent. */
    private boolean upstreamId(String at, String id) {
        if (id.isEmpty() || id.length() > 256 || !id.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            problems.add(at + ": '" + id + "' is not a model id (1-256 printable characters)");
            return false;
        }
        return true;
    }

    private boolean modelName(String at, String name) {
        if (name.isEmpty() || name.length() > 256 || name.contains("/") || !name.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            problems.add(at + ": '" + name + "' is not a model name (1-256 printable characters, no '/')");
            return false;
        }
        return true;
    }

    private Map<String, String> aliases(JsonNode a) {
        Map<String, String> out = new LinkedHashMap<>();
        if (a == null) return out;
        if (!a.isObject()) {
            problems.add("aliases: expected {\"<alias>\": \"<provider>/<model>\"}");
            return out;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String target = e.getValue().asText("");
            if (!modelName("aliases", e.getKey())) continue;
            if (!target.matches(NAME + "/[^/\\s]{1,256}")) {
                problems.add("aliases." + e.getKey() + ": expected \"<provider>/<model>\", got '" + target + "'");
                continue;
            }
            out.put(e.getKey(), target);
        }
        return out;
    }

    private URI baseUrl(String at, String raw, boolean openaiKind) {
        try {
            URI uri = new URI(raw);
            String scheme = uri.getScheme();
            if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                    || uri.getQuery() != null || uri.getFragment() != null || uri.getUserInfo() != null) {
                problems.add(at + ".base_url: must be an http(s) URL with a host and no query, e.g. https://api.anthropic.com");
                return null;
            }
            String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("/+$", "");
            // OpenAI's own base URL is accepted with or without the SDKs' "/v1", as OPENAI_BASE_URL is.
            if (openaiKind && path.endsWith("/v1")) path = path.substring(0, path.length() - 3);
            return new URI(scheme, null, uri.getHost(), uri.getPort(), path, null, null);
        } catch (URISyntaxException e) {
            problems.add(at + ".base_url: not a valid URL");
            return null;
        }
    }

    private long timeout(String at, JsonNode p, String field, long dflt, long max) {
        JsonNode v = p.get(field);
        if (v == null) return dflt;
        if (!v.isIntegralNumber() || v.asLong() < 10 || v.asLong() > max) {
            problems.add(at + "." + field + ": a whole number of milliseconds from 10 to " + max);
            return dflt;
        }
        return v.asLong();
    }
}
