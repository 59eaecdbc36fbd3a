#!/bin/bash
# An MT that cannot be encoded — not valid UTF-8, or empty — queued past the
# CLI's checks (mt_enqueue called directly, as any client of the Redis
# may): the outbox sends nothing of it, and its record reaches the final
# state failed with the reason (error "unsent:text cannot be encoded: ..."),
# counted unsent; a good message of the same call goes out as usual, and
# the counters add up at the end (queued = submitted + unsent).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init mt_unencodable
e2e_start_redis
e2e_start_sim
e2e_write_conf
e2e_start_vasgwd
e2e_wait_bound

# The library's name carries its version (docs/functions.md).
lib=$(e2e_redis --raw FUNCTION LIST | grep -m1 -xE 'vasgw_[0-9]+') ||
	e2e_fail "no vasgw library loaded"
now=$(($(date +%s%N) / 1000000))
r=$(e2e_redis FCALL "${lib}_mt_enqueue" 0 vasgw "$now" 600 \
	bad1 8613800138001 "$(printf 'caf\xe9')" "" -1 "" cli "" 0 "" "" \
	bad2 8613800138002 "" "" -1 "" cli "" 0 "" "" \
	good 8613800138003 "hello" "" -1 "" cli "" 0 "" "") || e2e_fail "mt_enqueue: $r"
e2e_assert_eq "three queued" 3 "$r"

e2e_wait_sms_exact 8613800138003 1
e2e_assert_eq "the good one sent" hello "$(e2e_last_sms 8613800138003)"
for m in bad1 bad2; do
	e2e_wait_for "$m failed" 10 bash -c "[ \"\$(redis-cli -p $REDIS_PORT HGET vasgw:msg:$m state)\" = failed ]"
done
e2e_assert_eq "bad1: why" "unsent:text cannot be encoded: not valid UTF-8" "$(e2e_redis HGET vasgw:msg:bad1 error)"
e2e_assert_eq "bad2: why" "unsent:text is empty: nothing to send" "$(e2e_redis HGET vasgw:msg:bad2 error)"
e2e_assert_match "bad1: done" '^[0-9]{13}$' "$(e2e_redis HGET vasgw:msg:bad1 done_at)"
e2e_assert_eq "counted unsent" 2 "$(e2e_redis HGET vasgw:stats unsent)"
e2e_assert_eq "failed" 2 "$(e2e_redis HGET vasgw:stats failed)"
e2e_assert_eq "not rejected: nothing reached the SMSC" "" "$(e2e_redis HGET vasgw:stats rejected)"
e2e_assert_match "logged" "message bad1 not sent: text cannot be encoded: not valid UTF-8" "$(cat "$E2E_DIR/vasgwd.log")"
e2e_wait_drained
e2e_assert_eq "no submit_sm for bad1" 0 "$(e2e_sms_count 8613800138001)"
e2e_assert_eq "no submit_sm for bad2" 0 "$(e2e_sms_count 8613800138002)"
e2e_expect_status show 0 msg show bad2
e2e_assert_match "msg show: state" "state +failed" "$(cat "$E2E_DIR/show.stdout")"
e2e_assert_match "msg show: why" "error +unsent:text is empty: nothing to send" "$(cat "$E2E_DIR/show.stdout")"
e2e_pass
