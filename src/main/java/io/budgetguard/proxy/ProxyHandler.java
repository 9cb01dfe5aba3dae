package io.budgetguard.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.auth.Caller;
import io.budgetguard.auth.TenantAuth;
import io.budgetguard.budget.Admission;
import io.budgetguard.budget.RateState;
import io.budgetguard.core.Reservation;
import io.budgetguard.budget.SpendCounters;
import io.budgetguard.core.WindowRef;
import io.budgetguard.config.Settings;
import io.budgetguard.http.ApiException;
import io.budgetguard.http.HttpCall;
import io.budgetguard.http.Route;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.core.UsageEvent;
import io.budgetguard.metrics.Metrics;
import io.budgetguard.pricing.Estimate;
import io.budgetguard.pricing.Estimator;
import io.budgetguard.pricing.ModelPrice;
import io.budgetguard.pricing.PriceTable;
import io.budgetguard.policy.DenialLog;
import io.budgetguard.policy.PolicyDecision;
import io.budgetguard.policy.PolicyEngine;
import io.budgetguard.policy.PolicyInput;
import io.budgetguard.tenant.Tenant;
import io.budgetguard.tenant.TenantDirectory;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The data plane, top to bottom: request → auth → estimate → policy → admit → forward → relay → settle → ledger.
 * Invariants: nothing reaches the upstream without an atomic admission that reserved its worst-case cost, and
 * every request that reaches the upstream is settled once and gets exactly one ledger row.
 */
public final class ProxyHandler implements AutoCloseable {
    private final Settings settings;
    private final ObjectMapper json;
    private final Clock clock;
    private final TenantAuth auth;
    private final TenantDirectory tenants;
    private final PriceTable prices;
    private final Estimator estimator;
    private final SpendCounters counters;
    private final Ledger ledger;
    private final PolicyEngine policy;
    private final PolicyInput policyInput;
    private final DenialLog denials;
    private final ModelRouter router;
    private final Map<String, Upstream> upstreams;
    private final ResponseRelay relay;
    private final Metrics metrics;
    private final Settlement settlement;
    private final ModelList models;
    private final io.budgetguard.ledger.RefusalLog refusals;
    private final io.budgetguard.pricing.ImagePrices images;
    private final io.budgetguard.pricing.SpeechPrices speech;
    private final io.budgetguard.pricing.TranscriptionPrices transcriptions;
    private final OwnedObjects objects;
    private volatile RealtimeListener realtime;
    private final io.budgetguard.deferred.BackgroundResponses background;

    public ProxyHandler(Settings settings, ObjectMapper json, Clock clock, TenantAuth auth, TenantDirectory tenants,
                        PriceTable prices, SpendCounters counters, Ledger ledger, PolicyEngine policy, DenialLog denials,
                        io.budgetguard.ledger.RefusalLog refusals, Metrics metrics) {
        this.refusals = refusals;
        this.metrics = metrics;
        this.policy = policy;
        this.policyInput = new PolicyInput(json, settings.policyPromptBytesMax());
        this.denials = denials;
        this.settings = settings;
        this.json = json;
        this.clock = clock;
        this.auth = auth;
        this.tenants = tenants;
        this.prices = prices;
        this.estimator = new Estimator(json);
        try {
            this.images = io.budgetguard.pricing.ImagePrices.load(json);
            this.speech = io.budgetguard.pricing.SpeechPrices.load(json);
            this.transcriptions = io.budgetguard.pricing.TranscriptionPrices.load(json);
        } catch (IOException e) {
            throw new IllegalStateException("unit-prices.json cannot be read: " + e.getMessage(), e);
        }
        this.counters = counters;
        this.ledger = ledger;
        this.router = ModelRouter.of(settings);
        List<String> unpriced = router.unpriced(prices);
        if (!unpriced.isEmpty()) throw new IllegalArgumentException(String.join("\n", unpriced));
        Map<String, Upstream> ups = new java.util.LinkedHashMap<>();
        for (io.budgetguard.config.Provider p : router.providers()) ups.put(p.name(), new Upstream(p, settings.upstreamLimits()));
        this.upstreams = Map.copyOf(ups);
        this.settlement = new Settlement(clock, tenants, counters, ledger, metrics);
        io.budgetguard.tenant.TenantObjects store = new io.budgetguard.tenant.TenantObjects(ledger.database());
        this.objects = new OwnedObjects(store, router, json, clock);
        this.background = new io.budgetguard.deferred.BackgroundResponses(store, new io.budgetguard.deferred.DeferredSettlement(store,
                counters, tenants, metrics, clock), router.providers(), prices, json, settings.maxBodyBytes());
        this.relay = new ResponseRelay(json, settings.maxSseEventBytes());
        this.models = new ModelList(json, router, prices);
    }

    /**
     * What is wrong with the providers of these settings, one line each (an unpriced model, a clash of names), for
     * the start to refuse; empty when nothing is.
     */
    public static List<String> providerProblems(Settings settings, PriceTable prices) {
        try {
            return ModelRouter.of(settings).unpriced(prices);
        } catch (IllegalArgumentException e) {
            return List.of(e.getMessage().split("\n"));
        }
    }

    /** Appends the refusals counted so far now (they are appended every second anyway). */
    public void flushRefusals() {
        refusals.flush();
    }

    /** Closes the idle upstream connections and appends the refusals counted so far. */
    @Override
    public void close() {
        RealtimeListener r = realtime;
        if (r != null) r.shutdown(); // its sessions' last reservations settle as they close
        upstreams.values().forEach(Upstream::close);
        refusals.close();
    }

    /** Starts the realtime listener (REALTIME_PORT) on the gateway's host; returns its port. */
    public int startRealtime() {
        RealtimeListener r = new RealtimeListener(new java.net.InetSocketAddress(settings.bindAddress(), settings.realtime().port()),
                this, json, settings.realtime());
        try {
            r.startAndWait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the realtime listener started", e);
        }
        realtime = r;
        return r.getPort();
    }

