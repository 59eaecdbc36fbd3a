/*
 * scripts_offers.c — the Lua bodies of the subscriber side's scripts
 * (scripts.h): offers, the answer to an MO, orders and the release of MT
 * held for quiet hours; the functions several of them share come first.  Each is one atomic step, and each can be run twice
 * with the same arguments without changing anything the second time.
 * Keys are built from the prefix in ARGV[1] (docs/keys.md).
 */
#include "gateway/scripts.h"

#define MT_PUT_LUA \
    "-- mt_put: one MT message record and its stream entry (or its place among\n" \
    "-- the messages held for quiet hours), unless the id exists: the same id\n" \
    "-- queued twice is one message.  Returns 1 when new.\n" \
    "local function mt_put(P, id, to, text, src, origin, now, ttl, release)\n" \
    "  local msg = P..':msg:'..id\n" \
    "  if redis.call('EXISTS', msg) == 1 then return 0 end\n" \
    "  local rec = {'id', id, 'to', to, 'text', text, 'created', now, 'origin', origin}\n" \
    "  if src ~= '' then rec[#rec + 1] = 'src'; rec[#rec + 1] = src end\n" \
    "  if tonumber(release) > tonumber(now) then\n" \
    "    rec[#rec + 1] = 'state'; rec[#rec + 1] = 'scheduled'\n" \
    "    rec[#rec + 1] = 'release_at'; rec[#rec + 1] = release\n" \
    "    redis.call('HSET', msg, unpack(rec))\n" \
    "    redis.call('EXPIRE', msg, ttl + math.floor((release - now) / 1000))\n" \
    "    redis.call('ZADD', P..':mt:scheduled', release, id)\n" \
    "    redis.call('HINCRBY', P..':stats', 'scheduled', 1)\n" \
    "  else\n" \
    "    rec[#rec + 1] = 'state'; rec[#rec + 1] = 'queued'\n" \
    "    redis.call('HSET', msg, unpack(rec))\n" \
    "    redis.call('EXPIRE', msg, ttl)\n" \
    "    local ent = {'id', id, 'to', to, 'text', text}\n" \
    "    if src ~= '' then ent[#ent + 1] = 'src'; ent[#ent + 1] = src end\n" \
    "    redis.call('XADD', P..':mt', '*', unpack(ent))\n" \
    "    redis.call('HINCRBY', P..':stats', 'queued', 1)\n" \
    "  end\n" \
    "  return 1\n" \
    "end\n"

#define ORDER_NEW_LUA \
    "-- order_new: an order record, queued for the dispatcher (once per id).\n" \
    "local function order_new(P, oid, action, m, svc, channel, promoter, offer, now, iso, mo)\n" \
    "  local ok = P..':order:'..oid\n" \
    "  if redis.call('EXISTS', ok) == 1 then return 0 end\n" \
    "  local s = redis.call('HMGET', P..':svc:'..svc, 'provision_code', 'name', 'price', 'usage', 'cancel')\n" \
    "  redis.call('HSET', ok, 'id', oid, 'action', action, 'msisdn', m,\n" \
    "    'service', svc, 'provision_code', s[1] or '', 'service_name', s[2] or svc,\n" \
    "    'price', s[3] or '', 'usage', s[4] or '', 'cancel', s[5] or '',\n" \
    "    'channel', channel, 'promoter', promoter, 'offer', offer,\n" \
    "    'requested_at', iso, 'created', now, 'state', 'queued', 'attempts', 0,\n" \
    "    'mo', mo)\n" \
    "  redis.call('XADD', P..':orders', '*', 'id', oid)\n" \
    "  redis.call('ZADD', P..':orders:index', now, oid)\n" \
    "  redis.call('HINCRBY', P..':stats', 'orders_'..action, 1)\n" \
    "  return 1\n" \
    "end\n"

