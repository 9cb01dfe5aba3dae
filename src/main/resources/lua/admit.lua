-- Admission, one atomic step: the per-minute rate limit, then spent + reserved + estimate <= limit in every
-- budget window; if all pass, count the request and reserve the estimate everywhere, else change nothing.
-- KEYS[1] rate hash, KEYS[2] reservations hash, KEYS[3] deadlines zset, KEYS[4..] window hashes
-- ARGV[1] now ms, [2] reservation id, [3] estimate micro-USD, [4] rate limit, [5] rate bucket ms,
-- [6] rate buckets, [7] deadline ms, [8] reservation payload, [9] rate key ttl ms,
-- then per window 5 values: limit, kind ('c' calendar | 'r' rolling), bucket ms, buckets, expire-at ms
-- Returns {'OK', remaining} | {'RATE', retry-after ms} | {'MISSING', window#...} | {'BUDGET', window#, spent, reserved, remaining}
local now = tonumber(ARGV[1])
local est = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local rate_bucket_ms = tonumber(ARGV[5])
local rate_buckets = tonumber(ARGV[6])
local ridx = math.floor(now / rate_bucket_ms)
local nwin = #KEYS - 3

local count = roll(KEYS[1], ridx, rate_buckets)
if count >= limit then
  local lo = tonumber(redis.call('HGET', KEYS[1], 'lo'))
  for i = lo, ridx do
    local v = redis.call('HGET', KEYS[1], 'b' .. int(i))
    if v and tonumber(v) > 0 then return {'RATE', int((i + rate_buckets + 1) * rate_bucket_ms - now)} end
  end
  return {'RATE', int(rate_bucket_ms)}
end

local missing = {'MISSING'}
for w = 1, nwin do
  if redis.call('EXISTS', KEYS[3 + w]) == 0 then missing[#missing + 1] = int(w) end
end
if #missing > 1 then return missing end

for w = 1, nwin do
  local key = KEYS[3 + w]
  local base = 9 + (w - 1) * 5
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
for w = 1, nwin do
  local key = KEYS[3 + w]
  local base = 9 + (w - 1) * 5
  redis.call('HINCRBY', key, 'reserved', int(est))
  redis.call('PEXPIREAT', key, ARGV[base + 5])
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[8])
redis.call('ZADD', KEYS[3], ARGV[7], ARGV[2])
return {'OK', int(limit - count - 1)}
