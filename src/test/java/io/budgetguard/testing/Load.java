package io.budgetguard.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** Steady background traffic for fault tests: a few clients in a loop, bounded in time and count. */
public final class Load implements AutoCloseable {
    public static final int MAX_REQUESTS = 20_000;

    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicInteger sent = new AtomicInteger();
    private final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    private final List<Thread> clients = new ArrayList<>();

    public Load(String url, String key, String body, int concurrency, long maxMs) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.currentTimeMillis() + maxMs;
        for (int i = 0; i < concurrency; i++) {
            clients.add(Thread.ofVirtual().start(() -> {
                while (!stop.get() && System.currentTimeMillis() < deadline && sent.incrementAndGet() <= MAX_REQUESTS) {
                    int status;
                    try {
                        status = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                                .header("Content-Type", "application/json").header("Authorization", "Bearer " + key)
                                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                    } catch (Exception e) {
                        status = -1;
                    }
                    statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }));
        }
    }

    public int count(int status) {
        AtomicInteger n = statuses.get(status);
        return n == null ? 0 : n.get();
    }

    public Map<Integer, AtomicInteger> statuses() {
        return statuses;
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : clients) t.join(30_000);
    }
}
