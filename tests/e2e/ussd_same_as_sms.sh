#!/bin/bash
# USSD and SMS cannot disagree: the same cases, each run for one number by
# SMS and for another through the USSD menu, give the same answer (the SMS
# answer's text is the dialogue's last screen) and the same state: a
# confirmation (the order, the activation), a decline of one offer, the
# cancellation of a service taken (a deactivation order), an opt-out and
# an opt-in, and a promoter's recommendation, every contact rule applied
# (one refused: the subscriber cancelled the service lately).  The orders made from the menu
# carry channel ussd, those by SMS the offer's.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init ussd_same_as_sms
e2e_start_subscriber_side
e2e_vasgw_ok promoter import /dev/stdin >/dev/null <<<"msisdn,name,outlet
8613900139000,王五,城关营业厅"

sms=8613800138001 ussd=8613800138002 prom=8613900139000

# the answer to the last SMS of `sms`, and the last screen of `ussd`;
# `answer N`: the Nth SMS to `sms` (when a result SMS may have followed)
same() {   # LABEL SCREEN_JSON [N]
	local want
	if [ -n "${3:-}" ]; then want=$(e2e_sms_to $sms | sed -n "${3}p"); else want=$(e2e_last_sms $sms); fi
	e2e_ussd_expect "$1 (USSD)" "$2" last "$want"
}
# SMS to a number, its USSD screens left out
plain_to() { e2e_events submit | grep -F "\"dest\":\"$1\"" | grep -F '"ussd_service_op":null' | e2e_json text; }
plain_count() { local n; n=$(plain_to "$1" | grep -c .); echo $((n)); }
wait_plain() {   # NUM N: N SMS (not screens) to NUM, and drained: no more
	e2e_wait_for "$2 SMS to $1" 10 eval '[ "$(plain_count '"$1"')" -ge '"$2"' ]'
	e2e_wait_drained
	e2e_assert_eq "SMS to $1" "$2" "$(plain_count "$1")"
}
offer_of() { e2e_redis HGET "vasgw:sub:{$1}:offers" "$2"; }
field() { e2e_redis HGET "$1" "$2"; }

# An offer of CL and one of SJB to each.
for m in $sms $ussd; do
	e2e_vasgw_ok recommend "$m" CL SJB >/dev/null
done
e2e_wait_sms_exact $sms 2
wait_plain $ussd 2

# Confirm CL (code 1).
e2e_mo $sms 1
e2e_wait_sms $sms 3 # the activation's result may follow at once
s=$(e2e_ussd_dial $ussd)
s=$(e2e_ussd_answer $ussd 1)
e2e_ussd_expect "pending offers" "$s" more $'待确认的推荐：\n1 彩铃\n2 手机报\n0返回 00主页'
s=$(e2e_ussd_answer $ussd 1)
e2e_ussd_expect "the offer" "$s" more $'彩铃：5元/月\n1 开通\n2 不需要\n0返回 00主页'
s=$(e2e_ussd_answer $ussd 1)
same "confirm" "$s" 3
for m in $sms $ussd; do
	o=$(offer_of $m 1)
	e2e_assert_eq "$m: offer confirmed" confirmed "$(field vasgw:offer:$o state)"
	e2e_assert_eq "$m: its order" activate "$(field vasgw:order:A$o action)"
done
e2e_assert_eq "order by SMS: the offer's channel" "$(field vasgw:offer:$(offer_of $sms 1) channel)" \
	"$(field vasgw:order:A$(offer_of $sms 1) channel)"
e2e_assert_eq "order from the menu: channel ussd" ussd "$(field vasgw:order:A$(offer_of $ussd 1) channel)"
e2e_wait_for "both activated" 10 eval '[ "$(e2e_prov_count_activations)" = 2 ]'
e2e_wait_sms_exact $sms 4
wait_plain $ussd 3 # the two offers, the result SMS
e2e_assert_eq "the same result SMS" "$(e2e_last_sms $sms)" "$(plain_to $ussd | tail -n1)"

# Decline SJB (code 2): by SMS N (the only one pending), from the menu 2.
e2e_mo $sms N
e2e_wait_sms_exact $sms 5
s=$(e2e_ussd_dial $ussd)
s=$(e2e_ussd_answer $ussd 1)
e2e_ussd_expect "one offer pending" "$s" more $'待确认的推荐：\n1 手机报\n0返回 00主页'
s=$(e2e_ussd_answer $ussd 1)
s=$(e2e_ussd_answer $ussd 2)
same "decline" "$s"
for m in $sms $ussd; do
	e2e_assert_eq "$m: SJB declined" declined "$(field vasgw:offer:$(offer_of $m 2) state)"
done
# declined, it is still open to an answer, by SMS and in the menu alike
s=$(e2e_ussd_dial $ussd)
s=$(e2e_ussd_answer $ussd 1)
e2e_ussd_expect "a declined offer still listed" "$s" more $'待确认的推荐：\n1 手机报\n0返回 00主页'
e2e_ussd_abort $ussd

