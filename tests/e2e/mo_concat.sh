#!/bin/bash
# Concatenated MO (8-bit and 16-bit reference) is reassembled in Redis before
# it is stored: one MO record with the whole text, complete=1, and one help
# reply to the sender.
# A message missing a part is delivered with what arrived after
# [smsc] mo_reassembly_wait, marked incomplete with the missing part number.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init mo_concat
e2e_start_redis
e2e_start_sim
e2e_write_conf smsc.mo_reassembly_wait=2
e2e_start_vasgwd
e2e_wait_bound

text8=$(printf '我想了解彩铃业务的资费和开通方式，请回复。%.0s' 1 2 3)
text16=$(printf '手机报订阅咨询：每月多少钱？怎么退订？%.0s' 1 2 3 4)
a=8613800138000 b=8613900139000

mo() {   # FROM TEXT EXTRA_JSON
	local body
	body=$(node -e 'console.log(JSON.stringify(Object.assign({from: process.argv[1], text: process.argv[2]}, JSON.parse(process.argv[3]))))' "$1" "$2" "$3")
	e2e_sim POST /mo "$body"
}
r=$(mo "$a" "$text8" '{"parts":3,"ref":200}') || e2e_fail "POST /mo failed: $r"
e2e_assert_eq "8-bit ref: deliver_sm_resp statuses" "[0,0,0]" "$(e2e_json statuses <<<"$r")"
r=$(mo "$b" "$text16" '{"parts":3,"ref16":true,"ref":4660}') || e2e_fail "POST /mo failed: $r"
e2e_assert_eq "16-bit ref: deliver_sm_resp statuses" "[0,0,0]" "$(e2e_json statuses <<<"$r")"
# What went on the wire really was 3 concatenated UCS-2 parts of each kind.
e2e_assert_eq "8-bit UDHs" "050003c80301
050003c80302
050003c80303" "$(e2e_events deliver_sm | grep -F "\"source\":\"$a\"" | e2e_json udh)"
e2e_assert_eq "16-bit UDHs" "06080412340301
06080412340302
06080412340303" "$(e2e_events deliver_sm | grep -F "\"source\":\"$b\"" | e2e_json udh)"

# Two MO records, one per message (not one per part).
e2e_wait_for "two MO stored" 5 eval '[ "$(e2e_redis HGET vasgw:stats mo)" = 2 ]'
mo_record() {   # FROM -> key of its record
	local i
	for ((i = 1; i <= $(e2e_redis GET vasgw:seq:mo); i++)); do
		if [ "$(e2e_redis HGET "vasgw:mo:$i" from)" = "$1" ]; then
			echo "vasgw:mo:$i"
			return 0
		fi
	done
	return 1
}
ka=$(mo_record "$a") || e2e_fail "no MO record from $a"
kb=$(mo_record "$b") || e2e_fail "no MO record from $b"
e2e_assert_eq "8-bit ref: text" "$text8" "$(e2e_redis HGET "$ka" text)"
e2e_assert_eq "8-bit ref: complete" "1" "$(e2e_redis HGET "$ka" complete)"
e2e_assert_eq "8-bit ref: parts" "3" "$(e2e_redis HGET "$ka" parts)"
e2e_assert_eq "16-bit ref: text" "$text16" "$(e2e_redis HGET "$kb" text)"
e2e_assert_eq "16-bit ref: complete" "1" "$(e2e_redis HGET "$kb" complete)"
e2e_assert_eq "16-bit ref: parts" "3" "$(e2e_redis HGET "$kb" parts)"
e2e_assert_eq "no reassembly left over" "" "$(e2e_redis --scan --pattern 'vasgw:mo:asm:*')"
e2e_assert_eq "mo_incomplete" "" "$(e2e_redis HGET vasgw:stats mo_incomplete)"

# The help text (60 characters: one UCS-2 part) answers each sender once:
# once vasgwd has drained (both MO answered, the answers out), exactly one
# submit to each, and no other.
help=$(sed 's/{{service_number}}/10658000/' "$top_srcdir/templates/zh_CN/help.txt" | tr -d '\n')
e2e_wait_sms_exact "$a" 1
e2e_wait_sms_exact "$b" 1
e2e_assert_eq "submits in all: the two answers" 2 "$(e2e_count_events submit)"
for rid in "re-${ka##*:}" "re-${kb##*:}"; do
	e2e_assert_eq "reply $rid: one part" 1 "$(e2e_redis HGET "vasgw:msg:$rid" parts)"
	e2e_assert_eq "reply $rid accepted" accepted "$(e2e_redis HGET "vasgw:msg:$rid" state)"
done
for who in "$a" "$b"; do
	got=$(e2e_events submit | grep -F "\"dest\":\"$who\"" | e2e_json text | tr -d '\n')
	e2e_assert_eq "help reply to $who" "$help" "$got"
	e2e_assert_eq "reply source" "10658000" "$(e2e_events submit | grep -F "\"dest\":\"$who\"" | e2e_json source | sort -u)"
done
e2e_assert_eq "help reply record for $a" "$a" "$(e2e_redis HGET "vasgw:msg:re-${ka##*:}" to)"

# Parts 1 and 3 of 3 only: after the wait, one MO with both, incomplete.
partial=8613700137000
r=$(mo "$partial" "$text8" '{"parts":3,"ref":77,"only_parts":[1,3]}') || e2e_fail "POST /mo failed: $r"
e2e_assert_eq "partial: deliver_sm_resp statuses" "[0,0]" "$(e2e_json statuses <<<"$r")"
e2e_wait_for "the incomplete MO delivered" 10 eval '[ "$(e2e_redis HGET vasgw:stats mo_incomplete)" = 1 ]'
kc=$(mo_record "$partial") || e2e_fail "no MO record from $partial"
e2e_assert_eq "partial: complete" "0" "$(e2e_redis HGET "$kc" complete)"
e2e_assert_eq "partial: missing" "2" "$(e2e_redis HGET "$kc" missing)"
p1=$(e2e_events deliver_sm | grep -F "\"source\":\"$partial\"" | e2e_json text | tr -d '\n')
e2e_assert_eq "partial: the parts that arrived, in order" "$p1" "$(e2e_redis HGET "$kc" text)"
e2e_pass
