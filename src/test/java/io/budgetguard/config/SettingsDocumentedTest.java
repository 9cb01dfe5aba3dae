package io.budgetguard.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every variable the settings loader reads is documented in the README's configuration table and listed in
 * .env.example: a setting added to the code without its documentation fails here, so the two cannot drift.
 */
class SettingsDocumentedTest {
    /** Loads that between them take every branch that reads a variable (plain, https with proxy and trust store). */
    static Set<String> everyVariableRead(Path dir) throws Exception {
        Path trust = Files.writeString(dir.resolve("trust.p12"), "");
        Set<String> all = new TreeSet<>();
        all.addAll(SettingsLoader.variablesRead(Map.of()));
        all.addAll(SettingsLoader.variablesRead(Map.of("OPENAI_BASE_URL", "https://api.openai.com/v1",
                "HTTPS_PROXY", "http://proxy:3128", "UPSTREAM_TRUST_STORE", trust.toString())));
        all.addAll(SettingsLoader.variablesRead(Map.of("OPENAI_BASE_URL", "http://127.0.0.1:8080", "HTTP_PROXY", "http://p:1")));
        all.removeIf(name -> !name.equals(name.toUpperCase(Locale.ROOT))); // lowercase proxy spellings: the same setting
        return all;
    }

    @Test
    void everySettingIsInTheReadmeTableAndInDotEnvExample(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        // The names in the first cell of each row of the README's tables ("| `PORT` / `HOST` | ...").
        Set<String> documented = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("README.md"))) {
            if (!line.startsWith("| `")) continue;
            var m = java.util.regex.Pattern.compile("`([A-Z][A-Z0-9_]+)`").matcher(line.substring(0, line.indexOf('|', 1)));
            while (m.find()) documented.add(m.group(1));
        }
        String example = Files.readString(Path.of(".env.example"));
        List<String> missing = new ArrayList<>();
        for (String name : everyVariableRead(dir)) {
            if (!documented.contains(name)) missing.add(name + " (README configuration table)");
            if (!example.lines().anyMatch(l -> l.matches("#?\\s*" + name + "=.*"))) missing.add(name + " (.env.example)");
        }
        assertTrue(missing.isEmpty(), "undocumented settings: " + missing);
    }

    @Test
    void theReadmeStatesTheDefaultTheLoaderUses() throws Exception {
        // Rows such as "| `DB_POOL_SIZE` / `DB_TIMEOUT_MS` | meaning | `16` / `2000` |": the default cell, split on " / ",
        // pairs with the names of the first cell in order. Computed defaults ("cores (min 2)") are stated in words.
        Map<String, long[]> numeric = SettingsLoader.numericSettings(Map.of());
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (String line : Files.readAllLines(Path.of("README.md"))) {
            if (!line.startsWith("| `")) continue;
            String[] cells = line.split("\\|");
            if (cells.length < 4) continue;
            var m = java.util.regex.Pattern.compile("`([A-Z][A-Z0-9_]+)`").matcher(cells[1]);
            List<String> names = new ArrayList<>();
            while (m.find()) names.add(m.group(1));
            String[] defaults = cells[cells.length - 1].split(" / ");
            for (int i = 0; i < names.size() && names.size() == defaults.length; i++) {
                long[] spec = numeric.get(names.get(i));
                String stated = defaults[i].replaceAll("[`,\\s]", "");
                if (spec == null || !stated.matches("-?\\d+")) continue;
                checked++;
                if (Long.parseLong(stated) != spec[0]) wrong.add(names.get(i) + ": README says " + stated + ", the loader uses " + spec[0]);
            }
        }
        assertTrue(wrong.isEmpty(), "README defaults out of date: " + wrong);
        assertTrue(checked >= 30, "the README's defaults are read (" + checked + " checked)");
    }

    @Test
    void dotEnvExampleStatesTheDefaultTheLoaderUses() throws Exception {
        // "# DB_POOL_SIZE=16" (commented: the default) or "PORT=3000" (set, to the default): either way the loader's.
        Map<String, long[]> numeric = SettingsLoader.numericSettings(Map.of());
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (String line : Files.readAllLines(Path.of(".env.example"))) {
            var m = java.util.regex.Pattern.compile("#?\\s*([A-Z][A-Z0-9_]+)=(-?[0-9]+)\\s*").matcher(line);
            if (!m.matches() || !numeric.containsKey(m.group(1))) continue;
            checked++;
            long stated = Long.parseLong(m.group(2));
            if (stated != numeric.get(m.group(1))[0]) wrong.add(m.group(1) + ": .env.example says " + stated
                    + ", the loader's default is " + numeric.get(m.group(1))[0]);
        }
        assertTrue(wrong.isEmpty(), ".env.example defaults out of date: " + wrong);
        assertTrue(checked >= 30, ".env.example's defaults are read (" + checked + " checked)");
    }
}
