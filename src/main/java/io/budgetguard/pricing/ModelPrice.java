package io.budgetguard.pricing;

/**
 * A model's price in micro-USD per one million tokens (numerically equal to USD per token × 10^12),
 * its output cap and its tokenizer encoding.
 */
public record ModelPrice(String model, long inputMicroUsdPerMTok, long cachedInputMicroUsdPerMTok,
                         long outputMicroUsdPerMTok, long maxOutputTokens, String encoding) {
    private static final long TOKENS_PER_PRICE_UNIT = 1_000_000L;

    public ModelPrice {
        if (inputMicroUsdPerMTok < 0 || cachedInputMicroUsdPerMTok < 0 || outputMicroUsdPerMTok < 0 || maxOutputTokens < 0) {
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
