-- gateway/lua/mo.lua — MO messages: stored before the SMSC is answered,
-- reassembled when concatenated, handed to the dispatcher through the
-- stream P:mo (docs/keys.md, "MO"; docs/delivery.md).

-- A new MO record and the stream entry carrying what the dispatcher needs
-- (error "undecodable": the text is not text, and is kept as octets in hex:
-- the dispatcher must not read a command in it).
-- -> its id (P:seq:mo counts them)
local function new_mo(P, m)
  local id = tostring(redis.call('INCR', P .. ':seq:mo'))
  local key = P .. ':mo:' .. id
  redis.call('HSET', key, 'id', id, 'from', m.from, 'to', m.to, 'text', m.text, 'dcs', m.dcs,
    'ussd_op', m.ussd_op, 'its', m.its, 'umr', m.umr, 'received_at', m.received, 'complete', m.complete,
    'parts', m.parts, 'missing', m.missing, 'error', m.error)
  redis.call('EXPIRE', key, m.ttl)
  redis.call('XADD', P .. ':mo', '*', 'id', id, 'from', m.from, 'to', m.to, 'text', m.text,
    'ussd_op', m.ussd_op, 'its', m.its, 'umr', m.umr, 'complete', m.complete, 'error', m.error)
  redis.call('HINCRBY', P .. ':stats', 'mo', 1)
  if m.complete == '0' then redis.call('HINCRBY', P .. ':stats', 'mo_incomplete', 1) end
  return id
end

-- mo_store: one deliver_sm (or data_sm) that is not a receipt.  Stored
-- unless it is a redelivery, i.e. something the SMSC may deliver again
-- (docs/delivery.md, "Redelivered MO"): the same bytes (dedup) as a message
-- stored within dedup_ttl whose ESME_ROK the SMSC has not been seen to read
-- (mo_acked forgets those it has read), when it comes on another connection
-- (the first answer was lost with its connection), or when the gateway
-- answered this message with a temporary error (`redelivery`); a part of a
-- concatenated message seen before is always one.  The same one-part
-- message again on the same connection is a new message: a person who
-- sends "Y" twice means it twice.  A part of a concatenated message waits in
-- P:mo:asm:<from>:<ref>:<total> until the last part comes, then the whole
-- text is one MO; one undecodable part makes the whole MO undecodable (the
-- rest alone could read as a command).
-- -> {"stored", mo id} | {"part", ""} | {"dup", mo id or "part"}
local function mo_store(a)
  local P = a.prefix
  local dk = P .. ':mo:dedup:' .. a.dedup
  local seen = redis.call('GET', dk)
  if seen then
    local id, conn = string.match(seen, '^([^|]*)|(.*)$')
    -- A part of a concatenated message cannot be sent again by a person
    -- (the phone numbers its parts): the same part is always a redelivery.
    if a.redelivery or conn ~= a.conn or a.total > 1 then
      redis.call('HINCRBY', P .. ':stats', 'mo_duplicate', 1)
      return {'dup', id or seen}
    end
  end
  local m = {from = a.from, to = a.to, text = a.text, dcs = a.dcs, ussd_op = a.ussd_op,
             its = a.its, umr = a.umr, received = a.received, ttl = a.ttl, complete = '1', parts = '1',
             missing = '', error = a.error}
  if a.total <= 1 then
    local id = new_mo(P, m)
    redis.call('SET', dk, id .. '|' .. a.conn, 'EX', a.dedup_ttl)
    return {'stored', id}
  end
  local ak = P .. ':mo:asm:' .. a.from .. ':' .. a.ref .. ':' .. a.total
  redis.call('HSET', ak, 'p' .. a.seq, a.text)
  if a.error ~= '' then redis.call('HSET', ak, 'error', a.error) end
  for _, f in ipairs({'from', 'to', 'dcs', 'ussd_op', 'its', 'umr'}) do redis.call('HSETNX', ak, f, a[f]) end
  redis.call('HSETNX', ak, 'at', a.received)
  redis.call('HSETNX', ak, 'total', a.total)
  redis.call('EXPIRE', ak, a.ttl)
  redis.call('SET', dk, 'part|' .. a.conn, 'EX', a.dedup_ttl)
  local parts = {}
  for i = 1, a.total do
    local t = redis.call('HGET', ak, 'p' .. i)
    if not t then
      redis.call('ZADD', P .. ':mo:asm:pending', 'NX', a.deadline, ak)
      return {'part', ''}
    end
    parts[i] = t
  end
  -- Received when its first part was, as when it is delivered incomplete.
  m.received = redis.call('HGET', ak, 'at')
  m.error = redis.call('HGET', ak, 'error') or ''
  redis.call('DEL', ak)
  redis.call('ZREM', P .. ':mo:asm:pending', ak)
  m.text = table.concat(parts)
  m.parts = tostring(a.total)
  return {'stored', new_mo(P, m)}
end

-- mo_acked: the SMSC has read our ESME_ROK to these messages (marks: their
-- dedup hashes and the id each mark names), so it will not deliver them
-- again: forget them, and the same text sent again, on any connection, is a
-- new message.  A mark that names another id is a later message with the
-- same bytes whose answer is not yet proven read: it stays.
-- -> how many marks were dropped
local function mo_acked(a)
  local n = 0
  for m in a.marks() do
    local dk = a.prefix .. ':mo:dedup:' .. m.dedup
    local v = redis.call('GET', dk)
    if v and string.sub(v, 1, #m.owner + 1) == m.owner .. '|' then
      n = n + redis.call('DEL', dk)
    end
  end
  return n
end

-- mo_expire: concatenated MO whose last parts did not come within
-- [smsc] mo_reassembly_wait are delivered with what came, marked
-- incomplete (missing: the part numbers that never came).
-- -> how many reassemblies were due (each delivered, or dropped when its
--    parts had lapsed already)
local function mo_expire(a)
  local P = a.prefix
  local due = redis.call('ZRANGEBYSCORE', P .. ':mo:asm:pending', '-inf', a.now, 'LIMIT', 0, 50)
  for _, ak in ipairs(due) do
    redis.call('ZREM', P .. ':mo:asm:pending', ak)
    local h = hash_of(redis.call('HGETALL', ak))
    local total = tonumber(h.total or '0')
    if total > 0 then
      local text, missing = {}, {}
      for i = 1, total do
        if h['p' .. i] then text[#text + 1] = h['p' .. i] else missing[#missing + 1] = tostring(i) end
      end
      new_mo(P, {from = h.from, to = h.to, text = table.concat(text), dcs = h.dcs,
                 ussd_op = h.ussd_op, its = h.its, umr = h.umr or '', received = h.at, ttl = a.ttl, complete = '0',
                 parts = tostring(total), missing = table.concat(missing, ','),
                 error = h.error or ''})
    end
    redis.call('DEL', ak)
  end
  return #due
end