#define GATE_LUA \
    "-- gate: may this MO be answered?  Per sender: at most `limit` answered\n" \
    "-- per minute.  And an auto-responder is a number whose MO comes within\n" \
    "-- `fast_ms` of the delivery of our previous reply to it (it can only answer\n" \
    "-- what reached it), `loop_n` times running: it is not answered for\n" \
    "-- `block_ms`.  A person, or a script hammering the service number, does not\n" \
    "-- wait for our replies to be delivered.  -> 'ok' | 'rate' | 'loop'\n" \
    "local function gate(P, now, m, limit, fast_ms, loop_n, block_ms, reply_id)\n" \
    "  local sub = P..':sub:{'..m..'}'\n" \
    "  local rk = sub..':rate:'..math.floor(now / 60000)\n" \
    "  local n = redis.call('INCR', rk)\n" \
    "  if n == 1 then redis.call('EXPIRE', rk, 120) end\n" \
    "  local f = redis.call('HMGET', sub, 'last_reply', 'fast', 'loop_until')\n" \
    "  if f[3] and tonumber(f[3]) > now then\n" \
    "    redis.call('HINCRBY', P..':stats', 'mo_loop', 1)\n" \
    "    return 'loop'\n" \
    "  end\n" \
    "  if n > limit then\n" \
    "    redis.call('HINCRBY', P..':stats', 'mo_rate_limited', 1)\n" \
    "    return 'rate'\n" \
    "  end\n" \
    "  local fast = 0\n" \
    "  if f[1] then\n" \
    "    local d = redis.call('HMGET', P..':msg:'..f[1], 'state', 'done_at')\n" \
    "    if d[1] == 'delivered' and now - tonumber(d[2]) <= fast_ms then\n" \
    "      fast = tonumber(f[2] or '0') + 1\n" \
    "    end\n" \
    "  end\n" \
    "  if fast >= loop_n then\n" \
    "    redis.call('HSET', sub, 'loop_until', now + block_ms, 'fast', 0)\n" \
    "    redis.call('HINCRBY', P..':stats', 'mo_loop', 1)\n" \
    "    return 'loop'\n" \
    "  end\n" \
    "  redis.call('HSET', sub, 'last_reply', reply_id, 'fast', fast)\n" \
    "  return 'ok'\n" \
    "end\n"

