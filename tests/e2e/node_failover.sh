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
e2e_sim POST /config '{"hold_responses":false}' >/dev/null

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
dests=$(e2e_events submit | e2e_json dest | sort -u | wc -l)
e2e_assert_eq "distinct destinations" "20" "$dests"
grep -q "claimed 20 idle entries" "$E2E_DIR/vasgwd.log" || e2e_fail "node-b did not log the claim"
e2e_pass
