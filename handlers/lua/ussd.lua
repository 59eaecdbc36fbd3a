-- handlers/lua/ussd.lua — USSD menu sessions (docs/ussd.md): one live
-- dialogue per subscriber in P:ussd:{<M>} (a hash, TTL [ussd]
-- session_timeout), the data its screens show, and each screen queued
-- with the session's new state in one step.  The menus themselves are
-- handlers/ussd_menu.def; the actions they lead to are the SMS commands'
-- own (mo_reply, offer_create), so USSD and SMS cannot disagree.

local function session_key(P, m) return P .. ':ussd:{' .. m .. '}' end

-- Does a text fit one USSD screen?  The C checks every screen it renders
-- exactly (gateway/ussd.c); this is the same rule for the answers mo_reply
-- renders here, counted in characters: 182 when every one is ASCII (GSM
-- 7-bit; none of our templates uses the few ASCII characters that take two
-- septets), else 80 (UCS-2, one unit a character of the BMP).
local function ussd_fits(text)
  local n, ascii = 0, true
  for c in string.gmatch(text, '[%z\1-\127\194-\244][\128-\191]*') do
    n = n + 1
    if string.byte(c) > 127 then ascii = false end
    if string.byte(c) >= 240 then n = n + 1 end
  end
  return n <= (ascii and 182 or 80)
end

-- The last screen of a dialogue, answering MO `mo` (scr.op/its/umr: its
-- SMPP fields, scr.expire_at: when it is no use any more, scr.msg_ttl: its
-- record's seconds, scr.keep: the live session is another dialogue's,
-- left alone): the session is
-- closed, and the text goes as the screen, or as an SMS when the request
-- waited too long (the wait screen said so: P:ussd:late:<mo>, or the
-- deadline passed) or when it does not fit a screen (then `by_sms` is the
-- screen).  Queued as re-<mo>, the SMS of an answer too long as rs-<mo>.
-- -> 'shown' | 'sms'
local function ussd_final(P, now, m, mo, text, by_sms, scr, c)
  if not scr.keep then redis.call('DEL', session_key(P, m)) end
  local id = 're-' .. mo
  local late = redis.call('EXISTS', P .. ':ussd:late:' .. mo) == 1 or
    (scr.expire_at > 0 and now > scr.expire_at)
  if late then
    mt_put(P, {id = id, to = m, text = text, origin = 'reply'}, now, scr.msg_ttl, 0, c)
    count(c, 'ussd_late_sms')
    return 'sms'
  end
  if not ussd_fits(text) then
    mt_put(P, {id = 'rs-' .. mo, to = m, text = text, origin = 'reply'}, now, scr.msg_ttl, 0, c)
    text = by_sms
  end
  mt_put(P, {id = id, to = m, text = text, src = '', ussd_op = scr.op, its = scr.its,
             umr = scr.umr, expire_at = scr.expire_at, origin = 'ussd'}, now, scr.msg_ttl, 0, c)
  count(c, 'ussd_screens')
  return 'shown'
end

-- ussd_load: what a request needs first: the subscriber's session (flat
-- field list, empty when none), promoter record and opt-out.
-- -> {session, status, staff_no, name, optout}
local function ussd_load(a)
  local P, m = a.prefix, a.msisdn
  local p = redis.call('HMGET', P .. ':promoter:' .. m, 'status', 'staff_no', 'name')
  return {redis.call('HGETALL', session_key(P, m)), p[1] or '', p[2] or '', p[3] or '',
          redis.call('HGET', P .. ':sub:{' .. m .. '}', 'optout') or '0'}
end

local function svc_name(P, code)
  return redis.call('HGET', P .. ':svc:' .. code, 'name') or code
end

