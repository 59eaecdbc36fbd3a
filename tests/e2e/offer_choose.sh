#!/bin/bash
# Several offers pending: each SMS shows its own code; a bare "Y" gets the
# list to choose from; "2" confirms the second; "N" declines; a reply after
# the offer lapsed is told so; a stray code is answered with help once; a
# tenth open offer is refused (too_many_offers).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init offer_choose
e2e_start_subscriber_side

sub=8613900139000
out=$(e2e_vasgw --json recommend 13900139000 CL SJB) || e2e_fail "recommend failed: $out"
e2e_assert_eq "codes" $'1\n2' "$(e2e_json offers <<<"$out" | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>JSON.parse(d).forEach(o=>console.log(o.code)))')"
cl_offer=$(e2e_json offers.0.offer <<<"$out") sjb_offer=$(e2e_json offers.1.offer <<<"$out")
if [ -z "$cl_offer" ] || [ -z "$sjb_offer" ]; then e2e_fail "no offer ids: $out"; fi
offer_state() { e2e_redis HGET "vasgw:offer:$1" state; }
e2e_wait_sms_exact $sub 2
e2e_assert_match "first offer: code 1" "回复1开通" "$(e2e_sms_to $sub | grep 彩铃)"
e2e_assert_match "second offer: code 2" "回复2开通" "$(e2e_sms_to $sub | grep 手机报)"

e2e_mo $sub "Y"
e2e_wait_sms_exact $sub 3
e2e_assert_eq "bare Y: the list" "您有多个待开通业务，请回复编号选择：回复1开通彩铃，回复2开通手机报" "$(e2e_last_sms $sub)"
e2e_assert_eq "no order yet" "0" "$(e2e_prov_count_calls)"

# Full-width on purpose: a feature phone's digit, normalised.
e2e_mo $sub "２"
e2e_wait_sms_exact $sub 5
e2e_assert_eq "one webhook call" "1" "$(e2e_prov_count_calls)"
e2e_assert_eq "the second service ordered" "SJB" "$(e2e_prov GET /calls | e2e_json 0.body.service)"
e2e_assert_match "activated" "手机报已为您开通" "$(e2e_last_sms $sub)"

# The same "２" again (a person's second message, not a redelivery) names
# the offer just confirmed, although CL (code 1) is still open: the answer
# is about SJB's order, and CL is not ordered.
e2e_mo $sub "２"
e2e_wait_sms_exact $sub 6
e2e_assert_eq "２ again: already active" "您已开通手机报，无需重复办理。" "$(e2e_last_sms $sub)"
e2e_assert_eq "still one order" "1" "$(e2e_prov_count_calls)"
e2e_assert_eq "one order record" "1" "$(e2e_vasgw_ok --json order list | e2e_json length)"

# One offer left (CL): "N" declines it, and a later "Y" may still take it
# while it has not lapsed; here the subscriber says no for good.
e2e_mo $sub "不要"
e2e_wait_sms_exact $sub 7
e2e_assert_eq "declined" "好的，不为您开通彩铃。" "$(e2e_last_sms $sub)"
e2e_assert_eq "the CL offer's record: declined" declined "$(offer_state "$cl_offer")"
e2e_assert_eq "the SJB offer's record: confirmed" confirmed "$(offer_state "$sjb_offer")"

# A lapsed offer: move its expiry into the past, as 48 hours would.
out=$(e2e_vasgw --json recommend 13700137000 CL) || e2e_fail "recommend failed: $out"
offer=$(e2e_json offers.0.offer <<<"$out")
e2e_wait_sms_exact 8613700137000 1
e2e_redis HSET "vasgw:offer:$offer" expires 1 >/dev/null
e2e_mo 8613700137000 "是的！"
e2e_wait_sms_exact 8613700137000 2
e2e_assert_match "lapsed offer" "推荐已过期" "$(e2e_last_sms 8613700137000)"
e2e_assert_eq "no order for the lapsed offer" "1" "$(e2e_prov_count_calls)"
# Lapsed by its expiry, not by an event (handlers/lua/states.lua): the
# record stays pending, with no order.
e2e_assert_eq "the lapsed offer's record: pending, no order" "pending|" \
	"$(e2e_redis HMGET "vasgw:offer:$offer" state order | tr '\n' '|' | sed 's/|$//')"

# No offer at all: "Y" is told so; a code shaped word that is no offer is
# unknown text, answered with help once a day.
e2e_mo 8613600136000 "Y"
e2e_wait_sms_exact 8613600136000 1
e2e_assert_match "no offer" "没有待确认的业务" "$(e2e_last_sms 8613600136000)"
e2e_mo 8613600136000 "ABC"
e2e_wait_sms_exact 8613600136000 2
e2e_assert_match "unknown text: help" "回复Y开通推荐" "$(e2e_last_sms 8613600136000)"
# More unknown text, then BZ (help on request, answered every time): once
# BZ is answered and the streams drained, "hello there" was handled and
# got nothing, in order.
e2e_mo 8613600136000 "hello there"
e2e_mo 8613600136000 "BZ"
e2e_wait_sms_exact 8613600136000 3
e2e_assert_match "BZ: help again" "回复Y开通推荐" "$(e2e_last_sms 8613600136000)"
e2e_assert_eq "MO from it stored" "4" "$(for k in $(e2e_redis --scan --pattern 'vasgw:mo:[0-9]*'); do e2e_redis HGET "$k" from; done | grep -c 8613600136000)"

# Reply codes are 1-9: ten services offered in one contact, the tenth is
# refused (too_many_offers), with no SMS and no offer record; the call
# made offers, so it exits 0.
svcs="CL SJB"
for i in 1 2 3 4 5 6 7 8; do
	e2e_vasgw service add "V$i" --name "业务$i" --price 1元/月 --provision-code "P_V$i" \
		--commission-fen 0 >/dev/null || e2e_fail "service add V$i"
	svcs="$svcs V$i"
done
# shellcheck disable=SC2086  # the codes, one argument each
e2e_expect_status ten 0 --json recommend 13500135009 $svcs
out=$(cat "$E2E_DIR/ten.stdout")
e2e_assert_eq "nine sent with codes 1-9, the tenth refused" "sent1 sent2 sent3 sent4 sent5 sent6 sent7 sent8 sent9 refused" \
	"$(e2e_json offers <<<"$out" | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>console.log(JSON.parse(d).map(o=>o.status+(o.code||"")).join(" ")))')"
e2e_assert_eq "the rule" "V8 too_many_offers" "$(e2e_json offers.9.service <<<"$out") $(e2e_json offers.9.rule <<<"$out")"
refused=$(e2e_json offers.9.offer <<<"$out")
[ -n "$refused" ] || e2e_fail "no offer id for the refused one: $out"
e2e_assert_eq "no record of the refused offer" "0" "$(e2e_redis EXISTS "vasgw:offer:$refused" "vasgw:msg:of-$refused")"
e2e_wait_sms_exact 8613500135009 9
e2e_assert_eq "no SMS names the tenth" "0" "$(e2e_sms_to 8613500135009 | grep -c 业务8)"
e2e_assert_eq "counted by rule" "1" "$(e2e_vasgw_ok --json stats | e2e_json offers_refused.too_many_offers)"
e2e_pass
