-- handlers/lua/campaigns.lua — targeted campaigns (docs/campaigns.md): a
-- target list imported and filtered once, sent later by every daemon at
-- the campaign's rate through the same offer creation as a recommendation,
-- and its funnel counted as it goes.
--
-- Keys (docs/keys.md, "Campaigns"), C = P:campaign:<id>:
--   C          hash   the campaign: its fields, state and rate bucket
--   C:n        hash   the funnel's counters
--   C:mt       hash   its messages' states (the MT tally, gateway/lua/mt.lua)
--   C:q        list   the recipients still to send: "msisdn" or
--                     "msisdn\tvalue\tvalue..." (the CSV's variables)
--   C:r:<b>    hash   msisdn -> fate, in `buckets` small hashes (compact)
--   C:bad      list   "line\trow" of each unreadable row
--   P:campaigns            zset   id -> created
--   P:campaigns:running    set    the ids the daemons send
--   P:campaigns:svc:<SVC>  set    the ids that offer SVC (billing feed)
--
-- A recipient's fate: q (queued), h (holdout), s (sent: its offer is
-- <id>.<msisdn>), f:<reason> (filtered at import), x:<reason> (filtered at
-- send), e (the campaign ended first), c (cancelled first); "+" after q, h
-- or s: the billing feed has charged it for the service since the start.
--
-- The lifecycle, (state, action) -> state:
--
--   importing --ready--> draft --approve--> approved --start--> running
--                          +-----start (no approval required)----^  | ^
--                                        completed <--complete------+ |  pause/resume
--   any state but completed --cancel--> cancelled            paused <-+
local CAMPAIGN = {
  importing = {ready = 'draft', cancel = 'cancelled'},
  draft = {approve = 'approved', start = 'running', cancel = 'cancelled'},
  approved = {start = 'running', cancel = 'cancelled'},
  running = {pause = 'paused', cancel = 'cancelled', complete = 'completed'},
  paused = {resume = 'running', cancel = 'cancelled', complete = 'completed'},
  completed = {},
  cancelled = {},
}

local function ckey(P, id) return P .. ':campaign:' .. id end

-- The bucket of msisdn m among n: by its last six digits, which are
-- spread evenly over any operator's numbers.
local function bucket(P, id, m, n)
  return ckey(P, id) .. ':r:' .. (tonumber(string.sub(m, -6)) or 0) % n
end

local function campaign_of(P, id)
  local c = hash_of(redis.call('HGETALL', ckey(P, id)))
  if not c.state then error({err = 'ERR no campaign ' .. tostring(id)}) end
  return c
end

-- campaign_create: a new campaign in state importing (its targets come
-- next, in batches, then `ready`).  -> its id, C<n>
local function campaign_create(a)
  local P = a.prefix
  local en = redis.call('HGET', P .. ':svc:' .. a.service, 'enabled')
  if not en then error({err = 'ERR no service ' .. a.service .. ' in the catalogue'}) end
  if en ~= '1' then error({err = 'ERR service ' .. a.service .. ' is disabled'}) end
  local id = 'C' .. redis.call('INCR', P .. ':seq:campaign')
  redis.call('HSET', ckey(P, id), 'id', id, 'name', a.name, 'service', a.service,
    'text', a.text, 'vars', a.vars, 'tps', a.tps, 'start', a.start, 'end', a.end_at,
    'window', a.window, 'target', a.target, 'holdout_bp', a.holdout_bp,
    'creator', a.user, 'creator_people', a.people, 'created', a.now, 'buckets', a.buckets, 'state', 'importing',
    'batches', 0, 'file', a.file)
  redis.call('ZADD', P .. ':campaigns', a.now, id)
  redis.call('SADD', P .. ':campaigns:svc:' .. a.service, id)
  return id
end

