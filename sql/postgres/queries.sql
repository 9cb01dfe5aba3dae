-- Every statement the gateway runs, by name. Read once at start; parameters only through '?'.

-- name: tenant_insert
INSERT INTO tenants (id, name, rate_limit_per_min, created_at, updated_at, default_max_output_tokens) VALUES (?, ?, ?, ?, ?, ?)

-- name: tenant_find
SELECT id, name, rate_limit_per_min, created_at, default_max_output_tokens, tokens_per_min FROM tenants WHERE id = ?

-- name: tenant_output_cap_update
UPDATE tenants SET default_max_output_tokens = ?, updated_at = ? WHERE id = ?

-- name: tenant_touch
UPDATE tenants SET updated_at = ? WHERE id = ?

-- name: budgets_of_tenant
SELECT period, limit_usd FROM budgets WHERE tenant_id = ? ORDER BY period

-- name: budgets_delete
DELETE FROM budgets WHERE tenant_id = ?

-- name: budget_insert
INSERT INTO budgets (tenant_id, period, limit_usd) VALUES (?, ?, ?)

-- name: key_insert
INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, created_at, expires_at, allowed_models,
  default_max_output_tokens, rate_limit_per_min, tokens_per_min) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)

-- name: key_find_by_hash
-- The key's current secret, else a retired one within its grace period (valid_until checked by the caller too).
SELECT id, tenant_id, name, prefix, revoked_at, created_at, expires_at, allowed_models, default_max_output_tokens,
  rate_limit_per_min, tokens_per_min, CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS valid_until FROM api_keys WHERE key_hash = ?
UNION ALL
SELECT k.id, k.tenant_id, k.name, k.prefix, k.revoked_at, k.created_at, k.expires_at, k.allowed_models,
  k.default_max_output_tokens, k.rate_limit_per_min, k.tokens_per_min, r.valid_until
FROM api_key_retired_secrets r JOIN api_keys k ON k.id = r.key_id WHERE r.key_hash = ?

-- name: keys_of_tenant
SELECT id, name, prefix, created_at, revoked_at, expires_at, allowed_models, default_max_output_tokens, rate_limit_per_min,
  tokens_per_min FROM api_keys
WHERE tenant_id = ? ORDER BY created_at, id

-- name: key_revoke
UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL

-- name: key_exists
SELECT revoked_at FROM api_keys WHERE id = ? AND tenant_id = ?

-- name: ledger_insert
INSERT INTO usage_ledger (request_id, tenant_id, api_key_id, endpoint, model, status, prompt_tokens, cached_tokens,
  completion_tokens, estimated_cost_usd, cost_usd, upstream_status, started_at, finished_at, latency_ms, provider,
  cache_write_tokens, end_user, tags, chain_seq, chain_hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING

-- name: ledger_chain_head
-- A tenant's last link of the ledger's hash chain (none before its first chained row).
SELECT chain_seq, chain_hash FROM usage_ledger WHERE tenant_id = ? AND chain_seq IS NOT NULL
ORDER BY chain_seq DESC LIMIT 1

-- name: ledger_chain_lock
-- Held until the transaction ends: one worker at a time extends a tenant's chain.
SELECT pg_advisory_xact_lock(hashtextextended('budgetguard.ledger_chain.' || ?, 0))

-- name: ledger_existing_ids
SELECT request_id FROM usage_ledger WHERE request_id = ANY(?)

-- name: ledger_chain_rows
SELECT request_id, tenant_id, api_key_id, endpoint, provider, model, status, prompt_tokens, cached_tokens,
  cache_write_tokens, completion_tokens, estimated_cost_usd, cost_usd, upstream_status, started_at, finished_at,
  latency_ms, end_user, tags, chain_seq, chain_hash
FROM usage_ledger WHERE tenant_id = ? AND chain_seq IS NOT NULL ORDER BY chain_seq

-- name: ledger_chain_tenants
-- Every tenant with ledger rows, with how many rows predate the chain (migration 014).
SELECT tenant_id, SUM(CASE WHEN chain_seq IS NULL THEN 1 ELSE 0 END) FROM usage_ledger
WHERE (? = '' OR tenant_id = ?) GROUP BY tenant_id ORDER BY tenant_id


-- name: ledger_spent_between
-- Requests whose cost the caller holds in memory (in flight, or settled with the row still being written) are
-- left out by id, so a window built while they settle counts each of them exactly once. A scoped window counts
-- one key's rows (first flag 1, the key id), one model group's (second flag 1, the group's pattern) or one end
-- user's (third flag 1, the user).
SELECT COALESCE(SUM(cost_usd), 0) FROM usage_ledger
WHERE tenant_id = ? AND started_at >= ? AND started_at < ? AND NOT (request_id = ANY(?))
  AND (? = 0 OR api_key_id = ?) AND (? = 0 OR model ~ ?) AND (? = 0 OR end_user = ?)

-- name: usage_by_model
SELECT COALESCE(model, '') AS k, COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0),
  COALESCE(SUM(cost_usd), 0)
FROM usage_ledger WHERE (? = '' OR tenant_id = ?) AND started_at >= ? AND started_at < ?
  AND (? = '' OR api_key_id = ?) AND (? = '' OR COALESCE(end_user, '') = ?) AND (? = '' OR COALESCE(model, '') = ?)
  AND (? = '' OR provider = ?) AND (? = '' OR strpos(',' || tags || ',', ?) > 0)
GROUP BY COALESCE(model, '') ORDER BY k

-- name: usage_by_key
SELECT api_key_id AS k, COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0),
  COALESCE(SUM(cost_usd), 0)
