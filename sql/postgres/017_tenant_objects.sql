-- Objects a provider stores for a tenant (responses), mapped by the gateway itself: a tenant reaches only the ones
-- it created, whatever id it presents; the provider the object lives at is kept with it.
CREATE TABLE tenant_objects (
  object_id  VARCHAR(128) PRIMARY KEY,
  tenant_id  VARCHAR(64)  NOT NULL,
  kind       VARCHAR(16)  NOT NULL CHECK (kind IN ('response')),
  provider   VARCHAR(64)  NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX tenant_objects_tenant ON tenant_objects (tenant_id, created_at);
