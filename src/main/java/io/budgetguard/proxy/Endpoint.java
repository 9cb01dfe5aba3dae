package io.budgetguard.proxy;

import io.budgetguard.pricing.Estimator;

/** The OpenAI routes the gateway proxies, and how each reports usage when streaming. */
public enum Endpoint {
    CHAT_COMPLETIONS("POST", "/v1/chat/completions", true, true, Estimator.Kind.CHAT),
    COMPLETIONS("POST", "/v1/completions", true, true, Estimator.Kind.COMPLETION),
    EMBEDDINGS("POST", "/v1/embeddings", false, false, Estimator.Kind.EMBEDDING),
    /** Free at OpenAI: admitted at an estimate of 0, rate-limited, recorded at cost 0; the model is optional. */
    MODERATIONS("POST", "/v1/moderations", false, false, null),
    /** Streams report usage in their {@code response.completed} event; no stream_options needed. */
    RESPONSES("POST", "/v1/responses", true, false, Estimator.Kind.RESPONSE),
    MODELS("GET", "/v1/models", false, false, null),
    MODEL("GET", "/v1/models/{model}", false, false, null);

    private final String method;
    private final String path;
    private final boolean streams;
    private final boolean usageNeedsStreamOptions;
    private final Estimator.Kind estimateKind;

    Endpoint(String method, String path, boolean streams, boolean usageNeedsStreamOptions, Estimator.Kind estimateKind) {
        this.estimateKind = estimateKind;
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
    Estimator.Kind estimateKind() { return estimateKind; }
    /** No price applies: OpenAI does not bill it. */
    boolean free() { return this == MODERATIONS; }

    /** The endpoint as the ledger records it: the route, never a client-chosen path segment. */
    String ledgerName() {
        return this == MODEL ? MODELS.path : path;
    }
}
