package io.budgetguard.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Transcriptions and translations ({@code POST /v1/audio/transcriptions}, {@code /translations}), reserved at the
 * longest the upload can last ({@link AudioLength}): whisper-1 per minute of audio (settled from the seconds the
 * response reports), the token-priced transcribe models at a bound of audio and text tokens per second of that
 * length (settled from the response's token usage). From {@code unit-prices.json} ({@code transcription}).
 */
public final class TranscriptionPrices {
    private static final long SECONDS_PER_MINUTE = 60;

    private final Map<String, Long> perMinute = new HashMap<>();
    private long lowestBytesPerSecond;
    private long audioTokensPerSecondMax;
    private long textTokensPerSecondMax;

    private TranscriptionPrices() {}

    public static TranscriptionPrices load(ObjectMapper json) throws IOException {
        TranscriptionPrices p = new TranscriptionPrices();
        JsonNode t = UnitPrices.read(json).path("transcription");
        t.path("per_minute").fields().forEachRemaining(e -> p.perMinute.put(e.getKey(), positive(e.getValue(), e.getKey())));
        p.lowestBytesPerSecond = positive(t.path("lowest_bytes_per_second"), "lowest_bytes_per_second");
        p.audioTokensPerSecondMax = positive(t.path("audio_tokens_per_second_max"), "audio_tokens_per_second_max");
        p.textTokensPerSecondMax = positive(t.path("text_tokens_per_second_max"), "text_tokens_per_second_max");
        return p;
    }

    private static long positive(JsonNode v, String name) {
        if (!v.canConvertToExactIntegral() || v.longValue() <= 0) throw new IllegalStateException("unit-prices.json: transcription " + name);
        return v.longValue();
    }

    /** Whether the model is billed per minute (its response reports seconds, not tokens). */
    public boolean perMinute(String model) {
        return perMinute.containsKey(model);
    }

    public long lowestBytesPerSecond() {
        return lowestBytesPerSecond;
    }

    /**
     * The worst case of transcribing {@code worstSeconds} of audio with an optional text {@code prompt};
     * {@code tokenPrice} is the model's token price (null when it has none).
     */
    public Estimate estimate(String model, long worstSeconds, String prompt, ModelPrice tokenPrice) {
        if (perMinute.containsKey(model)) return new Estimate(0, 0, secondsCost(model, worstSeconds));
        if (tokenPrice == null) {
            throw new Unpriced("The model '" + model + "' has no transcription price in BudgetGuard, so its cost cannot be "
                    + "capped; priced: " + new TreeSet<>(perMinute.keySet()) + " and the token-priced transcribe models.", "model");
        }
        long input = Math.addExact(Math.multiplyExact(worstSeconds, audioTokensPerSecondMax),
                Estimator.utf8Bytes(prompt == null ? "" : prompt) + Estimator.FIXED_MARGIN_TOKENS);
        long output = Math.min(tokenPrice.maxOutputTokens(),
                Math.addExact(Math.multiplyExact(worstSeconds, textTokensPerSecondMax), Estimator.FIXED_MARGIN_TOKENS));
        return new Estimate(input, output, tokenPrice.costMicroUsd(input, 0, output));
    }

    /** What {@code seconds} of audio cost with a per-minute model, rounded up to the micro-dollar. */
    public long secondsCost(String model, long seconds) {
        return Math.ceilDiv(Math.multiplyExact(seconds, perMinute.get(model)), SECONDS_PER_MINUTE);
    }
}
