#!/bin/bash
# Promoters from the operator's CLI against a real Redis (no daemon needed;
# the SMS are checked in the MT stream vasgw:mt and the message records):
# a CSV import (BOM, CRLF, columns in another order, Chinese names, a quoted
# outlet with a comma) that registers, approves and tells each promoter their
# staff number; importing it again adds nothing; list and show (by MSISDN
# and by staff number, with the monthly counters); a file with bad rows
# (number outside the segments, a 21-character name, a duplicate, a
# malformed number) that reports them all with their lines and writes
# nothing; approve / reject / disable, the same change twice sending one
# SMS; the audit log.  At the end a daemon starts: every SMS queued meanwhile
# goes out, as it was recorded.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init promoter_cli
e2e_start_redis
e2e_write_conf gateway.timezone=Asia/Shanghai

out() { cat "$E2E_DIR/$1.stdout"; }
mt_len() { e2e_redis XLEN vasgw:mt; }
# sms_to MSISDN — the texts queued to MSISDN, one a line, oldest first.
sms_to() {
	local id
	for id in $(e2e_redis --scan --pattern "vasgw:msg:pr-$1-*" | sort -t- -k4n); do
		e2e_redis HGET "$id" text
	done
}
audit_count() { e2e_redis XRANGE vasgw:audit - + | grep -c "^$1\$" || true; }

# --- import: a good file ------------------------------------------------------
{ printf '\xef\xbb\xbf'; printf '%s\r\n' \
	'name, MSISDN ,outlet' \
	'张三,13900139000,"中关村营业厅, 二楼"' \
	'李四,+86 138 0013 8001,' \
	'"Wang ""Wei""",8615000150000,Outlet A' \
	',,' \
	'欧阳一二三四五六七八九十一二三四五六七,008618800188000,"乡镇代理点"'; } >"$E2E_DIR/good.csv"
out=$(e2e_cli import_good --json promoter import "$E2E_DIR/good.csv") || e2e_fail "import: $(e2e_cli_err import_good)"
e2e_assert_eq "import: promoters" 4 "$(e2e_json promoters <<<"$out")"
e2e_assert_eq "import: added" 4 "$(e2e_json added <<<"$out")"
e2e_assert_eq "import: already" 0 "$(e2e_json already_registered <<<"$out")"
e2e_assert_eq "import: first row's line" 2 "$(e2e_json rows.0.line <<<"$out")"
e2e_assert_eq "import: last row's line (blank row skipped)" 6 "$(e2e_json rows.3.line <<<"$out")"
e2e_assert_eq "import: staff numbers in file order" 10001 "$(e2e_json rows.0.staff_no <<<"$out")"
e2e_assert_eq "import: fourth staff number" 10004 "$(e2e_json rows.3.staff_no <<<"$out")"

