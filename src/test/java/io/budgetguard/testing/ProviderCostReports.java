package io.budgetguard.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Stand-ins for the providers' cost reports, in their documented shapes: OpenAI's organization Costs API
 * ({@code GET /v1/organization/costs}: buckets of {@code start_time}/{@code end_time} in epoch seconds, results with
 * {@code amount.value} in USD, {@code line_item} like "gpt-4o-2024-08-06, input", {@code project_id}; one bucket per
 * page here, so paging is exercised) and Anthropic's cost report ({@code GET /v1/organizations/cost_report}: buckets
 * of RFC 3339 {@code starting_at}/{@code ending_at}, results with {@code amount} in cents as a decimal string,
 * {@code model}, {@code workspace_id}, {@code description}). Each checks its admin key header.
 */
public final class ProviderCostReports implements AutoCloseable {
    public static final String OPENAI_ADMIN_KEY = "sk-admin-test-0123456789abcdef";
    public static final String ANTHROPIC_ADMIN_KEY = "sk-ant-admin01-test-0123456789";

    /** One billed line. */
    public record Cost(LocalDate day, String project, String item, BigDecimal amount) {}

    private final HttpServer server;
    public final List<Cost> openai = new CopyOnWriteArrayList<>();
    public final List<Cost> anthropic = new CopyOnWriteArrayList<>();
    public final List<String> queries = new CopyOnWriteArrayList<>();

    public ProviderCostReports() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/v1/organization/costs", this::openai);
        server.createContext("/v1/organizations/cost_report", this::anthropic);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void openai(HttpExchange ex) throws IOException {
        queries.add(ex.getRequestURI().getRawQuery());
        if (!("Bearer " + OPENAI_ADMIN_KEY).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            reply(ex, 401, "{\"error\":{\"message\":\"Invalid admin key\",\"type\":\"invalid_request_error\"}}");
            return;
        }
        Map<String, List<String>> q = query(ex);
        LocalDate from = day(Long.parseLong(q.get("start_time").get(0))), to = day(Long.parseLong(q.get("end_time").get(0)));
        LocalDate at = q.containsKey("page") ? LocalDate.parse(q.get("page").get(0)) : from;
        StringBuilder results = new StringBuilder();
        for (Cost c : openai) {
            if (!c.day().equals(at)) continue;
            if (!results.isEmpty()) results.append(',');
            results.append("{\"object\":\"organization.costs.result\",\"amount\":{\"value\":").append(c.amount().toPlainString())
                    .append(",\"currency\":\"usd\"},\"line_item\":\"").append(c.item()).append("\",\"project_id\":\"").append(c.project()).append("\"}");
        }
        long start = at.atStartOfDay(ZoneOffset.UTC).toEpochSecond();
        boolean more = at.plusDays(1).isBefore(to);
        reply(ex, 200, "{\"object\":\"page\",\"data\":[{\"object\":\"bucket\",\"start_time\":" + start + ",\"end_time\":" + (start + 86_400)
                + ",\"results\":[" + results + "]}],\"has_more\":" + more + ",\"next_page\":" + (more ? "\"" + at.plusDays(1) + "\"" : "null") + "}");
    }

    private void anthropic(HttpExchange ex) throws IOException {
        queries.add(ex.getRequestURI().getRawQuery());
        if (!ANTHROPIC_ADMIN_KEY.equals(ex.getRequestHeaders().getFirst("x-api-key"))
                || ex.getRequestHeaders().getFirst("anthropic-version") == null) {
            reply(ex, 401, "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}");
            return;
        }
        Map<String, List<String>> q = query(ex);
        LocalDate from = Instant.parse(q.get("starting_at").get(0)).atZone(ZoneOffset.UTC).toLocalDate();
        LocalDate to = Instant.parse(q.get("ending_at").get(0)).atZone(ZoneOffset.UTC).toLocalDate();
        StringBuilder data = new StringBuilder();
        for (LocalDate d = from; d.isBefore(to); d = d.plusDays(1)) {
            StringBuilder results = new StringBuilder();
            for (Cost c : anthropic) {
                if (!c.day().equals(d)) continue;
                if (!results.isEmpty()) results.append(',');
                results.append("{\"currency\":\"USD\",\"amount\":\"").append(c.amount().movePointRight(2).toPlainString())
                        .append("\",\"workspace_id\":").append(c.project().isEmpty() ? "null" : "\"" + c.project() + "\"")
                        .append(",\"description\":\"").append(c.item()).append(" Usage - Input Tokens\",\"cost_type\":\"tokens\",")
                        .append("\"context_window\":\"0-200k\",\"model\":\"").append(c.item()).append("\",\"service_tier\":\"standard\",")
                        .append("\"token_type\":\"uncached_input_tokens\"}");
            }
            if (!data.isEmpty()) data.append(',');
            data.append("{\"starting_at\":\"").append(d).append("T00:00:00Z\",\"ending_at\":\"").append(d.plusDays(1))
                    .append("T00:00:00Z\",\"results\":[").append(results).append("]}");
        }
        reply(ex, 200, "{\"data\":[" + data + "],\"has_more\":false,\"next_page\":null}");
    }

    private static LocalDate day(long epochSecond) {
        return Instant.ofEpochSecond(epochSecond).atZone(ZoneOffset.UTC).toLocalDate();
    }

    private static Map<String, List<String>> query(HttpExchange ex) {
        Map<String, List<String>> out = new HashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw == null) return out;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            out.computeIfAbsent(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), k -> new ArrayList<>())
                    .add(URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