FROM usage_ledger WHERE (? = '' OR tenant_id = ?) AND started_at >= ? AND started_at < ?
  AND (? = '' OR api_key_id = ?) AND (? = '' OR COALESCE(end_user, '') = ?) AND (? = '' OR COALESCE(model, '') = ?)
  AND (? = '' OR provider = ?) AND (? = '' OR strpos(',' || tags || ',', ?) > 0)
GROUP BY api_key_id ORDER BY k

-- name: usage_by_provider
SELECT provider AS k, COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0),
  COALESCE(SUM(cost_usd), 0)
FROM usage_ledger WHERE (? = '' OR tenant_id = ?) AND started_at >= ? AND started_at < ?
  AND (? = '' OR api_key_id = ?) AND (? = '' OR COALESCE(end_user, '') = ?) AND (? = '' OR COALESCE(model, '') = ?)
  AND (? = '' OR provider = ?) AND (? = '' OR strpos(',' || tags || ',', ?) > 0)
GROUP BY provider ORDER BY k

-- name: usage_by_day
SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS k, COUNT(*), COALESCE(SUM(prompt_tokens), 0),
  COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(cost_usd), 0)
FROM usage_ledger WHERE (? = '' OR tenant_id = ?) AND started_at >= ? AND started_at < ?
  AND (? = '' OR api_key_id = ?) AND (? = '' OR COALESCE(end_user, '') = ?) AND (? = '' OR COALESCE(model, '') = ?)
  AND (? = '' OR provider = ?) AND (? = '' OR strpos(',' || tags || ',', ?) > 0)
GROUP BY 1 ORDER BY 1

-- name: ledger_bucket_sums
-- A rolling window's spend per bucket (floor(started epoch ms / bucket ms)), summed in the database: at most a
-- window's worth of buckets cross the wire however many rows the ledger holds. Exclusions as above.
SELECT bucket, SUM(cost_usd) FROM (
  SELECT FLOOR(EXTRACT(EPOCH FROM started_at) * 1000 / ?) AS bucket, cost_usd FROM usage_ledger
  WHERE tenant_id = ? AND started_at >= ? AND NOT (request_id = ANY(?))
    AND (? = 0 OR api_key_id = ?) AND (? = 0 OR model ~ ?) AND (? = 0 OR end_user = ?)
) costs GROUP BY bucket

-- name: reservation_insert
INSERT INTO reservations (request_id, tenant_id, api_key_id, endpoint, model, estimated_cost_usd, started_at, provider,
  end_user, tags)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)

-- name: reservation_delete
DELETE FROM reservations WHERE request_id = ?

