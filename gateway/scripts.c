/*
 * scripts.c — the Lua bodies of scripts.h.
 *
 * Each script is written so that running it twice with the same arguments
 * changes nothing the second time: a hiredis callback without a reply leaves
 * the outcome unknown, and the caller simply runs it again.
 */
#include "gateway/scripts.h"

#include <stdio.h>

/* A message's state from its parts: failed when any part failed (SMPP error
 * or failed receipt), delivered when every part is, accepted when every part
 * was answered OK.  Counters move only on a transition. */
#define SETTLE_LUA                                                             \
  "local FAILURE = {expired=1, deleted=1, undeliverable=1, rejected=1, "       \
  "unknown=1}\n"                                                               \
  "local function settle(msg, n, stats, now)\n"                                \
  "  local st = redis.call('HGET', msg, 'state')\n"                            \
  "  if st == 'delivered' or st == 'failed' then return st end\n"             \
  "  local answered, delivered = 0, 0\n"                                       \
  "  for i = 1, n do\n"                                                        \
  "    local f = redis.call('HMGET', msg, 'p'..i..'.status', "                 \
  "'p'..i..'.error', 'p'..i..'.dlr', 'p'..i..'.dlr_err')\n"                    \
  "    if f[1] then\n"                                                         \
  "      answered = answered + 1\n"                                            \
  "      if f[1] ~= '0' then\n"                                                \
  "        redis.call('HSET', msg, 'state', 'failed', 'error', "               \
  "'smpp:'..(f[2] or f[1]), 'done_at', now)\n"                                 \
  "        redis.call('HINCRBY', stats, 'failed', 1)\n"                        \
  "        return 'failed'\n"                                                  \
  "      end\n"                                                                \
  "    end\n"                                                                  \
  "    if f[3] == 'delivered' then delivered = delivered + 1\n"               \
  "    elseif f[3] and FAILURE[f[3]] then\n"                                   \
  "      redis.call('HSET', msg, 'state', 'failed', 'error', "                 \
  "'dlr:'..f[3]..' err:'..(f[4] or ''), 'done_at', now)\n"                     \
  "      redis.call('HINCRBY', stats, 'failed', 1)\n"                          \
  "      return 'failed'\n"                                                    \
  "    end\n"                                                                  \
  "  end\n"                                                                    \
  "  if answered == n and redis.call('HEXISTS', msg, 'accepted_at') == 0 "     \
  "then\n"                                                                     \
  "    redis.call('HSET', msg, 'state', 'accepted', 'accepted_at', now)\n"     \
  "    redis.call('HINCRBY', stats, 'accepted', 1)\n"                          \
  "    st = 'accepted'\n"                                                      \
  "  end\n"                                                                    \
  "  if delivered == n and answered == n then\n"                               \
  "    redis.call('HSET', msg, 'state', 'delivered', 'done_at', now)\n"        \
  "    redis.call('HINCRBY', stats, 'delivered', 1)\n"                         \
  "    return 'delivered'\n"                                                   \
  "  end\n"                                                                    \
  "  return st\n"                                                              \
  "end\n"

/* Any number of messages in one run: the CLI queues a file in batches. */
static const char mt_enqueue[] =
    "local n = 0\n"
    "for g = 4, #ARGV, 7 do\n"
    "  local msg = ARGV[1]..':msg:'..ARGV[g]\n"
    "  if redis.call('EXISTS', msg) == 0 then\n"
    "    local rec = {'id', ARGV[g], 'to', ARGV[g + 1], 'text', ARGV[g + 2], "
    "'state', 'queued', 'created', ARGV[2], 'origin', ARGV[g + 6]}\n"
    "    local ent = {'id', ARGV[g], 'to', ARGV[g + 1], 'text', ARGV[g + 2]}\n"
    "    -- source, USSD operation and session only when set: most MT has none\n"
    "    for i, f in ipairs({'src', 'ussd_op', 'its'}) do\n"
    "      local v = ARGV[g + 2 + i]\n"
    "      if v ~= '' then\n"
    "        rec[#rec + 1] = f; rec[#rec + 1] = v\n"
    "        ent[#ent + 1] = f; ent[#ent + 1] = v\n"
    "      end\n"
    "    end\n"
    "    redis.call('HSET', msg, unpack(rec))\n"
    "    redis.call('EXPIRE', msg, ARGV[3])\n"
    "    redis.call('XADD', KEYS[1], '*', unpack(ent))\n"
    "    n = n + 1\n"
    "  end\n"
    "end\n"
    "if n > 0 then redis.call('HINCRBY', KEYS[2], 'queued', n) end\n"
    "return n\n";