#define OFFER_ANSWER_LUA \
    "-- offer_answer: a subscriber's answer to their offers: a confirmation\n" \
    "-- marks the offer confirmed and queues exactly one order.  kind is\n" \
    "-- confirm | code | decline; code the offer code given (\"\" for none).\n" \
    "-- -> {status, offer, order, service, service_name, [code, name]...}\n" \
    "--    status: confirmed | choose | declined | expired | none | nomatch |\n" \
    "--    active | order_<state of the offer's order>\n" \
    "local function offer_answer(P, now, m, kind, code, mo, iso)\n" \
    "  local sub, offers = P..':sub:{'..m..'}', P..':sub:{'..m..'}:offers'\n" \
    "  local map = redis.call('HGETALL', offers)\n" \
    "  local open, past = {}, {}\n" \
    "  for i = 1, #map, 2 do\n" \
    "    local id = map[i + 1]\n" \
    "    local o = redis.call('HMGET', P..':offer:'..id, 'state', 'service', 'expires', 'created', 'order', 'channel', 'promoter')\n" \
    "    if not o[1] then\n" \
    "      redis.call('HDEL', offers, map[i])\n" \
    "    else\n" \
    "      local e = {code = map[i], id = id, state = o[1], svc = o[2], exp = tonumber(o[3]),\n" \
    "                 created = tonumber(o[4]), order = o[5], channel = o[6], promoter = o[7]}\n" \
    "      if (o[1] == 'pending' or o[1] == 'declined') and e.exp > now then\n" \
    "        open[#open + 1] = e\n" \
    "      else\n" \
    "        past[#past + 1] = e\n" \
    "      end\n" \
    "    end\n" \
    "  end\n" \
    "  table.sort(open, function(a, b) return tonumber(a.code) < tonumber(b.code) end)\n" \
    "  table.sort(past, function(a, b) return a.created > b.created end)\n" \
    "  local function name(svc)\n" \
    "    return redis.call('HGET', P..':svc:'..svc, 'name') or svc\n" \
    "  end\n" \
    "  local function matches(e)\n" \
    "    return e.code == code or (kind == 'code' and e.svc == code)\n" \
    "  end\n" \
    "\n" \
    "  if kind == 'decline' then\n" \
    "    local r = {'declined', '', '', '', ''}\n" \
    "    for _, e in ipairs(open) do\n" \
    "      if e.state == 'pending' then\n" \
    "        redis.call('HSET', P..':offer:'..e.id, 'state', 'declined', 'declined_at', now)\n" \
    "        redis.call('HINCRBY', P..':stats', 'offer_declined', 1)\n" \
    "        r[#r + 1] = e.code; r[#r + 1] = name(e.svc)\n" \
    "      end\n" \
    "    end\n" \
    "    if #r == 5 then return {'none', '', '', '', ''} end\n" \
    "    r[4] = open[1].svc; r[5] = r[7]\n" \
    "    return r\n" \
    "  end\n" \
    "\n" \
    "  local target\n" \
    "  if code ~= '' then\n" \
    "    for _, e in ipairs(open) do if matches(e) then target = e; break end end\n" \
    "  end\n" \
    "  -- A code names an offer: when it names one that is no longer open, the\n" \
    "  -- answer is about that offer (\"already active\", \"expired\"), even if\n" \
    "  -- another offer is open (\"1\" is also a confirm word).\n" \
    "  local named\n" \
    "  if not target and code ~= '' then\n" \
    "    for _, p in ipairs(past) do if matches(p) then named = p; break end end\n" \
    "  end\n" \
    "  if not target and not named and kind == 'confirm' then\n" \
    "    if #open == 1 then target = open[1]\n" \
    "    elseif #open > 1 then\n" \
    "      local r = {'choose', '', '', '', ''}\n" \
    "      for _, e in ipairs(open) do r[#r + 1] = e.code; r[#r + 1] = name(e.svc) end\n" \
    "      return r\n" \
    "    end\n" \
    "  end\n" \
    "  if not target then\n" \
    "    -- Nothing open to confirm: explain with the offer the answer was meant for.\n" \
    "    local e = named\n" \
    "    if not e and kind == 'confirm' then e = past[1] end\n" \
    "    if not e then return {kind == 'code' and 'nomatch' or 'none', '', '', '', ''} end\n" \
    "    if e.state == 'confirmed' and e.order then\n" \
    "      local st = redis.call('HGET', P..':order:'..e.order, 'state') or 'queued'\n" \
    "      return {'order_'..st, e.id, e.order, e.svc, name(e.svc)}\n" \
    "    end\n" \
    "    if e.state == 'superseded' then\n" \
    "      local h = redis.call('HGET', sub, 'svc:'..e.svc)\n" \
    "      if h == 'active' then return {'active', e.id, '', e.svc, name(e.svc)} end\n" \
    "      if h == 'ordering' then return {'order_queued', e.id, '', e.svc, name(e.svc)} end\n" \
    "    end\n" \
    "    return {'expired', e.id, '', e.svc, name(e.svc)}\n" \
    "  end\n" \
    "\n" \
    "  -- Already held through another offer (two promoters offered it): no order.\n" \
    "  local held = redis.call('HGET', sub, 'svc:'..target.svc)\n" \
    "  if held == 'active' or held == 'ordering' or held == 'cancelling' then\n" \
    "    redis.call('HSET', P..':offer:'..target.id, 'state', 'superseded')\n" \
    "    return {held == 'ordering' and 'order_queued' or 'active', target.id, '', target.svc, name(target.svc)}\n" \
    "  end\n" \
    "  local oid = 'A'..target.id\n" \
    "  redis.call('HSET', P..':offer:'..target.id, 'state', 'confirmed', 'confirmed_at', now, 'order', oid, 'mo', mo)\n" \
    "  order_new(P, oid, 'activate', m, target.svc, target.channel, target.promoter, target.id, now, iso, mo)\n" \
    "  redis.call('HSET', sub, 'svc:'..target.svc, 'ordering', 'svc:'..target.svc..':at', now)\n" \
    "  redis.call('HINCRBY', P..':stats', 'offer_confirmed', 1)\n" \
    "  -- Other open offers of the same service lapse with this one.\n" \
    "  for _, e in ipairs(open) do\n" \
    "    if e.svc == target.svc and e.id ~= target.id then\n" \
    "      redis.call('HSET', P..':offer:'..e.id, 'state', 'superseded')\n" \
    "    end\n" \
    "  end\n" \
    "  return {'confirmed', target.id, oid, target.svc, name(target.svc)}\n" \
    "end\n"

#define CANCEL_SERVICE_LUA \
    "-- cancel_service: QX <svc>, a deactivation order for a service activated\n" \
    "-- through vasgw.  -> {status, order, service, service_name}: status\n" \
    "-- ordered | not_active | processing | unknown_service\n" \
    "local function cancel_service(P, now, m, svc, mo, iso)\n" \
    "  local sub = P..':sub:{'..m..'}'\n" \
    "  local nm = redis.call('HGET', P..':svc:'..svc, 'name')\n" \
    "  if not nm then return {'unknown_service', '', svc, svc} end\n" \
    "  local oid = 'D'..mo\n" \
    "  if redis.call('EXISTS', P..':order:'..oid) == 1 then return {'ordered', oid, svc, nm} end\n" \
    "  local st = redis.call('HGET', sub, 'svc:'..svc)\n" \
    "  if st == 'cancelling' or st == 'ordering' then return {'processing', '', svc, nm} end\n" \
    "  if st ~= 'active' then return {'not_active', '', svc, nm} end\n" \
    "  order_new(P, oid, 'deactivate', m, svc, 'sms', '', '', now, iso, mo)\n" \
    "  redis.call('HSET', sub, 'svc:'..svc, 'cancelling', 'svc:'..svc..':at', now)\n" \
    "  return {'ordered', oid, svc, nm}\n" \
    "end\n"

