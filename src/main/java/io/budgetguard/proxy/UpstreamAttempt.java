package io.budgetguard.proxy;

/**
 * One request's single trip to the upstream, as far as it got: whether any byte of the request was written
 * (from then on the upstream may bill it, and it is never sent again), and how to cut it from another thread
 * (the request deadline, a shutdown).
 */
final class UpstreamAttempt {
    private volatile boolean written;
    private volatile UpstreamConnection connection;
    private volatile boolean aborted;

    boolean written() {
        return written;
    }

    void writing(UpstreamConnection c) {
        connection = c;
        written = true;
        if (aborted) c.abort();
    }

    /** Cuts the upstream connection, now or as soon as it is lent. */
    void abort() {
        aborted = true;
        UpstreamConnection c = connection;
        if (c != null) c.abort();
    }
}
