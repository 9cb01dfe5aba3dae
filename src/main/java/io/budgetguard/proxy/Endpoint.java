package io.budgetguard.proxy;

import io.budgetguard.pricing.Estimator;

/**
 * The routes the gateway proxies: OpenAI's, Azure OpenAI's two shapes, Anthropic's Messages API and Gemini's
 * generateContent. Each is passed through in its own shape (no translation between shapes); {@link Shape} says
 * where its model is named and which provider kinds speak it.
 */
public enum Endpoint {
    CHAT_COMPLETIONS("POST", "/v1/chat/completions", Shape.OPENAI, true, true, Estimator.Kind.CHAT),
    COMPLETIONS("POST", "/v1/completions", Shape.OPENAI, true, true, Estimator.Kind.COMPLETION),
    EMBEDDINGS("POST", "/v1/embeddings", Shape.OPENAI, false, false, Estimator.Kind.EMBEDDING),
    /** Free at OpenAI: admitted at an estimate of 0, rate-limited, recorded at cost 0; the model is optional. */
    MODERATIONS("POST", "/v1/moderations", Shape.OPENAI, false, false, null),
    /** Streams report usage in their {@code response.completed} event; no stream_options needed. */
    RESPONSES("POST", "/v1/responses", Shape.OPENAI, true, false, Estimator.Kind.RESPONSE),
    /** Priced per image (DALL-E) or by image tokens (gpt-image-1) by {@link io.budgetguard.pricing.ImagePrices}; not streamed here. */
    IMAGES_GENERATIONS("POST", "/v1/images/generations", Shape.OPENAI, false, false, Estimator.Kind.IMAGE),
    /** Billed by the input's characters (tts-1, tts-1-hd) by {@link io.budgetguard.pricing.SpeechPrices}; the answer is audio. */
    AUDIO_SPEECH("POST", "/v1/audio/speech", Shape.OPENAI, false, false, Estimator.Kind.SPEECH),
    /**
     * Speech to text: a multipart upload streamed on as it arrives, reserved at the longest its audio can last by
     * {@link io.budgetguard.pricing.TranscriptionPrices}, settled from the seconds or tokens the answer reports.
     */
    AUDIO_TRANSCRIPTIONS("POST", "/v1/audio/transcriptions", Shape.OPENAI, true, false, null),
    AUDIO_TRANSLATIONS("POST", "/v1/audio/translations", Shape.OPENAI, false, false, null),
    /** Images from uploaded ones (multipart, streamed on): priced as generations, token models also by their input images. */
    IMAGES_EDITS("POST", "/v1/images/edits", Shape.OPENAI, false, false, null),
    IMAGES_VARIATIONS("POST", "/v1/images/variations", Shape.OPENAI, false, false, null),
    /** A file upload (multipart, streamed on; free): the tenant's own from then on, at the provider that took it. */
    FILES("POST", "/v1/files", Shape.OPENAI, false, false, null),
    /** The tenant's own files, listed by the gateway from its own mapping (the provider's list holds every tenant's). */
    FILES_LIST("GET", "/v1/files", Shape.OPENAI, false, false, null),
    FILE("GET", "/v1/files/{id}", Shape.OPENAI, false, false, null),
    FILE_DELETE("DELETE", "/v1/files/{id}", Shape.OPENAI, false, false, null),
    FILE_CONTENT("GET", "/v1/files/{id}/content", Shape.OPENAI, false, false, null),
    /** A batch over one of the tenant's files: reserved at its worst case, held until a worker sees it finish. */
    BATCHES("POST", "/v1/batches", Shape.OPENAI, false, false, null),
    BATCHES_LIST("GET", "/v1/batches", Shape.OPENAI, false, false, null),
    BATCH("GET", "/v1/batches/{id}", Shape.OPENAI, false, false, null),
    BATCH_CANCEL("POST", "/v1/batches/{id}/cancel", Shape.OPENAI, false, false, null),
    /**
     * Realtime over WebSocket is served on its own listener (REALTIME_PORT, {@link RealtimeListener}); on the HTTP
     * port this route only says so.
     */
    REALTIME("GET", "/v1/realtime", Shape.OPENAI, false, false, null),
    /** A stored response of the tenant's own: free, the provider that created it answers. */
    RESPONSE_GET("GET", "/v1/responses/{id}", Shape.OPENAI, false, false, null),
    RESPONSE_DELETE("DELETE", "/v1/responses/{id}", Shape.OPENAI, false, false, null),
    RESPONSE_CANCEL("POST", "/v1/responses/{id}/cancel", Shape.OPENAI, false, false, null),
    RESPONSE_INPUT_ITEMS("GET", "/v1/responses/{id}/input_items", Shape.OPENAI, false, false, null),
    MODELS("GET", "/v1/models", Shape.OPENAI, false, false, null),
    MODEL("GET", "/v1/models/{model}", Shape.OPENAI, false, false, null),

