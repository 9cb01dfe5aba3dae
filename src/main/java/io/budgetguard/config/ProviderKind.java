package io.budgetguard.config;

/**
 * The wire formats an upstream speaks. Every kind takes OpenAI-shaped requests (each provider exposes that shape
 * itself); the native kinds also take their own API, passed through as it is.
 */
public enum ProviderKind {
    /** OpenAI itself: the base URL's {@code /v1} routes. */
    OPENAI("openai", "openai"),
    /** Any server with OpenAI's API under its base URL (Mistral, Groq, DeepSeek, Together, xAI, vLLM, Ollama). */
    OPENAI_COMPATIBLE("openai-compatible", null),
    /** Azure OpenAI: deployments, the {@code api-key} header, and Azure's {@code /openai/v1} routes. */
    AZURE_OPENAI("azure-openai", "openai"),
    /** Anthropic: the Messages API natively, and its OpenAI-compatible chat completions. */
    ANTHROPIC("anthropic", "anthropic"),
    /** Google's Gemini API: generateContent natively, and its OpenAI-compatible routes. */
    GEMINI("gemini", "google");

    private final String wireName;
    private final String defaultPriceList;

    ProviderKind(String wireName, String defaultPriceList) {
        this.wireName = wireName;
        this.defaultPriceList = defaultPriceList;
    }

    public String wireName() {
        return wireName;
    }

    /** The price list its models are priced from unless the provider names one; null = it must name one. */
    public String defaultPriceList() {
        return defaultPriceList;
    }

    static ProviderKind parse(String s) {
        for (ProviderKind k : values()) if (k.wireName.equals(s)) return k;
        return null;
    }
}
