#!/bin/bash
# The daemon settles last month by itself on [commission] settlement_day (or
# any later day of the month, when it was down that day): one of two nodes
# does it, the month is settled once, and the promoter gets one SMS.  While
# the month's lock is held elsewhere, each node tries and neither settles.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init settle_daemon
e2e_start_redis
e2e_start_sim
e2e_write_conf
e2e_services
tz=Asia/Shanghai
ym=$(TZ=$tz date -d "$(TZ=$tz date +%Y-%m-15) -1 month" +%Y%m)
month=${ym:0:4}-${ym:4:2}
day=${ym}10

# Last month: a promoter and two developments, as activations made them.
printf 'msisdn,name\n13900139001,张三\n' >"$E2E_DIR/p.csv"
e2e_vasgw promoter import "$E2E_DIR/p.csv" >/dev/null || e2e_fail "promoter import"
pa=8613900139001
for i in 1 2; do
	id=Ademo$i sub=861380000000$i
	e2e_redis HSET "vasgw:dev:$id" id "$id" promoter $pa staff_no 10001 msisdn "$sub" \
		service CL service_name 彩铃 channel sms offer demo$i order "$id" \
		activated_at "$(date -d "${day:0:4}-${day:4:2}-${day:6:2}" +%s)000" activated "$day" \
		month "$ym" amount_fen 300 state pending >/dev/null
	e2e_redis ZADD "vasgw:devs:month:$ym" "$i" "$id" >/dev/null
	e2e_redis ZADD "vasgw:devs:promoter:$pa" "$i" "$id" >/dev/null
	e2e_redis ZADD "vasgw:devs:sub:{$sub}" "$i" "$id" >/dev/null
done
# The feed: the first subscriber was charged and made calls.
printf '13800000001,CL,charged,%s\n13800000001,,voice,%s\n' "${day:0:4}-${day:4:2}-${day:6:2}" \
	"${day:0:4}-${day:4:2}-${day:6:2}" >"$E2E_DIR/feed.csv"
e2e_vasgw feed import "$E2E_DIR/feed.csv" >/dev/null || e2e_fail "feed import"

# Two daemons, settlement_day 1: both find last month unsettled at start.
# First with the month's lock held (as by a run elsewhere): each node tries
# and is refused, so both really contend for it; nothing is settled.
lock=vasgw:settle:$ym:lock
e2e_assert_eq "the lock, held by the test" OK "$(e2e_redis SET "$lock" test:1 NX EX 600)"
e2e_write_conf commission.settlement_day=1
cp "$E2E_CONF" "$E2E_DIR/node2.conf"
sed -i 's/^node = e2e$/node = e2e2/' "$E2E_DIR/node2.conf"
grep -qx 'node = e2e2' "$E2E_DIR/node2.conf" || e2e_fail "node2.conf names no node e2e2"
node2=
start_node2() {
	echo "=== vasgwd2 start $(date '+%F %T')" >>"$E2E_DIR/vasgwd2.log"
	setsid "$top_builddir/vasgwd" -c "$E2E_DIR/node2.conf" >>"$E2E_DIR/vasgwd2.log" 2>&1 </dev/null &
	node2=$!
	e2e__track "$node2" vasgwd2
}
e2e_start_vasgwd
start_node2
busy="settlement of $month: $month is being settled elsewhere"
e2e_wait_for "node e2e refused by the lock" 20 grep -qF "$busy" "$E2E_DIR/vasgwd.log"
e2e_wait_for "node e2e2 refused by the lock" 20 grep -qF "$busy" "$E2E_DIR/vasgwd2.log"
e2e_assert_eq "the lock is still the test's" test:1 "$(e2e_redis GET "$lock")"
e2e_assert_eq "not settled under another's lock" "" "$(e2e_redis HGET "vasgw:settle:$ym" state)"
e2e_assert_eq "no development settled" "pending pending" \
	"$(e2e_redis HGET vasgw:dev:Ademo1 state) $(e2e_redis HGET vasgw:dev:Ademo2 state)"

