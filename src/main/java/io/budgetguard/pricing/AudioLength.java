package io.budgetguard.pricing;

import java.util.OptionalLong;

/**
 * How much audio an upload can hold at most, before it is sent: an uncompressed WAV at its header's byte rate
 * (its samples per second times the bytes of each, checked against each other), anything else at the lowest
 * bitrate a transcription accepts. The upload's size is the whole upload, so the bound is never below the audio.
 */
public final class AudioLength {
    private static final int PCM = 1;
    private static final int IEEE_FLOAT = 3;
    private static final int EXTENSIBLE = 0xFFFE;
    private static final long MAX_SAMPLE_RATE = 768_000;
    private static final int MAX_CHANNELS = 32;

    private AudioLength() {}

    /** The longest the audio of {@code uploadBytes} can last, in whole seconds (at least one). */
    public static long worstSeconds(long uploadBytes, byte[] fileHead, long lowestBytesPerSecond) {
        long perSecond = wavBytesPerSecond(fileHead).orElse(lowestBytesPerSecond);
        return Math.max(1, Math.ceilDiv(uploadBytes, perSecond));
    }

    /** The byte rate of an uncompressed WAV's fmt chunk, when the file starts with one that is consistent. */
    static OptionalLong wavBytesPerSecond(byte[] h) {
        if (h.length < 12 || !ascii(h, 0, "RIFF") || !ascii(h, 8, "WAVE")) return OptionalLong.empty();
        for (int at = 12; at + 8 <= h.length; ) {
            long size = u32(h, at + 4);
            if (ascii(h, at, "fmt ")) {
                if (size < 16 || at + 8 + 16 > h.length) return OptionalLong.empty();
                int p = at + 8;
                int format = u16(h, p), channels = u16(h, p + 2), blockAlign = u16(h, p + 12);
                long sampleRate = u32(h, p + 4), byteRate = u32(h, p + 8);
                boolean uncompressed = format == PCM || format == IEEE_FLOAT || format == EXTENSIBLE;
                if (!uncompressed || channels < 1 || channels > MAX_CHANNELS || sampleRate < 1 || sampleRate > MAX_SAMPLE_RATE
                        || blockAlign < 1 || byteRate != sampleRate * blockAlign) {
                    return OptionalLong.empty();
                }
                return OptionalLong.of(byteRate);
            }
            at += 8 + size + (size & 1);
        }
        return OptionalLong.empty();
    }

    private static boolean ascii(byte[] b, int at, String s) {
        for (int i = 0; i < s.length(); i++) if (b[at + i] != s.charAt(i)) return false;
        return true;
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private static long u32(byte[] b, int at) {
        return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
    }
}