-- name: reservations_all
SELECT request_id, tenant_id, api_key_id, endpoint, model, estimated_cost_usd, started_at, provider, end_user, tags
FROM reservations
ORDER BY started_at LIMIT 1000

-- name: tenant_ids_after
SELECT id FROM tenants WHERE id > ? ORDER BY id LIMIT 500

-- name: denial_insert
INSERT INTO policy_denials (request_id, tenant_id, api_key_id, endpoint, model, reasons, revision, denied_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)

-- name: usage_export
SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS usage_day, tenant_id, provider,
  COALESCE(model, '') AS model_name,
  COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(cached_tokens), 0), COALESCE(SUM(completion_tokens), 0),
  COALESCE(SUM(cost_usd), 0)
FROM usage_ledger WHERE started_at >= ? AND started_at < ?
  AND (? = '' OR api_key_id = ?) AND (? = '' OR COALESCE(end_user, '') = ?) AND (? = '' OR COALESCE(model, '') = ?)
  AND (? = '' OR provider = ?) AND (? = '' OR strpos(',' || tags || ',', ?) > 0)
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4

-- name: usage_export_by_key
SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS usage_day, tenant_id, provider,
  COALESCE(model, '') AS model_name, api_key_id AS dimension,
  COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(cached_tokens), 0), COALESCE(SUM(completion_tokens), 0),
  COALESCE(SUM(cost_usd), 0)
FROM usage_ledger WHERE started_at >= ? AND started_at < ?
  AND (? = '' OR api_key_id = ?) AND (? = '' OR COALESCE(end_user, '') = ?) AND (? = '' OR COALESCE(model, '') = ?)
  AND (? = '' OR provider = ?) AND (? = '' OR strpos(',' || tags || ',', ?) > 0)
GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5

-- name: usage_export_by_user
SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS usage_day, tenant_id, provider,
  COALESCE(model, '') AS model_name, COALESCE(end_user, '') AS dimension,
  COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(cached_tokens), 0), COALESCE(SUM(completion_tokens), 0),
  COALESCE(SUM(cost_usd), 0)
FROM usage_ledger WHERE started_at >= ? AND started_at < ?
  AND (? = '' OR api_key_id = ?) AND (? = '' OR COALESCE(end_user, '') = ?) AND (? = '' OR COALESCE(model, '') = ?)
  AND (? = '' OR provider = ?) AND (? = '' OR strpos(',' || tags || ',', ?) > 0)
GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5

-- name: usage_export_by_tag
SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS usage_day, tenant_id, provider,
  COALESCE(model, '') AS model_name, COALESCE(substring(',' || tags || ',' from ?), '') AS dimension,
  COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(cached_tokens), 0), COALESCE(SUM(completion_tokens), 0),
  COALESCE(SUM(cost_usd), 0)
FROM usage_ledger WHERE started_at >= ? AND started_at < ?
  AND (? = '' OR api_key_id = ?) AND (? = '' OR COALESCE(end_user, '') = ?) AND (? = '' OR COALESCE(model, '') = ?)
  AND (? = '' OR provider = ?) AND (? = '' OR strpos(',' || tags || ',', ?) > 0)
GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5

-- name: tenants_page
SELECT id, name, rate_limit_per_min, created_at FROM tenants WHERE id > ? ORDER BY id LIMIT ?

-- name: alerts_find
SELECT thresholds_pct, webhook_url, email_to FROM tenant_alerts WHERE tenant_id = ?

-- name: alerts_delete
DELETE FROM tenant_alerts WHERE tenant_id = ?

-- name: alerts_insert
INSERT INTO tenant_alerts (tenant_id, thresholds_pct, webhook_url, email_to) VALUES (?, ?, ?, ?)

-- name: alert_delivery_insert
INSERT INTO alert_deliveries (tenant_id, window_id, kind, threshold_pct, channel, message, destination, status, attempts,
  next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)
ON CONFLICT DO NOTHING

-- name: alert_deliveries_due
SELECT tenant_id, window_id, kind, threshold_pct, channel, message, destination, attempts, next_attempt_at
FROM alert_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT 100

