package io.budgetguard.proxy;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * The upstream response body as a pull source with back-pressure (one batch requested at a time), a
 * stream-idle timeout on every wait, and cancellation that closes the upstream connection.
 */
final class UpstreamBody implements Flow.Subscriber<List<ByteBuffer>> {
    private static final Object END = new Object();

    /** One outstanding batch plus the terminal signal fit: the queue can never refuse an offer. */
    private final ArrayBlockingQueue<Object> queue = new ArrayBlockingQueue<>(4);
    private volatile Flow.Subscription subscription;
    private volatile boolean cancelled;
    private boolean ended;

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (cancelled) s.cancel();
        else s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        if (!queue.offer(item)) throw new IllegalStateException("upstream sent more than was requested");
    }

    @Override
    public void onError(Throwable t) {
        queue.offer(t);
    }

    @Override
    public void onComplete() {
        queue.offer(END);
    }

    /**
     * The next batch of bytes, or null at the end of the body.
     * @throws HttpTimeoutException when nothing arrived for {@code idleTimeoutMs} (the call is then cancelled)
     */
    List<ByteBuffer> next(long idleTimeoutMs) throws IOException, InterruptedException {
        if (ended) return null;
        Object o = queue.poll(idleTimeoutMs, TimeUnit.MILLISECONDS);
        if (o == null) {
            cancel();
            throw new HttpTimeoutException("upstream sent nothing for " + idleTimeoutMs + " ms");
        }
        if (o == END) {
            ended = true;
            return null;
        }
        if (o instanceof Throwable t) {
            ended = true;
            throw t instanceof IOException io ? io : new IOException("upstream body failed: " + t, t);
        }
        subscription.request(1);
        @SuppressWarnings("unchecked")
        List<ByteBuffer> batch = (List<ByteBuffer>) o;
        return batch;
    }

    /** Stops reading; the HTTP client closes the upstream connection, which cancels the upstream call. */
    void cancel() {
        cancelled = true;
        Flow.Subscription s = subscription;
        if (s != null) s.cancel();
    }
}
