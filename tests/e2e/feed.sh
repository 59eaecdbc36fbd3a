#!/bin/bash
# The billing and care feed and the operator audit log, from the CLI against
# a real Redis (no daemon needed): a good feed file (header, BOM, CRLF, a
# quoted field, a comment and a blank line, numbers in every form) is
# imported, its facts stored per number; importing it again changes nothing
# and says so (exit 0); a file with bad rows on lines 3 and 6 reports both
# and writes nothing; `audit-log` shows the service commands and the feed
# import with the OS user, filters with --since and --limit, and --json.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init feed
e2e_start_redis
e2e_write_conf
# The person the audit log should name (not a sudo caller of `make check`).
unset SUDO_USER
me=$(id -un)

out() { cat "$E2E_DIR/$1.stdout"; }
facts() { e2e_redis SMEMBERS "vasgw:facts:{$1}" | sort; }

# --- operator actions on the catalogue, for the audit log ----------------------
e2e_cli add service add CL --name 彩铃 --price 5元/月 --provision-code ISMP-CL-01 \
	--commission-fen 300 >/dev/null || e2e_fail "add CL: $(e2e_cli_err add)"
e2e_cli set service set CL --price 6元/月 --knowledge 朋友来电听到您选的歌 >/dev/null ||
	e2e_fail "set CL: $(e2e_cli_err set)"
SUDO_USER=e2e-sudoer e2e_cli add2 service add SJB --name 手机报 --price 3元/月 \
	--provision-code ISMP-SJB --commission-fen 105 >/dev/null || e2e_fail "add SJB: $(e2e_cli_err add2)"
e2e_cli disable service disable SJB >/dev/null || e2e_fail "disable: $(e2e_cli_err disable)"
e2e_cli disable_again service disable SJB >/dev/null || e2e_fail "disable: $(e2e_cli_err disable_again)"
printf 'code,name,price,provision_code,commission_fen\nTQ,天气预报,2元/月,ISMP-TQ,80\n' \
	>"$E2E_DIR/svc.csv"
e2e_cli svc_import service import "$E2E_DIR/svc.csv" >/dev/null || e2e_fail "service import: $(e2e_cli_err svc_import)"

# --- a good feed file ----------------------------------------------------------------
{ printf '\xef\xbb\xbf'; printf '%s\r\n' \
	'msisdn,service,event,date' \
	'13800138000,CL,charged,2025-11-01' \
	'"+86 138 0013 8000","cl","Cancelled","20251110"' \
	'# a comment: the care system export' \
	'' \
	'8613800138000,,voice,2025-11-03' \
	'13900139000,SJB,charged,2025-11-05' \
	'13900139000,,arrears,2025-11-06' \
	'008613900139000,SJB,complaint,2025-11-07'; } >"$E2E_DIR/good.csv"
sha=$(sha256sum "$E2E_DIR/good.csv" | cut -d' ' -f1)

e2e_expect_status import 0 feed import "$E2E_DIR/good.csv"
e2e_assert_eq "import summary" "$E2E_DIR/good.csv: 6 rows, 6 new facts (0 already known)" "$(out import)"
e2e_assert_eq "facts of 8613800138000" \
	"$(printf '%s\n' 'CL|cancelled|20251110' 'CL|charged|20251101' '|voice|20251103')" \
	"$(facts 8613800138000)"
e2e_assert_eq "facts of 8613900139000" \
	"$(printf '%s\n' 'SJB|charged|20251105' 'SJB|complaint|20251107' '|arrears|20251106')" \
	"$(facts 8613900139000)"
e2e_assert_eq "index" "$(printf '%s\n' 8613800138000 8613900139000)" \
	"$(e2e_redis SMEMBERS vasgw:facts:index | sort)"
e2e_assert_eq "record: rows" 6 "$(e2e_redis HGET "vasgw:feed:$sha" rows)"
e2e_assert_eq "record: new facts" 6 "$(e2e_redis HGET "vasgw:feed:$sha" new_facts)"
e2e_assert_eq "record: user" "$me" "$(e2e_redis HGET "vasgw:feed:$sha" user)"
e2e_assert_eq "record: file" "$(realpath "$E2E_DIR/good.csv")" "$(e2e_redis HGET "vasgw:feed:$sha" file)"
e2e_assert_match "record: imported_at" '^[0-9]{13}$' "$(e2e_redis HGET "vasgw:feed:$sha" imported_at)"
e2e_assert_eq "no TTL on facts" -1 "$(e2e_redis TTL 'vasgw:facts:{8613800138000}')"

# What the settlement's loader (vg_feed_load) gives back, by date.
e2e_expect_status show 0 feed show 13800138000
e2e_assert_eq "feed show" "$(printf '%s\n' '2025-11-01  CL        charged' \
	'2025-11-03  -         voice' '2025-11-10  CL        cancelled')" "$(out show)"