    public int realtimePort() {
        RealtimeListener r = realtime;
        return r == null ? -1 : r.getPort();
    }

    /** What a realtime session opened with: its admission, the provider's realtime URL, key and connect timeout. */
    record RealtimeOpened(RealtimeAdmission admission, java.net.URI upstream, String providerKey, long connectTimeoutMs) {}

    /**
     * A realtime session as it opens, through the same steps as any request: its key, its tenant, its model (the
     * URL's {@code model}) routed, allowed and priced, the policy with one response's worst case. Refusals are the
     * same ApiExceptions, which the listener turns into an error event.
     */
    RealtimeOpened openRealtime(org.java_websocket.handshake.ClientHandshake handshake, String sessionId) {
        com.sun.net.httpserver.Headers headers = new com.sun.net.httpserver.Headers();
        for (java.util.Iterator<String> it = handshake.iterateHttpFields(); it.hasNext(); ) {
            String name = it.next();
            headers.add(name, handshake.getFieldValue(name));
        }
        java.net.URI uri = java.net.URI.create(handshake.getResourceDescriptor());
        if (!"/v1/realtime".equals(uri.getPath())) throw ApiException.unknownUrl("GET", uri.getPath());
        Caller caller = auth.authenticate(headers, uri.getRawQuery());
        Tenant tenant = tenants.get(caller.tenantId()).orElseThrow(
                () -> ApiException.invalidApiKey("The tenant of this API key no longer exists."));
        String model = queryValue(uri.getRawQuery(), "model");
        if (model == null) {
            throw ApiException.invalidRequest("Name the model in the URL (?model=...); transcription sessions and calls "
                    + "(intent, call_id) do not go through BudgetGuard yet.", "model");
        }
        io.budgetguard.http.Identifier.require(model, "model", ProxyRequest.MAX_MODEL_CHARS);
        ModelRouter.Target target = router.route(Endpoint.Shape.OPENAI, model);
        io.budgetguard.config.ProviderKind kind = target.provider().kind();
        if (kind != io.budgetguard.config.ProviderKind.OPENAI && kind != io.budgetguard.config.ProviderKind.OPENAI_COMPATIBLE) {
            throw ApiException.invalidRequest("Realtime sessions go through BudgetGuard to OpenAI-shaped providers only.", "model");
        }
        checkAllowedModel(o -> { }, tenant, caller, model, target);
        ModelPrice price = prices.lookup(target.provider().priceList(), target.pricedAs()).orElseThrow(() -> ApiException.invalidRequest(
                "The model '" + target.pricedAs() + "' has no price in BudgetGuard's price table, so its cost cannot be capped.", "model"));
        Estimate perResponse = RealtimeAdmission.perResponse(price);
        RequestLabels labels = new RequestLabels(RequestLabels.endUser(headers.getFirst("X-BudgetGuard-User"), null), null,
                RequestLabels.tags(headers.getFirst("X-BudgetGuard-Tags")));
        ProxyRequest req = new ProxyRequest(Endpoint.REALTIME, json.createObjectNode().put("model", model), model, true, false, false, null);
        List<WindowRef> windows = tenant.windowsFor(caller.keyId(), target.upstreamModel(), labels.endUser(), clock.millis());
        checkPolicy(sessionId, o -> { }, tenant, caller, req, target, labels, null, perResponse, windows);
        RealtimeAdmission admission = new RealtimeAdmission(this, settlement, clock, sessionId, tenant, caller, target, price,
                perResponse, labels.endUser(), labels.tags(), settings.realtime().sessionMaxS() * 1000);
        return new RealtimeOpened(admission, RealtimeListener.upstreamUri(target.provider(), target.upstreamModel()),
                target.provider().key(), target.provider().connectTimeoutMs());
    }

    private static String queryValue(String rawQuery, String name) {
        if (rawQuery == null) return null;
        for (String pair : rawQuery.split("&", 32)) {
            if (pair.startsWith(name + "=")) return java.net.URLDecoder.decode(pair.substring(name.length() + 1), java.nio.charset.StandardCharsets.UTF_8);
        }
        return null;
    }

    public List<Route> routes() {
        List<Route> routes = new ArrayList<>();
        for (Endpoint e : Endpoint.values()) {
            routes.add(new Route(e.method(), e.path(), (call, params) -> handle(call, e, params)));
        }
        return routes;
    }

