#!/bin/bash
# The do-not-contact list and the complaint rule, from the CLI against a
# real Redis (no daemon needed: the refusals happen in offer_create): a
# blocklist file with a BOM, CRLF and bad rows is refused whole, every bad
# row named as FILE:LINE and nothing written; a good one (numbers in every
# form) is imported; `recommend` to a listed number is refused with the
# rule named, and works once the number is removed; a complaint from the
# care feed refuses marketing of its service (`complained`), an old one
# does not; number segments are imported, shown by the longest prefix and
# listed, a bad segment file refused whole; every change is in the audit
# log.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init blocklist
e2e_start_redis
e2e_write_conf
unset SUDO_USER
me=$(id -un)
e2e_services

out() { cat "$E2E_DIR/$1.stdout"; }
day() { TZ=Asia/Shanghai date -d "$1" +%Y-%m-%d; }

# --- a file with bad rows: refused whole ---------------------------------------
{ printf '\xef\xbb\xbf'; printf '%s\r\n' \
	'msisdn,reason' \
	'13800138000,asked by phone' \
	'not-a-number,x' \
	'13900139000' \
	'13700137000,a,b'; } >"$E2E_DIR/bad.csv"
e2e_expect_status bad 1 blocklist import "$E2E_DIR/bad.csv"
e2e_assert_match "bad: line 3 named" "bad.csv:3: malformed number 'not-a-number'" "$(e2e_cli_err bad)"
e2e_assert_match "bad: line 5 named" "bad.csv:5: 3 fields" "$(e2e_cli_err bad)"
e2e_assert_match "bad: nothing imported" "2 bad rows; nothing imported" "$(e2e_cli_err bad)"
e2e_assert_eq "bad: nothing written" 0 "$(e2e_redis EXISTS vasgw:blocklist vasgw:blocklist:info)"

# --- a good file: BOM, CRLF, a header, numbers in every form ---------------------
{ printf '\xef\xbb\xbf'; printf '%s\r\n' \
	'msisdn,reason' \
	'13800138000,asked by phone' \
	'"+86 139 0013 9000",' \
	'# from the care system' \
	'' \
	'008613700137000,"complained, twice"' \
	'8613800138000,again'; } >"$E2E_DIR/good.csv"
e2e_expect_status good 0 blocklist import "$E2E_DIR/good.csv"
e2e_assert_eq "good: summary" "$E2E_DIR/good.csv: 4 rows, 3 numbers added (1 already listed or repeated)" "$(out good)"
e2e_assert_eq "good: the set" "$(printf '%s\n' 8613700137000 8613800138000 8613900139000)" \
	"$(e2e_redis SMEMBERS vasgw:blocklist | sort)"
e2e_assert_match "good: the first listing is kept" "^[0-9]{13}\\|$me\\|asked by phone\$" \
	"$(e2e_redis HGET vasgw:blocklist:info 8613800138000)"
e2e_expect_status again 0 blocklist import "$E2E_DIR/good.csv"
e2e_assert_eq "again: nothing new" "$E2E_DIR/good.csv: 4 rows, 0 numbers added (4 already listed or repeated)" "$(out again)"

e2e_expect_status show 0 blocklist show 13700137000
e2e_assert_match "show: listed" "^8613700137000  on the do-not-contact list" "$(out show)"
e2e_assert_match "show: why" "reason  complained, twice" "$(out show)"
e2e_assert_match "show: by whom" "by      $me" "$(out show)"
e2e_expect_status show_json 0 --json blocklist show +8613700137000
e2e_assert_eq "show --json: listed" true "$(e2e_json listed <"$E2E_DIR/show_json.stdout")"
e2e_assert_match "show --json: time" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$(e2e_json time <"$E2E_DIR/show_json.stdout")"
e2e_expect_status show_not 0 --json blocklist show 13600136000
e2e_assert_eq "show: not listed" false "$(e2e_json listed <"$E2E_DIR/show_not.stdout")"
e2e_expect_status list 0 --json blocklist list --limit 2
e2e_assert_eq "list: total" 3 "$(e2e_json total <"$E2E_DIR/list.stdout")"
e2e_assert_eq "list: limited" 2 "$(e2e_json numbers.length <"$E2E_DIR/list.stdout")"
e2e_expect_status add 0 blocklist add 13500135000 --reason "同意书撤回"
e2e_assert_match "add: added" "^added: 8613500135000" "$(out add)"
e2e_expect_status add_bad 2 blocklist add 1350013500x
e2e_expect_status add_long 2 blocklist add 13500135001 --reason "$(printf 'x%.0s' $(seq 101))"

# --- recommend: refused while listed, sent once removed ----------------------------
e2e_expect_status refused 1 recommend 13800138000 CL
e2e_assert_match "refused: the rule named" "refused  blocklisted: the number is on the do-not-contact list" "$(out refused)"
e2e_expect_status refused_json 1 --json recommend 13800138000 CL SJB
e2e_assert_eq "refused --json: every service" "blocklisted blocklisted" \
	"$(e2e_json offers.0.rule <"$E2E_DIR/refused_json.stdout") $(e2e_json offers.1.rule <"$E2E_DIR/refused_json.stdout")"
