-- BudgetGuard schema, H2 dialect (embedded default). Postgres has its own folder: the append-only
-- trigger is a Java class here and PL/pgSQL there; everything else mirrors sql/postgres/.

CREATE TABLE tenants (
  id                 VARCHAR(64)  PRIMARY KEY,
  name               VARCHAR(200) NOT NULL,
  rate_limit_per_min INTEGER      NOT NULL CHECK (rate_limit_per_min > 0),
  created_at         TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at         TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE api_keys (
  id         VARCHAR(40)  PRIMARY KEY,
  tenant_id  VARCHAR(64)  NOT NULL REFERENCES tenants (id),
  name       VARCHAR(200) NOT NULL,
  prefix     VARCHAR(16)  NOT NULL,
  key_hash   CHAR(64)     NOT NULL UNIQUE,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  revoked_at TIMESTAMP WITH TIME ZONE
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE budgets (
  tenant_id VARCHAR(64)    NOT NULL REFERENCES tenants (id),
  period    VARCHAR(16)    NOT NULL,
  limit_usd NUMERIC(20, 6) NOT NULL CHECK (limit_usd >= 0),
  PRIMARY KEY (tenant_id, period)
);

-- One row per request that passed admission; never updated, never deleted.
CREATE TABLE usage_ledger (
  request_id         VARCHAR(64)    PRIMARY KEY,
  tenant_id          VARCHAR(64)    NOT NULL,
  api_key_id         VARCHAR(40)    NOT NULL,
  endpoint           VARCHAR(64)    NOT NULL,
  model              VARCHAR(256),
  status             VARCHAR(16)    NOT NULL CHECK (status IN ('ok', 'upstream_error', 'client_abort', 'expired')),
  prompt_tokens      BIGINT         NOT NULL CHECK (prompt_tokens >= 0),
  cached_tokens      BIGINT         NOT NULL CHECK (cached_tokens >= 0),
  completion_tokens  BIGINT         NOT NULL CHECK (completion_tokens >= 0),
  estimated_cost_usd NUMERIC(20, 6) NOT NULL CHECK (estimated_cost_usd >= 0),
  cost_usd           NUMERIC(20, 6) NOT NULL CHECK (cost_usd >= 0),
  upstream_status    INTEGER,
  started_at         TIMESTAMP WITH TIME ZONE NOT NULL,
  finished_at        TIMESTAMP WITH TIME ZONE NOT NULL,
  latency_ms         BIGINT         NOT NULL CHECK (latency_ms >= 0)
);
CREATE INDEX usage_ledger_tenant_started ON usage_ledger (tenant_id, started_at);

CREATE TRIGGER usage_ledger_no_update BEFORE UPDATE ON usage_ledger
  FOR EACH ROW CALL 'io.budgetguard.store.AppendOnlyTrigger';
CREATE TRIGGER usage_ledger_no_delete BEFORE DELETE ON usage_ledger
  FOR EACH ROW CALL 'io.budgetguard.store.AppendOnlyTrigger';