P=vasgw:promoter:8613900139000
e2e_assert_eq "record: msisdn" 8613900139000 "$(e2e_redis HGET $P msisdn)"
e2e_assert_eq "record: Chinese name" 张三 "$(e2e_redis HGET $P name)"
e2e_assert_eq "record: outlet with a comma" "中关村营业厅, 二楼" "$(e2e_redis HGET $P outlet)"
e2e_assert_eq "record: status" approved "$(e2e_redis HGET $P status)"
e2e_assert_eq "record: source" import "$(e2e_redis HGET $P source)"
e2e_assert_eq "record: staff no." 10001 "$(e2e_redis HGET $P staff_no)"
e2e_assert_match "record: registered in ms" '^[0-9]{13}$' "$(e2e_redis HGET $P registered_at)"
e2e_assert_eq "national number normalised" 李四 "$(e2e_redis HGET vasgw:promoter:8613800138001 name)"
e2e_assert_eq "empty outlet" "" "$(e2e_redis HGET vasgw:promoter:8613800138001 outlet)"
e2e_assert_eq "doubled quote" 'Wang "Wei"' "$(e2e_redis HGET vasgw:promoter:8615000150000 name)"
e2e_assert_eq "20-character name" 欧阳一二三四五六七八九十一二三四五六七 "$(e2e_redis HGET vasgw:promoter:8618800188000 name)"
e2e_assert_eq "last field, no CR" 乡镇代理点 "$(e2e_redis HGET vasgw:promoter:8618800188000 outlet)"
e2e_assert_eq "staff index" 8613900139000 "$(e2e_redis GET vasgw:staff:10001)"
e2e_assert_eq "staff index (4)" 8618800188000 "$(e2e_redis GET vasgw:staff:10004)"
e2e_assert_eq "promoters index" 4 "$(e2e_redis ZCARD vasgw:promoters)"
e2e_assert_eq "one SMS each" 4 "$(mt_len)"
e2e_assert_match "approval SMS" '^张三，您已成为推广员，工号10001。' "$(sms_to 8613900139000)"
rec=$(e2e_redis --scan --pattern 'vasgw:msg:pr-8613900139000-*')
e2e_assert_match "approval SMS: its id" '^vasgw:msg:pr-8613900139000-approved-[0-9]{13}$' "$rec"
e2e_assert_eq "approval SMS record: to, origin, state" "8613900139000 promoter queued" \
	"$(e2e_redis HMGET "$rec" to origin state | tr '\n' ' ' | sed 's/ $//')"
