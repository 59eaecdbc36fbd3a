#!/bin/bash
# An offer held for quiet hours has not reached the subscriber: it is not
# open to a reply until its SMS is sent, and when it is due every rule it
# was made under is checked again.  A subscriber who activated the service
# meanwhile (here through their own ZS) does not get the recommendation
# after "彩铃已为您开通"; one whose situation did not change gets it and can
# confirm it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init offer_held
e2e_start_redis
e2e_start_sim
e2e_start_prov
# A quiet window around the present local time (Asia/Shanghai).
from=$(TZ=Asia/Shanghai date -d '-10 min' +%H:%M)
to=$(TZ=Asia/Shanghai date -d '+30 min' +%H:%M)
e2e_write_conf policy.quiet_hours="$from-$to"
e2e_start_vasgwd
e2e_wait_bound
e2e_services

a=8613700137000 # activates CL while the offer waits
b=8613700137001 # gets the offer in the morning

held() { # MSISDN: the offer id of a held recommendation of CL
	local out
	out=$(e2e_vasgw --json recommend "$1" CL) || e2e_fail "recommend $1 in quiet hours: $out"
	e2e_assert_eq "held for quiet hours ($from-$to)" "held" "$(e2e_json offers.0.status <<<"$out")"
	e2e_assert_eq "its code" "1" "$(e2e_json offers.0.code <<<"$out")"
	e2e_json offers.0.offer <<<"$out"
}
offer_a=$(held $a)
offer_b=$(held $b)
e2e_assert_eq "offer record held" "held" "$(e2e_redis HGET "vasgw:offer:$offer_a" state)"

# A "Y" to an offer never seen confirms nothing.
e2e_mo $a "Y"
e2e_wait_sms_exact $a 1
e2e_assert_match "Y before the offer was sent: nothing to confirm" "您当前没有待确认的业务推荐" "$(e2e_last_sms $a)"
e2e_assert_eq "no webhook call" "0" "$(e2e_prov_count_calls)"
e2e_assert_eq "still held" "held" "$(e2e_redis HGET "vasgw:offer:$offer_a" state)"

# The subscriber asks for CL (ZS: answered at once) and activates it with
# the code of that SMS: 2, since 1 is the held offer's.
e2e_mo $a "ZS CL"
e2e_wait_sms_exact $a 2
e2e_assert_match "knowledge SMS with the next free code" "回复2开通" "$(e2e_last_sms $a)"
e2e_mo $a "2"
e2e_wait_sms_exact $a 4
texts=$(e2e_sms_to $a)
e2e_assert_match "confirmation" "已收到您开通彩铃的确认" "$(sed -n 3p <<<"$texts")"
e2e_assert_match "activated" "彩铃已为您开通" "$(sed -n 4p <<<"$texts")"
e2e_assert_eq "one activation" "1" "$(e2e_prov_count_activations)"

# Morning: both held messages are due.
now=$(date +%s%3N)
e2e_redis ZADD vasgw:mt:scheduled "$now" "of-$offer_a" "$now" "of-$offer_b" >/dev/null
e2e_wait_sms_exact $b 1
e2e_assert_match "the other gets the recommendation" "回复1开通" "$(e2e_last_sms $b)"
e2e_wait_for "A's held offer withdrawn" 5 eval '[ "$(e2e_redis HGET "vasgw:offer:$offer_a" state)" = withdrawn ]'
e2e_assert_eq "withdrawn: A holds the service" "already_subscribed" "$(e2e_redis HGET "vasgw:offer:$offer_a" withdrawn)"
e2e_assert_eq "its SMS failed with the reason" "failed already_subscribed" \
	"$(e2e_redis HMGET "vasgw:msg:of-$offer_a" state error | tr '\n' ' ' | sed 's/ $//')"
e2e_assert_eq "counted" "1" "$(e2e_redis HGET vasgw:stats offer_withdrawn:already_subscribed)"
e2e_assert_match "vasgw stats shows it by rule" "offer withdrawn: already_subscribed +1" "$(e2e_vasgw_ok stats)"
e2e_assert_eq "and --json" "1" "$(e2e_vasgw_ok --json stats | e2e_json offers_withdrawn.already_subscribed)"
e2e_assert_eq "B's offer open" "pending" "$(e2e_redis HGET "vasgw:offer:$offer_b" state)"

# B confirms the offer now that it reached them.
e2e_mo $b "Y"
e2e_wait_sms_exact $b 3
texts=$(e2e_sms_to $b)
e2e_assert_match "B: confirmation" "已收到您开通彩铃的确认" "$(sed -n 2p <<<"$texts")"
e2e_assert_match "B: activated" "彩铃已为您开通" "$(sed -n 3p <<<"$texts")"
e2e_assert_eq "two activations" "2" "$(e2e_prov_count_activations)"

# Nothing else went to A: a help request's answer is the next and last SMS.
e2e_mo $a "BZ"
e2e_wait_sms_exact $a 5
e2e_assert_eq "A got exactly: no offer, ZS, confirmation, activated, help" "5" "$(e2e_sms_count $a)"
e2e_assert_match "A's last SMS is the help" "回复Y开通推荐的业务" "$(e2e_last_sms $a)"
e2e_assert_eq "B got exactly: offer, confirmation, activated" "3" "$(e2e_sms_count $b)"
e2e_pass