const char vg_lua_mt_release[] =
    "-- mt_release: the MT held for quiet hours whose time has come join the MT\n"
    "-- stream; an offer to a number that opted out meanwhile is dropped.\n"
    "-- ARGV prefix now max -> how many held messages were queued\n"
    "local P, now = ARGV[1], ARGV[2]\n"
    "local ids = redis.call('ZRANGEBYSCORE', P..':mt:scheduled', '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))\n"
    "local n = 0\n"
    "for _, id in ipairs(ids) do\n"
    "  local msg = P..':msg:'..id\n"
    "  local f = redis.call('HMGET', msg, 'state', 'to', 'text', 'src', 'origin')\n"
    "  if f[1] == 'scheduled' and f[5] == 'offer' and\n"
    "      redis.call('HGET', P..':sub:{'..f[2]..'}', 'optout') == '1' then\n"
    "    -- Opted out while the offer waited for the morning: not sent.\n"
    "    redis.call('HSET', msg, 'state', 'failed', 'error', 'opted_out', 'done_at', now)\n"
    "    redis.call('HINCRBY', P..':stats', 'scheduled', -1)\n"
    "    redis.call('HINCRBY', P..':stats', 'failed', 1)\n"
    "  elseif f[1] == 'scheduled' then\n"
    "    local ent = {'id', id, 'to', f[2], 'text', f[3]}\n"
    "    if f[4] then ent[#ent + 1] = 'src'; ent[#ent + 1] = f[4] end\n"
    "    redis.call('XADD', P..':mt', '*', unpack(ent))\n"
    "    redis.call('HSET', msg, 'state', 'queued', 'released_at', now)\n"
    "    n = n + 1\n"
    "  end\n"
    "  redis.call('ZREM', P..':mt:scheduled', id)\n"
    "end\n"
    "if n > 0 then\n"
    "  redis.call('HINCRBY', P..':stats', 'queued', n)\n"
    "  redis.call('HINCRBY', P..':stats', 'scheduled', -n)\n"
    "end\n"
    "return n\n";

