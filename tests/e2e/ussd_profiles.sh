#!/bin/bash
# Each [ussd] profile (gateway/ussd_profiles.def) as its SMSC spells a
# dialogue: the session number where the profile keeps it, echoed on every
# screen; the op that carries an answer; what ends a dialogue without a
# screen (the end bit, sixdee's 0x81, mica's 17 from the network), closing
# the session; and under the default profile a changing dialogue sequence
# number in its_session_info's second octet is the same session.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init ussd_profiles
e2e_start_redis
e2e_start_sim
e2e_start_prov
e2e_write_conf
e2e_start_vasgwd
e2e_wait_bound
e2e_services

home=$'自助服务\n1 待确认的推荐\n2 我开通的业务\n3 退订推荐短信\n4 注册推广员'
offers=$'您没有待确认的推荐。\n0返回 00主页'
screens_to() { e2e_events submit | grep -F "\"dest\":\"$1\"" | grep -vc '"ussd_service_op":null'; }

# POST /ussd: FROM OP ITS UMR TEXT [WAIT_MS] -> the screen JSON ("" when none came)
step() {
	local body r
	body=$(node -e 'const a = process.argv; const o = {from: a[1], op: Number(a[2]), text: a[5], wait_ms: Number(a[6])};
if (a[3]) o.its = a[3]; if (a[4]) o.umr = Number(a[4]);
process.stdout.write(JSON.stringify(o))' "$1" "$2" "$3" "$4" "$5" "${6:-5000}")
	r=$(e2e_sim POST /ussd "$body") || true
	e2e_assert_eq "request $2 from $1: deliver_sm_resp" "[0]" "$(e2e_json statuses <<<"$r")"
	e2e_json screen <<<"$r"
}
profile() {   # NAME: vasgwd restarted under that profile
	e2e_stop_vasgwd
	e2e_write_conf "ussd.profile=$1"
	e2e_start_vasgwd
	e2e_wait_bound
}

# --- default: session = its octet 1; 18 answers; the end bit ends ----------
a=8613800138001
s=$(step $a 1 0702 "" "*123*8#")
e2e_ussd_expect "default: menu" "$s" more "$home"
e2e_assert_eq "default: its echoed" 0702 "$(e2e_ussd_its <<<"$s")"
s=$(step $a 18 0704 "" 1) # the SMSC's next dialogue unit: octet 2 moved on
e2e_ussd_expect "default: the same session" "$s" more "$offers"
e2e_assert_eq "default: its echoed as it came" 0704 "$(e2e_ussd_its <<<"$s")"
e2e_assert_eq "default: session 07" 07 "$(e2e_redis HGET "vasgw:ussd:{$a}" sid)"
n=$(screens_to $a)
s=$(step $a 18 0705 "" "" 1500) # end bit set: the dialogue is over
e2e_assert_eq "default: no screen for the end" "" "$s"
e2e_wait_drained
e2e_assert_eq "default: session closed" 0 "$(e2e_redis EXISTS "vasgw:ussd:{$a}")"
e2e_assert_eq "default: nothing sent" "$n" "$(screens_to $a)"
# a dialogue the SMSC carries in data_sm (message_payload): the same
r=$(e2e_sim POST /ussd "{\"from\":\"8613800138004\",\"op\":1,\"its\":\"0902\",\"text\":\"*123*8#\",\"command\":\"data_sm\"}") ||
	e2e_fail "data_sm dial: $r"
e2e_assert_eq "data_sm: sent as one" data_sm "$(e2e_events deliver_sm | tail -n1 | e2e_json command)"
e2e_assert_eq "data_sm: data_sm_resp OK" "[0]" "$(e2e_json statuses <<<"$r")"
e2e_assert_eq "data_sm: answered with a data_sm_resp" data_sm_resp "$(e2e_events response | tail -n1 | e2e_json command)"
e2e_ussd_expect "data_sm: menu" "$(e2e_json screen <<<"$r")" more "$home"
e2e_assert_eq "data_sm: its echoed" 0902 "$(e2e_json screen <<<"$r" | e2e_ussd_its)"
# an op no dialogue of this profile uses (USSN confirm, 19): stored, not answered
s=$(step $a 19 0802 "" "" 1500)
e2e_assert_eq "default: op 19 not answered" "" "$s"

# --- sixdee: a 15-bit session; 0x81 aborts -----------------------------------
profile sixdee
b=8613800138002
s=$(step $b 1 1234 "" "*123*8#")
e2e_ussd_expect "sixdee: menu" "$s" more "$home"
e2e_assert_eq "sixdee: its echoed" 1234 "$(e2e_ussd_its <<<"$s")"
e2e_assert_eq "sixdee: session 1234" 1234 "$(e2e_redis HGET "vasgw:ussd:{$b}" sid)"
s=$(step $b 18 1236 "" 1) # another 15-bit id: another dialogue
e2e_ussd_expect "sixdee: another dialogue's answer" "$s" last "会话已结束，请重新拨打*123*8#。"
e2e_assert_eq "sixdee: the live session kept" 1234 "$(e2e_redis HGET "vasgw:ussd:{$b}" sid)"
s=$(step $b 18 1234 "" 1)
e2e_ussd_expect "sixdee: the answer" "$s" more "$offers"
n=$(screens_to $b)
s=$(step $b 129 1234 "" "" 1500)
e2e_assert_eq "sixdee: no screen for 0x81" "" "$s"
e2e_wait_drained
e2e_assert_eq "sixdee: session closed" 0 "$(e2e_redis EXISTS "vasgw:ussd:{$b}")"
e2e_assert_eq "sixdee: nothing sent" "$n" "$(screens_to $b)"

# --- mica: the session in user_message_reference; 17 from the network ends --
profile mica
c=8613800138003
s=$(step $c 1 "" 513 "*123*8#")
e2e_ussd_expect "mica: menu" "$s" more "$home"
e2e_assert_eq "mica: umr echoed" 513 "$(e2e_ussd_umr <<<"$s")"
e2e_assert_eq "mica: no its" "" "$(e2e_ussd_its <<<"$s")"
s=$(step $c 18 "" 513 1)
e2e_ussd_expect "mica: the answer" "$s" more "$offers"
e2e_assert_eq "mica: umr echoed" 513 "$(e2e_ussd_umr <<<"$s")"
s=$(step $c 2 "" 513 0) # any op but 1 and 17 is an answer
e2e_ussd_expect "mica: op 2 is an answer too" "$s" more "$home"
n=$(screens_to $c)
s=$(step $c 17 "" 513 "" 1500)
e2e_assert_eq "mica: no screen for 17" "" "$s"
e2e_wait_drained
e2e_assert_eq "mica: session closed" 0 "$(e2e_redis EXISTS "vasgw:ussd:{$c}")"
e2e_assert_eq "mica: nothing sent" "$n" "$(screens_to $c)"
e2e_assert_eq "aborts counted" 3 "$(e2e_redis HGET vasgw:stats ussd_aborts)"
e2e_pass
