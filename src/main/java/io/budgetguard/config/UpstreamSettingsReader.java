package io.budgetguard.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The settings of the way to the upstream: its URL and key, connection bounds, trust store and egress proxy. */
final class UpstreamSettingsReader {
    private final Variables v;

    UpstreamSettingsReader(Variables v) {
        this.v = v;
    }

    /** OPENAI_KEY, else OPENAI_API_KEY (the variable OpenAI's SDKs read). */
    String key() {
        String key = v.str("OPENAI_KEY");
        return key != null ? key : v.str("OPENAI_API_KEY");
    }

    URI baseUrl() {
        String raw = v.str("OPENAI_BASE_URL", "https://api.openai.com");
        try {
            URI uri = new URI(raw);
            String scheme = uri.getScheme();
            if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                    || uri.getQuery() != null || uri.getFragment() != null || uri.getUserInfo() != null) {
                v.problem("OPENAI_BASE_URL: must be an http(s) URL with a host and no query, e.g. https://api.openai.com");
                return null;
            }
            // Accept the SDKs' convention (".../v1") as well as the bare host: proxied paths carry /v1 themselves.
            String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("/+$", "");
            if (path.endsWith("/v1")) path = path.substring(0, path.length() - 3);
            return new URI(scheme, null, uri.getHost(), uri.getPort(), path, null, null);
        } catch (URISyntaxException e) {
            v.problem("OPENAI_BASE_URL: not a valid URL");
            return null;
        }
    }

    /** The providers file's upstreams, or null without PROVIDERS_PATH. */
    Settings.Providers providers() {
        String path = v.str("PROVIDERS_PATH");
        if (path == null) return null;
        if (!Files.isReadable(Path.of(path))) {
            v.problem("PROVIDERS_PATH: no readable file at " + path + " (a JSON file of upstreams; see the README's Providers section)");
            return null;
        }
        long[] timeouts = {
                v.longIn("UPSTREAM_CONNECT_TIMEOUT_MS", Settings.DEFAULT_UPSTREAM_CONNECT_TIMEOUT_MS, 10, 600_000),
                v.longIn("UPSTREAM_FIRST_BYTE_TIMEOUT_MS", Settings.DEFAULT_UPSTREAM_FIRST_BYTE_TIMEOUT_MS, 10, 3_600_000),
                v.longIn("UPSTREAM_IDLE_TIMEOUT_MS", Settings.DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS, 10, 3_600_000)};
        java.util.List<String> problems = new java.util.ArrayList<>();
        ProvidersFile.Contents c = new ProvidersFile(problems, v::secret, timeouts, this::egressProxy).read(Path.of(path));
        problems.forEach(v::problem);
        return c == null || !problems.isEmpty() ? null : new Settings.Providers(c.providers(), c.aliases());
    }

    Settings.UpstreamLimits limits(URI baseUrl) {
        String trustStore = v.str("UPSTREAM_TRUST_STORE");
        Path trust = trustStore == null ? null : Path.of(trustStore);
        if (trust != null && !Files.isReadable(trust)) {
            v.problem("UPSTREAM_TRUST_STORE: cannot read " + trust + " (a PKCS12 or JKS file of trusted certificates)");
        }
        return new Settings.UpstreamLimits(
                v.longIn("UPSTREAM_KEEPALIVE_MS", Settings.DEFAULT_UPSTREAM_KEEPALIVE_MS, 0, 3_600_000),
                v.intIn("UPSTREAM_MAX_IDLE_CONNECTIONS", Settings.DEFAULT_UPSTREAM_MAX_IDLE_CONNECTIONS, 0, 100_000),
                v.intIn("UPSTREAM_MAX_HEADERS", Settings.DEFAULT_UPSTREAM_MAX_HEADERS, 8, 1_000),
                v.intIn("UPSTREAM_MAX_HEADER_BYTES", Settings.DEFAULT_UPSTREAM_MAX_HEADER_BYTES, 1024, 1024 * 1024),
                trust, v.str("UPSTREAM_TRUST_STORE_PASSWORD"), egressProxy(baseUrl));
    }

    /**
     * The proxy egress goes through: HTTPS_PROXY for an https upstream, HTTP_PROXY for an http one (either
     * spelling case), unless NO_PROXY names the upstream's host (exact, a domain suffix, or '*').
     */
    URI egressProxy(URI baseUrl) {
        if (baseUrl == null) return null;
        String name = "https".equals(baseUrl.getScheme()) ? "HTTPS_PROXY" : "HTTP_PROXY";
        String raw = v.str(name);
        if (raw == null) raw = v.str(name.toLowerCase(java.util.Locale.ROOT));
        if (raw == null) return null;
        String noProxy = v.str("NO_PROXY");
        if (noProxy == null) noProxy = v.str("no_proxy");
        if (noProxy != null && NoProxy.matches(noProxy, baseUrl.getHost())) return null;
        try {
            URI proxy = new URI(raw.contains("://") ? raw : "http://" + raw);
            if (!"http".equals(proxy.getScheme()) || proxy.getHost() == null) {
                v.problem(name + ": expected http://host:port (an HTTP proxy that speaks CONNECT)");
                return null;
            }
            if (proxy.getUserInfo() != null) {
                v.problem(name + ": credentials in the proxy URL are not supported");
                return null;
            }
            return proxy;
        } catch (URISyntaxException e) {
            v.problem(name + ": not a valid URL");
            return null;
        }
    }
}
