#!/bin/bash
# A provisioning system's rejection reason longer than vasgw keeps (255
# bytes, docs/webhook.md) reaches the subscriber cut after its last whole
# character, and the SMS is delivered.  Before, the reason was cut into a
# 256-byte buffer wherever byte 255 fell: inside a character, the result
# SMS could not be encoded (failed smpp:invalid) and the subscriber was
# told nothing.  The reason here is 300 bytes: "1", 99 Chinese characters,
# "22"; byte 255 falls inside the 85th character.  A reason of exactly 255
# bytes is kept whole.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init provision_reason
e2e_start_subscriber_side --receipts on

# js EXPR [ARG...] — prints what the JavaScript expression gives
# (process.argv[1] is the first ARG).
js() { node -e "process.stdout.write(String($1))" "${@:2}"; }
zh='"您的号码当前处于欠费停机状态请充值后再办理本业务感谢您的支持与理解"'
long=$(js "'1' + [...$zh.repeat(4)].slice(0, 99).join('') + '22'")
kept=$(js "'1' + [...$zh.repeat(4)].slice(0, 84).join('')")
exact=$(js "[...$zh.repeat(4)].slice(0, 85).join('')")
e2e_assert_eq "the reason's bytes" "300" "$(printf %s "$long" | wc -c)"
e2e_assert_eq "what is kept of it, in bytes" "253" "$(printf %s "$kept" | wc -c)"
e2e_assert_eq "the exact one's bytes" "255" "$(printf %s "$exact" | wc -c)"

# wire NUM ID — the text of message ID as it went to 86NUM: its parts, the
# last submits to that number, joined.
wire() {
	local n
	n=$(e2e_redis HGET "vasgw:msg:$2" parts)
	e2e_sms_to "86$1" | tail -n "$n" | tr -d '\n'
}
order_state() { e2e_redis HGET "vasgw:order:$1" state; }
order_is() { [ "$(order_state "$1")" = "$2" ]; }
msg_is() { [ "$(e2e_redis HGET "vasgw:msg:$1" state)" = "$2" ]; }

# rejected NUM REASON KEPT [SCRIPT] — NUM confirms an offer of CL, the
# provisioning system rejects it with REASON (or as the stub's JSON SCRIPT
# says); the subscriber reads KEPT, delivered.  The provisioning system is
# called once, and NUM gets exactly: the offer, the answer to "Y", the
# result, the answer to the later "Y" (each of the last two as many
# submits as it has parts).
rejected() {
	local sub=86$1 out o calls ack again
	e2e_prov POST /script "${4:-$(js "JSON.stringify([{reject: process.argv[1]}])" "$2")}" >/dev/null ||
		e2e_fail "cannot script the provisioning stub"
	calls=$(e2e_prov_count_calls)
	out=$(e2e_vasgw --json recommend "$1" CL) || e2e_fail "recommend $1 failed: $out"
	o=A$(e2e_json offers.0.offer <<<"$out")
	e2e_wait_sms_exact $sub 1
	e2e_mo $sub Y
	ack=re-$(e2e_redis GET vasgw:seq:mo)
	e2e_wait_for "$1: order rejected" 10 order_is "$o" rejected
	e2e_wait_for "$1: the result SMS delivered" 10 msg_is "or-$o" delivered
	e2e_assert_eq "$1: the result SMS" "抱歉，彩铃未能开通：$3。" "$(wire "$1" "or-$o")"
	e2e_assert_eq "$1: the order's reason" "$3" "$(e2e_redis HGET "vasgw:order:$o" reason)"
	# A later "Y" is told the same, from the order's record.
	e2e_mo $sub Y
	again=re-$(e2e_redis GET vasgw:seq:mo)
	e2e_wait_for "$1: Y again: answered" 10 msg_is "$again" delivered
	e2e_assert_eq "$1: Y again" "抱歉，彩铃未能开通：$3。" "$(wire "$1" "$again")"
	e2e_assert_eq "$1: the answer to Y: one part" 1 "$(e2e_redis HGET "vasgw:msg:$ack" parts)"
	e2e_wait_sms_exact $sub $((2 + $(e2e_redis HGET "vasgw:msg:or-$o" parts) + $(e2e_redis HGET "vasgw:msg:$again" parts)))
	e2e_assert_eq "$1: the provisioning system called once" $((calls + 1)) "$(e2e_prov_count_calls)"
}

rejected 13800000001 "$long" "$kept"
e2e_assert_match "the log says it was cut" \
	"the reason is 300 bytes, more than the 255 kept: cut to 253 bytes" \
	"$(grep 'the reason is' "$E2E_DIR/vasgwd.log")"
rejected 13800000002 "$exact" "$exact"
e2e_assert_eq "the exact one was not cut" "1" "$(grep -c 'the reason is' "$E2E_DIR/vasgwd.log")"

# "\u0000" in the reason is valid JSON: the answer is a rejection like any
# other (vasgw could not read it and retried it as unanswered until it
# failed), and the NUL reaches the subscriber as a space, not as the end of
# the reason.  node writes the script: a shell string holds no NUL.
nul_script=$(js "JSON.stringify([{reject: '欠费' + String.fromCharCode(0) + '停机'}])")
e2e_assert_match "the stub's script holds the escape" '"欠费\\u0000停机"' "$nul_script"
rejected 13800000003 "" "欠费 停机" "$nul_script"
e2e_pass
