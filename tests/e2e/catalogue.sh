#!/bin/bash
# The service catalogue from the operator's CLI against a real Redis (no
# daemon needed): add, show, list, set, disable with --json; refused codes
# and values (exit 2, reason on stderr); a CSV import (BOM, CRLF, a quoted
# field with a comma, Chinese) that adds and updates in one step; a CSV with
# bad rows on lines 3 and 5 that reports both and changes nothing; the
# warning for a recommendation longer than two SMS parts.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init catalogue
e2e_start_redis
e2e_write_conf


# --- add, show --------------------------------------------------------------
out=$(e2e_cli add_cl service add cl --name 彩铃 --price 5元/月 --provision-code ISMP-CL-01 \
	--commission-fen 250 --knowledge "个性化回铃音，朋友来电听到您选的歌" \
	--usage "开通后自动生效" --cancel "回复QX CL取消" --json) || e2e_fail "add CL: $(e2e_cli_err add_cl)"
e2e_assert_eq "added code (upper-cased)" CL "$(e2e_json code <<<"$out")"
e2e_assert_eq "added name" 彩铃 "$(e2e_json name <<<"$out")"
e2e_assert_eq "added commission" 250 "$(e2e_json commission_fen <<<"$out")"
e2e_assert_eq "added enabled" true "$(e2e_json enabled <<<"$out")"
e2e_assert_eq "no warning for a short entry" "" "$(e2e_cli_err add_cl)"

e2e_assert_eq "hash name" 彩铃 "$(e2e_redis HGET vasgw:svc:CL name)"
e2e_assert_eq "hash commission" 250 "$(e2e_redis HGET vasgw:svc:CL commission_fen)"
e2e_assert_eq "hash enabled" 1 "$(e2e_redis HGET vasgw:svc:CL enabled)"
e2e_assert_eq "index" 1 "$(e2e_redis SISMEMBER vasgw:svc:index CL)"
created=$(e2e_redis HGET vasgw:svc:CL created)
e2e_assert_match "created in ms" '^[0-9]{13}$' "$created"

show=$(e2e_cli show_cl --json service show cl) || e2e_fail "show: $(e2e_cli_err show_cl)"
e2e_assert_eq "show price" 5元/月 "$(e2e_json price <<<"$show")"
e2e_assert_eq "show provision code" ISMP-CL-01 "$(e2e_json provision_code <<<"$show")"
e2e_assert_eq "show cancel" "回复QX CL取消" "$(e2e_json cancel <<<"$show")"
e2e_assert_eq "show created" "$created" "$(e2e_json created <<<"$show")"
e2e_assert_match "show: the commission in yuan" '2\.50 yuan \(250 fen\)' "$(e2e_vasgw_ok service show CL)"

# --- refusals -----------------------------------------------------------------
e2e_expect_status add_again 1 service add CL --name 彩铃 --price 5元/月 --provision-code X --commission-fen 1
e2e_assert_match "existing code" 'already exists.*service set' "$(e2e_cli_err add_again)"
e2e_expect_status add_td 2 service add TD --name 退订 --price 1元 --provision-code X --commission-fen 1
e2e_assert_match "keyword code" 'code TD is a command keyword' "$(e2e_cli_err add_td)"
e2e_assert_eq "nothing stored for TD" 0 "$(e2e_redis EXISTS vasgw:svc:TD)"
e2e_expect_status add_y 2 service add y --name x --price 1 --provision-code X --commission-fen 1
e2e_assert_match "keyword code Y" 'code Y is a command keyword' "$(e2e_cli_err add_y)"
e2e_expect_status add_digit 2 service add 1CL --name x --price 1 --provision-code X --commission-fen 1
e2e_assert_match "leading digit" 'must start with a letter' "$(e2e_cli_err add_digit)"
e2e_expect_status add_yuan 2 service add SJB --name 手机报 --price 3元/月 --provision-code X --commission-fen 2.50
e2e_assert_match "commission not in fen" "not a whole number of fen" "$(e2e_cli_err add_yuan)"
e2e_expect_status add_long 2 service add SJB --name 一二三四五六七八九十一二三四五六七八九十一 --price 3元/月 --provision-code X --commission-fen 1
e2e_assert_match "name too long" 'name has 21 characters \(at most 20\)' "$(e2e_cli_err add_long)"
e2e_expect_status add_missing 2 service add SJB --name 手机报 --price 3元/月 --commission-fen 1
e2e_assert_match "missing option" 'missing --provision-code' "$(e2e_cli_err add_missing)"
e2e_expect_status add_unknown 2 service add SJB --nmae 手机报
e2e_assert_match "unknown option" "unknown option '--nmae'" "$(e2e_cli_err add_unknown)"
e2e_expect_status add_novalue 2 service add SJB --name
e2e_assert_match "missing value" "option '--name' needs a value" "$(e2e_cli_err add_novalue)"
e2e_assert_eq "nothing stored for SJB" 0 "$(e2e_redis EXISTS vasgw:svc:SJB)"
e2e_expect_status show_none 1 service show ZZ
e2e_assert_match "unknown code" 'no service ZZ' "$(e2e_cli_err show_none)"
e2e_expect_status set_none 1 service set ZZ --name x
e2e_expect_status set_nothing 2 service set CL

