#!/bin/bash
# A promoter's day by SMS: ZC registers (pending, with a staff number), a
# second ZC answers with the registration, the operator approves (SMS),
# TJ before approval is refused; after it TJ recommends to a subscriber,
# whose "Y" activates the service and credits the promoter a development
# that CX and CX MX show; YW lists the codes.  TJ's errors are each
# answered; a number outside number_segments cannot act as a promoter;
# two promoters recommending one service to one number: only the confirmed
# offer's promoter is credited, and only once, though the subscriber's
# "Y" sent twice is answered twice.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init promoter_sms
e2e_start_redis
e2e_start_sim
e2e_start_prov
e2e_write_conf promoters.daily_recommend_limit=3 policy.mo_rate_limit_per_min=100
e2e_start_vasgwd
e2e_wait_bound
e2e_services

pa=8613900139001 pb=8613900139002 sub=8613800138000
# Registration.
e2e_mo $pa "ZC 张三 城关营业厅"
e2e_wait_sms_exact $pa 1
e2e_assert_eq "ZC: pending, staff number" "张三，您的推广员注册已受理，工号10001，审核通过后短信通知您。" "$(e2e_last_sms $pa)"
e2e_mo $pa "zc 张三"
e2e_wait_sms_exact $pa 2
e2e_assert_eq "second ZC: the registration" "您已注册推广员：张三，工号10001，待审核。" "$(e2e_last_sms $pa)"
e2e_mo $pa "TJ 13800138000 CL"
e2e_wait_sms_exact $pa 3
e2e_assert_match "TJ before approval refused" "仅限已审核通过的推广员" "$(e2e_last_sms $pa)"
e2e_vasgw promoter approve 13900139001 >/dev/null || e2e_fail "promoter approve failed"
e2e_wait_sms_exact $pa 4
e2e_assert_match "approval SMS" "您已成为推广员，工号10001" "$(e2e_last_sms $pa)"

# A number outside the segments (an MVNO range) cannot register.
e2e_mo 8617000170000 "ZC 李四"
e2e_wait_sms_exact 8617000170000 1
e2e_assert_match "outside number_segments" "只有本网号码可以注册" "$(e2e_last_sms 8617000170000)"

# TJ: one sent, one unknown code (the valid codes listed).
e2e_mo $pa "TJ 13800138000 CL XX"
e2e_wait_sms_exact $pa 5
e2e_wait_sms_exact $sub 1
r=$(e2e_last_sms $pa)
e2e_assert_match "TJ result: sent with the code" "工号10001向13800138000推荐：彩铃已发送\(回复1\)" "$r"
e2e_assert_match "TJ result: unknown code" "XX未发送\(无此业务\)" "$r"
e2e_assert_match "TJ result: the valid codes" "业务代码：CL 彩铃，SJB 手机报" "$r"
e2e_assert_match "the subscriber's recommendation" "回复1开通" "$(e2e_last_sms $sub)"

# TJ errors.
e2e_mo $pa "TJ 12345 CL"
e2e_wait_sms_exact $pa 6
e2e_assert_match "malformed number" "推荐请发送：TJ 手机号 业务代码" "$(e2e_last_sms $pa)"
e2e_mo $pa "TJ 13900139001 SJB"
e2e_wait_sms_exact $pa 7
e2e_assert_match "own number" "不能向本人号码推荐" "$(e2e_last_sms $pa)"
e2e_mo $sub "TD"
e2e_wait_sms_exact $sub 2
e2e_mo $pa "TJ 13800138000 SJB"
e2e_wait_sms_exact $pa 8
e2e_assert_match "opted-out subscriber" "SJB未发送\(用户已退订\)" "$(e2e_last_sms $pa)"
e2e_mo $sub "DY"
e2e_wait_sms_exact $sub 3
e2e_mo $pa "TJ 13700137000 SJB"
e2e_wait_sms_exact $pa 9
e2e_assert_match "daily limit" "今日推荐已达3次上限" "$(e2e_last_sms $pa)"