/* The submit_sm_resp of any number of parts, each a group of 11 ARGV.  The
 * common case, the one answer of a one-part message, is a single HSET; the
 * stream entries are acknowledged and the counters moved once per run. */
static const char mt_resp[] = SETTLE_LUA
    "local stream, stats, pfx, now, ttl, group = KEYS[1], KEYS[2], ARGV[1], "
    "ARGV[2], ARGV[3], ARGV[4]\n"
    "local unmatched = tonumber(redis.call('HGET', stats, 'dlr_unmatched') "
    "or '0') > 0\n"
    "local out, acks = {}, {}\n"
    "local cnt = {submitted = 0, accepted = 0, failed = 0, dlr_late_matched "
    "= 0, dlr_unmatched = 0}\n"
    "for g = 5, #ARGV, 11 do\n"
    "  local id, part, n, status, sname, smscid, key0, entry, subms = "
    "ARGV[g], ARGV[g + 1], ARGV[g + 2], ARGV[g + 3], ARGV[g + 4], ARGV[g + "
    "5], ARGV[g + 6], ARGV[g + 7], ARGV[g + 8]\n"
    "  local msg = pfx..':msg:'..id\n"
    "  local p, nn = 'p'..part..'.', tonumber(n)\n"
    "  local cur = redis.call('HMGET', msg, 'state', p..'status')\n"
    "  local st = cur[1]\n"
    "  if not st then\n"
    "    acks[#acks + 1] = entry\n"
    "    out[#out + 1] = 'expired'\n"
    "  else\n"
    "    local fresh = not cur[2]\n"
    "    local late = false\n"
    "    if fresh and status == '0' and key0 ~= '' then\n"
    "      redis.call('SET', pfx..':smscid:'..key0, id..'|'..part, 'EX', "
    "ttl)\n"
    "      if unmatched then\n"
    "        for _, k in ipairs({key0, ARGV[g + 9], ARGV[g + 10]}) do\n"
    "          local uk = pfx..':dlr:unmatched:'..k\n"
    "          local u = k ~= '' and redis.call('HMGET', uk, 'stat', 'err', "
    "'at', 'from') or {}\n"
    "          if u[1] and (not u[4] or u[4] == '' or u[4] == "
    "redis.call('HGET', msg, 'to')) then\n"
    "            redis.call('HSET', msg, p..'dlr', u[1], p..'dlr_err', u[2] "
    "or '', p..'dlr_at', u[3] or now)\n"
    "            redis.call('DEL', uk)\n"
    "            cnt.dlr_late_matched = cnt.dlr_late_matched + 1\n"
    "            cnt.dlr_unmatched = cnt.dlr_unmatched - 1\n"
    "            late = true\n"
    "            break\n"
    "          end\n"
    "        end\n"
    "      end\n"
    "    end\n"
    "    if fresh and nn == 1 and not late and (st == 'queued' or st == "
    "'submitted') then\n"
    "      cnt.submitted = cnt.submitted + 1\n"
    "      if status == '0' then\n"
    "        redis.call('HSET', msg, p..'status', status, p..'smscid', smscid, "
    "p..'resp_at', now, 'parts', n, 'submitted_at', subms, 'state', "
    "'accepted', 'accepted_at', now)\n"
    "        cnt.accepted = cnt.accepted + 1\n"
    "        out[#out + 1] = 'accepted'\n"
    "      else\n"
    "        redis.call('HSET', msg, p..'status', status, p..'smscid', smscid, "
    "p..'resp_at', now, 'parts', n, 'submitted_at', subms, p..'error', sname, "
    "'state', "
    "'failed', 'error', 'smpp:'..sname, 'done_at', now)\n"
    "        cnt.failed = cnt.failed + 1\n"
    "        out[#out + 1] = 'failed'\n"
    "      end\n"
    "      acks[#acks + 1] = entry\n"
    "    else\n"
    "      if fresh then\n"
    "        redis.call('HSET', msg, p..'status', status, p..'smscid', smscid, "
    "p..'resp_at', now, 'parts', n)\n"
    "        if status ~= '0' then redis.call('HSET', msg, p..'error', "
    "sname) end\n"
    "        if redis.call('HSETNX', msg, 'submitted_at', subms) == 1 then\n"
    "          cnt.submitted = cnt.submitted + 1\n"
    "        end\n"
    "      end\n"
    "      local done = true\n"
    "      for i = 1, nn do\n"
    "        if redis.call('HEXISTS', msg, 'p'..i..'.status') == 0 then done "
    "= false break end\n"
    "      end\n"
    "      if done then\n"
    "        acks[#acks + 1] = entry\n"
    "        out[#out + 1] = settle(msg, nn, stats, now)\n"
    "      else\n"
    "        if st == 'queued' then redis.call('HSET', msg, 'state', "
    "'submitted') end\n"
    "        out[#out + 1] = 'partial'\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "if #acks > 0 then\n"
    "  redis.call('XACK', stream, group, unpack(acks))\n"
    "  redis.call('XDEL', stream, unpack(acks))\n"
    "end\n"
    "for k, v in pairs(cnt) do\n"
    "  if v ~= 0 then redis.call('HINCRBY', stats, k, v) end\n"
    "end\n"
    "return out\n";