# --- list, set, disable ---------------------------------------------------------
e2e_cli add_sjb service add SJB --name 手机报 --price 3元/月 --provision-code ISMP-SJB \
	--commission-fen 105 >/dev/null || e2e_fail "add SJB: $(e2e_cli_err add_sjb)"
list=$(e2e_cli list service list) || e2e_fail "list: $(e2e_cli_err list)"
grep -q '^CL .*彩铃.*5元/月.* 2\.50  yes$' <<<"$list" || e2e_fail "list: no CL row in: $list"
grep -q '^SJB .*手机报.* 1\.05  yes$' <<<"$list" || e2e_fail "list: no SJB row in: $list"
list=$(e2e_cli list_json --json service list) || e2e_fail "list: $(e2e_cli_err list_json)"
e2e_assert_eq "list: first code" CL "$(e2e_json 0.code <<<"$list")"
e2e_assert_eq "list: second code" SJB "$(e2e_json 1.code <<<"$list")"
e2e_assert_eq "list: second commission" 105 "$(e2e_json 1.commission_fen <<<"$list")"
e2e_assert_eq "list: two entries" "" "$(e2e_json 2.code <<<"$list")"

sleep 0.01
out=$(e2e_cli set_cl --json service set CL --price 6元/月 --commission-fen 300) || e2e_fail "set: $(e2e_cli_err set_cl)"
e2e_assert_eq "set price" 6元/月 "$(e2e_json price <<<"$out")"
e2e_assert_eq "set commission" 300 "$(e2e_json commission_fen <<<"$out")"
e2e_assert_eq "set keeps the name" 彩铃 "$(e2e_json name <<<"$out")"
e2e_assert_eq "set keeps created" "$created" "$(e2e_redis HGET vasgw:svc:CL created)"
[ "$(e2e_redis HGET vasgw:svc:CL updated)" -gt "$created" ] || e2e_fail "set: updated not later than created"
e2e_expect_status set_bad 2 service set CL --commission-fen -5
e2e_assert_eq "refused set changes nothing" 300 "$(e2e_redis HGET vasgw:svc:CL commission_fen)"

out=$(e2e_cli disable --json service disable sjb) || e2e_fail "disable: $(e2e_cli_err disable)"
e2e_assert_eq "disabled" false "$(e2e_json enabled <<<"$out")"
e2e_assert_eq "hash disabled" 0 "$(e2e_redis HGET vasgw:svc:SJB enabled)"
e2e_assert_eq "record kept" 手机报 "$(e2e_redis HGET vasgw:svc:SJB name)"
e2e_assert_eq "list: enabled only" CL "$(e2e_vasgw_ok --json service list | e2e_json 0.code)"
e2e_assert_eq "list: one entry" "" "$(e2e_vasgw_ok --json service list | e2e_json 1.code)"
e2e_assert_eq "list --all" false "$(e2e_vasgw_ok --json service list --all | e2e_json 1.enabled)"
e2e_assert_match "list --all: SJB shown as disabled" $'(^|\n)SJB [^\n]* no(\n|$)' "$(e2e_vasgw_ok service list --all)"
out=$(e2e_cli enable --json service set SJB --enable) || e2e_fail "enable: $(e2e_cli_err enable)"
e2e_assert_eq "enabled again" true "$(e2e_json enabled <<<"$out")"
e2e_cli disable2 service disable SJB >/dev/null || e2e_fail "disable: $(e2e_cli_err disable2)"