-- Why marketing may not reach m for svc now, or nil: the contact rules in
-- the order docs/campaigns.md gives, the first that applies.
local function target_refusal(P, m, svc, a)
  local f = redis.call('HMGET', P .. ':sub:{' .. m .. '}', 'optout', 'last_contact',
    'svc:' .. svc, 'svc:' .. svc .. ':at')
  if f[1] == '1' then return 'opted_out' end
  if blocklisted(P, m) then return 'blocklisted' end
  if complained(P, m, svc, a.complaint_since) then return 'complained' end
  if f[3] == 'active' or f[3] == 'cancelling' then return 'already_subscribed' end
  if f[3] == 'ordering' then return 'order_in_progress' end
  if a.interval > 0 and f[2] and a.now - tonumber(f[2]) < a.interval then
    return 'contacted_recently'
  end
  if f[3] == 'cancelled' and a.cancel_block > 0 and a.now - tonumber(f[4] or '0') < a.cancel_block then
    return 'cancelled_recently'
  end
  if tonumber(redis.call('GET', P .. ':sub:{' .. m .. '}:day:' .. a.day) or '0') >= a.max_per_day then
    return 'daily_limit'
  end
  return nil
end

-- campaign_add: one batch of target rows, in file order.  The CLI decided
-- what needs no Redis (a malformed row, a number off the operator's
-- segments or outside the campaign's, a text too long): `fate` says so,
-- else it is "".  Batch `seq` is taken once: the same batch again (a reply
-- lost with the connection) changes nothing.  -> 'added' | 'again'
local function campaign_add(a)
  local P, id = a.prefix, a.id
  local k = ckey(P, id)
  local c = redis.call('HMGET', k, 'state', 'batches', 'buckets', 'service', 'holdout_bp')
  if not c[1] then error({err = 'ERR no campaign ' .. id}) end
  if c[1] ~= 'importing' then
    error({err = 'ERR campaign ' .. id .. ' is ' .. tostring(c[1]) .. ', not importing'})
  end
  if tonumber(c[2]) >= a.seq then return 'again' end
  local nb, svc, hold = tonumber(c[3]), c[4], tonumber(c[5])
  local n = counters()
  for r in a.rows() do
    count(n, 'targets')
    if r.fate == 'malformed' then
      redis.call('RPUSH', k .. ':bad', r.line .. '\t' .. r.msisdn)
      count(n, 'filtered:malformed')
    else
      local b = bucket(P, id, r.msisdn, nb)
      if r.fate ~= '' then
        -- These come before "duplicate" in the order: a second row of an
        -- off-net number is off-net again.
        redis.call('HSETNX', b, r.msisdn, 'f:' .. r.fate)
        count(n, 'filtered:' .. r.fate)
      elseif redis.call('HEXISTS', b, r.msisdn) == 1 then
        count(n, 'filtered:duplicate')
      else
        local why = target_refusal(P, r.msisdn, svc, a)
        if why then
          redis.call('HSET', b, r.msisdn, 'f:' .. why)
          count(n, 'filtered:' .. why)
        elseif hold > 0 and tonumber(string.sub(redis.sha1hex(id .. ':' .. r.msisdn), 1, 8), 16) % 10000 < hold then
          -- The holdout: a fixed share of the valid targets, drawn by a
          -- hash so that the same list draws the same people.
          redis.call('HSET', b, r.msisdn, 'h')
          count(n, 'holdout')
        else
          redis.call('HSET', b, r.msisdn, 'q')
          redis.call('RPUSH', k .. ':q', r.vars == '' and r.msisdn or r.msisdn .. '\t' .. r.vars)
          count(n, 'queued')
        end
      end
    end
  end
  for name, v in pairs(n) do redis.call('HINCRBY', k .. ':n', name, v) end
  redis.call('HSET', k, 'batches', a.seq)
  return 'added'
end

-- A campaign that ended keeps its recipients' fates for `ttl` ms more
-- (for the export), then they lapse; the campaign and its funnel stay.
local function lapse(P, id, c, ttl, now)
  local k = ckey(P, id)
  for b = 0, tonumber(c.buckets) - 1 do redis.call('PEXPIRE', k .. ':r:' .. b, ttl) end
  redis.call('PEXPIRE', k .. ':bad', ttl)
  redis.call('HSET', k, 'fates_until', now + ttl)
end

local function set_state(P, id, c, action, fields, ttl, now)
  local to = CAMPAIGN[c.state][action]
  local rec = {'state', to}
  for _, v in ipairs(fields or {}) do rec[#rec + 1] = v end
  redis.call('HSET', ckey(P, id), unpack(rec))
  if to == 'completed' or to == 'cancelled' then lapse(P, id, c, ttl, now) end
  if to == 'running' then
    redis.call('SADD', P .. ':campaigns:running', id)
  else
    redis.call('SREM', P .. ':campaigns:running', id)
  end
  return to
end

-- The recipients not sent yet, counted under `why` (expired, cancelled):
-- the list goes in one step (UNLINK frees it in the background), so that
-- ending a campaign of millions never holds Redis; their fates stay `q`,
-- read as `fate` (e, c) from the campaign's `rest` once it has ended.
local function drop_rest(P, id, why, fate)
  local k = ckey(P, id)
  local left = redis.call('LLEN', k .. ':q')
  if left > 0 then
    redis.call('HINCRBY', k .. ':n', why, left)
    redis.call('UNLINK', k .. ':q')
  end
  redis.call('HSET', k, 'rest', fate)
  return left
end

-- A running (or paused) campaign completes now; `ended`: its end came,
-- and the recipients not sent yet are counted expired.
local function complete(P, id, c, a, now, ended)
  if ended then drop_rest(P, id, 'expired', 'e') end
  set_state(P, id, c, 'complete', {'completed_at', now, 'waiting', ''}, a.fates_ttl, now)
end

-- Is the approver one of the people the campaign's creator may be?  The
-- identities as the audit log writes them must differ, and so must every
-- name of vg_oplog_people (a `sudo -u bob` by the creator is the creator).
local function same_person(c, a)
  if a.user == c.creator then return true end
  local theirs = {}
  for p in string.gmatch(c.creator_people or '', '[^,]+') do theirs[p] = true end
  for p in string.gmatch(a.people or '', '[^,]+') do
    if theirs[p] then return true end
  end
  return false
end

-- campaign_act: an operator's action on a campaign (or the CLI's `ready`
-- after its import).  The creator may not approve their own campaign, nor
-- start it unapproved, unless approval is not required.
-- -> {'ok', new state} | {'refused', state, why} | {'same', state}
-- The state an action leads to (asked again: "already"), and its words.
local ACT_TO = {pause = 'paused', resume = 'running', cancel = 'cancelled',
                approve = 'approved', start = 'running', ready = 'draft'}
local ACT_DONE = {pause = 'paused', resume = 'resumed', cancel = 'cancelled', approve = 'approved',
                  start = 'started', ready = 'made ready', complete = 'completed'}

local function campaign_act(a)
  local P, id, act, now = a.prefix, a.id, a.action, a.now
  local c = campaign_of(P, id)
  if not CAMPAIGN[c.state] or not ACT_DONE[act] then
    error({err = 'ERR campaign ' .. id .. ': no action ' .. tostring(act) .. ' in state ' .. c.state})
  end
  local to = CAMPAIGN[c.state][act]
  if not to then
    if ACT_TO[act] == c.state then return {'same', c.state} end
    return {'refused', c.state, 'a campaign that is ' .. c.state .. ' cannot be ' .. ACT_DONE[act]}
  end
  if act == 'approve' and a.require_approval and same_person(c, a) then
    return {'refused', c.state, 'the campaign was created by ' .. c.creator ..
      '; another operator must approve it'}
  end
  if act == 'start' and c.state == 'draft' and a.require_approval then
    return {'refused', c.state, 'the campaign is not approved yet (vasgw campaign approve ' .. id .. ')'}
  end
  -- Started or resumed past its end: it is over, what is left was never
  -- to be sent.
  if (act == 'start' or act == 'resume') and tonumber(c['end']) > 0 and now >= tonumber(c['end']) then
    c.state = set_state(P, id, c, act, {act .. '_by', a.user, act .. '_at', now}, a.fates_ttl, now)
    complete(P, id, c, a, now, true)
    return {'ok', 'completed'}
  end
  local fields = {act .. '_by', a.user, act .. '_at', now}
  if act == 'start' then
    fields[#fields + 1] = 'started_day'; fields[#fields + 1] = a.day
  end
  to = set_state(P, id, c, act, fields, a.fates_ttl, now)
  if act == 'cancel' then drop_rest(P, id, 'cancelled', 'c') end
  return {'ok', to}
end

-- The values of a queue entry "msisdn\tvalue\t..." (m its MSISDN), by the
-- campaign's variable names.
local function entry_vars(names, e, m)
  local vars = {}
  local rest = string.sub(e, #m + 2)
  for name in string.gmatch(names, '[^,]+') do
    local v = string.match(rest, '^[^\t]*')
    vars[name] = v
    rest = string.sub(rest, #v + 2)
  end
  return vars
end

-- campaign_send: the next recipients of a running campaign, as many as its
-- rate allows since the last call (a token bucket kept in the campaign, so
-- that every daemon's calls share one rate) and no more than the bulk
-- lane's backlog leaves room for.  Each gets an offer from offer_create,
-- the contact rules checked again as they stand now: a number contacted
-- since the import is filtered at send, with its reason.  The daemon
-- says when the campaign may not send now (quiet hours, its window).
-- -> {state, sent, filtered, left, waiting}
local function campaign_send(a)
  local P, id, now = a.prefix, a.id, a.now
  local k = ckey(P, id)
  local c = hash_of(redis.call('HGETALL', k))
  if c.state ~= 'running' then return {c.state or 'missing', 0, 0, 0, ''} end
  local function wait(why, untl)
    if c.waiting ~= why then redis.call('HSET', k, 'waiting', why, 'waiting_until', untl) end
    redis.call('HSET', k, 't_last', now)
    return {'running', 0, 0, redis.call('LLEN', k .. ':q'), why}
  end
  -- Its end came, or nobody is left to send (all filtered, or a list of
  -- none): done now, not once its window or start comes.
  local ended = tonumber(c['end']) > 0 and now >= tonumber(c['end'])
  if ended or redis.call('LLEN', k .. ':q') == 0 then
    complete(P, id, c, a, now, ended)
    return {'completed', 0, 0, 0, ''}
  end
  if tonumber(c.start) > now then return wait('start', tonumber(c.start)) end
  if a.closed ~= '' then return wait(a.closed, a.until_at) end
  local room = a.backlog - redis.call('XLEN', P .. ':mt:bulk')
  if room <= 0 then return wait('backpressure', 0) end
  -- The bucket holds two calls' worth: a call that comes late (the
  -- daemon's timer, or the previous call still on the way) loses none of
  -- the rate, and no second sees more than the rate and two calls' worth.
  local tps = tonumber(c.tps)
  local cap = math.max(1, tps * 2 * a.every / 1000)
  local last = tonumber(c.t_last or now)
  local tok = math.min(cap, tonumber(c.t_tok or cap) + (now - last) * tps / 1000)
  local n = math.min(math.floor(tok), a.max, room)
  local sent, refused = 0, 0
  -- An SMS still waiting for the SMSC when the campaign ends is not sent
  -- after it: its deadline is the end, or the daemon's (window, quiet
  -- hours) when that comes first.
  local expire_at, ends = a.expire_at, tonumber(c['end'])
  if ends > 0 and (expire_at == 0 or ends < expire_at) then expire_at = ends end
  if n > 0 then
    local batch = redis.call('LPOP', k .. ':q', n) or {}
    local nb = tonumber(c.buckets)
    local tally_key = 'campaign:' .. id .. ':mt'
    local cnt = counters()
    local stats = counters() -- P:stats and the tally, flushed once
    for _, e in ipairs(batch) do
      local m = string.match(e, '^[^\t]+') or e
      local ok, r = pcall(function()
        local vars = entry_vars(c.vars, e, m)
        local offer = {id = id .. '.' .. m, service = c.service, kind = 'recommend',
                       text = render(c.text, vars)}
        return offer_create({prefix = P, now = now, msisdn = m, source = 'campaign',
          channel = 'campaign', promoter = '', campaign = id, offer_ttl = a.offer_ttl,
          keep = a.keep, interval = a.interval, cancel_block = a.cancel_block,
          max_per_day = a.max_per_day, day = a.day, marketing = true, release = 0,
          msg_ttl = a.msg_ttl, src = a.src, month = a.month, complaint_since = a.complaint_since,
          lane = 'bulk', tally = tally_key, expire_at = expire_at, counters = stats,
          offers = function()
            local done = false
            return function()
              if done then return nil end
              done = true
              return offer
            end
          end})
      end)
      -- An error in one recipient's offer (a script error is not rolled
      -- back) must not lose the others taken in this call: it is counted,
      -- under its own name, and the call goes on.
      r = ok and r[1] or {'', 'refused', 'error', ''}
      local b = bucket(P, id, m, nb)
      if r[2] == 'sent' or r[2] == 'exists' then
        redis.call('HSET', b, m, 's')
        sent = sent + 1
      else
        redis.call('HSET', b, m, 'x:' .. r[3])
        count(cnt, 'filtered_send:' .. r[3])
        refused = refused + 1
      end
    end
    count(cnt, 'sent', sent)
    for name, v in pairs(cnt) do redis.call('HINCRBY', k .. ':n', name, v) end
    count_flush(P, stats)
  end
  -- Only what was sent spends the rate: a number refused costs no SMS.
  redis.call('HSET', k, 't_last', now, 't_tok', tok - sent, 'waiting', '')
  local left = redis.call('LLEN', k .. ':q')
  if left == 0 then
    complete(P, id, c, a, now, false)
    return {'completed', sent, refused, 0, ''}
  end
  return {'running', sent, refused, left, ''}
end

-- campaign_charged: the billing feed's `charged` facts, for the campaigns
-- that offer their service: a messaged recipient or one held out, charged
-- on or after the day the campaign started, is counted once (the
-- holdout's organic rate against the messaged group's: the lift), and a
-- messaged one who confirmed the campaign's offer is a valid development.
-- -> how many were counted
local function campaign_charged(a)
  local P = a.prefix
  local by_svc, n = {}, 0
  for r in a.rows() do
    local ids = by_svc[r.service]
    if not ids then
      ids = {}
      for _, id in ipairs(redis.call('SMEMBERS', P .. ':campaigns:svc:' .. r.service)) do
        local c = redis.call('HMGET', ckey(P, id), 'started_day', 'buckets')
        if c[1] then ids[#ids + 1] = {id = id, day = c[1], nb = tonumber(c[2])} end
      end
      by_svc[r.service] = ids
    end
    for _, c in ipairs(ids) do
      if r.day >= c.day then
        local b = bucket(P, c.id, r.msisdn, c.nb)
        local fate = redis.call('HGET', b, r.msisdn)
        local group = fate == 'h' and 'holdout_charged' or fate == 's' and 'messaged_charged'
        if group then
          redis.call('HSET', b, r.msisdn, fate .. '+')
          redis.call('HINCRBY', ckey(P, c.id) .. ':n', group, 1)
          -- A valid development of the campaign: activated through its
          -- offer, and billed for it.
          if fate == 's' and redis.call('HGET', P .. ':offer:' .. c.id .. '.' .. r.msisdn, 'state') == 'confirmed' then
            redis.call('HINCRBY', ckey(P, c.id) .. ':n', 'valid', 1)
          end
          n = n + 1
        end
      end
    end
  end
  return n
end
