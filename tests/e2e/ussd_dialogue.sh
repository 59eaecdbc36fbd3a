#!/bin/bash
# The dialogue itself: a list longer than a screen is paged at the USSD
# limit (# next, every item on one page, numbered on), 0 back to the page
# left, 00 home; an empty, a wrong and a garbled answer re-prompt with the
# same screen and a hint; a second dial mid-session starts afresh and the
# old dialogue's answers are told it ended; an answer after the session
# lapsed is told so; an abort closes the session with no screen; an SMSC
# retry of an answer (its resp lost, delivered again on a new connection)
# makes one offer and one screen; and a daemon restarted mid-dialogue
# sends no stray screen and another node carries the session on from Redis.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init ussd_dialogue
e2e_start_subscriber_side
e2e_vasgw_ok promoter import /dev/stdin >/dev/null <<<"msisdn,name,outlet
8613900139000,王五,城关营业厅"
# Ten more services whose names are the longest the catalogue takes.
for i in 0 1 2 3 4 5 6 7 8 9; do
	e2e_vasgw_ok service add "L$i" --name "二十个字的业务名称二十个字的业务名称$i" \
		--price 5元/月 --provision-code "P_L$i" --commission-fen 100 >/dev/null
done

prom=8613900139000 sub=8613800138000
screens_to() { e2e_events submit | grep -F "\"dest\":\"$1\"" | grep -vc '"ussd_service_op":null'; }
chars() { node -e 'process.stdout.write(String([...process.argv[1]].length))' "$1"; }

# --- paging ------------------------------------------------------------------
s=$(e2e_ussd_dial $prom)
s=$(e2e_ussd_answer $prom 1)
s=$(e2e_ussd_answer $prom 13800138000)
page=1 seen=() last=
while :; do
	text=$(e2e_ussd_text <<<"$s")
	[ "$(chars "$text")" -le 80 ] || e2e_fail "page $page: $(chars "$text") characters, more than a USSD screen: $text"
	e2e_assert_eq "page $page: a screen that waits" 2 "$(e2e_ussd_op <<<"$s")"
	while read -r n name; do
		[[ $n =~ ^[0-9]+$ ]] || continue
		seen+=("$n")
		last=$n
	done <<<"$text"
	if [ "$(tail -n2 <<<"$text" | head -n1)" != "#下一页" ]; then
		e2e_assert_eq "last page: the back line last" "0返回 00主页" "$(tail -n1 <<<"$text")"
		break
	fi
	page=$((page + 1))
	[ $page -le 12 ] || e2e_fail "more than 12 pages"
	s=$(e2e_ussd_answer $prom "#")
done
[ $page -ge 3 ] || e2e_fail "12 long names took only $page page(s)"
e2e_assert_eq "every service once, numbered on" "$(seq 1 12 | tr '\n' ' ')" "$(printf '%s ' "${seen[@]}")"
lastpage=$text
s=$(e2e_ussd_answer $prom "#")
e2e_assert_eq "# on the last page: the hint, the same page" \
	"$(printf '输入有误，请重新选择。\n%s' "$lastpage")" "$(e2e_ussd_text <<<"$s")"
s=$(e2e_ussd_answer $prom 11)
e2e_ussd_expect "the last item picked" "$s" more \
	$'向13800138000推荐二十个字的业务名称二十个字的业务名称9？\n1 确认\n0返回 00主页'
s=$(e2e_ussd_answer $prom 0)
e2e_ussd_expect "0: back to the page left" "$s" more "$lastpage"
s=$(e2e_ussd_answer $prom 00)
home=$'推广员菜单（工号10001）\n1 推荐业务\n2 查询佣金\n3 业务知识\n4 我的自助服务'
e2e_ussd_expect "00: home" "$s" more "$home"

# --- answers that are not choices -------------------------------------------
for bad in "" "abc" "9" "1 2"; do
	s=$(e2e_ussd_answer $prom "$bad")
	e2e_ussd_expect "answer '$bad'" "$s" more "$(printf '输入有误，请重新选择。\n%s' "$home")"
done
# garbled octets (a UCS-2 answer of odd length): asked again, not guessed
its=$(e2e_ussd_session $prom)
n=$(screens_to $prom)
r=$(e2e_sim POST /mo "{\"from\":\"$prom\",\"dcs\":8,\"payload_hex\":\"00310032ff\",\"ussd_service_op\":18,\"its_session_info\":\"$its\"}") ||
	e2e_fail "garbled answer: $r"
e2e_wait_for "a screen for the garbled answer" 5 eval '[ "$(screens_to $prom)" -gt '"$n"' ]'
e2e_assert_eq "garbled answer: the hint, the same screen" \
	"$(printf '输入有误，请重新选择。\n%s' "$home")" \
	"$(e2e_events submit | grep -F "\"dest\":\"$prom\"" | tail -n1 | e2e_json text)"
