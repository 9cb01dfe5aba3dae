package io.budgetguard.http;

import java.util.Map;

/**
 * An operating error (bad input, wrong key, store down, upstream timeout, policy deny): typed here and
 * turned into OpenAI's error envelope in exactly one place, {@link HttpApi}. Anything else is a bug (500).
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String code;
    private final String param;
    private final Map<String, String> headers;

    public ApiException(int status, String type, String code, String message, String param, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.headers = Map.copyOf(headers);
    }

    public static ApiException invalidRequest(String message) {
        return invalidRequest(message, null);
    }

    public static ApiException invalidRequest(String message, String param) {
        return new ApiException(400, "invalid_request_error", "invalid_request", message, param, Map.of());
    }

    public static ApiException invalidApiKey(String message) {
        return new ApiException(401, "invalid_request_error", "invalid_api_key", message, null, Map.of());
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, "invalid_request_error", "not_found", message, null, Map.of());
    }

    public static ApiException unknownUrl(String method, String path) {
        return new ApiException(404, "invalid_request_error", "unknown_url",
                "Unknown request URL: " + method + " " + path + ".", null, Map.of());
    }

    public static ApiException methodNotAllowed(String method, String path, String allowed) {
        return new ApiException(405, "invalid_request_error", "method_not_allowed",
                "Method " + method + " is not allowed on " + path + "; use " + allowed + ".", null, Map.of("Allow", allowed));
    }

    public static ApiException conflict(String message) {
        return new ApiException(409, "invalid_request_error", "conflict", message, null, Map.of());
    }

    public static ApiException tooLarge(long maxBytes) {
        return new ApiException(413, "invalid_request_error", "request_too_large",
                "Request body is larger than the limit of " + maxBytes + " bytes.", null, Map.of());
    }

    public static ApiException adminDisabled() {
        return new ApiException(403, "permission_error", "admin_disabled",
                "The admin API is disabled: set ADMIN_API_KEY to enable it.", null, Map.of());
    }

    public static ApiException upstreamError(String message) {
        return new ApiException(502, "server_error", "upstream_error", message, null, Map.of());
    }

    public static ApiException upstreamTimeout(String message) {
        return new ApiException(504, "server_error", "upstream_timeout", message, null, Map.of());
    }

    public static ApiException storeUnavailable(String message) {
        return new ApiException(503, "server_error", "store_unavailable", message, null, Map.of());
    }

    public static ApiException overloaded(int maxInflight) {
        return new ApiException(503, "server_error", "overloaded",
                "The gateway is at its limit of " + maxInflight + " requests in flight; retry shortly.", null,
                Map.of("Retry-After", "1"));
    }

    public static ApiException shuttingDown() {
        return new ApiException(503, "server_error", "shutting_down",
                "The gateway is shutting down; retry on another instance.", null, Map.of("Retry-After", "1"));
    }

    public int status() { return status; }
    public String type() { return type; }
    public String code() { return code; }
    public String param() { return param; }
    public Map<String, String> headers() { return headers; }
}
