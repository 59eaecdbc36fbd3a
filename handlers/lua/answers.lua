-- handlers/lua/answers.lua — the answer to an MO, in one step: the MO gate,
-- the command's state change, the answer rendered from the templates the
-- daemon passes, queued as "re-<MO id>", and the MO stream entry
-- acknowledged.  One call is one fsync of the append-only file on the way
-- to the answer, where a call per step took three (docs/delivery.md).

-- May this MO be answered?  Per sender: at most `limit` answered per
-- minute.  And an auto-responder is a number whose MO comes within `fast`
-- ms of the delivery of our previous reply to it (it can only answer what
-- reached it), `loop_n` times running: it is not answered for `block` ms.
-- A person, or a script hammering the service number, does not wait for
-- our replies to be delivered.  The same MO again (read again after a
-- "proceed" whose handler did not finish) is let through and counted
-- once.  -> 'ok' | 'rate' | 'loop'
local function gate(P, now, m, a, reply_id)
  local sub = P .. ':sub:{' .. m .. '}'
  local f = redis.call('HMGET', sub, 'last_reply', 'fast', 'loop_until', 'gate_mo')
  if f[4] == a.mo then return 'ok' end
  local rk = sub .. ':rate:' .. math.floor(now / 60000)
  local n = redis.call('INCR', rk)
  if n == 1 then redis.call('EXPIRE', rk, 120) end
  if f[3] and tonumber(f[3]) > now then
    redis.call('HINCRBY', P .. ':stats', 'mo_loop', 1)
    return 'loop'
  end
  if n > a.limit then
    redis.call('HINCRBY', P .. ':stats', 'mo_rate_limited', 1)
    return 'rate'
  end
  local fast = 0
  if f[1] then
    local d = redis.call('HMGET', P .. ':msg:' .. f[1], 'state', 'done_at')
    if d[1] == 'delivered' and now - tonumber(d[2]) <= a.fast then
      fast = tonumber(f[2] or '0') + 1
    end
  end
  if fast >= a.loop_n then
    redis.call('HSET', sub, 'loop_until', now + a.block, 'fast', 0)
    redis.call('HINCRBY', P .. ':stats', 'mo_loop', 1)
    return 'loop'
  end
  redis.call('HSET', sub, 'last_reply', reply_id, 'fast', fast, 'gate_mo', a.mo)
  return 'ok'
end

