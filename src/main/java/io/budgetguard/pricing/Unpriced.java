package io.budgetguard.pricing;

/** A request that cannot be priced: the message says why, {@code field} which parameter (400 in the HTTP layer). */
public final class Unpriced extends IllegalArgumentException {
    private final String field;

    Unpriced(String message, String field) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