e2e_assert_eq "approval SMS in the MT stream" "${rec#vasgw:msg:} 8613900139000" \
	"$(e2e_redis XRANGE vasgw:mt - + | awk 'p == "id" || p == "to" { printf "%s ", $0 } { p = $0 }' | grep -o "${rec#vasgw:msg:} 8613900139000")"
e2e_assert_eq "audit: import recorded" 1 "$(audit_count promoter.import)"

e2e_cli import_again promoter import "$E2E_DIR/good.csv" >"$E2E_DIR/import_again.stdout" ||
	e2e_fail "import again: $(e2e_cli_err import_again)"
e2e_assert_eq "import again: summary" \
	"$E2E_DIR/good.csv: 4 promoters: 0 added (approved, SMS queued), 4 already registered" \
	"$(out import_again)"
e2e_assert_eq "import again: no SMS" 4 "$(mt_len)"
e2e_assert_eq "import again: name kept" 张三 "$(e2e_redis HGET $P name)"
e2e_assert_eq "import again: not audited (nothing changed)" 1 "$(audit_count promoter.import)"

# A later import is newest in the list.
sleep 0.01
printf 'msisdn,name\n13600136000,钱七\n' >"$E2E_DIR/one.csv"
e2e_cli import_one promoter import "$E2E_DIR/one.csv" >"$E2E_DIR/import_one.stdout" || e2e_fail "import: $(e2e_cli_err import_one)"
e2e_assert_eq "import one: summary" \
	"$E2E_DIR/one.csv: 1 promoter: 1 added (approved, SMS queued), 0 already registered" \
	"$(out import_one)"
e2e_assert_eq "import one: outlet column absent" "" "$(e2e_redis HGET vasgw:promoter:8613600136000 outlet)"

# --- import: bad rows ------------------------------------------------------------
before_len=$(mt_len)
before_idx=$(e2e_redis ZCARD vasgw:promoters)
printf '%s\n' \
	'msisdn,name,outlet' \
	'13000000000,甲,' \
	'13900139010,一二三四五六七八九十一二三四五六七八九十一,' \
	'13900139011,乙,好店' \
	'8613900139011,丙,' \
	'1390013,丁,' \
	'13900139012,戊,"未闭合' >"$E2E_DIR/bad.csv"
e2e_expect_status import_bad 1 promoter import "$E2E_DIR/bad.csv"
e2e_assert_match "line 2: outside the segments" \
	'bad\.csv:2: number 8613000000000 is not in the promoter number segments' "$(e2e_cli_err import_bad)"
e2e_assert_match "line 3: name too long" \
	'bad\.csv:3: name has 21 characters \(at most 20\)' "$(e2e_cli_err import_bad)"
e2e_assert_match "line 5: duplicate" \
	'bad\.csv:5: number 8613900139011 repeats line 4' "$(e2e_cli_err import_bad)"
e2e_assert_match "line 6: malformed" "bad\\.csv:6: malformed number '1390013': too short" "$(e2e_cli_err import_bad)"
e2e_assert_match "line 7: unclosed quote" 'bad\.csv:7: a quoted field opened on line 7 is never closed' "$(e2e_cli_err import_bad)"
e2e_assert_eq "only those lines" 5 "$(grep -c 'bad\.csv:[0-9]*:' "$E2E_DIR/import_bad.stderr")"
e2e_assert_match "summary" 'bad\.csv: 5 bad rows; nothing imported' "$(e2e_cli_err import_bad)"
e2e_assert_eq "nothing written: index" "$before_idx" "$(e2e_redis ZCARD vasgw:promoters)"
e2e_assert_eq "nothing written: good row" 0 "$(e2e_redis EXISTS vasgw:promoter:8613900139011)"
e2e_assert_eq "nothing written: no SMS" "$before_len" "$(mt_len)"
e2e_assert_eq "nothing written: staff counter" 5 "$(e2e_redis GET vasgw:seq:staff)"

printf 'msisdn,name,colour\n' >"$E2E_DIR/header.csv"
e2e_expect_status import_header 1 promoter import "$E2E_DIR/header.csv"
e2e_assert_match "unknown column" "header\\.csv:1: unknown column 'colour'" "$(e2e_cli_err import_header)"
printf 'msisdn,outlet\n' >"$E2E_DIR/header2.csv"
e2e_expect_status import_header2 1 promoter import "$E2E_DIR/header2.csv"
e2e_assert_match "missing column" "header2\\.csv:1: missing column 'name'" "$(e2e_cli_err import_header2)"
e2e_expect_status import_none 1 promoter import "$E2E_DIR/no-such-file.csv"
e2e_expect_status import_usage 2 promoter import

# --- list ---------------------------------------------------------------------------
list=$(e2e_cli list promoter list) || e2e_fail "list: $(e2e_cli_err list)"
head -n1 <<<"$list" | grep -q '^MSISDN .*STAFF NO\. .*NAME .*OUTLET .*STATUS .*REGISTERED$' ||
	e2e_fail "list: header in: $list"
sed -n 2p <<<"$list" | grep -Eq '^8613600136000  10005 .*钱七 .*approved  [0-9]{4}-[0-9]{2}-[0-9]{2}$' ||
	e2e_fail "list: newest first in: $list"
today=$(TZ=Asia/Shanghai date +%F)
grep -q "^8613900139000  10001      张三  .*中关村营业厅, 二楼  approved  $today\$" <<<"$list" ||
	e2e_fail "list: no aligned 张三 row dated $today in: $list"
e2e_assert_eq "list: five rows and a header" 6 "$(wc -l <<<"$list")"
out=$(e2e_cli list_json --json promoter list --limit 2) || e2e_fail "list: $(e2e_cli_err list_json)"
e2e_assert_eq "list --json: newest" 8613600136000 "$(e2e_json 0.msisdn <<<"$out")"
e2e_assert_eq "list --json: staff no." 10005 "$(e2e_json 0.staff_no <<<"$out")"
e2e_assert_match "list --json: registered_at a number" '^[0-9]{13}$' "$(e2e_json 0.registered_at <<<"$out")"
e2e_assert_eq "list --limit 2" "" "$(e2e_json 2.msisdn <<<"$out")"
out=$(e2e_cli list_outlet --json promoter list --outlet 中关村) || e2e_fail "list: $(e2e_cli_err list_outlet)"
e2e_assert_eq "list --outlet" 张三 "$(e2e_json 0.name <<<"$out")"
e2e_assert_eq "list --outlet: one" "" "$(e2e_json 1.name <<<"$out")"
e2e_expect_status list_pending 0 promoter list --status pending
e2e_assert_eq "list --status pending: none" "(no promoter matches)" "$(out list_pending)"
e2e_expect_status list_bad_status 2 promoter list --status asleep
e2e_expect_status list_bad_limit 2 promoter list --limit 0
e2e_expect_status list_bad_opt 2 promoter list --colour red

# --- show ---------------------------------------------------------------------------
this_month=$(TZ=Asia/Shanghai date +%Y%m)
last_month=$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date +%Y-%m-15) -1 month" +%Y%m)
e2e_redis HSET "$P:month:$this_month" recommended 12 confirmed 5 activated 4 valid 0 invalid 0 \
	pending_fen 1050 settled_fen 0 >/dev/null
