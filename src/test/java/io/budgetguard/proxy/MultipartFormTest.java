package io.budgetguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.http.ApiException;
import io.budgetguard.pricing.AudioLength;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The multipart reader fed in pieces of every size: a delimiter split anywhere is still found, values keep their offsets. */
class MultipartFormTest {
    static final String TYPE = "multipart/form-data; boundary=" + UploadsTest.BOUNDARY;

    static MultipartForm feed(byte[] body, int maxPiece, long seed) {
        MultipartForm f = new MultipartForm(TYPE, 1024);
        Random r = new Random(seed);
        for (int at = 0; at < body.length; ) {
            int n = Math.min(body.length - at, 1 + r.nextInt(maxPiece));
            f.feed(body, at, n);
            at += n;
        }
        return f;
    }

    @Test
    void partsAreReadWhateverTheSizeOfThePiecesTheyArriveIn() {
        byte[] content = new byte[10_000];
        // Bytes that look like the start of a delimiter inside the file must stay file bytes.
        byte[] lookalike = ("\r\n--" + UploadsTest.BOUNDARY.substring(0, 5)).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(lookalike, 0, content, 5_000, lookalike.length);
        byte[] body = UploadsTest.form(UploadsTest.field("model", "whisper-1"), UploadsTest.file("file", "a.wav", content),
                UploadsTest.field("language", "en"));
        for (int piece : new int[] {1, 2, 7, 64, 100_000}) {
            MultipartForm f = feed(body, piece, piece);
            assertTrue(f.complete(), "piece " + piece);
            f.finish();
            assertEquals("whisper-1", f.fields().get("model"));
            assertEquals("en", f.fields().get("language"));
            assertEquals(10_000, f.files().getFirst().sizeBytes, "piece " + piece);
            assertEquals(MultipartForm.FILE_HEAD_BYTES, f.files().getFirst().head.size());
            MultipartForm.FieldSpan s = f.spans().get("model");
            assertEquals("whisper-1", new String(body, (int) s.startOffset(), (int) (s.endOffset() - s.startOffset()), StandardCharsets.UTF_8));
            assertEquals(java.util.List.of("language"), f.fieldsAfterFirstFile());
        }
    }

    @Test
    void fieldsAreBoundedAtTheirLimit() {
        MultipartForm atLimit = feed(UploadsTest.form(UploadsTest.field("prompt", "x".repeat(1024))), 100, 1);
        assertTrue(atLimit.complete());
        ApiException over = assertThrows(ApiException.class, () -> feed(UploadsTest.form(UploadsTest.field("prompt", "x".repeat(1025))), 100, 1));
        assertTrue(over.getMessage().contains("MAX_FORM_FIELD_BYTES"));
    }

    @Test
    void malformedFormsAreRefused() {
        assertThrows(ApiException.class, () -> new MultipartForm("multipart/form-data", 1024), "no boundary");
        assertThrows(ApiException.class, () -> new MultipartForm("application/json", 1024));
        byte[] cut = UploadsTest.field("model", "whisper-1");
        MultipartForm f = feed(cut, 10, 2);
        assertFalse(f.complete());
        assertThrows(ApiException.class, f::finish);
        byte[] nameless = ("--" + UploadsTest.BOUNDARY + "\r\nContent-Disposition: form-data\r\n\r\nx\r\n--" + UploadsTest.BOUNDARY + "--")
                .getBytes(StandardCharsets.US_ASCII);
        assertThrows(ApiException.class, () -> feed(nameless, 10, 3));
    }

    @Test
    void aWavLastsItsBytesAtItsByteRateAndAnythingElseAtTheLowestBitrate() {
        byte[] wav = UploadsTest.wav(2, 16_000);
        assertEquals(2, AudioLength.worstSeconds(wav.length - 44, wav, 750));
        assertEquals(3, AudioLength.worstSeconds(wav.length, wav, 750), "the header's bytes count too, rounded up");
        byte[] liar = wav.clone();
        liar[28] = 0; liar[29] = 0; liar[30] = 0x7f; // a byte rate that does not match rate x block align
        assertEquals(Math.ceilDiv(wav.length, 750), AudioLength.worstSeconds(wav.length, liar, 750));
        assertEquals(Math.ceilDiv(400_000, 750), AudioLength.worstSeconds(400_000, new byte[] {'I', 'D', '3'}, 750));
        assertEquals(1, AudioLength.worstSeconds(0, new byte[0], 750), "never less than a second");
    }
}
