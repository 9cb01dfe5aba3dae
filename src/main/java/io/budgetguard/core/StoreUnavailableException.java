package io.budgetguard.core;

/** The database could not be reached or refused to work: an operating error, answered 503 (fail closed). */
public final class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
