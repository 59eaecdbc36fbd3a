#!/bin/bash
# An SMS of every origin reaches `delivered`, its record updated by the
# SMSC's response and receipt: the operator's `vasgw send` (cli), an answer
# to an MO (reply), a recommendation (offer), an activation result (order),
# a promoter's status (promoter) and a settlement (settlement).  Every
# message record the run made is checked, not only the ones named.  The
# info log follows a subscriber's conversation by masked number and ids.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init sms_origins
e2e_start_subscriber_side --receipts on
tz=Asia/Shanghai
month=$(TZ=$tz date +%Y-%m)

# promoter: onboarding tells the promoter its staff number.
printf 'msisdn,name,outlet\n13900139001,张三,营业厅\n' >"$E2E_DIR/promoters.csv"
e2e_vasgw promoter import "$E2E_DIR/promoters.csv" >/dev/null || e2e_fail "promoter import"
pa=8613900139001
e2e_wait_sms $pa 1
# offer (the promoter's TJ), reply (its answer, and the subscriber's
# confirmation), order (the activation result), all from one sale.
e2e_mo $pa "TJ 13800000001 CL"
e2e_wait_sms $pa 2
e2e_wait_sms 8613800000001 1
e2e_mo 8613800000001 "Y"
e2e_wait_sms 8613800000001 3
# cli
id=$(e2e_vasgw send 13800000002 "您好") || e2e_fail "send"
# settlement: the month settled (not over yet: --force), the promoter told.
e2e_wait_for "the development credited" 10 eval '[ -n "$(e2e_redis ZRANGE "vasgw:devs:month:${month/-/}" 0 -1)" ]'
e2e_vasgw settle "$month" --force >/dev/null || e2e_fail "settle"
e2e_wait_sms $pa 3

# Every record the run made, by origin, delivered.
summary() {
	local k
	for k in $(e2e_redis --scan --pattern 'vasgw:msg:*'); do
		echo "$(e2e_redis HGET "$k" origin) $(e2e_redis HGET "$k" state)"
	done | sort | uniq -c | awk '{print $2 ":" $3 "=" $1}' | tr '\n' ' '
}
all_delivered() { ! summary | grep -qv ':delivered='; }
e2e_wait_for "every SMS delivered" 15 all_delivered
e2e_assert_eq "one of each origin, each delivered" \
	"cli:delivered=1 offer:delivered=1 order:delivered=1 promoter:delivered=1 reply:delivered=2 settlement:delivered=1 " \
	"$(summary)"
e2e_assert_eq "the cli one by its id" "delivered" "$(e2e_redis HGET "vasgw:msg:$id" state)"
e2e_assert_eq "six kinds, seven SMS: delivered counted" "7" "$(e2e_redis HGET vasgw:stats delivered)"
# The subscriber's "Y": found in the log by the masked number, then by ids.
log=$(grep -F '138****0001' "$E2E_DIR/vasgwd.log")
mo=$(sed -n 's/.* info MO \([0-9]*\) from 138\*\*\*\*0001 to 10658000, 1 bytes dcs 0: stored$/\1/p' <<<"$log")
[ -n "$mo" ] || e2e_fail "no 'MO ... from 138****0001 ...: stored' line: $log"
e2e_assert_match "its answer accepted" "info MT re-$mo to 138\*\*\*\*0001: accepted \(1 part, SMSC id [0-9]+\)" "$log"
e2e_assert_match "what it did" "dispatch: MO $mo: answered confirm_received \(MT re-$mo, offer [^,]+, order A" "$(cat "$E2E_DIR/vasgwd.log")"
e2e_assert_match "the answer's receipt" "info MT re-$mo: receipt delivered err 000 \(SMSC id [0-9]+\): delivered" "$(cat "$E2E_DIR/vasgwd.log")"
! grep -q '8613800000001\|13800000001' "$E2E_DIR/vasgwd.log" || e2e_fail "a whole number in the log"
e2e_pass
