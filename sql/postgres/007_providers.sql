-- Every ledger row and journaled reservation names the upstream it went to: rows written before providers
-- existed all went to the one OpenAI upstream. Cache-write tokens (billed by Anthropic at their own rate) are part
-- of prompt_tokens, counted apart.
ALTER TABLE usage_ledger ADD COLUMN provider VARCHAR(64) DEFAULT 'openai' NOT NULL;
ALTER TABLE usage_ledger ADD COLUMN cache_write_tokens BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE reservations ADD COLUMN provider VARCHAR(64) DEFAULT 'openai' NOT NULL;
