#!/bin/bash
# An MO whose octets are not text in their data_coding is stored as
# undecodable, acknowledged, and answered "could not read your message";
# it confirms nothing.  Before, odd-length UCS-2 00 59 00 decoded to
# "Y\uFFFD", normalised to "Y", and confirmed the pending offer.
#
# Each case: an offer of CL is pending, the MO comes, the answer is the
# `unreadable` template (and is delivered), the MO's record says
# error=undecodable with its octets in hex, the offer is still pending and
# no order was made.  Then a valid surrogate pair (Y and an emoji) still
# confirms, and a concatenated MO whose second part is odd-length UCS-2 is
# undecodable as a whole although its first part is a valid "Y".
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init mo_undecodable
e2e_start_subscriber_side --receipts on

unreadable=$(head -n1 "$top_srcdir/templates/zh_CN/unreadable.txt")

# raw_mo NUM DCS HEX [UDH_HEX] — the SMSC delivers these octets from 86NUM.
raw_mo() {
	local body r
	body=$(node -e 'const a = process.argv;
const o = {from: a[1], dcs: Number(a[2]), payload_hex: a[3]};
if (a[4]) o.udh_hex = a[4];
process.stdout.write(JSON.stringify(o))' "86$1" "$2" "$3" "${4:-}")
	r=$(e2e_sim POST /mo "$body") || e2e_fail "POST /mo failed: $r"
	[ "$(e2e_json statuses <<<"$r")" = "[0]" ] || e2e_fail "MO $3 from $1: deliver_sm_resp $r"
}
last_mo() { e2e_redis GET vasgw:seq:mo; }
msg_state() { e2e_redis HGET "vasgw:msg:$1" state; }
msg_is() { [ "$(msg_state "$1")" = "$2" ]; }

# offer NUM — a pending offer of CL to 86NUM; prints its id.
offer() {
	local out
	out=$(e2e_vasgw --json recommend "$1" CL) || e2e_fail "recommend $1 failed: $out"
	e2e_wait_sms_exact "86$1" 1
	e2e_json offers.0.offer <<<"$out"
}

# unread NUM DCS HEX [UDH_HEX] — these octets, answering NUM's pending
# offer, are undecodable: answered, not acted on.
unread() {
	local num=$1 dcs=$2 hex=$3 udh=${4:-} o n id
	o=$(offer "$num")
	n=$(e2e_sms_count "86$num")
	raw_mo "$num" "$dcs" "$hex" "$udh"
	e2e_wait_sms_exact "86$num" $((n + 1))
	id=$(last_mo)
	e2e_assert_eq "$hex: the answer" "$unreadable" "$(e2e_last_sms "86$num")"
	e2e_assert_eq "$hex: the MO's error" "undecodable" "$(e2e_redis HGET "vasgw:mo:$id" error)"
	e2e_assert_eq "$hex: the MO's octets, in hex" "${udh,,}${hex,,}" "$(e2e_redis HGET "vasgw:mo:$id" text)"
	e2e_assert_eq "$hex: the MO's data_coding" "$dcs" "$(e2e_redis HGET "vasgw:mo:$id" dcs)"
	e2e_wait_for "$hex: the answer delivered" 10 msg_is "re-$id" delivered
	e2e_assert_eq "$hex: the offer still pending" "pending" "$(e2e_redis HGET "vasgw:offer:$o" state)"
	e2e_assert_eq "$hex: no order" "0" "$(e2e_redis EXISTS "vasgw:order:A$o")"
	e2e_assert_eq "$hex: nothing else sent" $((n + 1)) "$(e2e_sms_count "86$num")"
}

unread 13800000001 8 005900     # odd-length UCS-2: "Y" and half a character
unread 13800000002 8 D83D0059   # a high surrogate without its low one
unread 13800000003 8 0059DE00   # a low surrogate alone
unread 13800000004 8 DE00D83D   # a pair reversed
unread 13800000005 0 591B       # GSM: "Y" and an escape with nothing after it
unread 13800000006 1 59FF       # IA5: "Y" and an octet above 0x7F
e2e_assert_eq "no webhook call" "0" "$(e2e_prov_count_calls)"

# The same odd-length "Y", redelivered by no one but sent again by the
# person (another connection's dedup does not apply: same connection, a new
# message): told again.
n=$(e2e_sms_count 8613800000001)
raw_mo 13800000001 8 005900
e2e_wait_sms_exact 8613800000001 $((n + 1))
e2e_assert_eq "sent again: told again" "$unreadable" "$(e2e_last_sms 8613800000001)"

# A valid surrogate pair is text: "Y👍" is "Y" (the emoji is trailing
# noise) and confirms.
o=$(offer 13800000007)
raw_mo 13800000007 8 0059D83DDC4D
# The offer, the confirmation, the activation's result.
e2e_wait_sms_exact 8613800000007 3
e2e_assert_match "Y👍: confirmed" "已收到您开通彩铃的确认" "$(e2e_sms_to 8613800000007 | sed -n 2p)"
e2e_assert_eq "Y👍: the MO decoded" "Y👍" "$(e2e_redis HGET "vasgw:mo:$(last_mo)" text)"
e2e_assert_eq "Y👍: no error" "" "$(e2e_redis HGET "vasgw:mo:$(last_mo)" error)"
e2e_wait_for "Y👍: the order done" 10 eval '[ "$(e2e_redis HGET "vasgw:order:A$o" state)" = done ]'

# Two parts, the first a valid "Y", the second odd-length: one MO, not
# text as a whole; the first part alone is not taken for a confirmation.
o=$(offer 13800000008)
raw_mo 13800000008 8 0059 050003AA0201
raw_mo 13800000008 8 00 050003AA0202
e2e_wait_sms_exact 8613800000008 2
id=$(last_mo)
e2e_assert_eq "parts: the answer" "$unreadable" "$(e2e_last_sms 8613800000008)"
e2e_assert_eq "parts: one MO of two parts" "2 1 undecodable" \
	"$(e2e_redis HMGET "vasgw:mo:$id" parts complete error | tr '\n' ' ' | sed 's/ $//')"
e2e_assert_eq "parts: the offer still pending" "pending" "$(e2e_redis HGET "vasgw:offer:$o" state)"
e2e_wait_for "parts: the answer delivered" 10 msg_is "re-$id" delivered
e2e_wait_drained
e2e_assert_eq "parts: one answer only" "2" "$(e2e_sms_count 8613800000008)"
e2e_assert_eq "one webhook call in all (Y👍's)" "1" "$(e2e_prov_count_calls)"
e2e_pass