e2e_redis HSET "$P:month:$last_month" recommended 30 activated 9 valid 8 invalid 1 settled_fen 2000 >/dev/null
out=$(e2e_cli show --json promoter show 13900139000) || e2e_fail "show: $(e2e_cli_err show)"
e2e_assert_eq "show: name" 张三 "$(e2e_json name <<<"$out")"
e2e_assert_eq "show: outlet" "中关村营业厅, 二楼" "$(e2e_json outlet <<<"$out")"
e2e_assert_eq "show: status" approved "$(e2e_json status <<<"$out")"
e2e_assert_eq "show: this month" "$this_month" "$(e2e_json months.0.month <<<"$out")"
e2e_assert_eq "show: recommended" 12 "$(e2e_json months.0.recommended <<<"$out")"
e2e_assert_eq "show: pending fen" 1050 "$(e2e_json months.0.pending_fen <<<"$out")"
e2e_assert_eq "show: last month" "$last_month" "$(e2e_json months.1.month <<<"$out")"
e2e_assert_eq "show: last month settled" 2000 "$(e2e_json months.1.settled_fen <<<"$out")"
e2e_assert_eq "show: missing counter is 0" 0 "$(e2e_json months.1.confirmed <<<"$out")"
out2=$(e2e_cli show_staff --json promoter show 10001) || e2e_fail "show by staff no.: $(e2e_cli_err show_staff)"
e2e_assert_eq "show by staff no." "$out" "$out2"
text=$(e2e_cli show_text promoter show 10001) || e2e_fail "show: $(e2e_cli_err show_text)"
grep -q '^promoter 8613900139000$' <<<"$text" || e2e_fail "show: title in: $text"
grep -q "^  ${this_month:0:4}-${this_month:4:2} .* 12 .* 10\\.50 *0\\.00\$" <<<"$text" ||
	e2e_fail "show: this month's row in: $text"
grep -q "^  registered   $today [0-9:]* +08:00\$" <<<"$text" || e2e_fail "show: local time in: $text"
e2e_expect_status show_no_staff 1 promoter show 10099
e2e_assert_match "unknown staff no." 'no promoter with staff no\. 10099' "$(e2e_cli_err show_no_staff)"
e2e_expect_status show_none 1 promoter show 13700137999
e2e_assert_match "unknown number" 'no promoter 8613700137999' "$(e2e_cli_err show_none)"
e2e_expect_status show_bad 2 promoter show 12x34567890
e2e_expect_status show_usage 2 promoter show

# --- approve, reject, disable -----------------------------------------------------------
# A registration by SMS (ZC), as the daemon's handler writes it: pending.
M=8613700137000 now=$(($(date +%s) * 1000))
e2e_redis HSET vasgw:promoter:$M msisdn $M name 赵六 outlet 西单店 staff_no 10010 status pending \
	reason "" source sms registered_at $now updated_at $now >/dev/null
e2e_redis SET vasgw:staff:10010 $M >/dev/null
e2e_redis ZADD vasgw:promoters $now $M >/dev/null
n0=$(mt_len)