# Cancel CL: QX CL, and the menu's services.
e2e_mo $sms "QX CL"
e2e_wait_sms $sms 6
s=$(e2e_ussd_dial $ussd)
s=$(e2e_ussd_answer $ussd 2)
e2e_ussd_expect "services taken" "$s" more $'您通过本渠道开通的业务：\n1 彩铃\n0返回 00主页'
s=$(e2e_ussd_answer $ussd 1)
e2e_ussd_expect "cancel?" "$s" more $'取消彩铃？\n1 确认\n0返回 00主页'
s=$(e2e_ussd_answer $ussd 1)
same "cancel" "$s" 6
deactivation_channel() {   # MSISDN: the channel of its deactivation order
	e2e_redis EVAL "for _, k in ipairs(redis.call('KEYS', 'vasgw:order:D*')) do
  if redis.call('TYPE', k).ok == 'hash' and redis.call('HGET', k, 'msisdn') == ARGV[1] then
    return redis.call('HGET', k, 'channel') end end return ''" 0 "$1"
}
e2e_assert_eq "deactivation from the menu: channel ussd" ussd "$(deactivation_channel $ussd)"
e2e_assert_eq "deactivation by SMS: channel sms" sms "$(deactivation_channel $sms)"
e2e_wait_for "both deactivated" 10 eval \
	'[ "$(e2e_redis HGET "vasgw:sub:{$sms}" svc:CL)" = cancelled ] && [ "$(e2e_redis HGET "vasgw:sub:{$ussd}" svc:CL)" = cancelled ]'
e2e_wait_sms_exact $sms 7
wait_plain $ussd 4
e2e_assert_eq "the same deactivation SMS" "$(e2e_last_sms $sms)" "$(plain_to $ussd | tail -n1)"

# Opt out, opt back in.
e2e_mo $sms TD
e2e_wait_sms_exact $sms 8
s=$(e2e_ussd_dial $ussd)
s=$(e2e_ussd_answer $ussd 3)
s=$(e2e_ussd_answer $ussd 1)
same "opt out" "$s"
for m in $sms $ussd; do
	e2e_assert_eq "$m: opted out" 1 "$(field "vasgw:sub:{$m}" optout)"
done
# A promoter's recommendation to each now: refused by the same rule.
e2e_mo $prom "TJ ${sms#86} CL"
wait_plain $prom 2 # the import's welcome, the TJ result
p=$(e2e_ussd_dial $prom)
p=$(e2e_ussd_answer $prom 1)
p=$(e2e_ussd_answer $prom "${ussd#86}")
p=$(e2e_ussd_answer $prom 1)
p=$(e2e_ussd_answer $prom 1)
e2e_ussd_expect "recommendation refused (USSD)" "$p" last \
	"$(plain_to $prom | tail -n1 | sed "s/${sms#86}/${ussd#86}/")"
e2e_assert_match "refused (cancelled lately)" "CL未发送\(用户近期退订过\)" "$(e2e_ussd_text <<<"$p")"

s=$(e2e_ussd_dial $ussd)
e2e_ussd_expect "opted out: 3 is opting in" "$s" more \
	$'自助服务\n1 待确认的推荐\n2 我开通的业务\n3 恢复推荐短信\n4 注册推广员'
e2e_mo $sms DY
e2e_wait_sms_exact $sms 9
s=$(e2e_ussd_answer $ussd 3)
e2e_ussd_expect "opt in?" "$s" more $'恢复接收业务推荐短信？\n1 确认\n0返回 00主页'
s=$(e2e_ussd_answer $ussd 1)
same "opt in" "$s"
for m in $sms $ussd; do
	e2e_assert_eq "$m: opted in" 0 "$(field "vasgw:sub:{$m}" optout)"
done

# The recommendation again (SJB), now made: the same result both ways.
e2e_mo $prom "TJ ${sms#86} SJB"
wait_plain $prom 3
p=$(e2e_ussd_dial $prom)
p=$(e2e_ussd_answer $prom 1)
p=$(e2e_ussd_answer $prom "${ussd#86}")
p=$(e2e_ussd_answer $prom 2)
p=$(e2e_ussd_answer $prom 1)
e2e_ussd_expect "recommendation (USSD)" "$p" last \
	"$(plain_to $prom | tail -n1 | sed "s/${sms#86}/${ussd#86}/")"
e2e_wait_sms_exact $sms 10
wait_plain $ussd 5
e2e_assert_eq "the same offer SMS" "$(e2e_last_sms $sms)" "$(plain_to $ussd | tail -n1)"
e2e_assert_eq "offer by SMS: channel sms" sms "$(field vasgw:offer:$(offer_of $sms 1) channel)"
e2e_assert_eq "offer from the menu: channel ussd" ussd "$(field vasgw:offer:$(offer_of $ussd 1) channel)"
e2e_pass
