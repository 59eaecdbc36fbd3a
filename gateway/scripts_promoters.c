/*
 * scripts_promoters.c — the Lua bodies of the promoter side's scripts
 * (scripts.h): status changes by operators and bulk onboarding.  The
 * functions they share with other scripts are in scripts_lua.h.
 */
#include "gateway/scripts.h"

#include "gateway/scripts_lua.h"

const char vg_lua_promoter_status[] =
    MT_PUT_LUA
    RENDER_LUA
    "-- promoter_status: an operator approves, rejects or disables a promoter;\n"
    "-- the promoter is told by SMS (the template's text is passed, rendered\n"
    "-- here with the record's name and staff number).  The same change twice\n"
    "-- changes nothing and sends nothing.\n"
    "-- ARGV 1 prefix 2 now 3 msisdn 4 status 5 reason 6 msg_ttl_s 7 template\n"
    "--      8 status word\n"
    "-- -> {'changed' | 'unchanged' | 'missing', old status, name, staff_no}\n"
    "local P, now, m, status = ARGV[1], ARGV[2], ARGV[3], ARGV[4]\n"
    "local k = P..':promoter:'..m\n"
    "local f = redis.call('HMGET', k, 'status', 'name', 'staff_no', 'outlet')\n"
    "if not f[1] then return {'missing', '', '', ''} end\n"
    "if f[1] == status then return {'unchanged', f[1], f[2], f[3]} end\n"
    "redis.call('HSET', k, 'status', status, 'reason', ARGV[5], 'updated_at', now)\n"
    "redis.call('HINCRBY', P..':stats', 'promoters_'..status, 1)\n"
    "local text = render(ARGV[7], {name = f[2], staff_no = f[3], outlet = f[4] or '',\n"
    "  reason = ARGV[5], status = ARGV[8]})\n"
    "mt_put(P, 'pr-'..m..'-'..status..'-'..now, m, text, '', 'promoter', now, tonumber(ARGV[6]), 0)\n"
    "return {'changed', f[1], f[2], f[3]}\n";

const char vg_lua_promoter_import[] =
    MT_PUT_LUA
    RENDER_LUA
    PROMOTER_REGISTER_LUA
    "-- promoter_import: promoters onboarded in bulk by the operator, approved at\n"
    "-- once, each told their staff number by SMS; a number already registered\n"
    "-- is left as it is.\n"
    "-- ARGV 1 prefix 2 now 3 msg_ttl_s 4 template (promoter_approved), then per\n"
    "--      promoter: msisdn name outlet\n"
    "-- -> per promoter {created (1|0), status, staff_no}\n"
    "local P, now = ARGV[1], ARGV[2]\n"
    "local out = {}\n"
    "for g = 5, #ARGV, 3 do\n"
    "  local r = promoter_register(P, now, ARGV[g], ARGV[g + 1], ARGV[g + 2], 'approved', 'import')\n"
    "  if r[1] == 1 then\n"
    "    local text = render(ARGV[4], {name = r[4], staff_no = r[3], outlet = r[5]})\n"
    "    mt_put(P, 'pr-'..ARGV[g]..'-approved-'..now, ARGV[g], text, '', 'promoter', now, tonumber(ARGV[3]), 0)\n"
    "  end\n"
    "  out[#out + 1] = {r[1], r[2], r[3]}\n"
    "end\n"
    "return out\n";
