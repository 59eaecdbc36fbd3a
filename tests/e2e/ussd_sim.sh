#!/bin/bash
# The phone's side of a USSD dialogue (tests/e2e/lib.sh e2e_ussd_*, the
# simulator's POST /ussd): a dial, ussd_service_op 1 with a fresh
# its_session_info, is answered by one screen, the subscriber menu as a USSR
# request (ussd_service_op 2: it waits for an answer) echoing the dial's
# session with the end bit clear.  Two numbers dialling at once each get their
# own screen; a dial that vasgwd does not answer (a short code) gives no
# screen, and the helper that expects none says so.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init ussd_sim
e2e_start_redis
e2e_start_sim
e2e_write_conf
e2e_start_vasgwd
e2e_wait_bound

menu=$(printf '%s\n' "$(cat "$top_srcdir/templates/zh_CN/ussd/subscriber_home.txt")" \
	"1 待确认的推荐" "2 我开通的业务" "3 退订推荐短信" "4 注册推广员")
a=8613800138000
b=8613800138001

# its_session_info octet 2: the dialogue's sequence number (1) in bits 7..1,
# bit 0 the end of the session: clear on a screen that waits for an answer.
its_of_dial() {   # SCREEN_JSON DIAL_ITS — the screen's its is the dial's session
	local its
	its=$(e2e_ussd_its <<<"$1")
	e2e_assert_match "screen its_session_info" '^[0-9a-f]{4}$' "$its"
	e2e_assert_eq "screen session number (its octet 1)" "${2:0:2}" "${its:0:2}"
	e2e_assert_eq "screen sequence number (its octet 2, bits 7..1)" \
		"$((16#${2:2:2} >> 1))" "$((16#${its:2:2} >> 1))"
	e2e_assert_eq "screen end bit (its octet 2, bit 0)" 0 "$((16#${its:2:2} & 1))"
}

# 1. A dial: one screen, the menu, waiting for an answer.
s=$(e2e_ussd_dial "$a")
[ -n "$s" ] || e2e_fail "e2e_ussd_dial $a printed no screen"
its_a=$(e2e_ussd_session "$a")
e2e_assert_eq "dial its" "0102" "$its_a"
e2e_assert_eq "dial on the wire: op" "1" "$(e2e_event_values deliver_sm ussd_service_op)"
e2e_assert_eq "dial on the wire: its" "$its_a" "$(e2e_event_values deliver_sm its_session_info)"
e2e_assert_eq "dial on the wire: text" "*123*8#" "$(e2e_event_values deliver_sm text)"
e2e_assert_eq "screen op (USSR request)" "2" "$(e2e_ussd_op <<<"$s")"
if e2e_ussd_ends <<<"$s"; then e2e_fail "the menu ends the dialogue: $s"; fi
its_of_dial "$s" "$its_a"
e2e_assert_eq "screen text (the menu)" "$menu" "$(e2e_ussd_text <<<"$s")"
e2e_assert_eq "screen to" "$a" "$(e2e_json dest <<<"$s")"
e2e_assert_eq "screen from" "10658000" "$(e2e_json source <<<"$s")"
e2e_assert_eq "screen user_message_reference" "" "$(e2e_ussd_umr <<<"$s")"
e2e_assert_eq "the screen is the submit the simulator logged" \
	"$(e2e_json message_id <<<"$s")" "$(e2e_event_values submit message_id)"

# 2. Two numbers at once: each its own session and its own screen.
e2e_ussd_dial "$a" >"$E2E_DIR/a.screen" &
pa=$!
e2e_ussd_dial "$b" >"$E2E_DIR/b.screen" &
pb=$!
wait "$pa" || e2e_fail "the second dial from $a failed"
wait "$pb" || e2e_fail "the dial from $b failed"
its_a=$(e2e_ussd_session "$a")
its_b=$(e2e_ussd_session "$b")
[ "${its_a:0:2}" != "${its_b:0:2}" ] || e2e_fail "two dials got the same session number $its_a"
[ "$its_a" != 0102 ] || e2e_fail "a new dial from $a kept its old session 0102"
for n in a b; do
	s=$(<"$E2E_DIR/$n.screen")
	num=$([ "$n" = a ] && echo "$a" || echo "$b")
	e2e_assert_eq "concurrent screen to $n: dest" "$num" "$(e2e_json dest <<<"$s")"
	e2e_assert_eq "concurrent screen to $n: op" "2" "$(e2e_ussd_op <<<"$s")"
	e2e_assert_eq "concurrent screen to $n: text" "$menu" "$(e2e_ussd_text <<<"$s")"
	its_of_dial "$s" "$(e2e_ussd_session "$num")"
done

# 3. A dial vasgwd does not answer (a short code is no subscriber): no
#    screen, and the helper expecting none passes; the one expecting a
#    screen fails (in a subshell that, as in e2e_wait_for, records no
#    failure for the test).
e2e_ussd_dial --none 1500 10086
if (E2E__IN_POLL=1; E2E_USSD_WAIT_MS=1500 e2e_ussd_dial 10086 >/dev/null 2>&1); then
	e2e_fail "e2e_ussd_dial passed without a screen"
fi

e2e_wait_drained
e2e_assert_eq "screens in all" "3" "$(e2e_events submit | grep -c '"ussd_service_op":2')"
e2e_assert_eq "submits in all" "3" "$(e2e_count_events submit)"
e2e_pass
