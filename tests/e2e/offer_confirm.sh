#!/bin/bash
# The loop the product exists for: an operator recommends a service, the
# subscriber answers "Ｙ" (full-width, as a feature phone's Chinese input
# sends it), exactly one activation order is POSTed with its Idempotency-Key,
# and the subscriber gets the confirmation and the result.  A second "y"
# makes no second call.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init offer_confirm
e2e_start_redis
e2e_start_sim
e2e_start_prov
e2e_write_conf
e2e_start_vasgwd
e2e_wait_bound
e2e_services

sub=8613800138000
out=$(e2e_vasgw --json recommend 13800138000 CL) || e2e_fail "recommend failed: $out"
e2e_assert_eq "offer status" "sent" "$(e2e_json offers.0.status <<<"$out")"
e2e_assert_eq "reply code" "1" "$(e2e_json offers.0.code <<<"$out")"
offer=$(e2e_json offers.0.offer <<<"$out")

e2e_wait_sms $sub 1
rec=$(e2e_sms_to $sub | head -n1)
e2e_assert_match "recommendation names the service" "彩铃" "$rec"
e2e_assert_match "recommendation carries the reply code" "回复1开通" "$rec"
e2e_assert_match "recommendation carries the opt-out" "回复TD退订" "$rec"
e2e_assert_eq "recommendation source" "10658000" "$(e2e_events submit | head -n1 | e2e_json source)"

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

e2e_wait_sms $sub 3
texts=$(e2e_sms_to $sub)
e2e_assert_match "confirmation received" "已收到您开通彩铃的确认" "$(sed -n 2p <<<"$texts")"
e2e_assert_match "activation result" "彩铃已为您开通" "$(sed -n 3p <<<"$texts")"
e2e_wait_for "order done" 5 eval '[ "$(e2e_vasgw --json order show "A$offer" | e2e_json state)" = done ]'
show=$(e2e_vasgw --json order show "A$offer")
e2e_assert_eq "order attempts" "1" "$(e2e_json attempts <<<"$show")"
e2e_assert_eq "order call outcome" "ok" "$(e2e_json calls.0.outcome <<<"$show")"
e2e_assert_eq "listed as done" "A$offer" "$(e2e_vasgw --json order list --state done | e2e_json 0.id)"

# A second confirmation: no second order, and the subscriber is told.
e2e_mo $sub "y"
e2e_wait_sms $sub 4
e2e_assert_match "second y: already active" "您已开通彩铃" "$(e2e_last_sms $sub)"
sleep 1
e2e_assert_eq "still one webhook call" "1" "$(e2e_prov_count_calls)"
e2e_assert_eq "one activation" "1" "$(e2e_prov_count_activations)"

# Recommending what the subscriber now holds is refused, with the rule.
out=$(e2e_vasgw recommend 13800138000 CL) && e2e_fail "recommend of a held service succeeded: $out"
e2e_assert_match "refusal names the rule" "already_subscribed" "$out"
e2e_assert_eq "no SMS for the refused offer" "4" "$(e2e_sms_count $sub)"
e2e_pass
