-- handlers/lua/offers.lua — offers: made within the contact rules with their
-- SMS in one step, and answered by the subscriber (docs/subscribers.md).
-- An offer's states and events are handlers/lua/states.lua's OFFER.

local CODE_MARK = '\26' -- where the reply code goes in an offer's SMS

-- The subscriber's offers, read from the code map P:sub:{<M>}:offers (a
-- code whose offer record is gone is dropped from the map): those still
-- open to an answer (pending or declined, not lapsed) by code, the rest
-- newest first, and the codes of held offers (their SMS, not yet sent,
-- carries the code: no other offer may take it).
local function offers_of(P, m, now)
  local offers = P .. ':sub:{' .. m .. '}:offers'
  local map = redis.call('HGETALL', offers)
  local open, past, held = {}, {}, {}
  for i = 1, #map, 2 do
    local id = map[i + 1]
    local o = redis.call('HMGET', P .. ':offer:' .. id, 'state', 'service', 'expires', 'created',
      'order', 'channel', 'promoter')
    if not o[1] then
      redis.call('HDEL', offers, map[i])
    else
      local e = {code = map[i], id = id, state = o[1], svc = o[2], exp = tonumber(o[3]),
                 created = tonumber(o[4]), order = o[5], channel = o[6], promoter = o[7]}
      if o[1] == 'held' then
        held[#held + 1] = e
      elseif (o[1] == 'pending' or o[1] == 'declined') and e.exp > now then
        open[#open + 1] = e
      else
        past[#past + 1] = e
      end
    end
  end
  table.sort(open, function(x, y) return tonumber(x.code) < tonumber(y.code) end)
  table.sort(past, function(x, y) return x.created > y.created end)
  return open, past, held
end

-- Why subscriber m may not be offered service svc, or nil.  offer_create
-- asks when the offer is made, the release of a held offer again when its
-- SMS is due (`since`: when the offer was made; a cancellation after it is
-- recent whatever cancel_block says).
local function service_refusal(P, m, svc, marketing, now, cancel_block, since)
  local en = redis.call('HGET', P .. ':svc:' .. svc, 'enabled')
  if not en then return 'unknown_service' end
  if en ~= '1' then return 'service_disabled' end
  local st = service_state(P, m, svc)
  if st == 'active' or st == 'cancelling' then return 'already_subscribed' end
  if st == 'ordering' then return 'order_in_progress' end
  if marketing and st == 'cancelled' then
    local at = tonumber(redis.call('HGET', P .. ':sub:{' .. m .. '}', 'svc:' .. svc .. ':at') or '0')
    if (since and at >= since) or (cancel_block > 0 and now - at < cancel_block) then
      return 'cancelled_recently'
    end
  end
  return nil
end

-- Is m on the do-not-contact list (P:blocklist, `vasgw blocklist`)?  A
-- marketing rule: offer_create, the release of a held offer and the
-- campaigns ask it.
local function blocklisted(P, m)
  return redis.call('SISMEMBER', P .. ':blocklist', m) == 1
end

-- Did m complain to customer care, on since_day (YYYYMMDD, local) or later,
-- about service svc or about the number as a whole (a fact with an empty
-- service)?  svc nil: about any service.  since_day "": the rule is off.
-- The facts come from the care feed (`vasgw feed import`): members
-- "SERVICE|complaint|YYYYMMDD" of P:facts:{m}.  Most numbers have no facts,
-- so the index is asked first and the set read only when it has some.
local function complained(P, m, svc, since_day)
  if since_day == nil or since_day == '' then return false end
  if redis.call('SISMEMBER', P .. ':facts:index', m) == 0 then return false end
  for _, f in ipairs(redis.call('SMEMBERS', P .. ':facts:{' .. m .. '}')) do
    local s, ev, day = string.match(f, '^([^|]*)|([^|]*)|(%d+)$')
    -- Days are YYYYMMDD: compared as text, they sort as dates.
    if ev == 'complaint' and day >= since_day and (svc == nil or s == '' or s == svc) then
      return true
    end
  end
  return false
end

-- offer_create: the offers of one contact with one subscriber, checked
-- against the contact rules and made with their SMS in one step, so two
-- nodes or two promoters at once cannot both pass a cap.  Per service:
-- unknown or disabled, held already or being ordered, cancelled recently,
-- an open offer of it; per contact (marketing only): opted out, on the
-- do-not-contact list, a complaint (about the service, or the number's),
-- contacted within the interval, over the daily cap.  Reply codes are the lowest of
-- 1-9 not held by an open offer.
-- A campaign (handlers/lua/campaigns.lua) calls it from Lua with four more
-- fields in `a`: lane ('bulk'), tally and expire_at for its SMS (mt_put),
-- and counters, which it flushes itself once for all its recipients.
-- -> per offer {id, status, detail, code}: status sent | held | refused |
--    exists; detail the SMS's id, or the rule that refused it
local function offer_create(a)
  local P, now, m = a.prefix, a.now, a.msisdn
  for g in a.offers() do check_id('offer', g.id, OFFER_ID_MAX) end
  check_addr('destination', m)
  check_addr('source', a.src)
  local sub, offers = P .. ':sub:{' .. m .. '}', P .. ':sub:{' .. m .. '}:offers'
  -- A campaign's call shares its counters over its recipients and flushes
  -- them once (a.counters); any other call has its own.
  local c = a.counters or counters()
  local out, todo = {}, {}
  local seen = {} -- the services this call offers already
  for g in a.offers() do
    local ex = redis.call('HMGET', P .. ':offer:' .. g.id, 'state', 'code', 'msg')
    if ex[1] then
      out[#out + 1] = {g.id, 'exists', ex[1], ex[2] or ''}
    else
      local why = service_refusal(P, m, g.service, a.marketing, now, a.cancel_block)
      -- The same service twice in one call ("CL CL"): its first offer is
      -- the open offer of it, the second is refused as for one made before.
      if not why and seen[g.service] then why = 'offer_pending' end
      if not why then seen[g.service] = true end
      -- An open offer of the same service: a second one would only put the
      -- service twice in the subscriber's list.  Marketing is refused; a
      -- subscriber who asks again (ZS) gets the SMS again with that code.
      local again
      if not why then
        local open = offers_of(P, m, now)
        for _, e in ipairs(open) do
          if e.state == 'pending' and e.svc == g.service then again = e.code end
        end
        if again and a.marketing then why = 'offer_pending' end
      end
      if why then
        out[#out + 1] = {g.id, 'refused', why, ''}
      elseif again then
        local msgid = 'of-' .. g.id
        mt_put(P, {id = msgid, to = m, text = (string.gsub(g.text, CODE_MARK, again)), src = a.src,
                   origin = 'offer', lane = a.lane, tally = a.tally, expire_at = a.expire_at},
               now, a.msg_ttl, 0, c)
        out[#out + 1] = {g.id, 'sent', msgid, again}
      else
        out[#out + 1] = false
        todo[#todo + 1] = {id = g.id, svc = g.service, text = g.text, kind = g.kind, at = #out}
      end
    end
  end
  local function refuse_all(why)
    for _, t in ipairs(todo) do out[t.at] = {t.id, 'refused', why, ''} end
    todo = {}
  end
  -- A held offer is a contact when its SMS goes: it counts on the day of
  -- its release (`day` is that day) and at that time, which later
  -- contacts are measured from.
  local held = a.release > now
  local contact_at = held and a.release or now
  local daykey = sub .. ':day:' .. a.day
  if #todo > 0 and a.marketing then
    local f = redis.call('HMGET', sub, 'optout', 'last_contact')
    if f[1] == '1' then
      refuse_all('opted_out')
    elseif blocklisted(P, m) then
      refuse_all('blocklisted')
    else
      -- A complaint bars its service (a number-level one every service);
      -- the services left are still one contact.
      local left = {}
      for _, t in ipairs(todo) do
        if complained(P, m, t.svc, a.complaint_since) then
          out[t.at] = {t.id, 'refused', 'complained', ''}
        else
          left[#left + 1] = t
        end
      end
      todo = left
      if #todo > 0 and a.interval > 0 and f[2] and now - tonumber(f[2]) < a.interval then
        refuse_all('contacted_recently')
      elseif #todo > 0 and tonumber(redis.call('GET', daykey) or '0') >= a.max_per_day then
        refuse_all('daily_limit')
      end
    end
  end
  local used = {}
  if #todo > 0 then
    local open, _, held_offers = offers_of(P, m, now)
    for _, e in ipairs(open) do used[e.code] = true end
    for _, e in ipairs(held_offers) do used[e.code] = true end
  end
  local sent = 0
  for _, t in ipairs(todo) do
    local code
    for n = 1, 9 do
      if not used[tostring(n)] then
        code = tostring(n)
        break
      end
    end
    if not code then
      out[t.at] = {t.id, 'refused', 'too_many_offers', ''}
    else
      used[code] = true
      local msgid = 'of-' .. t.id
      local key = P .. ':offer:' .. t.id
      -- Open for offer_ttl from when the subscriber gets it.
      local wait = held and a.release - now or 0
      offer_event(P, t.id, held and 'hold' or 'made', {'id', t.id, 'msisdn', m, 'service', t.svc,
        'source', a.source, 'channel', a.channel, 'promoter', a.promoter,
        'campaign', a.campaign, 'code', code, 'kind', t.kind,
        'created', now, 'expires', now + wait + a.offer_ttl, 'msg', msgid,
        'complaint_since', a.complaint_since})
      redis.call('PEXPIRE', key, wait + a.offer_ttl + a.keep)
      redis.call('HSET', offers, code, t.id)
      if redis.call('PTTL', offers) < wait + a.offer_ttl + a.keep then
        redis.call('PEXPIRE', offers, wait + a.offer_ttl + a.keep)
      end
      mt_put(P, {id = msgid, to = m, text = (string.gsub(t.text, CODE_MARK, code)), src = a.src,
                 origin = 'offer', lane = a.lane, tally = a.tally, expire_at = a.expire_at},
             now, a.msg_ttl, a.release, c)
      out[t.at] = {t.id, held and 'held' or 'sent', msgid, code}
      sent = sent + 1
    end
  end
  if sent > 0 then
    if a.promoter ~= '' then
      redis.call('HINCRBY', P .. ':promoter:' .. a.promoter .. ':month:' .. a.month, 'recommended', sent)
    end
    if a.marketing then
      redis.call('HSET', sub, 'last_contact', contact_at)
      redis.call('INCR', daykey)
      redis.call('EXPIRE', daykey, 172800)
    end
  end
  for _, o in ipairs(out) do
    count(c, 'offer_' .. o[2] .. (o[2] == 'refused' and ':' .. o[3] or ''))
  end
  if not a.counters then count_flush(P, c) end
  return out
end

-- A subscriber's answer to their offers: a confirmation marks the offer
-- confirmed and queues exactly one order.  kind is confirm | code |
-- decline; code the offer code given ("" for none: a decline declines
-- every pending offer, a code only that one).  `channel` is how the answer
-- came (sms, ussd): the order's channel when it came by USSD, the offer's
-- otherwise.
-- -> {status, offer, order, service, service_name, [code, name]...}
--    status: confirmed | choose | declined | expired | none | nomatch |
--    active | order_<state of the offer's order>
local function offer_answer(P, now, m, kind, code, mo, iso, channel)
  local open, past = offers_of(P, m, now)
  local function name(svc)
    return redis.call('HGET', P .. ':svc:' .. svc, 'name') or svc
  end
  local function matches(e)
    return e.code == code or (kind == 'code' and e.svc == code)
  end

  if kind == 'decline' then
    local r = {'declined', '', '', '', ''}
    for _, e in ipairs(open) do
      if e.state == 'pending' and (code == '' or e.code == code) then
        offer_event(P, e.id, 'decline', {'declined_at', now})
        redis.call('HINCRBY', P .. ':stats', 'offer_declined', 1)
        r[#r + 1] = e.code; r[#r + 1] = name(e.svc)
      end
    end
    if #r == 5 then return {'none', '', '', '', ''} end
    r[4] = open[1].svc; r[5] = r[7]
    return r
  end

  local target
  if code ~= '' then
    for _, e in ipairs(open) do
      if matches(e) then
        target = e
        break
      end
    end
  end
  -- A code names an offer: when it names one that is no longer open, the
  -- answer is about that offer ("already active", "expired"), even if
  -- another offer is open ("1" is also a confirm word).
  local named
  if not target and code ~= '' then
    for _, p in ipairs(past) do
      if matches(p) then
        named = p
        break
      end
    end
  end
  if not target and not named and kind == 'confirm' then
    if #open == 1 then
      target = open[1]
    elseif #open > 1 then
      local r = {'choose', '', '', '', ''}
      for _, e in ipairs(open) do r[#r + 1] = e.code; r[#r + 1] = name(e.svc) end
      return r
    end
  end
  if not target then
    -- Nothing open to confirm: explain with the offer the answer was meant for.
    local e = named
    if not e and kind == 'confirm' then e = past[1] end
    if not e then return {kind == 'code' and 'nomatch' or 'none', '', '', '', ''} end
    if e.state == 'confirmed' and e.order then
      local st = redis.call('HGET', P .. ':order:' .. e.order, 'state') or 'queued'
      return {'order_' .. st, e.id, e.order, e.svc, name(e.svc)}
    end
    if e.state == 'superseded' then
      local h = service_state(P, m, e.svc)
      if h == 'active' then return {'active', e.id, '', e.svc, name(e.svc)} end
      if h == 'ordering' then return {'order_queued', e.id, '', e.svc, name(e.svc)} end
    end
    return {'expired', e.id, '', e.svc, name(e.svc)}
  end

  -- Already held through another offer (two promoters offered it): no order.
  local held = service_state(P, m, target.svc)
  if held == 'active' or held == 'ordering' or held == 'cancelling' then
    offer_event(P, target.id, 'supersede')
    return {held == 'ordering' and 'order_queued' or 'active', target.id, '', target.svc, name(target.svc)}
  end
  local oid = 'A' .. target.id
  offer_event(P, target.id, 'confirm', {'confirmed_at', now, 'order', oid, 'mo', mo})
  order_new(P, {id = oid, action = 'activate', msisdn = m, service = target.svc,
                channel = channel == 'ussd' and 'ussd' or target.channel,
                promoter = target.promoter, offer = target.id,
                now = now, requested_at = iso, mo = mo})
  service_event(P, m, target.svc, 'confirm', now)
  redis.call('HINCRBY', P .. ':stats', 'offer_confirmed', 1)
  if target.promoter and target.promoter ~= '' then
    redis.call('HINCRBY', P .. ':promoter:' .. target.promoter .. ':month:' ..
      string.sub(iso, 1, 4) .. string.sub(iso, 6, 7), 'confirmed', 1)
  end
  -- Other open offers of the same service lapse with this one.
  for _, e in ipairs(open) do
    if e.svc == target.svc and e.id ~= target.id then offer_event(P, e.id, 'supersede') end
  end
  return {'confirmed', target.id, oid, target.svc, name(target.svc)}
end

-- An offer held for quiet hours is sent only if it could be made now:
-- every rule a marketing offer is made under is checked again, in this
-- step, with the subscriber's state as it is when the SMS is due.  The
-- contact itself was counted when the offer was made (at its release time,
-- on its release day), so the interval and the daily cap hold already;
-- opting out, the do-not-contact list, a complaint (since the day the
-- offer was made under), the service, the subscriber's state of it and
-- another offer of it sent meanwhile may have changed.  Sent: the offer is open from
-- now (pending) for as long as it was to be; not sent: it is withdrawn
-- with the reason, which its SMS fails with.
hooks.release_check = function(P, id, msg, now)
  if msg.origin ~= 'offer' then return nil end
  local oid = string.sub(id, 4) -- of-<offer id>
  local key = P .. ':offer:' .. oid
  local o = redis.call('HMGET', key, 'state', 'msisdn', 'service', 'created', 'expires',
    'complaint_since')
  if o[1] ~= 'held' then return 'offer_' .. (o[1] or 'gone') end
  local m, svc = o[2], o[3]
  local why
  if redis.call('HGET', P .. ':sub:{' .. m .. '}', 'optout') == '1' then
    why = 'opted_out'
  elseif blocklisted(P, m) then
    why = 'blocklisted'
  else
    why = service_refusal(P, m, svc, true, now, 0, tonumber(o[4]))
  end
  -- The day the offer was made under: a complaint since then is recent too.
  if not why and complained(P, m, svc, o[6] or '') then why = 'complained' end
  if not why then
    local open = offers_of(P, m, now)
    for _, e in ipairs(open) do
      if e.state == 'pending' and e.svc == svc then why = 'offer_pending' end
    end
  end
  if why then
    offer_event(P, oid, 'withdraw', {'withdrawn_at', now, 'withdrawn', why})
    redis.call('HINCRBY', P .. ':stats', 'offer_withdrawn:' .. why, 1)
    return why
  end
  -- Released later than planned (no daemon ran at the time): the
  -- subscriber still gets the whole time to answer.
  local late = now - tonumber(msg.release_at or now)
  local fields = {'released_at', now}
  if late > 0 then
    fields[#fields + 1] = 'expires'; fields[#fields + 1] = tonumber(o[5]) + late
    local ttl = redis.call('PTTL', key)
    if ttl > 0 then redis.call('PEXPIRE', key, ttl + late) end
  end
  offer_event(P, oid, 'release', fields)
  return nil
end
