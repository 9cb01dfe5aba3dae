package io.budgetguard.auth;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Tenant key generation and hashing. Keys carry 256 random bits, so a single SHA-256 is a sound at-rest hash
 * (no dictionary to slow down); the hash is what the database stores and what lookups use.
 */
public final class KeyMaterial {
    public static final String KEY_PREFIX = "bg_";
    public static final int DISPLAY_PREFIX_CHARS = 11;
    private static final SecureRandom RANDOM = new SecureRandom();

    private KeyMaterial() {}

    public static String newKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public static String newKeyId() {
        byte[] bytes = new byte[9];
        RANDOM.nextBytes(bytes);
        return "key_" + HexFormat.of().formatHex(bytes);
    }

    public static String displayPrefix(String key) {
        return key.substring(0, Math.min(DISPLAY_PREFIX_CHARS, key.length()));
    }

    public static String hash(String key) {
        return io.budgetguard.core.Sha256.hex(key);
    }

    /** Constant-time comparison that also hides the expected length (both sides are hashed first). */
    public static boolean constantTimeEquals(String presented, String expected) {
        if (presented == null || expected == null) return false;
        return MessageDigest.isEqual(io.budgetguard.core.Sha256.of(presented), io.budgetguard.core.Sha256.of(expected));
    }
}
