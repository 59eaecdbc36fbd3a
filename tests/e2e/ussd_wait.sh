#!/bin/bash
# Every USSD request is answered in seconds whatever is slow behind it.
# A slow provisioning system (slower than wait_screen_ms) does not hold a screen: a confirmation
# from the menu gets its last screen at once and the activation follows.
# Redis taking no writes holds the request itself: the node sends the wait
# screen ([ussd] wait_screen_ms), and the action asked for is still done
# once Redis is back, its result sent as an SMS, not as a screen to a
# dialogue the phone has closed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init ussd_wait
e2e_start_redis
e2e_start_sim
e2e_start_prov
e2e_write_conf "ussd.wait_screen_ms=1000"
e2e_start_vasgwd
e2e_wait_bound
e2e_services
e2e_vasgw_ok promoter import /dev/stdin >/dev/null <<<"msisdn,name,outlet
8613900139000,王五,城关营业厅"

prom=8613900139000 sub=8613800138000
wait_text=$(cat "$top_srcdir/templates/zh_CN/ussd/wait.txt")
plain_to() { e2e_events submit | grep -F "\"dest\":\"$1\"" | grep -F '"ussd_service_op":null'; }

# --- the provisioning system hangs: the screen does not wait for it ----------
e2e_prov POST /default '{"ok":true,"delay_ms":1500}' >/dev/null || e2e_fail "prov default"
e2e_vasgw_ok recommend $sub CL >/dev/null
s=$(e2e_ussd_dial $sub)
s=$(e2e_ussd_answer $sub 1)
s=$(e2e_ussd_answer $sub 1)
s=$(e2e_ussd_answer $sub 1)
e2e_ussd_expect "confirmed, provisioning still busy" "$s" last \
	"已收到您开通彩铃的确认，正在为您办理，结果稍后短信通知。"
e2e_assert_eq "no wait screen" "" "$(e2e_redis HGET vasgw:stats ussd_wait_screens)"
e2e_wait_for "the activation, once provisioning answers" 20 eval '[ "$(e2e_prov_count_activations)" = 1 ]'

# --- Redis takes no writes: the wait screen, then the result by SMS ----------
s=$(e2e_ussd_dial $prom)
s=$(e2e_ussd_answer $prom 1)
s=$(e2e_ussd_answer $prom 13800138001)
s=$(e2e_ussd_answer $prom 1)
e2e_ussd_expect "confirm" "$s" more $'向13800138001推荐彩铃？\n1 确认\n0返回 00主页'
e2e_wait_drained
e2e_assert_eq "pause" OK "$(e2e_redis CLIENT PAUSE 3500 WRITE)"
# (the simulator's answer comes with the screen, before the deliver_sm_resp,
# which waits for Redis: the MO is stored before it is acknowledged)
r=$(e2e_sim POST /ussd "{\"from\":\"$prom\",\"op\":18,\"its\":\"$(e2e_ussd_session $prom)\",\"text\":\"1\",\"wait_ms\":3000}")
e2e_ussd_expect "the wait screen" "$(e2e_json screen <<<"$r")" last "$wait_text"
e2e_assert_eq "the MO not acknowledged yet" "[null]" "$(e2e_json statuses <<<"$r")"
seq=$(e2e_json seq <<<"$r")
e2e_wait_for "the MO acknowledged once Redis is back" 10 eval \
	'[ "$(e2e_events deliver_sm_resp | grep -F "\"seq\":$seq," | e2e_json status)" = 0 ]'
e2e_wait_for "the recommendation made after the pause" 15 eval \
	'[ "$(plain_to 8613800138001 | grep -c .)" = 1 ]'
e2e_wait_drained
e2e_assert_match "the subscriber's offer SMS" "回复1开通" "$(plain_to 8613800138001 | e2e_json text)"
e2e_assert_eq "the result by SMS" "工号10001向13800138001推荐：彩铃已发送(回复1)" \
	"$(plain_to $prom | tail -n1 | e2e_json text)"
e2e_assert_eq "no screen after the wait screen" "$wait_text" \
	"$(e2e_events submit | grep -F "\"dest\":\"$prom\"" | tail -n2 | head -n1 | e2e_json text)"
e2e_assert_eq "counted: one wait screen" 1 "$(e2e_redis HGET vasgw:stats ussd_wait_screens)"
e2e_assert_eq "counted: one late result by SMS" 1 "$(e2e_redis HGET vasgw:stats ussd_late_sms)"
e2e_assert_eq "the session closed" 0 "$(e2e_redis EXISTS "vasgw:ussd:{$prom}")"
e2e_assert_eq "one offer made" 1 "$(e2e_redis HLEN "vasgw:sub:{8613800138001}:offers")"
e2e_pass