-- name: alert_delivery_claim
UPDATE alert_deliveries SET next_attempt_at = ? WHERE tenant_id = ? AND window_id = ? AND kind = ? AND threshold_pct = ?
  AND channel = ? AND status = 'pending' AND next_attempt_at = ?

-- name: alert_delivery_done
UPDATE alert_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, sent_at = ?
WHERE tenant_id = ? AND window_id = ? AND kind = ? AND threshold_pct = ? AND channel = ?

-- name: ensure_ledger_partition
SELECT budgetguard_ensure_ledger_partition(CAST(? AS DATE))

-- name: admin_key_insert
INSERT INTO admin_keys (id, key_hash, created_at) VALUES (?, ?, ?)

-- name: admin_key_matches
SELECT COUNT(*) FROM admin_keys WHERE key_hash = ? AND revoked_at IS NULL

-- name: admin_keys_active
SELECT COUNT(*) FROM admin_keys WHERE revoked_at IS NULL

-- name: scoped_budgets_of_tenant
SELECT scope_kind, scope_id, period, limit_usd FROM scoped_budgets WHERE tenant_id = ? ORDER BY scope_kind, scope_id, period

-- name: scoped_budgets_delete
DELETE FROM scoped_budgets WHERE tenant_id = ? AND scope_kind = ? AND scope_id = ?

-- name: scoped_budget_insert
INSERT INTO scoped_budgets (tenant_id, scope_kind, scope_id, period, limit_usd) VALUES (?, ?, ?, ?, ?)

-- name: model_groups_of_tenant
SELECT name, models FROM model_groups WHERE tenant_id = ? ORDER BY name

-- name: model_group_delete
DELETE FROM model_groups WHERE tenant_id = ? AND name = ?

-- name: model_group_insert
INSERT INTO model_groups (tenant_id, name, models) VALUES (?, ?, ?)

-- name: key_controls_update
UPDATE api_keys SET expires_at = ?, allowed_models = ?, default_max_output_tokens = ?, rate_limit_per_min = ?,
  tokens_per_min = ? WHERE id = ? AND tenant_id = ?

-- name: key_secret_of
SELECT key_hash FROM api_keys WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL

-- name: key_retired_insert
INSERT INTO api_key_retired_secrets (key_hash, key_id, valid_until) VALUES (?, ?, ?)

-- name: key_secret_replace
UPDATE api_keys SET key_hash = ?, prefix = ? WHERE id = ? AND tenant_id = ? AND key_hash = ?

-- name: user_budgets_of_tenant
SELECT user_id, period, limit_usd FROM user_budgets WHERE tenant_id = ? ORDER BY user_id, period

-- name: user_budgets_delete
DELETE FROM user_budgets WHERE tenant_id = ? AND user_id = ?

-- name: user_budget_insert
INSERT INTO user_budgets (tenant_id, user_id, period, limit_usd) VALUES (?, ?, ?, ?)

-- name: usage_by_user
SELECT COALESCE(end_user, '') AS k, COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0),
  COALESCE(SUM(cost_usd), 0)
FROM usage_ledger WHERE (? = '' OR tenant_id = ?) AND started_at >= ? AND started_at < ?
  AND (? = '' OR api_key_id = ?) AND (? = '' OR COALESCE(end_user, '') = ?) AND (? = '' OR COALESCE(model, '') = ?)
  AND (? = '' OR provider = ?) AND (? = '' OR strpos(',' || tags || ',', ?) > 0)
GROUP BY COALESCE(end_user, '') ORDER BY k

-- name: usage_by_tag
-- One tag's values (the first parameter: ',<key>=([^,]*),' over ',' || tags || ','); rows without it as ''.
SELECT COALESCE(substring(',' || tags || ',' from ?), '') AS k, COUNT(*), COALESCE(SUM(prompt_tokens), 0),
  COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(cost_usd), 0)
FROM usage_ledger WHERE (? = '' OR tenant_id = ?) AND started_at >= ? AND started_at < ?
  AND (? = '' OR api_key_id = ?) AND (? = '' OR COALESCE(end_user, '') = ?) AND (? = '' OR COALESCE(model, '') = ?)
  AND (? = '' OR provider = ?) AND (? = '' OR strpos(',' || tags || ',', ?) > 0)