/* Receipts, any number per run, each a group of 7 ARGV.  A receipt is
 * looked up under each spelling of its id (dlr.h), but taken only by a
 * message sent to the number the receipt comes from (when the SMSC says):
 * "1000" read as hex is another message's decimal id 4096, and a receipt
 * that arrives before its own submit_sm_resp must not land on that one. */
static const char dlr[] = SETTLE_LUA
    "local FINAL = {delivered=1, expired=1, deleted=1, undeliverable=1, "
    "rejected=1, unknown=1}\n"
    "local pfx, now, ttl, stats = ARGV[1], ARGV[2], ARGV[3], KEYS[1]\n"
    "local cnt = {dlr = 0, dlr_duplicate = 0, dlr_unmatched = 0, delivered "
    "= 0, failed = 0}\n"
    "local out = {}\n"
    "for g = 4, #ARGV, 7 do\n"
    "  local stat, err, raw, from = ARGV[g], ARGV[g + 1], ARGV[g + 2], "
    "ARGV[g + 3]\n"
    "  local res = nil\n"
    "  for i = g + 4, g + 6 do\n"
    "    local ref = ARGV[i] ~= '' and redis.call('GET', "
    "pfx..':smscid:'..ARGV[i])\n"
    "    local sep = ref and string.find(ref, '|', 1, true)\n"
    "    local id = sep and string.sub(ref, 1, sep - 1)\n"
    "    local msg = id and pfx..':msg:'..id\n"
    "    local part = sep and string.sub(ref, sep + 1)\n"
    "    local p = part and 'p'..part..'.'\n"
    "    local f = msg and redis.call('HMGET', msg, 'to', p..'dlr', 'state', "
    "'parts', p..'status') or {}\n"
    "    if f[1] and (from == '' or f[1] == from) then\n"
    "      if f[2] and FINAL[f[2]] then\n"
    "        cnt.dlr_duplicate = cnt.dlr_duplicate + 1\n"
    "        res = 'dup'\n"
    "      elseif f[3] == 'accepted' and f[4] == '1' and f[5] == '0' and "
    "(stat == 'delivered' or FAILURE[stat]) then\n"
    "        -- the common case: the final receipt of a one-part message\n"
    "        if stat == 'delivered' then\n"
    "          redis.call('HSET', msg, p..'dlr', stat, p..'dlr_err', err, "
    "p..'dlr_at', now, 'state', 'delivered', 'done_at', now)\n"
    "          cnt.delivered = cnt.delivered + 1\n"
    "        else\n"
    "          redis.call('HSET', msg, p..'dlr', stat, p..'dlr_err', err, "
    "p..'dlr_at', now, 'state', 'failed', 'error', 'dlr:'..stat..' err:'..err, "
    "'done_at', now)\n"
    "          cnt.failed = cnt.failed + 1\n"
    "        end\n"
    "        cnt.dlr = cnt.dlr + 1\n"
    "        res = 'matched'\n"
    "      else\n"
    "        redis.call('HSET', msg, p..'dlr', stat, p..'dlr_err', err, "
    "p..'dlr_at', now)\n"
    "        cnt.dlr = cnt.dlr + 1\n"
    "        settle(msg, tonumber(f[4] or '1'), stats, now)\n"
    "        res = 'matched'\n"
    "      end\n"
    "      break\n"
    "    end\n"
    "  end\n"
    "  if not res then\n"
    "    local uk = pfx..':dlr:unmatched:'..ARGV[g + 4]\n"
    "    if redis.call('EXISTS', uk) == 1 then\n"
    "      cnt.dlr_duplicate = cnt.dlr_duplicate + 1\n"
    "      res = 'dup'\n"
    "    else\n"
    "      redis.call('HSET', uk, 'id', raw, 'stat', stat, 'err', err, 'at', "
    "now, 'from', from)\n"
    "      redis.call('EXPIRE', uk, ttl)\n"
    "      cnt.dlr_unmatched = cnt.dlr_unmatched + 1\n"
    "      res = 'unmatched'\n"
    "    end\n"
    "  end\n"
    "  out[#out + 1] = res\n"
    "end\n"
    "for k, v in pairs(cnt) do\n"
    "  if v ~= 0 then redis.call('HINCRBY', stats, k, v) end\n"
    "end\n"
    "return out\n";

