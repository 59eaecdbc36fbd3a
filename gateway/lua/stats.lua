-- gateway/lua/stats.lua — the counters' recent past, for rates per minute
-- (`vasgw stats`): P:stats only ever counts up, so a rate is the
-- difference from an earlier copy.

-- stats_snapshot: a copy of P:stats joins the stream P:stats:history when
-- the last copy is at least `every` ms old (every node calls it every
-- second; the first past the time writes it, the others find it too soon).
-- The stream keeps about `keep` copies; its entry ids are Redis's clock.
-- -> 1 written, 0 too soon (or nothing counted yet)
local function stats_snapshot(a)
  local h = a.prefix .. ':stats:history'
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local last = redis.call('XREVRANGE', h, '+', '-', 'COUNT', 1)
  if last[1] and now - tonumber(string.match(last[1][1], '^(%d+)')) < a.every then return 0 end
  local f = redis.call('HGETALL', a.prefix .. ':stats')
  if #f == 0 then return 0 end
  redis.call('XADD', h, 'MAXLEN', '~', a.keep, '*', unpack(f))
  return 1
end