e2e_cli approve promoter approve 13700137000 >"$E2E_DIR/approve.stdout" || e2e_fail "approve: $(e2e_cli_err approve)"
e2e_assert_match "approve: output, with the SMS's id" \
	"^promoter $M \\(staff no. 10010, 赵六\\): pending -> approved; SMS pr-$M-approved-[0-9]{13} queued\$" "$(out approve)"
sms=$(out approve | sed -n 's/.*; SMS \(pr-[^ ]*\) queued$/\1/p')
e2e_assert_eq "approve: the SMS named is the one queued" "$M queued" \
	"$(e2e_redis HMGET "vasgw:msg:$sms" to state | tr '\n' ' ' | sed 's/ $//')"
e2e_assert_eq "approve: status" approved "$(e2e_redis HGET vasgw:promoter:$M status)"
e2e_assert_eq "approve: one SMS" $((n0 + 1)) "$(mt_len)"
e2e_assert_match "approve: SMS text" '^赵六，您已成为推广员，工号10010。' "$(sms_to $M)"
out=$(e2e_cli approve2 --json promoter approve $M) || e2e_fail "approve twice: $(e2e_cli_err approve2)"
e2e_assert_eq "approve twice: unchanged" false "$(e2e_json changed <<<"$out")"
e2e_assert_eq "approve twice: no SMS named" "" "$(e2e_json message <<<"$out")"
e2e_assert_eq "approve twice: no SMS" $((n0 + 1)) "$(mt_len)"
e2e_expect_status approve3 0 promoter approve $M
e2e_assert_eq "approve twice: text" \
	"promoter $M (staff no. 10010, 赵六) is already approved; nothing changed, no SMS sent" \
	"$(out approve3)"
e2e_assert_eq "approve twice: one SMS to the promoter" 1 "$(sms_to $M | wc -l)"
e2e_assert_eq "audit: one approve" 1 "$(audit_count promoter.approve)"

sleep 0.01
out=$(e2e_cli disable --json promoter disable 10010 --reason 违规推广) || e2e_fail "disable: $(e2e_cli_err disable)"
e2e_assert_eq "disable: changed" true "$(e2e_json changed <<<"$out")"
e2e_assert_eq "disable: its SMS, by id" "赵六，您的推广员工号10010已停用：违规推广。" \
	"$(e2e_redis HGET "vasgw:msg:$(e2e_json message <<<"$out")" text)"
e2e_assert_eq "disable: from" approved "$(e2e_json from <<<"$out")"
e2e_assert_eq "disable: status" disabled "$(e2e_redis HGET vasgw:promoter:$M status)"
e2e_assert_eq "disable: reason" 违规推广 "$(e2e_redis HGET vasgw:promoter:$M reason)"
e2e_assert_eq "disable: SMS" "赵六，您的推广员工号10010已停用：违规推广。" "$(sms_to $M | tail -n1)"
e2e_assert_eq "disable: one more SMS" $((n0 + 2)) "$(mt_len)"
e2e_expect_status disable2 0 promoter disable $M --reason 再次
e2e_assert_match "disable twice: unchanged" 'is already disabled; nothing changed' "$(out disable2)"
e2e_assert_eq "disable twice: reason kept" 违规推广 "$(e2e_redis HGET vasgw:promoter:$M reason)"
e2e_assert_eq "disable twice: no SMS" $((n0 + 2)) "$(mt_len)"

sleep 0.01
e2e_cli enable promoter approve $M >"$E2E_DIR/enable.stdout" || e2e_fail "enable: $(e2e_cli_err enable)"
e2e_assert_match "enable again" "^promoter $M \\(staff no. 10010, 赵六\\): disabled -> approved; SMS pr-$M-approved-[0-9]{13} queued\$" "$(out enable)"
e2e_assert_eq "enable: reason cleared" "" "$(e2e_redis HGET vasgw:promoter:$M reason)"
e2e_assert_eq "enable: SMS" $((n0 + 3)) "$(mt_len)"

