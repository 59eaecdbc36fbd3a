#!/bin/bash
# The provisioning webhook's bad days: 503 twice then 200 is one activation
# after three calls with the same Idempotency-Key; a rejection reaches the
# subscriber with its reason; no reason, plain words; three 503s in a row
# (max_attempts 3) fail the order and say nothing was charged; a call that
# hangs times out and is repeated, and a daemon killed while a call hangs
# still ends with exactly one activation and one result SMS; while it is
# under way the service is not offered again (order_in_progress).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init provision_retry
e2e_start_redis
e2e_start_sim
e2e_start_prov
e2e_write_conf provisioning.max_attempts=3 provisioning.timeout_ms=1500
e2e_start_vasgwd
e2e_wait_bound
e2e_services

# offer_and_confirm MSISDN SERVICE — recommend, wait for the SMS, answer Y;
# prints the order id.
offer_and_confirm() {
	local out offer n
	n=$(e2e_sms_count "86$1")
	out=$(e2e_vasgw --json recommend "$1" "$2") || e2e_fail "recommend $1 $2 failed: $out"
	offer=$(e2e_json offers.0.offer <<<"$out")
	[ -n "$offer" ] || e2e_fail "no offer in: $out"
	e2e_wait_sms_exact "86$1" $((n + 1))
	e2e_mo "86$1" Y
	echo "A$offer"
}
order_state() { e2e_vasgw_ok --json order show "$1" | e2e_json state; }
order_is() { [ "$(order_state "$1")" = "$2" ]; }

# 1. 503, 503, then ok.
e2e_prov POST /script '[{"status":503},{"status":503}]' >/dev/null || e2e_fail "POST /script failed"
order=$(offer_and_confirm 13800000001 CL)
e2e_wait_for "order done" 20 order_is "$order" done
show=$(e2e_vasgw_ok --json order show "$order")
e2e_assert_eq "three calls" "3" "$(e2e_json attempts <<<"$show")"
e2e_assert_eq "call outcomes" $'retry\nretry\nok' "$(e2e_json calls <<<"$show" | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>JSON.parse(d).forEach(c=>console.log(c.outcome)))')"
e2e_assert_eq "each call: the same key" "$order" "$(e2e_prov GET /calls | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>console.log([...new Set(JSON.parse(d).map(c=>c.key))].join(",")))')"
e2e_assert_eq "one activation" "1" "$(e2e_prov_count_activations)"
e2e_wait_sms_exact 8613800000001 3
e2e_assert_match "result SMS" "彩铃已为您开通" "$(e2e_last_sms 8613800000001)"

# 2. A rejection with a reason.
e2e_prov POST /script '[{"reject":"您的号码处于欠费状态"}]' >/dev/null || e2e_fail "POST /script failed"
order=$(offer_and_confirm 13800000002 CL)
e2e_wait_for "order rejected" 10 order_is "$order" rejected
e2e_wait_sms_exact 8613800000002 3
e2e_assert_eq "the reason, to the subscriber" "抱歉，彩铃未能开通：您的号码处于欠费状态。" "$(e2e_last_sms 8613800000002)"
out=$(e2e_vasgw --json recommend 13800000002 CL) || e2e_fail "a rejected service cannot be offered again: $out"

# 3. A 4xx without a reason.
e2e_prov POST /script '[{"status":403,"reason":""}]' >/dev/null || e2e_fail "POST /script failed"
order=$(offer_and_confirm 13800000003 SJB)
e2e_wait_for "order rejected" 10 order_is "$order" rejected
e2e_wait_sms_exact 8613800000003 3
e2e_assert_match "no reason given: plain words" "业务系统未说明原因" "$(e2e_last_sms 8613800000003)"

# 4. 503 three times: failed after max_attempts.
e2e_prov POST /script '[{"status":503},{"status":503},{"status":503}]' >/dev/null || e2e_fail "POST /script failed"
order=$(offer_and_confirm 13800000004 CL)
e2e_wait_for "order failed" 20 order_is "$order" failed
e2e_wait_sms_exact 8613800000004 3
e2e_assert_match "failure: nothing charged" "未产生任何费用" "$(e2e_last_sms 8613800000004)"
e2e_assert_eq "three calls, no more" "3" "$(e2e_vasgw_ok --json order show "$order" | e2e_json attempts)"
e2e_assert_eq "three webhook calls for it" "3" \
	"$(e2e_prov GET /calls | node -e "let d='';process.stdin.on('data',c=>d+=c).on('end',()=>console.log(JSON.parse(d).filter(c=>c.key==='$order').length))")"

# 5. The first call hangs and times out; the second hangs too, after the
#    provisioning system did the work (its answer is lost), and vasgwd is
#    killed while it hangs; the restarted daemon calls again with the same
#    key, and the provisioning system answers ok without a second activation.
e2e_prov POST /script '[{"hang":true},{"hang":true,"activate":true}]' >/dev/null || e2e_fail "POST /script failed"
calls0=$(e2e_prov_count_calls)
order=$(offer_and_confirm 13800000005 CL)
e2e_wait_for "second call under way" 15 eval '[ "$(e2e_prov_count_calls)" -ge $((calls0 + 2)) ]'
# Killed at once, while the call hangs: it hangs only timeout_ms (1.5 s),
# and the checks below take longer than that on a busy machine.
e2e_kill_vasgwd
e2e_assert_eq "killed mid-call: still sending" "sending" "$(order_state "$order")"
# The activation under way (the call hung): the service is not offered.
e2e_expect_status in_progress 1 --json recommend 13800000005 CL
e2e_assert_eq "under way: refused with the rule" "refused order_in_progress" \
	"$(e2e_json offers.0.status <"$E2E_DIR/in_progress.stdout") $(e2e_json offers.0.rule <"$E2E_DIR/in_progress.stdout")"
e2e_assert_eq "under way: no offer record" "0" \
	"$(e2e_redis EXISTS "vasgw:offer:$(e2e_json offers.0.offer <"$E2E_DIR/in_progress.stdout")")"
e2e_assert_eq "under way: counted by rule" "1" "$(e2e_vasgw_ok --json stats | e2e_json offers_refused.order_in_progress)"
e2e_start_vasgwd
e2e_wait_bound
e2e_wait_for "order done after the restart" 20 order_is "$order" done
e2e_assert_eq "calls for that order" "3" "$(e2e_vasgw_ok --json order show "$order" | e2e_json attempts)"
e2e_assert_eq "one activation for the key" "1" "$(e2e_prov GET /activations | node -e "let d='';process.stdin.on('data',c=>d+=c).on('end',()=>console.log(JSON.parse(d).filter(a=>a.key==='$order').length))")"
# The offer, the confirmation, one result: exactly three, once drained.
e2e_wait_sms_exact 8613800000005 3
e2e_assert_eq "no SMS for the refused offer" "1" "$(e2e_sms_to 8613800000005 | grep -c 回复1开通)"
e2e_assert_eq "one result SMS" "1" "$(e2e_sms_to 8613800000005 | grep -c 已为您开通)"
e2e_assert_eq "webhook calls for that order" "3" \
	"$(e2e_prov GET /calls | node -e "let d='';process.stdin.on('data',c=>d+=c).on('end',()=>console.log(JSON.parse(d).filter(c=>c.key==='$order').length))")"
e2e_pass
