#!/bin/bash
# The contact rules, as an operator and a subscriber see them: a disabled
# service is not offered; TD stops
# every offer (the refusal names the rule, no SMS goes out) and DY lifts
# it; the daily cap holds even when two offers race for it; the marketing
# interval; quiet hours hold an API offer until the window opens, while a
# subscriber's own ZS is answered at once; a held offer to a number that
# opts out meanwhile is dropped.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init offer_policy
e2e_start_redis
e2e_start_sim
e2e_start_prov
e2e_write_conf policy.max_marketing_per_day=1
e2e_start_vasgwd
e2e_wait_bound
e2e_services

# 0. A disabled service: refused (exit 1) with the rule, no SMS, no offer.
e2e_vasgw service disable SJB >/dev/null || e2e_fail "service disable SJB"
e2e_expect_status disabled 1 --json recommend 13500135001 SJB
e2e_assert_eq "disabled: refused with the rule" "refused service_disabled" \
	"$(e2e_json offers.0.status <"$E2E_DIR/disabled.stdout") $(e2e_json offers.0.rule <"$E2E_DIR/disabled.stdout")"
e2e_wait_drained
e2e_assert_eq "disabled: no SMS" "0" "$(e2e_sms_count 8613500135001)"
e2e_assert_eq "disabled: no offer record" "0" \
	"$(e2e_redis EXISTS "vasgw:offer:$(e2e_json offers.0.offer <"$E2E_DIR/disabled.stdout")")"
e2e_assert_eq "disabled: counted by rule" "1" "$(e2e_vasgw_ok --json stats | e2e_json offers_refused.service_disabled)"
e2e_vasgw service set SJB --enable >/dev/null || e2e_fail "service set SJB --enable"

# 1. TD, then a recommendation is refused with the rule named; DY lifts it.
sub=8613500135000
offers() { e2e_redis --scan --pattern 'vasgw:offer:*' | grep -c '^vasgw:offer:[^:]*$'; }
e2e_mo $sub "TD"
e2e_wait_sms_exact $sub 1
e2e_assert_match "opt-out confirmed" "您已退订营销短信" "$(e2e_last_sms $sub)"
# Every offer refused: exit 1 (man vasgw, EXIT STATUS), the rule named.
e2e_expect_status refused_td 1 recommend 13500135000 CL
e2e_assert_match "refusal names the rule" "refused  opted_out: the subscriber opted out of marketing \(TD\)" \
	"$(cat "$E2E_DIR/refused_td.stdout")"
e2e_expect_status refused_td_json 1 --json recommend 13500135000 CL
e2e_assert_eq "JSON: the rule" "opted_out" "$(e2e_json offers.0.rule <"$E2E_DIR/refused_td_json.stdout")"
e2e_wait_drained
e2e_assert_eq "no SMS for refused offers" "1" "$(e2e_sms_count $sub)"
e2e_assert_eq "no offer record for refused offers" "0" "$(offers)"
e2e_mo $sub "订阅"
e2e_wait_sms_exact $sub 2
e2e_assert_match "opt-in confirmed" "您已恢复接收" "$(e2e_last_sms $sub)"
out=$(e2e_vasgw --json recommend 13500135000 CL) || e2e_fail "recommend after DY refused: $out"
e2e_assert_eq "offered after DY" "sent" "$(e2e_json offers.0.status <<<"$out")"

# 2. max_marketing_per_day = 1: two offers racing for one number, from two
#    CLI processes at once: exactly one passes.
sub=8613400134000
e2e_vasgw --json recommend 13400134000 CL >"$E2E_DIR/race1" &
p1=$!
e2e_vasgw --json recommend 13400134000 SJB >"$E2E_DIR/race2" &
p2=$!
st1=0 st2=0
wait $p1 || st1=$?
wait $p2 || st2=$?
statuses=$(cat "$E2E_DIR/race1" "$E2E_DIR/race2" | e2e_json offers.0.status | sort | tr '\n' ' ')
e2e_assert_eq "one sent, one refused" "refused sent " "$statuses"
e2e_assert_eq "exit statuses: one 0, one 1 (all refused)" "0 1" "$(printf '%s\n' $st1 $st2 | sort | tr '\n' ' ' | sed 's/ $//')"
e2e_assert_match "the cap is named" "daily_limit" "$(cat "$E2E_DIR/race1" "$E2E_DIR/race2")"
e2e_wait_sms_exact $sub 1

