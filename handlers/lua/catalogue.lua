-- handlers/lua/catalogue.lua — the terms of a service that take more than
-- one write: its commission rules and its audit windows (docs/keys.md,
-- "Service catalogue").  The entry itself is written by vasgw service in
-- one MULTI/EXEC (handlers/catalogue.c).

-- service_terms: a commission rule from `day`, and/or the audit windows
-- given, in one step, so two operators changing a service at once cannot
-- leave it half changed.  A commission is a rule in force from a date
-- (P:svc:<code>:rules, "YYYYMMDD:fen" scored by the date; one per date, a
-- second the same day replaces it).  A service without any rule yet (made
-- before rules existed) first gets its previous amount, `before`, as the
-- rule since always, so that a change for a later date does not apply
-- before that date.  The windows given replace those stored, key by key;
-- keys stored nowhere take the defaults.
-- -> {rule written or "", audit windows written or ""}; an error when the
--    service does not exist
local function service_terms(a)
  local P = a.prefix
  local svc = P .. ':svc:' .. a.code
  if redis.call('EXISTS', svc) == 0 then
    error({err = 'ERR no service ' .. a.code .. ' in the catalogue'})
  end
  local rule = ''
  if a.fen >= 0 then
    local rules = svc .. ':rules'
    if a.before >= 0 and redis.call('ZCARD', rules) == 0 then
      redis.call('ZADD', rules, 0, '00000000:' .. a.before)
    end
    redis.call('ZREMRANGEBYSCORE', rules, a.day, a.day)
    rule = string.format('%08d:%d', a.day, a.fen)
    redis.call('ZADD', rules, a.day, rule)
  end
  local windows = ''
  if a.windows ~= '' then
    local w, order = {}, {}
    for k, v in string.gmatch(a.windows_default, '([%w_]+)=(%d+)') do
      w[k] = v
      order[#order + 1] = k
    end
    local stored = redis.call('HGET', svc, 'audit_windows') or ''
    for _, text in ipairs({stored, a.windows}) do
      for k, v in string.gmatch(text, '([%w_]+)=(%d+)') do
        if w[k] then w[k] = v end
      end
    end
    local out = {}
    for _, k in ipairs(order) do out[#out + 1] = k .. '=' .. w[k] end
    windows = table.concat(out, ',')
    redis.call('HSET', svc, 'audit_windows', windows)
  end
  return {rule, windows}
end
