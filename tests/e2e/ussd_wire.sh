#!/bin/bash
# USSD on the wire, under [ussd] profile = mica (the session in
# user_message_reference): a request's user_message_reference is stored
# (umr) and echoed on the screen that answers it; a screen too long for one
# USSD string is never on the wire and fails unsent with the USSD limit; a
# screen whose expire_at passed is never on the wire and fails with its
# reason; and while Redis takes no writes (CLIENT PAUSE ... WRITE) a
# request still gets the wait screen, straight from the node, the last
# screen of its dialogue, and is marked late (P:ussd:late:<mo>) once Redis
# is back; its menu screen is then not sent.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init ussd_wire
e2e_start_redis
e2e_start_sim
e2e_write_conf "ussd.profile=mica" "ussd.wait_screen_ms=1000"
e2e_start_vasgwd
e2e_wait_bound

lib=$(e2e_redis --raw FUNCTION LIST | grep -m1 -xE 'vasgw_[0-9]+') ||
	e2e_fail "no vasgw library loaded"
submits_to() { e2e_events submit | grep -F "\"dest\":\"$1\""; }

# --- 1. umr in, and echoed on the answer ----------------------------------
a=8613800138000
r=$(e2e_sim POST /mo "{\"from\":\"$a\",\"text\":\"*123*8#\",\"ussd_service_op\":1,\"user_message_reference\":42}") ||
	e2e_fail "POST /mo failed: $r"
e2e_assert_eq "deliver_sm_resp" "[0]" "$(e2e_json statuses <<<"$r")"
e2e_assert_eq "umr on the wire" 42 "$(e2e_event_values deliver_sm user_message_reference)"
e2e_wait_for "MO stored" 5 eval '[ "$(e2e_redis HGET vasgw:mo:1 from)" = "$a" ]'
e2e_assert_eq "MO ussd_op" 1 "$(e2e_redis HGET vasgw:mo:1 ussd_op)"
e2e_assert_eq "MO umr" 42 "$(e2e_redis HGET vasgw:mo:1 umr)"
e2e_assert_eq "MO its: none" "" "$(e2e_redis HGET vasgw:mo:1 its)"
e2e_expect_status mo 0 mo show 1
e2e_assert_match "mo show: umr beside the op" "^  ussd_op +1 \(session -, umr 42\)\$" \
	"$(grep '^  ussd_op' "$E2E_DIR/mo.stdout")"

e2e_wait_sms_exact "$a" 1
reply=$(submits_to "$a")
e2e_assert_eq "answer ussd_service_op (the menu: it waits)" 2 "$(e2e_json ussd_service_op <<<"$reply")"
e2e_assert_eq "answer user_message_reference" 42 "$(e2e_json user_message_reference <<<"$reply")"
e2e_assert_eq "answer its_session_info: none" "" "$(e2e_json its_session_info <<<"$reply")"
e2e_assert_eq "answer one part" "" "$(e2e_json udh <<<"$reply")"
e2e_assert_eq "answer record: umr" 42 "$(e2e_redis HGET vasgw:msg:re-1 umr)"
# The answer left in time: the guard was disarmed, no wait screen follows.
sleep 1.5
e2e_assert_eq "no wait screen after a timely answer" 1 "$(e2e_sms_count "$a")"
e2e_assert_eq "no wait screen counted" "" "$(e2e_redis HGET vasgw:stats ussd_wait_screens)"

# An SMS answer carries no user_message_reference.
r=$(e2e_sim POST /mo "{\"from\":\"$a\",\"text\":\"BZ\"}") || e2e_fail "POST /mo failed: $r"
e2e_wait_sms_exact "$a" 2
e2e_assert_eq "SMS answer: no umr" "" "$(submits_to "$a" | tail -n1 | e2e_json user_message_reference)"

# --- 2. a screen over 80 UCS-2 characters ---------------------------------
b=8613800138001
now=$(($(date +%s%N) / 1000000))
long=$(printf '你%.0s' $(seq 100))
r=$(e2e_redis FCALL "${lib}_mt_enqueue" 0 vasgw "$now" 600 \
	ulong "$b" "$long" "" 17 "" reply 7 0 "" "") || e2e_fail "mt_enqueue: $r"
e2e_assert_eq "long screen queued" 1 "$r"
e2e_wait_for "long screen failed" 10 eval '[ "$(e2e_redis HGET vasgw:msg:ulong state)" = failed ]'
e2e_assert_eq "long screen: why" \
	"unsent:text too long for one USSD screen: 100 UCS-2 characters, at most 80 (SMPP 3.4 USSD limit)" \
	"$(e2e_redis HGET vasgw:msg:ulong error)"

