-- BudgetGuard schema, Postgres dialect (production mode). Mirrors sql/h2/ table for table; differences:
-- the append-only rule is a PL/pgSQL trigger (UPDATE, DELETE and TRUNCATE refused) and usage_ledger is
-- partitioned by month on started_at, so old months can be detached and archived without a DELETE.

CREATE TABLE tenants (
  id                 VARCHAR(64)  PRIMARY KEY,
  name               VARCHAR(200) NOT NULL,
  rate_limit_per_min INTEGER      NOT NULL CHECK (rate_limit_per_min > 0),
  created_at         TIMESTAMPTZ  NOT NULL,
  updated_at         TIMESTAMPTZ  NOT NULL
);

CREATE TABLE api_keys (
  id         VARCHAR(40)  PRIMARY KEY,
  tenant_id  VARCHAR(64)  NOT NULL REFERENCES tenants (id),
  name       VARCHAR(200) NOT NULL,
  prefix     VARCHAR(16)  NOT NULL,
  key_hash   CHAR(64)     NOT NULL UNIQUE,
  created_at TIMESTAMPTZ  NOT NULL,
  revoked_at TIMESTAMPTZ
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE budgets (
  tenant_id VARCHAR(64)    NOT NULL REFERENCES tenants (id),
  period    VARCHAR(16)    NOT NULL,
  limit_usd NUMERIC(20, 6) NOT NULL CHECK (limit_usd >= 0),
  PRIMARY KEY (tenant_id, period)
);

-- One row per request that passed admission; never updated, never deleted. The primary key includes the
-- partition key (Postgres requires it); an event always carries the same started_at, so a replayed event
-- still conflicts and writes nothing.
CREATE TABLE usage_ledger (
  request_id         VARCHAR(64)    NOT NULL,
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
  started_at         TIMESTAMPTZ    NOT NULL,
  finished_at        TIMESTAMPTZ    NOT NULL,
  latency_ms         BIGINT         NOT NULL CHECK (latency_ms >= 0),
  PRIMARY KEY (request_id, started_at)
) PARTITION BY RANGE (started_at);
CREATE TABLE usage_ledger_default PARTITION OF usage_ledger DEFAULT;
CREATE INDEX usage_ledger_tenant_started ON usage_ledger (tenant_id, started_at);
CREATE INDEX usage_ledger_started ON usage_ledger (started_at);

CREATE FUNCTION budgetguard_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'usage_ledger is append-only: % is rejected', TG_OP USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER usage_ledger_no_update BEFORE UPDATE OR DELETE ON usage_ledger
  FOR EACH ROW EXECUTE FUNCTION budgetguard_ledger_append_only();
CREATE TRIGGER usage_ledger_no_truncate BEFORE TRUNCATE ON usage_ledger
  FOR EACH STATEMENT EXECUTE FUNCTION budgetguard_ledger_append_only();

-- Creates the monthly partition holding `month` if it is missing (the gateway calls it at start for this
-- month and the next two). Rows already in the default partition for that month would block it: the
-- gateway keeps months ahead, so the default only catches clock errors.
CREATE FUNCTION budgetguard_ensure_ledger_partition(month DATE) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  first DATE := date_trunc('month', month)::date;
  name  TEXT := 'usage_ledger_' || to_char(first, 'YYYY_MM');
BEGIN
  IF to_regclass(name) IS NULL THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF usage_ledger FOR VALUES FROM (%L) TO (%L)',
                   name, first::timestamp AT TIME ZONE 'UTC', (first + INTERVAL '1 month')::timestamp AT TIME ZONE 'UTC');
  END IF;
END
$$;
