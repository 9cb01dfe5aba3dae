package io.budgetguard.proxy;

import io.budgetguard.http.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * A multipart upload (audio to transcribe, images to edit) on its way through: read until it can be priced, then
 * passed on to the upstream as it arrives, never held whole in memory. It can be priced once its model and the
 * first bytes of its first file have arrived, provided every field came before the files (the official Python SDK's
 * order); a form with a field after a file (a file before its model, as the Node SDK sends it) is read to its end
 * first, held in an {@link UploadSpool}. A field that sets the price and arrives after the files began to stream is
 * refused before the form's end reaches the upstream, so the upstream never receives a complete request.
 */
final class Upload implements AutoCloseable {
    /** A client that went away mid-upload, or a form refused part way: the upstream never got a complete request. */
    static final class Broken extends IOException {
        final ApiException answer;

        Broken(ApiException answer) {
            super(answer.getMessage(), null);
            this.answer = answer;
        }
    }

    private static final int BUFFER_BYTES = 16 * 1024;

    private final InputStream in;
    private final String contentType;
    private final long declaredBytes;
    private final long maxBytes;
    private final Set<String> pricedFields;
    private final MultipartForm form;
    private final UploadSpool spool = new UploadSpool();
    private final byte[] buf = new byte[BUFFER_BYTES];
    private long readBytes;

    /**
     * {@code declaredBytes}: the client's Content-Length, or -1; {@code pricedFields}: the fields the price depends
     * on, which may not arrive once the files stream.
     */
    Upload(InputStream in, String contentType, long declaredBytes, long maxBytes, int maxFieldBytes, Set<String> pricedFields) {
        if (declaredBytes > maxBytes) throw ApiException.tooLarge(maxBytes);
        this.in = in;
        this.contentType = contentType;
        this.declaredBytes = declaredBytes;
        this.maxBytes = maxBytes;
        this.pricedFields = pricedFields;
        this.form = new MultipartForm(contentType, maxFieldBytes);
    }

    MultipartForm form() {
        return form;
    }

    /** The upload's size: as declared, else (read whole) as read. */
    long sizeBytes() {
        return declaredBytes >= 0 ? declaredBytes : readBytes;
    }

    /** Reads until the form can be priced (see the class comment); the fields and the first file's head are then known. */
    void readUntilPriceable() throws IOException {
        while (!priceable()) {
            int n = read();
            if (n < 0) {
                form.finish();
                return;
            }
            form.feed(buf, 0, n);
            spool.write(buf, 0, n);
        }
    }

    private boolean priceable() {
        if (form.complete()) return true;
        if (declaredBytes >= 0 && pricedFields.isEmpty()) return true; // nothing to price (a file upload): stream at once
        if (declaredBytes < 0 || !form.fileStarted() || !form.fieldsAfterFirstFile().isEmpty()) return false;
        MultipartForm.FilePart first = form.files().getFirst();
        boolean headRead = first.complete || first.head.size() >= MultipartForm.FILE_HEAD_BYTES;
        return headRead && form.fields().containsKey("model");
    }

    /** The Content-Length to send: the client's, changed by a renamed model. */
    long upstreamLength(String renamedModel) {
        if (renamedModel == null) return sizeBytes();
        MultipartForm.FieldSpan s = form.spans().get("model");
        return sizeBytes() - (s.endOffset() - s.startOffset()) + renamedModel.getBytes(StandardCharsets.UTF_8).length;
    }

    /** The content type to send: the client's (it names the boundary the bytes use). */
    String contentType() {
        return contentType;
    }

    /**
     * Writes the whole upload: what was read so far (with the model's value replaced when {@code renamedModel} is
     * set), then the rest as it arrives from the client.
     * @throws Broken when the client went away or the rest of the form is refused (nothing more is written)
     * @throws IOException when writing to the upstream failed
     */
    void writeTo(OutputStream out, String renamedModel) throws IOException {
        MultipartForm.FieldSpan s = renamedModel == null ? null : form.spans().get("model");
        if (s == null) {
            spool.copyTo(out, 0, spool.sizeBytes());
        } else {
            spool.copyTo(out, 0, s.startOffset());
            out.write(renamedModel.getBytes(StandardCharsets.UTF_8));
            spool.copyTo(out, s.endOffset(), spool.sizeBytes());
        }
        for (int n; (n = readRest()) >= 0; ) {
            try {
                form.feed(buf, 0, n);
            } catch (ApiException e) {
                throw new Broken(e);
            }
            for (String late : form.fieldsAfterFirstFile()) {
                if (pricedFields.contains(late)) {
                    throw new Broken(ApiException.invalidRequest("The form field '" + late + "' sets the price and came after "
                            + "a file that was already being sent; put it before the files.", late));
                }
            }
            out.write(buf, 0, n);
        }
        if (!form.complete()) throw new Broken(ApiException.invalidRequest("The multipart body ends before its closing boundary."));
        out.flush();
    }

    private int readRest() throws Broken {
        try {
            return read();
        } catch (ApiException e) {
            throw new Broken(e);
        } catch (IOException e) {
            throw new Broken(ApiException.invalidRequest("The upload was cut off before it ended."));
        }
    }

    /** One read from the client, bounded by the upload's limit and its declared length. */
    private int read() throws IOException {
        int n = in.read(buf);
        if (n < 0) {
            if (declaredBytes >= 0 && readBytes != declaredBytes) throw ApiException.invalidRequest("The upload ends before its Content-Length.");
            return -1;
        }
        readBytes += n;
        if (readBytes > maxBytes) throw ApiException.tooLarge(maxBytes);
        return n;
    }

    @Override
    public void close() {
        spool.close();
    }
}
