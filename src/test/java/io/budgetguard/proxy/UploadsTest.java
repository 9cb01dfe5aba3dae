package io.budgetguard.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Multipart uploads under the cap: transcriptions and translations reserved at the longest their audio can last
 * (a WAV by its header's byte rate, anything else by its size at the lowest bitrate), settled from the seconds or
 * tokens the answer reports; image edits and variations per image. The upload is streamed to the upstream as it
 * arrives, byte for byte, and a form that breaks off or is refused part way never reaches the upstream whole.
 */
class UploadsTest {
    static final String TRANSCRIBE = "/v1/audio/transcriptions";
    static final String BOUNDARY = "bgtestboundary";

    @Test
    void theOfficialPythonSdkUploadsAudioAndImagesEachBilledOnceAtItsPrice() throws Exception {
        Path work = Files.createTempDirectory("uploads");
        try (FakeOpenAI upstream = new FakeOpenAI(); TestGateway gw = TestGateway.start(upstream)) {
            gw.admin("POST", "/admin/tenant", "{\"id\":\"studio\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":10}]}");
            gw.admin("POST", "/admin/tenant", "{\"id\":\"broke\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":0.05}]}");
            SdkCompatibilityTest.python("upload_compat.py", Map.of("BASE_URL", gw.url("/v1"), "KEY", gw.newKey("studio"),
                    "KEY_BROKE", gw.newKey("broke"), "WORK", work.toString()));
            // 3 s at $0.006 a minute, twice from the seconds the answers report; the translation's answer reports
            // none, so it stays at its reservation: the upload's bytes at the WAV's 32,000 bytes a second, 4 s.
            assertEquals("0.001 x3", ImagesTest.cost(gw, "model = 'whisper-1'"));
            assertEquals("0.00025 x1", ImagesTest.cost(gw, "model = 'gpt-4o-transcribe'"), "30 audio tokens at $6/M, 7 at $10/M");
            assertEquals("0.000125 x1", ImagesTest.cost(gw, "model = 'gpt-4o-mini-transcribe'"), "from the streamed done event");
            assertEquals("0.05 x2", ImagesTest.cost(gw, "model = 'dall-e-2'"), "two 256x256 edits at $0.016, one 512x512 variation");
            assertEquals("0.01108 x1", ImagesTest.cost(gw, "model = 'gpt-image-1'"));
            assertEquals("0 x0", ImagesTest.cost(gw, "tenant_id = 'broke'"), "refused before it was sent");
            byte[] wav = Files.readAllBytes(work.resolve("speech.wav"));
            var first = upstream.received().stream().filter(r -> r.path().equals(TRANSCRIBE)).findFirst().orElseThrow();
            assertArrayEquals(wav, filePart(first), "the upstream got the WAV byte for byte");
            assertEquals(5, upstream.received().stream().filter(r -> r.path().startsWith("/v1/audio/")).count(),
                    "the unpriced and the over-budget uploads never reached the upstream");
            gw.assertSettledOnce();
        }
    }

    @Test
    void aFormWithItsFileBeforeItsModelIsReadWholeThenSentUnchanged() throws Exception {
        try (FakeOpenAI upstream = new FakeOpenAI(); TestGateway gw = TestGateway.start(upstream)) {
            String key = gw.createTenantWithKey("node");
            byte[] audio = wav(2, 8000);
            byte[] form = form(file("file", "a.wav", audio), field("model", "openai/whisper-1"), field("language", "en"));
            HttpResponse<String> r = post(gw, key, form);
            assertEquals(200, r.statusCode(), r.body());
            var got = upstream.received().stream().filter(x -> x.path().equals(TRANSCRIBE)).findFirst().orElseThrow();
            assertArrayEquals(audio, filePart(got));
            assertTrue(got.bodyText().contains("\r\n\r\nwhisper-1\r\n--"), "the model renamed to the upstream's: " + got.bodyText().substring(0, 80));
            assertEquals(Long.toString(got.body().length), got.header("Content-Length"));
            assertEquals("0.0002 x1", ImagesTest.cost(gw, "model = 'whisper-1'"), "2 s reported");
        }
    }

    @Test
    void uploadsAreBoundedAtTheirLimit() throws Exception {
        byte[] audio = wav(1, 8000);
        byte[] form = form(field("model", "whisper-1"), file("file", "a.wav", audio));
        for (int delta : new int[] {-1, 0, 1}) {
            try (FakeOpenAI upstream = new FakeOpenAI();
                 TestGateway gw = TestGateway.start(upstream, Map.of("MAX_UPLOAD_BYTES", Integer.toString(form.length - delta)),
                         java.time.Clock.systemUTC())) {
                String key = gw.createTenantWithKey("bounded");
                HttpResponse<String> r = post(gw, key, form);
                assertEquals(delta > 0 ? 413 : 200, r.statusCode(), "limit " + (form.length - delta) + ": " + r.body());
                assertEquals(delta > 0 ? 0 : 1, upstream.received().size());
            }
        }
    }

    @Test
    void aPricedFieldAfterTheFilesOrAFormCutShortNeverReachesTheUpstreamWhole() throws Exception {
        try (FakeOpenAI upstream = new FakeOpenAI(); TestGateway gw = TestGateway.start(upstream)) {
            String key = gw.createTenantWithKey("late");
            byte[] big = new byte[200_000];
            // The files stream as soon as the model and the first file's head are known; n arrives too late to price.
            byte[] late = form(field("model", "dall-e-2"), file("image", "a.png", big), field("n", "10"));
            HttpResponse<String> r = post(gw, key, late);
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(r.body().contains("'n'"), r.body());
            // A form whose closing boundary never comes.
            byte[] whole = form(field("model", "whisper-1"), file("file", "a.wav", wav(2, 8000)));
            byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 30);
            assertEquals(400, post(gw, key, cut).statusCode());
            assertEquals(0, upstream.received().size(), "the upstream never received a complete request");
            assertEquals("0 x2", ImagesTest.cost(gw, "status = 'client_abort'"), "settled at nothing, one row each");
            gw.assertSettledOnce();
        }
    }

    @Test
    void aClientThatVanishesMidUploadIsSettledAtNothing() throws Exception {
        try (FakeOpenAI upstream = new FakeOpenAI(); TestGateway gw = TestGateway.start(upstream)) {
            String key = gw.createTenantWithKey("gone");
            byte[] whole = form(field("model", "whisper-1"), file("file", "a.wav", wav(10, 16000)));
            try (Socket s = new Socket("127.0.0.1", gw.port())) {
                OutputStream out = s.getOutputStream();
                out.write(("POST " + TRANSCRIBE + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                        + "\r\nContent-Type: multipart/form-data; boundary=" + BOUNDARY + "\r\nContent-Length: " + whole.length
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(whole, 0, whole.length / 2);
                out.flush();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (gw.sqlLong("SELECT COUNT(*) FROM usage_ledger") == 0 && gw.admitted() == 0) {
                    assertTrue(System.nanoTime() < deadline, "the upload was never admitted");
                    Thread.sleep(20);
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (gw.sqlLong("SELECT COUNT(*) FROM usage_ledger") == 0) {
                assertTrue(System.nanoTime() < deadline, "the vanished upload was never settled");
                Thread.sleep(20);
            }
            assertEquals("0 x1", ImagesTest.cost(gw, "status = 'client_abort'"));
            assertEquals(0, upstream.received().size());
            // The row is written a moment before the settle's counters move: poll for them, never sleep.
            for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); ; Thread.sleep(20)) {
                try {
                    gw.assertSettledOnce();
                    break;
                } catch (AssertionError e) {
                    if (System.nanoTime() > until) throw e;
                }
            }
        }
    }

    static HttpResponse<String> post(TestGateway gw, String key, byte[] form) throws Exception {
        return gw.send(HttpRequest.newBuilder(URI.create(gw.url(pathFor(form))))
                .header("Authorization", "Bearer " + key).header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(form)));
    }

    /** Image forms go to the edits route, audio forms to transcriptions. */
    private static String pathFor(byte[] form) {
        return new String(form, StandardCharsets.ISO_8859_1).contains("name=\"image\"") ? "/v1/images/edits" : TRANSCRIBE;
    }

    static byte[] field(String name, String value) {
        return ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    static byte[] file(String name, String filename, byte[] content) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        b.writeBytes(content);
        b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }

    static byte[] form(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) b.writeBytes(p);
        b.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }

    /** A PCM WAV of {@code seconds} of silence, mono 16-bit at {@code rate} Hz. */
    static byte[] wav(int seconds, int rate) {
        int data = seconds * rate * 2;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(44 + data).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + data).put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1).putInt(rate)
                .putInt(rate * 2).putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(data);
        return b.array();
    }

    /** The bytes of the form's (first) file part, as the upstream received them. */
    static byte[] filePart(FakeOpenAI.Received r) {
        String boundary = r.header("Content-Type").replaceFirst(".*boundary=\"?([^\";]+)\"?.*", "$1");
        String all = new String(r.body(), StandardCharsets.ISO_8859_1);
        int start = all.indexOf("filename=");
        start = all.indexOf("\r\n\r\n", start) + 4;
        int end = all.indexOf("\r\n--" + boundary, start);
        return java.util.Arrays.copyOfRange(r.body(), start, end);
    }

}
