package io.budgetguard.admin;

import io.budgetguard.auth.KeyMaterial;
import io.budgetguard.config.Settings;
import io.budgetguard.tenant.ApiKey;
import io.budgetguard.tenant.Tenant;
import io.budgetguard.tenant.TenantStore;
import java.io.PrintStream;
import java.time.Clock;

/**
 * {@code seed}: the demo tenant (created once, with the default budgets) and a fresh key for it, printed once; and,
 * when there is no admin key yet (neither ADMIN_API_KEY nor one seed made), an admin key, printed once.
 */
public final class Seed {
    public static final String DEMO_TENANT = "demo";

    private Seed() {}

    public static void run(Settings s, TenantStore tenants, AdminKeys adminKeys, Clock clock, PrintStream out) {
        boolean created = tenants.create(new Tenant(DEMO_TENANT, "Demo tenant", s.maxReqsPerMin(), clock.instant(),
                s.defaultBudgets()));
        String key = KeyMaterial.newKey();
        ApiKey record = new ApiKey(KeyMaterial.newKeyId(), DEMO_TENANT, "seed", KeyMaterial.displayPrefix(key),
                clock.instant(), null);
        tenants.insertKey(record, KeyMaterial.hash(key));
        out.println(created ? "Created tenant 'demo' with budgets " + s.defaultBudgets().stream()
                .map(b -> b.period().name() + " $" + io.budgetguard.core.Money.usd(b.limitMicroUsd()).stripTrailingZeros().toPlainString())
                .toList() + "." : "Tenant 'demo' already exists; issued it a new key.");
        out.println("API key for tenant 'demo' (shown once, stored only as a hash):");
        out.println(key);
        if (s.adminEnabled() || adminKeys.any()) return; // an admin key exists: seed never makes a second one
        String admin = adminKeys.create(clock.instant());
        out.println("Admin API key, header X-Admin-Key (shown once, stored only as a hash; ADMIN_API_KEY works beside it):");
        out.println(admin);
    }
}
