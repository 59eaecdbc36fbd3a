-- handlers/lua/states.lua — the two state machines of the business, each
-- written once as a table of (state, event) -> new state; every function
-- changes an offer or a subscriber's service only through offer_event()
-- and service_event() below, and an event a state does not take changes
-- nothing.
--
-- An offer, P:offer:<id> field state (handlers/lua/offers.lua):
--
--   (none) --hold--> held --release--> pending          (its SMS held for quiet
--      |               |                                 hours is sent)
--      |               +--withdraw--> withdrawn         (a rule no longer met
--      |                                                 when it was due)
--      +--made--> pending --decline--> declined
--                   |  |                 |  |
--                   |  +--confirm--------+--+--> confirmed   (its order is queued)
--                   +--supersede------------+--> superseded  (another offer of the
--                                               service was confirmed, or the
--                                               subscriber holds it already)
--
-- A held offer is not open to an answer: the subscriber has not seen it.
-- An offer past its `expires` has lapsed, whatever its state says: no
-- event is needed for time to pass.
local OFFER = {
  none = {made = 'pending', hold = 'held'},
  held = {release = 'pending', withdraw = 'withdrawn'},
  pending = {decline = 'declined', confirm = 'confirmed', supersede = 'superseded'},
  declined = {confirm = 'confirmed', supersede = 'superseded'},
  confirmed = {},
  superseded = {},
  withdrawn = {},
}

-- A subscriber's state of one service, P:sub:{<M>} field svc:<CODE>, with
-- svc:<CODE>:at when it last changed and svc:<CODE>:order the order that
-- made it active (handlers/lua/orders.lua):
--
--   none, cancelled --confirm--> ordering --activated--> active --cancel--> cancelling
--                                   |                      ^                   |
--                                   +--activation_failed   +--deactivation_failed
--                                      --> none                                |
--                                                 cancelled <--deactivated-----+
--
-- The provisioning system is the truth: an activation it reports done makes
-- the service active from none and cancelled too (an order made before a
-- state was lost), but not from cancelling, where the deactivation under
-- way decides.
local SERVICE = {
  none = {confirm = 'ordering', activated = 'active'},
  ordering = {activated = 'active', activation_failed = 'none'},
  active = {cancel = 'cancelling'},
  cancelling = {deactivated = 'cancelled', deactivation_failed = 'active'},
  cancelled = {confirm = 'ordering', activated = 'active'},
}

-- Event `event` on offer `id`, writing `fields` (name, value, ...) with
-- the new state.  The new state, or nil (nothing written) when the offer's
-- state does not take the event.
-- Count `...` (counter names) in the funnel of offer oid's campaign
-- (handlers/lua/campaigns.lua, P:campaign:<id>:n), when it has one.
local function campaign_count(P, oid, ...)
  local cid = oid and oid ~= '' and redis.call('HGET', P .. ':offer:' .. oid, 'campaign')
  if cid and cid ~= '' then
    for _, name in ipairs({...}) do redis.call('HINCRBY', P .. ':campaign:' .. cid .. ':n', name, 1) end
  end
end

-- Event `event` on offer `id`, writing `fields` (name, value, ...) with
-- the new state.  The new state, or nil (nothing written) when the offer's
-- state does not take the event.  A campaign's offer counts its answers
-- in the campaign's funnel here, once each: the first answer is a reply.
local function offer_event(P, id, event, fields)
  local key = P .. ':offer:' .. id
  local from = redis.call('HGET', key, 'state') or 'none'
  local to = OFFER[from][event]
  if not to then return nil end
  local rec = {'state', to}
  for _, v in ipairs(fields or {}) do rec[#rec + 1] = v end
  redis.call('HSET', key, unpack(rec))
  if to == 'declined' then
    campaign_count(P, id, 'replied', 'declined')
  elseif to == 'confirmed' then
    if from == 'pending' then campaign_count(P, id, 'replied', 'confirmed')
    else campaign_count(P, id, 'confirmed') end
  end
  return to
end

-- The state of service `svc` for subscriber `m`: none when never ordered.
local function service_state(P, m, svc)
  return redis.call('HGET', P .. ':sub:{' .. m .. '}', 'svc:' .. svc) or 'none'
end

-- Event `event` on subscriber m's service svc at `now` (`order`: the order
-- that made it active).  The new state, or nil when the state does not
-- take the event (nothing written).
local function service_event(P, m, svc, event, now, order)
  local sub, f = P .. ':sub:{' .. m .. '}', 'svc:' .. svc
  local to = SERVICE[service_state(P, m, svc)][event]
  if not to then return nil end
  if to == 'none' then
    redis.call('HDEL', sub, f, f .. ':at')
  elseif order then
    redis.call('HSET', sub, f, to, f .. ':at', now, f .. ':order', order)
  else
    redis.call('HSET', sub, f, to, f .. ':at', now)
  end
  return to
end
