-- gateway/lua/orders.lua — the dispatcher's side of activation orders: one
-- webhook call begins, and what it came to (docs/keys.md, "Offers and
-- orders"; gateway/provision.h).  What an order means for the subscriber
-- and the promoter is the business's, reached through hooks.order_final.
--
--   queued --call--> sending --5xx, timeout--> retrying --next_at--> sending
--                       |                          |
--                       +--ok--> done              +--max_attempts--> failed
--                       +--rejected, 4xx--> rejected

local ORDER_FINAL = {done = true, rejected = true, failed = true}

local function order_ack(P, entry) stream_ack(P, 'orders', entry) end

-- order_attempt: the start of one webhook call.  Counted before the call,
-- so a node that dies mid-call leaves a trace; the stream entry's idle time
-- is reset so that no other node claims it meanwhile.  Called again with
-- the same `call` token (its reply was lost), it counts nothing more.
-- -> {"go", attempt, HGETALL...} | {"final", state} | {"wait", next_at} |
--    {"exhausted", attempts, HGETALL...} | {"missing"}
local function order_attempt(a)
  local P, now = a.prefix, a.now
  local key = P .. ':order:' .. a.order
  local f = redis.call('HMGET', key, 'state', 'attempts', 'next_at', 'call')
  if not f[1] then return {'missing'} end
  if f[1] == 'sending' and f[4] == a.call then
    local r = {'go', f[2]}
    for _, v in ipairs(redis.call('HGETALL', key)) do r[#r + 1] = v end
    return r
  end
  if ORDER_FINAL[f[1]] then return {'final', f[1]} end
  if f[1] == 'retrying' and tonumber(f[3] or '0') > now then return {'wait', f[3]} end
  -- After max_attempts answered calls the order fails; a call cut short by
  -- a restart ('sending') is made again with the same Idempotency-Key.
  if f[1] == 'retrying' and tonumber(f[2]) >= a.max_attempts then
    local r = {'exhausted', f[2]}
    for _, v in ipairs(redis.call('HGETALL', key)) do r[#r + 1] = v end
    return r
  end
  if a.entry ~= '' then
    redis.call('XCLAIM', P .. ':orders', 'vasgw', a.node, 0, a.entry, 'JUSTID')
  end
  local n = redis.call('HINCRBY', key, 'attempts', 1)
  redis.call('HSET', key, 'state', 'sending', 'last_attempt_at', now, 'node', a.node, 'call', a.call)
  local r = {'go', tostring(n)}
  for _, v in ipairs(redis.call('HGETALL', key)) do r[#r + 1] = v end
  return r
end

-- order_result: what one webhook call came to, in one step: the attempt's
-- record, the order's state, what it means for the subscriber and the
-- promoter (hooks.order_final), the result SMS and the stream entry's
-- acknowledgement.  Called twice, it changes nothing the second time.
-- -> the order's state ("missing" when there is no such order)
local function order_result(a)
  local P, now = a.prefix, a.now
  if a.msg_id ~= '' then
    check_id('message', a.msg_id)
    check_addr('source', a.src, a.msg_id)
  end
  local key = P .. ':order:' .. a.order
  local f = redis.call('HMGET', key, 'state', 'logged', 'action', 'msisdn', 'service', 'offer')
  if not f[1] then return 'missing' end
  if a.msg_id ~= '' then check_addr('destination', f[4], a.msg_id) end
  if ORDER_FINAL[f[1]] then
    order_ack(P, a.entry)
    return f[1]
  end
  if tonumber(f[2] or '0') < a.attempt then
    redis.call('RPUSH', key .. ':attempts',
      table.concat({a.attempt, now, a.duration, a.outcome, a.detail, a.reason}, '|'))
    redis.call('HSET', key, 'logged', a.attempt)
  end
  if a.outcome == 'retry' then
    redis.call('HSET', key, 'state', 'retrying', 'next_at', a.next_at, 'last_error', a.detail)
    return 'retrying'
  end
  local state = a.outcome == 'ok' and 'done' or a.outcome
  redis.call('HSET', key, 'state', state, 'done_at', now, 'reason', a.reason)
  if state ~= 'done' then redis.call('HSET', key, 'last_error', a.detail) end
  hooks.order_final(P, {id = a.order, action = f[3], msisdn = f[4], service = f[5], offer = f[6]}, state, now,
    a.month, a.day)
  redis.call('HINCRBY', P .. ':stats', 'orders_' .. state, 1)
  if a.msg_id ~= '' then
    local c = counters()
    mt_put(P, {id = a.msg_id, to = f[4], text = a.msg_text, src = a.src, origin = 'order'},
      now, a.msg_ttl, 0, c)
    count_flush(P, c)
  end
  order_ack(P, a.entry)
  return state
end