# --- import: a good file ------------------------------------------------------------
# BOM, CRLF, columns in another order, a quoted field with a comma and a
# doubled quote, an update of CL (created kept) and of the disabled SJB
# (stays disabled), a ",,,," row as spreadsheets write.
{ printf '\xef\xbb\xbf'; printf '%s\r\n' \
	'name,code,price,provision_code,commission_fen,knowledge' \
	'彩铃,CL,5元/月,ISMP-CL-01,250,"个性化回铃音, 朋友来电听到您选的歌"' \
	'"天气""预报""",TQ,2元/月,ISMP-TQ,80,每天早上七点发送当地天气' \
	'手机报,sjb,3元/月,ISMP-SJB,120,' \
	',,,,,' \
	'流量包,LL10,10元/月,ISMP-LL10,500,"每月1GB,当月有效"'; } >"$E2E_DIR/good.csv"
out=$(e2e_cli import_good --json service import "$E2E_DIR/good.csv") || e2e_fail "import: $(e2e_cli_err import_good)"
e2e_assert_eq "import added" 2 "$(e2e_json added <<<"$out")"
e2e_assert_eq "import updated" 2 "$(e2e_json updated <<<"$out")"
e2e_assert_eq "knowledge with a comma" "个性化回铃音, 朋友来电听到您选的歌" "$(e2e_redis HGET vasgw:svc:CL knowledge)"
e2e_assert_eq "doubled quote" '天气"预报"' "$(e2e_redis HGET vasgw:svc:TQ name)"
e2e_assert_eq "last field, no CR" "每月1GB,当月有效" "$(e2e_redis HGET vasgw:svc:LL10 knowledge)"
e2e_assert_eq "CL price updated" 5元/月 "$(e2e_redis HGET vasgw:svc:CL price)"
e2e_assert_eq "CL created kept" "$created" "$(e2e_redis HGET vasgw:svc:CL created)"
e2e_assert_eq "CL usage kept (no column)" 开通后自动生效 "$(e2e_redis HGET vasgw:svc:CL usage)"
e2e_assert_eq "SJB stays disabled" 0 "$(e2e_redis HGET vasgw:svc:SJB enabled)"
e2e_assert_eq "SJB commission updated" 120 "$(e2e_redis HGET vasgw:svc:SJB commission_fen)"
e2e_assert_eq "TQ enabled" 1 "$(e2e_redis HGET vasgw:svc:TQ enabled)"
e2e_assert_eq "TQ usage empty" "" "$(e2e_redis HGET vasgw:svc:TQ usage)"
e2e_assert_eq "index size" 4 "$(e2e_redis SCARD vasgw:svc:index)"
e2e_assert_match "import: text summary" 'good\.csv: 4 services imported \(0 added, 4 updated\)' \
	"$(e2e_vasgw_ok service import "$E2E_DIR/good.csv")"

# --- import: bad rows on lines 3 and 5 -------------------------------------------------
before=$(e2e_cli before --json service list --all) || e2e_fail "list: $(e2e_cli_err before)"
printf '%s\n' \
	'code,name,price,provision_code,commission_fen' \
	'CL,彩铃新,9元/月,ISMP-CL-02,999' \
	'TD,退订,1元,ISMP-TD,1' \
	'NEW1,新业务,1元/次,ISMP-NEW1,10' \
	'NEW2,新业务二,1元/次,ISMP-NEW2,1.5' >"$E2E_DIR/bad.csv"
e2e_expect_status import_bad 1 service import "$E2E_DIR/bad.csv"
e2e_assert_match "line 3 reported" 'bad\.csv:3: code TD is a command keyword' "$(e2e_cli_err import_bad)"
e2e_assert_match "line 5 reported" 'bad\.csv:5: commission_fen .1\.5. is not a whole number' "$(e2e_cli_err import_bad)"
e2e_assert_eq "only lines 3 and 5" 2 "$(grep -c 'bad\.csv:[0-9]*:' "$E2E_DIR/import_bad.stderr")"
e2e_assert_match "summary" 'bad\.csv: 2 bad rows; nothing imported' "$(e2e_cli_err import_bad)"
after=$(e2e_cli after --json service list --all) || e2e_fail "list: $(e2e_cli_err after)"
e2e_assert_eq "catalogue unchanged" "$before" "$after"
e2e_assert_eq "NEW1 not written" 0 "$(e2e_redis EXISTS vasgw:svc:NEW1)"

