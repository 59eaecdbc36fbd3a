#!/bin/bash
# Only what the SMSC really delivers again is dropped (docs/delivery.md,
# "Redelivered MO").  The simulator's redelivery mode loses vasgw's
# deliver_sm_resp with the connection and sends the same deliver_sm again
# once vasgw has bound again: the MO is stored and answered once.  The same
# text sent again by the person afterwards, and a concatenated MO delivered
# again, behave as a person would expect: the first is a new message,
# answered again; the second is one message.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init mo_redelivery
e2e_start_redis
e2e_start_sim
e2e_write_conf smsc.reconnect_max=1
e2e_start_vasgwd
e2e_wait_bound

a=8613800138000
binds=$(e2e_count_events bind)
# 1. "BZ" whose OK is lost: the SMSC sends it again on the new connection.
e2e_mo --redeliver $a "BZ"
e2e_assert_eq "the link was dropped and bound again" "$((binds + 1))" "$(e2e_count_events bind)"
e2e_assert_eq "the same bytes again" "true" \
	"$(e2e_events deliver_sm | grep -F '"redelivery_of"' | e2e_json same_bytes)"
e2e_wait_sms_exact $a 1
e2e_assert_eq "one MO stored" "1" "$(e2e_redis GET vasgw:seq:mo)"
e2e_assert_eq "the copy counted as a redelivery" "1" "$(e2e_redis HGET vasgw:stats mo_duplicate)"

# 2. The person sends "BZ" again: a new message, answered again; once
# vasgwd has drained, the count of answers is final.
e2e_mo $a "BZ"
e2e_wait_sms_exact $a 2
e2e_assert_eq "two MO stored" "2" "$(e2e_redis GET vasgw:seq:mo)"
e2e_assert_eq "still one redelivery" "1" "$(e2e_redis HGET vasgw:stats mo_duplicate)"
e2e_assert_eq "two answers, one per message the person sent" "2" "$(e2e_sms_count $a)"

# 3. A two-part MO whose OK to its last part is lost: both parts come again;
# one message, one answer.
b=8613900139000
long="请问怎么开通彩铃业务，我想了解一下资费和使用方法，还有怎么取消，谢谢你们的帮助和耐心解答，祝工作顺利"
e2e_mo --redeliver $b "$long"
e2e_wait_sms_exact $b 1
e2e_assert_eq "three MO stored" "3" "$(e2e_redis GET vasgw:seq:mo)"
e2e_assert_eq "the whole text once" "$long" "$(e2e_redis HGET vasgw:mo:3 text)"
e2e_assert_eq "its record complete" "1" "$(e2e_redis HGET vasgw:mo:3 complete)"
# One more "BZ" from a: drained, one answer each, no more.
e2e_mo $a "BZ"
e2e_wait_sms_exact $a 3
e2e_assert_eq "one answer to the long MO" "1" "$(e2e_sms_count $b)"
e2e_assert_eq "four MO in all" "4" "$(e2e_redis GET vasgw:seq:mo)"
# The marks of MO whose OK the SMSC has read are gone.
no_marks() { [ -z "$(e2e_redis --scan --pattern 'vasgw:mo:dedup:*')" ]; }
e2e_wait_for "redelivery marks dropped" 10 no_marks
e2e_pass
