-- Settle, one atomic step: replace a reservation by the actual cost in every window it was made in.
-- Idempotent per reservation id (a settled id is remembered for the retention period). A reservation that is
-- gone without having been settled (Redis restarted empty) still has its cost counted: 'RECOUNTED'.
-- A window whose hash is gone is skipped: its spend is rebuilt from the ledger when it is next needed.
-- In the same atomic step the usage event is appended to the tenant's ledger stream, which the worker drains
-- into the ledger database: a settled request always has its ledger event, and never two.
-- KEYS[1] reservations hash, KEYS[2] deadlines zset, KEYS[3] settled zset, KEYS[4] ledger stream,
-- KEYS[5..] window hashes
-- ARGV[1] reservation id, [2] actual micro-USD, [3] now ms, [4] estimate micro-USD, [5] created ms,
-- [6] settled retention ms, [7] usage event (JSON; '' = none), then per window 4 values: kind ('c' | 'r'),
-- bucket ms, buckets, and 'h' (the reservation is held in it) or 's' (spend only: a window of the tenant's budgets
-- that appeared after admission, so it counts the request without ever having reserved for it)
-- Returns 'SETTLED' | 'RECOUNTED' | 'ALREADY', with ':CLAMPED' appended if a reserved count was short.
local rid = ARGV[1]
if redis.call('ZSCORE', KEYS[3], rid) then return 'ALREADY' end
local had = redis.call('HEXISTS', KEYS[1], rid) == 1
local actual = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local est = tonumber(ARGV[4])
local created = tonumber(ARGV[5])
local clamped = ''

for w = 1, #KEYS - 4 do
  local key = KEYS[4 + w]
  local base = 7 + (w - 1) * 4
  if redis.call('EXISTS', key) == 1 then
    local since_built = ARGV[base + 4] == 's' and redis.call('HGET', key, 'h:' .. rid)
    if since_built then
      -- reserved for this request when the window was built mid-flight (init.lua): released here
      redis.call('HDEL', key, 'h:' .. rid)
      local reserved = tonumber(redis.call('HGET', key, 'reserved') or '0')
      redis.call('HSET', key, 'reserved', int(math.max(0, reserved - tonumber(since_built))))
    end
    if had and ARGV[base + 4] == 'h' then
      local reserved = tonumber(redis.call('HGET', key, 'reserved') or '0')
      if reserved < est then
        redis.call('HSET', key, 'reserved', 0)
        clamped = ':CLAMPED'
      else
        redis.call('HINCRBY', key, 'reserved', int(-est))
      end
    end
    if ARGV[base + 1] == 'r' then
      local bms = tonumber(ARGV[base + 2])
      bucket_add(key, math.floor(now / bms), math.floor(created / bms), tonumber(ARGV[base + 3]), actual)
    else
      redis.call('HINCRBY', key, 'spent', int(actual))
    end
  end
end

if ARGV[7] ~= '' then redis.call('XADD', KEYS[4], '*', 'e', ARGV[7]) end
redis.call('HDEL', KEYS[1], rid)
redis.call('ZREM', KEYS[2], rid)
redis.call('ZADD', KEYS[3], int(now), rid)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', int(now - tonumber(ARGV[6])))
redis.call('PEXPIRE', KEYS[3], ARGV[6])
if had then return 'SETTLED' .. clamped end
return 'RECOUNTED'
