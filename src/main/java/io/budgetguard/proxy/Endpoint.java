package io.budgetguard.proxy;

/** The OpenAI routes the gateway proxies, and how each reports usage when streaming. */
public enum Endpoint {
    CHAT_COMPLETIONS("POST", "/v1/chat/completions", true, true),
    COMPLETIONS("POST", "/v1/completions", true, true),
    EMBEDDINGS("POST", "/v1/embeddings", false, false),
    /** Streams report usage in their {@code response.completed} event; no stream_options needed. */
    RESPONSES("POST", "/v1/responses", true, false),
    MODELS("GET", "/v1/models", false, false),
    MODEL("GET", "/v1/models/{model}", false, false);

    private final String method;
    private final String path;
    private final boolean streams;
    private final boolean usageNeedsStreamOptions;

    Endpoint(String method, String path, boolean streams, boolean usageNeedsStreamOptions) {
        this.method = method;
        this.path = path;
        this.streams = streams;
        this.usageNeedsStreamOptions = usageNeedsStreamOptions;
    }

    public String method() { return method; }
    public String path() { return path; }
    boolean streams() { return streams; }
    boolean usageNeedsStreamOptions() { return usageNeedsStreamOptions; }
    boolean hasBody() { return method.equals("POST"); }

    /** The endpoint as the ledger records it: the route, never a client-chosen path segment. */
    String ledgerName() {
        return this == MODEL ? MODELS.path : path;
    }
}
