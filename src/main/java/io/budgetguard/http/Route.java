package io.budgetguard.http;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/** A method plus a path pattern such as {@code /admin/tenant/{id}/apikeys/{keyId}}, and what answers it. */
public record Route(String method, String pattern, Handler handler) {
    @FunctionalInterface
    public interface Handler {
        void handle(HttpCall call, Map<String, String> params) throws IOException;
    }

    /** Path parameters when {@code path} matches, else null. Parameters never contain '/'; a segment may be {@code {name}suffix}. */
    Map<String, String> match(String path) {
        String[] want = pattern.split("/", -1);
        String[] got = path.split("/", -1);
        if (want.length != got.length) return null;
        Map<String, String> params = null;
        for (int i = 0; i < want.length; i++) {
            String w = want[i];
            int close = w.startsWith("{") ? w.indexOf('}') : -1;
            if (close > 0) {
                // "{model}:generateContent": a parameter, then a literal suffix within the same segment
                String suffix = w.substring(close + 1);
                if (got[i].length() <= suffix.length() || !got[i].endsWith(suffix)) return null;
                if (params == null) params = new HashMap<>(4);
                params.put(w.substring(1, close), got[i].substring(0, got[i].length() - suffix.length()));
            } else if (!w.equals(got[i])) {
                return null;
            }
        }
        return params == null ? Map.of() : params;
    }
}
