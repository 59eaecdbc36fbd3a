-- handlers/lua/orders.lua — what an activation order means for the business:
-- made when a subscriber confirms (or cancels with QX), and, once final,
-- the subscriber's service state and the promoter's development.  The
-- webhook calls themselves are the gateway's (gateway/lua/orders.lua).

-- An order record, queued for the dispatcher (once per id: 0 when it
-- exists).  The catalogue's fields are copied, so the webhook body and the
-- result SMS do not change with the catalogue.
local function order_new(P, o)
  local key = P .. ':order:' .. check_id('order', o.id)
  if redis.call('EXISTS', key) == 1 then return 0 end
  local s = redis.call('HMGET', P .. ':svc:' .. o.service, 'provision_code', 'name', 'price', 'usage', 'cancel')
  redis.call('HSET', key, 'id', o.id, 'action', o.action, 'msisdn', o.msisdn,
    'service', o.service, 'provision_code', s[1] or '', 'service_name', s[2] or o.service,
    'price', s[3] or '', 'usage', s[4] or '', 'cancel', s[5] or '',
    'channel', o.channel, 'promoter', o.promoter, 'offer', o.offer,
    'requested_at', o.requested_at, 'created', o.now, 'state', 'queued', 'attempts', 0,
    'mo', o.mo)
  redis.call('XADD', P .. ':orders', '*', 'id', o.id)
  redis.call('ZADD', P .. ':orders:index', o.now, o.id)
  redis.call('HINCRBY', P .. ':stats', 'orders_' .. o.action, 1)
  return 1
end

-- QX <svc>: a deactivation order for a service activated through vasgw
-- (`channel`: how it was asked, sms or ussd).
-- -> {status, order, service, service_name}: status ordered, not_active,
--    processing or unknown_service
local function cancel_service(P, now, m, svc, mo, iso, channel)
  local nm = redis.call('HGET', P .. ':svc:' .. svc, 'name')
  if not nm then return {'unknown_service', '', svc, svc} end
  local oid = 'D' .. mo
  if redis.call('EXISTS', P .. ':order:' .. oid) == 1 then return {'ordered', oid, svc, nm} end
  local st = service_state(P, m, svc)
  if st == 'cancelling' or st == 'ordering' then return {'processing', '', svc, nm} end
  if st ~= 'active' then return {'not_active', '', svc, nm} end
  order_new(P, {id = oid, action = 'deactivate', msisdn = m, service = svc, channel = channel,
                promoter = '', offer = '', now = now, requested_at = iso, mo = mo})
  service_event(P, m, svc, 'cancel', now)
  return {'ordered', oid, svc, nm}
end

-- An order is final (gateway/lua/orders.lua): the subscriber's service
-- follows it, and an activation done for a promoter's offer is credited.
hooks.order_final = function(P, o, state, now, month, day)
  local event
  if o.action == 'activate' then
    event = state == 'done' and 'activated' or 'activation_failed'
  else
    event = state == 'done' and 'deactivated' or 'deactivation_failed'
  end
  service_event(P, o.msisdn, o.service, event, now, event == 'activated' and o.id or nil)
  if o.action == 'activate' then campaign_count(P, o.offer, event) end
  -- The promoter earns the activation the provisioning system did, whatever
  -- the subscriber's state says by now.
  if event == 'activated' then credit(P, o.id, now, month, day) end
end
