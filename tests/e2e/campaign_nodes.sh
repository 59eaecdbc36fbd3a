#!/bin/bash
# Two vasgwd nodes (node-a, node-b: the same Redis and SMSC) share one
# running campaign of 3000 numbers at --tps 300: both submit its SMS; node-b
# is killed (SIGKILL) a third of the way; node-a finishes, claiming what
# node-b had read and not finished after [gateway] claim_idle.  Then every
# valid recipient got its SMS, once (but see below), the funnel adds up,
# and the rate of both nodes together never went over the campaign's in any
# second of the simulator's clock.
#
# Once: a node killed between a submit_sm and recording its answer leaves
# the entry pending; the node that claims it submits it again (at least
# once, as tests/e2e/node_failover.sh shows).  Only such a number may have
# two submits: its first on node-b's session, at most a second before the
# kill, its second on node-a's, after the claim; no more of them than
# node-b's window.  Every other number has exactly one.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init campaign_nodes
N=3000 TPS=300 WINDOW=20
e2e_start_redis
# An SMSC that answers in 30 ms, as real ones do: node-b has submits in
# flight when it is killed.
e2e_start_sim --resp-delay-ms 30
e2e_start_prov
e2e_write_conf gateway.node=node-a gateway.claim_idle=5 "smsc.window=$WINDOW"
e2e_start_vasgwd
e2e_wait_bound 1
cp "$E2E_CONF" "$E2E_DIR/node-b.conf"
sed -i 's/^node = node-a$/node = node-b/' "$E2E_DIR/node-b.conf"
grep -qx 'node = node-b' "$E2E_DIR/node-b.conf" || e2e_fail "node-b.conf names no node node-b"
echo "=== vasgwd-b start $(date '+%F %T')" >>"$E2E_DIR/vasgwd-b.log"
setsid "$top_builddir/vasgwd" -c "$E2E_DIR/node-b.conf" >>"$E2E_DIR/vasgwd-b.log" 2>&1 </dev/null &
node_b=$!
e2e__track "$node_b" vasgwd-b
e2e_wait_bound 2
e2e_services
sid_a=$(e2e_events bind | grep -F '"accepted":true' | sed -n 1p | e2e_json sid)
sid_b=$(e2e_events bind | grep -F '"accepted":true' | sed -n 2p | e2e_json sid)
[ -n "$sid_a" ] && [ -n "$sid_b" ] && [ "$sid_a" != "$sid_b" ] || e2e_fail "two sessions expected, got '$sid_a' '$sid_b'"

# 3000 numbers, then 10 malformed rows and 10 numbers again: 3000 valid.
list=$E2E_DIR/targets.csv
{
	for ((i = 0; i < N; i++)); do echo $((8613910000000 + i)); done
	for ((i = 0; i < 10; i++)); do echo "not-a-number-$i"; done
	for ((i = 0; i < 10; i++)); do echo $((8613910000000 + i * 7)); done
} >"$list"
unset SUDO_USER
camp=$(SUDO_USER=alice e2e_vasgw campaign create --name nodes --service SJB --template recommend \
	--targets "$list" --tps "$TPS" | head -n1)
[ -n "$camp" ] || e2e_fail "campaign create refused"
SUDO_USER=bob e2e_vasgw_ok campaign approve "$camp" >/dev/null
counter() { local v; v=$(e2e_redis HGET "vasgw:campaign:$camp:${2:-n}" "$1"); echo "${v:-0}"; }
e2e_assert_eq "to message" "$N" "$(counter queued)"
e2e_assert_eq "filtered malformed" 10 "$(counter filtered:malformed)"
e2e_assert_eq "filtered duplicate" 10 "$(counter filtered:duplicate)"
SUDO_USER=alice e2e_vasgw_ok campaign start "$camp" >/dev/null

