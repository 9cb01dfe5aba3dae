package io.budgetguard.deferred;

import io.budgetguard.config.Provider;
import io.budgetguard.config.ProviderKind;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The worker's own calls to an OpenAI-shaped provider (asking about held objects, reading their files): JDK
 * HttpClient, the provider's key, its first-byte timeout; no redirects. Control plane, not the
 * request path, so the gateway's own upstream client is not needed here. (A provider's egress proxy and private trust
 * store are not applied to these calls yet.)
 */
final class ProviderHttp {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    /** An answer read whole. */
    record Got(int status, byte[] body) {}

    Got get(Provider p, String path, int maxBytes) throws IOException, InterruptedException {
        HttpResponse<InputStream> got = http.send(request(p, path), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = got.body()) {
            byte[] body = in.readNBytes(maxBytes + 1);
            if (body.length > maxBytes) throw new IOException("the provider's answer to " + path + " is larger than " + maxBytes + " bytes");
            return new Got(got.statusCode(), body);
        }
    }

    HttpResponse<InputStream> stream(Provider p, String path) throws IOException, InterruptedException {
        return http.send(request(p, path), HttpResponse.BodyHandlers.ofInputStream());
    }

    private static HttpRequest request(Provider p, String path) {
        // OpenAI's base URL is its host (paths carry /v1); an openai-compatible server's carries its own prefix.
        String base = p.baseUrl().toString().replaceAll("/+$", "") + (p.kind() == ProviderKind.OPENAI ? "/v1" : "");
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).GET()
                .timeout(Duration.ofMillis(Math.max(1_000, p.firstByteTimeoutMs())));
        if (p.key() != null) b.header("Authorization", "Bearer " + p.key());
        return b.build();
    }
}
