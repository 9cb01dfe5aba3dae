package io.budgetguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.Gateway;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UsageParsingTest {
    static final String CHAT = "{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"usage: {not this}\"}}],"
            + "\"nested\":{\"usage\":{\"prompt_tokens\":999}},"
            + "\"usage\":{\"prompt_tokens\":1200,\"completion_tokens\":80,\"total_tokens\":1280,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":1024}}}";

    @Test
    void theScannerFindsTopLevelUsageWhateverTheChunkBoundaries() {
        byte[] bytes = CHAT.getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut <= bytes.length; cut++) {
            UsageScanner s = new UsageScanner(Gateway.objectMapper().getFactory());
            s.feed(bytes, 0, cut);
            s.feed(bytes, cut, bytes.length - cut);
            assertEquals(new Usage(1200, 1024, 80), s.result(), "cut at " + cut);
        }
    }

    @Test
    void theScannerReadsResponsesApiUsage() {
        byte[] b = "{\"usage\":{\"input_tokens\":5,\"input_tokens_details\":{\"cached_tokens\":2},\"output_tokens\":7}}"
                .getBytes(StandardCharsets.UTF_8);
        UsageScanner s = new UsageScanner(Gateway.objectMapper().getFactory());
        s.feed(b, 0, b.length);
        assertEquals(new Usage(5, 2, 7), s.result());
    }

    @Test
    void aBodyThatIsNotJsonYieldsNoUsage() {
        byte[] b = "<html>502 Bad Gateway</html>".getBytes(StandardCharsets.UTF_8);
        UsageScanner s = new UsageScanner(Gateway.objectMapper().getFactory());
        s.feed(b, 0, b.length);
        assertNull(s.result());
    }

    @Test
    void eventsAreSplitAcrossChunksAndLineEndings() throws IOException {
        String stream = "data: {\"a\":1}\n\n" + "event: e\r\ndata: {\"b\":2}\r\n\r\n" + "data: [DONE]\n\n";
        byte[] b = stream.getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut <= b.length; cut++) {
            List<String> events = new ArrayList<>();
            SseEvents e = new SseEvents(1024);
            SseEvents.Sink sink = (buf, off, len, whole) -> events.add((whole ? "" : "~") + new String(buf, off, len, StandardCharsets.UTF_8));
            e.feed(b, 0, cut, sink);
            e.feed(b, cut, b.length - cut, sink);
            e.finish(sink);
            assertEquals(List.of("data: {\"a\":1}\n\n", "event: e\r\ndata: {\"b\":2}\r\n\r\n", "data: [DONE]\n\n"), events, "cut " + cut);
        }
    }

    @Test
    void anOversizedEventIsPassedOnInPiecesNotBufferedWithoutBound() throws IOException {
        List<Integer> sizes = new ArrayList<>();
        SseEvents e = new SseEvents(1024);
        byte[] big = ("data: " + "x".repeat(3000) + "\n\n").getBytes(StandardCharsets.UTF_8);
        e.feed(big, 0, big.length, (buf, off, len, whole) -> sizes.add(len));
        e.finish((buf, off, len, whole) -> sizes.add(len));
        assertEquals(big.length, sizes.stream().mapToInt(Integer::intValue).sum());
        assertTrue(sizes.stream().allMatch(s -> s <= 1024));
    }

    @Test
    void onlyANonNullUsageObjectCounts() {
        assertTrue(has("data: {\"usage\" : {\"prompt_tokens\":1}}"));
        assertFalse(has("data: {\"usage\":null}"));
        assertFalse(has("data: {\"content\":\"usage\"}"));
    }

    private static boolean has(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return SseEvents.hasUsageObject(b, 0, b.length);
    }

    @Test
    void multiLineDataIsJoinedWithNewlines() {
        byte[] b = "event: x\ndata: {\"a\":\ndata:1}\n\n".getBytes(StandardCharsets.UTF_8);
        assertEquals("{\"a\":\n1}", new String(SseEvents.data(b, 0, b.length), StandardCharsets.UTF_8));
    }
}
