#!/bin/bash
# The bulk lane (P:mt:bulk) runs at the bind's TPS without keeping replies
# waiting: a normal message queued while 200 bulk ones drain reaches the
# SMSC long before the backlog is done; every message of both lanes ends
# delivered, sent once; the bulk messages' tally counts each transition
# once.  Then the SMSC throttles: the bulk lane pauses longer than the
# normal one, and normal messages are accepted while it is paused.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init mt_bulk_lane
e2e_start_redis
e2e_start_sim --receipts on
e2e_write_conf smsc.tps=20 smsc.window=10
e2e_start_vasgwd
e2e_wait_bound

# bulk TAG N TALLY — queue N bulk messages "bulk TAG i" with the tally, in
# one mt_enqueue call (what a campaign runner does through mt_put).
bulk() {
	local tag=$1 n=$2 tally=$3 i args=()
	for ((i = 0; i < n; i++)); do
		args+=("bk-$tag-$i" "$((8613900000000 + i))" "bulk $tag $i" '' -1 '' cli '' 0 bulk "$tally")
	done
	e2e_redis FCALL vasgw_4_mt_enqueue 0 vasgw "$(date +%s%3N)" 604800 "${args[@]}"
}
# The submit_sm texts in the order the simulator took them ("text status").
submits() {
	e2e_events submit | node -e '
for (const l of require("fs").readFileSync(0, "utf8").split("\n"))
	if (l) { const e = JSON.parse(l); console.log(e.text + "\t" + e.status); }'
}
# line_of REGEX — the first (last_line_of: last) line of submits matching it.
line_of() { submits | grep -nE "$1" | head -n1 | cut -d: -f1; }
last_line_of() { submits | grep -nE "$1" | tail -n1 | cut -d: -f1; }
# all_delivered PATTERN N — N records P:msg:PATTERN are delivered.
all_delivered() {
	[ "$(e2e_redis EVAL "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
		if redis.call('HGET', k, 'state') == 'delivered' then n = n + 1 end end return n" 0 "vasgw:msg:$1")" -eq "$2" ]
}
sent_once() {   # each text accepted exactly once
	local dup
	dup=$(submits | awk -F'\t' '$2 == 0 { print $1 }' | sort | uniq -d | head -n3)
	[ -z "$dup" ] || e2e_fail "sent twice: $dup"
}
tally_is() {   # KEY WANT — the tally hash, sorted "field=value" words
	local got
	got=$(e2e_redis HGETALL "vasgw:$1" | paste - - | sort | tr '\t' = | tr '\n' ' ')
	e2e_assert_eq "tally $1" "$2" "${got% }"
}

# --- case 1: replies go ahead of a bulk backlog -------------------------------

e2e_assert_eq "200 bulk queued" 200 "$(bulk a 200 camp:a:n)"
e2e_assert_eq "nothing in the normal lane" 0 "$(e2e_redis XLEN vasgw:mt)"
e2e_wait_events submit 20 10
for i in 1 2 3 4 5; do
	e2e_vasgw send "861380013800$i" "normal a $i" >/dev/null || e2e_fail "send $i refused"
done
e2e_wait_for "205 messages delivered" 40 all_delivered '*' 205
e2e_wait_drained 10
last_bulk=$(last_line_of '^bulk a ')
for i in 1 2 3 4 5; do
	at=$(line_of "^normal a $i	0")
	[ -n "$at" ] || e2e_fail "normal message $i never accepted by the SMSC"
	# At 20 TPS the 200 took 10 s; each reply went within a few submits of
	# its sending, not behind the 150 or more bulk ones still waiting.
	[ $((last_bulk - at)) -ge 100 ] ||
		e2e_fail "normal message $i was submit $at, the last bulk one $last_bulk: it waited behind the backlog"
done
e2e_assert_eq "submits" 205 "$(e2e_count_events submit)"
sent_once
tally_is camp:a:n "accepted=200 delivered=200 queued=200 submitted=200"
e2e_assert_eq "P:mt empty" 0 "$(e2e_redis XLEN vasgw:mt)"
e2e_assert_eq "P:mt:bulk empty" 0 "$(e2e_redis XLEN vasgw:mt:bulk)"
e2e_expect_status stats 0 --json stats
e2e_assert_match "stats shows the bulk queue" '"bulk_queue":\{"waiting":0,"pending":0\}' "$(cat "$E2E_DIR/stats.stdout")"

# --- case 2: the SMSC throttles: the bulk lane backs off longer --------------

before=$(e2e_count_events submit)
e2e_assert_eq "100 bulk queued" 100 "$(bulk b 100 camp:b:n)"
bulk_seen() { [ "$(submits | grep -c '^bulk b ')" -ge 10 ]; }
e2e_wait_for "10 bulk b submits" 10 bulk_seen
e2e_sim POST /config '{"throttle":1}' >/dev/null || e2e_fail "POST /config failed"
for i in 1 2 3; do
	e2e_vasgw send "861380013801$i" "normal b $i" >/dev/null || e2e_fail "send b $i refused"
done
e2e_wait_for "the 100 bulk messages of case 2 delivered" 40 all_delivered 'bk-b-*' 100
e2e_wait_for "all 308 messages delivered" 20 all_delivered '*' 308
e2e_wait_drained 10
# The throttled submit, then the three replies accepted, and only then the
# bulk lane again: it waited out 2 s, the normal lane 1 s.
thr=$(line_of '	88$')
[ -n "$thr" ] || e2e_fail "no submit was throttled"
next_bulk=$(submits | awk -F'\t' -v t="$thr" 'NR > t && $1 ~ /^bulk b / { print NR; exit }')
for i in 1 2 3; do
	at=$(line_of "^normal b $i	0")
	[ -n "$at" ] || e2e_fail "normal message b $i never accepted"
	[ "$at" -gt "$thr" ] && [ "$at" -lt "$next_bulk" ] ||
		e2e_fail "normal b $i was submit $at: not between the throttle ($thr) and the bulk lane's next submit ($next_bulk)"
done
grep -q 'pausing 1000 ms, the bulk lane 2000 ms' "$E2E_DIR/vasgwd.log" ||
	e2e_fail "vasgwd did not pause the bulk lane 2 s and the normal one 1 s"
e2e_assert_eq "submits of case 2" 104 "$(($(e2e_count_events submit) - before))"
sent_once
tally_is camp:b:n "accepted=100 delivered=100 queued=100 submitted=100"
e2e_pass