    private void handle(HttpCall call, Endpoint endpoint, Map<String, String> params) throws IOException {
        Caller caller = auth.authenticate(call.requestHeaders(), call.uri().getRawQuery());
        call.identify(caller.tenantId());
        Tenant tenant = tenants.get(caller.tenantId()).orElseThrow(
                () -> ApiException.invalidApiKey("The tenant of this API key no longer exists."));
        if ((endpoint == Endpoint.MODELS || endpoint == Endpoint.MODEL) && !router.single()) {
            models.answer(call, endpoint, params.get("model"));
            return;
        }
        if (endpoint.upload()) {
            handleUpload(call, endpoint, caller, tenant);
            return;
        }
        if (endpoint == Endpoint.REALTIME) {
            throw ApiException.invalidRequest(realtime == null ? "Realtime sessions are off on this gateway (REALTIME_PORT)."
                    : "Realtime sessions connect over WebSocket to port " + realtime.getPort() + " of this gateway (REALTIME_PORT).");
        }
        if (endpoint.listsOwned()) {
            call.sendJson(json, 200, objects.list(tenant.id(), endpoint, call.uri().getRawQuery()));
            return;
        }
        if (endpoint == Endpoint.BATCHES) {
            createBatch(call, caller, tenant);
            return;
        }
        ModelRouter.Target owned = endpoint.onOwnedObject() ? objects.target(tenant.id(), endpoint.ownedKind(), params.get("id")) : null;
        ProxyRequest read = read(call, endpoint, params);
        ModelRouter.Target target = owned != null ? owned : target(endpoint, read.model());
        checkAllowedModel(call, tenant, caller, read, target);
        boolean perUnit = endpoint.estimateKind() == Estimator.Kind.SPEECH
                || (endpoint.estimateKind() == Estimator.Kind.IMAGE && images.perImage(target.pricedAs()));
        ModelPrice price = read.json() == null || endpoint.free() ? null : perUnit ? perUnitPrice(target) : price(target, call);
        ProxyRequest req = withDefaultOutputCap(tenant, caller, read.withUpstreamModel(target.upstreamModel(), json), price);
        Estimate estimate = price == null ? Estimate.FREE : estimate(endpoint, target, req, price);
        RequestLabels labels = RequestLabels.of(call, req);
        List<WindowRef> windows = tenant.windowsFor(caller.keyId(), ledgerModel(req, target), labels.endUser(), clock.millis());
        checkPolicy(call, tenant, caller, req, target, labels, Estimator.requestedOutputTokens(endpoint.estimateKind(), read.json()),
                estimate, windows);
        boolean inBackground = runsInBackground(req);
        Reservation reservation = admit(call, tenant, caller, req, target, labels, estimate, windows,
                inBackground ? settings.backgroundHoldS() * 1000 : settings.reservationTimeoutS() * 1000);
        // From here the reservation is settled exactly once, whatever is thrown (or held, for a background response).
        UpstreamAttempt attempt = new UpstreamAttempt();
        Outcome outcome = null;
        boolean held = false;
        try {
            call.onAbort(attempt::abort);
            outcome = forward(call, endpoint, params, req, target, attempt, tenant);
            held = inBackground && holdBackground(target, reservation, outcome);
        } finally {
            if (outcome == null) outcome = Outcome.unexpected(attempt);
            // Billed per image or character: a success is settled at its reservation (known exactly), never by tokens.
            if (perUnit) outcome = outcome.withoutUsage();
            if (held) metrics.released();
            else settlement.settle(reservation, outcome, price);
        }
        if (endpoint == Endpoint.RESPONSE_GET) settleSeenResponse(tenant, params.get("id"), target, outcome);
        if (outcome.error() != null) throw outcome.error();
    }

    /**
     * A multipart upload: read until it can be priced, then admitted like any request and streamed on to the
     * upstream as the rest arrives ({@link Upload}). A per-minute transcription is settled at the seconds its answer
     * reports; a per-image edit at its reservation; a token-priced model from its usage.
     */
    private void handleUpload(HttpCall call, Endpoint endpoint, Caller caller, Tenant tenant) throws IOException {
        long declared = declaredLength(call);
        java.util.Set<String> pricedFields = endpoint == Endpoint.FILES ? java.util.Set.of()
                : endpoint.audioUpload() ? AUDIO_PRICED_FIELDS : IMAGE_PRICED_FIELDS;
        try (Upload upload = new Upload(call.uploadBody(), call.header("Content-Type"), declared, settings.maxUploadBytes(),
                settings.maxFormFieldBytes(), pricedFields)) {
            upload.readUntilPriceable();
            ProxyRequest req = uploadRequest(endpoint, upload.form());
            boolean free = endpoint == Endpoint.FILES;
            ModelRouter.Target target = free ? router.withoutModel(endpoint.shape()) : router.route(endpoint.shape(), req.model());
            checkAllowedModel(call, tenant, caller, req, target);
            boolean perUnit = !free && (endpoint.audioUpload() ? transcriptions.perMinute(target.pricedAs()) : images.perImage(target.pricedAs()));
            ModelPrice price = free ? null : perUnit ? perUnitPrice(target) : price(target, call);
            Estimate estimate = free ? Estimate.FREE : uploadEstimate(endpoint, target, upload, req, price);
            RequestLabels labels = RequestLabels.of(call, req);
            List<WindowRef> windows = tenant.windowsFor(caller.keyId(), ledgerModel(req, target), labels.endUser(), clock.millis());
            checkPolicy(call, tenant, caller, req, target, labels, null, estimate, windows);
            Reservation reservation = admit(call, tenant, caller, req, target, labels, estimate, windows);
            UpstreamAttempt attempt = new UpstreamAttempt();
            Outcome outcome = null;
            try {
                call.onAbort(attempt::abort);
                String renamed = free || req.model().equals(target.upstreamModel()) || !upload.form().spans().containsKey("model")
                        ? null : target.upstreamModel();
                outcome = forward(call, endpoint, Map.of(), req, target, tenant, () -> upstreams.get(target.provider().name())
                        .sendUpload(UpstreamPaths.of(endpoint, target, Map.of(), null), upload, renamed,
                                UpstreamPaths.headers(endpoint, call), call.requestId(), attempt));
            } finally {
                if (outcome == null) outcome = Outcome.unexpected(attempt);
                if (perUnit && endpoint.audioUpload() && outcome.status() == UsageEvent.Status.OK && outcome.audioSeconds() >= 0) {
                    settlement.settleAt(reservation, outcome, transcriptions.secondsCost(target.pricedAs(), outcome.audioSeconds()));
                } else {
                    settlement.settle(reservation, perUnit ? outcome.withoutUsage() : outcome, price);
                }
            }
            if (outcome.error() != null) throw outcome.error();
        } finally {
            call.uploadDone();
        }
    }

