-- gateway/lua/lock.lua — a lock held by one process at a time across every
-- node (SET NX EX takes it: a plain command needs no function), given back
-- only by the process that holds it: a lock that expired and was taken by
-- someone else meanwhile is theirs.

-- lock_release: delete P:<name> when it still holds `holder`.
-- -> 1 released, 0 not ours (or gone)
local function lock_release(a)
  local key = a.prefix .. ':' .. a.name
  if redis.call('GET', key) == a.holder then return redis.call('DEL', key) end
  return 0
end
