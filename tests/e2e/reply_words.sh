#!/bin/bash
# The words people answer with, in English and Chinese, end to end: "YES"
# confirms an offer (one order, one activation), "不用" and "NO" decline
# one, "CANCEL CL" and "取消CL" are QX CL, and "UNSUBSCRIBE" opts out.
# Before these were keywords, "YES" and "NO" were taken for reply codes
# naming no offer and got the help text, and nothing happened.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init reply_words
e2e_start_subscriber_side

# offer NUM SERVICE — recommend, wait for its SMS; prints the offer id.
offer() {
	local out n
	n=$(e2e_sms_count "86$1")
	out=$(e2e_vasgw --json recommend "$1" "$2") || e2e_fail "recommend $1 $2 failed: $out"
	e2e_wait_sms_exact "86$1" $((n + 1))
	e2e_json offers.0.offer <<<"$out"
}
offer_state() { e2e_redis HGET "vasgw:offer:$1" state; }
order_state() { e2e_vasgw_ok --json order show "$1" | e2e_json state; }
order_is() { [ "$(order_state "$1")" = "$2" ]; }

# 1. "YES" confirms: one order, activated, the subscriber told twice.
sub=8613800138001
o=$(offer 13800138001 CL)
e2e_mo $sub "YES"
e2e_wait_sms_exact $sub 3
texts=$(e2e_sms_to $sub)
e2e_assert_match "YES: confirmation received" "已收到您开通彩铃的确认" "$(sed -n 2p <<<"$texts")"
e2e_assert_match "YES: activated" "彩铃已为您开通" "$(sed -n 3p <<<"$texts")"
e2e_assert_eq "YES: the offer confirmed" "confirmed" "$(offer_state "$o")"
e2e_wait_for "YES: order done" 10 order_is "A$o" done
e2e_assert_eq "YES: one activation" "1" "$(e2e_prov_count_activations)"

# 2. "yes!" in lower case, full stop: the same word (a second offer).
sub=8613800138002
o=$(offer 13800138002 SJB)
e2e_mo $sub "yes!"
e2e_wait_sms_exact $sub 3
e2e_assert_match "yes!: confirmation received" "已收到您开通手机报的确认" "$(e2e_sms_to $sub | sed -n 2p)"
e2e_assert_eq "yes!: the offer confirmed" "confirmed" "$(offer_state "$o")"

# 3. "不用" and "No" decline; nothing is ordered.
# declines NUM WORD — an offer of CL to NUM, answered WORD, is declined.
declines() {
	local sub=86$1 o
	o=$(offer "$1" CL)
	e2e_mo $sub "$2"
	e2e_wait_sms_exact $sub 2
	e2e_assert_match "$2: declined" "不为您开通彩铃" "$(e2e_last_sms $sub)"
	e2e_assert_eq "$2: the offer declined" "declined" "$(offer_state "$o")"
	e2e_assert_eq "$2: no order" "0" "$(e2e_redis EXISTS "vasgw:order:A$o")"
}
declines 13800138003 "不用"
declines 13800138004 "No"

# 4. "CANCEL CL" (the subscriber of 1 holds CL): a deactivation order.
sub=8613800138001
n=$(e2e_sms_count $sub)
e2e_mo $sub "CANCEL CL"
e2e_wait_sms_exact $sub $((n + 2))
texts=$(e2e_sms_to $sub)
e2e_assert_match "CANCEL CL: received" "已收到您取消彩铃的请求" "$(tail -n2 <<<"$texts" | head -n1)"
e2e_assert_match "CANCEL CL: deactivated" "彩铃已为您取消" "$(tail -n1 <<<"$texts")"

# 5. "取消SJB" (glued, the subscriber of 2 holds SJB once it is done).
sub=8613800138002
e2e_wait_for "SJB activated" 10 eval '[ "$(e2e_redis HGET "vasgw:sub:{$sub}" svc:SJB)" = active ]'
n=$(e2e_sms_count $sub)
e2e_mo $sub "取消SJB"
e2e_wait_sms_exact $sub $((n + 2))
e2e_assert_match "取消SJB: deactivated" "手机报已为您取消" "$(e2e_last_sms $sub)"

# 6. "UNSUBSCRIBE" opts out: the next offer is refused by that rule.
sub=8613800138005
e2e_mo $sub "unsubscribe"
e2e_wait_sms_exact $sub 1
e2e_assert_match "UNSUBSCRIBE: opted out" "您已退订营销短信" "$(e2e_last_sms $sub)"
e2e_expect_status after_unsubscribe 1 recommend 13800138005 CL
e2e_assert_match "the offer refused: opted out" "opted_out" "$(cat "$E2E_DIR/after_unsubscribe.stdout")"

# None of them got the help text.
e2e_assert_eq "no help text" "0" "$(e2e_events submit | e2e_json text | grep -c '回复Y开通推荐的业务')"
e2e_pass
