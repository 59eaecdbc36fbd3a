#!/bin/bash
# The promoter commands from numbers that may not give them get a proper
# answer, every word filled in: a number of the segments that never
# registered is told it is not a promoter and how to register (before, it
# got promoter_only with a "-" for its staff number and status: "工号-，-"),
# one that registered and waits is told its staff number and status, one
# disabled likewise.  Each answer is delivered, and vasgwd renders no
# template with a gap along the way.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init promoter_refused
e2e_start_redis
e2e_start_sim --receipts on
e2e_start_prov
e2e_write_conf policy.mo_rate_limit_per_min=100
e2e_start_vasgwd
e2e_wait_bound
e2e_services

stranger=8613900139009 pa=8613900139001
unregistered=$(head -n1 "$top_srcdir/templates/zh_CN/promoter_unregistered.txt")
msg_is() { [ "$(e2e_redis HGET "vasgw:msg:$1" state)" = "$2" ]; }

# says NUM TEXT WANT — NUM sends TEXT and is answered WANT, delivered.
says() {
	local n id
	n=$(e2e_sms_count "$1")
	e2e_mo "$1" "$2"
	e2e_wait_sms_exact "$1" $((n + 1))
	id=$(e2e_redis GET vasgw:seq:mo)
	e2e_assert_eq "$1 $2" "$3" "$(e2e_last_sms "$1")"
	e2e_wait_for "$1 $2: delivered" 10 msg_is "re-$id" delivered
}

# Never registered: TJ, ZS with a number, CX, CX MX.
says $stranger "TJ 13800138000 CL" "$unregistered"
says $stranger "ZS 13800138000 CL" "$unregistered"
says $stranger "CX" "$unregistered"
says $stranger "CX MX" "$unregistered"
e2e_assert_eq "no offer made for the stranger's TJ" "0" "$(e2e_sms_count 8613800138000)"

# Registered, waiting for approval; then disabled.
e2e_mo $pa "ZC 张三 城关营业厅"
e2e_wait_sms_exact $pa 1
zc="张三，您的推广员注册已受理，工号10001，审核通过后短信通知您。"
e2e_assert_eq "ZC: the answer, every word filled in" "$zc" "$(e2e_sms_to $pa)"
says $pa "TJ 13800138000 CL" "该指令仅限已审核通过的推广员使用（工号10001，待审核）。注册请发送：ZC 姓名 网点"
e2e_vasgw promoter approve 13900139001 >/dev/null || e2e_fail "promoter approve failed"
e2e_vasgw promoter disable 13900139001 --reason 离职 >/dev/null || e2e_fail "promoter disable failed"
e2e_wait_sms_exact $pa 4
e2e_assert_eq "approve, then disable: the promoter told each, every word filled in" \
	"张三，您已成为推广员，工号10001。发TJ推荐、YW查代码、CX查佣金，或拨*123*8#用菜单。
张三，您的推广员工号10001已停用：离职。" "$(e2e_sms_to $pa | sed -n '3,4p')"
says $pa "CX" "该指令仅限已审核通过的推广员使用（工号10001，已停用）。注册请发送：ZC 姓名 网点"
e2e_assert_eq "every SMS to the promoter, in order" "$zc
该指令仅限已审核通过的推广员使用（工号10001，待审核）。注册请发送：ZC 姓名 网点
张三，您已成为推广员，工号10001。发TJ推荐、YW查代码、CX查佣金，或拨*123*8#用菜单。
张三，您的推广员工号10001已停用：离职。
该指令仅限已审核通过的推广员使用（工号10001，已停用）。注册请发送：ZC 姓名 网点" "$(e2e_sms_to $pa)"

# (An extra check: the texts above are the proof, this line's wording may
# change.)
e2e_assert_eq "no template rendered with a gap" "" "$(grep 'rendered without a value' "$E2E_DIR/vasgwd.log")"
e2e_pass