    AZURE_CHAT_COMPLETIONS("POST", "/openai/deployments/{deployment}/chat/completions", Shape.AZURE_DEPLOYMENT, true, true, Estimator.Kind.CHAT),
    AZURE_COMPLETIONS("POST", "/openai/deployments/{deployment}/completions", Shape.AZURE_DEPLOYMENT, true, true, Estimator.Kind.COMPLETION),
    AZURE_EMBEDDINGS("POST", "/openai/deployments/{deployment}/embeddings", Shape.AZURE_DEPLOYMENT, false, false, Estimator.Kind.EMBEDDING),
    AZURE_V1_CHAT_COMPLETIONS("POST", "/openai/v1/chat/completions", Shape.AZURE_V1, true, true, Estimator.Kind.CHAT),
    AZURE_V1_COMPLETIONS("POST", "/openai/v1/completions", Shape.AZURE_V1, true, true, Estimator.Kind.COMPLETION),
    AZURE_V1_EMBEDDINGS("POST", "/openai/v1/embeddings", Shape.AZURE_V1, false, false, Estimator.Kind.EMBEDDING),
    AZURE_V1_RESPONSES("POST", "/openai/v1/responses", Shape.AZURE_V1, true, false, Estimator.Kind.RESPONSE),

    /** Usage arrives in message_start (prompt, cache) and message_delta (output). */
    ANTHROPIC_MESSAGES("POST", "/v1/messages", Shape.ANTHROPIC, true, false, Estimator.Kind.MESSAGES),
    /** Free at Anthropic, like moderations at OpenAI. */
    ANTHROPIC_COUNT_TOKENS("POST", "/v1/messages/count_tokens", Shape.ANTHROPIC, false, false, null),

    GEMINI_GENERATE("POST", "/v1beta/models/{model}:generateContent", Shape.GEMINI, false, false, Estimator.Kind.GENERATE),
    /** Always a stream; with {@code alt=sse} as Server-Sent Events, else as one JSON array. */
    GEMINI_STREAM_GENERATE("POST", "/v1beta/models/{model}:streamGenerateContent", Shape.GEMINI, true, false, Estimator.Kind.GENERATE),
    GEMINI_COUNT_TOKENS("POST", "/v1beta/models/{model}:countTokens", Shape.GEMINI, false, false, null),
    GEMINI_V1_GENERATE("POST", "/v1/models/{model}:generateContent", Shape.GEMINI, false, false, Estimator.Kind.GENERATE),
    GEMINI_V1_STREAM_GENERATE("POST", "/v1/models/{model}:streamGenerateContent", Shape.GEMINI, true, false, Estimator.Kind.GENERATE),
    GEMINI_V1_COUNT_TOKENS("POST", "/v1/models/{model}:countTokens", Shape.GEMINI, false, false, null);

    /** Where a request names its model and which upstream kinds speak its wire format. */
    public enum Shape {
        /** OpenAI's API: the model in the body; every provider kind has it. */
        OPENAI,
        /** Azure's deployments path ({@code ?api-version=}): the deployment in the path, Azure only. */
        AZURE_DEPLOYMENT,
        /** Azure's {@code /openai/v1} routes: the deployment as the body's model, Azure only. */
        AZURE_V1,
        /** Anthropic's Messages API: the model in the body, Anthropic only. */
        ANTHROPIC,
        /** Gemini's API: the model in the path, Gemini only. */
        GEMINI
    }