GROUP BY 1 ORDER BY 1

-- name: tenant_tokens_per_min_update
UPDATE tenants SET tokens_per_min = ?, updated_at = ? WHERE id = ?

-- name: usage_by_tenant
SELECT tenant_id AS k, COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0),
  COALESCE(SUM(cost_usd), 0)
FROM usage_ledger WHERE (? = '' OR tenant_id = ?) AND started_at >= ? AND started_at < ?
  AND (? = '' OR api_key_id = ?) AND (? = '' OR COALESCE(end_user, '') = ?) AND (? = '' OR COALESCE(model, '') = ?)
  AND (? = '' OR provider = ?) AND (? = '' OR strpos(',' || tags || ',', ?) > 0)
GROUP BY tenant_id ORDER BY k

-- name: usage_by_tenant_user
-- End users are named by their tenant: the same user id in two tenants is two users.
SELECT tenant_id || ' / ' || COALESCE(end_user, '') AS k, COUNT(*), COALESCE(SUM(prompt_tokens), 0),
  COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(cost_usd), 0)
FROM usage_ledger WHERE (? = '' OR tenant_id = ?) AND started_at >= ? AND started_at < ?
  AND (? = '' OR api_key_id = ?) AND (? = '' OR COALESCE(end_user, '') = ?) AND (? = '' OR COALESCE(model, '') = ?)
  AND (? = '' OR provider = ?) AND (? = '' OR strpos(',' || tags || ',', ?) > 0)
GROUP BY tenant_id || ' / ' || COALESCE(end_user, '') ORDER BY k

-- name: ledger_latest
-- The newest rows first, for the dashboard's ledger view; the range bounds the scan, the limit the answer.
SELECT request_id, tenant_id, api_key_id, endpoint, provider, COALESCE(model, ''), status, prompt_tokens,
  completion_tokens, cost_usd, upstream_status, started_at, latency_ms, COALESCE(end_user, ''), COALESCE(tags, '')
FROM usage_ledger WHERE (? = '' OR tenant_id = ?) AND started_at >= ? AND started_at < ? AND (? = '' OR status = ?)
  AND (? = '' OR api_key_id = ?) AND (? = '' OR COALESCE(end_user, '') = ?) AND (? = '' OR COALESCE(model, '') = ?)
  AND (? = '' OR provider = ?) AND (? = '' OR strpos(',' || tags || ',', ?) > 0)
ORDER BY started_at DESC, request_id DESC LIMIT ?

-- name: refusal_insert
INSERT INTO refusals (tenant_id, api_key_id, hour_start, status, reason, provider, model, requests, prevented_usd)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)