printf 'code,name,price,provision_code,commission_fen,colour\n' >"$E2E_DIR/header.csv"
e2e_expect_status import_header 1 service import "$E2E_DIR/header.csv"
e2e_assert_match "unknown column" "header\.csv:1: unknown column 'colour'" "$(e2e_cli_err import_header)"
printf 'code,name,price,commission_fen\n' >"$E2E_DIR/header2.csv"
e2e_expect_status import_header2 1 service import "$E2E_DIR/header2.csv"
e2e_assert_match "missing column" "header2\.csv:1: missing column 'provision_code'" "$(e2e_cli_err import_header2)"

# --- the recommendation length warning ---------------------------------------------------
# The shipped templates keep every valid entry within two parts; a locale
# whose recommendation is long makes the check speak (and the command succeed).
cp -r "$top_srcdir/templates" "$E2E_DIR/templates"
chmod -R u+w "$E2E_DIR/templates"
printf '【{{service_name}}】{{price}}。%s回复{{code}}开通，{{optout}}\n' \
	"$(printf '推荐短信的正文很长%.0s' $(seq 1 16))" >"$E2E_DIR/templates/zh_CN/recommend.txt"
e2e_write_conf "gateway.templates=$E2E_DIR/templates"
e2e_cli set_long service set CL --name 彩铃 >/dev/null || e2e_fail "set with a long template: $(e2e_cli_err set_long)"
e2e_assert_match "length warning" \
	'warning: CL: the recommendation SMS takes 3 parts \(at most 2 expected\); shorten the name or price' \
	"$(e2e_cli_err set_long)"

# --- an SMS that would not be sent is refused where the service is made ---------------
# Knowledge, usage and cancel texts of 300 characters each make a knowledge
# SMS of 14 parts: more than [gateway] max_parts (10).  An offer of it
# would be made and its SMS never sent: add, set and import refuse it.
e2e_write_conf
t300=$(printf '彩铃%.0s' $(seq 1 150))
e2e_expect_status add_long 1 service add LONG --name 长文 --price 5元/月 --provision-code P_L \
	--commission-fen 100 --knowledge "$t300" --usage "$t300" --cancel "$t300"
e2e_assert_match "add: why, and what to shorten" \
	"service add: LONG: the knowledge SMS: text too long: 1[0-9] parts, at most 10 \(\[gateway\] max_parts\); shorten its knowledge, usage or cancel text" \
	"$(e2e_cli_err add_long)"
e2e_assert_eq "add: nothing written" "0" "$(e2e_redis EXISTS vasgw:svc:LONG)"
# The longest texts that still fit go in; one more step past the limit is refused.
e2e_expect_status add_fits 0 service add LONG --name 长文 --price 5元/月 --provision-code P_L \
	--commission-fen 100 --knowledge "$t300" --usage "$t300"
e2e_expect_status set_long2 1 service set LONG --cancel "$t300"
e2e_assert_match "set: refused" "service set: LONG: the knowledge SMS: text too long" "$(e2e_cli_err set_long2)"
e2e_assert_eq "set: the record unchanged" "" "$(e2e_redis HGET vasgw:svc:LONG cancel)"
printf 'code,name,price,provision_code,commission_fen,knowledge,usage,cancel
LONG2,长文,5元/月,P_L,100,%s,%s,%s
' \
	"$t300" "$t300" "$t300" >"$E2E_DIR/long.csv"
e2e_expect_status import_long 1 service import "$E2E_DIR/long.csv"
e2e_assert_match "import: refused" "service import: LONG2: the knowledge SMS: text too long" "$(e2e_cli_err import_long)"
e2e_assert_eq "import: nothing written" "0" "$(e2e_redis EXISTS vasgw:svc:LONG2)"
e2e_pass
