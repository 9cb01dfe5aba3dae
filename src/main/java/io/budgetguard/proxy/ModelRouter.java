package io.budgetguard.proxy;

import io.budgetguard.config.Provider;
import io.budgetguard.config.ProviderKind;
import io.budgetguard.config.Settings;
import io.budgetguard.http.ApiException;
import io.budgetguard.pricing.PriceTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Which provider serves a model, under which upstream id, priced as which model: a model name listed by one
 * provider, an alias, or {@code provider/model}. Without a providers file there is one provider (OPENAI_BASE_URL)
 * that takes any model its price list prices, as before providers existed.
 */
final class ModelRouter {
    /** Where one request goes. */
    record Target(Provider provider, String upstreamModel, String pricedAs) {}

    private static final int MAX_LISTED_IN_ERROR = 50;

    private final List<Provider> providers;
    private final Map<String, Target> byName = new LinkedHashMap<>();
    private final Provider anyModelProvider;

    ModelRouter(List<Provider> providers, Map<String, String> aliases) {
        this.providers = List.copyOf(providers);
        List<String> problems = new ArrayList<>();
        Provider wildcard = null;
        for (Provider p : providers) {
            if (p.anyModel()) {
                if (wildcard != null) problems.add("providers." + p.name() + ".models: \"*\" is already taken by " + wildcard.name()
                        + "; only one provider may take any model");
                wildcard = p;
            }
            for (Map.Entry<String, Provider.Model> m : p.models().entrySet()) {
                Target t = new Target(p, m.getValue().upstreamId(), m.getValue().pricedAs());
                Target clash = byName.putIfAbsent(m.getKey(), t);
                if (clash != null) problems.add("model '" + m.getKey() + "' is listed by both " + clash.provider().name()
                        + " and " + p.name() + "; give one an alias, or call them as provider/model");
                byName.put(p.name() + "/" + m.getKey(), t);
            }
        }
        this.anyModelProvider = wildcard;
        for (Map.Entry<String, String> a : aliases.entrySet()) {
            if (byName.containsKey(a.getKey())) {
                problems.add("aliases." + a.getKey() + ": already a model name");
                continue;
            }
            Target t = byName.get(a.getValue());
            if (t == null) t = wildcardTarget(a.getValue());
            if (t == null) problems.add("aliases." + a.getKey() + ": '" + a.getValue() + "' names no provider's model");
            else byName.put(a.getKey(), t);
        }
        if (!problems.isEmpty()) throw new IllegalArgumentException(String.join("\n", problems));
    }

    /** The router of a gateway's settings: the providers file's, else the one OpenAI upstream. */
    static ModelRouter of(Settings s) {
        return new ModelRouter(s.upstreams(), s.providers() == null ? Map.of() : s.providers().aliases());
    }

    List<Provider> providers() {
        return providers;
    }

    /** Every model price that start-up must find: one line per listed model the price list lacks. */
    List<String> unpriced(PriceTable prices) {
        List<String> out = new ArrayList<>();
        for (Provider p : providers) {
            if (!prices.hasList(p.priceList())) out.add("providers." + p.name() + ".prices: no price list '" + p.priceList() + "'");
            for (Map.Entry<String, Provider.Model> m : p.models().entrySet()) {
                if (prices.lookup(p.priceList(), m.getValue().pricedAs()).isEmpty()) {
                    out.add("providers." + p.name() + ": model '" + m.getValue().pricedAs() + "' has no price in list '"
                            + p.priceList() + "' (add it with PRICES_PATH, or set DEFAULT_PRICE)");
                }
            }
        }
        return out;
    }

    /**
     * The target of {@code model} for a request of {@code shape}: 400 naming the known models when none serves it,
     * or when the provider that does cannot speak the request's wire format.
     */
    Target route(Endpoint.Shape shape, String model) {
        Target t = byName.get(model);
        if (t == null) t = wildcardTarget(model);
        // Any other name goes to the provider that takes any model, unless it is qualified by another provider's name
        // (a vLLM model such as "meta-llama/Llama-3.1-8B" is not qualified: no provider has that name).
        if (t == null && anyModelProvider != null && speaks(anyModelProvider.kind(), shape) && !qualifiedByProvider(model)) {
            t = new Target(anyModelProvider, model, model);
        }
        if (t == null) {
            throw ApiException.invalidRequest("The model '" + model + "' is not served by this gateway. Known models: "
                    + known() + ".", "model");
        }
        if (!speaks(t.provider().kind(), shape)) {
            throw ApiException.invalidRequest("The model '" + model + "' is served by " + t.provider().name() + " ("
                    + t.provider().kind().wireName() + "), which does not take this API; call it through /v1/chat/completions"
                    + nativeHint(t.provider().kind()) + ".", "model");
        }
        return t;
    }

