#!/bin/bash
# Abuse on the MO side: beyond mo_rate_limit_per_min a sender's messages are
# stored but not answered; a short code or an alphanumeric sender is never
# answered; a number that answers every reply within seconds (another
# gateway's auto-responder: each MO within seconds of our reply's delivery)
# is answered five times and then left alone.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init mo_abuse
e2e_start_redis
e2e_start_sim
e2e_write_conf
e2e_start_vasgwd
e2e_wait_bound

# 1. 30 messages within a minute from one number, limit 10: ten answered,
#    all 30 stored.  The texts differ ("BZ 1", "BZ 2" ...: help, each):
#    the SMSC redelivery filter must not be what stops them.
sub=8613800138002
start=$(date +%s)
for i in $(seq 1 30); do e2e_mo $sub "BZ $i"; done
e2e_wait_for "30 MO stored" 10 eval '[ "$(e2e_redis HGET vasgw:stats mo)" -ge 30 ]'
sleep 2
if [ $(( $(date +%s) / 60 )) -eq $(( start / 60 )) ]; then
	e2e_assert_eq "help answered up to the limit" "10" "$(e2e_sms_count $sub)"
else
	# The minute turned during the burst: each minute allows ten.
	n=$(e2e_sms_count $sub)
	[ "$n" -ge 10 ] && [ "$n" -le 20 ] || e2e_fail "answers across two minutes: $n"
fi
e2e_assert_match "counted as rate-limited" '^[1-9][0-9]*$' "$(e2e_redis HGET vasgw:stats mo_rate_limited)"
stored=$(for k in $(e2e_redis --raw KEYS 'vasgw:mo:[0-9]*'); do e2e_redis HGET "$k" from; done | grep -c "$sub")
e2e_assert_eq "every MO stored" "30" "$stored"

# 2. A short code and an alphanumeric sender: never answered.
e2e_mo 10086 "BZ"
e2e_mo BANK "BZ"
e2e_wait_for "32 MO stored" 10 eval '[ "$(e2e_redis HGET vasgw:stats mo)" -ge 32 ]'
sleep 2
e2e_assert_eq "short code: no answer" "0" "$(e2e_sms_count 10086)"
e2e_assert_eq "alphanumeric: no answer" "0" "$(e2e_sms_count BANK)"

# 3. An auto-responder: it answers each reply as soon as the reply reaches
#    it (the SMSC sends delivery receipts from now on).  Answered five
#    times, then left alone.
r=$(e2e_sim POST /config '{"receipts":true}') || e2e_fail "POST /config failed: $r"
bot=8613800138003
delivered() { [ "$(e2e_redis HGET "vasgw:msg:re-$1" state)" = delivered ]; }
for i in $(seq 1 8); do
	n=$(e2e_sms_count $bot)
	e2e_mo $bot "BZ $i"
	id=$(e2e_redis GET vasgw:seq:mo)
	if [ "$i" -le 5 ]; then
		e2e_wait_sms $bot $((n + 1)) 5
		e2e_wait_for "reply $i delivered" 5 delivered "$id"
	fi
done
sleep 2
e2e_assert_eq "auto-responder answered five times, then left alone" "5" "$(e2e_sms_count $bot)"
e2e_assert_match "counted as a loop" '^[1-9][0-9]*$' "$(e2e_redis HGET vasgw:stats mo_loop)"
# A person on another number is unaffected.
e2e_mo 8613800138004 "BZ"
e2e_wait_sms 8613800138004 1
e2e_pass