e2e_assert_eq "refused: counted" 3 "$(e2e_redis HGET vasgw:stats offer_refused:blocklisted)"
e2e_expect_status remove 0 blocklist remove 13800138000
e2e_assert_eq "remove: the record too" 0 "$(e2e_redis HEXISTS vasgw:blocklist:info 8613800138000)"
e2e_expect_status remove_again 0 blocklist remove 13800138000
e2e_assert_match "remove again: nothing to do" "not on the do-not-contact list" "$(out remove_again)"
e2e_expect_status sent 0 --json recommend 13800138000 CL
e2e_assert_eq "after remove: sent" sent "$(e2e_json offers.0.status <"$E2E_DIR/sent.stdout")"

# --- a complaint from the care feed: complained ---------------------------------------
printf '%s\n' 'msisdn,service,event,date' \
	"13400134000,CL,complaint,$(day yesterday)" \
	"13300133000,CL,complaint,$(day '-120 days')" >"$E2E_DIR/care.csv"
e2e_expect_status feed 0 feed import "$E2E_DIR/care.csv"
e2e_expect_status complained 1 recommend 13400134000 CL
e2e_assert_match "complained: the rule named" "refused  complained: " "$(out complained)"
e2e_expect_status other_svc 0 --json recommend 13400134000 SJB
e2e_assert_eq "complaint about CL: SJB sent" sent "$(e2e_json offers.0.status <"$E2E_DIR/other_svc.stdout")"
e2e_expect_status old 0 --json recommend 13300133000 CL
e2e_assert_eq "a complaint 120 days old: sent" sent "$(e2e_json offers.0.status <"$E2E_DIR/old.stdout")"

# --- number segments: import, show, list; a bad file refused whole ---------------------
{ printf '\xef\xbb\xbf'; printf '%s\r\n' 'prefix,region,city' '138,广东,' \
	'1380013,广东,深圳' '139,北京,北京'; } >"$E2E_DIR/seg.csv"
e2e_expect_status seg 0 segment import "$E2E_DIR/seg.csv"
e2e_assert_eq "segment import" "$E2E_DIR/seg.csv: 3 segments; the table replaced" "$(out seg)"
e2e_expect_status seg_show 0 segment show "+86 138 0013 8000"
e2e_assert_eq "segment show: the longest prefix" "8613800138000  segment 1380013  广东  深圳" "$(out seg_show)"
e2e_expect_status seg_show2 0 --json segment show 13812345678
e2e_assert_eq "segment show --json" "138 广东" \
	"$(e2e_json segment.prefix <"$E2E_DIR/seg_show2.stdout") $(e2e_json segment.region <"$E2E_DIR/seg_show2.stdout")"
e2e_expect_status seg_none 0 segment show 13712345678
e2e_assert_eq "segment show: none" "8613712345678  no segment" "$(out seg_none)"
e2e_expect_status seg_list 0 segment list
e2e_assert_match "segment list: sorted, aligned" "^PREFIX +REGION +CITY
138 +广东 +-
1380013 +广东 +深圳
139 +北京 +北京
3 segments\$" "$(out seg_list)"
printf '%s\n' 'prefix,region,city' '150,上海' '15x,上海' '139,北京' '151,,' '150,上海,浦东' >"$E2E_DIR/seg_bad.csv"
e2e_expect_status seg_bad 1 segment import "$E2E_DIR/seg_bad.csv"
e2e_assert_match "bad segments: line 3" "seg_bad.csv:3: prefix '15x'" "$(e2e_cli_err seg_bad)"
e2e_assert_match "bad segments: line 5" "seg_bad.csv:5: the region is empty" "$(e2e_cli_err seg_bad)"
e2e_assert_match "bad segments: line 6, twice" "seg_bad.csv:6: prefix 150 given twice \\(first on line 2\\)" "$(e2e_cli_err seg_bad)"
e2e_assert_eq "bad segments: the table as it was" 3 "$(e2e_redis HLEN vasgw:segments)"
printf '%s\n' '150,上海' '150,上海,浦东' >"$E2E_DIR/seg_twice.csv"
e2e_expect_status seg_twice 1 segment import "$E2E_DIR/seg_twice.csv"
e2e_assert_eq "a prefix twice alone: refused" 3 "$(e2e_redis HLEN vasgw:segments)"
printf '150,上海,上海\n' >"$E2E_DIR/seg2.csv"
e2e_expect_status seg2 0 segment import "$E2E_DIR/seg2.csv"
e2e_assert_eq "segment import replaces the table" 150 "$(e2e_redis HKEYS vasgw:segments)"

# --- the audit log ----------------------------------------------------------------------
e2e_expect_status log 0 audit-log
log=$(out log)
e2e_assert_match "audit: import" "$me +blocklist.import +$(realpath "$E2E_DIR/good.csv"): 4 rows, 3 added" "$log"
e2e_assert_match "audit: add" "blocklist.add +8613500135000 reason: 同意书撤回" "$log"
e2e_assert_match "audit: remove" "blocklist.remove +8613800138000 \\(listed .* by $me: asked by phone\\)" "$log"
e2e_assert_match "audit: segment import" "segment.import +$(realpath "$E2E_DIR/seg.csv"): 3 segments" "$log"
e2e_assert_eq "audit: the second import and remove changed nothing" 3 "$(grep -cE '  blocklist\.(add|remove|import)  ' <<<"$log")"

e2e_pass
