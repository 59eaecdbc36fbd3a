#!/bin/bash
# A node that dies with messages read from the stream and unanswered: another
# node claims them after [gateway] claim_idle and delivers every one.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init node_failover
e2e_start_redis
e2e_start_sim --receipts on --hold-responses on
e2e_write_conf gateway.node=node-a gateway.claim_idle=2 smsc.window=50 smsc.response_timeout=30
e2e_start_vasgwd
e2e_wait_bound

for i in $(seq 10 29); do echo "86138001380$i,failover $i"; done >"$E2E_DIR/batch.csv"
e2e_vasgw send --file "$E2E_DIR/batch.csv" >"$E2E_DIR/ids" 2>/dev/null || e2e_fail "send --file refused"
e2e_wait_events submit 20 15
# node-a holds all 20, unanswered, when it dies.
e2e_assert_eq "pending on node-a" "20" "$(e2e_redis XPENDING vasgw:mt vasgw | head -n 1)"
e2e_kill_vasgwd
e2e_sim POST /config '{"hold_responses":false}' >/dev/null || e2e_fail "POST /config failed"

e2e_write_conf gateway.node=node-b gateway.claim_idle=2 smsc.window=50
e2e_start_vasgwd
delivered_all() {
	local id
	while read -r id; do
		[ "$(e2e_redis HGET "vasgw:msg:$id" state)" = delivered ] || return 1
	done <"$E2E_DIR/ids"
}
e2e_wait_for "every message delivered by node-b" 20 delivered_all
e2e_assert_eq "nothing pending" "0" "$(e2e_redis XPENDING vasgw:mt vasgw | head -n 1)"
# Each message submitted twice, once by each node, and answered once: on
# node-b's session (the simulator never wrote node-a's held answers), with
# the SMSC id each record holds.
e2e_assert_eq "submits" "40" "$(e2e_count_events submit)"
e2e_assert_eq "destinations submitted other than twice" "" \
	"$(e2e_events submit | e2e_json dest | sort | uniq -c | awk '$1 != 2')"
sid_b=$(e2e_events bind | grep -F '"accepted":true' | tail -n1 | e2e_json sid)
answered_b() {   # "dest message_id" of each answer written on node-b's session
	node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map(JSON.parse);
const sub = new Map(lines.filter((e) => e.ev === "submit").map((e) => [e.sid + ":" + e.seq, e]));
for (const e of lines) {
	if (e.ev !== "submit_resp") continue;
	if (String(e.sid) !== process.argv[2] || e.status !== 0) { console.log("other " + JSON.stringify(e)); continue; }
	console.log(sub.get(e.sid + ":" + e.seq).dest + " " + e.message_id);
}' "$E2E_DIR/sim-events.jsonl" "$sid_b" | sort
}
recorded() {
	local id
	while read -r id; do
		echo "$(e2e_redis HGET "vasgw:msg:$id" to) $(e2e_redis HGET "vasgw:msg:$id" p1.smscid)"
	done <"$E2E_DIR/ids" | sort
}
e2e_assert_eq "answers: node-b's, one per message, as recorded" "$(recorded)" "$(answered_b)"
stats=$(e2e_vasgw_ok --json stats)
e2e_assert_eq "stats accepted" "20" "$(e2e_json counters.accepted <<<"$stats")"
e2e_assert_eq "stats delivered" "20" "$(e2e_json counters.delivered <<<"$stats")"
e2e_pass
