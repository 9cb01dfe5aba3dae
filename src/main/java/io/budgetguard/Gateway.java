package io.budgetguard;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.budgetguard.admin.AdminHandler;
import io.budgetguard.auth.TenantAuth;
import io.budgetguard.config.Settings;
import io.budgetguard.http.HttpApi;
import io.budgetguard.http.Route;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.log.JsonLog;
import io.budgetguard.pricing.PriceTable;
import io.budgetguard.proxy.ProxyHandler;
import io.budgetguard.store.Database;
import io.budgetguard.store.TenantStore;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One running gateway: its stores, its HTTP front and the handlers between them. */
public final class Gateway implements AutoCloseable {
    /** JSON nested deeper than this is refused (a 400), long before it could exhaust a stack. */
    public static final int MAX_JSON_NESTING_DEPTH = 128;

    private final Database database;
    private final HttpApi http;

    private Gateway(Database database, HttpApi http) {
        this.database = database;
        this.http = http;
    }

    public static ObjectMapper objectMapper() {
        JsonMapper mapper = JsonMapper.builder()
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
                .build();
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(MAX_JSON_NESTING_DEPTH).maxNumberLength(400).build());
        return mapper;
    }

    public static Database openDatabase(Settings s) {
        Database db = Database.embedded(s.dataDir());
        db.migrate();
        return db;
    }

    public static Gateway start(Settings s, Clock clock) throws IOException {
        ObjectMapper json = objectMapper();
        PriceTable prices = PriceTable.load(json, s.pricesPath());
        Database db = openDatabase(s);
        try {
            TenantStore tenants = new TenantStore(db);
            Ledger ledger = new Ledger(db);
            TenantAuth auth = new TenantAuth(tenants, s.authCacheTtlMs());
            List<Route> routes = new ArrayList<>();
            routes.add(new Route("GET", "/health", (call, p) ->
                    call.sendJson(json, 200, Map.of("status", "ok", "version", Version.get()))));
            routes.addAll(new ProxyHandler(s, json, clock, auth, prices, ledger).routes());
            routes.addAll(new AdminHandler(s, json, clock, tenants, auth, ledger).routes());
            HttpApi http = HttpApi.start(s, routes, json);
            JsonLog.info("started", "port", http.port(), "version", Version.get(), "store", "embedded",
                    "data_dir", s.dataDir().toAbsolutePath().toString(), "upstream", s.openaiBaseUrl().toString(),
                    "models_priced", prices.size(), "openai_key", s.openaiKey() != null,
                    "admin_api", s.adminEnabled() ? "enabled" : "disabled: set ADMIN_API_KEY to enable it");
            return new Gateway(db, http);
        } catch (IOException | RuntimeException e) {
            db.close();
            throw e;
        }
    }

    public int port() {
        return http.port();
    }

    public Database database() {
        return database;
    }

    @Override
    public void close() {
        http.close();
        database.close();
    }
}
