-- The application's end user of each call (the request's user / safety_identifier, or X-BudgetGuard-User) and its
-- chargeback tags (X-BudgetGuard-Tags, canonical: key=value pairs sorted by key, comma-separated), on ledger rows and
-- journaled reservations alike (an expired row keeps them).
ALTER TABLE usage_ledger ADD COLUMN end_user VARCHAR(256);
ALTER TABLE usage_ledger ADD COLUMN tags VARCHAR(1024) DEFAULT '' NOT NULL;
ALTER TABLE reservations ADD COLUMN end_user VARCHAR(256);
ALTER TABLE reservations ADD COLUMN tags VARCHAR(1024) DEFAULT '' NOT NULL;

-- Budgets of end users: user_id '*' holds the tenant's defaults for every user, any other id that user's own.
CREATE TABLE user_budgets (
  tenant_id VARCHAR(64)    NOT NULL REFERENCES tenants (id),
  user_id   VARCHAR(256)   NOT NULL,
  period    VARCHAR(16)    NOT NULL,
  limit_usd NUMERIC(20, 6) NOT NULL CHECK (limit_usd >= 0),
  PRIMARY KEY (tenant_id, user_id, period)
);
