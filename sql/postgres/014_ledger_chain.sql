-- The ledger's hash chain (tamper evidence): each tenant's rows are numbered 1, 2, ... in the order they were
-- written, and each carries SHA-256 of the previous row's hash and its own columns. Rows written before this
-- migration have neither and are reported by `ledger verify` as unchained.
ALTER TABLE usage_ledger ADD COLUMN chain_seq BIGINT;
ALTER TABLE usage_ledger ADD COLUMN chain_hash CHAR(64);
CREATE INDEX usage_ledger_chain ON usage_ledger (tenant_id, chain_seq);
