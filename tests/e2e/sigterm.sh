#!/bin/bash
# SIGTERM with submits in flight: vasgwd stops reading, waits (bounded) for
# the window, unbinds and exits 0.  Every submit_sm_resp the SMSC wrote is
# recorded in Redis; what was not answered stays pending in the stream and
# goes out after a restart, and nothing answered is sent again.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init sigterm
e2e_start_redis
# Responses 2.5 s late; the drain is bounded by response_timeout + 1 s = 4 s.
e2e_start_sim --resp-delay-ms 2500
e2e_write_conf smsc.window=5 smsc.response_timeout=3
e2e_start_vasgwd
e2e_wait_bound

N=15
for ((i = 0; i < N; i++)); do
	printf '%s,sigterm test %d\n' $((13600000000 + i)) "$i"
done >"$E2E_DIR/batch.csv"
e2e_vasgw send --file "$E2E_DIR/batch.csv" >"$E2E_DIR/ids" 2>"$E2E_DIR/send.err" ||
	e2e_fail "send --file refused: $(cat "$E2E_DIR/send.err")"
# message id <-> destination (the CLI prints ids in file order)
for ((i = 0; i < N; i++)); do echo "86$((13600000000 + i))"; done | paste -d' ' - "$E2E_DIR/ids" >"$E2E_DIR/map"
id_of() { awk -v d="$1" '$1 == d { print $2 }' "$E2E_DIR/map"; }

e2e_wait_events submit 5 10
e2e_assert_eq "submits before SIGTERM (window)" "5" "$(e2e_count_events submit)"
e2e_assert_eq "answered before SIGTERM" "0" "$(e2e_count_events submit_resp)"
e2e_stop_vasgwd TERM 20
e2e_assert_eq "vasgwd exit status" "0" "$VASGWD_STATUS"
e2e_assert_eq "unbinds the SMSC saw" "1" "$(e2e_count_events unbind)"
e2e_assert_eq "connections closed" "1" "$(e2e_count_events close)"
# A clean stop frees the node name at once (P:running:<node>, else held 5 s).
e2e_assert_eq "node e2e released" "0" "$(e2e_redis EXISTS vasgw:running:e2e)"
cp "$E2E_DIR/sim-events.jsonl" "$E2E_DIR/before-restart.jsonl"

# What the SMSC answered (submit_resp actually written) before the exit.
answered() {   # EVENTS_FILE -> "dest message_id" of each accepted answer
	node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map(JSON.parse);
const sub = new Map(lines.filter((e) => e.ev === "submit").map((e) => [e.sid + ":" + e.seq, e]));
for (const e of lines) {
	if (e.ev !== "submit_resp" || e.status !== 0) continue;
	const s = sub.get(e.sid + ":" + e.seq);
	console.log((s ? s.dest : "?") + " " + e.message_id);
}' "$1"
}
answered "$E2E_DIR/before-restart.jsonl" >"$E2E_DIR/answered"
na=$(wc -l <"$E2E_DIR/answered")
# The drain lets the window finish and sends nothing new: a part submitted
# now would be cut off by the unbind and sent twice.
e2e_assert_eq "answered during the drain" "5" "$na"
e2e_assert_eq "submits up to the exit" "5" "$(e2e_count_events submit)"
e2e_assert_eq "unanswered at the close" "[]" "$(e2e_events close | e2e_json unanswered)"
while read -r dest msgid; do
	id=$(id_of "$dest")
	[ -n "$id" ] || e2e_fail "answer for an unknown destination $dest"
	e2e_assert_eq "state of $id (answered)" "accepted" "$(e2e_redis HGET "vasgw:msg:$id" state)"
	e2e_assert_eq "SMSC id of $id" "$msgid" "$(e2e_redis HGET "vasgw:msg:$id" p1.smscid)"
done <"$E2E_DIR/answered"
# The rest is not lost: still in the stream, not acknowledged.
e2e_assert_eq "entries left in the stream" "$((N - na))" "$(e2e_redis XLEN vasgw:mt)"
e2e_assert_eq "accepted in stats" "$na" "$(e2e_redis HGET vasgw:stats accepted)"

# Restart with a prompt SMSC: the rest goes out, nothing answered twice.
e2e_sim POST /config '{"resp_delay_ms":0}' >/dev/null || e2e_fail "POST /config failed"
e2e_start_vasgwd
all_accepted() {
	local n
	n=$(sed 's/^/HGET vasgw:msg:/; s/$/ state/' "$E2E_DIR/ids" | e2e_redis | grep -c '^accepted$')
	[ "$n" -eq "$N" ]
}
e2e_wait_for "all $N messages accepted after the restart" 15 all_accepted
e2e_assert_eq "stream drained" "0" "$(e2e_redis XLEN vasgw:mt)"
all=$(answered "$E2E_DIR/sim-events.jsonl" | cut -d' ' -f1)
e2e_assert_eq "destinations accepted" "$N" "$(sort -u <<<"$all" | wc -l)"
e2e_assert_eq "destinations accepted twice" "" "$(sort <<<"$all" | uniq -d)"
while read -r dest _; do
	e2e_assert_eq "submits to $dest (answered before the exit)" "1" \
		"$(e2e_events submit | grep -cF "\"dest\":\"$dest\"")"
done <"$E2E_DIR/answered"
e2e_assert_eq "stats accepted" "$N" "$(e2e_redis HGET vasgw:stats accepted)"
e2e_assert_eq "stats failed" "" "$(e2e_redis HGET vasgw:stats failed)"
e2e_pass
