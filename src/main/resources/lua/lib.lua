-- Shared by every BudgetGuard script (prepended when the script is loaded).
-- Bucketed sliding sums live in a hash: fields b<idx> (amount per bucket), sum, lo (oldest bucket still
-- counted). Same semantics as BucketedSum.java: the current bucket plus n before it are counted, so the
-- counted span always covers the exact window. Eviction never loops more than n + 1 times.

-- Redis turns Lua numbers into arguments with %.17g ("1e+15"): integers always go through this.
local function int(x)
  return string.format('%d', x)
end

local function roll(key, idx, n)
  local min_idx = idx - n
  local lo = tonumber(redis.call('HGET', key, 'lo'))
  if lo == nil then
    redis.call('HSET', key, 'lo', int(min_idx))
  elseif lo < min_idx then
    local last = math.min(min_idx - 1, lo + n)
    local dropped = 0
    for i = lo, last do
      local f = 'b' .. int(i)
      local v = redis.call('HGET', key, f)
      if v then
        dropped = dropped + tonumber(v)
        redis.call('HDEL', key, f)
      end
    end
    if dropped > 0 then redis.call('HINCRBY', key, 'sum', int(-dropped)) end
    redis.call('HSET', key, 'lo', int(min_idx))
  end
  local sum = tonumber(redis.call('HGET', key, 'sum') or '0')
  if sum < 0 then error('bucketed sum went negative in ' .. key) end
  return sum
end

local function bucket_add(key, now_idx, at_idx, n, amount)
  roll(key, now_idx, n)
  local lo = tonumber(redis.call('HGET', key, 'lo'))
  local b = math.min(math.max(at_idx, lo), now_idx)
  redis.call('HINCRBY', key, 'b' .. int(b), int(amount))
  redis.call('HINCRBY', key, 'sum', int(amount))
end