const char vg_lua_offer_create[] =
    MT_PUT_LUA
    "-- offer_create: the offers of one contact with one subscriber, checked\n"
    "-- against the contact rules and created with their SMS in one step, so two\n"
    "-- nodes or two promoters at once cannot both pass a cap.\n"
    "-- ARGV 1 prefix 2 now 3 msisdn 4 source 5 channel 6 promoter 7 campaign\n"
    "--      8 offer_ttl_ms 9 keep_ms 10 interval_ms 11 cancel_block_ms\n"
    "--      12 max_per_day 13 day 14 marketing(1|0) 15 release_ms 16 msg_ttl_s\n"
    "--      17 src, then per offer: id service text kind (text: \\26 = the code)\n"
    "-- -> per offer {id, status, detail, code}: status sent|held|refused|exists\n"
    "local P, now, m = ARGV[1], tonumber(ARGV[2]), ARGV[3]\n"
    "local ttl, keep = tonumber(ARGV[8]), tonumber(ARGV[9])\n"
    "local interval, cblock = tonumber(ARGV[10]), tonumber(ARGV[11])\n"
    "local maxday, day, marketing = tonumber(ARGV[12]), ARGV[13], ARGV[14] == '1'\n"
    "local release = tonumber(ARGV[15])\n"
    "local sub, offers = P..':sub:{'..m..'}', P..':sub:{'..m..'}:offers'\n"
    "local out, todo = {}, {}\n"
    "for g = 18, #ARGV, 4 do\n"
    "  local id, svc = ARGV[g], ARGV[g + 1]\n"
    "  local ex = redis.call('HMGET', P..':offer:'..id, 'state', 'code', 'msg')\n"
    "  if ex[1] then\n"
    "    out[#out + 1] = {id, 'exists', ex[1], ex[2] or ''}\n"
    "  else\n"
    "    local why\n"
    "    local en = redis.call('HGET', P..':svc:'..svc, 'enabled')\n"
    "    if not en then why = 'unknown_service'\n"
    "    elseif en ~= '1' then why = 'service_disabled' end\n"
    "    if not why then\n"
    "      local st = redis.call('HMGET', sub, 'svc:'..svc, 'svc:'..svc..':at')\n"
    "      if st[1] == 'active' or st[1] == 'cancelling' then why = 'already_subscribed'\n"
    "      elseif st[1] == 'ordering' then why = 'order_in_progress'\n"
    "      elseif marketing and st[1] == 'cancelled' and cblock > 0 and\n"
    "          now - tonumber(st[2] or '0') < cblock then why = 'cancelled_recently' end\n"
    "    end\n"
    "    -- An open offer of the same service: a second one would only put the\n"
    "    -- service twice in the subscriber's list.  Marketing is refused; a\n"
    "    -- subscriber who asks again (ZS) gets the SMS again with that code.\n"
    "    local again\n"
    "    if not why then\n"
    "      local map = redis.call('HGETALL', offers)\n"
    "      for i = 1, #map, 2 do\n"
    "        local o = redis.call('HMGET', P..':offer:'..map[i + 1], 'state', 'expires', 'service')\n"
    "        if o[1] == 'pending' and o[3] == svc and tonumber(o[2]) > now then again = map[i] end\n"
    "      end\n"
    "      if again and marketing then why = 'offer_pending' end\n"
    "    end\n"
    "    if why then\n"
    "      out[#out + 1] = {id, 'refused', why, ''}\n"
    "    elseif again then\n"
    "      local msgid = 'of-'..id\n"
    "      mt_put(P, msgid, m, (string.gsub(ARGV[g + 2], '\\26', again)), ARGV[17], 'offer', now, tonumber(ARGV[16]), 0)\n"
    "      out[#out + 1] = {id, 'sent', msgid, again}\n"
    "    else\n"
    "      out[#out + 1] = false\n"
    "      todo[#todo + 1] = {id = id, svc = svc, text = ARGV[g + 2], kind = ARGV[g + 3], at = #out}\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local function refuse_all(why)\n"
    "  for _, t in ipairs(todo) do out[t.at] = {t.id, 'refused', why, ''} end\n"
    "  todo = {}\n"
    "end\n"
    "local daykey = sub..':day:'..day\n"
    "if #todo > 0 and marketing then\n"
    "  local f = redis.call('HMGET', sub, 'optout', 'last_contact')\n"
    "  if f[1] == '1' then refuse_all('opted_out')\n"
    "  elseif interval > 0 and f[2] and now - tonumber(f[2]) < interval then\n"
    "    refuse_all('contacted_recently')\n"
    "  elseif tonumber(redis.call('GET', daykey) or '0') >= maxday then\n"
    "    refuse_all('daily_limit')\n"
    "  end\n"
    "end\n"
    "-- Reply codes 1-9: the lowest not held by a pending, unexpired offer.\n"
    "local used = {}\n"
    "if #todo > 0 then\n"
    "  local map = redis.call('HGETALL', offers)\n"
    "  for i = 1, #map, 2 do\n"
    "    local o = redis.call('HMGET', P..':offer:'..map[i + 1], 'state', 'expires')\n"
    "    if not o[1] then redis.call('HDEL', offers, map[i])\n"
    "    elseif (o[1] == 'pending' or o[1] == 'declined') and tonumber(o[2]) > now then\n"
    "      used[map[i]] = true\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local sent = 0\n"
    "for _, t in ipairs(todo) do\n"
    "  local code\n"
    "  for c = 1, 9 do\n"
    "    if not used[tostring(c)] then code = tostring(c); break end\n"
    "  end\n"
    "  if not code then\n"
    "    out[t.at] = {t.id, 'refused', 'too_many_offers', ''}\n"
    "  else\n"
    "    used[code] = true\n"
    "    local msgid = 'of-'..t.id\n"
    "    local ok = P..':offer:'..t.id\n"
    "    redis.call('HSET', ok, 'id', t.id, 'msisdn', m, 'service', t.svc,\n"
    "      'source', ARGV[4], 'channel', ARGV[5], 'promoter', ARGV[6],\n"
    "      'campaign', ARGV[7], 'code', code, 'kind', t.kind, 'state', 'pending',\n"
    "      'created', now, 'expires', now + ttl, 'msg', msgid)\n"
    "    redis.call('PEXPIRE', ok, ttl + keep)\n"
    "    redis.call('HSET', offers, code, t.id)\n"
    "    redis.call('PEXPIRE', offers, ttl + keep)\n"
    "    local text = string.gsub(t.text, '\\26', code)\n"
    "    mt_put(P, msgid, m, text, ARGV[17], 'offer', now, tonumber(ARGV[16]), release)\n"
    "    out[t.at] = {t.id, release > now and 'held' or 'sent', msgid, code}\n"
    "    sent = sent + 1\n"
    "  end\n"
    "end\n"
    "if sent > 0 then\n"
    "  if marketing then\n"
    "    redis.call('HSET', sub, 'last_contact', now)\n"
    "    redis.call('INCR', daykey)\n"
    "    redis.call('EXPIRE', daykey, 172800)\n"
    "  end\n"
    "end\n"
    "for i, o in ipairs(out) do\n"
    "  redis.call('HINCRBY', P..':stats', 'offer_'..o[2]..(o[2] == 'refused' and ':'..o[3] or ''), 1)\n"
    "end\n"
    "return out\n";