e2e_expect_status reject_noreason 2 promoter reject $M
e2e_assert_match "reject needs a reason" 'missing --reason' "$(e2e_cli_err reject_noreason)"
e2e_expect_status reject_long 2 promoter reject $M --reason "$(printf '原因%.0s' $(seq 1 31))"
e2e_assert_match "reason too long" 'reason has 62 characters \(at most 60\)' "$(e2e_cli_err reject_long)"
e2e_expect_status approve_reason 2 promoter approve $M --reason x
e2e_assert_eq "refusals change nothing" approved "$(e2e_redis HGET vasgw:promoter:$M status)"
sleep 0.01
e2e_cli reject promoter reject $M --reason=不在本营业区 >"$E2E_DIR/reject.stdout" || e2e_fail "reject: $(e2e_cli_err reject)"
e2e_assert_match "reject" "^promoter $M \\(staff no. 10010, 赵六\\): approved -> rejected; SMS pr-$M-rejected-[0-9]{13} queued\$" "$(out reject)"
e2e_assert_eq "reject: SMS" "赵六，您的推广员注册（工号10010）未通过：不在本营业区。" "$(sms_to $M | tail -n1)"

# Disabling without a reason says that none was given.
sleep 0.01
e2e_cli disable_noreason promoter disable 10002 >/dev/null || e2e_fail "disable: $(e2e_cli_err disable_noreason)"
e2e_assert_match "disable without a reason: SMS" '^李四，您的推广员工号10002已停用：业务系统未说明原因' \
	"$(sms_to 8613800138001 | tail -n1)"

e2e_expect_status approve_none 1 promoter approve 13500135999
e2e_assert_match "approve: no such promoter" 'no promoter 8613500135999' "$(e2e_cli_err approve_none)"
e2e_expect_status approve_bad 2 promoter approve 12345x
e2e_expect_status approve_usage 2 promoter approve
e2e_expect_status unknown_sub 2 promoter promote $M

e2e_assert_eq "audit: approvals" 2 "$(audit_count promoter.approve)"
e2e_assert_eq "audit: disables" 2 "$(audit_count promoter.disable)"
e2e_assert_eq "audit: rejects" 1 "$(audit_count promoter.reject)"
e2e_assert_match "audit: detail" "$M \\(staff no\\. 10010, 赵六\\): approved -> disabled; reason: 违规推广" \
	"$(e2e_redis XRANGE vasgw:audit - + | grep -A1 '^detail$' | grep 违规推广)"
e2e_expect_status list_rejected 0 --json promoter list --status rejected
e2e_assert_eq "list --status rejected" 赵六 "$(out list_rejected | e2e_json 0.name)"

# --- a daemon: what was queued goes out -------------------------------------------------
queued=$(mt_len)
e2e_assert_eq "every promoter SMS queued, none sent" "$queued $queued" \
	"$(e2e_redis --scan --pattern 'vasgw:msg:pr-*' | wc -l) $(for k in $(e2e_redis --scan --pattern 'vasgw:msg:pr-*'); do e2e_redis HGET "$k" state; done | grep -c '^queued$')"
e2e_start_sim
e2e_write_conf gateway.timezone=Asia/Shanghai
e2e_start_vasgwd
e2e_wait_bound
e2e_wait_drained 15
sent() {   # "to text" of every submit, sorted
	e2e_events submit | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{
for (const l of d.split("\n").filter(Boolean)) { const e = JSON.parse(l); console.log(e.dest + " " + e.text); } })' | sort
}
recorded() {   # "to text" of every promoter SMS, sorted; each accepted
	local k
	for k in $(e2e_redis --scan --pattern 'vasgw:msg:pr-*'); do
		[ "$(e2e_redis HGET "$k" state)" = accepted ] || echo "$k not accepted: $(e2e_redis HGET "$k" state)"
		echo "$(e2e_redis HGET "$k" to) $(e2e_redis HGET "$k" text)"
	done | sort
}
e2e_assert_eq "each queued SMS sent once, as recorded" "$(recorded)" "$(sent)"
e2e_assert_eq "submits" "$queued" "$(e2e_count_events submit)"
e2e_pass