on_session() {   # SID — submits on that session so far
	local n
	n=$(e2e_events submit | grep -c "\"sid\":$1,")
	echo $((n))
}
# The numbers whose campaign SMS was recorded unknown (not sent again).
unknown_numbers() {
	e2e_redis EVAL "local out = {}
		for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
			local f = redis.call('HMGET', k, 'error', 'to')
			if f[1] and string.sub(f[1], 1, 8) == 'unknown:' then out[#out + 1] = f[2] end
		end return table.concat(out, ' ')" 0 "vasgw:msg:of-$camp.*"
}
submits_at_least() { [ "$(e2e_count_events submit)" -ge "$1" ]; }
e2e_wait_for "1000 submits" 30 submits_at_least 1000
a_before=$(on_session "$sid_a") b_before=$(on_session "$sid_b")
e2e_log "before the kill: node-a $a_before submits, node-b $b_before"
[ "$a_before" -ge 100 ] && [ "$b_before" -ge 100 ] ||
	e2e_fail "both nodes should send: node-a $a_before, node-b $b_before submits of the first 1000"
kill_ms=$(date +%s%3N)
e2e__stop "$node_b" KILL 5 || true
e2e_log "node-b killed at $kill_ms, $(e2e_count_events submit) submits so far"

state_is() { [ "$(e2e_redis HGET "vasgw:campaign:$camp" state)" = "$1" ]; }
e2e_wait_for "the campaign completed" 60 state_is completed
# the claim comes claim_idle (5 s) after node-b's last read
e2e_wait_drained 30
a_after=$(($(on_session "$sid_a") - a_before))
e2e_log "after the kill: node-a $a_after submits more, node-b's session $(on_session "$sid_b") in all"

# --- everyone once ---------------------------------------------------------------

# Nobody twice: the bulk lane claims each part before its submit_sm
# (mt_claim), so node-a does not send again what node-b may have sent; a
# part node-b had on the wire when it died is recorded unknown instead
# (failed:unknown: at most node-b's window), and its number got at most
# the one SMS node-b sent.
report=$(node -e '
const fs = require("fs");
const [file, n, window, unknown] = process.argv.slice(1);
const subs = fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map(JSON.parse)
	.filter((e) => e.ev === "submit" && /^86139100\d{5}$/.test(e.dest));
const by = new Map();
for (const e of subs) { if (!by.has(e.dest)) by.set(e.dest, []); by.get(e.dest).push(e); }
const lost = new Set(unknown.split(" ").filter(Boolean));
const bad = [];
let none = 0;
for (let i = 0; i < Number(n); i++) {
	const d = String(8613910000000 + i), s = by.get(d) || [];
	if (s.length === 1) continue;
	if (s.length === 0 && lost.has(d)) { none++; continue; }
	bad.push(d + ": " + (s.map((e) => "sid " + e.sid + " at " + e.t).join(", ") || "none"));
}
if (lost.size > Number(window)) bad.push(lost.size + " unknown: more than node-b'"'"'s window");
console.log(bad.length ? "BAD " + bad.slice(0, 10).join("; ") : "OK " + subs.length + " " + lost.size + " " + none);
' "$E2E_DIR/sim-events.jsonl" "$N" "$WINDOW" "$(unknown_numbers)")
case $report in
OK*) read -r _ total lost none <<<"$report"
	e2e_log "each of the $N numbers messaged at most once: $total submits; $lost recorded unknown (on the wire on node-b), $none of them never reached the SMSC" ;;
*) e2e_fail "recipients: ${report#BAD }" ;;
esac
grep -q 'reader .*: claimed [0-9]* idle entries from other nodes' "$E2E_DIR/vasgwd.log" ||
	e2e_fail "node-a claimed nothing of node-b's"
e2e_log "node-a: $(grep -o 'reader .*: claimed [0-9]* idle entries from other nodes' "$E2E_DIR/vasgwd.log" | tr '\n' ';')"

# --- the funnel --------------------------------------------------------------------

e2e_assert_eq "sent = to message" "$N" "$(counter sent)"
e2e_assert_eq "nothing left" 0 "$(e2e_redis LLEN "vasgw:campaign:$camp:q")"
e2e_assert_eq "nothing filtered at send" "" "$(e2e_redis HKEYS "vasgw:campaign:$camp:n" | grep '^filtered_send:')"
unknown=$(counter failed:unknown mt)
e2e_assert_eq "tally: submitted + unknown" "$N" "$(($(counter submitted mt) + unknown))"
e2e_assert_eq "tally: accepted = submitted" "$(counter submitted mt)" "$(counter accepted mt)"
e2e_assert_eq "tally: failed are the unknown" "$unknown" "$(counter failed mt)"
e2e_assert_eq "fates: sent" "$N" "$(e2e_redis EVAL "local n = 0
	for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
		for _, v in ipairs(redis.call('HVALS', k)) do if v == 's' then n = n + 1 end end
	end return n" 0 "vasgw:campaign:$camp:r:*")"

# --- the rate of both nodes together -----------------------------------------------
# Per whole second of the simulator's clock (the first and last seconds of
# the campaign are partial and only lower): at most TPS x 1.1 submits.
# The resubmits after the claim come on top of the campaign's rate; they
# are few (node-b's window at most).
rate=$(e2e_events submit | grep '"dest":"86139100' | e2e_json t | sort -n | awk -v tps="$TPS" '
	NR == 1 { first = $1 }
	{ last = $1; s = int($1 / 1000); n[s]++ }
	END {
		max = 0
		for (k in n) if (n[k] > max) { max = n[k]; at = k }
		printf "%d %.1f %d %d\n", NR, NR * 1000 / (last - first), max, at
	}')
read -r total avg busiest busiest_at <<<"$rate"
e2e_log "rate: $total submits at $avg/s on average (first to last); busiest second $busiest (campaign tps $TPS)"
[ "$busiest" -le $((TPS * 11 / 10)) ] ||
	e2e_fail "$busiest submits in the second $busiest_at: more than the campaign's $TPS/s + 10%"
e2e_pass
