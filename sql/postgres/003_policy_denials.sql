-- Requests the Rego policy denied, for audit: who, when, what and why. They never reached the upstream and
-- changed no spend, so they are not in usage_ledger.
CREATE TABLE policy_denials (
  request_id VARCHAR(64)   PRIMARY KEY,
  tenant_id  VARCHAR(64)   NOT NULL,
  api_key_id VARCHAR(40)   NOT NULL,
  endpoint   VARCHAR(64)   NOT NULL,
  model      VARCHAR(256),
  reasons    VARCHAR(4000) NOT NULL,
  revision   VARCHAR(128),
  denied_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX policy_denials_tenant_time ON policy_denials (tenant_id, denied_at);
