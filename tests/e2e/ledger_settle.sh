#!/bin/bash
# The commission ledger end to end: promoters onboarded in bulk, TJ by SMS,
# subscribers confirm, activations credit developments at the commission
# rule of that day (a rule changed for tomorrow changes nothing credited
# today); the operator imports the billing and care feed and settles the
# month: each development valid or invalid by the audit rules, a CSV
# report, an SMS to the promoter with the amount; CX shows it; settling
# again reports the same totals and sends nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init ledger_settle
e2e_start_redis
e2e_start_sim
e2e_start_prov
e2e_write_conf policy.mo_rate_limit_per_min=100
e2e_start_vasgwd
e2e_wait_bound
e2e_services
tz=Asia/Shanghai
today=$(TZ=$tz date +%F) month=$(TZ=$tz date +%Y-%m) ym=$(TZ=$tz date +%Y%m)
tomorrow=$(TZ=$tz date -d tomorrow +%F)

# The commission: CL 3.00 today, 5.00 from tomorrow; SJB 2.50 from today.
e2e_vasgw service set CL --commission-fen 500 --effective "$tomorrow" >/dev/null || e2e_fail "CL rule"
e2e_vasgw service set SJB --commission-fen 250 >/dev/null || e2e_fail "SJB rule"

printf 'msisdn,name,outlet\n13900139001,张三,"城关营业厅,一楼"\n' >"$E2E_DIR/promoters.csv"
e2e_vasgw promoter import "$E2E_DIR/promoters.csv" >/dev/null || e2e_fail "promoter import"
pa=8613900139001
# One SMS, the welcome (promoter_approved) with the first staff number.
e2e_wait_sms_exact $pa 1
e2e_assert_eq "the promoter's staff number" 10001 "$(e2e_redis HGET vasgw:promoter:$pa staff_no)"
e2e_assert_eq "the welcome SMS" "张三，您已成为推广员，工号10001。发TJ推荐、YW查代码、CX查佣金，或拨*123*8#用菜单。" \
	"$(e2e_sms_to $pa)"

# Three subscribers, one offer each, each confirmed.
sell() { # NATIONAL SERVICE
	local n
	n=$(e2e_sms_count $pa)
	e2e_mo $pa "TJ $1 $2"
	e2e_wait_sms_exact $pa $((n + 1))
	e2e_wait_sms_exact "86$1" 1
	e2e_mo "86$1" "Y"
}
sell 13800000001 CL
sell 13800000002 SJB
sell 13800000003 CL
# ZS: the knowledge SMS of a service to a customer, with its reply code.
n=$(e2e_sms_count $pa)
e2e_mo $pa "ZS 13800000009 SJB"
e2e_wait_sms_exact $pa $((n + 1))
e2e_assert_match "ZS: the promoter's answer" "手机报已发送\(回复1\)" "$(e2e_last_sms $pa)"
e2e_wait_sms_exact 8613800000009 1
e2e_assert_match "ZS: the knowledge SMS with the code" "【手机报】.*资费：3元/月。.*回复1开通，回复TD退订" "$(e2e_sms_to 8613800000009 | tr -d '\n')"
e2e_wait_for "three developments" 15 eval '[ "$(e2e_redis ZCARD "vasgw:devs:month:$ym")" = 3 ]'
amounts=$(for id in $(e2e_redis ZRANGE "vasgw:devs:month:$ym" 0 -1); do
	echo "$(e2e_redis HGET "vasgw:dev:$id" msisdn) $(e2e_redis HGET "vasgw:dev:$id" amount_fen)"
done | sort | tr '\n' ';')
e2e_assert_eq "amounts from the rules in force today" "8613800000001 300;8613800000002 250;8613800000003 300;" "$amounts"

# The feed: 1 is charged and calls; 2 is charged and calls but complained;
# 3 is charged and never calls.
cat >"$E2E_DIR/feed.csv" <<CSV
msisdn,service,event,date
13800000001,CL,charged,$today
13800000001,,voice,$today
13800000002,SJB,charged,$today
13800000002,,voice,$today
13800000002,SJB,complaint,$today
13800000003,CL,charged,$today
CSV
e2e_vasgw feed import "$E2E_DIR/feed.csv" >/dev/null || e2e_fail "feed import"