/* MO: a new record and a stream entry carrying what the dispatcher needs. */
#define NEW_MO_LUA                                                             \
  "local function new_mo(pfx, stats, stream, from, to, text, dcs, ussd, its, " \
  "at, ttl, complete, parts, missing, err)\n"                                  \
  "  local id = tostring(redis.call('INCR', pfx..':seq:mo'))\n"                \
  "  local mk = pfx..':mo:'..id\n"                                             \
  "  redis.call('HSET', mk, 'id', id, 'from', from, 'to', to, 'text', text, "  \
  "'dcs', dcs, 'ussd_op', ussd, 'its', its, 'received_at', at, 'complete', "   \
  "complete, 'parts', parts, 'missing', missing, 'error', err)\n"              \
  "  redis.call('EXPIRE', mk, ttl)\n"                                          \
  "  redis.call('XADD', stream, '*', 'id', id, 'from', from, 'to', to, "       \
  "'text', text, 'ussd_op', ussd, 'its', its, 'complete', complete)\n"         \
  "  redis.call('HINCRBY', stats, 'mo', 1)\n"                                  \
  "  if complete == '0' then redis.call('HINCRBY', stats, 'mo_incomplete', "   \
  "1) end\n"                                                                   \
  "  return id\n"                                                              \
  "end\n"

