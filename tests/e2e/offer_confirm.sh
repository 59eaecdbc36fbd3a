#!/bin/bash
# The loop the product exists for: an operator recommends a service, the
# subscriber answers "Ｙ" (full-width, as a feature phone's Chinese input
# sends it), exactly one activation order is POSTed with its Idempotency-Key,
# and the subscriber gets the confirmation and the result.  The same "Ｙ"
# sent again is a new message, answered, and makes no second call.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init offer_confirm
e2e_start_subscriber_side

sub=8613800138000
out=$(e2e_vasgw --json recommend 13800138000 CL) || e2e_fail "recommend failed: $out"
e2e_assert_eq "offer status" "sent" "$(e2e_json offers.0.status <<<"$out")"
e2e_assert_eq "reply code" "1" "$(e2e_json offers.0.code <<<"$out")"
offer=$(e2e_json offers.0.offer <<<"$out")

e2e_wait_sms_exact $sub 1
rec=$(e2e_sms_to $sub | head -n1)
e2e_assert_match "recommendation names the service" "彩铃" "$rec"
e2e_assert_match "recommendation carries the reply code" "回复1开通" "$rec"
e2e_assert_match "recommendation carries the opt-out" "回复TD退订" "$rec"
e2e_assert_eq "recommendation source" "10658000" "$(e2e_events submit | head -n1 | e2e_json source)"

# Full-width on purpose: the normalisation a feature phone's input needs.
e2e_mo $sub "Ｙ"
e2e_wait_for "one webhook call" 10 eval '[ "$(e2e_prov_count_calls)" -ge 1 ]'
call=$(e2e_prov GET /calls)
e2e_assert_eq "webhook key = order id" "A$offer" "$(e2e_json 0.key <<<"$call")"
e2e_assert_eq "webhook content type" "application/json" "$(e2e_json 0.content_type <<<"$call")"
e2e_assert_eq "webhook action" "activate" "$(e2e_json 0.body.action <<<"$call")"
e2e_assert_eq "webhook msisdn" "$sub" "$(e2e_json 0.body.msisdn <<<"$call")"
e2e_assert_eq "webhook service" "CL" "$(e2e_json 0.body.service <<<"$call")"
e2e_assert_eq "webhook provision_code" "P_CL" "$(e2e_json 0.body.provision_code <<<"$call")"
e2e_assert_eq "webhook channel" "api" "$(e2e_json 0.body.channel <<<"$call")"
e2e_assert_eq "webhook offer_id" "$offer" "$(e2e_json 0.body.offer_id <<<"$call")"
e2e_assert_match "webhook requested_at in local time" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+08:00$' \
	"$(e2e_json 0.body.requested_at <<<"$call")"

e2e_wait_sms_exact $sub 3
texts=$(e2e_sms_to $sub)
e2e_assert_match "confirmation received" "已收到您开通彩铃的确认" "$(sed -n 2p <<<"$texts")"
e2e_assert_match "activation result" "彩铃已为您开通" "$(sed -n 3p <<<"$texts")"
show=$(e2e_vasgw_ok --json order show "A$offer")
e2e_assert_eq "order done" "done" "$(e2e_json state <<<"$show")"
e2e_assert_eq "order attempts" "1" "$(e2e_json attempts <<<"$show")"
e2e_assert_eq "order call outcome" "ok" "$(e2e_json calls.0.outcome <<<"$show")"
e2e_assert_eq "listed as done" "A$offer" "$(e2e_vasgw_ok --json order list --state done | e2e_json 0.id)"
e2e_assert_eq "one webhook call" "1" "$(e2e_prov_count_calls)"

# The same "Ｙ" again: a person's second message (only an SMSC's redelivery
# is dropped), answered, with no second order.  Once it is answered and
# the streams are drained, no order can still be on its way: counted exactly.
e2e_mo $sub "Ｙ"
e2e_wait_sms_exact $sub 4
e2e_assert_match "second Ｙ: already active" "您已开通彩铃" "$(e2e_last_sms $sub)"
e2e_assert_eq "still one order" "1" "$(e2e_vasgw_ok --json order list | e2e_json length)"
e2e_assert_eq "still one webhook call" "1" "$(e2e_prov_count_calls)"
e2e_assert_eq "one activation" "1" "$(e2e_prov_count_activations)"
e2e_assert_eq "MO stored" "2" "$(e2e_redis HGET vasgw:stats mo)"

# Recommending what the subscriber now holds is refused (exit 1), with the rule.
e2e_expect_status recommend_held 1 recommend 13800138000 CL
e2e_assert_match "refusal names the rule" "already_subscribed" "$(cat "$E2E_DIR/recommend_held.stdout")"
e2e_wait_drained
e2e_assert_eq "no SMS for the refused offer" "4" "$(e2e_sms_count $sub)"
e2e_assert_eq "no offer record for it" "1" "$(e2e_redis --scan --pattern 'vasgw:offer:*' | grep -c '^vasgw:offer:[^:]*$')"
e2e_pass
