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

static const char mt_enqueue[] =
    "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'id', ARGV[1], 'to', ARGV[2], 'text', "
    "ARGV[3], 'state', 'queued', 'created', ARGV[4], 'src', ARGV[6], "
    "'ussd_op', ARGV[7], 'its', ARGV[8], 'origin', ARGV[9])\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[5])\n"
    "redis.call('XADD', KEYS[2], '*', 'id', ARGV[1], 'to', ARGV[2], 'text', "
    "ARGV[3], 'src', ARGV[6], 'ussd_op', ARGV[7], 'its', ARGV[8])\n"
    "redis.call('HINCRBY', KEYS[3], 'queued', 1)\n"
    "return 1\n";

static const char mt_submitted[] =
    "redis.call('HSETNX', KEYS[1], 'parts', ARGV[2])\n"
    "if redis.call('HGET', KEYS[1], 'state') == 'queued' then\n"
    "  redis.call('HSET', KEYS[1], 'state', 'submitted', 'submitted_at', "
    "ARGV[1])\n"
    "  redis.call('HINCRBY', KEYS[2], 'submitted', 1)\n"
    "  return 1\n"
    "end\n"
    "return 0\n";

static const char mt_resp[] = SETTLE_LUA
    "local msg = KEYS[1]\n"
    "if redis.call('EXISTS', msg) == 0 then\n"
    "  redis.call('XACK', KEYS[2], ARGV[10], ARGV[11])\n"
    "  redis.call('XDEL', KEYS[2], ARGV[11])\n"
    "  return 'expired'\n"
    "end\n"
    "local p = 'p'..ARGV[2]..'.'\n"
    "redis.call('HSETNX', msg, 'parts', ARGV[3])\n"
    "if redis.call('HEXISTS', msg, p..'status') == 0 then\n"
    "  redis.call('HSET', msg, p..'status', ARGV[4], p..'smscid', ARGV[6], "
    "p..'resp_at', ARGV[8])\n"
    "  if ARGV[4] ~= '0' then redis.call('HSET', msg, p..'error', ARGV[5]) "
    "end\n"
    "  if ARGV[4] == '0' and ARGV[7] ~= '' then\n"
    "    local id = redis.call('HGET', msg, 'id')\n"
    "    redis.call('SET', ARGV[1]..':smscid:'..ARGV[7], id..'|'..ARGV[2], "
    "'EX', ARGV[9])\n"
    "    for i = 12, #ARGV do\n"
    "      local uk = ARGV[1]..':dlr:unmatched:'..ARGV[i]\n"
    "      local u = redis.call('HMGET', uk, 'stat', 'err', 'at')\n"
    "      if u[1] then\n"
    "        redis.call('HSET', msg, p..'dlr', u[1], p..'dlr_err', u[2] or "
    "'', p..'dlr_at', u[3] or ARGV[8])\n"
    "        redis.call('DEL', uk)\n"
    "        redis.call('HINCRBY', KEYS[3], 'dlr_late_matched', 1)\n"
    "        redis.call('HINCRBY', KEYS[3], 'dlr_unmatched', -1)\n"
    "        break\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local n = tonumber(ARGV[3])\n"
    "for i = 1, n do\n"
    "  if redis.call('HEXISTS', msg, 'p'..i..'.status') == 0 then return "
    "'partial' end\n"
    "end\n"
    "redis.call('XACK', KEYS[2], ARGV[10], ARGV[11])\n"
    "redis.call('XDEL', KEYS[2], ARGV[11])\n"
    "return settle(msg, n, KEYS[3], ARGV[8])\n";

static const char dlr[] = SETTLE_LUA
    "local FINAL = {delivered=1, expired=1, deleted=1, undeliverable=1, "
    "rejected=1, unknown=1}\n"
    "for i = 7, #ARGV do\n"
    "  local ref = redis.call('GET', ARGV[1]..':smscid:'..ARGV[i])\n"
    "  if ref then\n"
    "    local sep = string.find(ref, '|', 1, true)\n"
    "    local id, part = string.sub(ref, 1, sep - 1), string.sub(ref, sep + "
    "1)\n"
    "    local msg = ARGV[1]..':msg:'..id\n"
    "    local p = 'p'..part..'.'\n"
    "    local old = redis.call('HGET', msg, p..'dlr')\n"
    "    if old and FINAL[old] then\n"
    "      redis.call('HINCRBY', KEYS[1], 'dlr_duplicate', 1)\n"
    "      return {'dup', id}\n"
    "    end\n"
    "    redis.call('HSET', msg, p..'dlr', ARGV[2], p..'dlr_err', ARGV[3], "
    "p..'dlr_at', ARGV[4])\n"
    "    redis.call('HINCRBY', KEYS[1], 'dlr', 1)\n"
    "    local n = tonumber(redis.call('HGET', msg, 'parts') or '1')\n"
    "    settle(msg, n, KEYS[1], ARGV[4])\n"
    "    return {'matched', id}\n"
    "  end\n"
    "end\n"
    "local uk = ARGV[1]..':dlr:unmatched:'..ARGV[7]\n"
    "if redis.call('EXISTS', uk) == 1 then return {'dup', ''} end\n"
    "redis.call('HSET', uk, 'id', ARGV[6], 'stat', ARGV[2], 'err', ARGV[3], "
    "'at', ARGV[4])\n"
    "redis.call('EXPIRE', uk, ARGV[5])\n"
    "redis.call('HINCRBY', KEYS[1], 'dlr_unmatched', 1)\n"
    "return {'unmatched', ''}\n";

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
    {"mt_enqueue", mt_enqueue}, {"mt_submitted", mt_submitted},
    {"mt_resp", mt_resp},       {"dlr", dlr},
    {"mo_store", mo_store},     {"mo_expire", mo_expire},
};

static char shas[VG_SCRIPT_COUNT][48];

const char *vg_script_body(int id) { return scripts[id].body; }
const char *vg_script_name(int id) { return scripts[id].name; }
const char *vg_script_sha(int id) { return shas[id]; }
void vg_script_set_sha(int id, const char *sha) {
  snprintf(shas[id], sizeof shas[id], "%s", sha);
}
