-- gateway/lua/mt.lua — MT messages: queued, answered by the SMSC, receipted,
-- held for quiet hours and released (docs/keys.md, "MT"; docs/delivery.md).
--
-- A message is the hash P:msg:<id> and, while it waits for the SMSC, an
-- entry of the stream of its lane: P:mt, or P:mt:bulk for the bulk lane,
-- which the outbox sends only when nothing of P:mt waits
-- (docs/delivery.md, "Lanes").  Its state:
--
--   scheduled --release--> queued --first part answered--> submitted (more parts)
--                            |                                  |
--                            +--> accepted <--all parts OK------+
--                            |       |
--                            |       +--receipts: all delivered--> delivered
--                            +-------+--an SMPP error or a failed receipt--> failed
--
-- Every function here can run twice with the same arguments and change
-- nothing the second time: a reply lost with the connection leaves the
-- outcome unknown, and the caller simply calls again.
--
-- A message may name a tally, the hash P:<tally>: each of its transitions
-- (queued submitted accepted delivered failed, and failed:<why>) is
-- counted there once, by the same step that moves its P:stats counter.

local FAILURE = {expired = 1, deleted = 1, undeliverable = 1, rejected = 1, unknown = 1}
local NOT_SENT = '-2' -- a part's status when the outbox could not send it at all
local EXPIRED = '-3' -- its expire_at passed before its turn came: not sent either
-- A bulk part whose fate is unknown (a node stopped, or a link dropped,
-- between its submit_sm and the answer): the SMSC may have it, and the
-- bulk lane sends nothing twice, so it is not sent again.
local LOST = '-4'
-- What a part's status makes the message's error, whether it counts as
-- refused by the SMSC, and the short class a tally counts the failure
-- under (failed:<class>): status_name is the outbox's reason for those it
-- did not send, the ESME name of those the SMSC refused.
local function part_error(status, name)
  if status == NOT_SENT then return 'unsent:' .. name, false, 'unsent' end
  if status == EXPIRED then return name, false, 'expired' end
  if status == LOST then return 'unknown:' .. name, false, 'unknown' end
  return 'smpp:' .. name, true, 'smpp:' .. name
end

-- The lanes of the MT path and the stream each is read from: '' the
-- normal one, 'bulk' the one that waits behind it.
local LANES = {[''] = ':mt', bulk = ':mt:bulk'}

local function lane_stream(lane, id)
  local s = LANES[lane or '']
  if not s then
    error({err = string.format('ERR message %s: lane %q is neither "" nor "bulk"', id, tostring(lane))})
  end
  return s
end

-- A tally's key after the prefix: at most 64 bytes of [A-Za-z0-9:_-], and
-- a hash if it exists (a HINCRBY on another type would fail).  nil: none.
local TALLY_MAX = 64
local function check_tally(P, t, id)
  if t == nil or t == '' then return nil end
  if type(t) ~= 'string' or #t > TALLY_MAX or string.find(t, '[^A-Za-z0-9:_%-]') then
    error({err = string.format('ERR message %s: tally %q is longer than %d bytes or not made of A-Z a-z 0-9 : _ -',
      id, tostring(t), TALLY_MAX)})
  end
  local ty = redis.call('TYPE', P .. ':' .. t).ok
  if ty ~= 'none' and ty ~= 'hash' then
    error({err = string.format('ERR message %s: tally %q is a %s, not a hash', id, t, ty)})
  end
  return t
end
local FINAL = {delivered = 1, expired = 1, deleted = 1, undeliverable = 1, rejected = 1, unknown = 1}