const char vg_lua_mo_reply[] =
    MT_PUT_LUA
    ORDER_NEW_LUA
    GATE_LUA
    OFFER_ANSWER_LUA
    CANCEL_SERVICE_LUA
    "-- mo_reply: everything an MO's answer takes, in one step: the gate, the\n"
    "-- command's state change, the answer rendered from the templates the\n"
    "-- daemon passes, queued as \"re-<mo id>\", and the MO stream entry\n"
    "-- acknowledged.  One script run is one fsync of the append-only file on\n"
    "-- the way to the answer, where a run per step took three.  Texts are\n"
    "-- rendered with handlers/templates.c's rule: {{name}} becomes its value,\n"
    "-- or \"\" (the daemon checked every placeholder at start-up).\n"
    "-- ARGV 1 prefix 2 now 3 msisdn 4 mo_id 5 entry 6 kind 7 code 8 service\n"
    "--      9 requested_at 10 gate (1|0) 11 limit 12 fast_ms 13 loop_n\n"
    "--      14 block_ms 15 msg_ttl_s 16 service_number, then template\n"
    "--      name/text pairs\n"
    "-- kind: help | unknown | confirm | code | decline | optout | optin |\n"
    "--       cancel | unknown_service | say (code = template) | proceed\n"
    "-- -> {'answered', template, offer, order} | {'silent', why} | {'proceed'}\n"
    "-- An MO whose answer exists already is not handled again.\n"
    "local P, now, m, mo, entry, kind = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5], ARGV[6]\n"
    "local svc = ARGV[8]\n"
    "local T = {}\n"
    "for i = 17, #ARGV, 2 do T[ARGV[i]] = ARGV[i + 1] end\n"
    "local reply_id = 're-'..mo\n"
    "local function ack()\n"
    "  if entry ~= '' then\n"
    "    redis.call('XACK', P..':mo', 'vasgw', entry)\n"
    "    redis.call('XDEL', P..':mo', entry)\n"
    "  end\n"
    "end\n"
    "local function render(name, vars)\n"
    "  return (string.gsub(T[name] or '', '{{([%w_]+)}}', function(k) return vars[k] or '' end))\n"
    "end\n"
    "local function answer(name, vars, offer, order)\n"
    "  vars.service_number = ARGV[16]\n"
    "  mt_put(P, reply_id, m, render(name, vars), '', 'reply', now, tonumber(ARGV[15]), 0)\n"
    "  ack()\n"
    "  return {'answered', name, offer or '', order or ''}\n"
    "end\n"
    "local function silent(why)\n"
    "  ack()\n"
    "  return {'silent', why}\n"
    "end\n"
    "-- Handled before (a node died between this script and its XACK, or the\n"
    "-- entry was claimed): the answer is queued already, nothing is done twice.\n"
    "if redis.call('EXISTS', P..':msg:'..reply_id) == 1 then return silent('answered_before') end\n"
    "if ARGV[10] == '1' then\n"
    "  local g = gate(P, now, m, tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14]), reply_id)\n"
    "  if g ~= 'ok' then return silent(g) end\n"
    "end\n"
    "if kind == 'proceed' then return {'proceed'} end\n"
    "local function help_once()\n"
    "  if redis.call('SET', P..':sub:{'..m..'}:help', mo, 'NX', 'EX', 86400) then\n"
    "    return answer('help', {})\n"
    "  end\n"
    "  return silent('help_sent_today')\n"
    "end\n"
    "local function codes()\n"
    "  local c = {}\n"
    "  for _, code in ipairs(redis.call('SMEMBERS', P..':svc:index')) do\n"
    "    if redis.call('HGET', P..':svc:'..code, 'enabled') == '1' then c[#c + 1] = code end\n"
    "  end\n"
    "  table.sort(c)\n"
    "  return table.concat(c, ' ')\n"
    "end\n"
    "local function name_of(code)\n"
    "  return redis.call('HGET', P..':svc:'..code, 'name') or code\n"
    "end\n"
    "if kind == 'help' then return answer('help', {}) end\n"
    "if kind == 'unknown' then return help_once() end\n"
    "if kind == 'unknown_service' then\n"
    "  return answer('unknown_service', {service_code = svc, codes = codes()})\n"
    "end\n"
    "if kind == 'say' then\n"
    "  return answer(ARGV[7], {service_code = svc, service_name = name_of(svc)})\n"
    "end\n"
    "if kind == 'optout' or kind == 'optin' then\n"
    "  local out = kind == 'optout'\n"
    "  redis.call('HSET', P..':sub:{'..m..'}', 'optout', out and '1' or '0', out and 'optout_at' or 'optin_at', now)\n"
    "  redis.call('HINCRBY', P..':stats', kind, 1)\n"
    "  return answer(out and 'opted_out' or 'opted_in', {})\n"
    "end\n"
    "if kind == 'cancel' then\n"
    "  local r = cancel_service(P, now, m, svc, mo, ARGV[9])\n"
    "  local v = {service_code = r[3], service_name = r[4]}\n"
    "  if r[1] == 'ordered' then return answer('cancel_received', v, '', r[2]) end\n"
    "  if r[1] == 'processing' then return answer('processing', v) end\n"
    "  if r[1] == 'not_active' then return answer('cancel_not_active', v) end\n"
    "  return answer('unknown_service', {service_code = svc, codes = codes()})\n"
    "end\n"
    "-- confirm | code | decline\n"
    "local r = offer_answer(P, now, m, kind, ARGV[7], mo, ARGV[9])\n"
    "local st = r[1]\n"
    "local v = {service_code = r[4], service_name = r[5]}\n"
    "if st == 'confirmed' then return answer('confirm_received', v, r[2], r[3]) end\n"
    "if st == 'choose' or st == 'declined' then\n"
    "  local items = {}\n"
    "  for i = 6, #r, 2 do\n"
    "    if st == 'choose' then\n"
    "      items[#items + 1] = render('choose_item', {code = r[i], service_name = r[i + 1]})\n"
    "    else\n"
    "      items[#items + 1] = r[i + 1]\n"
    "    end\n"
    "  end\n"
    "  local list = table.concat(items, T.list_separator or ', ')\n"
    "  if st == 'choose' then return answer('choose', {list = list}) end\n"
    "  v.service_name = list\n"
    "  return answer('declined', v)\n"
    "end\n"
    "if st == 'expired' then return answer('expired', v, r[2]) end\n"
    "if st == 'active' or st == 'order_done' then return answer('already_active', v, r[2], r[3]) end\n"
    "if st == 'order_failed' then return answer('activation_failed', v, r[2], r[3]) end\n"
    "if st == 'order_rejected' then\n"
    "  local why = redis.call('HGET', P..':order:'..r[3], 'reason')\n"
    "  v.reason = (why and why ~= '') and why or T.reason_unknown\n"
    "  return answer('rejected', v, r[2], r[3])\n"
    "end\n"
    "if string.sub(st, 1, 6) == 'order_' then return answer('processing', v, r[2], r[3]) end\n"
    "if st == 'nomatch' then return help_once() end\n"
    "return answer('no_offer', {})\n";

