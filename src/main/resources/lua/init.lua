-- Rebuild missing window hashes from the ledger's settled spend; a hash that exists meanwhile is left alone.
-- KEYS[1..] window hashes. ARGV, per key: kind ('c' | 'r'), expire-at ms, spent (c) or lo bucket (r),
-- number of bucket pairs, then that many (bucket index, amount) pairs.
local a = 1
for k = 1, #KEYS do
  local kind = ARGV[a]
  local expire_at = ARGV[a + 1]
  local value = ARGV[a + 2]
  local pairs_n = tonumber(ARGV[a + 3])
  a = a + 4
  if redis.call('EXISTS', KEYS[k]) == 0 then
    if kind == 'c' then
      redis.call('HSET', KEYS[k], 'spent', value, 'reserved', 0)
    else
      local sum = 0
      redis.call('HSET', KEYS[k], 'lo', value, 'reserved', 0)
      for p = 0, pairs_n - 1 do
        redis.call('HINCRBY', KEYS[k], 'b' .. ARGV[a + 2 * p], ARGV[a + 2 * p + 1])
        sum = sum + tonumber(ARGV[a + 2 * p + 1])
      end
      redis.call('HSET', KEYS[k], 'sum', int(sum))
    end
    redis.call('PEXPIREAT', KEYS[k], expire_at)
  end
  a = a + 2 * pairs_n
end
return 'OK'
