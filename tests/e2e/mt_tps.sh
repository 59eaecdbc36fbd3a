#!/bin/bash
# The TPS cap is a smooth token bucket over submit_sm PDUs, every part of a
# long message counting: with tps = 20, no second of the SMSC's own clock
# sees more than the cap plus the bucket's one-token burst, and the parts
# arrive spread out, not in a burst of a second's worth.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init mt_tps
e2e_start_redis
e2e_start_sim
e2e_write_conf smsc.tps=20 smsc.window=100
e2e_start_vasgwd
e2e_wait_bound

# 20 one-part messages and 5 three-part ones: 35 submit_sm in all.
{
	for i in $(seq 10 29); do echo "86138001380$i,tps $i"; done
	long=$(printf 'x%.0s' $(seq 1 400))
	for i in $(seq 30 34); do echo "86138001380$i,$long"; done
} >"$E2E_DIR/batch.csv"
e2e_expect_status batch 0 --json send --file "$E2E_DIR/batch.csv"
e2e_assert_eq "25 messages queued" 25 "$(e2e_json queued <"$E2E_DIR/batch.stdout")"
e2e_wait_events submit 35 20
# drained: every part answered; exactly 35 submit_sm, no more
e2e_wait_drained 20
e2e_assert_eq "submit_sm in all" 35 "$(e2e_count_events submit)"
# each message accepted, with its parts
mapfile -t ids < <(node -e 'for (const i of JSON.parse(require("fs").readFileSync(0, "utf8")).ids) console.log(i)' <"$E2E_DIR/batch.stdout")
e2e_assert_eq "ids" 25 "${#ids[@]}"
i=0
for id in "${ids[@]}"; do
	want=1
	[ "$i" -ge 20 ] && want=3
	e2e_assert_eq "message $id: parts" "$want" "$(e2e_redis HGET "vasgw:msg:$id" parts)"
	e2e_assert_eq "message $id accepted" accepted "$(e2e_redis HGET "vasgw:msg:$id" state)"
	i=$((i + 1))
done

# Arrival times at the simulator (ms): the densest 1-second window, and the
# tightest gap between consecutive submits.
e2e_events submit | e2e_json t | sort -n >"$E2E_DIR/times"
read -r densest tightest < <(node -e '
const t = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(Number);
let best = 0, j = 0, gap = Infinity;
for (let i = 0; i < t.length; i++) {
	while (t[i] - t[j] >= 1000) j++;
	best = Math.max(best, i - j + 1);
	if (i) gap = Math.min(gap, t[i] - t[i - 1]);
}
console.log(best, gap);' "$E2E_DIR/times")
e2e_log "densest second: $densest submits; tightest gap: $tightest ms"
[ "$densest" -le 22 ] || e2e_fail "$densest submit_sm within one second with tps = 20"
span=$(($(tail -n 1 "$E2E_DIR/times") - $(head -n 1 "$E2E_DIR/times")))
[ "$span" -ge 1500 ] || e2e_fail "35 submit_sm within ${span} ms at tps = 20"
e2e_pass
