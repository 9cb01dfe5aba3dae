package io.budgetguard.core;

/**
 * The database was reachable and refused one value or one change: SQLState class 22 (a data error: a value it cannot
 * hold) or 23 (a constraint). An operating error about the request, not the store: answered 400 or 409, never 503.
 */
public final class StoreRejectedException extends RuntimeException {
    private final boolean constraint;
    private final String sqlState;

    public StoreRejectedException(String what, String sqlState, Throwable cause) {
        super(what + " was refused by the database (SQLState " + sqlState + ")", cause);
        this.constraint = sqlState.startsWith("23");
        this.sqlState = sqlState;
    }

    /** True for a constraint (class 23: a conflict with stored data), false for a value the column cannot hold. */
    public boolean constraint() {
        return constraint;
    }

    public String sqlState() {
        return sqlState;
    }
}
