-- Reconciliation with the providers' own cost reports: per UTC day, provider, project and model, what the ledger
-- recorded and what the provider billed, as of the last check (a derived report: rows are replaced per checked day).
-- Alerts for a day that disagrees go through alert_deliveries under the new kind 'reconcile'.
CREATE TABLE reconciliation (
  usage_day    VARCHAR(10)    NOT NULL,
  provider     VARCHAR(64)    NOT NULL,
  project      VARCHAR(128)   NOT NULL,
  model        VARCHAR(256)   NOT NULL,
  ledger_usd   NUMERIC(20, 6) NOT NULL,
  provider_usd NUMERIC(20, 6) NOT NULL,
  checked_at   TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (usage_day, provider, project, model)
);
ALTER TABLE alert_deliveries DROP CONSTRAINT alert_deliveries_kind_check;
ALTER TABLE alert_deliveries ADD CONSTRAINT alert_deliveries_kind_check CHECK (kind IN ('threshold', 'forecast', 'reconcile'));
