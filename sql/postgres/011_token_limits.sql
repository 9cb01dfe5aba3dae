-- Tokens per minute (estimated prompt plus reserved output, settled to what was used) beside requests per minute:
-- the tenant's, and each key's own within it. NULL = no token limit.
ALTER TABLE tenants ADD COLUMN tokens_per_min BIGINT;
ALTER TABLE api_keys ADD COLUMN tokens_per_min BIGINT;