# The subscriber confirms: one activation, one development for promoter A.
e2e_mo $sub "Y"
e2e_wait_for "activation" 10 eval '[ "$(e2e_prov_count_activations)" -ge 1 ]'
e2e_wait_sms_exact $sub 5
e2e_assert_eq "one activation" "1" "$(e2e_prov_count_activations)"
e2e_assert_eq "one webhook call" "1" "$(e2e_prov_count_calls)"
e2e_assert_eq "webhook: the promoter" "$pa" "$(e2e_prov GET /calls | e2e_json 0.body.promoter)"
e2e_assert_eq "webhook: channel" "sms" "$(e2e_prov GET /calls | e2e_json 0.body.channel)"
dev_count() { e2e_redis ZCARD "vasgw:devs:promoter:$1"; }
e2e_wait_for "the development" 10 eval '[ "$(dev_count $pa)" = 1 ]'
dev=$(e2e_redis ZRANGE "vasgw:devs:promoter:$pa" 0 -1)
e2e_assert_eq "development: amount from the rule" "300" "$(e2e_redis HGET "vasgw:dev:$dev" amount_fen)"
e2e_assert_eq "development: pending" "pending" "$(e2e_redis HGET "vasgw:dev:$dev" state)"

n=$(e2e_sms_count $pa)
e2e_mo $pa "CX"
e2e_wait_sms_exact $pa $((n + 1))
e2e_assert_match "CX: the month" "工号10001 [0-9]{6}：推荐1，确认1，开通1，有效0，无效0，待结佣金3.00元，已结0.00元。" "$(e2e_last_sms $pa)"
e2e_mo $pa "CX MX"
e2e_wait_sms_exact $pa $((n + 2))
e2e_assert_match "CX MX: the development" "工号10001最近发展：[0-9]{2}-[0-9]{2} 138\*\*\*\*8000 CL 待审核" "$(e2e_last_sms $pa)"
e2e_mo $pa "YW"
e2e_wait_sms_exact $pa $((n + 3))
e2e_assert_eq "YW" "业务代码：CL 彩铃，SJB 手机报" "$(e2e_last_sms $pa)"

# Two promoters recommend SJB to one subscriber (the second offer is
# refused while the first is open); the subscriber confirms; only the
# confirmed offer's promoter is credited, once.
e2e_mo $pb "ZC 王五"
e2e_wait_sms_exact $pb 1
e2e_vasgw promoter approve 13900139002 >/dev/null || e2e_fail "promoter approve B failed"
e2e_wait_sms_exact $pb 2
s2=8613600136000
e2e_mo $pb "TJ 13600136000 SJB"
e2e_wait_sms_exact $pb 3
e2e_assert_match "B's offer sent" "手机报已发送" "$(e2e_last_sms $pb)"
e2e_expect_status second_offer 1 --json recommend 13600136000 SJB --promoter 13900139001
e2e_assert_eq "a second open offer of SJB refused" "refused offer_pending" \
	"$(e2e_json offers.0.status <"$E2E_DIR/second_offer.stdout") $(e2e_json offers.0.rule <"$E2E_DIR/second_offer.stdout")"
e2e_wait_sms_exact $s2 1
e2e_mo $s2 "Y"
e2e_wait_for "B's development" 10 eval '[ "$(dev_count $pb)" = 1 ]'
# The recommendation, the confirmation and the result.
e2e_wait_sms_exact $s2 3
e2e_assert_match "activated" "手机报已为您开通" "$(e2e_last_sms $s2)"
# The same "Y" again: a second message, answered; nothing credited again.
e2e_mo $s2 "Y"
e2e_wait_sms_exact $s2 4
e2e_assert_eq "second Y: already active" "您已开通手机报，无需重复办理。" "$(e2e_last_sms $s2)"
e2e_assert_eq "B credited once" "1" "$(dev_count $pb)"
e2e_assert_eq "A not credited for it" "1" "$(dev_count $pa)"
e2e_assert_eq "one webhook call for it" "1" \
	"$(e2e_prov GET /calls | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>console.log(JSON.parse(d).filter(c=>c.body.msisdn==="'$s2'").length))')"
e2e_pass
