-- A tenant's window usage for the policy input, read in one round trip; writes nothing.
-- KEYS[1..n] window hashes; ARGV per window 2 values: kind ('c' calendar | 'r' rolling), oldest counted bucket
-- index (rolling; buckets evicted lazily by admit/settle may still be in the hash and are skipped here).
-- Returns per window 3 values: 1 if the hash exists else 0, spent, reserved (micro-USD).
local out = {}
for w = 1, #KEYS do
  local key = KEYS[w]
  if redis.call('EXISTS', key) == 0 then
    out[#out + 1] = 0
    out[#out + 1] = '0'
    out[#out + 1] = '0'
  else
    local spent = 0
    if ARGV[2 * w - 1] == 'r' then
      local lo = tonumber(ARGV[2 * w])
      local h = redis.call('HGETALL', key)
      for i = 1, #h, 2 do
        local f = h[i]
        if string.sub(f, 1, 1) == 'b' and tonumber(string.sub(f, 2)) >= lo then spent = spent + tonumber(h[i + 1]) end
      end
    else
      spent = tonumber(redis.call('HGET', key, 'spent') or '0')
    end
    out[#out + 1] = 1
    out[#out + 1] = int(spent)
    out[#out + 1] = redis.call('HGET', key, 'reserved') or '0'
  end
end
return out