# --- 3. a screen whose deadline passed ------------------------------------
c=8613800138002
now=$(($(date +%s%N) / 1000000))
r=$(e2e_redis FCALL "${lib}_mt_enqueue" 0 vasgw "$now" 600 \
	uold "$c" "menu" "" 2 "" reply 9 $((now - 1000)) "" "") || e2e_fail "mt_enqueue: $r"
e2e_assert_eq "old screen queued" 1 "$r"
e2e_assert_eq "old screen: expire_at kept" $((now - 1000)) "$(e2e_redis HGET vasgw:msg:uold expire_at)"
e2e_wait_for "old screen failed" 10 eval '[ "$(e2e_redis HGET vasgw:msg:uold state)" = failed ]'
e2e_assert_eq "old screen: why" "expired before it was sent" "$(e2e_redis HGET vasgw:msg:uold error)"
e2e_assert_eq "counted mt_expired" 1 "$(e2e_redis HGET vasgw:stats mt_expired)"
e2e_assert_eq "both counted unsent" 2 "$(e2e_redis HGET vasgw:stats unsent)"
e2e_wait_drained
e2e_assert_eq "long screen never on the wire" 0 "$(e2e_sms_count "$b")"
e2e_assert_eq "old screen never on the wire" 0 "$(e2e_sms_count "$c")"

# --- 4. the wait screen, Redis taking no writes ---------------------------
d=8613800138003
e2e_assert_eq "pause" OK "$(e2e_redis CLIENT PAUSE 6000 WRITE)"
r=$(e2e_sim POST /mo "{\"from\":\"$d\",\"text\":\"*123*8#\",\"ussd_service_op\":1,\"its_session_info\":\"0102\",\"user_message_reference\":77,\"wait_ms\":200}") ||
	e2e_fail "POST /mo failed: $r"
# mo_store waits for Redis; the screen does not (wait_screen_ms 1000).
e2e_wait_for "the wait screen, before Redis is back" 4 e2e__sms_at_least "$d" 1
e2e_assert_eq "Redis still paused: MO not stored yet" 2 "$(e2e_redis GET vasgw:seq:mo)"
w=$(submits_to "$d" | head -n1)
e2e_assert_eq "wait screen: ussd_service_op (last screen)" 17 "$(e2e_json ussd_service_op <<<"$w")"
e2e_assert_eq "wait screen: its_session_info, end bit set" 0103 "$(e2e_json its_session_info <<<"$w")"
e2e_assert_eq "wait screen: user_message_reference" 77 "$(e2e_json user_message_reference <<<"$w")"
e2e_assert_eq "wait screen: from service_number" 10658000 "$(e2e_json source <<<"$w")"
e2e_assert_eq "wait screen: no receipt asked" 0 "$(e2e_json registered_delivery <<<"$w")"
e2e_assert_eq "wait screen: one part" "" "$(e2e_json udh <<<"$w")"
e2e_assert_eq "wait screen: text" "$(cat "$top_srcdir/templates/zh_CN/ussd/wait.txt")" "$(e2e_json text <<<"$w")"
e2e_assert_match "wait screen: logged" "no screen within 1000 ms: wait screen sent" "$(cat "$E2E_DIR/vasgwd.log")"

# Redis back: the MO is stored (id 3), marked late, the screen counted.
e2e_wait_for "MO stored after the pause" 10 eval '[ "$(e2e_redis HGET vasgw:mo:3 from)" = "$d" ]'
e2e_wait_for "marked late" 5 eval '[ "$(e2e_redis GET vasgw:ussd:late:3)" = 1 ]'
ttl=$(e2e_redis TTL vasgw:ussd:late:3)
[ "$ttl" -gt 0 ] && [ "$ttl" -le 600 ] || e2e_fail "P:ussd:late:3 TTL $ttl, want 1..600"
e2e_assert_eq "ussd_wait_screens" 1 "$(e2e_redis HGET vasgw:stats ussd_wait_screens)"
e2e_assert_eq "ussd_wait_failed" "" "$(e2e_redis HGET vasgw:stats ussd_wait_failed)"
# Its menu screen, late, is not sent (the wait screen ended the dialogue on
# the phone), and the session it would have opened is closed.
e2e_wait_drained
e2e_assert_eq "the late menu screen dropped" 1 "$(e2e_redis HGET vasgw:stats ussd_late_dropped)"
e2e_assert_eq "only the wait screen on the wire" 1 "$(e2e_sms_count "$d")"
e2e_assert_eq "no session left" 0 "$(e2e_redis EXISTS "vasgw:ussd:{$d}")"
e2e_pass
