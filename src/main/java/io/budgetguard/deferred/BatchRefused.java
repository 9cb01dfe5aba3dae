package io.budgetguard.deferred;

/** A batch that cannot be admitted as given (its input unreadable, a line unpriced): a 400 before anything is reserved. */
public final class BatchRefused extends RuntimeException {
    public BatchRefused(String message) {
        super(message, null, false, false);
    }
}
