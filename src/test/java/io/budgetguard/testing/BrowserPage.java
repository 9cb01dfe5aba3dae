package io.budgetguard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One page in headless Chromium, driven over the DevTools protocol (JDK WebSocket): navigate, run script in the page
 * (to fill a form and press its button as a user would), wait for a condition, take screenshots.
 */
public final class BrowserPage implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process chromium;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> answers = new ConcurrentHashMap<>();

    private BrowserPage(Process chromium, Path profile, WebSocket socket) {
        this.chromium = chromium;
        this.profile = profile;
        this.socket = socket;
    }

    public static BrowserPage open() throws IOException, InterruptedException {
        String bin = Chromium.require();
        Path profile = Files.createTempDirectory("chromium-cdp");
        Process p = new ProcessBuilder(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--window-size=1280,2400", "--remote-debugging-port=0", "about:blank")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        String browserWs = null;
        for (String line; browserWs == null && (line = err.readLine()) != null; ) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) browserWs = m.group(1);
        }
        if (browserWs == null) {
            p.destroyForcibly();
            throw new IOException("chromium did not open its DevTools port");
        }
        Thread drain = new Thread(() -> { try { err.transferTo(java.io.Writer.nullWriter()); } catch (IOException ignored) { } });
        drain.setDaemon(true);
        drain.start();
        URI base = URI.create(browserWs.replaceFirst("^ws://", "http://").replaceFirst("/devtools/.*$", ""));
        HttpClient http = HttpClient.newHttpClient();
        JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(base.resolve("/json/list")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        String pageWs = null;
        for (JsonNode t : targets) if ("page".equals(t.path("type").asText())) pageWs = t.path("webSocketDebuggerUrl").asText();
        if (pageWs == null) {
            p.destroyForcibly();
            throw new IOException("chromium has no page target");
        }
        BrowserPage[] self = new BrowserPage[1];
        WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(pageWs), new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                    String msg = text.toString();
                    text.setLength(0);
                    try {
                        JsonNode n = JSON.readTree(msg);
                        CompletableFuture<JsonNode> f = n.has("id") ? self[0].answers.remove(n.get("id").asInt()) : null;
                        if (f != null) f.complete(n);
                    } catch (IOException ignored) {
                        // not ours to answer
                    }
                }
                w.request(1);
                return null;
            }
        }).join();
        self[0] = new BrowserPage(p, profile, ws);
        return self[0];
    }

    private JsonNode call(String method, ObjectNode params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        answers.put(id, f);
        ObjectNode msg = JSON.createObjectNode();
        msg.put("id", id);
        msg.put("method", method);
        msg.set("params", params == null ? JSON.createObjectNode() : params);
        socket.sendText(JSON.writeValueAsString(msg), true).join();
        JsonNode answer = f.get(60, TimeUnit.SECONDS);
        if (answer.has("error")) throw new IllegalStateException(method + ": " + answer.get("error"));
        return answer.get("result");
    }

    public void navigate(String url) throws Exception {
        ObjectNode p = JSON.createObjectNode();
        p.put("url", url);
        call("Page.navigate", p);
    }

    /** Runs {@code expression} in the page (awaiting a promise) and returns its value as text. */
    public String eval(String expression) throws Exception {
        ObjectNode p = JSON.createObjectNode();
        p.put("expression", expression);
        p.put("awaitPromise", true);
        p.put("returnByValue", true);
        JsonNode r = call("Runtime.evaluate", p);
        if (r.has("exceptionDetails")) throw new IllegalStateException("page script failed: " + r.get("exceptionDetails"));
        return r.path("result").path("value").asText();
    }

    /** Polls until {@code condition} (a script; one that throws counts as false) is true in the page; fails after a minute. */
    public void waitFor(String condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!"true".equals(eval("(() => { try { return Boolean(" + condition + "); } catch (e) { return false; } })()"))) {
            if (System.nanoTime() > deadline) throw new AssertionError("the page never showed: " + condition);
            Thread.sleep(100);
        }
    }

    public void screenshot(Path file) throws Exception {
        ObjectNode p = JSON.createObjectNode();
        p.put("format", "png");
        p.put("captureBeyondViewport", true);
        Files.createDirectories(file.getParent());
        Files.write(file, Base64.getDecoder().decode(call("Page.captureScreenshot", p).get("data").asText()));
    }

    @Override
    public void close() throws IOException {
        socket.abort();
        // Chromium's helper processes (network service, renderer) outlive the browser process and go on writing
        // into the profile, so every one of them is stopped before the profile is removed.
        java.util.List<ProcessHandle> family = new java.util.ArrayList<>(chromium.descendants().toList());
        family.add(chromium.toHandle());
        family.forEach(ProcessHandle::destroy);
        for (ProcessHandle h : family) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
        removeProfile(profile);
    }

    /** Deletes the profile tree; a file that is already gone counts as deleted. */
    private static void removeProfile(Path root) throws IOException {
        Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path f, java.nio.file.attribute.BasicFileAttributes a) throws IOException {
                Files.deleteIfExists(f);
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                if (e instanceof java.nio.file.NoSuchFileException) return java.nio.file.FileVisitResult.CONTINUE;
                throw e;
            }

            @Override
            public java.nio.file.FileVisitResult postVisitDirectory(Path d, IOException e) {
                d.toFile().delete();
                return java.nio.file.FileVisitResult.CONTINUE;
            }
        });
    }
}
