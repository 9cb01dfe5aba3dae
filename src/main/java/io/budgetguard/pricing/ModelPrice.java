package io.budgetguard.pricing;

import java.util.List;

/**
 * A model's price in micro-USD per one million tokens (numerically equal to USD per token × 10^12),
 * its long-context tiers, its output cap and its tokenizer encoding ({@value #UTF8_BYTES} where no local
 * tokenizer exists: every UTF-8 byte counted as a token). Cache writes (Anthropic) have their own rates, for the
 * five-minute and the one-hour lifetime; where a provider has none they cost the input rate.
 */
public record ModelPrice(String model, long inputMicroUsdPerMTok, long cachedInputMicroUsdPerMTok,
                         long outputMicroUsdPerMTok, long maxOutputTokens, String encoding, long contextWindowTokens,
                         long imageMaxTokens, List<Tier> tiers, long cacheWriteMicroUsdPerMTok,
                         long cacheWriteLongMicroUsdPerMTok) {
    /** The encoding of models without a local tokenizer: one token per UTF-8 byte at most (byte-level BPE). */
    public static final String UTF8_BYTES = "utf8_bytes";
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
                || contextWindowTokens < 0 || imageMaxTokens < 0 || cacheWriteMicroUsdPerMTok < 0
                || cacheWriteLongMicroUsdPerMTok < 0) {
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

    /** This price with a wider context window (a provider's long-context option), for the bounds that use it. */
    public ModelPrice withContextWindow(long tokens) {
        if (tokens <= contextWindowTokens) return this;
        return new ModelPrice(model, inputMicroUsdPerMTok, cachedInputMicroUsdPerMTok, outputMicroUsdPerMTok, maxOutputTokens,
                encoding, tokens, imageMaxTokens, tiers, cacheWriteMicroUsdPerMTok, cacheWriteLongMicroUsdPerMTok);
    }

    /** A price without long-context tiers or cache-write rates of its own. */
    public ModelPrice(String model, long input, long cachedInput, long output, long maxOutputTokens, String encoding,
                      long contextWindowTokens, long imageMaxTokens) {
        this(model, input, cachedInput, output, maxOutputTokens, encoding, contextWindowTokens, imageMaxTokens, List.of(),
                input, input);
    }

    /**
     * Cost of a usage in micro-USD, rounded up: a hard cap never under-counts. {@code cachedTokens} is the part of
     * {@code promptTokens} served from cache; the prompt's size picks the tier.
     */
    public long costMicroUsd(long promptTokens, long cachedTokens, long completionTokens) {
        return costMicroUsd(promptTokens, cachedTokens, 0, 0, completionTokens);
    }

    /**
     * Cost with cache writes: {@code cacheWriteTokens} are the part of the prompt written to cache, of which
     * {@code cacheWriteLongTokens} with the one-hour lifetime. In a long-context tier the cache-write rates keep
     * their ratio to the input rate (as Anthropic prices them).
     */
    public long costMicroUsd(long promptTokens, long cachedTokens, long cacheWriteTokens, long cacheWriteLongTokens,
                             long completionTokens) {
        if (promptTokens < 0 || cachedTokens < 0 || cacheWriteTokens < 0 || cacheWriteLongTokens < 0 || completionTokens < 0) {
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
        long writeRate = scaledRate(cacheWriteMicroUsdPerMTok, input);
        long writeLongRate = scaledRate(cacheWriteLongMicroUsdPerMTok, input);
        long cached = Math.min(cachedTokens, promptTokens);
        long written = Math.min(cacheWriteTokens, promptTokens - cached);
        long writtenLong = Math.min(cacheWriteLongTokens, written);
        long scaled = Math.addExact(
                Math.addExact(Math.multiplyExact(promptTokens - cached - written, input), Math.multiplyExact(cached, cachedRate)),
                Math.addExact(Math.addExact(Math.multiplyExact(written - writtenLong, writeRate),
                        Math.multiplyExact(writtenLong, writeLongRate)), Math.multiplyExact(completionTokens, output)));
        return Math.ceilDiv(scaled, TOKENS_PER_PRICE_UNIT);
    }

    /** A cache-write rate at the tier's input rate, in the ratio the base rates have (rounded up). */
    private long scaledRate(long baseRate, long tierInput) {
        if (tierInput == inputMicroUsdPerMTok) return baseRate;
        if (inputMicroUsdPerMTok == 0) return Math.max(baseRate, tierInput);
        return Math.ceilDiv(Math.multiplyExact(baseRate, tierInput), inputMicroUsdPerMTok);
    }
}
