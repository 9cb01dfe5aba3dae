-- Budget alerts by email as well as by webhook: a tenant's own recipients, and a delivery per channel, so the
-- email and the webhook of one threshold are each sent once and retried on their own.
ALTER TABLE tenant_alerts ADD COLUMN email_to VARCHAR(2600);
ALTER TABLE alert_deliveries ADD COLUMN channel VARCHAR(8) DEFAULT 'webhook' NOT NULL;
ALTER TABLE alert_deliveries ADD CONSTRAINT alert_deliveries_channel CHECK (channel IN ('webhook', 'email'));
ALTER TABLE alert_deliveries ALTER COLUMN webhook_url RENAME TO destination;
ALTER TABLE alert_deliveries ALTER COLUMN destination VARCHAR(2600) NOT NULL;
ALTER TABLE alert_deliveries DROP PRIMARY KEY;
ALTER TABLE alert_deliveries ADD PRIMARY KEY (tenant_id, window_id, kind, threshold_pct, channel);
