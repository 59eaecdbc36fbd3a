/*
 * scripts_lua.h — Lua functions that several scripts share (generated into
 * each script's body by concatenation): one spelling of each state change.
 * Included by scripts_offers.c and scripts_promoters.c only.
 */
#ifndef VG_SCRIPTS_LUA_H
#define VG_SCRIPTS_LUA_H

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
    "  if target.promoter and target.promoter ~= '' then\n" \
    "    redis.call('HINCRBY', P..':promoter:'..target.promoter..':month:'..\n" \
    "      string.sub(iso, 1, 4)..string.sub(iso, 6, 7), 'confirmed', 1)\n" \
    "  end\n" \
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

#define PROMOTER_REGISTER_LUA \
    "-- promoter_register: a promoter's record, made once per number: a second\n" \
    "-- registration answers with the existing one.  Staff numbers (工号) count\n" \
    "-- up from 10001.  -> {created (1|0), status, staff_no, name, outlet}\n" \
    "local function promoter_register(P, now, m, name, outlet, status, source)\n" \
    "  local k = P..':promoter:'..m\n" \
    "  local f = redis.call('HMGET', k, 'status', 'staff_no', 'name', 'outlet')\n" \
    "  if f[1] then return {0, f[1], f[2], f[3], f[4] or ''} end\n" \
    "  local staff = tostring(10000 + redis.call('INCR', P..':seq:staff'))\n" \
    "  redis.call('HSET', k, 'msisdn', m, 'name', name, 'outlet', outlet,\n" \
    "    'staff_no', staff, 'status', status, 'source', source,\n" \
    "    'registered_at', now, 'updated_at', now)\n" \
    "  redis.call('SET', P..':staff:'..staff, m)\n" \
    "  redis.call('ZADD', P..':promoters', now, m)\n" \
    "  redis.call('HINCRBY', P..':stats', 'promoters_registered', 1)\n" \
    "  return {1, status, staff, name, outlet}\n" \
    "end\n"

#define RENDER_LUA \
    "-- render: a template's text with {{name}} replaced by vars[name] or \"\"\n" \
    "-- (handlers/templates.c's rule; placeholders were checked at load).\n" \
    "local function render(text, vars)\n" \
    "  return (string.gsub(text, '{{([%w_]+)}}', function(k) return vars[k] or '' end))\n" \
    "end\n"

#define CREDIT_LUA \
    "-- credit: the development an activation earns the promoter of its offer,\n" \
    "-- once per order; the amount is the service's commission rule in force on\n" \
    "-- `day` (svc:<code>:rules, \"YYYYMMDD:fen\" scored by date; else the\n" \
    "-- catalogue's commission_fen).  Rules changed later never touch it.\n" \
    "local function credit(P, oid, now, month, day)\n" \
    "  local o = redis.call('HMGET', P..':order:'..oid, 'promoter', 'msisdn', 'service', 'channel', 'offer')\n" \
    "  if not o[1] or o[1] == '' or redis.call('EXISTS', P..':dev:'..oid) == 1 then return end\n" \
    "  local amount, since = nil, ''\n" \
    "  local r = redis.call('ZREVRANGEBYSCORE', P..':svc:'..o[3]..':rules', day, '-inf', 'LIMIT', 0, 1)\n" \
    "  if r[1] then\n" \
    "    since = string.match(r[1], '^(%d+):')\n" \
    "    amount = tonumber(string.match(r[1], ':(%d+)$'))\n" \
    "  end\n" \
    "  if not amount and redis.call('EXISTS', P..':svc:'..o[3]..':rules') == 0 then\n" \
    "    -- A service from before rules existed: its catalogue amount.\n" \
    "    amount = tonumber(redis.call('HGET', P..':svc:'..o[3], 'commission_fen') or '0')\n" \
    "  end\n" \
    "  amount = amount or 0\n" \
    "  local pr = redis.call('HMGET', P..':promoter:'..o[1], 'staff_no', 'outlet')\n" \
    "  local name = redis.call('HGET', P..':svc:'..o[3], 'name') or o[3]\n" \
    "  redis.call('HSET', P..':dev:'..oid, 'id', oid, 'promoter', o[1], 'staff_no', pr[1] or '',\n" \
    "    'outlet', pr[2] or '', 'msisdn', o[2], 'service', o[3], 'service_name', name, 'channel', o[4], 'offer', o[5],\n" \
    "    'order', oid, 'activated_at', now, 'activated', day, 'month', month,\n" \
    "    'amount_fen', amount, 'rule_since', since, 'state', 'pending')\n" \
    "  redis.call('ZADD', P..':devs:month:'..month, now, oid)\n" \
    "  redis.call('ZADD', P..':devs:promoter:'..o[1], now, oid)\n" \
    "  redis.call('ZADD', P..':devs:sub:{'..o[2]..'}', now, oid)\n" \
    "  local c = P..':promoter:'..o[1]..':month:'..month\n" \
    "  redis.call('HINCRBY', c, 'activated', 1)\n" \
    "  redis.call('HINCRBY', c, 'pending_fen', amount)\n" \
    "  redis.call('HINCRBY', P..':stats', 'developments', 1)\n" \
    "end\n"

#endif
