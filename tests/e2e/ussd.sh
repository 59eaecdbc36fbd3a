#!/bin/bash
# USSD: an MO with ussd_service_op 1 (PSSR indication) and its_session_info
# keeps both in its record, and is answered with the menu as a USSD MT:
# ussd_service_op 2 (USSR request: it waits for an answer) and the same
# its_session_info, its end bit clear; the session is in Redis.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init ussd
e2e_start_redis
e2e_start_sim
e2e_write_conf
e2e_start_vasgwd
e2e_wait_bound

a=8613800138000
r=$(e2e_sim POST /mo "{\"from\":\"$a\",\"text\":\"*123*8#\",\"ussd_service_op\":1,\"its_session_info\":\"0102\"}") ||
	e2e_fail "POST /mo failed: $r"
e2e_assert_eq "deliver_sm_resp" "[0]" "$(e2e_json statuses <<<"$r")"
e2e_assert_eq "USSD op on the wire" "1" "$(e2e_event_values deliver_sm ussd_service_op)"

e2e_wait_for "MO stored" 5 eval '[ "$(e2e_redis HGET vasgw:mo:1 from)" = "$a" ]'
e2e_assert_eq "MO text" "*123*8#" "$(e2e_redis HGET vasgw:mo:1 text)"
e2e_assert_eq "MO ussd_op" "1" "$(e2e_redis HGET vasgw:mo:1 ussd_op)"
e2e_assert_eq "MO its" "0102" "$(e2e_redis HGET vasgw:mo:1 its)"

# drained, exactly one answer
e2e_wait_sms_exact "$a" 1
reply=$(e2e_events submit | grep -F "\"dest\":\"$a\"")
e2e_assert_eq "answer ussd_service_op" "2" "$(e2e_json ussd_service_op <<<"$reply")"
e2e_assert_eq "answer its_session_info" "0102" "$(e2e_json its_session_info <<<"$reply")"
e2e_assert_eq "answer source" "10658000" "$(e2e_json source <<<"$reply")"
menu=$(printf '%s\n' "$(cat "$top_srcdir/templates/zh_CN/ussd/subscriber_home.txt")" \
	"1 待确认的推荐" "2 我开通的业务" "3 退订推荐短信" "4 注册推广员")
e2e_assert_eq "answer text (the menu)" "$menu" "$(e2e_json text <<<"$reply")"
e2e_assert_eq "answer not concatenated" "" "$(e2e_json udh <<<"$reply")"
e2e_assert_eq "answer record: ussd_op" "2" "$(e2e_redis HGET vasgw:msg:re-1 ussd_op)"
e2e_assert_eq "session: the screen" "S_HOME" "$(e2e_redis HGET "vasgw:ussd:{$a}" screen)"
e2e_assert_eq "session: its number" "01" "$(e2e_redis HGET "vasgw:ussd:{$a}" sid)"
ttl=$(e2e_redis TTL "vasgw:ussd:{$a}")
[ "$ttl" -gt 170 ] && [ "$ttl" -le 180 ] || e2e_fail "session TTL $ttl, expected [ussd] session_timeout 180"
e2e_assert_eq "answer record: origin" "ussd" "$(e2e_redis HGET vasgw:msg:re-1 origin)"
e2e_assert_eq "answer record: its" "0102" "$(e2e_redis HGET vasgw:msg:re-1 its)"
is_accepted() { [ "$(e2e_redis HGET "vasgw:msg:$1" state)" = accepted ]; }
e2e_wait_for "answer accepted" 5 is_accepted re-1

# A plain SMS from the same number gets the help text, without USSD fields.
r=$(e2e_sim POST /mo "{\"from\":\"$a\",\"text\":\"BZ\"}") || e2e_fail "POST /mo failed: $r"
e2e_wait_sms_exact "$a" 2
sms=$(e2e_events submit | grep -F "\"dest\":\"$a\"" | tail -n1)
help=$(sed 's/{{service_number}}/10658000/' "$top_srcdir/templates/zh_CN/help.txt")
e2e_assert_eq "SMS answer text (the help)" "$help" "$(e2e_json text <<<"$sms")"
e2e_assert_eq "SMS answer source" "10658000" "$(e2e_json source <<<"$sms")"
e2e_assert_eq "SMS answer record accepted" accepted "$(e2e_redis HGET vasgw:msg:re-2 state)"
e2e_assert_eq "SMS answer ussd_service_op" "" "$(e2e_json ussd_service_op <<<"$sms")"
e2e_assert_eq "SMS answer its_session_info" "" "$(e2e_json its_session_info <<<"$sms")"
e2e_pass
