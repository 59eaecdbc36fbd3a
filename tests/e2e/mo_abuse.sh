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
#    all 30 stored.  The same "BZ" each time (help, answered every time it
#    passes the gate): a person's repeat is a new MO, and only the rate
#    limit may stop them.
sub=8613800138002
for i in $(seq 1 30); do e2e_mo $sub "BZ"; done
# A person on another number, after them: once that answer is out and the
# streams are drained, all 30 were handled (counts final, in order).
e2e_mo 8613800138005 "BZ"
e2e_wait_sms_exact 8613800138005 1
e2e_assert_eq "MO counted" "31" "$(e2e_redis HGET vasgw:stats mo)"
# The gate counts a sender's MO per minute (P:sub:{M}:rate:<minute>, kept
# 120 s): ten answered in each minute the burst touched, the rest counted
# as rate-limited.  Almost always one minute, 10 and 20; when the minute
# turned during the burst the same sums give the exact figures.
per_minute=$(for k in $(e2e_redis --scan --pattern "vasgw:sub:{$sub}:rate:*"); do e2e_redis GET "$k"; done)
e2e_assert_eq "every MO through the gate" "30" "$(awk '{ s += $1 } END { print s }' <<<"$per_minute")"
answers=$(awk '{ s += ($1 < 10 ? $1 : 10) } END { print s }' <<<"$per_minute")
[ "$(wc -l <<<"$per_minute")" -le 2 ] || e2e_fail "the burst spread over more than two minutes: $per_minute"
e2e_assert_eq "help answered up to the limit" "$answers" "$(e2e_sms_count $sub)"
e2e_assert_eq "counted as rate-limited" "$((30 - answers))" "$(e2e_redis HGET vasgw:stats mo_rate_limited)"
stored=$(for k in $(e2e_redis --scan --pattern 'vasgw:mo:[0-9]*'); do e2e_redis HGET "$k" from; done | grep -c "$sub")
e2e_assert_eq "every MO stored" "30" "$stored"

# 1b. TD from the same number while it is over the limit: not answered,
#     but carried out (a person who says stop is heard; only the answer is
#     held back).  Its minute and the next are set at the limit first, so
#     the TD is over it whichever minute it lands in.
minute=$(($(e2e_redis TIME | head -n1) / 60))
for m in $minute $((minute + 1)); do
	e2e_redis SET "vasgw:sub:{$sub}:rate:$m" 10 EX 180 >/dev/null
done
limited=$(e2e_redis HGET vasgw:stats mo_rate_limited)
e2e_mo $sub "TD"
e2e_mo 8613800138005 "BZ"
e2e_wait_sms_exact 8613800138005 2
e2e_assert_eq "TD over the limit: counted rate-limited" "$((limited + 1))" "$(e2e_redis HGET vasgw:stats mo_rate_limited)"
e2e_assert_eq "TD over the limit: not answered" "$answers" "$(e2e_sms_count $sub)"
e2e_assert_eq "TD over the limit: carried out" "1" "$(e2e_redis HGET "vasgw:sub:{$sub}" optout)"
e2e_assert_eq "TD counted" "1" "$(e2e_redis HGET vasgw:stats optout)"
e2e_services
e2e_expect_status td_limited 1 --json recommend "${sub#86}" CL
e2e_assert_eq "no marketing to it" "opted_out" "$(e2e_json offers.0.rule <"$E2E_DIR/td_limited.stdout")"

# 2. A short code and an alphanumeric sender: never answered.  A person
#    after them is answered: then they were handled, with no answer.
e2e_mo 10086 "BZ"
e2e_mo BANK "BZ"
e2e_mo 8613800138005 "BZ"
e2e_wait_sms_exact 8613800138005 3
e2e_assert_eq "MO counted" "36" "$(e2e_redis HGET vasgw:stats mo)"
e2e_assert_eq "short code: no answer" "0" "$(e2e_sms_count 10086)"
e2e_assert_eq "alphanumeric: no answer" "0" "$(e2e_sms_count BANK)"
e2e_assert_eq "SMS in all" "$((answers + 3))" "$(e2e_count_events submit)"

# 3. An auto-responder: it answers each reply as soon as the reply reaches
#    it (the SMSC sends delivery receipts from now on).  Answered five
#    times, then left alone.  The same text every time, as a machine
#    sends it.
r=$(e2e_sim POST /config '{"receipts":true}') || e2e_fail "POST /config failed: $r"
bot=8613800138003
delivered() { [ "$(e2e_redis HGET "vasgw:msg:re-$1" state)" = delivered ]; }
for i in $(seq 1 8); do
	e2e_mo $bot "BZ"
	id=$(e2e_redis GET vasgw:seq:mo)
	if [ "$i" -le 5 ]; then
		e2e_wait_sms $bot "$i" 5
		e2e_wait_for "reply $i delivered" 5 delivered "$id"
	fi
done
# A person on another number is unaffected; once answered (and drained),
# the bot's last three were handled and left unanswered.
e2e_mo 8613800138004 "BZ"
e2e_wait_sms_exact 8613800138004 1
e2e_assert_eq "auto-responder answered five times, then left alone" "5" "$(e2e_sms_count $bot)"
# The sixth came within 10 s of the fifth reply's delivery, the fifth
# time running: a loop; the seventh and eighth fall in the block.
e2e_assert_eq "counted as a loop" "3" "$(e2e_redis HGET vasgw:stats mo_loop)"
e2e_assert_eq "MO counted" "45" "$(e2e_redis HGET vasgw:stats mo)"
e2e_pass