const char vg_lua_order_attempt[] =
    "-- order_attempt: the start of one webhook call for an order.  Counted\n"
    "-- before the call, so a node that dies mid-call leaves a trace; the stream\n"
    "-- entry's idle time is reset so that no other node claims it meanwhile.\n"
    "-- ARGV 1 prefix 2 now 3 order 4 entry 5 node 6 max_attempts\n"
    "-- -> {'go', attempt, HGETALL...} | {'final', state} | {'wait', next_at} |\n"
    "--    {'exhausted', attempts, HGETALL...} | {'missing'}\n"
    "local P, now, oid = ARGV[1], tonumber(ARGV[2]), ARGV[3]\n"
    "local ok = P..':order:'..oid\n"
    "local f = redis.call('HMGET', ok, 'state', 'attempts', 'next_at')\n"
    "if not f[1] then return {'missing'} end\n"
    "if f[1] == 'done' or f[1] == 'rejected' or f[1] == 'failed' then return {'final', f[1]} end\n"
    "if f[1] == 'retrying' and tonumber(f[3] or '0') > now then return {'wait', f[3]} end\n"
    "-- After max_attempts answered calls the order fails; a call cut short by a\n"
    "-- restart ('sending') is made again with the same Idempotency-Key.\n"
    "if f[1] == 'retrying' and tonumber(f[2]) >= tonumber(ARGV[6]) then\n"
    "  local r = {'exhausted', f[2]}\n"
    "  for _, v in ipairs(redis.call('HGETALL', ok)) do r[#r + 1] = v end\n"
    "  return r\n"
    "end\n"
    "if ARGV[4] ~= '' then\n"
    "  redis.call('XCLAIM', P..':orders', 'vasgw', ARGV[5], 0, ARGV[4], 'JUSTID')\n"
    "end\n"
    "local n = redis.call('HINCRBY', ok, 'attempts', 1)\n"
    "redis.call('HSET', ok, 'state', 'sending', 'last_attempt_at', now, 'node', ARGV[5])\n"
    "local r = {'go', tostring(n)}\n"
    "for _, v in ipairs(redis.call('HGETALL', ok)) do r[#r + 1] = v end\n"
    "return r\n";

