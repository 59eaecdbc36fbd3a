#!/bin/bash
# Receipts at the edges: one that arrives before its submit_sm_resp is still
# matched (Kannel drops those); a duplicate changes nothing; one that matches
# no message is kept and counted; ids spelled with leading zeros, in lower
# case, or in decimal against hex all match; a failed receipt fails the
# message with its stat and err.  And no log line holds a full number.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init mt_receipt_edge
e2e_start_redis
# Receipts go out before the responses, which come 300 ms later.
e2e_start_sim --receipts on --receipt-before-resp on --resp-delay-ms 300 --id-format HEX --receipt-id-format pad
e2e_write_conf
e2e_start_vasgwd
e2e_wait_bound

state() { e2e_redis HGET "vasgw:msg:$1" state; }
is_state() { [ "$(state "$1")" = "$2" ]; }
# sim_post PATH JSON — a control call to the simulator that must succeed.
sim_post() {
	local r
	r=$(e2e_sim POST "$1" "$2") || e2e_fail "POST $1 $2 failed: $r"
}
early=$(e2e_vasgw send 13800138000 "early receipt") || e2e_fail "send refused"
e2e_wait_for "early receipt matched" 10 is_state "$early" delivered
e2e_assert_eq "counted as late-matched" "1" "$(e2e_redis HGET vasgw:stats dlr_late_matched)"
e2e_assert_eq "nothing left unmatched" "" "$(e2e_redis --scan --pattern 'vasgw:dlr:unmatched:*')"

# Now receipts only on request.
sim_post /config '{"receipts":"off","resp_delay_ms":0}'
id=$(e2e_vasgw send 13800138001 "receipt variants") || e2e_fail "send refused"
has_smscid() { [ -n "$(e2e_redis HGET "vasgw:msg:$1" p1.smscid)" ]; }
e2e_wait_for "submit_sm_resp recorded" 10 has_smscid "$id"
smscid=$(e2e_redis HGET "vasgw:msg:$id" p1.smscid)   # upper-case hex, e.g. 3E9
dec=$((16#$smscid))
# An intermediate receipt (ENROUTE) in lower case with leading zeros: matched, not final.
sim_post /receipt "{\"message_id\":\"$smscid\",\"id_text\":\"000$(printf '%s' "$smscid" | tr 'A-F' 'a-f')\",\"stat\":\"ENROUTE\",\"format\":\"text\"}"
e2e_wait_for "ENROUTE recorded" 10 eval '[ "$(e2e_redis HGET vasgw:msg:'"$id"' p1.dlr)" = enroute ]'
e2e_assert_eq "still accepted" "accepted" "$(state "$id")"
# The final receipt with the id in decimal.
sim_post /receipt "{\"message_id\":\"$smscid\",\"id_text\":\"$dec\",\"stat\":\"UNDELIV\",\"err\":\"034\",\"format\":\"text\"}"
e2e_wait_for "UNDELIV fails the message" 10 is_state "$id" failed
e2e_assert_eq "error names the receipt" "dlr:undeliverable err:034" "$(e2e_redis HGET "vasgw:msg:$id" error)"
# The same final receipt again: nothing changes.
sim_post /receipt "{\"message_id\":\"$smscid\",\"id_text\":\"$dec\",\"stat\":\"DELIVRD\",\"format\":\"text\"}"
e2e_wait_for "duplicate counted" 10 eval '[ "$(e2e_redis HGET vasgw:stats dlr_duplicate)" = 1 ]'
e2e_assert_eq "state unchanged by the duplicate" "failed" "$(state "$id")"
# A receipt for an id vasgw never sent: kept and counted.
sim_post /receipt '{"message_id":"ABCDEF99","stat":"DELIVRD","format":"both"}'
e2e_wait_for "unmatched counted" 10 eval '[ "$(e2e_redis HGET vasgw:stats dlr_unmatched)" = 1 ]'
e2e_assert_eq "unmatched receipt kept" "delivered" "$(e2e_redis HGET vasgw:dlr:unmatched:abcdef99 stat)"
e2e_assert_eq "failed count" "1" "$(e2e_vasgw_ok --json stats | e2e_json counters.failed)"

# Logs mask numbers: 138****8000, never 13800138000.
if grep -q '13800138000\|13800138001' "$E2E_DIR/vasgwd.log"; then
	e2e_fail "vasgwd.log holds a full MSISDN"
fi
e2e_pass
