#!/bin/bash
# The daemon settles last month by itself on [commission] settlement_day (or
# any later day of the month, when it was down that day): one of two nodes
# does it, the month is settled once, and the promoter gets one SMS.
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
e2e_write_conf commission.settlement_day=1
e2e_start_vasgwd
first=$VASGWD_PID
cp "$E2E_CONF" "$E2E_DIR/node2.conf"
sed -i 's/^node = e2e$/node = e2e2/' "$E2E_DIR/node2.conf"
setsid "$top_builddir/vasgwd" -c "$E2E_DIR/node2.conf" >>"$E2E_DIR/vasgwd2.log" 2>&1 </dev/null &
e2e__track $! vasgwd2
e2e_wait_bound 1 20
e2e_wait_for "last month settled" 30 eval '[ "$(e2e_redis HGET "vasgw:settle:$ym" state)" = done ]'
e2e_assert_eq "valid" "valid" "$(e2e_redis HGET vasgw:dev:Ademo1 state)"
e2e_assert_eq "invalid: no calls" "invalid voice" "$(e2e_redis HGET vasgw:dev:Ademo2 state) $(e2e_redis HGET vasgw:dev:Ademo2 rule)"
# The onboarding SMS and the settlement's: exactly two once drained.
e2e_wait_sms_exact $pa 2 15
e2e_assert_eq "the settlement SMS, once" "1" "$(e2e_sms_to $pa | grep -c "工号10001 $month结算：有效发展1个，无效1个，佣金3.00元。")"
e2e_assert_eq "its record (no receipts here)" "settlement accepted" \
	"$(e2e_redis HGET "vasgw:msg:st-$ym-$pa" origin) $(e2e_redis HGET "vasgw:msg:st-$ym-$pa" state)"
e2e_assert_eq "the run ended: its lock released" "0" "$(e2e_redis EXISTS "vasgw:settle:$ym:lock")"
audit=$(e2e_vasgw_ok audit-log)
e2e_assert_eq "audit log: one settlement of $month" "1" "$(grep -cE "settle +$month" <<<"$audit")"
e2e_pass