-- ussd_view: the data of a screen (handlers/ussd_menu.h's views).
--   services: code, name of each enabled service, by code
--   service:  name, price, knowledge, enabled of service `arg`
--   offers:   code, name of each offer open to an answer (pending, or
--             declined and not lapsed: a reply code still confirms it)
--   offer:    service, name, price of the open offer with code `arg`
--   active:   code, name of each service active through vasgw
--   months:   the promoter's counters of month arg and, unless "", arg2
--             (YYYYMM): five numbers and two amounts (fen) each
--   devs:     day, msisdn, service, name, state, rule of the latest five
local function ussd_view(a)
  local P, m, what = a.prefix, a.msisdn, a.what
  local out = {}
  if what == 'services' or what == 'active' then
    local codes = redis.call('SMEMBERS', P .. ':svc:index')
    table.sort(codes)
    for _, code in ipairs(codes) do
      local f = redis.call('HMGET', P .. ':svc:' .. code, 'enabled', 'name')
      local ok
      if what == 'services' then ok = f[1] == '1' else ok = service_state(P, m, code) == 'active' end
      if ok then out[#out + 1] = code; out[#out + 1] = f[2] or code end
    end
  elseif what == 'service' then
    local f = redis.call('HMGET', P .. ':svc:' .. a.arg, 'name', 'price', 'knowledge', 'enabled')
    for i = 1, 4 do out[i] = f[i] or '' end
  elseif what == 'offers' or what == 'offer' then
    -- open to an answer, as by SMS: pending, or declined and not lapsed
    local open = offers_of(P, m, a.now)
    for _, e in ipairs(open) do
      if what == 'offers' then
        out[#out + 1] = e.code; out[#out + 1] = svc_name(P, e.svc)
      elseif e.code == a.arg then
        local f = redis.call('HMGET', P .. ':svc:' .. e.svc, 'name', 'price')
        out = {e.svc, f[1] or e.svc, f[2] or ''}
      end
    end
  elseif what == 'months' then
    for _, month in ipairs({a.arg, a.arg2 ~= '' and a.arg2 or nil}) do
      local f = redis.call('HMGET', P .. ':promoter:' .. m .. ':month:' .. month, 'recommended',
        'confirmed', 'activated', 'valid', 'invalid', 'pending_fen', 'settled_fen')
      for i = 1, 7 do out[#out + 1] = f[i] or '0' end
    end
  elseif what == 'devs' then
    for _, oid in ipairs(redis.call('ZREVRANGE', P .. ':devs:promoter:' .. m, 0, 4)) do
      local f = redis.call('HMGET', P .. ':dev:' .. oid, 'activated', 'msisdn', 'service',
        'service_name', 'state', 'rule')
      for i = 1, 6 do out[#out + 1] = f[i] or '' end
    end
  end
  return out
end

-- ussd_show: one screen answering MO `mo`, queued with the session's new
-- state in one step (`fields`: the whole session, written over it; its TTL
-- session_ttl), or, when `last`, ending the dialogue (ussd_final).  A
-- screen that is not the last is not sent when the request waited too
-- long: the wait screen ended the dialogue on the phone, the session goes.
-- The same MO again (read twice) finds its answer queued and does
-- nothing.  The stream entry is acknowledged.
-- -> 'shown' | 'sms' | 'dropped' | 'answered_before'
local function ussd_show(a)
  local P, now, m, mo = a.prefix, a.now, a.msisdn, a.mo
  check_id('message', 're-' .. mo)
  local function done(r) stream_ack(P, 'mo', a.entry) return r end
  if redis.call('EXISTS', P .. ':msg:re-' .. mo) == 1 then return done('answered_before') end
  local c = counters()
  local r
  if a.last then
    r = ussd_final(P, now, m, mo, a.text, a.by_sms,
      {op = a.op, its = a.its, umr = a.umr, expire_at = a.expire_at, msg_ttl = a.msg_ttl,
       keep = not a.close}, c)
  elseif redis.call('EXISTS', P .. ':ussd:late:' .. mo) == 1 or (a.expire_at > 0 and now > a.expire_at) then
    redis.call('DEL', session_key(P, m))
    count(c, 'ussd_late_dropped')
    r = 'dropped'
  else
    local k = session_key(P, m)
    local rec = {}
    for f in a.fields() do rec[#rec + 1] = f.name; rec[#rec + 1] = f.value end
    redis.call('DEL', k)
    if #rec > 0 then redis.call('HSET', k, unpack(rec)) end
    redis.call('EXPIRE', k, a.session_ttl)
    mt_put(P, {id = 're-' .. mo, to = m, text = a.text, src = '', ussd_op = a.op, its = a.its,
               umr = a.umr, expire_at = a.expire_at, origin = 'ussd'}, now, a.msg_ttl, 0, c)
    count(c, 'ussd_screens')
    r = 'shown'
  end
  count_flush(P, c)
  return done(r)
end

-- ussd_close: the dialogue `sid` ended without us (an abort, the network's
-- end): its session goes, unless a newer dialogue has taken its place.
-- -> 1 when a session was closed, else 0
local function ussd_close(a)
  local k = session_key(a.prefix, a.msisdn)
  local sid = redis.call('HGET', k, 'sid')
  local n = 0
  if sid and sid == a.sid then n = redis.call('DEL', k) end
  redis.call('HINCRBY', a.prefix .. ':stats', 'ussd_aborts', 1)
  stream_ack(a.prefix, 'mo', a.entry)
  return n
end