    /**
     * A batch over one of the tenant's files: its input read from the provider and every line estimated
     * ({@link io.budgetguard.deferred.BatchInput}), the batch reserved at that worst case for its completion window, and
     * the reservation held once the provider accepted it, to be settled by the worker that sees it finish
     * ({@link io.budgetguard.deferred.BatchSettlement}). A batch the provider refused is settled at 0; one whose answer
     * was lost or could not be recorded at its reservation, since it may run.
     */
    private void createBatch(HttpCall call, Caller caller, Tenant tenant) throws IOException {
        if (!call.hasJsonBody()) throw ApiException.invalidRequest("Content-Type must be application/json.");
        byte[] raw = call.readBody(settings.maxBodyBytes());
        com.fasterxml.jackson.databind.node.ObjectNode body = (com.fasterxml.jackson.databind.node.ObjectNode)
                io.budgetguard.http.JsonBounds.readObject(json, raw);
        String window = body.path("completion_window").asText("");
        if (!window.equals(BATCH_WINDOW)) throw ApiException.invalidRequest("'completion_window' must be '24h'.", "completion_window");
        String endpoint = body.path("endpoint").asText("");
        ModelRouter.Target fileAt = objects.target(tenant.id(), io.budgetguard.tenant.TenantObjects.FILE, body.path("input_file_id").asText(null));
        io.budgetguard.config.ProviderKind kind = fileAt.provider().kind();
        if (kind != io.budgetguard.config.ProviderKind.OPENAI && kind != io.budgetguard.config.ProviderKind.OPENAI_COMPATIBLE) {
            throw ApiException.invalidRequest("Batches go through BudgetGuard to OpenAI-shaped providers only.", "input_file_id");
        }
        io.budgetguard.deferred.BatchInput input;
        try {
            input = new io.budgetguard.deferred.BatchInput(json, estimator, m -> prices.lookup(fileAt.provider().priceList(), m),
                    endpoint, settings.maxBodyBytes());
        } catch (io.budgetguard.deferred.BatchRefused e) {
            throw ApiException.invalidRequest(e.getMessage(), "endpoint");
        }
        Estimate estimate = readBatchInput(call, fileAt, body.path("input_file_id").asText(), input);
        // The batch runs where its file is; it is recorded (and matched to model groups) by its first line's model.
        ModelRouter.Target target = new ModelRouter.Target(fileAt.provider(), input.model(), input.model());
        ProxyRequest req = new ProxyRequest(Endpoint.BATCHES, body, input.model(), false, false, false, raw);
        checkAllowedModel(call, tenant, caller, req, target);
        RequestLabels labels = RequestLabels.of(call, req);
        List<WindowRef> windows = tenant.windowsFor(caller.keyId(), input.model(), labels.endUser(), clock.millis());
        checkPolicy(call, tenant, caller, req, target, labels, null, estimate, windows);
        Reservation reservation = admit(call, tenant, caller, req, target, labels, estimate, windows,
                BATCH_WINDOW_MS + settings.reservationTimeoutS() * 1000);
        ModelPrice atEstimate = perUnitPrice(target);
        UpstreamAttempt attempt = new UpstreamAttempt();
        Outcome outcome = null;
        boolean held = false;
        try {
            call.onAbort(attempt::abort);
            outcome = forward(call, Endpoint.BATCHES, Map.of(), req, target, attempt, tenant);
            held = outcome.status() == UsageEvent.Status.OK && outcome.body() != null
                    && objects.holdBatch(tenant.id(), target.provider().name(), outcome.body(),
                    new io.budgetguard.deferred.HeldReservation(input.model(), reservation).encode());
        } catch (io.budgetguard.core.StoreUnavailableException e) {
            io.budgetguard.log.JsonLog.warn("batch_unrecorded", "tenant", tenant.id(), "request_id", call.requestId(), "error", e.getMessage());
        } finally {
            if (outcome == null) outcome = Outcome.unexpected(attempt);
            if (held) metrics.released();
            else settlement.settle(reservation, outcome.withoutUsage(), atEstimate);
        }
        if (outcome.error() != null) throw outcome.error();
    }

    static final String BATCH_WINDOW = "24h";
    static final long BATCH_WINDOW_MS = 24L * 3600 * 1000;

