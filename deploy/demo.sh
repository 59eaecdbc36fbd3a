#!/bin/bash
# deploy/demo.sh — the scenario deploy/quickstart.sh demo plays.  It starts a
# private Redis, the SMSC simulator, the provisioning stub and vasgwd, then:
# the operator fills the catalogue; a shop clerk registers as a promoter by
# SMS and is approved; she recommends two services to a customer, who
# answers "Ｙ" from a feature phone (full-width, as Chinese input methods
# send it) and picks one from the list; the activation order goes to the
# provisioning system exactly once; the promoter sees her commission; an
# opted-out customer is not offered anything; a village agent registers and
# recommends through the USSD menu, printed screen by screen, and the
# farmer says yes by SMS; marketing runs a small campaign, approved by a
# second operator, and a recipient activates from it; the month is settled
# and the promoter told the amount; the counters and the campaign's funnel
# close it.  Everything it starts is stopped when it ends.
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export top_srcdir=$top top_builddir=${top_builddir:-$top/build}
# shellcheck source=../tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"

e2e_init demo
e2e_start_redis
e2e_start_sim --receipts on --receipt-delay-ms 300
e2e_start_prov
e2e_write_conf gateway.log_level=info gateway.node=demo policy.mo_rate_limit_per_min=100
e2e_start_vasgwd
e2e_wait_bound 1 20

sub=13800138000 promoter=13900139000 other=13700137000 agent=13900139002 farmer=13600136000
say() { printf '\n%s\n' "$*"; }
sms_out() { printf '  SMS   10658000 -> %s: %s\n' "$1" "$2"; }
sms_in() { printf '  SMS   %s -> 10658000: %s\n' "$1" "$2"; }
# Print the SMS to NUM from the N+1-th on, once there are at least M.
show_new() { # NUM N M
	e2e_wait_sms "86$1" "$3" 15
	e2e_sms_to "86$1" | tail -n +"$(($2 + 1))" | while IFS= read -r t; do sms_out "$1" "$t"; done
}
mo() { sms_in "$1" "$2"; e2e_mo "86$1" "$2"; }
# One step of a USSD dialogue: what the phone sends, the screen it gets.
ussd_screen() { # SCREEN_JSON
	e2e_ussd_text <<<"$1" | sed 's/^/        | /'
	[ "$(e2e_ussd_op <<<"$1")" = 17 ] && echo "        (end of the dialogue)"
	return 0
}
dial() { printf '  USSD  %s dials %s\n' "$1" "*123*8#"; ussd_screen "$(e2e_ussd_dial "86$1")"; }
press() { printf '  USSD  %s answers %s\n' "$1" "$2"; ussd_screen "$(e2e_ussd_answer "86$1" "$2")"; }

echo
echo "vasgw demo — SMSC simulator on 127.0.0.1:$SIM_PORT, provisioning stub on 127.0.0.1:$PROV_PORT, Redis on 127.0.0.1:$REDIS_PORT"

say "1. The operator fills the service catalogue:"
e2e_vasgw service add CL --name 彩铃 --price 5元/月 --provision-code RBT_MONTHLY \
	--commission-fen 300 --knowledge "来电时对方听到您选的歌曲。" \
	--usage "拨打12530选歌。" --cancel "回复QX CL取消。" >/dev/null
e2e_vasgw service add SJB --name 手机报 --price 3元/月 --provision-code NEWS_DAILY \
	--commission-fen 200 --knowledge "每天早晚两期新闻。" >/dev/null
e2e_vasgw service list | sed 's/^/  /'

say "2. A shop clerk registers as a promoter from her phone; the operator approves:"
mo $promoter "ZC 张三 城关营业厅"
show_new $promoter 0 1
echo "  \$ vasgw promoter approve $promoter"
e2e_vasgw promoter approve "$promoter" | sed 's/^/  /'
show_new $promoter 1 2

say "3. She recommends two services to a customer at the counter:"
mo $promoter "TJ $sub CL SJB"
show_new $promoter 2 3
show_new $sub 0 2

say "4. The customer answers from a feature phone:"
mo $sub "Ｙ"
show_new $sub 2 3
mo $sub "１"
show_new $sub 3 5

say "5. The provisioning system received one activation order:"
e2e_wait_for "the webhook call" 15 eval '[ "$(e2e_prov_count_calls)" -ge 1 ]'
call=$(e2e_prov GET /calls)
printf '  POST /activate  Idempotency-Key: %s\n  %s\n' "$(e2e_json 0.key <<<"$call")" \
	"$(e2e_json 0.body <<<"$call")"
