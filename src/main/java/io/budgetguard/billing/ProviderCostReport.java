package io.budgetguard.billing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * A provider's own record of what it billed, per UTC day, project and model: OpenAI's organization Costs API
 * ({@code GET /v1/organization/costs}, an admin key, {@code group_by=project_id,line_item}) and Anthropic's cost report
 * ({@code GET /v1/organizations/cost_report}, an admin key, {@code group_by[]=workspace_id,description}), read page by
 * page up to a bound.
 */
final class ProviderCostReport {
    /** One billed amount: the day, the project (or workspace; "" for the default), the model ("" when none), micro-USD. */
    record Line(LocalDate day, String project, String model, long microUsd) {}

    /** The report could not be read (network, status, shape): the check says so and changes nothing. */
    static final class Unreadable extends Exception {
        Unreadable(String message) {
            super(message);
        }
    }

    private final ObjectMapper json;
    private final HttpClient http;
    private final long timeoutMs;
    private final int maxPages;

    ProviderCostReport(ObjectMapper json, long timeoutMs, int maxPages) {
        this.json = json;
        this.timeoutMs = timeoutMs;
        this.maxPages = maxPages;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(timeoutMs)).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** OpenAI's costs of the days [from, to]; amounts are USD numbers. */
    List<Line> openai(ReconcileSettings.Source s, LocalDate from, LocalDate to) throws Unreadable {
        String q = "start_time=" + epoch(from) + "&end_time=" + epoch(to.plusDays(1)) + "&bucket_width=1d&limit=31"
                + "&group_by=project_id&group_by=line_item";
        return paged(page -> get(s.baseUrl().resolve("/v1/organization/costs?" + q + page), "Authorization", "Bearer " + s.adminKey(),
                null, null), (bucket, out) -> {
            LocalDate day = Instant.ofEpochSecond(bucket.path("start_time").asLong()).atZone(ZoneOffset.UTC).toLocalDate();
            for (JsonNode r : bucket.path("results")) {
                if (!"usd".equalsIgnoreCase(r.path("amount").path("currency").asText("usd"))) throw new Unreadable("a cost not in USD");
                out.add(new Line(day, text(r.get("project_id")), openaiModel(text(r.get("line_item"))),
                        micro(r.path("amount").path("value").decimalValue())));
            }
        });
    }

    /** Anthropic's costs of the days [from, to]; amounts are decimal strings in cents. */
    List<Line> anthropic(ReconcileSettings.Source s, LocalDate from, LocalDate to) throws Unreadable {
        String q = "starting_at=" + enc(from + "T00:00:00Z") + "&ending_at=" + enc(to.plusDays(1) + "T00:00:00Z")
                + "&bucket_width=1d&limit=31&group_by%5B%5D=workspace_id&group_by%5B%5D=description";
        return paged(page -> get(s.baseUrl().resolve("/v1/organizations/cost_report?" + q + page), "x-api-key", s.adminKey(),
                "anthropic-version", "2023-06-01"), (bucket, out) -> {
            LocalDate day = Instant.parse(bucket.path("starting_at").asText()).atZone(ZoneOffset.UTC).toLocalDate();
            for (JsonNode r : bucket.path("results")) {
                if (!"USD".equalsIgnoreCase(r.path("currency").asText("USD"))) throw new Unreadable("a cost not in USD");
                BigDecimal cents = new BigDecimal(r.path("amount").asText("0"));
                out.add(new Line(day, text(r.get("workspace_id")), text(r.get("model")), micro(cents.movePointLeft(2))));
            }
        });
    }

    /** One page of a report; {@code pageParameter} is "" for the first, else {@code &page=<token>}. */
    private interface Page {
        JsonNode fetch(String pageParameter) throws Unreadable;
    }

    /** Reads the lines of one day's bucket. */
    private interface Bucket {
        void read(JsonNode bucket, List<Line> out) throws Unreadable;
    }

    /** Both reports page alike: {@code data} buckets, {@code has_more}, {@code next_page}; at most {@code maxPages}. */
    private List<Line> paged(Page page, Bucket bucket) throws Unreadable {
        List<Line> out = new ArrayList<>();
        String token = null;
        for (int i = 0; i < maxPages; i++) {
            JsonNode body = page.fetch(token == null ? "" : "&page=" + enc(token));
            for (JsonNode b : body.path("data")) bucket.read(b, out);
            if (!body.path("has_more").asBoolean(false)) return out;
            token = text(body.get("next_page"));
            if (token.isEmpty()) return out;
        }
        throw new Unreadable("more than " + maxPages + " pages");
    }

    private JsonNode get(URI uri, String h1, String v1, String h2, String v2) throws Unreadable {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMillis(timeoutMs)).header(h1, v1).GET();
        if (h2 != null) b.header(h2, v2);
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) throw new Unreadable(uri.getHost() + " answered " + r.statusCode());
            return json.readTree(r.body());
        } catch (IOException e) {
            throw new Unreadable(uri.getHost() + ": " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreadable("interrupted");
        } catch (NumberFormatException e) {
            throw new Unreadable("an amount that is not a number");
        }
    }

    /** "gpt-4o-2024-08-06, input" is billed to gpt-4o-2024-08-06; a line item without a model ("Image models") keeps its name. */
    static String openaiModel(String lineItem) {
        int comma = lineItem.indexOf(", ");
        return comma < 0 ? lineItem : lineItem.substring(0, comma);
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? "" : n.asText();
    }

    private static long epoch(LocalDate d) {
        return d.atStartOfDay(ZoneOffset.UTC).toEpochSecond();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static long micro(BigDecimal usd) {
        return usd.movePointRight(6).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }
}
