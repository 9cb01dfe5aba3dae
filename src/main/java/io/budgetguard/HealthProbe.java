package io.budgetguard;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Container healthcheck (the runtime image has no curl): exits 0 when the gateway on PORT answers /health,
 * or, with {@code --worker}, when this container's worker process is alive (it has no HTTP port).
 */
public final class HealthProbe {
    private HealthProbe() {}

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("--worker")) {
            boolean alive = ProcessHandle.allProcesses().anyMatch(p -> p.info().arguments()
                    .map(a -> a.length > 0 && a[a.length - 1].equals("worker")).orElse(false));
            System.exit(alive ? 0 : 1);
        }
        String port = System.getenv().getOrDefault("PORT", "3000");
        try {
            HttpResponse<Void> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding());
            System.exit(r.statusCode() == 200 ? 0 : 1);
        } catch (Exception e) {
            System.exit(1);
        }
    }
}
