-- Budget alerts: per-tenant thresholds and webhook, and one delivery row per (tenant, window, kind, threshold)
-- so an alert is sent once per window, survives restarts, and is retried with backoff until delivered.
CREATE TABLE tenant_alerts (
  tenant_id      VARCHAR(64)   PRIMARY KEY REFERENCES tenants (id),
  thresholds_pct VARCHAR(64)   NOT NULL,
  webhook_url    VARCHAR(2048)
);

CREATE TABLE alert_deliveries (
  tenant_id       VARCHAR(64)   NOT NULL,
  window_id       VARCHAR(64)   NOT NULL,
  kind            VARCHAR(16)   NOT NULL CHECK (kind IN ('threshold', 'forecast')),
  threshold_pct   INTEGER       NOT NULL,
  message         VARCHAR(2000) NOT NULL,
  webhook_url     VARCHAR(2048) NOT NULL,
  status          VARCHAR(16)   NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts        INTEGER       NOT NULL,
  next_attempt_at TIMESTAMPTZ NOT NULL,
  created_at      TIMESTAMPTZ NOT NULL,
  sent_at         TIMESTAMPTZ,
  PRIMARY KEY (tenant_id, window_id, kind, threshold_pct)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (status, next_attempt_at);
