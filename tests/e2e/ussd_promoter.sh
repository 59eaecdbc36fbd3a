#!/bin/bash
# A village agent's day through the USSD menu only: a number of the
# segments dials, registers (name, outlet: pending, its state shown on the
# next dial), the operator approves; the promoter menu recommends CL to a
# subscriber (number, service, confirm: the result is the last screen),
# whose offer SMS carries its reply code; the subscriber's "Y" by SMS
# activates it; the promoter's next 查询佣金 shows the activation and
# 最近发展 the development with its audit state, 其他月份 any month (as
# CX YYYYMM); 业务知识 shows a service
# and sends its knowledge SMS to a subscriber; 我的自助服务 is the
# subscriber menu; the promoter's own number is refused where it is
# entered; a promoter whose number left the segments gets the subscriber
# menu, as its SMS commands are refused.  Every order and offer made
# from the menu carries channel ussd.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init ussd_promoter
e2e_start_subscriber_side

agent=8613900139001 sub=8613800138000 other=8613800138001
home_sub=$'自助服务\n1 待确认的推荐\n2 我开通的业务\n3 退订推荐短信\n4 注册推广员'

# Registration: 4, a name, an outlet.
s=$(e2e_ussd_dial $agent)
e2e_ussd_expect "subscriber menu" "$s" more "$home_sub"
s=$(e2e_ussd_answer $agent 4)
e2e_ussd_expect "name asked" "$s" more $'注册推广员，请输入您的姓名：\n0返回 00主页'
s=$(e2e_ussd_answer $agent "王五")
e2e_ussd_expect "outlet asked" "$s" more $'请输入您的网点名称：\n0返回 00主页'
s=$(e2e_ussd_answer $agent "城关营业厅")
e2e_ussd_expect "registered" "$s" last "王五，您的推广员注册已受理，工号10001，审核通过后短信通知您。"
e2e_assert_eq "record: pending" pending "$(e2e_redis HGET vasgw:promoter:$agent status)"
e2e_assert_eq "record: outlet" "城关营业厅" "$(e2e_redis HGET vasgw:promoter:$agent outlet)"
e2e_assert_eq "record: registered through USSD" ussd "$(e2e_redis HGET vasgw:promoter:$agent source)"
e2e_assert_eq "session closed with the last screen" 0 "$(e2e_redis EXISTS "vasgw:ussd:{$agent}")"
# Pending: the subscriber menu, 4 shows the registration's state.
s=$(e2e_ussd_dial $agent)
e2e_ussd_expect "pending: subscriber menu" "$s" more \
	$'自助服务\n1 待确认的推荐\n2 我开通的业务\n3 退订推荐短信\n4 我的推广员注册'
s=$(e2e_ussd_answer $agent 4)
e2e_ussd_expect "pending: its state" "$s" last "推广员工号10001：待审核。"

e2e_vasgw_ok promoter approve $agent >/dev/null
e2e_wait_sms $agent 3 # the two last screens and the approval SMS
e2e_assert_match "approval SMS" "您已成为推广员，工号10001" "$(e2e_last_sms $agent)"

# 1 推荐业务: a bad number is asked again, then the number, CL, confirm.
home=$'推广员菜单（工号10001）\n1 推荐业务\n2 查询佣金\n3 业务知识\n4 我的自助服务'
s=$(e2e_ussd_dial $agent)
e2e_ussd_expect "promoter menu" "$s" more "$home"
s=$(e2e_ussd_answer $agent 1)
e2e_ussd_expect "number asked" "$s" more $'请输入用户手机号：\n0返回 00主页'
s=$(e2e_ussd_answer $agent 1380013)
e2e_ussd_expect "bad number: asked again" "$s" more \
	$'号码有误，请输入11位手机号。\n请输入用户手机号：\n0返回 00主页'
s=$(e2e_ussd_answer $agent 13900139001)
e2e_ussd_expect "its own number: refused there, as TJ refuses it" "$s" more \
	$'不能向本人号码推荐，请输入用户手机号。\n请输入用户手机号：\n0返回 00主页'
s=$(e2e_ussd_answer $agent 13800138000)
e2e_ussd_expect "services" "$s" more $'向13800138000推荐：\n1 彩铃\n2 手机报\n0返回 00主页'
s=$(e2e_ussd_answer $agent 1)
e2e_ussd_expect "confirm" "$s" more $'向13800138000推荐彩铃？\n1 确认\n0返回 00主页'
s=$(e2e_ussd_answer $agent 1)
e2e_ussd_expect "result" "$s" last "工号10001向13800138000推荐：彩铃已发送(回复1)"
e2e_wait_sms_exact $sub 1
e2e_assert_match "the subscriber's offer SMS, its reply code" "回复1开通" "$(e2e_last_sms $sub)"
offer=$(e2e_redis HGET "vasgw:sub:{$sub}:offers" 1)
[ -n "$offer" ] || e2e_fail "no offer under code 1"
e2e_assert_eq "offer: made by the promoter" $agent "$(e2e_redis HGET vasgw:offer:$offer promoter)"
e2e_assert_eq "offer: channel ussd" ussd "$(e2e_redis HGET vasgw:offer:$offer channel)"
e2e_assert_eq "the promoter's daily count" 1 "$(e2e_redis GET "vasgw:promoter:$agent:tj:$(TZ=Asia/Shanghai date +%Y%m%d)")"

