package io.budgetguard.config;

import java.util.Locale;

/** The NO_PROXY convention curl and most HTTP clients share: comma-separated hosts, domain suffixes, or '*'. */
final class NoProxy {
    private NoProxy() {}

    static boolean matches(String noProxy, String host) {
        String h = host.toLowerCase(Locale.ROOT);
        for (String entry : noProxy.split(",")) {
            String e = entry.trim().toLowerCase(Locale.ROOT);
            int colon = e.lastIndexOf(':');
            if (colon > 0 && e.indexOf(':') == colon) e = e.substring(0, colon); // host:port entries match the host
            if (e.isEmpty()) continue;
            if (e.equals("*")) return true;
            if (e.startsWith("*.")) e = e.substring(1);
            if (e.startsWith(".") ? h.endsWith(e) || h.equals(e.substring(1)) : h.equals(e) || h.endsWith("." + e)) {
                return true;
            }
        }
        return false;
    }
}