    /**
     * The provider of an OpenAI-shaped request that names no model (moderations without one, the model list): the
     * one that takes any model, else the first of kind openai; 400 when there is neither.
     */
    /** The provider of this name, for a call on an object stored there; only OpenAI's shape of stored responses. */
    java.util.Optional<Target> forProvider(String name) {
        for (Provider p : providers) {
            if (p.name().equals(name) && (p.kind() == ProviderKind.OPENAI || p.kind() == ProviderKind.OPENAI_COMPATIBLE)) {
                return java.util.Optional.of(new Target(p, null, null));
            }
        }
        return java.util.Optional.empty();
    }

    Target withoutModel(Endpoint.Shape shape) {
        Provider p = anyModelProvider;
        if (p == null) for (Provider q : providers) if (q.kind() == ProviderKind.OPENAI) { p = q; break; }
        if (p == null || shape != Endpoint.Shape.OPENAI) {
            throw ApiException.invalidRequest("Name a model: this gateway has no default OpenAI provider. Known models: "
                    + known() + ".", "model");
        }
        return new Target(p, null, null);
    }

    /** {@code provider/model} at the provider that takes any model. */
    private Target wildcardTarget(String qualified) {
        int slash = qualified.indexOf('/');
        if (slash <= 0 || anyModelProvider == null || !qualified.substring(0, slash).equals(anyModelProvider.name())) return null;
        String model = qualified.substring(slash + 1);
        return model.isEmpty() ? null : new Target(anyModelProvider, model, model);
    }

    private boolean qualifiedByProvider(String model) {
        int slash = model.indexOf('/');
        if (slash <= 0) return false;
        String prefix = model.substring(0, slash);
        for (Provider p : providers) if (p.name().equals(prefix)) return true;
        return false;
    }

    private static boolean speaks(ProviderKind kind, Endpoint.Shape shape) {
        return switch (shape) {
            case OPENAI -> true;
            case AZURE_DEPLOYMENT, AZURE_V1 -> kind == ProviderKind.AZURE_OPENAI;
            case ANTHROPIC -> kind == ProviderKind.ANTHROPIC;
            case GEMINI -> kind == ProviderKind.GEMINI;
        };
    }

    private static String nativeHint(ProviderKind kind) {
        return switch (kind) {
            case ANTHROPIC -> " or /v1/messages";
            case GEMINI -> " or /v1beta/models/{model}:generateContent";
            case AZURE_OPENAI -> " or /openai/deployments/{deployment}/...";
            default -> "";
        };
    }

    /** The names a client may call, for errors and the model list (bounded). */
    String known() {
        TreeSet<String> names = new TreeSet<>();
        for (String n : byName.keySet()) if (n.indexOf('/') < 0) names.add(n);
        if (anyModelProvider != null) names.add(anyModelProvider.name() + "/<any priced model>");
        List<String> shown = new ArrayList<>(names).subList(0, Math.min(names.size(), MAX_LISTED_IN_ERROR));
        return String.join(", ", shown) + (names.size() > shown.size() ? ", and " + (names.size() - shown.size()) + " more" : "");
    }

    /** Client-callable names with their provider, for GET /v1/models (aliases included; no wildcard). */
    Map<String, Target> listed() {
        Map<String, Target> out = new LinkedHashMap<>();
        byName.forEach((n, t) -> { if (n.indexOf('/') < 0) out.put(n, t); });
        return out;
    }

    /** Whether this gateway has only the one upstream of OPENAI_BASE_URL (no providers file). */
    boolean single() {
        return providers.size() == 1 && anyModelProvider != null && byName.isEmpty();
    }
}
