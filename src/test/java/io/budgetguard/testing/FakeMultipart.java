package io.budgetguard.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stand-in's side of OpenAI's multipart endpoints (transcriptions, translations, image edits and variations):
 * a plain whole-body form parser (it is the upstream; it may read everything) and the answers OpenAI gives, with
 * the audio's real length read from the WAV the gateway passed on.
 */
final class FakeMultipart {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern BOUNDARY = Pattern.compile("boundary=\"?([^\";]+)\"?");
    private static final Pattern NAME = Pattern.compile("name=\"([^\"]*)\"");
    /** Audio tokens per second a token-priced transcribe model reports (OpenAI's documented rate). */
    static final long AUDIO_TOKENS_PER_SECOND = 10;

    /** One part: its field name, file name (null for a text field) and bytes. */
    record Part(String name, String filename, byte[] bytes) {
        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private FakeMultipart() {}

    static List<Part> parse(byte[] body, String contentType) {
        Matcher m = BOUNDARY.matcher(contentType == null ? "" : contentType);
        if (!m.find()) throw new IllegalArgumentException("no boundary");
        String all = new String(body, StandardCharsets.ISO_8859_1);
        String delimiter = "--" + m.group(1);
        if (!all.contains(delimiter + "--")) throw new IllegalArgumentException("no closing boundary: the form is incomplete");
        List<Part> parts = new ArrayList<>();
        for (String piece : all.split(Pattern.quote(delimiter))) {
            if (piece.isEmpty() || piece.startsWith("--")) continue;
            int headEnd = piece.indexOf("\r\n\r\n");
            String head = piece.substring(2, headEnd);
            String data = piece.substring(headEnd + 4, piece.length() - 2);
            Matcher n = NAME.matcher(head);
            n.find();
            Matcher f = Pattern.compile("filename=\"([^\"]*)\"").matcher(head);
            parts.add(new Part(n.group(1), f.find() ? f.group(1) : null, data.getBytes(StandardCharsets.ISO_8859_1)));
        }
        return parts;
    }

    static Map<String, String> fields(List<Part> parts) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (Part p : parts) if (p.filename() == null) fields.put(p.name(), p.text());
        return fields;
    }

    /** The seconds of a PCM WAV (its data chunk at its byte rate), rounded up; 0 for anything else. */
    static double wavSeconds(byte[] wav) {
        if (wav.length < 44 || wav[0] != 'R' || wav[8] != 'W') return 0;
        long byteRate = (wav[28] & 0xffL) | (wav[29] & 0xffL) << 8 | (wav[30] & 0xffL) << 16 | (wav[31] & 0xffL) << 24;
        return (wav.length - 44) / (double) byteRate;
    }

    /**
     * OpenAI's transcription answer: whisper-1 reports the audio's seconds ({@code usage.type = duration}),
     * verbose_json its duration, the transcribe models their tokens; text formats carry no usage at all.
     */
    static Answer transcription(List<Part> parts, boolean translation) {
        Map<String, String> f = fields(parts);
        byte[] audio = parts.stream().filter(p -> p.name().equals("file")).findFirst().orElseThrow().bytes();
        double seconds = wavSeconds(audio);
        String text = "heard " + audio.length + " bytes";
        String format = f.getOrDefault("response_format", "json");
        String model = f.get("model");
        if (format.equals("text")) return new Answer("text/plain", text.getBytes(StandardCharsets.UTF_8));
        ObjectNode o = JSON.createObjectNode();
        if (format.equals("verbose_json")) {
            o.put("task", translation ? "translate" : "transcribe").put("language", "english").put("duration", seconds).put("text", text);
            o.putArray("segments");
        } else {
            o.put("text", text);
            if (translation) return json(o);
            if (model.startsWith("whisper")) {
                o.putObject("usage").put("type", "duration").put("seconds", (long) Math.ceil(seconds));
            } else {
                long audioTokens = (long) Math.ceil(seconds * AUDIO_TOKENS_PER_SECOND);
                ObjectNode u = o.putObject("usage").put("type", "tokens").put("input_tokens", audioTokens);
                u.putObject("input_token_details").put("text_tokens", 0).put("audio_tokens", audioTokens);
                u.put("output_tokens", 7).put("total_tokens", audioTokens + 7);
            }
        }
        return json(o);
    }

    /** The streamed answer of a transcribe model: text deltas, then the done event with its usage. */
    static String transcriptionStream(List<Part> parts) {
        byte[] audio = parts.stream().filter(p -> p.name().equals("file")).findFirst().orElseThrow().bytes();
        long audioTokens = (long) Math.ceil(wavSeconds(audio) * AUDIO_TOKENS_PER_SECOND);
        return "data: {\"type\":\"transcript.text.delta\",\"delta\":\"heard\"}\n\n"
                + "data: {\"type\":\"transcript.text.done\",\"text\":\"heard\",\"usage\":{\"type\":\"tokens\",\"input_tokens\":"
                + audioTokens + ",\"input_token_details\":{\"text_tokens\":0,\"audio_tokens\":" + audioTokens
                + "},\"output_tokens\":7,\"total_tokens\":" + (audioTokens + 7) + "}}\n\n";
    }

    /** The text fields of an image edit or variation as the JSON body the generation answer is built from. */
    static ObjectNode imageRequest(List<Part> parts, boolean variation) {
        Map<String, String> f = fields(parts);
        ObjectNode req = JSON.createObjectNode();
        f.forEach(req::put);
        req.put("model", f.getOrDefault("model", "dall-e-2"));
        req.put("n", Integer.parseInt(f.getOrDefault("n", "1")));
        if (variation) req.remove("prompt");
        return req;
    }

    record Answer(String contentType, byte[] body) {}

    private static Answer json(ObjectNode o) {
        try {
            return new Answer("application/json", JSON.writeValueAsBytes(o));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
