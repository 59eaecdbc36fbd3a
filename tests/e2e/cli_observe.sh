#!/bin/bash
# What an operator looks at: `vasgw mo show ID` prints a received SMS with
# its local time and the answer sent to it (text and --json); an id that is
# not an MO id is a usage error, one that is not stored a failure.
# `vasgw --json stats` gives every number as a JSON number and each daemon
# as an object with its binds as an array of objects.  The rates per
# minute come from the daemon's copies of the counters: none yet right
# after it started, then the difference from one a minute old.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init cli_observe
e2e_start_redis
e2e_start_sim
e2e_write_conf gateway.timezone=Asia/Shanghai
e2e_start_vasgwd
e2e_wait_bound

# 1. An MO and its answer.
e2e_mo 8613800138000 BZ
e2e_wait_sms 8613800138000 1
id=$(e2e_redis GET vasgw:seq:mo)
e2e_wait_for "the answer accepted" 10 \
	bash -c "[ \"\$(redis-cli -p $REDIS_PORT HGET vasgw:msg:re-$id state)\" = accepted ]"
received=$(e2e_redis HGET "vasgw:mo:$id" received_at)
local_time=$(TZ=Asia/Shanghai date -d "@$((received / 1000))" '+%F %T %:z')
iso=$(TZ=Asia/Shanghai date -d "@$((received / 1000))" '+%FT%T%:z')
e2e_expect_status mo 0 mo show "$id"
out=$(cat "$E2E_DIR/mo.stdout")
e2e_assert_match "mo show: the id" "^mo $id\$" "$(head -n1 <<<"$out")"
e2e_assert_match "mo show: from" "^  from +8613800138000\$" "$(grep '^  from' <<<"$out")"
e2e_assert_match "mo show: to" "^  to +10658000\$" "$(grep '^  to' <<<"$out")"
e2e_assert_eq "mo show: received, local" "  received     $local_time" "$(grep '^  received' <<<"$out")"
e2e_assert_match "mo show: the answer" "^  answer +re-$id: accepted\$" "$(grep '^  answer' <<<"$out")"
e2e_assert_match "mo show: the text" "^  text +BZ\$" "$(grep '^  text' <<<"$out")"
e2e_expect_status mo_json 0 --json mo show "$id"
j=$E2E_DIR/mo_json.stdout
e2e_assert_eq "--json: id" "$id" "$(e2e_json id <"$j")"
e2e_assert_eq "--json: text" BZ "$(e2e_json text <"$j")"
e2e_assert_eq "--json: received_at, ms" "$received" "$(e2e_json received_at <"$j")"
e2e_assert_eq "--json: received_time" "$iso" "$(e2e_json received_time <"$j")"
e2e_assert_eq "--json: answer" "re-$id" "$(e2e_json answer.id <"$j")"
e2e_assert_eq "--json: answer state" accepted "$(e2e_json answer.state <"$j")"
e2e_expect_status mo_none 1 mo show 999999
e2e_assert_match "no such MO" "no MO 999999" "$(e2e_cli_err mo_none)"
e2e_expect_status mo_bad 2 mo show asm:1
e2e_assert_match "not an MO id" "'asm:1' is not an MO id" "$(e2e_cli_err mo_bad)"

# 2. stats --json: numbers and objects.
e2e_wait_for "the node's status" 5 bash -c "redis-cli -p $REDIS_PORT EXISTS vasgw:node:e2e | grep -qx 1"
e2e_expect_status stats 0 --json stats
node -e '
const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const bad = [];
const num = (where, v) => { if (typeof v !== "number") bad.push(`${where} is ${JSON.stringify(v)}`); };
num("queue.waiting", s.queue.waiting);
num("queue.pending", s.queue.pending);
for (const [k, v] of Object.entries(s.counters)) num(`counters.${k}`, v);
for (const [k, v] of Object.entries(s.offers_refused)) num(`offers_refused.${k}`, v);
if (s.counters.mo !== 1) bad.push(`counters.mo is ${s.counters.mo}, not 1`);
if (!Array.isArray(s.nodes) || s.nodes.length !== 1) bad.push("nodes is not an array of one");
const n = s.nodes[0] || {};
if (n.node !== "e2e") bad.push(`node is ${JSON.stringify(n.node)}`);
if (n.redis !== "ready") bad.push(`redis is ${JSON.stringify(n.redis)}`);
for (const k of ["updated", "window", "in_flight", "held", "throttled", "mo_handled"]) num(`nodes.0.${k}`, n[k]);
if (n.window !== 10) bad.push(`window is ${n.window}`);
if (n.mo_handled !== 1) bad.push(`mo_handled is ${n.mo_handled}`);
if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/.test(n.updated_time)) bad.push(`updated_time is ${n.updated_time}`);
if (Object.keys(n).some((k) => /^b\d+\./.test(k))) bad.push("flattened bN.* fields");
if (!Array.isArray(n.binds) || n.binds.length !== 1) bad.push("binds is not an array of one");
const b = (n.binds || [])[0] || {};
if (b.role !== "transceiver" || b.state !== "bound") bad.push(`bind is ${JSON.stringify(b)}`);
for (const k of ["in_flight", "connects", "disconnects"]) num(`binds.0.${k}`, b[k]);
if (b.connects !== 1) bad.push(`connects is ${b.connects}`);
if (typeof b.last_error !== "string") bad.push("last_error is not a string");
if (bad.length) { console.log(bad.join("; ")); process.exit(1); }
' "$E2E_DIR/stats.stdout" >"$E2E_DIR/stats.check" || e2e_fail "stats --json: $(cat "$E2E_DIR/stats.check")"