-- name: refusals_by_day
SELECT to_char(hour_start AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS refused_day, tenant_id, status, reason, SUM(requests), SUM(prevented_usd)
FROM refusals WHERE hour_start >= ? AND hour_start < ? AND (? = '' OR tenant_id = ?)
GROUP BY to_char(hour_start AT TIME ZONE 'UTC', 'YYYY-MM-DD'), tenant_id, status, reason ORDER BY refused_day, tenant_id LIMIT 20000

-- name: stripe_customers_of_tenant
SELECT scope, scope_value, customer_id FROM stripe_customers WHERE tenant_id = ? ORDER BY scope, scope_value

-- name: stripe_customers_delete
DELETE FROM stripe_customers WHERE tenant_id = ?

-- name: stripe_customer_insert
INSERT INTO stripe_customers (tenant_id, scope, scope_value, customer_id) VALUES (?, ?, ?, ?)

-- name: stripe_mapped_tenants
SELECT DISTINCT tenant_id FROM stripe_customers ORDER BY tenant_id

-- name: stripe_watermark_insert
INSERT INTO stripe_watermarks (tenant_id, reported_seq, events_sent, rows_skipped, attempts, next_attempt_at, updated_at)
VALUES (?, 0, 0, 0, 0, ?, ?)
ON CONFLICT DO NOTHING

-- name: stripe_watermark_lock
-- Held while the batch is sent: a second worker waits, then resumes after what the first reported.
SELECT reported_seq, attempts, next_attempt_at FROM stripe_watermarks WHERE tenant_id = ? FOR UPDATE

-- name: stripe_watermark_update
UPDATE stripe_watermarks SET reported_seq = ?, events_sent = events_sent + ?, rows_skipped = rows_skipped + ?, attempts = ?,
  next_attempt_at = ?, updated_at = ?
WHERE tenant_id = ?

-- name: stripe_rows_after
SELECT chain_seq, request_id, api_key_id, end_user, cost_usd, finished_at FROM usage_ledger
WHERE tenant_id = ? AND chain_seq > ? ORDER BY chain_seq LIMIT ?

-- name: stripe_lag
SELECT COUNT(*), MIN(finished_at) FROM usage_ledger
WHERE tenant_id = ? AND chain_seq > (SELECT reported_seq FROM stripe_watermarks WHERE tenant_id = ?)

-- name: stripe_watermark_of
SELECT reported_seq, events_sent, rows_skipped, attempts, next_attempt_at, updated_at FROM stripe_watermarks WHERE tenant_id = ?

-- name: reconcile_ledger_sums
-- The ledger's cost per UTC day and model of one provider, for the days [from, to).
SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS usage_day, COALESCE(model, '') AS model_name, COALESCE(SUM(cost_usd), 0)
FROM usage_ledger WHERE provider = ? AND started_at >= ? AND started_at < ?
GROUP BY usage_day, COALESCE(model, '') ORDER BY usage_day, model_name

-- name: reconcile_delete_days
DELETE FROM reconciliation WHERE provider = ? AND usage_day >= ? AND usage_day <= ?

-- name: reconcile_insert
INSERT INTO reconciliation (usage_day, provider, project, model, ledger_usd, provider_usd, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?)

-- name: reconcile_rows
SELECT usage_day, provider, project, model, ledger_usd, provider_usd, checked_at FROM reconciliation
WHERE usage_day >= ? AND usage_day <= ? AND (? = '' OR provider = ?) ORDER BY usage_day, provider, project, model

-- name: tenant_object_insert
INSERT INTO tenant_objects (object_id, tenant_id, kind, provider, created_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING

-- name: tenant_object_find
SELECT tenant_id, provider FROM tenant_objects WHERE object_id = ? AND kind = ?

-- name: tenant_object_delete
DELETE FROM tenant_objects WHERE object_id = ? AND kind = ? AND tenant_id = ?

-- name: tenant_object_insert_described
INSERT INTO tenant_objects (object_id, tenant_id, kind, provider, created_at, object_json, reservation) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING

-- name: tenant_object_describe
UPDATE tenant_objects SET object_json = ? WHERE object_id = ? AND kind = ?

-- name: tenant_object_list
SELECT object_id, object_json FROM tenant_objects WHERE tenant_id = ? AND kind = ? AND object_json IS NOT NULL
ORDER BY created_at DESC, object_id DESC LIMIT ?

-- name: tenant_object_list_after
SELECT o.object_id, o.object_json FROM tenant_objects o, tenant_objects a
WHERE o.tenant_id = ? AND o.kind = ? AND o.object_json IS NOT NULL AND a.object_id = ? AND a.tenant_id = o.tenant_id
  AND (o.created_at < a.created_at OR (o.created_at = a.created_at AND o.object_id < a.object_id))
ORDER BY o.created_at DESC, o.object_id DESC LIMIT ?

-- name: objects_held
SELECT object_id, tenant_id, provider, reservation FROM tenant_objects
WHERE kind = ? AND settled_at IS NULL AND reservation IS NOT NULL ORDER BY created_at, object_id LIMIT ?

-- name: object_held_one
SELECT reservation FROM tenant_objects WHERE object_id = ? AND kind = ? AND settled_at IS NULL AND reservation IS NOT NULL

-- name: object_hold
UPDATE tenant_objects SET reservation = ? WHERE object_id = ? AND kind = ? AND reservation IS NULL

-- name: object_settled
UPDATE tenant_objects SET settled_at = ?, object_json = COALESCE(?, object_json) WHERE object_id = ? AND kind = ? AND settled_at IS NULL