# The month is not over: settling it needs --force (a usage error, 2).
e2e_expect_status settle_unfinished 2 settle "$month"
n=$(e2e_sms_count $pa)
out=$(e2e_vasgw --json settle "$month" --force --report "$E2E_DIR/report.csv") || e2e_fail "settle failed: $out"
e2e_assert_eq "valid" "1" "$(e2e_json total.valid <<<"$out")"
e2e_assert_eq "invalid: voice" "1" "$(e2e_json total.invalid.voice <<<"$out")"
e2e_assert_eq "invalid: complaint" "1" "$(e2e_json total.invalid.complaint <<<"$out")"
e2e_assert_eq "amount" "300" "$(e2e_json total.amount_fen <<<"$out")"
e2e_assert_match "report: the promoter's row" "^8613900139001,10001,张三,\"城关营业厅,一楼\",1,0,0,0,1,0,0,1,300,3.00$" "$(sed -n 2p "$E2E_DIR/report.csv")"
e2e_assert_match "report: the total" "^TOTAL,.*,300,3.00$" "$(tail -n1 "$E2E_DIR/report.csv")"
e2e_wait_sms_exact $pa $((n + 1))
e2e_assert_eq "the promoter's SMS" "工号10001 $month结算：有效发展1个，无效2个，佣金3.00元。" "$(e2e_last_sms $pa)"

ledger=$(e2e_vasgw_ok ledger --promoter 13900139001 --month "$month")
e2e_assert_match "ledger: valid" "8613800000001 +CL +3.00  valid" "$ledger"
e2e_assert_match "ledger: complaint" "8613800000002 +SJB +2.50  invalid:complaint" "$ledger"
e2e_assert_match "ledger: voice" "8613800000003 +CL +3.00  invalid:voice" "$ledger"
e2e_mo $pa "CX"
e2e_wait_sms_exact $pa $((n + 2))
e2e_assert_match "CX after settlement" "有效1，无效2，待结佣金0.00元，已结3.00元" "$(e2e_last_sms $pa)"
# CX MX: the three developments, newest first, in two parts (the text's
# length does not vary: fixed-width dates and masked numbers).
e2e_mo $pa "CX MX"
e2e_wait_sms_exact $pa $((n + 4))
cxmx=$(e2e_sms_to $pa | tail -n 2 | tr -d '\n')
e2e_assert_match "CX MX: the title" "^工号10001最近发展：" "$cxmx"
md=$(TZ=$tz date +%m-%d)
e2e_assert_eq "CX MX: each development, with its audit" \
	"$md 138****0001 CL 有效;$md 138****0002 SJB 无效:投诉;$md 138****0003 CL 无效:无通话;" \
	"$(sed 's/^[^：]*：//' <<<"$cxmx" | sed 's/，/\n/g' | sort | tr '\n' ';')"
n=$((n + 4))

# Settling again: the same totals, nothing sent, nothing changed.
out2=$(e2e_vasgw --json settle "$month" --force) || e2e_fail "second settle failed"
e2e_assert_eq "second run: same amount" "300" "$(e2e_json total.amount_fen <<<"$out2")"
e2e_assert_eq "second run: settled before" "settled" "$(e2e_json state <<<"$out2")"
# YW, answered at once: once its answer is out and the streams drained,
# a second settlement SMS would be out too.
e2e_mo $pa "YW"
e2e_wait_sms_exact $pa $((n + 1))
e2e_assert_eq "no second settlement SMS, YW answered" "业务代码：CL 彩铃，SJB 手机报" "$(e2e_last_sms $pa)"
e2e_assert_eq "one settlement SMS" "1" "$(e2e_redis --scan --pattern 'vasgw:msg:st-*' | wc -l)"
audit=$(e2e_vasgw_ok audit-log)
e2e_assert_match "audit log: the settlement" "settle +$month: 1 valid, 300 fen" "$audit"
e2e_assert_match "audit log: the feed" "feed.import" "$audit"
e2e_pass
