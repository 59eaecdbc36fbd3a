-- handlers/lua/ledger.lua — the commission ledger's step inside Redis: the
-- development an activation earns its promoter (docs/promoters.md).  The
-- audits and the monthly settlement are C (handlers/settlement.h).

-- The development an activation earns the promoter of its offer, once per
-- order, state pending.  The amount is the service's commission rule in
-- force on `day` (P:svc:<code>:rules, "YYYYMMDD:fen" scored by date; else
-- the catalogue's commission_fen): rules changed later never touch it.
local function credit(P, oid, now, month, day)
  local o = redis.call('HMGET', P .. ':order:' .. oid, 'promoter', 'msisdn', 'service', 'channel', 'offer')
  if not o[1] or o[1] == '' or redis.call('EXISTS', P .. ':dev:' .. oid) == 1 then return end
  local rules = P .. ':svc:' .. o[3] .. ':rules'
  local amount, since = nil, ''
  local r = redis.call('ZREVRANGEBYSCORE', rules, day, '-inf', 'LIMIT', 0, 1)
  if r[1] then
    since = string.match(r[1], '^(%d+):')
    amount = tonumber(string.match(r[1], ':(%d+)$'))
  end
  if not amount and redis.call('EXISTS', rules) == 0 then
    -- A service from before rules existed: its catalogue amount.
    amount = tonumber(redis.call('HGET', P .. ':svc:' .. o[3], 'commission_fen') or '0')
  end
  amount = amount or 0
  local pr = redis.call('HMGET', P .. ':promoter:' .. o[1], 'staff_no', 'outlet')
  local name = redis.call('HGET', P .. ':svc:' .. o[3], 'name') or o[3]
  redis.call('HSET', P .. ':dev:' .. oid, 'id', oid, 'promoter', o[1], 'staff_no', pr[1] or '',
    'outlet', pr[2] or '', 'msisdn', o[2], 'service', o[3], 'service_name', name,
    'channel', o[4], 'offer', o[5], 'order', oid, 'activated_at', now, 'activated', day,
    'month', month, 'amount_fen', amount, 'rule_since', since, 'state', 'pending')
  redis.call('ZADD', P .. ':devs:month:' .. month, now, oid)
  redis.call('ZADD', P .. ':devs:promoter:' .. o[1], now, oid)
  redis.call('ZADD', P .. ':devs:sub:{' .. o[2] .. '}', now, oid)
  local c = P .. ':promoter:' .. o[1] .. ':month:' .. month
  redis.call('HINCRBY', c, 'activated', 1)
  redis.call('HINCRBY', c, 'pending_fen', amount)
  redis.call('HINCRBY', P .. ':stats', 'developments', 1)
end
