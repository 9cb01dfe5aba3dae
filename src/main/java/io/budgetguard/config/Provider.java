package io.budgetguard.config;

import java.net.URI;
import java.util.Map;

/**
 * One upstream as the providers file names it: its kind, base URL, key (read from the environment variable the
 * file names, never from the file), timeouts, the price list its models are priced from, and its models: the
 * names clients use, each mapped to the upstream's model id (for Azure: the deployment) and the priced model.
 */
public record Provider(String name, ProviderKind kind, URI baseUrl, String key, String keyEnv,
                       long connectTimeoutMs, long firstByteTimeoutMs, long idleTimeoutMs, String priceList,
                       Map<String, Model> models, boolean injectStreamUsage, URI egressProxy) {
    /** A model a client may call: {@code upstreamId} is sent upstream, {@code pricedAs} looked up in the price list. */
    public record Model(String upstreamId, String pricedAs) {}

    /** The single provider of a gateway without a providers file: OPENAI_BASE_URL and OPENAI_KEY, any model. */
    public static final String DEFAULT_NAME = "openai";

    public Provider {
        models = Map.copyOf(models);
    }

    /** Without a providers file the one upstream takes any model its price list prices. */
    public boolean anyModel() {
        return models.isEmpty();
    }

    @Override
    public String toString() {
        return "Provider[" + name + ", " + kind.wireName() + ", " + baseUrl + ", key " + (key == null ? "unset" : "from " + keyEnv) + "]";
    }
}