e2e_expect_status show_json 0 --json feed show +8613900139000
e2e_assert_eq "feed show --json: number" 8613900139000 "$(e2e_json msisdn <"$E2E_DIR/show_json.stdout")"
e2e_assert_eq "feed show --json: first" SJB,charged,2025-11-05 \
	"$(e2e_json facts.0 <"$E2E_DIR/show_json.stdout" | node -e \
		'const f = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([f.service, f.event, f.date].join())')"
e2e_assert_eq "feed show --json: arrears, no service" "" "$(e2e_json facts.1.service <"$E2E_DIR/show_json.stdout")"
e2e_assert_eq "feed show --json: arrears" arrears "$(e2e_json facts.1.event <"$E2E_DIR/show_json.stdout")"
e2e_expect_status show_none 0 feed show 13600136000
e2e_assert_eq "feed show: none" "(no facts about 8613600136000)" "$(out show_none)"
e2e_redis SADD 'vasgw:facts:{8613500135000}' 'CL|paid|20251101' >/dev/null
e2e_expect_status show_bad 1 feed show 13500135000
e2e_assert_match "feed show: malformed member" 'a stored fact is malformed' "$(e2e_cli_err show_bad)"
e2e_redis DEL 'vasgw:facts:{8613500135000}' >/dev/null

# --- the same file again: nothing changes ------------------------------------------------
before=$(e2e_redis --raw DBSIZE)
facts_before=$(facts 8613800138000; facts 8613900139000)
e2e_expect_status again 0 feed import "$E2E_DIR/good.csv"
e2e_assert_match "again: said so" \
	"^$E2E_DIR/good\\.csv: already imported on [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} \\+08:00 by $me; 0 new facts\$" \
	"$(out again)"
cp "$E2E_DIR/good.csv" "$E2E_DIR/copy.csv"
e2e_expect_status again_json 0 --json feed import "$E2E_DIR/copy.csv"
e2e_assert_eq "again --json: already imported" true "$(e2e_json already_imported <"$E2E_DIR/again_json.stdout")"
e2e_assert_eq "again --json: new facts" 0 "$(e2e_json new_facts <"$E2E_DIR/again_json.stdout")"
e2e_assert_eq "again --json: by" "$me" "$(e2e_json user <"$E2E_DIR/again_json.stdout")"
e2e_assert_eq "again: facts unchanged" "$facts_before" "$(facts 8613800138000; facts 8613900139000)"
e2e_assert_eq "again: no key added" "$before" "$(e2e_redis --raw DBSIZE)"

# Another file with a known fact, a new one and a repeated row.
printf '%s\n' '13800138000,CL,charged,2025-11-01' '13800138000,CL,charged,2025-12-01' \
	'13800138000,CL,charged,2025-12-01' >"$E2E_DIR/more.csv"
e2e_expect_status more 0 --json feed import "$E2E_DIR/more.csv"
e2e_assert_eq "more: rows" 3 "$(e2e_json rows <"$E2E_DIR/more.stdout")"
e2e_assert_eq "more: new facts" 1 "$(e2e_json new_facts <"$E2E_DIR/more.stdout")"
e2e_assert_eq "more: already known" 1 "$(e2e_json already_known <"$E2E_DIR/more.stdout")"
e2e_assert_eq "more: repeated" 1 "$(e2e_json repeated <"$E2E_DIR/more.stdout")"
e2e_assert_eq "more: stored" 4 "$(e2e_redis SCARD 'vasgw:facts:{8613800138000}')"

# --- bad rows on lines 3 and 6: both reported, nothing written -----------------------------
printf '%s\n' \
	'msisdn,service,event,date' \
	'13700137000,CL,charged,2025-11-01' \
	'13700137000,CL,paid,2025-11-01' \
	'13700137000,SJB,charged,2025-11-02' \
	'13700137000,,voice,2025-11-02' \
	'13700137000,SJB,charged,2026-02-30' >"$E2E_DIR/bad.csv"
before=$(e2e_redis --raw DBSIZE)
audit_before=$(e2e_redis XLEN vasgw:audit)
e2e_expect_status bad 1 feed import "$E2E_DIR/bad.csv"
e2e_assert_match "line 3 reported" "bad\\.csv:3: unknown event 'paid'" "$(e2e_cli_err bad)"
e2e_assert_match "line 6 reported" 'bad\.csv:6: date 2026-02-30 is not a real day' "$(e2e_cli_err bad)"
e2e_assert_eq "only lines 3 and 6" 2 "$(grep -c 'bad\.csv:[0-9]*:' "$E2E_DIR/bad.stderr")"
e2e_assert_match "summary" 'bad\.csv: 2 bad rows; nothing imported' "$(e2e_cli_err bad)"
e2e_assert_eq "bad: nothing written" "$before" "$(e2e_redis --raw DBSIZE)"
e2e_assert_eq "bad: no facts" 0 "$(e2e_redis EXISTS 'vasgw:facts:{8613700137000}')"
e2e_assert_eq "bad: not indexed" 0 "$(e2e_redis SISMEMBER vasgw:facts:index 8613700137000)"
e2e_assert_eq "bad: no audit entry" "$audit_before" "$(e2e_redis XLEN vasgw:audit)"
printf 'msisdn,event,service,date\n' >"$E2E_DIR/header.csv"
e2e_expect_status header 1 feed import "$E2E_DIR/header.csv"
e2e_assert_match "bad header" 'header\.csv:1: a header row must be msisdn,service,event,date' "$(e2e_cli_err header)"
e2e_expect_status usage 2 feed import
e2e_expect_status usage2 2 feed export x.csv

