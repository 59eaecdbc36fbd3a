#!/bin/bash
# ZS and QX from a subscriber: "ZS CL" brings the knowledge SMS (what it is,
# price, how to use, how to cancel) with a reply code, "1" activates it;
# "QX CL" sends a deactivation order and, once done, the service cannot be
# recommended again within cancel_block_days.  Wrong codes and a bare QX
# are answered with what is valid.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init knowledge_cancel
e2e_start_subscriber_side

sub=8618800188000
# Lower case on purpose: commands are read whatever the case.
e2e_mo $sub "zs cl"
e2e_wait_sms_exact $sub 1
k=$(e2e_sms_to $sub | tr -d '\n')
e2e_assert_match "knowledge: what it is" "彩铃让来电者听到您选的歌" "$k"
e2e_assert_match "knowledge: price" "资费：5元/月" "$k"
e2e_assert_match "knowledge: usage" "拨打12530选歌" "$k"
e2e_assert_match "knowledge: cancel" "回复QX CL取消" "$k"
e2e_assert_match "knowledge: reply code" "回复1开通" "$k"
e2e_assert_match "knowledge: opt-out" "回复TD退订" "$k"

# Asking again, the same text (a person's second message: answered): the
# same SMS with the same code, not a second offer; and marketing the same
# service meanwhile is refused.
e2e_mo $sub "zs cl"
e2e_wait_sms_exact $sub 2
e2e_assert_eq "ZS again: the same SMS" "$k" "$(e2e_sms_to $sub | tail -n +2 | tr -d '\n')"
e2e_assert_eq "one offer" "1" "$(e2e_redis --scan --pattern 'vasgw:offer:*' | grep -c '^vasgw:offer:[^:]*$')"
e2e_expect_status second_offer 1 --json recommend 18800188000 CL
e2e_assert_eq "open offer named" "offer_pending" "$(e2e_json offers.0.rule <"$E2E_DIR/second_offer.stdout")"

n=$(e2e_sms_count $sub)
e2e_mo $sub "1"
e2e_wait_for "activation call" 10 eval '[ "$(e2e_prov_count_calls)" -ge 1 ]'
e2e_wait_sms_exact $sub $((n + 2))
e2e_assert_eq "one activation call" "1" "$(e2e_prov_count_calls)"
e2e_assert_eq "channel of a subscriber's own request" "sms" "$(e2e_prov GET /calls | e2e_json 0.body.channel)"
e2e_assert_match "activated" "彩铃已为您开通" "$(e2e_last_sms $sub)"

# ZS for a service already held: says so instead of offering it again.
n=$(e2e_sms_count $sub)
e2e_mo $sub "ZS CL"
e2e_wait_sms_exact $sub $((n + 1))
e2e_assert_match "ZS of a held service" "您已开通彩铃" "$(e2e_last_sms $sub)"

# QX CL: a deactivation order.
n=$(e2e_sms_count $sub)
e2e_mo $sub "QX CL"
e2e_wait_for "deactivation call" 10 eval '[ "$(e2e_prov_count_calls)" -ge 2 ]'
e2e_wait_sms_exact $sub $((n + 2))
e2e_assert_eq "one deactivation call" "2" "$(e2e_prov_count_calls)"
call=$(e2e_prov GET /calls | e2e_json 1)
e2e_assert_eq "deactivate action" "deactivate" "$(e2e_json body.action <<<"$call")"
e2e_assert_eq "deactivate service" "CL" "$(e2e_json body.service <<<"$call")"
texts=$(e2e_sms_to $sub | tail -n2)
e2e_assert_match "cancel received" "已收到您取消彩铃的请求" "$(head -n1 <<<"$texts")"
e2e_assert_match "deactivated" "彩铃已为您取消" "$(tail -n1 <<<"$texts")"
e2e_assert_eq "order list: both done" "2" "$(e2e_vasgw_ok --json order list --state done | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>console.log(JSON.parse(d).length))')"

# Cancelled: not recommended again within cancel_block_days.
e2e_expect_status after_cancel 1 --json recommend 18800188000 CL
e2e_assert_eq "cancel block named" "cancelled_recently" "$(e2e_json offers.0.rule <"$E2E_DIR/after_cancel.stdout")"

# QX of a service not held; QX without a code; ZS of an unknown code.
n=$(e2e_sms_count $sub)
e2e_mo $sub "QX SJB"
e2e_wait_sms_exact $sub $((n + 1))
e2e_assert_match "QX of a service not held" "您没有通过本号码开通手机报" "$(e2e_last_sms $sub)"
e2e_mo $sub "QX"
e2e_wait_sms_exact $sub $((n + 2))
e2e_assert_match "bare QX: how to write it" "QX 业务代码" "$(e2e_last_sms $sub)"
e2e_mo $sub "ZS XYZ"
e2e_wait_sms_exact $sub $((n + 3))
e2e_assert_eq "unknown code: the valid ones" "没有业务代码XYZ。可用代码：CL SJB" "$(e2e_last_sms $sub)"
# Every service disabled: an unknown code is answered that there is
# nothing to offer, not with an empty list of codes.
e2e_vasgw_ok service disable CL >/dev/null
e2e_vasgw_ok service disable SJB >/dev/null
e2e_mo $sub "ZS XYZ"
e2e_wait_sms_exact $sub $((n + 4))
e2e_assert_eq "none enabled: said so" "暂无可办理的业务，请稍后再试。" "$(e2e_last_sms $sub)"
e2e_assert_eq "no other webhook call" "2" "$(e2e_prov_count_calls)"
e2e_pass