order=$(e2e_json 0.key <<<"$call")
done_order() { [ "$(e2e_vasgw --json order show "$order" | e2e_json state)" = done ]; }
e2e_wait_for "the order" 15 done_order

say "6. The customer answers 1 again: no second order."
mo $sub "1"
show_new $sub 5 6
sleep 1
printf '  webhook calls so far: %s, activations: %s\n' "$(e2e_prov_count_calls)" "$(e2e_prov_count_activations)"

say "7. The promoter checks her commission:"
mo $promoter "CX"
show_new $promoter 3 4
mo $promoter "CX MX"
show_new $promoter 4 5

say "8. Another customer ($other) opted out; a recommendation to them is refused:"
mo $other "退订"
show_new $other 0 1
mo $promoter "TJ $other SJB"
show_new $promoter 5 6

say "9. A village agent ($agent) without a PC registers and recommends through the USSD menu:"
dial $agent
press $agent 4
press $agent 李四
press $agent 河西村代办点
echo "  \$ vasgw promoter approve $agent"
e2e_vasgw promoter approve "$agent" | sed 's/^/  /'
dial $agent
press $agent 1
press $agent $farmer
press $agent 1
press $agent 1
show_new $farmer 0 1
mo $farmer "是"
show_new $farmer 1 2

say "10. Marketing runs a small campaign for 彩铃, approved by a second operator:"
camp=(13500135001 13500135002 13500135003 13500135004 13500135005 13500135006 13500135007 13500135008)
{
	echo "msisdn,name"
	i=0
	for n in "${camp[@]}"; do i=$((i + 1)); echo "$n,客户$i"; done
	echo "$sub,老客户"          # has 彩铃 already
	echo "$other,退订客户"      # opted out in step 8
	echo "${camp[0]},重复"      # twice in the list
	echo "1380013,号码不全"     # not a number
} >"$E2E_DIR/targets.csv"
printf '%s' '{{name}}您好！【{{service_name}}】{{price}}，回复{{code}}开通。{{optout}}' >"$E2E_DIR/campaign.txt"
echo "  \$ vasgw campaign create --name 彩铃冬季推广 --service CL --template campaign.txt --targets targets.csv --tps 5 --holdout 20"
SUDO_USER=alice e2e_vasgw campaign create --name 彩铃冬季推广 --service CL --template "$E2E_DIR/campaign.txt" \
	--targets "$E2E_DIR/targets.csv" --tps 5 --holdout 20 | sed 's/^/  /'
echo "  (bob) \$ sudo vasgw campaign approve C1 && sudo vasgw campaign start C1"
SUDO_USER=bob e2e_vasgw campaign approve C1 | sed 's/^/  /'
SUDO_USER=bob e2e_vasgw campaign start C1 | sed 's/^/  /'
campaign_done() { [ "$(e2e_vasgw --json campaign status C1 | e2e_json state)" = completed ]; }
e2e_wait_for "the campaign" 30 campaign_done
first=
for n in "${camp[@]}"; do
	if [ "$(e2e_sms_count "86$n")" -ge 1 ]; then first=$n; break; fi
done
show_new "$first" 0 1
mo "$first" "Y"
show_new "$first" 1 3

say "11. Month end: the billing feed comes in and the operator settles the month:"
today=$(TZ=Asia/Shanghai date +%F) month=$(TZ=Asia/Shanghai date +%Y-%m)
printf 'msisdn,service,event,date\n%s,CL,charged,%s\n%s,,voice,%s\n86%s,CL,charged,%s\n' "$sub" "$today" \
	"$sub" "$today" "$first" "$today" >"$E2E_DIR/feed.csv"
echo "  \$ vasgw feed import feed.csv"
e2e_vasgw feed import "$E2E_DIR/feed.csv" | sed 's/^/  /'
echo "  \$ vasgw settle $month --force      (--force: the month is not over yet)"
e2e_vasgw settle "$month" --force --report "$E2E_DIR/settlement.csv" | sed 's/^/  /'
show_new $promoter 6 7

say "12. Counters, and the campaign's funnel:"
e2e_vasgw stats | sed 's/^/  /'
echo "  \$ vasgw campaign status C1"
e2e_vasgw campaign status C1 | sed 's/^/  /'
echo "  \$ redis-cli FUNCTION LIST     (the logic inside Redis: docs/functions.md)"
e2e_redis FUNCTION LIST | awk '/^library_name$/ { getline; lib = $0 } /^name$/ { getline; n++ }
	END { printf "  library %s: %d functions\n", lib, n }'
echo
echo "demo finished; stopping Redis, the simulator, the provisioning stub and vasgwd."
E2E_QUIET_PASS=1 e2e_pass