# --- the audit log ---------------------------------------------------------------------------
e2e_expect_status log 0 audit-log
log=$(out log)
ts='[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} \+08:00'
grep -qE "^$ts  $me  service\\.add  CL: 彩铃, 5元/月, commission 300 fen" <<<"$log" ||
	e2e_fail "audit-log: no service.add of CL in: $log"
grep -qE "^$ts  $me  service\\.set  CL: price=6元/月, knowledge=朋友来电听到您选的歌" <<<"$log" ||
	e2e_fail "audit-log: no service.set of CL in: $log"
grep -qE "^$ts  $me \\(sudo by e2e-sudoer\\)  service\\.add  SJB: " <<<"$log" ||
	e2e_fail "audit-log: no sudo user in: $log"
e2e_assert_eq "one disable (the second changed nothing)" 1 "$(grep -c '  service\.disable  SJB: 手机报$' <<<"$log")"
grep -qE "^$ts  $me  service\\.import  $(realpath "$E2E_DIR/svc.csv"): 1 service \\(1 added, 0 updated\\)\$" <<<"$log" ||
	e2e_fail "audit-log: no service.import in: $log"
grep -qE "^$ts  $me  feed\\.import  $(realpath "$E2E_DIR/good.csv"): 6 rows, 6 new facts, sha256 $sha\$" <<<"$log" ||
	e2e_fail "audit-log: no feed.import in: $log"
e2e_assert_eq "entries" 7 "$(wc -l <<<"$log")"
e2e_assert_match "newest last" '  feed\.import  .*more\.csv: 3 rows, 1 new fact, sha256 ' "$(tail -n1 <<<"$log")"

e2e_expect_status log_json 0 --json audit-log
node -e 'JSON.parse(require("fs").readFileSync(0, "utf8"))' <"$E2E_DIR/log_json.stdout" ||
	e2e_fail "audit-log --json is not JSON: $(out log_json)"
e2e_assert_eq "json: first action" service.add "$(e2e_json 0.action <"$E2E_DIR/log_json.stdout")"
e2e_assert_eq "json: first user" "$me" "$(e2e_json 0.user <"$E2E_DIR/log_json.stdout")"
e2e_assert_eq "json: host" "$(hostname)" "$(e2e_json 0.host <"$E2E_DIR/log_json.stdout")"
e2e_assert_match "json: at" '^[0-9]{13}$' "$(e2e_json 0.at <"$E2E_DIR/log_json.stdout")"
e2e_assert_eq "json: 7 entries" "" "$(e2e_json 7.action <"$E2E_DIR/log_json.stdout")"
e2e_assert_eq "json: last" feed.import "$(e2e_json 6.action <"$E2E_DIR/log_json.stdout")"

# --since in [gateway] timezone (Asia/Shanghai by default), --limit
tomorrow=$(TZ=Asia/Shanghai date -d tomorrow +%F)
today=$(TZ=Asia/Shanghai date +%F)
e2e_expect_status since_tomorrow 0 audit-log --since "$tomorrow"
e2e_assert_eq "--since tomorrow: nothing" "(no audit log entries since $tomorrow)" "$(out since_tomorrow)"
e2e_expect_status since_tomorrow_json 0 --json audit-log --since "$tomorrow"
e2e_assert_eq "--since tomorrow --json" "[]" "$(out since_tomorrow_json)"
e2e_expect_status since_today 0 audit-log --since "$today 00:00"
e2e_assert_eq "--since today" 7 "$(wc -l <"$E2E_DIR/since_today.stdout")"
e2e_expect_status limit 0 audit-log --since="$today" --limit 2
e2e_assert_eq "--limit 2" 2 "$(wc -l <"$E2E_DIR/limit.stdout")"
e2e_assert_match "--limit keeps the newest" 'more\.csv' "$(tail -n1 "$E2E_DIR/limit.stdout")"
e2e_expect_status since_bad 2 audit-log --since 2026-02-30
e2e_assert_match "bad --since" "--since '2026-02-30' is not a date" "$(e2e_cli_err since_bad)"
e2e_expect_status limit_bad 2 audit-log --limit 0
e2e_expect_status log_extra 2 audit-log now
e2e_assert_eq "the audit log never lapses" -1 "$(e2e_redis TTL vasgw:audit)"
e2e_pass
