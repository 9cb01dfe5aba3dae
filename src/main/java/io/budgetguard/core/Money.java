package io.budgetguard.core;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** Money is integer micro-USD everywhere in code; USD decimals exist only at the edges (JSON, SQL, config). */
public final class Money {
    public static final long MICROS_PER_USD = 1_000_000L;
    /** No budget or price above a billion dollars: keeps every sum far from long overflow. */
    public static final long MAX_MICRO_USD = 1_000_000_000L * MICROS_PER_USD;

    private Money() {}

    /** Parses a non-negative USD amount with at most six decimals; throws IllegalArgumentException with a readable reason. */
    public static long microUsdFromUsd(BigDecimal usd) {
        if (usd.signum() < 0) throw new IllegalArgumentException("must not be negative");
        BigDecimal micros = usd.movePointRight(6);
        if (micros.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("has more than 6 decimal places (micro-USD is the smallest unit)");
        }
        if (micros.compareTo(BigDecimal.valueOf(MAX_MICRO_USD)) > 0) {
            throw new IllegalArgumentException("is above the maximum of 1000000000 USD");
        }
        return micros.setScale(0, RoundingMode.UNNECESSARY).longValueExact();
    }

    public static long microUsdFromUsd(String usd) {
        try {
            return microUsdFromUsd(new BigDecimal(usd.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is not a number");
        }
    }

    /** Exact USD value of an amount of micro-USD, scale 6. */
    public static BigDecimal usd(long microUsd) {
        return BigDecimal.valueOf(microUsd, 6);
    }

    /** USD for people, in messages: at least two decimals, no trailing zeros past them (12.50, 0.000435). */
    public static String display(long microUsd) {
        BigDecimal v = usd(microUsd).stripTrailingZeros();
        return (v.scale() < 2 ? v.setScale(2) : v).toPlainString();
    }

    /** Micro-USD from a SQL NUMERIC sum; a fraction of a micro-USD cannot arise from our own writes. */
    public static long microUsdFromSql(BigDecimal usd) {
        if (usd == null) return 0L;
        return usd.movePointRight(6).setScale(0, RoundingMode.UP).longValueExact();
    }
}
