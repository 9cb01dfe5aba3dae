package io.budgetguard.budget;

import io.budgetguard.ledger.Ledger;

class EmbeddedCountersTest extends SpendCountersContract {
    @Override
    SpendCounters create(Ledger ledger) {
        return new EmbeddedCounters(ledger, 3_600_000);
    }

    @Override
    SpendCounters restart(Ledger ledger) {
        counters.close();
        return create(ledger);
    }
}
