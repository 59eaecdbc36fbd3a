#!/bin/bash
# Every time the CLI shows is local to [gateway] timezone with its offset
# ("2026-12-01 02:05:03 +08:00"), and RFC 3339 with the offset in --json
# beside the milliseconds: `msg show`, `order show`, `order list`,
# `promoter show`, `promoter list` (a day), `service show`, `audit-log` and
# `feed import` of a file imported before.  The moment used is 18:05:03
# UTC on 30 November, already 1 December in Shanghai: a command that
# printed UTC would show another day.  Other zones: a negative offset, a
# half hour.  No daemon is needed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init cli_times
e2e_start_redis
e2e_write_conf gateway.timezone=Asia/Shanghai

T=1796061903000 # 2026-11-30T18:05:03Z
LOCAL="2026-12-01 02:05:03 +08:00"
LRE="2026-12-01 02:05:03 \\+08:00" # as a regular expression
ISO="2026-12-01T02:05:03+08:00"
M=8613800138000 P=8613900139000

# A JSON field whose name holds a dot ("p1.resp_time").
field() { node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8"))[process.argv[1]] ?? "")' "$1"; }
# No line of the output may show the UTC day or a "Z" time.
no_utc() {
	! grep -nE '2026-11-30|T18:05|[0-9]Z\b' "$E2E_DIR/$1.stdout" ||
		e2e_fail "$1 shows UTC: $(cat "$E2E_DIR/$1.stdout")"
}

# 1. A message.
e2e_redis HSET vasgw:msg:m1 id m1 to $M text hi origin cli state delivered parts 1 \
	created $T submitted_at $T accepted_at $T done_at $T \
	p1.status 0 p1.smscid abc p1.resp_at $T p1.dlr delivered p1.dlr_at $T >/dev/null
e2e_expect_status msg 0 msg show m1
no_utc msg
for what in created submitted accepted done; do
	e2e_assert_match "msg show: $what" "^  $what +$LRE\$" "$(grep "^  $what " "$E2E_DIR/msg.stdout")"
done
e2e_expect_status msg_json 0 --json msg show m1
e2e_assert_eq "msg --json: created as stored" $T "$(e2e_json created <"$E2E_DIR/msg_json.stdout")"
e2e_assert_eq "msg --json: times are numbers, as in the other commands" "number number" \
	"$(node -e 'const o = JSON.parse(require("fs").readFileSync(0, "utf8"));
console.log(typeof o.created, typeof o["p1.dlr_at"])' <"$E2E_DIR/msg_json.stdout")"
e2e_assert_eq "msg --json: the coding" "gsm7 0" \
	"$(node -e 'const o = JSON.parse(require("fs").readFileSync(0, "utf8"));
console.log(o.encoding, o.data_coding)' <"$E2E_DIR/msg_json.stdout")"
e2e_assert_eq "msg show: the coding" "  encoding     GSM 7-bit (data_coding 0)" "$(grep '^  encoding ' "$E2E_DIR/msg.stdout")"
e2e_assert_eq "msg --json: created_time" $ISO "$(e2e_json created_time <"$E2E_DIR/msg_json.stdout")"
e2e_assert_eq "msg --json: done_time" $ISO "$(e2e_json done_time <"$E2E_DIR/msg_json.stdout")"
e2e_assert_eq "msg --json: p1.resp_time" $ISO "$(field p1.resp_time <"$E2E_DIR/msg_json.stdout")"
e2e_assert_eq "msg --json: p1.dlr_time" $ISO "$(field p1.dlr_time <"$E2E_DIR/msg_json.stdout")"

# 2. An order with one webhook call.
e2e_redis HSET vasgw:order:A1 id A1 action activate state done msisdn $M service CL \
	channel api requested_at $ISO created $T done_at $T attempts 1 >/dev/null
e2e_redis RPUSH vasgw:order:A1:attempts "1|$T|120|ok|HTTP 200|" >/dev/null
e2e_redis ZADD vasgw:orders:index $T A1 >/dev/null
e2e_expect_status order 0 order show A1
no_utc order
e2e_assert_match "order show: created" "^  created +$LRE\$" "$(grep '^  created ' "$E2E_DIR/order.stdout")"
e2e_assert_match "order show: done" "^  done +$LRE\$" "$(grep '^  done ' "$E2E_DIR/order.stdout")"
e2e_assert_match "order show: requested_at" "^  requested_at +$LRE\$" "$(grep '^  requested_at ' "$E2E_DIR/order.stdout")"
e2e_assert_match "order show: the call" "#1 +$LRE +120 ms +ok" "$(grep '#1' "$E2E_DIR/order.stdout")"
e2e_expect_status order_json 0 --json order show A1
e2e_assert_eq "order --json: created" $T "$(e2e_json created <"$E2E_DIR/order_json.stdout")"
e2e_assert_eq "order --json: created_time" $ISO "$(e2e_json created_time <"$E2E_DIR/order_json.stdout")"
e2e_assert_eq "order --json: done_time" $ISO "$(e2e_json done_time <"$E2E_DIR/order_json.stdout")"
e2e_assert_eq "order --json: the call's time" $ISO "$(e2e_json calls.0.time <"$E2E_DIR/order_json.stdout")"
e2e_expect_status list 0 order list
no_utc list
e2e_assert_match "order list: created" "A1 .* $LRE\$" "$(tail -n1 "$E2E_DIR/list.stdout")"
e2e_expect_status list_json 0 --json order list
e2e_expect_status list_nolimit 2 order list --limit
e2e_assert_eq "--limit without its value is told so" "vasgw: order list: option '--limit' needs a value (try 'vasgw --help')" \
	"$(e2e_cli_err list_nolimit)"
e2e_assert_eq "order list --json: created_time" $ISO "$(e2e_json 0.created_time <"$E2E_DIR/list_json.stdout")"

# 3. A promoter.
e2e_redis HSET vasgw:promoter:$P msisdn $P staff_no 10001 name 张三 outlet "" status approved \
	reason "" source import registered_at $T updated_at $T >/dev/null
e2e_redis ZADD vasgw:promoters $T $P >/dev/null
e2e_expect_status prom 0 promoter show $P
no_utc prom
e2e_assert_match "promoter show: registered" "^  registered +$LRE\$" "$(grep '^  registered ' "$E2E_DIR/prom.stdout")"
e2e_assert_match "promoter show: updated" "^  updated +$LRE\$" "$(grep '^  updated ' "$E2E_DIR/prom.stdout")"
e2e_expect_status prom_json 0 --json promoter show $P
e2e_assert_eq "promoter --json: registered_at" $T "$(e2e_json registered_at <"$E2E_DIR/prom_json.stdout")"
e2e_assert_eq "promoter --json: registered_time" $ISO "$(e2e_json registered_time <"$E2E_DIR/prom_json.stdout")"
e2e_assert_eq "promoter --json: updated_time" $ISO "$(e2e_json updated_time <"$E2E_DIR/prom_json.stdout")"
e2e_expect_status plist 0 promoter list
e2e_assert_match "promoter list: the local day" "2026-12-01\$" "$(tail -n1 "$E2E_DIR/plist.stdout")"

# 4. A service.
e2e_vasgw service add CL --name 彩铃 --price 5元/月 --provision-code P_CL --commission-fen 300 >/dev/null ||
	e2e_fail "service add CL"
e2e_redis HSET vasgw:svc:CL created $T updated $T >/dev/null
e2e_expect_status svc 0 service show CL
no_utc svc
e2e_assert_match "service show: created" "^  created +$LRE\$" "$(grep '^  created ' "$E2E_DIR/svc.stdout")"
e2e_expect_status svc_json 0 --json service show CL
e2e_assert_eq "service --json: created" $T "$(e2e_json created <"$E2E_DIR/svc_json.stdout")"
e2e_assert_eq "service --json: created_time" $ISO "$(e2e_json created_time <"$E2E_DIR/svc_json.stdout")"
e2e_assert_eq "service --json: updated_time" $ISO "$(e2e_json updated_time <"$E2E_DIR/svc_json.stdout")"

# 5. The audit log: an entry made at T (after service add's own).
e2e_redis DEL vasgw:audit >/dev/null
e2e_redis XADD vasgw:audit '*' at $T user alice host h action service.add detail x >/dev/null
e2e_expect_status log 0 audit-log
no_utc log
e2e_assert_eq "audit-log: the line" "$LOCAL  alice  service.add  x" "$(cat "$E2E_DIR/log.stdout")"
e2e_expect_status log_json 0 --json audit-log
e2e_assert_eq "audit-log --json: at" $T "$(e2e_json 0.at <"$E2E_DIR/log_json.stdout")"
e2e_assert_eq "audit-log --json: time" $ISO "$(e2e_json 0.time <"$E2E_DIR/log_json.stdout")"

# 6. A feed file imported at T, imported again.
printf 'msisdn,service,event,date\n13800138000,CL,charged,2026-11-01\n' >"$E2E_DIR/feed.csv"
e2e_vasgw feed import "$E2E_DIR/feed.csv" >/dev/null || e2e_fail "feed import"
sha=$(sha256sum "$E2E_DIR/feed.csv" | cut -d' ' -f1)
e2e_redis HSET "vasgw:feed:$sha" imported_at $T user alice >/dev/null
e2e_expect_status feed 0 feed import "$E2E_DIR/feed.csv"
no_utc feed
e2e_assert_match "feed: imported before, when" "already imported on $LRE by alice" "$(cat "$E2E_DIR/feed.stdout")"
e2e_expect_status feed_json 0 --json feed import "$E2E_DIR/feed.csv"
e2e_assert_eq "feed --json: imported_time" $ISO "$(e2e_json imported_time <"$E2E_DIR/feed_json.stdout")"

# 7. Other zones: the offset's sign, a half hour.
e2e_write_conf gateway.timezone=America/New_York
e2e_expect_status ny 0 msg show m1
e2e_assert_match "New York" "^  created +2026-11-30 13:05:03 -05:00\$" "$(grep '^  created ' "$E2E_DIR/ny.stdout")"
e2e_expect_status ny_json 0 --json msg show m1
e2e_assert_eq "New York --json" 2026-11-30T13:05:03-05:00 "$(e2e_json created_time <"$E2E_DIR/ny_json.stdout")"
e2e_write_conf gateway.timezone=Asia/Kolkata
e2e_expect_status in 0 order show A1
e2e_assert_match "Kolkata" "^  created +2026-11-30 23:35:03 \\+05:30\$" "$(grep '^  created ' "$E2E_DIR/in.stdout")"
e2e_pass
