-- gateway/lua/ussd.lua — the USSD wait guard's question (gateway/ussd_guard.h,
-- docs/keys.md "USSD"): a request got no screen within [ussd]
-- wait_screen_ms; is its answer queued after all, or is it late?

-- ussd_late: the guard of the node that took USSD request MO `mo` saw no
-- screen leave for it in time.  When its answer P:msg:re-<mo> exists, the
-- answer is queued and will go: nothing more to do.  Otherwise the request
-- is marked late, P:ussd:late:<mo> = 1 for `ttl` s, so that whoever makes
-- the answer afterwards knows the subscriber was shown the wait screen
-- and sends the result by SMS instead.  `sent`: the guard sent the wait
-- screen before the MO was even stored, so the request is late whatever is
-- queued (an answer made in the meantime reaches a dialogue the wait screen
-- ended).  Called again, it answers the same and changes nothing but the
-- mark's TTL.
-- -> 'answered' | 'late'
local function ussd_late(a)
  local P = a.prefix
  local mo = check_id('MO', a.mo)
  if not a.sent and redis.call('EXISTS', P .. ':msg:re-' .. mo) == 1 then return 'answered' end
  redis.call('SET', P .. ':ussd:late:' .. mo, '1', 'EX', a.ttl)
  return 'late'
end
