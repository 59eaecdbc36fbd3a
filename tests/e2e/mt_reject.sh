#!/bin/bash
# A permanent submit_sm_resp error (ESME_RINVDSTADR) fails the message with
# the status name recorded, acknowledges the stream entry, and is not retried.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init mt_reject
e2e_start_redis
e2e_start_sim --receipts on --reject-status 0x0B
e2e_write_conf
e2e_start_vasgwd
e2e_wait_bound

id=$(e2e_vasgw send 13800138000 "to a bad address") || e2e_fail "send refused"
# 140 characters of UCS-2: three parts of at most 67.
long_text=$(printf '无效地址测试，%.0s' $(seq 1 20))
long=$(e2e_vasgw send 13800138001 "$long_text") || e2e_fail "send refused"

is_failed() { [ "$(e2e_redis HGET "vasgw:msg:$1" state)" = failed ]; }
e2e_wait_for "short message failed" 10 is_failed "$id"
e2e_wait_for "long message failed" 10 is_failed "$long"

e2e_assert_match "error of the short message" 'ESME_RINVDSTADR' "$(e2e_redis HGET "vasgw:msg:$id" error)"
e2e_assert_eq "part error" "ESME_RINVDSTADR" "$(e2e_redis HGET "vasgw:msg:$id" p1.error)"
e2e_assert_eq "part status" "11" "$(e2e_redis HGET "vasgw:msg:$id" p1.status)"
e2e_assert_match "error of the long message" 'ESME_RINVDSTADR' "$(e2e_redis HGET "vasgw:msg:$long" error)"
nparts=$(e2e_redis HGET "vasgw:msg:$long" parts)
e2e_assert_eq "long message: parts" "3" "$nparts"
for p in 1 2 3; do
	e2e_assert_eq "long message: part $p refused" "11 ESME_RINVDSTADR" \
		"$(e2e_redis HGET "vasgw:msg:$long" "p$p.status") $(e2e_redis HGET "vasgw:msg:$long" "p$p.error")"
done

# The entries are answered: acknowledged and removed from the stream.
no_pending() { [ "$(e2e_redis XPENDING vasgw:mt vasgw | head -n1)" = 0 ]; }
e2e_wait_for "no pending stream entries" 5 no_pending
e2e_assert_eq "stream length" "0" "$(e2e_redis XLEN vasgw:mt)"

# Every part was submitted once and refused once: no retry of a permanent error.
e2e_assert_eq "submits" "$((1 + nparts))" "$(e2e_count_events submit)"
e2e_assert_eq "accepted submits" "" "$(e2e_events submit | grep -F '"status":0,' || true)"

stats=$(e2e_vasgw_ok --json stats)
e2e_assert_eq "stats failed" "2" "$(e2e_json counters.failed <<<"$stats")"
e2e_assert_eq "stats accepted" "0" "$(e2e_json counters.accepted <<<"$stats")"
e2e_assert_eq "stats delivered" "0" "$(e2e_json counters.delivered <<<"$stats")"
e2e_assert_match "msg show names the error" "ESME_RINVDSTADR" "$(e2e_vasgw_ok msg show "$id")"
e2e_pass
