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
young=$(e2e_redis XREVRANGE vasgw:stats:history + - COUNT 1 | head -n1)
age=$(( $(date +%s%3N) - ${young%%-*} ))
if [ "$age" -lt 9000 ]; then
	e2e_expect_status stats_young 0 --json stats
	grep -q '"per_minute":null,' "$E2E_DIR/stats_young.stdout" ||
		e2e_fail "no rate from a copy under 10 s old: $(cat "$E2E_DIR/stats_young.stdout")"
	e2e_expect_status stats_young_text 0 stats
	e2e_assert_match "the text says why" "per minute: no copy of the counters 10 s old yet" "$(cat "$E2E_DIR/stats_young_text.stdout")"
fi
# A copy taken 61 s ago with counters 0 (as when the daemon had just
# started): per minute over 61 s, mo 1 -> 60000/61000, rounds to 1.
t=$(( $(redis-cli -p "$REDIS_PORT" TIME | head -n1) * 1000 - 61000 ))
# (A stream's ids only grow: the copies so far go, this one takes their
# place; the daemon's next copy is too young to be used.)
e2e_assert_eq "a copy a minute old" "$t-0" "$(e2e_redis EVAL "redis.call('DEL', KEYS[1])
  return redis.call('XADD', KEYS[1], ARGV[1], 'mo', '0', 'queued', '0')" 1 vasgw:stats:history "$t-0")"
e2e_expect_status stats_rate 0 --json stats
e2e_assert_match "the window, in s" "^6[1-4]$" "$(e2e_json per_minute.window_s <"$E2E_DIR/stats_rate.stdout")"
e2e_assert_eq "mo per minute" "1" "$(e2e_json per_minute.mo <"$E2E_DIR/stats_rate.stdout")"
e2e_assert_eq "queued per minute (the answer)" "1" "$(e2e_json per_minute.queued <"$E2E_DIR/stats_rate.stdout")"
e2e_assert_eq "nothing failed" "0" "$(e2e_json per_minute.failed <"$E2E_DIR/stats_rate.stdout")"
e2e_expect_status stats_rate_text 0 stats
e2e_assert_match "text: a column per minute" "lifetime  per minute \(over the last 6[1-4] s\)" "$(cat "$E2E_DIR/stats_rate_text.stdout")"
e2e_assert_match "text: mo 1 and 1 per minute" "^  mo +1 +1$" "$(grep '^  mo ' "$E2E_DIR/stats_rate_text.stdout")"
e2e_pass
