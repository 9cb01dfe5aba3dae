-- After a drain batch committed to the ledger database: acknowledge and delete its entries, and bump the drain epoch
-- in the same step, so a window rebuild that queried the database before this knows to start again (init.lua).
-- KEYS[1] ledger stream, KEYS[2] drain epoch. ARGV[1] group, ARGV[2..] entry ids.
local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
redis.call('XDEL', KEYS[1], unpack(ids))
redis.call('INCR', KEYS[2])
return #ids
