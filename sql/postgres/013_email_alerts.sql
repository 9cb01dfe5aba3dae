-- Budget alerts by email as well as by webhook: a tenant's own recipients, and a delivery per channel, so the
-- email and the webhook of one threshold are each sent once and retried on their own.
ALTER TABLE tenant_alerts ADD COLUMN email_to VARCHAR(2600);
ALTER TABLE alert_deliveries ADD COLUMN channel VARCHAR(8) NOT NULL DEFAULT 'webhook'
  CONSTRAINT alert_deliveries_channel CHECK (channel IN ('webhook', 'email'));
ALTER TABLE alert_deliveries RENAME COLUMN webhook_url TO destination;
ALTER TABLE alert_deliveries ALTER COLUMN destination TYPE VARCHAR(2600);
ALTER TABLE alert_deliveries DROP CONSTRAINT alert_deliveries_pkey;
ALTER TABLE alert_deliveries ADD PRIMARY KEY (tenant_id, window_id, kind, threshold_pct, channel);
