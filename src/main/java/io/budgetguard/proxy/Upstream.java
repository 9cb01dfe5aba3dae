package io.budgetguard.proxy;

import io.budgetguard.config.Settings;
import io.budgetguard.http.ApiException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;

/**
 * The one upstream (OpenAI or a compatible base URL fixed by configuration; no header or body can change it).
 * One shared HttpClient: HTTP/1.1 keep-alive for http://, h2 for https://. The gateway's OPENAI_KEY replaces
 * whatever key the client sent.
 */
final class Upstream {
    /** The response's status and headers arrived; its body is still streaming. */
    record Response(int status, HttpHeaders headers, UpstreamBody body) {}

    private final HttpClient client;
    private final String baseUrl;
    private final String authorization;
    private final Duration firstByteTimeout;

    Upstream(Settings s) {
        URI base = s.openaiBaseUrl();
        this.baseUrl = base.toString();
        this.authorization = s.openaiKey() == null ? null : "Bearer " + s.openaiKey();
        this.firstByteTimeout = Duration.ofMillis(s.upstreamFirstByteTimeoutMs());
        this.client = HttpClient.newBuilder()
                .version("https".equals(base.getScheme()) ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(s.upstreamConnectTimeoutMs()))
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
    }

    /**
     * Sends the request and waits for the response headers (bounded by the first-byte timeout).
     * @throws ApiException 502 when the upstream is unreachable, 504 when it is too slow
     */
    Response send(String method, String path, byte[] body, String accept, String openaiBeta, String requestId)
            throws InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(firstByteTimeout)
                .header("User-Agent", "budgetguard")
                .header("X-Client-Request-Id", requestId);
        if (authorization != null) b.header("Authorization", authorization);
        if (accept != null) b.header("Accept", accept);
        if (openaiBeta != null) b.header("OpenAI-Beta", openaiBeta);
        if (body == null) {
            b.GET();
        } else {
            b.header("Content-Type", "application/json");
            b.method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        }
        CompletableFuture<HttpResponse<java.util.concurrent.Flow.Publisher<java.util.List<java.nio.ByteBuffer>>>> f =
                client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofPublisher());
        try {
            HttpResponse<java.util.concurrent.Flow.Publisher<java.util.List<java.nio.ByteBuffer>>> r = f.get();
            UpstreamBody upstreamBody = new UpstreamBody();
            r.body().subscribe(upstreamBody);
            return new Response(r.statusCode(), r.headers(), upstreamBody);
        } catch (InterruptedException e) {
            f.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            throw failure(e.getCause());
        }
    }

    private static ApiException failure(Throwable cause) {
        if (cause instanceof HttpConnectTimeoutException) {
            return ApiException.upstreamTimeout("The upstream did not accept a connection in time.");
        }
        if (cause instanceof HttpTimeoutException) {
            return ApiException.upstreamTimeout("The upstream did not answer in time.");
        }
        if (cause instanceof ConnectException) {
            return ApiException.upstreamError("The upstream is unreachable.");
        }
        if (cause instanceof IOException) {
            return ApiException.upstreamError("The upstream connection failed.");
        }
        throw new IllegalStateException("unexpected upstream failure", cause);
    }
}
