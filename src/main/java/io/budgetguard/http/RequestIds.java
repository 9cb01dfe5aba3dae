package io.budgetguard.http;

import java.util.concurrent.ThreadLocalRandom;

/** Request ids: one per call, in every log line, ledger row and error the client sees. */
public final class RequestIds {
    private RequestIds() {}

    /**
     * "req_" + 12 hex digits of epoch milliseconds + 12 random hex digits (48 bits). Time-ordered, so the ledger's
     * and journal's primary-key indexes grow at their right edge instead of rewriting random pages (UUIDv7's idea).
     */
    public static String next() {
        long random = ThreadLocalRandom.current().nextLong() & 0xFFFF_FFFF_FFFFL;
        char[] id = new char[28];
        id[0] = 'r';
        id[1] = 'e';
        id[2] = 'q';
        id[3] = '_';
        hex(System.currentTimeMillis() & 0xFFFF_FFFF_FFFFL, id, 4);
        hex(random, id, 16);
        return new String(id);
    }

    private static void hex(long value48, char[] out, int at) {
        for (int i = 11; i >= 0; i--) {
            out[at + i] = Character.forDigit((int) (value48 & 0xF), 16);
            value48 >>>= 4;
        }
    }
}