# full-width digits are digits
s=$(e2e_ussd_dial $prom)
s=$(e2e_ussd_answer $prom "３")
e2e_ussd_expect "full-width 3" "$s" more $'业务知识：\n1 彩铃\n2 二十个字的业务名称二十个字的业务名称0\n3 二十个字的业务名称二十个字的业务名称1\n#下一页\n0返回 00主页'

# --- a second dial mid-session; the old dialogue's answer -------------------
old=$(e2e_ussd_session $prom)
s=$(e2e_ussd_dial $prom)
e2e_ussd_expect "a new dial: home" "$s" more "$home"
e2e_assert_eq "the session is the new dial's" "$(e2e_ussd_session $prom | cut -c1-2)" \
	"$(e2e_redis HGET "vasgw:ussd:{$prom}" sid)"
r=$(e2e_sim POST /ussd "{\"from\":\"$prom\",\"op\":18,\"its\":\"$old\",\"text\":\"1\"}") || e2e_fail "old answer: $r"
e2e_ussd_expect "the old dialogue's answer" "$(e2e_json screen <<<"$r")" last "会话已结束，请重新拨打*123*8#。"
e2e_assert_eq "the new session untouched" P_HOME... "$(e2e_redis HGET "vasgw:ussd:{$prom}" screen)..."

# --- lapsed --------------------------------------------------------------------
e2e_redis PEXPIRE "vasgw:ussd:{$prom}" 1 >/dev/null
sleep 0.1
s=$(e2e_ussd_answer $prom 1)
e2e_ussd_expect "an answer after the session lapsed" "$s" last "会话已结束，请重新拨打*123*8#。"

# --- abort ---------------------------------------------------------------------
s=$(e2e_ussd_dial $sub)
e2e_assert_eq "a session" 1 "$(e2e_redis EXISTS "vasgw:ussd:{$sub}")"
n=$(screens_to $sub)
e2e_ussd_abort $sub
e2e_wait_drained
e2e_assert_eq "abort: no screen" "$n" "$(screens_to $sub)"
e2e_assert_eq "abort: the session closed" 0 "$(e2e_redis EXISTS "vasgw:ussd:{$sub}")"
e2e_assert_eq "abort: counted" 1 "$(e2e_redis HGET vasgw:stats ussd_aborts)"

# --- an SMSC retry of the confirming answer -------------------------------------
s=$(e2e_ussd_dial $prom)
s=$(e2e_ussd_answer $prom 1)
s=$(e2e_ussd_answer $prom 13800138000)
s=$(e2e_ussd_answer $prom 1)
e2e_assert_match "confirm screen" "^向13800138000推荐彩铃" "$(e2e_ussd_text <<<"$s")"
its=$(e2e_ussd_session $prom)
n=$(screens_to $prom)
r=$(e2e_sim POST /mo "{\"from\":\"$prom\",\"text\":\"1\",\"ussd_service_op\":18,\"its_session_info\":\"$its\",\"redeliver\":true}") ||
	e2e_fail "redelivered answer: $r"
e2e_assert_eq "both deliver_sm_resp OK" "[0] [0]" "$(e2e_json statuses <<<"$r") $(e2e_json lost_statuses <<<"$r")"
e2e_wait_for "the result screen" 10 eval '[ "$(screens_to $prom)" -gt '"$n"' ]'
e2e_wait_drained
e2e_assert_eq "one result screen" $((n + 1)) "$(screens_to $prom)"
e2e_assert_eq "one MO stored" 1 "$(e2e_redis HGET vasgw:stats mo_duplicate)"
e2e_assert_eq "one offer made" 1 "$(e2e_redis HLEN "vasgw:sub:{$sub}:offers")"
e2e_assert_eq "one offer SMS" 1 "$(e2e_events submit | grep -F "\"dest\":\"$sub\"" | grep -cF '"ussd_service_op":null')"

# --- a restart mid-dialogue, another node carrying it on -------------------------
s=$(e2e_ussd_dial $prom)
s=$(e2e_ussd_answer $prom 1)
e2e_ussd_expect "number asked" "$s" more $'请输入用户手机号：\n0返回 00主页'
e2e_wait_drained
n=$(screens_to $prom)
e2e_stop_vasgwd
e2e_write_conf gateway.node=node2
e2e_start_vasgwd
e2e_wait_bound
sleep 1
e2e_assert_eq "no stray screen on the restart" "$n" "$(screens_to $prom)"
s=$(e2e_ussd_answer $prom 13800138001)
e2e_ussd_expect "another node carries the dialogue on" "$s" more \
	"$(printf '向13800138001推荐：\n1 彩铃\n2 二十个字的业务名称二十个字的业务名称0\n3 二十个字的业务名称二十个字的业务名称1\n#下一页\n0返回 00主页')"
e2e_pass
