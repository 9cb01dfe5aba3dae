package io.budgetguard.testing;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * One gateway prepared for the official SDKs' compatibility runs: tenants for success, a budget refusal and a
 * rate limit, a policy that denies some models, and a clock the SDK script can move forward.
 */
public final class SdkFixture implements AutoCloseable {
    public final FakeOpenAI upstream;
    public final TestGateway gateway;
    public final ShiftableClock clock = new ShiftableClock();
    public final Map<String, String> env = new HashMap<>();

    public SdkFixture() throws Exception {
        upstream = new FakeOpenAI();
        upstream.onAdvanceClock(clock::advance);
        Path dir = Files.createTempDirectory("sdk-policy");
        Path data = dir.resolve("data.json");
        Files.writeString(data, """
                {"budgetguard_config": {"defaults": {"max_tokens": 32768}, "tenants": {
                  "sdk": {"models": ["gpt-4o-mini", "gpt-4o", "gpt-3.5-turbo-instruct", "text-embedding-3-small", "gpt-5", "o4-mini"]}}}}
                """);
        Path bundle = Opa.build(dir.resolve("bundle.tar.gz"), "sdk", Path.of("policy/budgetguard.rego"), data);
        gateway = TestGateway.start(upstream, Map.of("OPA_POLICY_PATH", bundle.toString()), clock);
        env.put("BASE_URL", gateway.url("/v1"));
        env.put("CONTROL_URL", upstream.baseUrl() + "/_test/advance-clock");
        env.put("KEY_OK", tenant("sdk", 1_000, "10"));
        env.put("KEY_BROKE", tenant("sdk-broke", 1_000, "0.000001"));
        env.put("KEY_LIMITED", tenant("sdk-limited", 2, "10"));
    }

    private String tenant(String id, int ratePerMin, String budgetUsd) throws IOException, InterruptedException {
        HttpResponse<String> r = gateway.admin("POST", "/admin/tenant", "{\"id\":\"" + id + "\",\"rate_limit_per_min\":" + ratePerMin
                + ",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":" + budgetUsd + "}]}");
        if (r.statusCode() != 201) throw new IllegalStateException(r.body());
        return gateway.newKey(id);
    }

    /** Every upstream call has exactly one ledger row, and the upstream never saw a tenant key. */
    public void assertLedgerMatchesUpstream() throws Exception {
        long rows = gateway.sqlLong("SELECT COUNT(*) FROM usage_ledger");
        if (rows != upstream.calls()) throw new AssertionError("ledger rows " + rows + " != upstream calls " + upstream.calls());
        for (FakeOpenAI.Received r : upstream.received()) {
            if (!("Bearer " + TestGateway.UPSTREAM_KEY).equals(r.header("authorization"))) {
                throw new AssertionError("upstream saw authorization " + r.header("authorization"));
            }
        }
    }

    @Override
    public void close() {
        gateway.close();
        upstream.close();
    }
}
