-- Budgets below the tenant's: on one API key (scope_kind 'key', scope_id the key id) or on a model group
-- (scope_kind 'model_group', scope_id its name); a model group lists the models that share its budget.
CREATE TABLE scoped_budgets (
  tenant_id  VARCHAR(64)    NOT NULL REFERENCES tenants (id),
  scope_kind VARCHAR(16)    NOT NULL CHECK (scope_kind IN ('key', 'model_group')),
  scope_id   VARCHAR(64)    NOT NULL,
  period     VARCHAR(16)    NOT NULL,
  limit_usd  NUMERIC(20, 6) NOT NULL CHECK (limit_usd >= 0),
  PRIMARY KEY (tenant_id, scope_kind, scope_id, period)
);

CREATE TABLE model_groups (
  tenant_id VARCHAR(64)    NOT NULL REFERENCES tenants (id),
  name      VARCHAR(64)    NOT NULL,
  models    VARCHAR(16384) NOT NULL,
  PRIMARY KEY (tenant_id, name)
);
