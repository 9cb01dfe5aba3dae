package io.budgetguard.pricing;

/**
 * A model's price in micro-USD per one million tokens (numerically equal to USD per token × 10^12),
 * its output cap and its tokenizer encoding.
 */
public record ModelPrice(String model, long inputMicroUsdPerMTok, long cachedInputMicroUsdPerMTok,
                         long outputMicroUsdPerMTok, long maxOutputTokens, String encoding, long contextWindowTokens,
                         long imageMaxTokens) {
    public static final long DEFAULT_MAX_OUTPUT_TOKENS = 16_384;
    public static final long DEFAULT_CONTEXT_WINDOW_TOKENS = 128_000;
    /** 85 + 170 × 8 tiles: the most one high-detail image costs on the tiled (gpt-4o family) scheme. */
    public static final long DEFAULT_IMAGE_MAX_TOKENS = 1_445;

    private static final long TOKENS_PER_PRICE_UNIT = 1_000_000L;

    public ModelPrice {
        if (inputMicroUsdPerMTok < 0 || cachedInputMicroUsdPerMTok < 0 || outputMicroUsdPerMTok < 0 || maxOutputTokens < 0
                || contextWindowTokens < 0 || imageMaxTokens < 0) {
            throw new IllegalStateException("negative price or cap for " + model);
        }
    }

    /**
     * Cost of a usage in micro-USD, rounded up: a hard cap never under-counts.
     * {@code cachedTokens} is the part of {@code promptTokens} served from cache.
     */
    public long costMicroUsd(long promptTokens, long cachedTokens, long completionTokens) {
        if (promptTokens < 0 || cachedTokens < 0 || completionTokens < 0) {
            throw new IllegalStateException("negative token count");
        }
        long cached = Math.min(cachedTokens, promptTokens);
        long scaled = Math.addExact(
                Math.addExact(Math.multiplyExact(promptTokens - cached, inputMicroUsdPerMTok),
                        Math.multiplyExact(cached, cachedInputMicroUsdPerMTok)),
                Math.multiplyExact(completionTokens, outputMicroUsdPerMTok));
        return Math.ceilDiv(scaled, TOKENS_PER_PRICE_UNIT);
    }
}
