package io.budgetguard.proxy;

import io.budgetguard.config.ProviderKind;
import io.budgetguard.http.ApiException;
import io.budgetguard.http.HttpCall;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The upstream path of a request and the client headers passed with it. OpenAI-shaped requests go where each
 * provider kind serves that shape; native requests keep their own path, with the model the upstream knows and
 * only the query parameters the API defines ({@code api-version}, {@code alt}): never the client's key.
 */
final class UpstreamPaths {
    private static final Pattern QUERY_VALUE = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** Sent when an Anthropic client names no version: the one every current Anthropic SDK sends. */
    static final String DEFAULT_ANTHROPIC_VERSION = "2023-06-01";

    private UpstreamPaths() {}

    static String of(Endpoint e, ModelRouter.Target t, Map<String, String> params, String rawQuery) {
        ProviderKind kind = t.provider().kind();
        String path = e.onOwnedObject() ? e.pathWithId(encode(params.get("id"))) + listQuery(e, rawQuery) : e.path();
        return switch (e.shape()) {
            case OPENAI -> switch (kind) {
                case OPENAI -> e == Endpoint.MODEL ? "/v1/models/" + encode(params.get("model")) : path;
                // The base URL of an openai-compatible server carries its own version prefix (".../v1", "/openai/v1").
                case OPENAI_COMPATIBLE -> path.substring("/v1".length());
                case AZURE_OPENAI -> "/openai" + path + query(rawQuery, "api-version");
                case ANTHROPIC -> path;
                case GEMINI -> "/v1beta/openai" + path.substring("/v1".length());
            };
            case AZURE_V1 -> e.path() + query(rawQuery, "api-version");
            case AZURE_DEPLOYMENT -> "/openai/deployments/" + encode(t.upstreamModel()) + e.pathAfterModel()
                    + query(rawQuery, "api-version");
            case ANTHROPIC -> e.path();
            case GEMINI -> "/" + e.geminiVersion() + "/models/" + encode(t.upstreamModel()) + e.pathAfterModel()
                    + query(rawQuery, "alt");
        };
    }

    static Upstream.ClientHeaders headers(Endpoint e, HttpCall call) {
        boolean nativeShape = e.shape() != Endpoint.Shape.OPENAI;
        boolean anthropic = e.shape() == Endpoint.Shape.ANTHROPIC;
        String version = call.header("anthropic-version");
        return new Upstream.ClientHeaders(nativeShape, call.header("Accept"),
                nativeShape ? null : call.header("OpenAI-Beta"),
                anthropic ? (version == null ? DEFAULT_ANTHROPIC_VERSION : version) : null,
                anthropic ? call.header("anthropic-beta") : null);
    }

    /** The list parameters of input items ({@code after}, {@code limit}, {@code order}); nothing else is passed on. */
    private static String listQuery(Endpoint e, String rawQuery) {
        if (e != Endpoint.RESPONSE_INPUT_ITEMS || rawQuery == null) return "";
        StringBuilder q = new StringBuilder();
        for (String name : new String[] {"after", "limit", "order"}) {
            String one = query(rawQuery, name);
            if (!one.isEmpty()) q.append(q.isEmpty() ? "?" : "&").append(one.substring(1));
        }
        return q.toString();
    }

    /** {@code ?name=value} when the client's query has it, else nothing; a value outside [A-Za-z0-9._-] is 400. */
    private static String query(String rawQuery, String name) {
        if (rawQuery == null) return "";
        for (String pair : rawQuery.split("&", 64)) {
            if (!pair.startsWith(name + "=")) continue;
            String v = pair.substring(name.length() + 1);
            if (!QUERY_VALUE.matcher(v).matches()) throw ApiException.invalidRequest("'" + name + "' is not a valid value.", name);
            return "?" + name + "=" + v;
        }
        return "";
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
