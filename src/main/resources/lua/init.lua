-- Rebuild missing window hashes, in one step, from the ledger database's settled spend (computed by the caller)
-- plus the usage events still in the tenant's ledger stream (settled, not yet drained into the database): a window
-- built while the worker is behind (or stopped, or Postgres was down) still counts every settled cent.
-- A hash that exists meanwhile is left alone.
-- The caller read the drain epoch before it queried the database; the drain bumps it in the same step that deletes
-- drained entries. If it moved, an event may have left the stream after that query: 'RETRY'. An entry drained into
-- the database but not yet deleted is counted twice (over, never under), for at most one drain batch.
-- Reservations outstanding when a window is built (admitted before it existed: a budget added mid-flight) are
-- reserved in it as well, each remembered as field h:<id> so that its settle releases it.
-- KEYS[1..n] window hashes, KEYS[n+1] ledger stream, KEYS[n+2] drain epoch, KEYS[n+3] reservations hash.
-- ARGV[1] epoch seen before the database query ('' = none), ARGV[2] most stream entries to scan, then per key:
-- kind ('c' | 'r'), expire-at ms, spent (c) or lo bucket (r), start ms, end ms, bucket ms, window id,
-- scope ('t' tenant | 'k' key | 'u' end user | 'g' model group), the key id or end user (or ''), the group's number
-- of models, the models,
-- number of bucket pairs, then that many (bucket index, amount) pairs. A scoped window counts only the events and
-- reservations of its key, or of its group's models (a listed name, or one with a date suffix).
-- Returns 'OK' | 'RETRY' | 'BACKLOG'.
local n = #KEYS - 3
local stream = KEYS[n + 1]
if (redis.call('GET', KEYS[n + 2]) or '') ~= ARGV[1] then return 'RETRY' end
if redis.call('XLEN', stream) > tonumber(ARGV[2]) then return 'BACKLOG' end

local events = {}
for _, entry in ipairs(redis.call('XRANGE', stream, '-', '+')) do
  local f = entry[2]
  for i = 1, #f, 2 do
    if f[i] == 'e' then
      local ok, ev = pcall(cjson.decode, f[i + 1])
      if ok and type(ev) == 'table' and tonumber(ev.cost_micro_usd) and tonumber(ev.started_at_ms) then
        events[#events + 1] = {tonumber(ev.started_at_ms), tonumber(ev.cost_micro_usd), tostring(ev.api_key_id),
          type(ev.model) == 'string' and ev.model or '', type(ev.end_user) == 'string' and ev.end_user or false}
      end
    end
  end
end

local outstanding = {}
local res = redis.call('HGETALL', KEYS[n + 3])
for i = 1, #res, 2 do
  local ok, r = pcall(cjson.decode, res[i + 1])
  if ok and type(r) == 'table' and tonumber(r.est) and tonumber(r.c) then
    local held = {}
    if type(r.w) == 'table' then
      for _, w in ipairs(r.w) do held[tostring(w.id)] = true end
    end
    outstanding[#outstanding + 1] = {res[i], tonumber(r.est), tonumber(r.c), held, tostring(r.k),
      type(r.m) == 'string' and r.m or '', type(r.u) == 'string' and r.u or false}
  end
end

-- Whether a request of this key and model counts in the window's scope.
local function in_scope(scope, scope_key, models, key, model, user)
  if scope == 't' then return true end
  if scope == 'k' then return key == scope_key end
  if scope == 'u' then return user == scope_key end
  if models[model] then return true end
  local base = string.match(model, '^(.+)%-20%d%d%-[01]%d%-[0-3]%d$') or string.match(model, '^(.+)%-20%d%d[01]%d[0-3]%d$')
    or string.match(model, '^(.+)%-[01]%d[0-3]%d$')
  return base ~= nil and models[base] == true
end

local a = 3
for k = 1, n do
  local kind = ARGV[a]
  local expire_at = ARGV[a + 1]
  local value = tonumber(ARGV[a + 2])
  local start_ms = tonumber(ARGV[a + 3])
  local end_ms = tonumber(ARGV[a + 4])
  local bucket_ms = tonumber(ARGV[a + 5])
  local window_id = ARGV[a + 6]
  local scope = ARGV[a + 7]
  local scope_key = ARGV[a + 8]
  local models = {}
  local nm = tonumber(ARGV[a + 9])
  for m = 1, nm do models[ARGV[a + 9 + m]] = true end
  a = a + 10 + nm
  local pairs_n = tonumber(ARGV[a])
  a = a + 1
  if redis.call('EXISTS', KEYS[k]) == 0 then
    if kind == 'c' then
      local spent = value
      for _, ev in ipairs(events) do
        if ev[1] >= start_ms and ev[1] < end_ms and in_scope(scope, scope_key, models, ev[3], ev[4], ev[5]) then
          spent = spent + ev[2]
        end
      end
      redis.call('HSET', KEYS[k], 'spent', int(spent), 'reserved', 0)
    else
      local sum = 0
      redis.call('HSET', KEYS[k], 'lo', int(value), 'reserved', 0)
      for p = 0, pairs_n - 1 do
        redis.call('HINCRBY', KEYS[k], 'b' .. ARGV[a + 2 * p], ARGV[a + 2 * p + 1])
        sum = sum + tonumber(ARGV[a + 2 * p + 1])
      end
      for _, ev in ipairs(events) do
        local idx = math.floor(ev[1] / bucket_ms)
        if idx >= value and in_scope(scope, scope_key, models, ev[3], ev[4], ev[5]) then
          redis.call('HINCRBY', KEYS[k], 'b' .. int(idx), int(ev[2]))
          sum = sum + ev[2]
        end
      end
      redis.call('HSET', KEYS[k], 'sum', int(sum))
    end
    local reserved = 0
    for _, r in ipairs(outstanding) do
      if not r[4][window_id] and (kind == 'r' or (r[3] >= start_ms and r[3] < end_ms))
          and in_scope(scope, scope_key, models, r[5], r[6], r[7]) then
        redis.call('HSET', KEYS[k], 'h:' .. r[1], int(r[2]))
        reserved = reserved + r[2]
      end
    end
    if reserved > 0 then redis.call('HSET', KEYS[k], 'reserved', int(reserved)) end
    redis.call('PEXPIREAT', KEYS[k], expire_at)
  end
  a = a + 2 * pairs_n
end
return 'OK'