-- The enabled service codes, sorted, space-separated (for "unknown code").
local function service_codes(P)
  local c = {}
  for _, code in ipairs(redis.call('SMEMBERS', P .. ':svc:index')) do
    if redis.call('HGET', P .. ':svc:' .. code, 'enabled') == '1' then c[#c + 1] = code end
  end
  table.sort(c)
  return table.concat(c, ' ')
end

-- mo_reply: the kinds of answer (the handlers' C decides the kind):
--   help | unknown (help, at most once a day) | unreadable (an MO that is
--   not text: every time it passes the gate) | confirm | code | decline |
--   optout | optin | cancel (QX service) | unknown_service |
--   say (answer with template `code` about `service`) |
--   register, register_auto (ZC: code = name, service = outlet) |
--   proceed (only the gate: the C goes on with the command)
-- Our answer is the message `reply` ("" for re-<MO id>; a ZS is answered
-- by the knowledge SMS itself); an MO whose answer exists already is not
-- handled again.
-- -> {'answered', template, offer, order} | {'silent', why} | {'proceed'}
local function mo_reply(a)
  local P, now, m, mo, kind, svc = a.prefix, a.now, a.msisdn, a.mo, a.kind, a.service
  local T = {}
  for t in a.templates() do T[t.name] = t.text end
  local reply_id = check_id('message', a.reply ~= '' and a.reply or 're-' .. mo)
  local function ack() stream_ack(P, 'mo', a.entry) end
  local function answer(name, vars, offer, order)
    vars.service_number = a.service_number
    vars.ussd_code = a.ussd_code
    local c = counters()
    local text = render(T[name], vars)
    if a.ussd_op > 0 then
      -- the answer is the dialogue's last screen
      ussd_final(P, now, m, mo, text, T['ussd/by_sms'] or text,
        {op = a.ussd_op, its = a.its, umr = a.umr, expire_at = a.expire_at, msg_ttl = a.msg_ttl}, c)
    else
      mt_put(P, {id = reply_id, to = m, text = text, origin = 'reply'}, now, a.msg_ttl, 0, c)
    end
    count_flush(P, c)
    ack()
    return {'answered', name, offer or '', order or ''}
  end
  local function silent(why)
    ack()
    return {'silent', why}
  end
  -- Handled before (a node died between this call and its XACK, or the
  -- entry was claimed): the answer is queued already, nothing is done twice.
  if redis.call('EXISTS', P .. ':msg:' .. reply_id) == 1 then return silent('answered_before') end
  local function set_optout(out)
    redis.call('HSET', P .. ':sub:{' .. m .. '}', 'optout', out and '1' or '0',
      out and 'optout_at' or 'optin_at', now)
    redis.call('HINCRBY', P .. ':stats', out and 'optout' or 'optin', 1)
  end
  if a.gate then
    local g = gate(P, now, m, a, reply_id)
    -- A person who says stop is heard even over the rate limit or from a
    -- number taken for an auto-responder: the opt-out is carried out, only
    -- not answered (an answer is what the gate holds back).  Nothing else
    -- is: DY, a confirmation, QX wait for the gate.
    if g ~= 'ok' and kind == 'optout' then set_optout(true) end
    if g ~= 'ok' then return silent(g) end
  end
  if kind == 'proceed' then return {'proceed'} end
  local function help_once()
    if redis.call('SET', P .. ':sub:{' .. m .. '}:help', mo, 'NX', 'EX', 86400) then
      return answer('help', {})
    end
    return silent('help_sent_today')
  end
  local function name_of(code)
    return redis.call('HGET', P .. ':svc:' .. code, 'name') or code
  end
  if kind == 'help' then return answer('help', {}) end
  if kind == 'unreadable' then return answer('unreadable', {}) end
  if kind == 'register' or kind == 'register_auto' then
    local r = promoter_register(P, now, m, a.code, svc, kind == 'register_auto' and 'approved' or 'pending', a.channel)
    local v = {name = r[4], staff_no = r[3], outlet = r[5], status = word(T.words_status, r[2])}
    if r[1] == 0 then return answer('promoter_already', v) end
    return answer(r[2] == 'approved' and 'promoter_approved' or 'promoter_pending', v)
  end
  if kind == 'unknown' then return help_once() end
  -- A code that names no service: the codes there are, or, when the
  -- catalogue has none enabled, that there is nothing to offer (a list
  -- would be empty).
  local function unknown_service()
    local codes = service_codes(P)
    if codes == '' then return answer('no_services', {}) end
    return answer('unknown_service', {service_code = svc, codes = codes})
  end
  if kind == 'unknown_service' then return unknown_service() end
  if kind == 'say' then
    return answer(a.code, {service_code = svc, service_name = name_of(svc)})
  end
  if kind == 'optout' or kind == 'optin' then
    set_optout(kind == 'optout')
    return answer(kind == 'optout' and 'opted_out' or 'opted_in', {})
  end
  if kind == 'cancel' then
    local r = cancel_service(P, now, m, svc, mo, a.requested_at, a.channel)
    local v = {service_code = r[3], service_name = r[4]}
    if r[1] == 'ordered' then return answer('cancel_received', v, '', r[2]) end
    if r[1] == 'processing' then return answer('processing', v) end
    if r[1] == 'not_active' then return answer('cancel_not_active', v) end
    return unknown_service()
  end
  -- confirm | code | decline
  local r = offer_answer(P, now, m, kind, a.code, mo, a.requested_at, a.channel)
  local st = r[1]
  local v = {service_code = r[4], service_name = r[5]}
  if st == 'confirmed' then return answer('confirm_received', v, r[2], r[3]) end
  if st == 'choose' or st == 'declined' then
    local items = {}
    for i = 6, #r, 2 do
      if st == 'choose' then
        items[#items + 1] = render(T.choose_item, {code = r[i], service_name = r[i + 1]})
      else
        items[#items + 1] = r[i + 1]
      end
    end
    local list = table.concat(items, T.list_separator or ', ')
    if st == 'choose' then return answer('choose', {list = list}) end
    v.service_name = list
    return answer('declined', v)
  end
  if st == 'expired' then return answer('expired', v, r[2]) end
  if st == 'active' or st == 'order_done' then return answer('already_active', v, r[2], r[3]) end
  if st == 'order_failed' then return answer('activation_failed', v, r[2], r[3]) end
  if st == 'order_rejected' then
    local why = redis.call('HGET', P .. ':order:' .. r[3], 'reason')
    v.reason = (why and why ~= '') and why or T.reason_unknown
    return answer('rejected', v, r[2], r[3])
  end
  if string.sub(st, 1, 6) == 'order_' then return answer('processing', v, r[2], r[3]) end
  if st == 'nomatch' then return help_once() end
  return answer('no_offer', {})
end