-- One MT message record and its stream entry (or its place among the
-- messages held for quiet hours, when `release` is later than `now`),
-- unless the id exists: the same id queued twice is one message.
-- m: {id, to, text, src, ussd_op (-1: none), its, origin, umr, expire_at,
-- lane, tally} (umr: user_message_reference, '' or nil: none; expire_at: ms
-- after which the outbox does not send it, 0 or nil: none; lane: '' or nil
-- the stream P:mt, 'bulk' P:mt:bulk; tally: the key after the prefix of
-- the hash its transitions are counted in, '' or nil: none).  `now` and
-- `ttl` may be numbers or digits (text).  Counts queued or scheduled in `c`
-- (counters()).  Returns true when new.  An address too long for a
-- submit_sm is refused here, before this writes anything; a caller that
-- writes before it checks its addresses first (check_addr).
local function mt_put(P, m, now, ttl, release, c)
  local key = P .. ':msg:' .. check_id('message', m.id)
  check_addr('destination', m.to, m.id)
  check_addr('source', m.src, m.id)
  local stream = lane_stream(m.lane, m.id)
  local tl = check_tally(P, m.tally, m.id)
  if redis.call('EXISTS', key) == 1 then return false end
  local rec = {'id', m.id, 'to', m.to, 'text', m.text, 'created', now, 'origin', m.origin}
  if m.lane == 'bulk' then rec[#rec + 1] = 'lane'; rec[#rec + 1] = 'bulk' end
  if tl then rec[#rec + 1] = 'tally'; rec[#rec + 1] = tl end
  local ent = {'id', m.id, 'to', m.to, 'text', m.text}
  -- source, USSD operation and session only when set: most MT has none
  local src, ussd, its = m.src, m.ussd_op, m.its
  if src and src ~= '' then
    rec[#rec + 1] = 'src'; rec[#rec + 1] = src
    ent[#ent + 1] = 'src'; ent[#ent + 1] = src
  end
  if ussd and ussd >= 0 then
    rec[#rec + 1] = 'ussd_op'; rec[#rec + 1] = ussd
    ent[#ent + 1] = 'ussd_op'; ent[#ent + 1] = ussd
  end
  if its and its ~= '' then
    rec[#rec + 1] = 'its'; rec[#rec + 1] = its
    ent[#ent + 1] = 'its'; ent[#ent + 1] = its
  end
  if m.umr and m.umr ~= '' then
    rec[#rec + 1] = 'umr'; rec[#rec + 1] = m.umr
    ent[#ent + 1] = 'umr'; ent[#ent + 1] = m.umr
  end
  if (tonumber(m.expire_at) or 0) > 0 then
    rec[#rec + 1] = 'expire_at'; rec[#rec + 1] = m.expire_at
    ent[#ent + 1] = 'expire_at'; ent[#ent + 1] = m.expire_at
  end
  if release > 0 and release > tonumber(now) then
    rec[#rec + 1] = 'state'; rec[#rec + 1] = 'scheduled'
    rec[#rec + 1] = 'release_at'; rec[#rec + 1] = release
    redis.call('HSET', key, unpack(rec))
    redis.call('EXPIRE', key, tonumber(ttl) + math.floor((release - tonumber(now)) / 1000))
    redis.call('ZADD', P .. ':mt:scheduled', release, m.id)
    count(c, 'scheduled')
  else
    rec[#rec + 1] = 'state'; rec[#rec + 1] = 'queued'
    redis.call('HSET', key, unpack(rec))
    redis.call('EXPIRE', key, ttl)
    redis.call('XADD', P .. stream, '*', unpack(ent))
    count(c, 'queued')
    tally(c, tl, 'queued')
    tally_keep(c, tl, tonumber(ttl))
  end
  return true
end

-- A message's state from its parts: failed when any part failed (an SMPP
-- error, counted rejected too, or a failed receipt), delivered when every
-- part is, accepted when every part was answered OK.  Counters move only on
-- a transition, and so does the message's tally `tl` (nil: none).
local function settle(msg, n, c, now, tl)
  local st = redis.call('HGET', msg, 'state')
  if st == 'delivered' or st == 'failed' then return st end
  local answered, delivered = 0, 0
  for i = 1, n do
    local f = redis.call('HMGET', msg, 'p' .. i .. '.status', 'p' .. i .. '.error',
      'p' .. i .. '.dlr', 'p' .. i .. '.dlr_err')
    if f[1] then
      answered = answered + 1
      if f[1] ~= '0' then
        local err, refused, class = part_error(f[1], f[2] or f[1])
        redis.call('HSET', msg, 'state', 'failed', 'error', err, 'done_at', now)
        count(c, 'failed')
        if refused then count(c, 'rejected') end
        tally(c, tl, 'failed')
        tally(c, tl, 'failed:' .. class)
        return 'failed'
      end
    end
    if f[3] == 'delivered' then
      delivered = delivered + 1
    elseif f[3] and FAILURE[f[3]] then
      redis.call('HSET', msg, 'state', 'failed', 'error', 'dlr:' .. f[3] .. ' err:' .. (f[4] or ''), 'done_at', now)
      count(c, 'failed')
      tally(c, tl, 'failed')
      tally(c, tl, 'failed:dlr:' .. f[3])
      return 'failed'
    end
  end
  if answered == n and redis.call('HEXISTS', msg, 'accepted_at') == 0 then
    redis.call('HSET', msg, 'state', 'accepted', 'accepted_at', now)
    count(c, 'accepted')
    tally(c, tl, 'accepted')
    st = 'accepted'
  end
  if delivered == n and answered == n then
    redis.call('HSET', msg, 'state', 'delivered', 'done_at', now)
    count(c, 'delivered')
    tally(c, tl, 'delivered')
    return 'delivered'
  end
  return st
end

-- mt_enqueue: any number of messages in one call (the CLI queues a file in
-- batches).  -> how many were new (an id already there is skipped).
local function mt_enqueue(a)
  for m in a.messages() do
    check_id('message', m.id)
    check_addr('destination', m.to, m.id)
    check_addr('source', m.src, m.id)
    lane_stream(m.lane, m.id)
    check_tally(a.prefix, m.tally, m.id)
  end
  local c = counters()
  local n = 0
  for m in a.messages() do
    if mt_put(a.prefix, m, a.created, a.ttl, 0, c) then n = n + 1 end
  end
  count_flush(a.prefix, c)
  return n
end

-- A receipt that came before its submit_sm_resp, under one of the
-- response's spellings of the SMSC id, taken by the message now that the
-- response names it.  Only a receipt about the message's own number (or
-- about no number) is taken.
local function take_early_receipt(P, msg, p, keys, c, now)
  for _, k in ipairs(keys) do
    local uk = P .. ':dlr:unmatched:' .. k
    local u = k ~= '' and redis.call('HMGET', uk, 'stat', 'err', 'at', 'from') or {}
    if u[1] and (not u[4] or u[4] == '' or u[4] == redis.call('HGET', msg, 'to')) then
      redis.call('HSET', msg, p .. 'dlr', u[1], p .. 'dlr_err', u[2] or '', p .. 'dlr_at', u[3] or now)
      redis.call('DEL', uk)
      count(c, 'dlr_late_matched')
      count(c, 'dlr_unmatched', -1)
      return true
    end
  end
  return false
end

-- mt_resp: the submit_sm_resp of any number of parts.  The common case, the
-- one answer of a one-part message, is a single HSET; the stream entries
-- are acknowledged (in the stream of each part's lane) and the counters
-- moved once per call.
-- -> per part the message's state, "partial" while other parts are
--    unanswered, "expired" when the record is gone
local function mt_resp(a)
  local P, now = a.prefix, a.now
  local unmatched = tonumber(redis.call('HGET', P .. ':stats', 'dlr_unmatched') or '0') > 0
  local out, acks = {}, {}
  local c = counters()
  for r in a.parts() do
    local msg = P .. ':msg:' .. r.id
    local p = 'p' .. r.part .. '.'
    local stream = lane_stream(r.lane, r.id)
    local lane_acks = acks[stream] or {}
    acks[stream] = lane_acks
    local cur = redis.call('HMGET', msg, 'state', p .. 'status', 'tally')
    local st, tl = cur[1], cur[3]
    if not st then
      lane_acks[#lane_acks + 1] = r.entry
      out[#out + 1] = 'expired'
    else
      local fresh = not cur[2]
      local late = false
      if fresh and r.status == '0' and r.key0 ~= '' then
        redis.call('SET', P .. ':smscid:' .. r.key0, r.id .. '|' .. r.part, 'EX', a.ttl)
        if unmatched then late = take_early_receipt(P, msg, p, {r.key0, r.key1, r.key2}, c, now) end
      end
      if fresh and r.nparts == '1' and not late and (st == 'queued' or st == 'submitted') then
        -- NOT_SENT: the outbox could not encode the text; EXPIRED: its
        -- deadline passed first.  Either way nothing went out.
        local err, sent, class = part_error(r.status, r.status_name)
        count(c, sent and 'submitted' or 'unsent')
        if sent then tally(c, tl, 'submitted') end
        if r.status == EXPIRED then count(c, 'mt_expired') end
        if r.status == LOST then count(c, 'mt_unknown') end
        if r.status == '0' then
          redis.call('HSET', msg, p .. 'status', r.status, p .. 'smscid', r.smscid, p .. 'resp_at', now,
            'parts', r.nparts, 'submitted_at', r.submitted, 'state', 'accepted', 'accepted_at', now)
          count(c, 'accepted')
          tally(c, tl, 'accepted')
          out[#out + 1] = 'accepted'
        else
          redis.call('HSET', msg, p .. 'status', r.status, p .. 'smscid', r.smscid, p .. 'resp_at', now,
            'parts', r.nparts, 'submitted_at', r.submitted, p .. 'error', r.status_name,
            'state', 'failed', 'error', err, 'done_at', now)
          count(c, 'failed')
          if sent then count(c, 'rejected') end
          tally(c, tl, 'failed')
          tally(c, tl, 'failed:' .. class)
          out[#out + 1] = 'failed'
        end
        lane_acks[#lane_acks + 1] = r.entry
      else
        if fresh then
          redis.call('HSET', msg, p .. 'status', r.status, p .. 'smscid', r.smscid, p .. 'resp_at', now,
            'parts', r.nparts)
          if r.status ~= '0' then redis.call('HSET', msg, p .. 'error', r.status_name) end
          if redis.call('HSETNX', msg, 'submitted_at', r.submitted) == 1 then
            count(c, 'submitted')
            tally(c, tl, 'submitted')
          end
        end
        local done, nparts = true, tonumber(r.nparts)
        for i = 1, nparts do
          if redis.call('HEXISTS', msg, 'p' .. i .. '.status') == 0 then
            done = false
            break
          end
        end
        if done then
          lane_acks[#lane_acks + 1] = r.entry
          out[#out + 1] = settle(msg, nparts, c, now, tl)
        else
          if st == 'queued' then redis.call('HSET', msg, 'state', 'submitted') end
          out[#out + 1] = 'partial'
        end
      end
    end
  end
  for stream, list in pairs(acks) do
    if #list > 0 then
      redis.call('XACK', P .. stream, a.group_name, unpack(list))
      redis.call('XDEL', P .. stream, unpack(list))
    end
  end
  count_flush(P, c)
  return out
end

-- mt_claim: the bulk lane sends each part at most once, whichever node
-- holds its entry: before a part's submit_sm, its sender (one run of one
-- daemon) claims it in the record (p<n>.sending).  A part answered
-- already, or claimed by another run, is not sent by this one; a node that
-- takes over an entry finds the claim of the one that stopped and records
-- the part as unknown instead of sending it again (gateway/outbox.c).
-- -> per part: ok | done | taken | gone (no record: sent as before)
local function mt_claim(a)
  local out = {}
  for r in a.parts() do
    local msg = a.prefix .. ':msg:' .. r.id
    local f = redis.call('HMGET', msg, 'state', 'p' .. r.part .. '.status', 'p' .. r.part .. '.sending')
    if not f[1] then
      out[#out + 1] = 'gone'
    elseif f[2] then
      out[#out + 1] = 'done'
    elseif f[3] and f[3] ~= a.holder then
      out[#out + 1] = 'taken'
    else
      redis.call('HSET', msg, 'p' .. r.part .. '.sending', a.holder)
      out[#out + 1] = 'ok'
    end
  end
  return out
end

-- mt_unclaim: the claims of parts this run did not send after all (it
-- stops with them still queued): another run may send them.  -> how many
local function mt_unclaim(a)
  local n = 0
  for r in a.parts() do
    local msg = a.prefix .. ':msg:' .. r.id
    local f = redis.call('HMGET', msg, 'p' .. r.part .. '.status', 'p' .. r.part .. '.sending')
    if not f[1] and f[2] == a.holder then
      redis.call('HDEL', msg, 'p' .. r.part .. '.sending')
      n = n + 1
    end
  end
  return n
end

-- dlr: receipts, any number per call.  A receipt is looked up under each
-- spelling of its id (gateway/dlr.h), but taken only by a message sent to
-- the number the receipt comes from (when the SMSC says): "1000" read as
-- hex is another message's decimal id 4096, and a receipt that arrives
-- before its own submit_sm_resp must not land on that one.
-- -> per receipt {"matched", message id, its state now} | {"dup", message id
--    or "", ""} | {"unmatched", "", ""}
local function dlr(a)
  local P, now = a.prefix, a.now
  local c = counters()
  local out = {}
  for d in a.receipts() do
    count(c, 'dlr_received')
    local res, rid, rstate = nil, '', ''
    for _, k in ipairs({d.key0, d.key1, d.key2}) do
      local ref = k ~= '' and redis.call('GET', P .. ':smscid:' .. k)
      local sep = ref and string.find(ref, '|', 1, true)
      local id = sep and string.sub(ref, 1, sep - 1)
      local msg = id and P .. ':msg:' .. id
      local part = sep and string.sub(ref, sep + 1)
      local p = part and 'p' .. part .. '.'
      local f = msg and redis.call('HMGET', msg, 'to', p .. 'dlr', 'state', 'parts', p .. 'status', 'tally') or {}
      if f[1] and (d.from == '' or f[1] == d.from) then
        rid = id
        if f[2] and FINAL[f[2]] then
          count(c, 'dlr_duplicate')
          res = 'dup'
        elseif f[3] == 'accepted' and f[4] == '1' and f[5] == '0' and
            (d.stat == 'delivered' or FAILURE[d.stat]) then
          -- the common case: the final receipt of a one-part message
          if d.stat == 'delivered' then
            redis.call('HSET', msg, p .. 'dlr', d.stat, p .. 'dlr_err', d.err, p .. 'dlr_at', now,
              'state', 'delivered', 'done_at', now)
            count(c, 'delivered')
            tally(c, f[6], 'delivered')
            rstate = 'delivered'
          else
            redis.call('HSET', msg, p .. 'dlr', d.stat, p .. 'dlr_err', d.err, p .. 'dlr_at', now,
              'state', 'failed', 'error', 'dlr:' .. d.stat .. ' err:' .. d.err, 'done_at', now)
            count(c, 'failed')
            tally(c, f[6], 'failed')
            tally(c, f[6], 'failed:dlr:' .. d.stat)
            rstate = 'failed'
          end
          count(c, 'dlr')
          res = 'matched'
        else
          redis.call('HSET', msg, p .. 'dlr', d.stat, p .. 'dlr_err', d.err, p .. 'dlr_at', now)
          count(c, 'dlr')
          rstate = settle(msg, tonumber(f[4] or '1'), c, now, f[6])
          res = 'matched'
        end
        break
      end
    end
    if not res then
      -- Kept until a submit_sm_resp names it; a final receipt replaces a
      -- non-final one kept before it (ENROUTE, then DELIVRD).
      local uk = P .. ':dlr:unmatched:' .. d.key0
      local kept = redis.call('HGET', uk, 'stat')
      if kept and (FINAL[kept] or not FINAL[d.stat]) then
        count(c, 'dlr_duplicate')
        res = 'dup'
      elseif kept then
        redis.call('HSET', uk, 'id', d.raw, 'stat', d.stat, 'err', d.err, 'at', now, 'from', d.from)
        count(c, 'dlr_replaced')
        res = 'unmatched'
      else
        redis.call('HSET', uk, 'id', d.raw, 'stat', d.stat, 'err', d.err, 'at', now, 'from', d.from)
        redis.call('EXPIRE', uk, a.ttl)
        count(c, 'dlr_unmatched')
        res = 'unmatched'
      end
    end
    out[#out + 1] = {res, res == 'unmatched' and '' or rid, rstate or ''}
  end
  count_flush(P, c)
  return out
end

-- mt_release: the messages held for quiet hours whose time has come join
-- the stream of their lane, once each (any node may call it, every second).  The
-- business may refuse one at the last moment (hooks.release_check: an
-- offer to a number that opted out meanwhile is not sent); it then fails
-- with that reason as its error.
-- -> how many held messages were queued
local function mt_release(a)
  local P, now = a.prefix, a.now
  local c = counters()
  local ids = redis.call('ZRANGEBYSCORE', P .. ':mt:scheduled', '-inf', now, 'LIMIT', 0, a.max)
  local n = 0
  for _, id in ipairs(ids) do
    local key = P .. ':msg:' .. id
    local msg = hash_of(redis.call('HGETALL', key))
    if msg.state == 'scheduled' then
      local why = hooks.release_check(P, id, msg, now)
      -- the tally lapses no sooner than this record
      if msg.tally then tally_keep(c, msg.tally, redis.call('TTL', key)) end
      if why then
        redis.call('HSET', key, 'state', 'failed', 'error', why, 'done_at', now)
        count(c, 'failed')
        tally(c, msg.tally, 'failed')
        tally(c, msg.tally, 'failed:' .. why)
      else
        local ent = {'id', id, 'to', msg.to, 'text', msg.text}
        for _, f in ipairs({'src', 'ussd_op', 'its', 'umr', 'expire_at'}) do
          if msg[f] then ent[#ent + 1] = f; ent[#ent + 1] = msg[f] end
        end
        -- a lane the record names wrongly (written by hand) goes the normal way
        redis.call('XADD', P .. (LANES[msg.lane or ''] or LANES['']), '*', unpack(ent))
        redis.call('HSET', key, 'state', 'queued', 'released_at', now)
        count(c, 'queued')
        tally(c, msg.tally, 'queued')
        n = n + 1
      end
      count(c, 'scheduled', -1)
    end
    redis.call('ZREM', P .. ':mt:scheduled', id)
  end
  count_flush(P, c)
  return n
end
