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
  checked_at   TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (usage_day, provider, project, model)
);

-- H2 names an inline CHECK itself, so the table is rebuilt with the wider kind check (alert_deliveries is a small log).
CREATE TABLE alert_deliveries_v2 (
  tenant_id       VARCHAR(64)   NOT NULL,
  window_id       VARCHAR(64)   NOT NULL,
  kind            VARCHAR(16)   NOT NULL CHECK (kind IN ('threshold', 'forecast', 'reconcile')),
  threshold_pct   INTEGER       NOT NULL,
  message         VARCHAR(2000) NOT NULL,
  destination     VARCHAR(2600) NOT NULL,
  status          VARCHAR(16)   NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts        INTEGER       NOT NULL,
  next_attempt_at TIMESTAMP WITH TIME ZONE NOT NULL,
  created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
  sent_at         TIMESTAMP WITH TIME ZONE,
  channel         VARCHAR(8)    DEFAULT 'webhook' NOT NULL CHECK (channel IN ('webhook', 'email')),
  PRIMARY KEY (tenant_id, window_id, kind, threshold_pct, channel)
);
INSERT INTO alert_deliveries_v2 (tenant_id, window_id, kind, threshold_pct, message, destination, status, attempts,
  next_attempt_at, created_at, sent_at, channel)
SELECT tenant_id, window_id, kind, threshold_pct, message, destination, status, attempts, next_attempt_at, created_at,
  sent_at, channel FROM alert_deliveries;
DROP TABLE alert_deliveries;
ALTER TABLE alert_deliveries_v2 RENAME TO alert_deliveries;
CREATE INDEX alert_deliveries_due ON alert_deliveries (status, next_attempt_at);
