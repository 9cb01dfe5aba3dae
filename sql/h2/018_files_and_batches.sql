-- Files and batches join responses as objects a tenant owns (table rebuilt: its kind check widens). A file or batch
-- keeps the object as the provider last described it (for the gateway's own listings); a batch also keeps the
-- reservation it holds until a worker sees it finish (settled_at set once it is settled).
CREATE TABLE tenant_objects_018 (
  object_id   VARCHAR(128) PRIMARY KEY,
  tenant_id   VARCHAR(64)  NOT NULL,
  kind        VARCHAR(16)  NOT NULL CHECK (kind IN ('response', 'file', 'batch')),
  provider    VARCHAR(64)  NOT NULL,
  created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
  object_json TEXT,
  reservation TEXT,
  settled_at  TIMESTAMP WITH TIME ZONE
);
INSERT INTO tenant_objects_018 (object_id, tenant_id, kind, provider, created_at)
  SELECT object_id, tenant_id, kind, provider, created_at FROM tenant_objects;
DROP TABLE tenant_objects;
ALTER TABLE tenant_objects_018 RENAME TO tenant_objects;
CREATE INDEX tenant_objects_tenant ON tenant_objects (tenant_id, kind, created_at);
CREATE INDEX tenant_objects_held ON tenant_objects (kind, settled_at);