static const char mo_store[] = NEW_MO_LUA
    "local dk = ARGV[1]..':mo:dedup:'..ARGV[2]\n"
    "local seen = redis.call('GET', dk)\n"
    "if seen then\n"
    "  redis.call('HINCRBY', KEYS[1], 'mo_duplicate', 1)\n"
    "  return {'dup', seen}\n"
    "end\n"
    "local total = tonumber(ARGV[13])\n"
    "if total <= 1 then\n"
    "  local id = new_mo(ARGV[1], KEYS[1], KEYS[2], ARGV[3], ARGV[4], "
    "ARGV[5], ARGV[6], ARGV[8], ARGV[9], ARGV[10], ARGV[11], '1', '1', '', "
    "ARGV[17])\n"
    "  redis.call('SET', dk, id, 'EX', ARGV[16])\n"
    "  return {'stored', id}\n"
    "end\n"
    "local ak = ARGV[1]..':mo:asm:'..ARGV[3]..':'..ARGV[12]..':'..total\n"
    "redis.call('HSET', ak, 'p'..ARGV[14], ARGV[5])\n"
    "redis.call('HSETNX', ak, 'from', ARGV[3])\n"
    "redis.call('HSETNX', ak, 'to', ARGV[4])\n"
    "redis.call('HSETNX', ak, 'dcs', ARGV[6])\n"
    "redis.call('HSETNX', ak, 'ussd_op', ARGV[8])\n"
    "redis.call('HSETNX', ak, 'its', ARGV[9])\n"
    "redis.call('HSETNX', ak, 'at', ARGV[10])\n"
    "redis.call('HSETNX', ak, 'total', total)\n"
    "redis.call('EXPIRE', ak, ARGV[11])\n"
    "redis.call('SET', dk, 'part', 'EX', ARGV[16])\n"
    "local parts = {}\n"
    "for i = 1, total do\n"
    "  local t = redis.call('HGET', ak, 'p'..i)\n"
    "  if not t then\n"
    "    redis.call('ZADD', KEYS[3], 'NX', ARGV[15], ak)\n"
    "    return {'part', ''}\n"
    "  end\n"
    "  parts[i] = t\n"
    "end\n"
    "redis.call('DEL', ak)\n"
    "redis.call('ZREM', KEYS[3], ak)\n"
    "local id = new_mo(ARGV[1], KEYS[1], KEYS[2], ARGV[3], ARGV[4], "
    "table.concat(parts), ARGV[6], ARGV[8], ARGV[9], ARGV[10], ARGV[11], '1', "
    "tostring(total), '', ARGV[17])\n"
    "return {'stored', id}\n";

static const char mo_expire[] = NEW_MO_LUA
    "local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[2], "
    "'LIMIT', 0, 50)\n"
    "for _, ak in ipairs(due) do\n"
    "  redis.call('ZREM', KEYS[3], ak)\n"
    "  local h = {}\n"
    "  local flat = redis.call('HGETALL', ak)\n"
    "  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end\n"
    "  local total = tonumber(h['total'] or '0')\n"
    "  if total > 0 then\n"
    "    local text, missing = {}, {}\n"
    "    for i = 1, total do\n"
    "      if h['p'..i] then text[#text + 1] = h['p'..i] else "
    "missing[#missing + 1] = tostring(i) end\n"
    "    end\n"
    "    new_mo(ARGV[1], KEYS[1], KEYS[2], h['from'], h['to'], "
    "table.concat(text), h['dcs'], h['ussd_op'], h['its'], h['at'], ARGV[3], "
    "'0', tostring(total), table.concat(missing, ','), '')\n"
    "  end\n"
    "  redis.call('DEL', ak)\n"
    "end\n"
    "return #due\n";

static const struct {
  const char *name;
  const char *body;
} scripts[VG_SCRIPT_COUNT] = {
    {"mt_enqueue", mt_enqueue}, {"mt_resp", mt_resp},
    {"dlr", dlr},
    {"mo_store", mo_store},     {"mo_expire", mo_expire},
    {"mt_release", vg_lua_mt_release},
    {"offer_create", vg_lua_offer_create},
    {"mo_reply", vg_lua_mo_reply},
    {"order_attempt", vg_lua_order_attempt},
    {"order_result", vg_lua_order_result},
    {"promoter_status", vg_lua_promoter_status},
    {"promoter_import", vg_lua_promoter_import},
};

static char shas[VG_SCRIPT_COUNT][48];

const char *vg_script_body(int id) { return scripts[id].body; }
const char *vg_script_name(int id) { return scripts[id].name; }
const char *vg_script_sha(int id) { return shas[id]; }
void vg_script_set_sha(int id, const char *sha) {
  snprintf(shas[id], sizeof shas[id], "%s", sha);
}
