package io.budgetguard.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.Gateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The providers file: read at start, every mistake one line naming its field, keys only from the environment. */
class ProvidersSettingsTest {
    static Map<String, String> env(String providersJson, String... vars) throws Exception {
        Path file = Files.createTempDirectory("providers").resolve("providers.json");
        Files.writeString(file, providersJson);
        Map<String, String> env = new HashMap<>(Map.of("PROVIDERS_PATH", file.toString(), "ADMIN_API_KEY", "a-long-enough-admin-key-0123"));
        for (int i = 0; i + 1 < vars.length; i += 2) env.put(vars[i], vars[i + 1]);
        return env;
    }

    static List<String> problems(String providersJson, String... vars) throws Exception {
        return assertThrows(ConfigException.class, () -> SettingsLoader.fromMap(env(providersJson, vars))).problems();
    }

    @Test
    void withoutAProvidersFileTheOneUpstreamIsOpenAiBaseUrlAsBefore() throws Exception {
        Settings s = SettingsLoader.fromMap(Map.of("OPENAI_KEY", "sk-x"));
        assertNull(s.providers());
        assertEquals("https://api.openai.com", s.openaiBaseUrl().toString());
    }

    @Test
    void theExampleFileInTheReadmeLoadsWithItsKeysFromTheEnvironment() throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("PROVIDERS_PATH", "providers.example.json", "OPENAI_KEY", "sk-1",
                "AZURE_OPENAI_API_KEY", "az-1", "ANTHROPIC_API_KEY", "sk-ant-1", "GEMINI_API_KEY", "AIza-1", "MISTRAL_API_KEY", "m-1"));
        Settings s = SettingsLoader.fromMap(env);
        assertEquals(List.of("openai", "azure", "anthropic", "gemini", "mistral"),
                s.providers().list().stream().map(Provider::name).toList());
        Provider anthropic = s.providers().list().get(2);
        assertEquals(ProviderKind.ANTHROPIC, anthropic.kind());
        assertEquals("sk-ant-1", anthropic.key());
        assertFalse(anthropic.toString().contains("sk-ant-1"), "a provider prints where its key comes from, never the key");
        assertEquals(List.of(), Gateway.providerProblems(s), "every model of the example is priced");
    }

    @Test
    void eachMistakeIsOneLineNamingItsField() throws Exception {
        List<String> p = problems("""
                {"providers": {
                  "a": {"kind": "anthropics", "base_url": "https://api.anthropic.com", "key_env": "K"},
                  "b": {"kind": "anthropic", "base_url": "ftp://x", "key_env": "UNSET_KEY", "models": ["m"], "timeout_ms": 5},
                  "c": {"kind": "openai-compatible", "base_url": "https://api.mistral.ai/v1", "key_env": "K", "models": ["m"],
                        "key": "sk-in-the-file", "first_byte_timeout_ms": 1},
                  "Bad Name": {"kind": "openai"}
                }}""", "K", "secret");
        assertTrue(p.contains("providers.a.kind: expected openai, openai-compatible, azure-openai, anthropic or gemini"), p.toString());
        assertTrue(p.contains("providers.b: unknown field 'timeout_ms'"), p.toString());
        assertTrue(p.stream().anyMatch(l -> l.startsWith("providers.b.base_url: must be an http(s) URL")), p.toString());
        assertTrue(p.contains("providers.b.key_env: UNSET_KEY is not set"), p.toString());
        assertTrue(p.contains("providers.c.key: keys never go in the providers file; name the environment variable in key_env"), p.toString());
        assertTrue(p.stream().anyMatch(l -> l.startsWith("providers.c.prices: the price list")), p.toString());
        assertTrue(p.contains("providers.c.first_byte_timeout_ms: a whole number of milliseconds from 10 to 3600000"), p.toString());
        assertTrue(p.stream().anyMatch(l -> l.startsWith("providers.Bad Name: a provider name")), p.toString());
        assertFalse(String.join("\n", p).contains("sk-in-the-file"), "a key put in the file is never echoed");
        assertFalse(String.join("\n", p).contains("secret"));
    }

    @Test
    void aFileThatIsNotJsonOrMissingSaysSo() throws Exception {
        assertTrue(problems("{\"providers\": {").getFirst().contains("not valid JSON"));
        List<String> missing = assertThrows(ConfigException.class,
                () -> SettingsLoader.fromMap(Map.of("PROVIDERS_PATH", "/nonexistent/providers.json"))).problems();
        assertTrue(missing.getFirst().startsWith("PROVIDERS_PATH: no readable file at /nonexistent/providers.json"), missing.toString());
    }

    @Test
    void unpricedModelsAndNamesListedTwiceStopTheStart() throws Exception {
        Settings s = SettingsLoader.fromMap(env("""
                {"providers": {
                  "a": {"kind": "anthropic", "base_url": "https://api.anthropic.com", "key_env": "K", "models": ["claude-haiku-4-5", "claude-imaginary-9"]},
                  "b": {"kind": "openai-compatible", "base_url": "https://api.mistral.ai/v1", "key_env": "K", "prices": "mistral",
                        "models": {"claude-haiku-4-5": "mistral-small-latest"}}
                },
                "aliases": {"fast": "a/claude-nope"}}""", "K", "k"));
        List<String> p = Gateway.providerProblems(s);
        assertTrue(p.stream().anyMatch(l -> l.startsWith("model 'claude-haiku-4-5' is listed by both a and b")), p.toString());
        assertTrue(p.stream().anyMatch(l -> l.startsWith("aliases.fast: 'a/claude-nope' names no provider's model")), p.toString());
        Settings priced = SettingsLoader.fromMap(env("""
                {"providers": {"a": {"kind": "anthropic", "base_url": "https://api.anthropic.com", "key_env": "K",
                  "models": ["claude-haiku-4-5", "claude-imaginary-9"]}}}""", "K", "k"));
        assertEquals(List.of("providers.a: model 'claude-imaginary-9' has no price in list 'anthropic' (add it with PRICES_PATH, "
                + "or set DEFAULT_PRICE)"), Gateway.providerProblems(priced));
    }
}
