package io.budgetguard.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.HostileUpstream;
import io.budgetguard.testing.TestGateway;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the gateway reaches its upstream: TLS with hostname verification against a configured trust store, an egress
 * proxy (CONNECT) with NO_PROXY, and a client that stops reading. Each case settles once (asserted at close).
 */
class UpstreamTransportTest {
    static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    static final String PASSWORD = "changeit";

    @TempDir
    Path dir;
    HostileUpstream upstream;
    TestGateway gw;
    ConnectProxy proxy;

    @AfterEach
    void stop() throws Exception {
        if (gw != null) gw.close();
        if (upstream != null) upstream.close();
        if (proxy != null) proxy.close();
    }

    @Test
    void aTlsUpstreamWhoseCertificateNamesThisHostIsTrustedThroughTheConfiguredTrustStore() throws Exception {
        startTls("ip:127.0.0.1", Map.of());
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", gw.createTenantWithKey("tls-ok"), CHAT);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(1, upstream.requestIdsSeen().size());
    }

    @Test
    void aTlsUpstreamWithACertificateForAnotherHostIsRefusedAndNothingIsSent() throws Exception {
        // The certificate is trusted (it is in the trust store) but names other.example: only hostname verification refuses it.
        startTls("dns:other.example", Map.of());
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", gw.createTenantWithKey("tls-wrong"), CHAT);
        assertEquals(502, r.statusCode(), r.body());
        assertTrue(TestGateway.json(r.body()).at("/error/message").asText().length() > 0, r.body());
        assertTrue(upstream.requestIdsSeen().isEmpty(), "no byte of the request reached a host that is not the upstream");
    }

    @Test
    void anHttpsUpstreamIsReachedThroughTheEgressProxyWithConnect() throws Exception {
        proxy = new ConnectProxy();
        startTls("ip:127.0.0.1", Map.of("HTTPS_PROXY", "http://127.0.0.1:" + proxy.port()));
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", gw.createTenantWithKey("via-proxy"), CHAT);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(List.of("127.0.0.1:" + upstream.port()), proxy.targets());
    }

    @Test
    void noProxyNamesHostsThatAreReachedDirectly() throws Exception {
        proxy = new ConnectProxy();
        startTls("ip:127.0.0.1", Map.of("HTTPS_PROXY", "http://127.0.0.1:" + proxy.port(), "NO_PROXY", "localhost,127.0.0.1"));
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", gw.createTenantWithKey("no-proxy"), CHAT);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(proxy.targets().isEmpty(), "the proxy was bypassed: " + proxy.targets());
    }

    @Test
    void aClientThatStopsReadingIsCutAtTheWriteStallTimeoutAndItsCallSettled() throws Exception {
        upstream = HostileUpstream.start();
        Map<String, String> env = new HashMap<>(Map.of("OPENAI_BASE_URL", upstream.baseUrl(), "CLIENT_WRITE_TIMEOUT_MS", "300",
                "REQUEST_DEADLINE_MS", "600000"));
        gw = TestGateway.start(null, env, Clock.systemUTC());
        String key = gw.createTenantWithKey("stalled");
        byte[] body = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"user\":\"FLOOD\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
                .getBytes(StandardCharsets.UTF_8);
        try (Socket client = new Socket()) {
            client.setReceiveBufferSize(4096);
            client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), gw.port()));
            OutputStream out = client.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            // Never read: the gateway's writes fill the socket buffers and stall.
            for (int i = 0; i < 1_000 && gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE tenant_id = 'stalled'") == 0; i++) {
                Thread.sleep(20);
            }
        }
        assertEquals(1, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE tenant_id = 'stalled'"),
                "the stalled call was cut and ledgered once");
        assertEquals(0, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE tenant_id = 'stalled' AND status = 'ok'"),
                "a call the client never received is not ledgered as complete");
    }

    /** A TLS stand-in upstream with a fresh self-signed certificate for {@code san}, trusted through UPSTREAM_TRUST_STORE. */
    private void startTls(String san, Map<String, String> extraEnv) throws Exception {
        Path keyStore = dir.resolve("upstream.p12");
        Path trustStore = dir.resolve("trust.p12");
        keytool("-genkeypair", "-alias", "upstream", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=upstream",
                "-ext", "SAN=" + san, "-validity", "2", "-keystore", keyStore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
        Path cert = dir.resolve("upstream.cer");
        keytool("-exportcert", "-alias", "upstream", "-keystore", keyStore.toString(), "-storepass", PASSWORD, "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "upstream", "-file", cert.toString(), "-keystore", trustStore.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD.toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        upstream = HostileUpstream.start(ctx.getServerSocketFactory());
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put("OPENAI_BASE_URL", upstream.baseUrl("https"));
        env.put("UPSTREAM_TRUST_STORE", trustStore.toString());
        env.put("UPSTREAM_TRUST_STORE_PASSWORD", PASSWORD);
        gw = TestGateway.start(null, env, Clock.systemUTC());
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException("keytool failed: " + output);
    }

    /** An HTTP proxy that speaks CONNECT only, recording each target it tunnels to. */
    static final class ConnectProxy implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        private final List<String> targets = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final AtomicInteger open = new AtomicInteger();

        ConnectProxy() throws IOException {
            threads.submit(() -> {
                while (!server.isClosed()) {
                    Socket s;
                    try {
                        s = server.accept();
                    } catch (IOException e) {
                        return;
                    }
                    threads.submit(() -> tunnel(s));
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        List<String> targets() {
            return List.copyOf(targets);
        }

        private void tunnel(Socket client) {
            open.incrementAndGet();
            try (client) {
                BufferedReader head = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.ISO_8859_1), 1);
                String[] request = head.readLine().split(" ");
                while (!head.readLine().isEmpty()) {
                    // headers are not needed
                }
                if (!request[0].equals("CONNECT")) {
                    client.getOutputStream().write("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    return;
                }
                targets.add(request[1]);
                String[] hostPort = request[1].split(":");
                try (Socket target = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
                    client.getOutputStream().write("HTTP/1.1 200 Connection Established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    var back = threads.submit(() -> pipe(target.getInputStream(), client.getOutputStream()));
                    pipe(client.getInputStream(), target.getOutputStream());
                    back.cancel(true);
                }
            } catch (IOException e) {
                // either side went away
            } finally {
                open.decrementAndGet();
            }
        }

        private static Void pipe(InputStream in, OutputStream out) throws IOException {
            in.transferTo(out);
            return null;
        }

        @Override
        public void close() throws IOException {
            server.close();
            threads.shutdownNow();
        }
    }
}