# 3. The marketing interval, in a daemon configured with one.
e2e_stop_vasgwd
e2e_write_conf policy.marketing_interval_days=60 policy.max_marketing_per_day=5
e2e_start_vasgwd
e2e_wait_bound
out=$(e2e_vasgw --json recommend 13300133000 CL) || e2e_fail "first contact refused: $out"
e2e_expect_status interval 1 --json recommend 13300133000 SJB
e2e_assert_eq "interval named" "contacted_recently" "$(e2e_json offers.0.rule <"$E2E_DIR/interval.stdout")"
out=$(e2e_vasgw --json recommend 13200132000 CL SJB) || e2e_fail "one contact, two offers: $out"
e2e_assert_eq "one contact may carry two offers" $'sent\nsent' "$(e2e_json offers <<<"$out" | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>JSON.parse(d).forEach(o=>console.log(o.status)))')"

# 4. Quiet hours: a window around the present local time (Asia/Shanghai).
e2e_stop_vasgwd
now=$(TZ=Asia/Shanghai date +%H:%M)
from=$(TZ=Asia/Shanghai date -d '-10 min' +%H:%M)
to=$(TZ=Asia/Shanghai date -d '+30 min' +%H:%M)
e2e_write_conf policy.quiet_hours="$from-$to"
e2e_start_vasgwd
e2e_wait_bound
sub=8613100131000
out=$(e2e_vasgw --json recommend 13100131000 CL) || e2e_fail "recommend in quiet hours: $out"
e2e_assert_eq "held for quiet hours (at $now, quiet $from-$to)" "held" "$(e2e_json offers.0.status <<<"$out")"
msg=$(e2e_json offers.0.message <<<"$out")
e2e_assert_eq "message scheduled" "scheduled" "$(e2e_redis HGET "vasgw:msg:$msg" state)"
release=$(e2e_redis HGET "vasgw:msg:$msg" release_at)
end=$(TZ=Asia/Shanghai date -d "$to" +%s)
[ "$end" -gt "$(date +%s)" ] || end=$((end + 86400)) # the window crosses midnight
e2e_assert_eq "released when the window ends" "${end}000" "$release"
# The subscriber's own request is not marketing: answered at once.
e2e_mo 8613000130000 "ZS CL"
e2e_wait_sms_exact 8613000130000 1
e2e_assert_match "knowledge SMS at once" "彩铃让来电者听到您选的歌" "$(e2e_sms_to 8613000130000 | tr -d '\n')"
# A second held offer, to a subscriber who then opts out.
out=$(e2e_vasgw --json recommend 13100131001 CL) || e2e_fail "recommend in quiet hours: $out"
msg2=$(e2e_json offers.0.message <<<"$out")
e2e_mo 8613100131001 "TD"
e2e_wait_sms_exact 8613100131001 1
# Time passes for the second one only: its release is due now.  Once the
# release (every second) has dropped it, that pass has seen the first one,
# not due, and left it: nothing went to $sub, in order rather than after a
# while.
e2e_redis ZADD vasgw:mt:scheduled "$(date +%s%3N)" "$msg2" >/dev/null
e2e_wait_for "the other dropped" 5 eval '[ "$(e2e_redis HGET "vasgw:msg:$msg2" state)" = failed ]'
e2e_assert_eq "dropped: opted out while held" "opted_out" "$(e2e_redis HGET "vasgw:msg:$msg2" error)"
e2e_wait_drained
e2e_assert_eq "nothing sent in quiet hours" "0" "$(e2e_sms_count $sub)"
e2e_assert_eq "the first still held" "scheduled" "$(e2e_redis HGET "vasgw:msg:$msg" state)"
e2e_assert_eq "only the opt-out answer went to the one who opted out" "1" "$(e2e_sms_count 8613100131001)"
# The window's end moved to now: the first is due, and sent.
e2e_redis ZADD vasgw:mt:scheduled "$(date +%s%3N)" "$msg" >/dev/null
e2e_wait_sms_exact $sub 1
e2e_assert_match "held recommendation sent" "回复1开通" "$(e2e_last_sms $sub)"
e2e_pass