# Then the lock given back and both nodes started again, one right after
# the other: each checks at start, one settles, the other finds the month
# locked or done (they check again only a minute later).
e2e_stop_vasgwd
e2e_assert_eq "node e2e stopped: status" 0 "$VASGWD_STATUS"
st=0
e2e__stop "$node2" TERM 20 || st=$?
e2e_assert_eq "node e2e2 stopped: status" 0 "$st"
e2e_assert_eq "the test's lock given back" 1 "$(e2e_redis DEL "$lock")"
n1=$(wc -l <"$E2E_DIR/vasgwd.log") n2=$(wc -l <"$E2E_DIR/vasgwd2.log")
e2e_start_vasgwd
start_node2
e2e_wait_bound 1 20
e2e_wait_for "last month settled" 30 eval '[ "$(e2e_redis HGET "vasgw:settle:$ym" state)" = done ]'
e2e_assert_eq "valid" "valid" "$(e2e_redis HGET vasgw:dev:Ademo1 state)"
e2e_assert_eq "invalid: no calls" "invalid voice" "$(e2e_redis HGET vasgw:dev:Ademo2 state) $(e2e_redis HGET vasgw:dev:Ademo2 rule)"
# The onboarding SMS and the settlement's: exactly two once drained.
e2e_wait_sms_exact $pa 2 15
e2e_assert_eq "the settlement SMS, once" "1" "$(e2e_sms_to $pa | grep -c "工号10001 $month结算：有效发展1个，无效1个，佣金3.00元。")"
e2e_assert_eq "its record (no receipts here)" "settlement accepted" \
	"$(e2e_redis HGET "vasgw:msg:st-$ym-$pa" origin) $(e2e_redis HGET "vasgw:msg:st-$ym-$pa" state)"
e2e_assert_eq "the run ended: its lock released" "0" "$(e2e_redis EXISTS "$lock")"
# Exactly one settlement ran: one audit entry `settle` (written in the
# settlement's own MULTI/EXEC), whose user names the node that ran it
# (`vasgwd (node NAME)`, docs/promoters.md), and only that node's log says
# it settled the month.
# shellcheck disable=SC2016  # Lua
settles=$(e2e_redis EVAL 'local r = {}
for _, e in ipairs(redis.call("XRANGE", KEYS[1], "-", "+")) do
  local h = {}
  for i = 1, #e[2], 2 do h[e[2][i]] = e[2][i + 1] end
  if h.action == "settle" then r[#r + 1] = h.user .. "|" .. h.detail end
end
return r' 1 vasgw:audit)
e2e_assert_match "one settlement, by one of the two nodes" \
	"^vasgwd \(node (e2e|e2e2)\)\|$month: 1 valid, 300 fen, 1 promoters\$" "$settles"
winner=${settles#vasgwd (node } winner=${winner%%)*}
done_line="settlement of $month: done: 1 valid, 300 fen, 1 promoters told by SMS"
if [ "$winner" = e2e ]; then
	wlog=vasgwd.log llog=vasgwd2.log loser=e2e2 from=$((n2 + 1))
else
	wlog=vasgwd2.log llog=vasgwd.log loser=e2e from=$((n1 + 1))
fi
e2e_assert_eq "the settling node ($winner) logs it, once" 1 "$(grep -cF "$done_line" "$E2E_DIR/$wlog")"
e2e_assert_eq "the other node ($loser) never settled" 0 "$(grep -cF "settlement of $month: done" "$E2E_DIR/$llog")"
other=$(tail -n +"$from" "$E2E_DIR/$llog" | grep -oE "settlement of $month: .*" | head -n1)
e2e_log "settled by node $winner; node $loser after the restart: ${other:-nothing logged (it found the month done)}"
audit=$(e2e_vasgw_ok audit-log)
e2e_assert_eq "audit log: one settlement of $month" "1" "$(grep -cE "settle +$month" <<<"$audit")"
e2e_pass
