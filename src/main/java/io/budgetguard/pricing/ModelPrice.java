package io.budgetguard.pricing;

import java.util.List;

/**
 * A model's price in micro-USD per one million tokens (numerically equal to USD per token × 10^12),
 * its long-context tiers, its output cap and its tokenizer encoding.
 */
public record ModelPrice(String model, long inputMicroUsdPerMTok, long cachedInputMicroUsdPerMTok,
                         long outputMicroUsdPerMTok, long maxOutputTokens, String encoding, long contextWindowTokens,
                         long imageMaxTokens, List<Tier> tiers) {
    public static final long DEFAULT_MAX_OUTPUT_TOKENS = 16_384;
    public static final long DEFAULT_CONTEXT_WINDOW_TOKENS = 128_000;
    /** 85 + 170 × 8 tiles: the most one high-detail image costs on the tiled (gpt-4o family) scheme. */
    public static final long DEFAULT_IMAGE_MAX_TOKENS = 1_445;

    private static final long TOKENS_PER_PRICE_UNIT = 1_000_000L;

    /**
     * A long-context price: a request with more than {@code aboveInputTokens} prompt tokens pays these rates on all
     * of its tokens (as OpenAI and Google bill them), not only on the tokens above the threshold.
     */
    public record Tier(long aboveInputTokens, long inputMicroUsdPerMTok, long cachedInputMicroUsdPerMTok, long outputMicroUsdPerMTok) {}

    public ModelPrice {
        if (inputMicroUsdPerMTok < 0 || cachedInputMicroUsdPerMTok < 0 || outputMicroUsdPerMTok < 0 || maxOutputTokens < 0
                || contextWindowTokens < 0 || imageMaxTokens < 0) {
            throw new IllegalStateException("negative price or cap for " + model);
        }
        tiers = List.copyOf(tiers);
        long previous = -1;
        for (Tier t : tiers) {
            if (t.aboveInputTokens() <= previous || t.inputMicroUsdPerMTok() < 0 || t.cachedInputMicroUsdPerMTok() < 0
                    || t.outputMicroUsdPerMTok() < 0) {
                throw new IllegalStateException("tiers of " + model + " must ascend, with prices that are not negative");
            }
            previous = t.aboveInputTokens();
        }
    }

    /** A price without long-context tiers. */
    public ModelPrice(String model, long input, long cachedInput, long output, long maxOutputTokens, String encoding,
                      long contextWindowTokens, long imageMaxTokens) {
        this(model, input, cachedInput, output, maxOutputTokens, encoding, contextWindowTokens, imageMaxTokens, List.of());
    }

    /**
     * Cost of a usage in micro-USD, rounded up: a hard cap never under-counts. {@code cachedTokens} is the part of
     * {@code promptTokens} served from cache; the prompt's size picks the tier.
     */
    public long costMicroUsd(long promptTokens, long cachedTokens, long completionTokens) {
        if (promptTokens < 0 || cachedTokens < 0 || completionTokens < 0) {
            throw new IllegalStateException("negative token count");
        }
        long input = inputMicroUsdPerMTok;
        long cachedRate = cachedInputMicroUsdPerMTok;
        long output = outputMicroUsdPerMTok;
        for (Tier t : tiers) {
            if (promptTokens <= t.aboveInputTokens()) break;
            input = t.inputMicroUsdPerMTok();
            cachedRate = t.cachedInputMicroUsdPerMTok();
            output = t.outputMicroUsdPerMTok();
        }
        long cached = Math.min(cachedTokens, promptTokens);
        long scaled = Math.addExact(
                Math.addExact(Math.multiplyExact(promptTokens - cached, input), Math.multiplyExact(cached, cachedRate)),
                Math.multiplyExact(completionTokens, output));
        return Math.ceilDiv(scaled, TOKENS_PER_PRICE_UNIT);
    }
}
