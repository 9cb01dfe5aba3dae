-- Requests refused before reaching a provider (402 over budget, 429 rate limited, 403 policy or model not
-- allowed), counted per hour, tenant, key, model and reason, with the worst-case cost each would have reserved:
-- the spend the caps prevented. Each gateway appends its counts every second; readers sum the rows.
CREATE TABLE refusals (
  tenant_id     VARCHAR(64)    NOT NULL,
  api_key_id    VARCHAR(40)    NOT NULL,
  hour_start    TIMESTAMP WITH TIME ZONE NOT NULL,
  status        INTEGER        NOT NULL,
  reason        VARCHAR(32)    NOT NULL,
  provider      VARCHAR(64)    NOT NULL,
  model         VARCHAR(256)   NOT NULL,
  requests      BIGINT         NOT NULL CHECK (requests > 0),
  prevented_usd NUMERIC(20, 6) NOT NULL CHECK (prevented_usd >= 0)
);
CREATE INDEX refusals_hour ON refusals (hour_start);