# The subscriber's "Y" by SMS: the order (the offer's channel), activated.
e2e_mo $sub Y
e2e_wait_for "the activation" 10 eval '[ "$(e2e_prov_count_activations)" = 1 ]'
e2e_wait_sms_exact $sub 3 # the offer, the confirmation, the result
e2e_assert_match "activated" "彩铃已为您开通" "$(e2e_last_sms $sub)"
order=$(e2e_redis HGET vasgw:offer:$offer order)
e2e_assert_eq "order: channel ussd (the offer's)" ussd "$(e2e_redis HGET vasgw:order:$order channel)"
e2e_assert_eq "order: done" done "$(e2e_redis HGET vasgw:order:$order state)"
e2e_assert_eq "webhook: channel ussd" ussd "$(e2e_prov GET /calls | node -e '
let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const c=JSON.parse(s);
process.stdout.write(String(c[c.length-1].body.channel))})')"

# 2 查询佣金: this month shows the activation; 1 最近发展 the development.
month=$(TZ=Asia/Shanghai date +%Y%m)
s=$(e2e_ussd_dial $agent)
s=$(e2e_ussd_answer $agent 2)
text=$(e2e_ussd_text <<<"$s")
e2e_assert_match "commission: this month" "^工号10001佣金（元）
$month 推荐1 开通1 有效0 无效0 待结" "$text"
e2e_assert_eq "commission: a page follows" $'#下一页\n0返回 00主页' "$(tail -n2 <<<"$text")"
s=$(e2e_ussd_answer $agent "#")
text=$(e2e_ussd_text <<<"$s")
e2e_assert_match "commission: last month, then the details" \
	"[0-9]{6} 推荐0 开通0 有效0 无效0 待结0.00 已结0.00
1 最近发展
2 其他月份
0返回 00主页" "$text"
s=$(e2e_ussd_answer $agent 1)
e2e_ussd_expect "developments" "$s" more \
	"$(printf '最近发展：\n%s 138****8000 CL 待审核\n0返回 00主页' "$(TZ=Asia/Shanghai date +%m-%d)")"

# 0 back, 00 home, 3 业务知识: CL's details, sent to a subscriber.
s=$(e2e_ussd_answer $agent 0)
e2e_assert_match "back: the commission's page it was left at" "^[0-9]{6} 推荐0 " "$(e2e_ussd_text <<<"$s")"
s=$(e2e_ussd_answer $agent 00)
e2e_ussd_expect "home" "$s" more "$home"
# 其他月份: any month, as CX YYYYMM (a month that is not one is asked again)
s=$(e2e_ussd_answer $agent 2)
s=$(e2e_ussd_answer $agent 2)
e2e_ussd_expect "month asked" "$s" more $'请输入要查询的月份，例如202611：\n0返回 00主页'
s=$(e2e_ussd_answer $agent 202613)
e2e_ussd_expect "not a month" "$s" more \
	$'月份有误，请按202611的格式输入。\n请输入要查询的月份，例如202611：\n0返回 00主页'
s=$(e2e_ussd_answer $agent "$month")
e2e_assert_match "that month" "^工号10001佣金（元）
$month 推荐1 开通1 有效0 无效0 待结[0-9.]+ 已结0.00
0返回 00主页\$" "$(e2e_ussd_text <<<"$s")"
s=$(e2e_ussd_answer $agent 00)
s=$(e2e_ussd_answer $agent 3)
e2e_ussd_expect "service guide" "$s" more $'业务知识：\n1 彩铃\n2 手机报\n0返回 00主页'
s=$(e2e_ussd_answer $agent 1)
e2e_ussd_expect "CL's details" "$s" more \
	$'【彩铃】5元/月。彩铃让来电者听到您选的歌。\n1 发送给用户\n0返回 00主页'
s=$(e2e_ussd_answer $agent 1)
e2e_ussd_expect "send to" "$s" more $'发送彩铃介绍，请输入用户手机号：\n0返回 00主页'
s=$(e2e_ussd_answer $agent 13800138001)
e2e_ussd_expect "sent" "$s" last "工号10001向13800138001推荐：彩铃已发送(回复1)"
e2e_wait_sms_exact $other 1
e2e_assert_match "the knowledge SMS" "彩铃让来电者听到您选的歌。.*回复1开通" "$(e2e_last_sms $other)"

# 4 我的自助服务: a promoter is a subscriber too.
s=$(e2e_ussd_dial $agent)
s=$(e2e_ussd_answer $agent 4)
e2e_ussd_expect "its own services" "$s" more \
	$'自助服务\n1 待确认的推荐\n2 我开通的业务\n3 退订推荐短信\n4 我的推广员注册\n0返回 00主页'
s=$(e2e_ussd_answer $agent 00)
e2e_ussd_expect "00: the promoter menu" "$s" more "$home"
e2e_ussd_abort $agent

# Approved, but the number is no longer in [promoters] number_segments: the
# promoter commands refuse it by SMS, and the menu is the subscriber's.
e2e_stop_vasgwd
e2e_write_conf promoters.number_segments=138
e2e_start_vasgwd
e2e_wait_bound
s=$(e2e_ussd_dial $agent)
e2e_ussd_expect "outside the segments: the subscriber menu" "$s" more \
	$'自助服务\n1 待确认的推荐\n2 我开通的业务\n3 退订推荐短信\n4 我的推广员注册'
e2e_ussd_abort $agent

e2e_wait_drained
e2e_assert_eq "no session left" "" "$(e2e_redis KEYS 'vasgw:ussd:*' | grep -v late)"
e2e_pass
