-- A tenant's default output cap: when a request sets no output limit, the gateway sets this one on the upstream
-- request and reserves exactly that (NULL = the global DEFAULT_MAX_OUTPUT_TOKENS, else the model's own cap).
ALTER TABLE tenants ADD COLUMN default_max_output_tokens BIGINT CHECK (default_max_output_tokens > 0);
