#!/bin/bash
# deploy/demo.sh — the scenario deploy/quickstart.sh demo plays: a private
# Redis, the SMSC simulator and vasgwd, then a subscriber receives a long
# Chinese SMS, its receipt arrives, and the subscriber's own SMS is answered.
# Everything it starts is stopped when it ends.
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export top_srcdir=$top top_builddir=${top_builddir:-$top/build}
# shellcheck source=../tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"

e2e_init demo
e2e_start_redis
e2e_start_sim --receipts on --receipt-delay-ms 300
e2e_write_conf gateway.log_level=info gateway.node=demo
e2e_start_vasgwd
e2e_wait_bound 1 20

sub=13800138000
line() { printf '  %-28s %s\n' "$1" "$2"; }
echo
echo "vasgw demo — SMSC simulator on 127.0.0.1:$SIM_PORT, Redis on 127.0.0.1:$REDIS_PORT"
echo

text='【手机报】尊敬的客户您好！本周天气：晴转多云，气温12至20度。订阅手机报每月3元，每天早晚两期新闻送到您手机。回复Y确认订阅，回复TD退订。'
id=$(e2e_vasgw send "$sub" "$text")
line "operator: vasgw send" "$sub (message $id)"
e2e_wait_for "the SMS at the SMSC" 15 e2e_has_events submit 2
echo
echo "  SMSC received (UCS-2, concatenated):"
e2e_events submit | while IFS= read -r ev; do
	printf '    part %s/%s  dcs %s  %s\n' \
		"$(printf '%s' "$ev" | e2e_json concat.seq)" "$(printf '%s' "$ev" | e2e_json concat.total)" \
		"$(printf '%s' "$ev" | e2e_json dcs)" "$(printf '%s' "$ev" | e2e_json text)"
done
is_state() { [ "$(e2e_redis HGET "vasgw:msg:$1" state)" = "$2" ]; }
e2e_wait_for "the receipt" 15 is_state "$id" delivered
echo
line "receipts arrived:" "message $id is $(e2e_redis HGET "vasgw:msg:$id" state)"
e2e_vasgw msg show "$id" | sed 's/^/    /' | grep -v '^    *text'
echo
line "subscriber $sub texts:" "帮助"
e2e_sim POST /mo "{\"from\":\"86$sub\",\"to\":\"10658000\",\"text\":\"帮助\"}" >/dev/null
answered() { e2e_events submit | grep -q '"dest":"86'"$sub"'".*帮助'; }
e2e_wait_for "the answer" 15 answered
line "vasgw answers:" "$(e2e_events submit | tail -n 1 | e2e_json text)"
# The answer's own receipt, and the node's next status report (every second).
both_delivered() { [ "$(e2e_redis HGET vasgw:stats delivered)" = 2 ]; }
e2e_wait_for "the answer's receipt" 15 both_delivered
reported() { [ "$(e2e_redis HGET vasgw:node:demo mo_handled)" = 1 ]; }
e2e_wait_for "the node's status" 5 reported
echo
e2e_vasgw stats | sed 's/^/  /'
echo
echo "demo finished; stopping Redis, the simulator and vasgwd."
E2E_QUIET_PASS=1 e2e_pass
