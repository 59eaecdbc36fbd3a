-- handlers/lua/states.lua — the two state machines of the business, each
-- written once; every function changes an offer or a subscriber's service
-- only through offer_to() and service_to() below.
--
-- An offer, P:offer:<id> field state (handlers/lua/offers.lua):
--
--   (none) --made--> pending --N--> declined
--                      |  |            |  |
--                      |  +----Y, code-+--+--> confirmed   (its order is queued)
--                      +-------------------+--> superseded (another offer of the
--                                                service was confirmed, or the
--                                                subscriber holds it already)
--
-- An offer past its `expires` has lapsed, whatever its state says: no
-- transition is needed for time to pass.
local OFFER = {
  none = {pending = true},
  pending = {declined = true, confirmed = true, superseded = true},
  declined = {confirmed = true, superseded = true},
  confirmed = {},
  superseded = {},
}

-- A subscriber's state of one service, P:sub:{<M>} field svc:<CODE>, with
-- svc:<CODE>:at when it last changed (handlers/lua/orders.lua):
--
--   none, cancelled --confirm--> ordering --activated--> active --QX--> cancelling
--                                   |                      ^               |
--                                   +--rejected, failed--> none            |
--                                                          +--failed-------+
--                                                 cancelled <--deactivated-+
--
-- The provisioning system is the truth: an activation it reports done makes
-- the service active from any state but cancelling (whose own order decides).
local SERVICE = {
  none = {ordering = true, active = true},
  ordering = {active = true, none = true},
  active = {cancelling = true},
  cancelling = {cancelled = true, active = true},
  cancelled = {ordering = true, active = true},
}

-- Move offer `id` to `to`, writing `fields` (name, value, ...) with it.
-- false, and nothing written, when its state does not allow it.
local function offer_to(P, id, to, fields)
  local key = P .. ':offer:' .. id
  local from = redis.call('HGET', key, 'state') or 'none'
  if not OFFER[from][to] then return false end
  local rec = {'state', to}
  for _, v in ipairs(fields or {}) do rec[#rec + 1] = v end
  redis.call('HSET', key, unpack(rec))
  return true
end

-- The state of service `svc` for subscriber `m`: none when never ordered.
local function service_state(P, m, svc)
  return redis.call('HGET', P .. ':sub:{' .. m .. '}', 'svc:' .. svc) or 'none'
end

-- Move subscriber m's service svc to `to` at `now` (`order`: the order that
-- made it active).  false, and nothing written, when not allowed.
local function service_to(P, m, svc, to, now, order)
  local sub, f = P .. ':sub:{' .. m .. '}', 'svc:' .. svc
  if not SERVICE[service_state(P, m, svc)][to] then return false end
  if to == 'none' then
    redis.call('HDEL', sub, f, f .. ':at')
  elseif order then
    redis.call('HSET', sub, f, to, f .. ':at', now, f .. ':order', order)
  else
    redis.call('HSET', sub, f, to, f .. ':at', now)
  end
  return true
end
