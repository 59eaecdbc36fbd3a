-- handlers/lua/promoters.lua — promoters: registered once per number by SMS
-- (ZC, inside mo_reply) or in bulk by the operator, and approved, rejected
-- or disabled by the operator, each change told by SMS (docs/promoters.md).
--
--   (none) --ZC--> pending --approve--> approved --disable--> disabled
--     |              +------reject----> rejected        (approve again: approved)
--     +--import, auto_approve--> approved

-- A promoter's record, made once per number: a second registration answers
-- with the existing one.  Staff numbers (工号) count up from 10001.
-- -> {created (1|0), status, staff_no, name, outlet}
local function promoter_register(P, now, m, name, outlet, status, source)
  local k = P .. ':promoter:' .. m
  local f = redis.call('HMGET', k, 'status', 'staff_no', 'name', 'outlet')
  if f[1] then return {0, f[1], f[2], f[3], f[4] or ''} end
  local staff = tostring(10000 + redis.call('INCR', P .. ':seq:staff'))
  redis.call('HSET', k, 'msisdn', m, 'name', name, 'outlet', outlet,
    'staff_no', staff, 'status', status, 'source', source,
    'registered_at', now, 'updated_at', now)
  redis.call('SET', P .. ':staff:' .. staff, m)
  redis.call('ZADD', P .. ':promoters', now, m)
  redis.call('HINCRBY', P .. ':stats', 'promoters_registered', 1)
  return {1, status, staff, name, outlet}
end

-- promoter_status: an operator approves, rejects or disables a promoter;
-- the promoter is told by SMS (the template's text is rendered here with
-- the record's name and staff number).  The same change twice changes
-- nothing and sends nothing.
-- -> {"changed" | "unchanged" | "missing", old status, name, staff_no,
--     the SMS's message id ("" when none was sent)}
local function promoter_status(a)
  local P, now, m = a.prefix, a.now, a.msisdn
  local k = P .. ':promoter:' .. m
  local f = redis.call('HMGET', k, 'status', 'name', 'staff_no', 'outlet')
  if not f[1] then return {'missing', '', '', '', ''} end
  if f[1] == a.status then return {'unchanged', f[1], f[2], f[3], ''} end
  local id = check_id('message', 'pr-' .. m .. '-' .. a.status .. '-' .. now)
  redis.call('HSET', k, 'status', a.status, 'reason', a.reason, 'updated_at', now)
  redis.call('HINCRBY', P .. ':stats', 'promoters_' .. a.status, 1)
  local text = render(a.template, {name = f[2], staff_no = f[3], outlet = f[4] or '',
                                   reason = a.reason, status = a.status_word,
                                   ussd_code = a.ussd_code})
  local c = counters()
  mt_put(P, {id = id, to = m, text = text, origin = 'promoter'}, now, a.msg_ttl, 0, c)
  count_flush(P, c)
  return {'changed', f[1], f[2], f[3], id}
end

-- promoter_import: promoters onboarded in bulk by the operator, approved at
-- once, each told their staff number by SMS; a number already registered
-- is left as it is.  -> per promoter {created (1|0), status, staff_no}
local function promoter_import(a)
  local P, now = a.prefix, a.now
  for p in a.promoters() do check_id('message', 'pr-' .. p.msisdn .. '-approved-' .. now) end
  local c = counters()
  local out = {}
  for p in a.promoters() do
    local r = promoter_register(P, now, p.msisdn, p.name, p.outlet, 'approved', 'import')
    if r[1] == 1 then
      local text = render(a.template, {name = r[4], staff_no = r[3], outlet = r[5], ussd_code = a.ussd_code})
      mt_put(P, {id = 'pr-' .. p.msisdn .. '-approved-' .. now, to = p.msisdn, text = text,
                 origin = 'promoter'}, now, a.msg_ttl, 0, c)
    end
    out[#out + 1] = {r[1], r[2], r[3]}
  end
  count_flush(P, c)
  return out
end
