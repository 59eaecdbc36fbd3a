#!/bin/bash
# MT end to end: a GSM text, a long Chinese text split into UCS-2 parts, and
# receipts whose id the SMSC writes differently (decimal in the receipt, hex
# in submit_sm_resp) all end as "delivered" in Redis.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init mt_receipts
e2e_start_redis
e2e_start_sim --receipts on --id-format HEX --receipt-id-format dec
e2e_write_conf
e2e_start_vasgwd
e2e_wait_bound

short=$(e2e_vasgw send 13800138000 "Hello {world} 100€") || e2e_fail "send refused"
long_text=$(printf '尊敬的客户，您好！%.0s' $(seq 1 12))
long=$(e2e_vasgw send +8613800138001 "$long_text") || e2e_fail "send refused"

e2e_wait_events submit 3 15
# drained (every part answered): exactly 3 submit_sm, 1 and 2 per number
e2e_wait_sms_exact 8613800138000 1
e2e_wait_sms_exact 8613800138001 2
e2e_assert_eq "submit_sm in all" 3 "$(e2e_count_events submit)"
# The GSM text: one part, data_coding 0, the escapes intact.
e2e_assert_eq "GSM text" "Hello {world} 100€" "$(e2e_events submit | grep -F '"dest":"8613800138000"' | e2e_json text)"
e2e_assert_eq "GSM dcs" "0" "$(e2e_events submit | grep -F '"dest":"8613800138000"' | e2e_json dcs)"
# The Chinese text: 108 characters -> 2 UCS-2 parts of at most 67 with a UDH.
parts=$(e2e_events submit | grep -F '"dest":"8613800138001"')
e2e_assert_eq "UCS-2 parts" "2" "$(printf '%s\n' "$parts" | wc -l)"
e2e_assert_eq "UCS-2 dcs" "8
8" "$(printf '%s\n' "$parts" | e2e_json dcs)"
e2e_assert_eq "reassembled text" "$long_text" "$(printf '%s\n' "$parts" | e2e_json text | tr -d '\n')"

is_delivered() { [ "$(e2e_redis HGET "vasgw:msg:$1" state)" = delivered ]; }
e2e_wait_for "GSM message delivered" 15 is_delivered "$short"
e2e_wait_for "long message delivered" 15 is_delivered "$long"
e2e_assert_eq "receipt kept for part 2" "delivered" "$(e2e_redis HGET "vasgw:msg:$long" p2.dlr)"

# msg show and stats tell the operator the same.
e2e_assert_match "msg show says delivered" "state *delivered" "$(e2e_vasgw_ok msg show "$long")"
e2e_assert_eq "stats delivered" "2" "$(e2e_vasgw_ok --json stats | e2e_json counters.delivered)"
e2e_assert_eq "no unmatched receipts" "0" "$(e2e_vasgw_ok --json stats | e2e_json counters.dlr_unmatched)"
e2e_pass
