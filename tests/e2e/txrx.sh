#!/bin/bash
# bind = transmitter+receiver: two sessions, MT on the transmitter, receipts
# and MO on the receiver (and the MO's answer back on the transmitter).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init txrx
e2e_start_redis
e2e_start_sim --receipts on
e2e_write_conf smsc.bind=transmitter+receiver
e2e_start_vasgwd
e2e_wait_bound 2

binds=$(e2e_events bind | grep -F '"accepted":true')
e2e_assert_eq "bind types" "bind_receiver
bind_transmitter" "$(e2e_json type <<<"$binds" | sort)"
tx=$(grep -F '"type":"bind_transmitter"' <<<"$binds" | e2e_json sid)
rx=$(grep -F '"type":"bind_receiver"' <<<"$binds" | e2e_json sid)
[ "$tx" != "$rx" ] || e2e_fail "one session for both binds"

id=$(e2e_vasgw send 13800138000 "over the transmitter") || e2e_fail "send refused"
is_state() { [ "$(e2e_redis HGET "vasgw:msg:$1" state)" = "$2" ]; }
e2e_wait_for "MT delivered" 10 is_state "$id" delivered
e2e_assert_eq "submit session" "$tx" "$(e2e_event_values submit sid)"
e2e_assert_eq "receipt session" "$rx" "$(e2e_events deliver_sm | grep -F '"kind":"receipt"' | e2e_json sid)"
e2e_wait_events deliver_sm_resp 1 5
e2e_assert_eq "receipt acknowledged on the receiver" "$rx 0" \
	"$(e2e_events deliver_sm_resp | node -e '
let d = ""; process.stdin.on("data", (c) => d += c).on("end", () => {
	for (const l of d.split("\n").filter(Boolean)) { const e = JSON.parse(l); console.log(e.sid + " " + e.status); }
});')"
e2e_assert_eq "stats dlr" "1" "$(e2e_redis HGET vasgw:stats dlr)"

# MO arrives on the receiver; its answer leaves on the transmitter.
r=$(e2e_sim POST /mo '{"from":"8613900139000","text":"BZ"}') || e2e_fail "POST /mo failed: $r"
e2e_assert_eq "MO deliver_sm_resp" "[0]" "$(e2e_json statuses <<<"$r")"
e2e_assert_eq "MO session" "$rx" "$(e2e_json parts.0.sid <<<"$r")"
e2e_wait_for "MO answer delivered" 10 is_state re-1 delivered
e2e_assert_eq "submit sessions" "$tx" "$(e2e_event_values submit sid | sort -u)"
e2e_assert_eq "submits refused (wrong bind)" "" "$(e2e_events submit | grep -vF '"status":0,' || true)"
e2e_assert_eq "MO text" "BZ" "$(e2e_redis HGET vasgw:mo:1 text)"
e2e_pass
