-- Tokens per minute, after a settle: the reserved tokens a request counted at admission become what it used, in the
-- bucket it was admitted in; a bucket already out of the minute (or a hash gone) is left alone.
-- KEYS[1..n] token hashes (the tenant's, the key's; either may not exist)
-- ARGV[1] now ms, [2] bucket ms, [3] buckets, [4] admitted ms, [5] used minus reserved tokens
-- Returns the number of hashes corrected.
local now_idx = math.floor(tonumber(ARGV[1]) / tonumber(ARGV[2]))
local at_idx = math.floor(tonumber(ARGV[4]) / tonumber(ARGV[2]))
local n = tonumber(ARGV[3])
local delta = tonumber(ARGV[5])
local corrected = 0
for k = 1, #KEYS do
  if redis.call('EXISTS', KEYS[k]) == 1 then
    roll(KEYS[k], now_idx, n)
    local lo = tonumber(redis.call('HGET', KEYS[k], 'lo'))
    if at_idx >= lo and at_idx <= now_idx then
      -- never below what the bucket holds (a hash rebuilt since the admission does not hold its reservation)
      local held = tonumber(redis.call('HGET', KEYS[k], 'b' .. int(at_idx)) or '0')
      local d = math.max(delta, -held)
      redis.call('HINCRBY', KEYS[k], 'b' .. int(at_idx), int(d))
      redis.call('HINCRBY', KEYS[k], 'sum', int(d))
      corrected = corrected + 1
    end
  end
end
return corrected
