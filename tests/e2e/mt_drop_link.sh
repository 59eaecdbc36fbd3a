#!/bin/bash
# The SMSC drops the link with a full window (50 submits) unanswered: after
# the reconnect every message is resubmitted as needed and ends delivered,
# nothing stays pending in the stream, and only the 50 unanswered parts may
# have gone out twice.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init mt_drop_link
e2e_start_redis
# Hold every submit_sm_resp: the 50th submit finds 49 held ones and the link
# is destroyed with all 50 unanswered.
e2e_start_sim --receipts on --hold-responses on --drop-after 50
# A response timeout long enough that the submits held on the new session
# (until the test releases them) never time out, even on a loaded machine.
e2e_write_conf smsc.window=50 smsc.response_timeout=10
e2e_start_vasgwd
e2e_wait_bound

N=200
for ((i = 0; i < N; i++)); do
	printf '%s,drop test %d\n' $((13900000000 + i)) "$i"
done >"$E2E_DIR/batch.csv"
e2e_vasgw send --file "$E2E_DIR/batch.csv" >"$E2E_DIR/ids" 2>"$E2E_DIR/send.err" ||
	e2e_fail "send --file refused: $(cat "$E2E_DIR/send.err")"
e2e_assert_eq "ids printed" "$N" "$(wc -l <"$E2E_DIR/ids")"

e2e_wait_events drop 1 15
drop=$(e2e_events drop)
e2e_assert_eq "drop reason" "drop-after" "$(e2e_json reason <<<"$drop")"
unanswered=$(e2e_json unanswered <<<"$drop" | tr -cd ',' | wc -c)
e2e_assert_eq "submits unanswered at the drop" "50" "$((unanswered + 1))"
sid=$(e2e_json sid <<<"$drop")
e2e_assert_eq "submits on the dropped session" "50" "$(e2e_events submit | grep -cF "\"sid\":$sid,")"
# From now on the SMSC answers at once.
e2e_sim POST /config '{"hold_responses":false}' >/dev/null || e2e_fail "POST /config failed"

all_delivered() {
	local n
	n=$(sed 's/^/HGET vasgw:msg:/; s/$/ state/' "$E2E_DIR/ids" | e2e_redis | grep -c '^delivered$')
	[ "$n" -eq "$N" ]
}
e2e_wait_for "all $N messages delivered" 20 all_delivered

e2e_assert_eq "binds (first + reconnect)" "2" "$(e2e_sim_stat binds)"
e2e_assert_eq "stream entries pending" "0" "$(e2e_redis XPENDING vasgw:mt vasgw | head -n1)"
e2e_assert_eq "stream length" "0" "$(e2e_redis XLEN vasgw:mt)"

dests=$(e2e_event_values submit dest)
e2e_assert_eq "distinct destinations at the SMSC" "$N" "$(sort -u <<<"$dests" | wc -l)"
total=$(wc -l <<<"$dests")
[ "$total" -le $((N + 50)) ] || e2e_fail "too many submits: $total > $((N + 50))"
# Only the 50 dropped ones may have been resubmitted: every destination was
# accepted (submit_sm_resp OK actually written) exactly once.
accepted=$(node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map(JSON.parse);
const ok = new Set(lines.filter((e) => e.ev === "submit_resp" && e.status === 0).map((e) => e.sid + ":" + e.seq));
for (const e of lines) if (e.ev === "submit" && ok.has(e.sid + ":" + e.seq)) console.log(e.dest);
' "$E2E_DIR/sim-events.jsonl")
e2e_assert_eq "accepted submits" "$N" "$(wc -l <<<"$accepted")"
e2e_assert_eq "destinations accepted twice" "" "$(sort <<<"$accepted" | uniq -d)"
# The resubmitted ones are exactly those the drop left unanswered.
first50=$(e2e_events submit | grep -F "\"sid\":$sid," | e2e_json dest | sort)
twice=$(sort <<<"$dests" | uniq -d)
e2e_assert_eq "resubmitted = unanswered at the drop" "$first50" "$twice"

stats=$(e2e_vasgw_ok --json stats)
e2e_assert_eq "stats delivered" "$N" "$(e2e_json counters.delivered <<<"$stats")"
e2e_assert_eq "stats accepted" "$N" "$(e2e_json counters.accepted <<<"$stats")"
e2e_assert_eq "stats failed" "0" "$(e2e_json counters.failed <<<"$stats")"
e2e_assert_eq "stats dlr_unmatched" "0" "$(e2e_json counters.dlr_unmatched <<<"$stats")"
e2e_vasgwd_alive || e2e_fail "vasgwd died"
e2e_pass
