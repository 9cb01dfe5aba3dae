-- Controls on one API key: an expiry, the models (or model groups) it may call (newline-separated; NULL = any),
-- its own default output cap and requests per minute (within the tenant's). A rotated key's previous secret keeps working until valid_until.
ALTER TABLE api_keys ADD COLUMN expires_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE api_keys ADD COLUMN allowed_models VARCHAR(16384);
ALTER TABLE api_keys ADD COLUMN default_max_output_tokens BIGINT;
ALTER TABLE api_keys ADD COLUMN rate_limit_per_min INTEGER;

CREATE TABLE api_key_retired_secrets (
  key_hash    CHAR(64)    PRIMARY KEY,
  key_id      VARCHAR(40) NOT NULL REFERENCES api_keys (id),
  valid_until TIMESTAMP WITH TIME ZONE NOT NULL
);