    /** Streams the batch's input file from its provider into the estimate; nothing is reserved yet. */
    private Estimate readBatchInput(HttpCall call, ModelRouter.Target fileAt, String fileId, io.budgetguard.deferred.BatchInput input) {
        String path = UpstreamPaths.of(Endpoint.FILE_CONTENT, fileAt, Map.of("id", fileId), null);
        UpstreamAttempt attempt = new UpstreamAttempt();
        call.onAbort(attempt::abort);
        Upstream.Response up;
        try {
            up = upstreams.get(fileAt.provider().name()).send("GET", path, null, UpstreamPaths.headers(Endpoint.FILE_CONTENT, call),
                    call.requestId(), attempt);
        } catch (UpstreamFailure f) {
            throw f.answer();
        }
        try {
            if (up.status() != 200) {
                throw ApiException.upstreamError("The provider answered " + up.status() + " when the batch's input file was read.");
            }
            long total = 0;
            for (List<java.nio.ByteBuffer> batch; (batch = up.body().next(fileAt.provider().idleTimeoutMs())) != null; ) {
                for (java.nio.ByteBuffer b : batch) {
                    total += b.remaining();
                    if (total > settings.maxBatchInputBytes()) {
                        throw ApiException.invalidRequest("The batch's input file is larger than " + settings.maxBatchInputBytes()
                                + " bytes (MAX_BATCH_INPUT_BYTES).", "input_file_id");
                    }
                    input.feed(b.array(), b.arrayOffset() + b.position(), b.remaining());
                }
            }
            return input.finish();
        } catch (io.budgetguard.deferred.BatchRefused e) {
            throw ApiException.invalidRequest(e.getMessage(), "input_file_id");
        } catch (IOException e) {
            throw ApiException.upstreamError("The batch's input file could not be read from the provider.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.upstreamTimeout("The batch's input file was not read in time.");
        } finally {
            up.body().cancel();
        }
    }

    private static long declaredLength(HttpCall call) {
        String declared = call.header("Content-Length");
        if (declared == null) return -1;
        try {
            long n = Long.parseLong(declared.trim());
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw ApiException.invalidRequest("Content-Length is not a number.");
        }
    }

    /** The fields an upload's price depends on: they must arrive before its files stream. */
    private static final java.util.Set<String> AUDIO_PRICED_FIELDS = java.util.Set.of("model", "prompt", "stream");
    private static final java.util.Set<String> IMAGE_PRICED_FIELDS = java.util.Set.of("model", "n", "size", "quality", "prompt",
            "input_fidelity", "stream");
    /** OpenAI's model for edits and variations when the form names none. */
    static final String DEFAULT_IMAGE_MODEL = "dall-e-2";

    /** The upload's text fields as a request body (for the policy and the end user), {@code n} as a number. */
    private ProxyRequest uploadRequest(Endpoint endpoint, MultipartForm form) {
        com.fasterxml.jackson.databind.node.ObjectNode body = json.createObjectNode();
        form.fields().forEach(body::put);
        String n = form.fields().get("n");
        if (n != null && n.matches("[0-9]{1,3}")) body.put("n", Integer.parseInt(n));
        String model = form.fields().get("model");
        if (endpoint == Endpoint.FILES) return new ProxyRequest(endpoint, body, null, false, false, false, null);
        if (model == null && !endpoint.audioUpload()) model = DEFAULT_IMAGE_MODEL;
        if (model == null || model.isBlank()) throw ApiException.invalidRequest("You must provide a model parameter.", "model");
        io.budgetguard.http.Identifier.require(model, "model", ProxyRequest.MAX_MODEL_CHARS);
        for (String field : ProxyRequest.END_USER_FIELDS) {
            String v = form.fields().get(field);
            if (v != null) io.budgetguard.http.Identifier.require(v, field, ProxyRequest.MAX_END_USER_CHARS);
        }
        boolean stream = endpoint == Endpoint.AUDIO_TRANSCRIPTIONS && "true".equals(form.fields().get("stream"));
        return new ProxyRequest(endpoint, body, model, stream, false, false, null);
    }

    /** Audio at the longest the upload can last; images per output image (and, for token models, per input image). */
    private Estimate uploadEstimate(Endpoint endpoint, ModelRouter.Target target, Upload upload, ProxyRequest req, ModelPrice price) {
        List<MultipartForm.FilePart> files = upload.form().files();
        try {
            if (endpoint.audioUpload()) {
                MultipartForm.FilePart audio = files.stream().filter(f -> f.field.equals("file")).findFirst().orElseThrow(
                        () -> ApiException.invalidRequest("You must provide an audio 'file'.", "file"));
                long seconds = io.budgetguard.pricing.AudioLength.worstSeconds(upload.sizeBytes(), audio.head.toByteArray(),
                        transcriptions.lowestBytesPerSecond());
                return transcriptions.estimate(target.pricedAs(), seconds, req.json().path("prompt").asText(""),
                        transcriptions.perMinute(target.pricedAs()) ? null : price);
            }
            if ("true".equals(upload.form().fields().get("stream"))) {
                throw ApiException.invalidRequest("Streamed image edits (partial images) do not go through BudgetGuard yet; "
                        + "leave 'stream' unset.", "stream");
            }
            int inputs = (int) files.stream().filter(f -> f.field.equals("image") || f.field.equals("image[]")).count();
            if (inputs == 0) throw ApiException.invalidRequest("You must provide an 'image' file.", "image");
            return images.estimate(target.pricedAs(), req.json(), price, endpoint == Endpoint.IMAGES_EDITS ? inputs : 0);
        } catch (io.budgetguard.pricing.Unpriced e) {
            throw ApiException.invalidRequest(e.getMessage(), e.field());
        }
    }

    /** A Responses API request run in the background (not streamed): answered at once, billed when it ends. */
    private static boolean runsInBackground(ProxyRequest req) {
        return req.endpoint() == Endpoint.RESPONSES && !req.stream() && req.json() != null && req.json().path("background").asBoolean(false);
    }

    /** Holds a background response's reservation once the provider accepted it and it has not already ended. */
    private boolean holdBackground(ModelRouter.Target target, Reservation reservation, Outcome outcome) {
        if (outcome.status() != UsageEvent.Status.OK || outcome.body() == null) return false;
        try {
            JsonNode r = json.readTree(outcome.body());
            if (io.budgetguard.deferred.BackgroundResponses.ended(r.path("status").asText(null))) return false;
            return objects.holdResponse(r.path("id").asText(null),
                    new io.budgetguard.deferred.HeldReservation(target.pricedAs(), reservation).encode());
        } catch (IOException | io.budgetguard.core.StoreUnavailableException e) {
            io.budgetguard.log.JsonLog.warn("background_unheld", "request_id", reservation.id(), "error", e.toString());
            return false;
        }
    }

    /** A tenant's retrieve that sees its background response ended settles the reservation it held (once). */
    private void settleSeenResponse(Tenant tenant, String responseId, ModelRouter.Target target, Outcome outcome) {
        if (outcome.status() != UsageEvent.Status.OK || outcome.body() == null) return;
        try {
            java.util.Optional<io.budgetguard.deferred.HeldReservation> held = background.held(tenant.id(), responseId);
            if (held.isPresent()) background.settleFrom(responseId, held.get(), target.provider().priceList(), json.readTree(outcome.body()));
        } catch (IOException | RuntimeException e) {
            // The duty's own poll settles it; the client has its answer either way.
            io.budgetguard.log.JsonLog.warn("background_settle_deferred", "response", responseId, "error", e.toString());
        }
    }

    /**
     * A request that sets no output limit gets the tenant's default output cap (else the global one), at most the
     * model's own cap, set on the upstream request in the model's parameter, so the reservation is exactly that. The
     * legacy completions API is left alone: without max_tokens it generates 16 tokens.
     */
    private ProxyRequest withDefaultOutputCap(Tenant tenant, Caller caller, ProxyRequest req, ModelPrice price) {
        if (price == null || req.json() == null) return req;
        Long keyCap = caller.controls().defaultMaxOutputTokens();
        long cap = keyCap != null ? keyCap
                : tenant.defaultMaxOutputTokens() != null ? tenant.defaultMaxOutputTokens() : settings.defaultMaxOutputTokens();
        if (cap <= 0) return req;
        Estimator.Kind kind = req.endpoint().estimateKind();
        String field = switch (kind) {
            case CHAT -> "max_completion_tokens";
            case RESPONSE -> "max_output_tokens";
            // Anthropic requires max_tokens; Gemini's limit sits in generationConfig: their model caps are reserved.
            case COMPLETION, EMBEDDING, MESSAGES, GENERATE, IMAGE, SPEECH -> null;
        };
        if (field == null || Estimator.requestedOutputTokens(kind, req.json()) != null) return req;
        return req.withOutputLimit(field, Math.min(cap, price.maxOutputTokens()), json);
    }

    /**
     * A key limited to some models (or model groups) may call only those: 403 otherwise, before anything is reserved.
     * A model counts by the name the client used, the id sent upstream, or its price entry; a group by its members.
     */
    private void checkAllowedModel(HttpCall call, Tenant tenant, Caller caller, ProxyRequest req, ModelRouter.Target t) {
        checkAllowedModel(call::outcome, tenant, caller, req.model(), t);
    }

    void checkAllowedModel(java.util.function.Consumer<String> outcome, Tenant tenant, Caller caller, String model, ModelRouter.Target t) {
        java.util.Set<String> allowed = caller.controls().allowedModels();
        if (allowed.isEmpty() || model == null) return;
        if (allowed.contains(model) || allowed.contains(t.upstreamModel()) || allowed.contains(t.pricedAs())) return;
        for (Tenant.ModelGroup g : tenant.modelGroups()) {
            if (allowed.contains(g.name()) && g.scope().matches(caller.keyId(), t.upstreamModel(), null)) return;
        }
        outcome.accept("model_not_allowed");
        refusals.record(tenant.id(), caller.keyId(), 403, "model_not_allowed", t.provider().name(), t.upstreamModel(), 0, clock.millis());
        throw new ApiException(403, "permission_error", "model_not_allowed", "This API key may not call the model '"
                + model + "'; it may call: " + String.join(", ", new java.util.TreeSet<>(allowed)) + ".", "model", Map.of());
    }

    /** Denied: 403 with the policy's reasons, recorded for audit; nothing is reserved or forwarded. */
    private void checkPolicy(HttpCall call, Tenant tenant, Caller caller, ProxyRequest req, ModelRouter.Target target,
                             RequestLabels labels, Long clientMaxTokens, Estimate estimate, List<WindowRef> windows) {
        checkPolicy(call.requestId(), call::outcome, tenant, caller, req, target, labels, clientMaxTokens, estimate, windows);
    }

    void checkPolicy(String requestId, java.util.function.Consumer<String> outcome, Tenant tenant, Caller caller, ProxyRequest req,
                     ModelRouter.Target target, RequestLabels labels, Long clientMaxTokens, Estimate estimate, List<WindowRef> windows) {
        PolicyEngine.Loaded active = policy.loaded();
        if (active == null) return;
        java.time.Instant now = clock.instant();
        PolicyInput.Request r = new PolicyInput.Request(req.endpoint().ledgerName(), target.provider().name(),
                req.json() == null ? null : req.model(),
                req.stream(), clientMaxTokens, estimate.maxOutputTokens(), estimate.promptTokens(), estimate.costMicroUsd(), req.json(),
                labels.endUser(), labels.tagMap());
        // The budgets' usage is a store read (a Redis round trip in production): only for a policy that reads it.
        List<io.budgetguard.budget.WindowUsage> usage = active.reads("tenant", "budgets")
                ? counters.usage(tenant.id(), windows, now.toEpochMilli()) : List.of();
        long t0 = System.nanoTime();
        PolicyDecision d = active.evaluate(policyInput.tree(tenant.id(), tenant.rateLimitPerMin(), usage, caller.keyId(),
                caller.keyName(), r, now, active));
        metrics.policy.observeNanos(System.nanoTime() - t0);
        if (d.allow()) return;
        denials.record(requestId, tenant.id(), caller.keyId(), r.endpoint(), r.model(), d.reasons(), active.revision(), now);
        refusals.record(tenant.id(), caller.keyId(), 403, "policy_denied", r.provider(), ledgerModel(req, target),
                estimate.costMicroUsd(), now.toEpochMilli());
        outcome.accept("policy_denied");
        throw new ApiException(403, "permission_error", "policy_denied",
                "Request denied by policy: " + String.join("; ", d.reasons()), null, Map.of());
    }

    private Reservation admit(HttpCall call, Tenant tenant, Caller caller, ProxyRequest req, ModelRouter.Target target,
                              RequestLabels labels, Estimate estimate, List<WindowRef> windows) {
        return admit(call, tenant, caller, req, target, labels, estimate, windows, settings.reservationTimeoutS() * 1000);
    }

    /** {@code holdMs}: how long the reservation may stay unsettled before the expiry settles it at its estimate. */
    private Reservation admit(HttpCall call, Tenant tenant, Caller caller, ProxyRequest req, ModelRouter.Target target,
                              RequestLabels labels, Estimate estimate, List<WindowRef> windows, long holdMs) {
        long now = clock.millis();
        Reservation proposed = new Reservation(call.requestId(), tenant.id(), caller.keyId(), req.endpoint().ledgerName(),
                target.provider().name(), ledgerModel(req, target),
                estimate.costMicroUsd(), now,
                now + holdMs, windows, labels.endUser(), labels.tags(),
                Math.addExact(estimate.promptTokens(), estimate.maxOutputTokens()));
        Admission a = tryAdmit(proposed, tenant, caller);
        switch (a) {
            case Admission.RateLimited r -> {
                if (r.tokens()) tokenHeaders(call, r.rate());
                else rateHeaders(call, r.rate());
            }
            case Admission.OverBudget o -> rateHeaders(call, o.rate());
            case Admission.Admitted ok -> {
                rateHeaders(call, ok.rate());
                if (ok.tokens() != null) tokenHeaders(call, ok.tokens());
            }
        }
        return journaled(proposed, a, tenant, caller, estimate, call::outcome);
    }

    /** One atomic admission of a proposed reservation over every limit and window of its tenant and key. */
    Admission tryAdmit(Reservation proposed, Tenant tenant, Caller caller) {
        long t0 = System.nanoTime();
        Integer keyRate = caller.controls().rateLimitPerMin();
        Long tenantTokens = tenant.tokensPerMin();
        Long keyTokens = caller.controls().tokensPerMin();
        io.budgetguard.budget.RateLimits limits = new io.budgetguard.budget.RateLimits(tenant.rateLimitPerMin(),
                keyRate == null ? 0 : keyRate, tenantTokens == null ? 0 : tenantTokens, keyTokens == null ? 0 : keyTokens);
        Admission a = counters.admit(proposed, limits, proposed.createdMs());
        metrics.admission.observeNanos(System.nanoTime() - t0);
        return a;
    }

    /**
     * A refused admission recorded and thrown (429 or 402); an admitted one journaled before anything is sent (its
     * reservation released again if the journal cannot be written).
     */
    Reservation journaled(Reservation proposed, Admission a, Tenant tenant, Caller caller, Estimate estimate,
                          java.util.function.Consumer<String> outcome) {
        long now = proposed.createdMs();
        switch (a) {
            case Admission.RateLimited r -> {
                outcome.accept("rate_limited");
                refusals.record(tenant.id(), caller.keyId(), 429, r.tokens() ? "tokens_per_min" : "requests_per_min",
                        proposed.provider(), proposed.model(), estimate.costMicroUsd(), now);
                throw Refusals.rateLimited(tenant, caller.keyId(), r);
            }
            case Admission.OverBudget o -> {
                outcome.accept("over_budget");
                refusals.record(tenant.id(), caller.keyId(), 402, "over_budget", proposed.provider(), proposed.model(),
                        estimate.costMicroUsd(), now);
                throw Refusals.overBudget(o, estimate);
            }
            case Admission.Admitted ok -> metrics.reserved();
        }
        try {
            ledger.journal(proposed);
        } catch (RuntimeException e) {
            counters.settle(proposed, 0, clock.millis());
            metrics.released();
            throw e;
        }
        return proposed;
    }

    private Outcome forward(HttpCall call, Endpoint endpoint, Map<String, String> params, ProxyRequest req,
                            ModelRouter.Target target, UpstreamAttempt attempt, Tenant tenant) {
        return forward(call, endpoint, params, req, target, tenant, () -> {
            String path = UpstreamPaths.of(endpoint, target, params, call.uri().getRawQuery());
            byte[] body = endpoint == Endpoint.RESPONSE_CANCEL || endpoint == Endpoint.BATCH_CANCEL ? new byte[0] : req.upstreamBody();
            return upstreams.get(target.provider().name()).send(endpoint.method(), path, body,
                    UpstreamPaths.headers(endpoint, call), call.requestId(), attempt);
        });
    }

    /** The one trip to the upstream: a buffered body, or an upload streamed from the client. */
    @FunctionalInterface
    private interface Sending {
        Upstream.Response send() throws UpstreamFailure, Upload.Broken;
    }

    private Outcome forward(HttpCall call, Endpoint endpoint, Map<String, String> params, ProxyRequest req,
                            ModelRouter.Target target, Tenant tenant, Sending sending) {
        Upstream.Response up;
        long t0 = System.nanoTime();
        try {
            up = sending.send();
        } catch (UpstreamFailure f) {
            if (f.requestWritten()) metrics.upstreamFailedAfterSend();
            ApiException answer = call.deadlinePassed() ? ApiException.upstreamTimeout(
                    "The request passed its deadline of " + settings.requestDeadlineMs() + " ms.") : f.answer();
            // Written bytes may have reached OpenAI, which may bill them; a refused connection did not.
            return new Outcome(UsageEvent.Status.UPSTREAM_ERROR, null, null, f.requestWritten(), answer);
        } catch (Upload.Broken b) {
            // The form never reached the upstream whole, so it cannot have been processed or billed.
            call.outcome("upload_refused");
            return new Outcome(UsageEvent.Status.CLIENT_ABORT, null, null, false, b.answer);
        }
        metrics.upstream.observeNanos(System.nanoTime() - t0);
        ResponseRelay.Result r;
        try {
            r = relay.relay(call, up, req, target.provider().idleTimeoutMs(),
                    endpoint.describesObject() || endpoint == Endpoint.RESPONSE_GET || endpoint == Endpoint.BATCH || runsInBackground(req));
        } catch (InterruptedException e) {
            up.body().cancel();
            Thread.currentThread().interrupt();
            r = new ResponseRelay.Result(ResponseRelay.End.CLIENT_GONE, null);
        } catch (RuntimeException | Error e) {
            up.body().cancel();
            throw e;
        }
        UsageEvent.Status status = switch (r.end()) {
            // The deadline cuts the upstream and the client at once; whichever failure the relay met first, it was
            // the deadline, not the client, that ended the call.
            case CLIENT_GONE -> call.deadlinePassed() ? UsageEvent.Status.UPSTREAM_ERROR : UsageEvent.Status.CLIENT_ABORT;
            case UPSTREAM_FAILED -> UsageEvent.Status.UPSTREAM_ERROR;
            case COMPLETE -> up.status() < 400 ? UsageEvent.Status.OK : UsageEvent.Status.UPSTREAM_ERROR;
        };
        // A body cut short (by the upstream, or by the deadline) must not end as if complete: drop the client.
        if (r.end() != ResponseRelay.End.COMPLETE) call.abort();
        if (up.status() < 400) objects.keep(endpoint, tenant.id(), target.provider().name(), params, r);
        call.outcome(status.sql());
        // OpenAI does not bill its own errors; anything that may have generated (a success without usage, a cut
        // stream) is billable.
        return new Outcome(status, up.status(), r.usage(), up.status() < 400, null, r.audioSeconds(), r.body());
    }


    /** OpenAI's token headers, when a tokens-per-minute limit applies. */
    private static void tokenHeaders(HttpCall call, RateState tokens) {
        call.responseHeaders().set("x-ratelimit-limit-tokens", Integer.toString(tokens.limit()));
        call.responseHeaders().set("x-ratelimit-remaining-tokens", Integer.toString(Math.max(0, tokens.remaining())));
        call.responseHeaders().set("x-ratelimit-reset-tokens", Math.max(1, (tokens.resetMs() + 999) / 1000) + "s");
    }

    private static void rateHeaders(HttpCall call, RateState rate) {
        call.responseHeaders().set("x-ratelimit-limit-requests", Integer.toString(rate.limit()));
        call.responseHeaders().set("x-ratelimit-remaining-requests", Integer.toString(Math.max(0, rate.remaining())));
        call.responseHeaders().set("x-ratelimit-reset-requests", Math.max(1, (rate.resetMs() + 999) / 1000) + "s");
    }

    /**
     * Where a request goes: the provider of its model (named in the body, or in the path for Gemini and Azure
     * deployments), else the one that takes OpenAI-shaped requests without a model (moderations, the model list).
     */
    private ModelRouter.Target target(Endpoint endpoint, String model) {
        return model != null && endpoint.hasBody() ? router.route(endpoint.shape(), model) : router.withoutModel(endpoint.shape());
    }

    private ProxyRequest read(HttpCall call, Endpoint endpoint, Map<String, String> params) throws IOException {
        if (!endpoint.hasBody()) return ProxyRequest.withoutBody(endpoint, params.get("model"));
        if (!call.hasJsonBody()) {
            throw ApiException.invalidRequest("Content-Type must be application/json.");
        }
        String pathModel = endpoint.pathModelParameter() == null ? null : params.get(endpoint.pathModelParameter());
        return ProxyRequest.parse(endpoint, call.readBody(settings.maxBodyBytes()), json, pathModel,
                model -> target(endpoint, model).provider().injectStreamUsage());
    }

    /** The worst case of a request: images and speech by their own price lists, everything else by its tokens. */
    private Estimate estimate(Endpoint endpoint, ModelRouter.Target target, ProxyRequest req, ModelPrice price) {
        Estimator.Kind kind = endpoint.estimateKind();
        if (kind != Estimator.Kind.IMAGE && kind != Estimator.Kind.SPEECH) return estimator.estimate(kind, req.json(), price);
        if (kind == Estimator.Kind.IMAGE && req.json().path("stream").asBoolean(false)) {
            throw ApiException.invalidRequest("Streamed image generation (partial images) does not go through BudgetGuard yet; "
                    + "leave 'stream' unset.", "stream");
        }
        JsonNode format = req.json().get("stream_format");
        if (kind == Estimator.Kind.SPEECH && format != null && !format.isNull() && !"audio".equals(format.asText())) {
            throw ApiException.invalidRequest("Speech as server-sent events does not go through BudgetGuard yet; leave "
                    + "'stream_format' unset or 'audio'.", "stream_format");
        }
        try {
            return kind == Estimator.Kind.IMAGE ? images.estimate(target.pricedAs(), req.json(), price)
                    : speech.estimate(target.pricedAs(), req.json());
        } catch (io.budgetguard.pricing.Unpriced e) {
            throw ApiException.invalidRequest(e.getMessage(), e.field());
        }
    }

    /** A model billed per image or character has no token rates: its cost is its estimate, charged on success. */
    private static ModelPrice perUnitPrice(ModelRouter.Target target) {
        return new ModelPrice(target.pricedAs(), 0, 0, 0, 0, ModelPrice.UTF8_BYTES, 0, 0);
    }

    /** The model's price in its provider's list; Anthropic's one-million-token context beta widens the window. */
    private ModelPrice price(ModelRouter.Target target, HttpCall call) {
        ModelPrice price = prices.lookup(target.provider().priceList(), target.pricedAs()).orElseThrow(() -> ApiException.invalidRequest(
                "The model '" + target.pricedAs() + "' has no price in BudgetGuard's price table, so its cost cannot be "
                        + "capped. Add it with PRICES_PATH, or set DEFAULT_PRICE.", "model"));
        String beta = call.header("anthropic-beta");
        if (beta != null && beta.contains("context-1m")) price = price.withContextWindow(ANTHROPIC_LONG_CONTEXT_TOKENS);
        return price;
    }

    /** The model a request is recorded (and matched to model groups) by: the id sent upstream; null for listings. */
    private static String ledgerModel(ProxyRequest req, ModelRouter.Target target) {
        return req.json() == null || req.model() == null ? null : target.upstreamModel();
    }

    /** Anthropic's long-context beta: prompts up to one million tokens, whatever the model's listed window. */
    static final long ANTHROPIC_LONG_CONTEXT_TOKENS = 1_000_000;
}
