-- gateway/lua/base.lua — what the whole library shares.
--
-- vasgw's Redis Functions are one library (docs/functions.md): tools/fngen.lua
-- joins the argument readers it generates, gateway/lua/*.lua and then
-- handlers/lua/*.lua into one chunk, in the order Makefile.am lists them.  A
-- `local` of an earlier file is seen by the later ones and never the other
-- way round, so the gateway's functions reach the business only through the
-- hooks below, which handlers/lua fills in.

local hooks = {
  -- release_check(P, id, msg, now): a message held for quiet hours is due.
  -- msg holds its fields (state to text src origin ...).  Returns nil to
  -- send it now, or the reason it is not sent (it fails with that error).
  release_check = function() return nil end,
  -- order_final(P, order, state, now, month, day): an order reached done,
  -- rejected or failed; order holds id action msisdn service offer.
  order_final = function() end,
}

-- The longest id a function makes or takes (gateway/ids.h: VG_ID_MAX, and
-- VG_OFFER_ID_LEN for offers, whose ids others are made from).  A longer
-- one is refused where it is made, never cut; a function checks the ids it
-- will write before it writes anything.
local ID_MAX, OFFER_ID_MAX = 64, 48

local function check_id(kind, id, max)
  max = max or ID_MAX
  if type(id) ~= 'string' or id == '' or #id > max then
    error({err = string.format('ERR %s id %q is empty or longer than %d bytes', kind, tostring(id), max)})
  end
  return id
end

-- The longest source or destination address an SMS may have: a submit_sm
-- field of 21 octets with its NUL (SMPP 3.4; gateway/outbox.h,
-- VG_SMPP_ADDR_MAX).  A longer one is refused where the message is made,
-- before anything is written, not cut by the outbox into another number.
local ADDR_MAX = 20

-- `what` is "destination" or "source"; `id` the message's, or nil.
local function check_addr(what, addr, id)
  if type(addr) == 'string' and #addr > ADDR_MAX then
    error({err = string.format('ERR %s%s address %q is longer than %d characters',
      id and ('message ' .. id .. ': ') or '', what, addr, ADDR_MAX)})
  end
  return addr
end

-- The counters of one call, added to P:stats once at the end: a batch of
-- a hundred messages is one HINCRBY per counter, not a hundred.
local function counters()
  return {}
end

local function count(c, name, n)
  c[name] = (c[name] or 0) + (n or 1)
end

-- A message's tally (mt.lua): the same transitions counted once more in a
-- hash the message names, P:<key>, moved with the counters of the call, so
-- that two hundred messages of one batch are one HINCRBY per field.
-- c[TALLY][key][field] = n; c[TALLY_KEEP][key] = seconds it is kept at least.
local TALLY, TALLY_KEEP = {}, {}

local function tally(c, key, field)
  if not key or key == '' then return end
  local t = c[TALLY] or {}
  c[TALLY] = t
  local h = t[key] or {}
  t[key] = h
  h[field] = (h[field] or 0) + 1
end

-- The tally lapses with the last of its messages' records: it is kept at
-- least `ttl` seconds from now (written at the flush).
local function tally_keep(c, key, ttl)
  if not key or key == '' then return end
  local k = c[TALLY_KEEP] or {}
  c[TALLY_KEEP] = k
  if (k[key] or 0) < ttl then k[key] = ttl end
end

local function tally_flush(P, c)
  local keep = c[TALLY_KEEP] or {}
  for key, h in pairs(c[TALLY] or {}) do
    local k = P .. ':' .. key
    for f, v in pairs(h) do
      -- pcall: a tally made into another type by hand must never stop a
      -- message's own record from moving on.
      local r = redis.pcall('HINCRBY', k, f, v)
      if type(r) == 'table' and r.err then
        redis.log(redis.LOG_WARNING, 'vasgw: tally ' .. k .. ': ' .. r.err)
        break
      end
    end
    if keep[key] and redis.call('TTL', k) < keep[key] then redis.call('EXPIRE', k, keep[key]) end
  end
end

local function count_flush(P, c)
  for k, v in pairs(c) do
    if k ~= TALLY and k ~= TALLY_KEEP and v ~= 0 then redis.call('HINCRBY', P .. ':stats', k, v) end
  end
  tally_flush(P, c)
end

-- A stream entry handled: acknowledged for the consumer group and deleted,
-- so that handled entries do not pile up ("" for none).
local function stream_ack(P, stream, entry)
  if entry ~= '' then
    redis.call('XACK', P .. ':' .. stream, 'vasgw', entry)
    redis.call('XDEL', P .. ':' .. stream, entry)
  end
end

-- HGETALL's flat reply as a table.
local function hash_of(flat)
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  return h
end
