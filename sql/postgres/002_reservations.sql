-- Reservations in flight, used when counters are in-process: written before a request is forwarded and removed in the same
-- transaction that writes its ledger row. Rows left by a process that died become 'expired' ledger rows at
-- their estimate when the gateway starts again, so no upstream call is ever missing from the ledger.
CREATE TABLE reservations (
  request_id         VARCHAR(64)    PRIMARY KEY,
  tenant_id          VARCHAR(64)    NOT NULL,
  api_key_id         VARCHAR(40)    NOT NULL,
  endpoint           VARCHAR(64)    NOT NULL,
  model              VARCHAR(256),
  estimated_cost_usd NUMERIC(20, 6) NOT NULL,
  started_at         TIMESTAMPTZ NOT NULL
);
