#!/bin/bash
# MO is acknowledged only once stored: with Redis down the answer is
# ESME_RX_T_APPN (0x64) and the SMSC redelivers; after Redis is back the MO
# is stored and answered exactly once.  The same text sent twice by a person
# is two messages, both answered.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init mo_redis_down
e2e_start_redis
e2e_start_sim --redeliver-ms 1000 --redeliver-max 10
e2e_write_conf
e2e_start_vasgwd
e2e_wait_bound

a=8613800138000
e2e_stop_redis
# (If Redis reset the connection rather than closing it, hiredis 0.14 may
# not notice; the 10 s command watchdog then fails the store: hence wait_ms.)
r=$(e2e_sim POST /mo "{\"from\":\"$a\",\"text\":\"BZ\",\"wait_ms\":15000}") || e2e_fail "POST /mo failed: $r"
e2e_assert_eq "deliver_sm_resp with Redis down" "[100]" "$(e2e_json statuses <<<"$r")"
e2e_vasgwd_alive || e2e_fail "vasgwd died while Redis was down"
e2e_restart_redis

# The simulator redelivers every second until it gets ESME_ROK.
stored_ok() { e2e_events deliver_sm_resp | grep -qF '"status":0,'; }
e2e_wait_for "the redelivered MO acknowledged" 15 stored_ok
e2e_assert_eq "stats mo" "1" "$(e2e_redis HGET vasgw:stats mo)"
e2e_assert_eq "MO records" "1" "$(e2e_redis GET vasgw:seq:mo)"
e2e_assert_eq "MO text" "BZ" "$(e2e_redis HGET vasgw:mo:1 text)"
e2e_assert_eq "MO sender" "$a" "$(e2e_redis HGET vasgw:mo:1 from)"
attempts=$(e2e_event_values deliver_sm attempt | tail -n1)
[ "$attempts" -ge 2 ] || e2e_fail "expected a redelivery, last attempt was $attempts"
e2e_assert_eq "refusals before the success" "$((attempts - 1))" \
	"$(e2e_events deliver_sm_resp | grep -cF '"status":100,')"
# The operator is told: the first refusal with its reason, then how it
# ended (docs/delivery.md, "Without Redis").  While vasgwd knew Redis was
# gone it refused without a word (the refusal path that never tried Redis).
log=$E2E_DIR/vasgwd.log
e2e_assert_eq "the first refusal logged, once" 1 \
	"$(grep -c 'warn inbox: cannot store a MO: .*; answering ESME_RX_T_APPN, the SMSC delivers it again' "$log")"
e2e_assert_eq "the end of the refusals logged" 1 "$(grep -c 'info inbox: storing again' "$log")"

is_accepted() { [ "$(e2e_redis HGET "vasgw:msg:$1" state)" = accepted ]; }
e2e_wait_for "reply re-1 accepted" 10 is_accepted re-1
e2e_assert_eq "replies to $a" "1" "$(e2e_events submit | grep -cF "\"dest\":\"$a\"")"

# A person who sends the same text twice means it twice: the second
# deliver_sm, byte for byte the first but a new message on the same
# connection (the first was answered ESME_ROK), is stored and answered too
# (only what the SMSC can deliver again is a redelivery: mo_redelivery.sh).
b=8613900139000
mo_b="{\"from\":\"$b\",\"text\":\"BZ\"}" # help: answered every time
r=$(e2e_sim POST /mo "$mo_b") || e2e_fail "POST /mo failed: $r"
e2e_assert_eq "first copy acknowledged" "[0]" "$(e2e_json statuses <<<"$r")"
e2e_wait_for "reply re-2 accepted" 10 is_accepted re-2
r=$(e2e_sim POST /mo "$mo_b") || e2e_fail "POST /mo failed: $r"
e2e_assert_eq "second copy acknowledged" "[0]" "$(e2e_json statuses <<<"$r")"
e2e_wait_for "reply re-3 accepted" 10 is_accepted re-3
e2e_assert_eq "no MO counted a duplicate" "0" "$(e2e_redis HEXISTS vasgw:stats mo_duplicate)"
e2e_assert_eq "stats mo" "3" "$(e2e_redis HGET vasgw:stats mo)"
e2e_assert_eq "MO records" "3" "$(e2e_redis GET vasgw:seq:mo)"
# A fourth MO: when its answer is out, every answer before it is (the
# stream is read in order), so the counts below are final.
r=$(e2e_sim POST /mo "{\"from\":\"$a\",\"text\":\"BZ again\"}") || e2e_fail "POST /mo failed: $r"
e2e_wait_for "reply re-4 accepted" 10 is_accepted re-4
e2e_assert_eq "replies to $b" "2" "$(e2e_events submit | grep -cF "\"dest\":\"$b\"")"
e2e_assert_eq "replies to $a" "2" "$(e2e_events submit | grep -cF "\"dest\":\"$a\"")"
e2e_assert_eq "MO stream drained" "0" "$(e2e_redis XLEN vasgw:mo)"
# The SMSC answered what vasgw wrote after its answers OK, so it read them
# and will not deliver those MO again: their redelivery marks are gone.
no_marks() { [ -z "$(e2e_redis --scan --pattern 'vasgw:mo:dedup:*')" ]; }
e2e_wait_for "redelivery marks dropped" 10 no_marks
e2e_pass