    private final String method;
    private final String path;
    private final Shape shape;
    private final boolean streams;
    private final boolean usageNeedsStreamOptions;
    private final Estimator.Kind estimateKind;

    Endpoint(String method, String path, Shape shape, boolean streams, boolean usageNeedsStreamOptions,
             Estimator.Kind estimateKind) {
        this.method = method;
        this.path = path;
        this.shape = shape;
        this.streams = streams;
        this.usageNeedsStreamOptions = usageNeedsStreamOptions;
        this.estimateKind = estimateKind;
    }

    public String method() { return method; }
    public String path() { return path; }
    public Shape shape() { return shape; }
    boolean streams() { return streams; }
    boolean usageNeedsStreamOptions() { return usageNeedsStreamOptions; }
    boolean hasBody() { return method.equals("POST") && this != RESPONSE_CANCEL && this != BATCH_CANCEL; }

    /**
     * The kind of object a call names by {@code {id}} in its path (a stored response, a file, a batch), which only
     * its tenant may name; null for any other call.
     */
    String ownedKind() {
        return switch (this) {
            case RESPONSE_GET, RESPONSE_DELETE, RESPONSE_CANCEL, RESPONSE_INPUT_ITEMS -> io.budgetguard.tenant.TenantObjects.RESPONSE;
            case FILE, FILE_DELETE, FILE_CONTENT -> io.budgetguard.tenant.TenantObjects.FILE;
            case BATCH, BATCH_CANCEL -> io.budgetguard.tenant.TenantObjects.BATCH;
            default -> null;
        };
    }

    boolean onOwnedObject() {
        return ownedKind() != null;
    }

    /** A listing of the tenant's own objects, answered by the gateway from its mapping. */
    boolean listsOwned() {
        return this == FILES_LIST || this == BATCHES_LIST;
    }

    /** A call whose answer describes the object it creates, kept for the gateway's own listings. */
    boolean describesObject() {
        return this == FILES || this == BATCHES;
    }

    /** A multipart upload, passed on as it arrives instead of read whole. */
    boolean upload() {
        return this == AUDIO_TRANSCRIPTIONS || this == AUDIO_TRANSLATIONS || this == IMAGES_EDITS || this == IMAGES_VARIATIONS
                || this == FILES;
    }

    /** An upload of audio (priced by its length), not of images. */
    boolean audioUpload() {
        return this == AUDIO_TRANSCRIPTIONS || this == AUDIO_TRANSLATIONS;
    }

    /** A call that creates a stored response. */
    boolean createsResponse() {
        return this == RESPONSES;
    }
    Estimator.Kind estimateKind() { return estimateKind; }

    /** No price applies: the provider does not bill it. */
    boolean free() {
        return this == MODERATIONS || this == ANTHROPIC_COUNT_TOKENS || this == GEMINI_COUNT_TOKENS || this == GEMINI_V1_COUNT_TOKENS
                || onOwnedObject() || this == FILES;
    }

    /** Gemini's streaming route: a stream whether or not the body says so. */
    boolean alwaysStreams() {
        return this == GEMINI_STREAM_GENERATE || this == GEMINI_V1_STREAM_GENERATE;
    }

    /** The model is named in the path ({@code {model}} or {@code {deployment}}), not in the body. */
    String pathModelParameter() {
        return switch (shape) {
            case GEMINI -> "model";
            case AZURE_DEPLOYMENT -> "deployment";
            default -> null;
        };
    }

    /** The endpoint as the ledger records it: the route, never a client-chosen path segment. */
    String ledgerName() {
        return this == MODEL ? MODELS.path : path;
    }

    /** The path with its {@code {id}} segment filled in (already validated). */
    String pathWithId(String id) {
        return path.replace("{id}", id);
    }

    /** The part of the path after the model segment ({@code :generateContent}, {@code /chat/completions}). */
    String pathAfterModel() {
        int close = path.indexOf('}');
        return close < 0 ? path : path.substring(close + 1);
    }

    /** Gemini's API version of this route: {@code v1beta} or {@code v1}. */
    String geminiVersion() {
        return path.startsWith("/v1beta/") ? "v1beta" : "v1";
    }
}
