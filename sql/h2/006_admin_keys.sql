-- Admin keys made by `seed` (the first run's admin API without a key known to anyone): stored only as SHA-256
-- hashes, accepted beside ADMIN_API_KEY.
CREATE TABLE admin_keys (
  id         VARCHAR(40) PRIMARY KEY,
  key_hash   CHAR(64)    NOT NULL UNIQUE,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  revoked_at TIMESTAMP WITH TIME ZONE
);