# 3. Rates.  The daemon copies the counters (P:stats:history) within a
# second of starting and every 10 s after; a copy under 10 s old gives no
# rate yet.
e2e_wait_for "the counters copied" 5 bash -c "[ \"\$(redis-cli -p $REDIS_PORT XLEN vasgw:stats:history)\" -ge 1 ]"
# Redis's clock in ms (the copies' ids are on it, and the CLI reads it).
redis_ms() {
	local s us
	{ read -r s; read -r us; } < <(e2e_redis TIME)
	echo $((s * 1000 + 10#$us / 1000))
}
# The only copy is one taken 1 s ago (a stream's ids only grow: the
# daemon's copies so far go, this one takes their place): the daemon writes
# none for 9 s more, and the CLI finds none 10 s old.
t=$(($(redis_ms) - 1000))
e2e_assert_eq "a copy 1 s old" "$t-0" "$(e2e_redis EVAL "redis.call('DEL', KEYS[1])
  return redis.call('XADD', KEYS[1], ARGV[1], 'mo', '0', 'queued', '0')" 1 vasgw:stats:history "$t-0")"
e2e_expect_status stats_young 0 --json stats
e2e_expect_status stats_young_text 0 stats
after=$(redis_ms)
# (Both calls ran before the copy was 10 s old, or the machine was too
# slow for this check to mean anything.)
[ $((after - t)) -lt 10000 ] ||
	e2e_fail "the CLI calls ended $((after - t)) ms after the copy was taken: no longer under 10 s"
grep -q '"per_minute":null,' "$E2E_DIR/stats_young.stdout" ||
	e2e_fail "no rate from a copy under 10 s old: $(cat "$E2E_DIR/stats_young.stdout")"
e2e_assert_eq "the text says why" \
	"counters:               lifetime  (per minute: no copy of the counters 10 s old yet; a daemon writes one every 10 s)" \
	"$(grep '^counters:' "$E2E_DIR/stats_young_text.stdout")"
e2e_assert_match "text: mo 1, no rate" "^  mo +1$" "$(grep '^  mo ' "$E2E_DIR/stats_young_text.stdout")"
# A copy taken 61 s ago with counters 0 (as when the daemon had just
# started): per minute over 61 s, mo 1 -> 60000/61000, rounds to 1.  (It
# replaces the copies so far likewise; the daemon's next copy is too young
# to be used.)
t=$(($(redis_ms) - 61000))
e2e_assert_eq "a copy a minute old" "$t-0" "$(e2e_redis EVAL "redis.call('DEL', KEYS[1])
  return redis.call('XADD', KEYS[1], ARGV[1], 'mo', '0', 'queued', '0')" 1 vasgw:stats:history "$t-0")"
# The window the CLI gives (its age, rounded to a second, by Redis's clock
# when the CLI read it) lies between the ages before and after the call.
# window_in_range WHAT BEFORE_MS AFTER_MS WINDOW_S
window_in_range() {
	local lo=$((($2 - t + 500) / 1000)) hi=$((($3 - t + 500) / 1000))
	if ! [[ $4 =~ ^[0-9]+$ ]] || [ "$4" -lt "$lo" ] || [ "$4" -gt "$hi" ]; then
		e2e_fail "$1: the window is '$4' s, not between $lo and $hi s"
	fi
	[ "$lo" -ge 61 ] || e2e_fail "$1: the copy is only $lo s old"
}
before=$(redis_ms)
e2e_expect_status stats_rate 0 --json stats
after=$(redis_ms)
window_in_range "--json" "$before" "$after" "$(e2e_json per_minute.window_s <"$E2E_DIR/stats_rate.stdout")"
e2e_assert_eq "mo per minute" "1" "$(e2e_json per_minute.mo <"$E2E_DIR/stats_rate.stdout")"
e2e_assert_eq "queued per minute (the answer)" "1" "$(e2e_json per_minute.queued <"$E2E_DIR/stats_rate.stdout")"
e2e_assert_eq "nothing failed" "0" "$(e2e_json per_minute.failed <"$E2E_DIR/stats_rate.stdout")"
before=$(redis_ms)
e2e_expect_status stats_rate_text 0 stats
after=$(redis_ms)
head=$(grep '^counters:' "$E2E_DIR/stats_rate_text.stdout")
e2e_assert_match "text: a column per minute" "^counters: +lifetime  per minute \(over the last [0-9]+ s\)$" "$head"
w=${head##*over the last }
window_in_range "text" "$before" "$after" "${w%% s)}"
e2e_assert_match "text: mo 1 and 1 per minute" "^  mo +1 +1$" "$(grep '^  mo ' "$E2E_DIR/stats_rate_text.stdout")"
e2e_pass