const char vg_lua_order_result[] =
    MT_PUT_LUA
    "-- order_result: what one webhook call came to, in one step: the attempt's\n"
    "-- record, the order's state, the subscriber's service state, the result SMS\n"
    "-- and the stream entry's acknowledgement.  Run twice, it changes nothing.\n"
    "-- ARGV 1 prefix 2 now 3 order 4 outcome (ok|rejected|retry|failed)\n"
    "--      5 attempt 6 detail 7 reason 8 next_at 9 duration_ms 10 msg_id\n"
    "--      11 msg_text 12 msg_ttl_s 13 src 14 entry\n"
    "-- -> the order's state\n"
    "local P, now, oid, outcome = ARGV[1], ARGV[2], ARGV[3], ARGV[4]\n"
    "local ok = P..':order:'..oid\n"
    "local f = redis.call('HMGET', ok, 'state', 'logged', 'action', 'msisdn', 'service')\n"
    "if not f[1] then return 'missing' end\n"
    "local function ack()\n"
    "  if ARGV[14] ~= '' then\n"
    "    redis.call('XACK', P..':orders', 'vasgw', ARGV[14])\n"
    "    redis.call('XDEL', P..':orders', ARGV[14])\n"
    "  end\n"
    "end\n"
    "if f[1] == 'done' or f[1] == 'rejected' or f[1] == 'failed' then ack(); return f[1] end\n"
    "if tonumber(f[2] or '0') < tonumber(ARGV[5]) then\n"
    "  redis.call('RPUSH', ok..':attempts', table.concat({ARGV[5], now, ARGV[9], outcome, ARGV[6], ARGV[7]}, '|'))\n"
    "  redis.call('HSET', ok, 'logged', ARGV[5])\n"
    "end\n"
    "if outcome == 'retry' then\n"
    "  redis.call('HSET', ok, 'state', 'retrying', 'next_at', ARGV[8], 'last_error', ARGV[6])\n"
    "  return 'retrying'\n"
    "end\n"
    "local sub = P..':sub:{'..f[4]..'}'\n"
    "local field = 'svc:'..f[5]\n"
    "local state = outcome == 'ok' and 'done' or outcome\n"
    "redis.call('HSET', ok, 'state', state, 'done_at', now, 'reason', ARGV[7])\n"
    "if outcome ~= 'ok' then redis.call('HSET', ok, 'last_error', ARGV[6]) end\n"
    "if f[3] == 'activate' then\n"
    "  if outcome == 'ok' then\n"
    "    redis.call('HSET', sub, field, 'active', field..':at', now, field..':order', oid)\n"
    "  elseif redis.call('HGET', sub, field) == 'ordering' then\n"
    "    redis.call('HDEL', sub, field, field..':at')\n"
    "  end\n"
    "else\n"
    "  if outcome == 'ok' then\n"
    "    redis.call('HSET', sub, field, 'cancelled', field..':at', now)\n"
    "  elseif redis.call('HGET', sub, field) == 'cancelling' then\n"
    "    redis.call('HSET', sub, field, 'active')\n"
    "  end\n"
    "end\n"
    "redis.call('HINCRBY', P..':stats', 'orders_'..state, 1)\n"
    "if ARGV[10] ~= '' then\n"
    "  mt_put(P, ARGV[10], f[4], ARGV[11], ARGV[13], 'order', now, tonumber(ARGV[12]), 0)\n"
    "end\n"
    "ack()\n"
    "return state\n";
