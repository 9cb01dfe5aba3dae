-- Stripe showback: which Stripe customer a tenant's spend is reported to (the tenant's own, or per API key or end
-- user), and per tenant the last ledger chain number reported as a meter event (the watermark a restart resumes at).
CREATE TABLE stripe_customers (
  tenant_id   VARCHAR(64)  NOT NULL REFERENCES tenants (id),
  scope       VARCHAR(8)   NOT NULL CHECK (scope IN ('tenant', 'key', 'user')),
  scope_value VARCHAR(256) NOT NULL,
  customer_id VARCHAR(255) NOT NULL,
  PRIMARY KEY (tenant_id, scope, scope_value)
);

CREATE TABLE stripe_watermarks (
  tenant_id       VARCHAR(64) PRIMARY KEY,
  reported_seq    BIGINT      NOT NULL CHECK (reported_seq >= 0),
  events_sent     BIGINT      NOT NULL,
  rows_skipped    BIGINT      NOT NULL,
  attempts        INTEGER     NOT NULL,
  next_attempt_at TIMESTAMPTZ NOT NULL,
  updated_at      TIMESTAMPTZ NOT NULL
);
