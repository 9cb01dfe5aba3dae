-- Admission, one atomic step: the per-minute rate limit, then spent + reserved + estimate <= limit in every
-- budget window; if all pass, count the request and reserve the estimate everywhere, else change nothing.
-- Tokens per minute count the request's reserved tokens (ARGV[13]) the same way; its settle corrects them (tokens.lua).
-- KEYS[1] rate hash, KEYS[2] reservations hash, KEYS[3] deadlines zset, then, each only when its limit is set: the
-- key's rate hash, the tenant's token hash, the key's token hash; then the window hashes
-- ARGV[1] now ms, [2] reservation id, [3] estimate micro-USD, [4] rate limit, [5] rate bucket ms,
-- [6] rate buckets, [7] deadline ms, [8] reservation payload, [9] rate key ttl ms, [10] the key's rate limit (0 = none),
-- [11] the tenant's tokens per minute (0 = none), [12] the key's (0 = none), [13] reserved tokens,
-- then per window 5 values: limit, kind ('c' calendar | 'r' rolling), bucket ms, buckets, expire-at ms
-- Returns {'OK', remaining, tokens remaining (-1 = no token limit)}
--   | {'RATE', retry-after ms, 'tenant' | 'key' | 'tenant_tokens' | 'key_tokens'} | {'MISSING', window#...}
--   | {'BUDGET', window#, spent, reserved, remaining}
local now = tonumber(ARGV[1])
local est = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local rate_bucket_ms = tonumber(ARGV[5])
local rate_buckets = tonumber(ARGV[6])
local ridx = math.floor(now / rate_bucket_ms)
local key_limit = tonumber(ARGV[10])
local tok_limit = tonumber(ARGV[11])
local key_tok_limit = tonumber(ARGV[12])
local tokens = tonumber(ARGV[13])
local next_key = 4
local key_rate, tok_key, key_tok_key
if key_limit > 0 then key_rate = KEYS[next_key]; next_key = next_key + 1 end
if tok_limit > 0 then tok_key = KEYS[next_key]; next_key = next_key + 1 end
if key_tok_limit > 0 then key_tok_key = KEYS[next_key]; next_key = next_key + 1 end
local first_window = next_key
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
if key_rate then
  local key_refused = over_rate(key_rate, key_limit, 'key')
  if key_refused then return key_refused end
end

-- {'RATE', ...} when the reserved tokens do not fit the token hash's minute
local function over_tokens(tkey, tlimit, level)
  local used = roll(tkey, ridx, rate_buckets)
  if used + tokens <= tlimit then return nil, tlimit - used - tokens end
  local lo = tonumber(redis.call('HGET', tkey, 'lo'))
  for i = lo, ridx do
    local v = redis.call('HGET', tkey, 'b' .. int(i))
    if v and tonumber(v) > 0 then return {'RATE', int((i + rate_buckets + 1) * rate_bucket_ms - now), level} end
  end
  return {'RATE', int(rate_bucket_ms), level}
end

local tok_remaining = -1
if tok_key then
  local r, left = over_tokens(tok_key, tok_limit, 'tenant_tokens')
  if r then return r end
  tok_remaining = left
end
if key_tok_key then
  local r, left = over_tokens(key_tok_key, key_tok_limit, 'key_tokens')
  if r then return r end
  if tok_remaining < 0 or left < tok_remaining then tok_remaining = left end
end

local missing = {'MISSING'}
for w = 1, nwin do
  if redis.call('EXISTS', KEYS[first_window - 1 + w]) == 0 then missing[#missing + 1] = int(w) end
end
if #missing > 1 then return missing end

for w = 1, nwin do
  local key = KEYS[first_window - 1 + w]
  local base = 13 + (w - 1) * 5
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
if key_rate then
  redis.call('HINCRBY', key_rate, 'b' .. int(ridx), 1)
  redis.call('HINCRBY', key_rate, 'sum', 1)
  redis.call('PEXPIRE', key_rate, ARGV[9])
end
for _, tkey in ipairs({tok_key or false, key_tok_key or false}) do
  if tkey then
    redis.call('HINCRBY', tkey, 'b' .. int(ridx), int(tokens))
    redis.call('HINCRBY', tkey, 'sum', int(tokens))
    redis.call('PEXPIRE', tkey, ARGV[9])
  end
end
for w = 1, nwin do
  local key = KEYS[first_window - 1 + w]
  local base = 13 + (w - 1) * 5
  redis.call('HINCRBY', key, 'reserved', int(est))
  redis.call('PEXPIREAT', key, ARGV[base + 5])
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[8])
redis.call('ZADD', KEYS[3], ARGV[7], ARGV[2])
return {'OK', int(limit - count - 1), int(tok_remaining)}
