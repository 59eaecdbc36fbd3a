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

-- lock_hold: take P:<name> for `holder` for `ttl` ms when it is free, when
-- it is ours already (renewed), or when it names `stale` (a holder the
-- caller knows is dead: a previous run of the same process); every other
-- holder keeps it.
-- -> "" held by us now, or the holder that has it
local function lock_hold(a)
  local key = a.prefix .. ':' .. a.name
  local cur = redis.call('GET', key)
  if cur and cur ~= a.holder and (a.stale == '' or cur ~= a.stale) then return cur end
  redis.call('SET', key, a.holder, 'PX', a.ttl)
  return ''
end
