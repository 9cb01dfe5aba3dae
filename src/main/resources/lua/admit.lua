-- Admission, one atomic step: the per-minute rate limit, then spent + reserved + estimate <= limit in every
-- budget window; if all pass, count the request and reserve the estimate everywhere, else change nothing.
-- KEYS[1] rate hash, KEYS[2] reservations hash, KEYS[3] deadlines zset, then (when the key has a rate limit of
-- its own) the key's rate hash, then the window hashes
-- ARGV[1] now ms, [2] reservation id, [3] estimate micro-USD, [4] rate limit, [5] rate bucket ms,
-- [6] rate buckets, [7] deadline ms, [8] reservation payload, [9] rate key ttl ms, [10] the key's rate limit (0 = none),
-- then per window 5 values: limit, kind ('c' calendar | 'r' rolling), bucket ms, buckets, expire-at ms
-- Returns {'OK', remaining} | {'RATE', retry-after ms, 'tenant' | 'key'} | {'MISSING', window#...}
--   | {'BUDGET', window#, spent, reserved, remaining}
local now = tonumber(ARGV[1])
local est = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local rate_bucket_ms = tonumber(ARGV[5])
local rate_buckets = tonumber(ARGV[6])
local ridx = math.floor(now / rate_bucket_ms)
local key_limit = tonumber(ARGV[10])
local first_window = key_limit > 0 and 5 or 4
local nwin = #KEYS - first_window + 1

-- {'RATE', ms until the oldest counted request leaves the minute, level} when the rate hash is at its limit
local function over_rate(rate_key, rlimit, level)
  local c = roll(rate_key, ridx, rate_buckets)
  if c < rlimit then return nil, c end
  local lo = tonumber(redis.call('HGET', rate_key, 'lo'))
  for i = lo, ridx do
    local v = redis.call('HGET', rate_key, 'b' .. int(i))
    if v and tonumber(v) > 0 then return {'RATE', int((i + rate_buckets + 1) * rate_bucket_ms - now), level}, c end
  end
  return {'RATE', int(rate_bucket_ms), level}, c
end

local refused, count = over_rate(KEYS[1], limit, 'tenant')
if refused then return refused end
if key_limit > 0 then
  local key_refused = over_rate(KEYS[4], key_limit, 'key')
  if key_refused then return key_refused end
end

local missing = {'MISSING'}
for w = 1, nwin do
  if redis.call('EXISTS', KEYS[first_window - 1 + w]) == 0 then missing[#missing + 1] = int(w) end
end
if #missing > 1 then return missing end

for w = 1, nwin do
  local key = KEYS[first_window - 1 + w]
  local base = 10 + (w - 1) * 5
  local wlimit = tonumber(ARGV[base + 1])
  local spent
  if ARGV[base + 2] == 'r' then
    spent = roll(key, math.floor(now / tonumber(ARGV[base + 3])), tonumber(ARGV[base + 4]))
  else
    spent = tonumber(redis.call('HGET', key, 'spent') or '0')
  end
  local reserved = tonumber(redis.call('HGET', key, 'reserved') or '0')
  if spent + reserved + est > wlimit then
    return {'BUDGET', int(w), int(spent), int(reserved), int(limit - count - 1)}
  end
end

redis.call('HINCRBY', KEYS[1], 'b' .. int(ridx), 1)
redis.call('HINCRBY', KEYS[1], 'sum', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[9])
if key_limit > 0 then
  redis.call('HINCRBY', KEYS[4], 'b' .. int(ridx), 1)
  redis.call('HINCRBY', KEYS[4], 'sum', 1)
  redis.call('PEXPIRE', KEYS[4], ARGV[9])
end
for w = 1, nwin do
  local key = KEYS[first_window - 1 + w]
  local base = 10 + (w - 1) * 5
  redis.call('HINCRBY', key, 'reserved', int(est))
  redis.call('PEXPIREAT', key, ARGV[base + 5])
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[8])
redis.call('ZADD', KEYS[3], ARGV[7], ARGV[2])
return {'OK', int(limit - count - 1)}
