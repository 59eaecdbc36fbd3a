#!/bin/bash
# ESME_RTHROTTLED and ESME_RMSGQFUL are temporary: the gateway pauses and
# retries the same part, so every message is accepted exactly once, ends
# delivered, and none fails.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init mt_throttle
e2e_start_redis
# The first 5 submits are throttled, then every 10th gets queue-full: for
# 30 messages of one part, 5 throttled, then 33 submits of which the 10th,
# 20th and 30th are refused, 38 in all, whatever the timing (the simulator
# counts submits, not time).
e2e_start_sim --receipts on --throttle 5 --qfull-every 10
e2e_write_conf smsc.window=10
e2e_start_vasgwd
e2e_wait_bound

N=30
for ((i = 0; i < N; i++)); do
	printf '%s,throttle test %d\n' $((13700000000 + i)) "$i"
done >"$E2E_DIR/batch.csv"
e2e_vasgw send --file "$E2E_DIR/batch.csv" >"$E2E_DIR/ids" 2>"$E2E_DIR/send.err" ||
	e2e_fail "send --file refused: $(cat "$E2E_DIR/send.err")"

all_delivered() {
	local n
	n=$(sed 's/^/HGET vasgw:msg:/; s/$/ state/' "$E2E_DIR/ids" | e2e_redis | grep -c '^delivered$')
	[ "$n" -eq "$N" ]
}
e2e_wait_for "all $N messages delivered" 20 all_delivered

statuses=$(e2e_event_values submit status)
throttled=$(grep -c '^88$' <<<"$statuses")     # 0x58
qfull=$(grep -c '^20$' <<<"$statuses")         # 0x14
ok=$(grep -c '^0$' <<<"$statuses")
e2e_assert_eq "ESME_RTHROTTLED answers" "5" "$throttled"
e2e_assert_eq "ESME_RMSGQFUL answers" "3" "$qfull"
e2e_assert_eq "submits accepted" "$N" "$ok"
e2e_assert_eq "submits in all" "38" "$(wc -l <<<"$statuses")"
# Each destination accepted exactly once: a refused part was retried, an
# accepted one never resent.
accepted=$(e2e_events submit | grep -F '"status":0,' | e2e_json dest)
e2e_assert_eq "distinct destinations accepted" "$N" "$(sort -u <<<"$accepted" | wc -l)"

stats=$(e2e_vasgw_ok --json stats)
e2e_assert_eq "stats queued" "$N" "$(e2e_json counters.queued <<<"$stats")"
e2e_assert_eq "stats accepted" "$N" "$(e2e_json counters.accepted <<<"$stats")"
e2e_assert_eq "stats delivered" "$N" "$(e2e_json counters.delivered <<<"$stats")"
e2e_assert_eq "stats failed" "0" "$(e2e_json counters.failed <<<"$stats")"
e2e_assert_eq "queue pending" "0" "$(e2e_json queue.pending <<<"$stats")"
e2e_assert_eq "queue waiting" "0" "$(e2e_json queue.waiting <<<"$stats")"
# The node reports the throttled answers it retried (status published every second).
node_throttled_is() { [ "$(e2e_vasgw_ok --json stats | e2e_json nodes.0.throttled)" = "$1" ]; }
e2e_wait_for "node status: 8 throttled" 5 node_throttled_is 8
# No message carries an error.
errors=$(sed 's/^/HGET vasgw:msg:/; s/$/ error/' "$E2E_DIR/ids" | e2e_redis | grep -cv '^$' || true)
e2e_assert_eq "messages with an error" "0" "$errors"
e2e_pass
