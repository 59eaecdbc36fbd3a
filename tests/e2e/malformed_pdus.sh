#!/bin/bash
# Malformed PDUs from the SMSC: an unknown command id gets generic_nack
# ESME_RINVCMDID with its sequence number; an undecodable body is refused and
# stored nowhere; a command_length under 16 or over the limit closes the
# connection (the stream cannot be trusted).  vasgwd survives all of them,
# binds again, and MT still flows.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init malformed_pdus
e2e_start_redis
e2e_start_sim
e2e_write_conf
e2e_start_vasgwd
e2e_wait_bound

raw() { e2e_sim POST /raw "{\"hex\":\"$1\"}" >/dev/null || e2e_fail "POST /raw $1 failed"; }
nack_for() {   # SEQ STATUS: a generic_nack with that sequence and status arrived
	e2e_events generic_nack | grep -qF "\"seq\":$1,\"status\":$2,"
}
accepted_binds() { e2e_events bind | grep -cF '"accepted":true'; }
binds_at_least() { [ "$(accepted_binds)" -ge "$1" ]; }

# 1. Unknown command id 0x000000FF, sequence 42: generic_nack status 3.
raw 00000010000000ff000000000000002a
e2e_wait_for "generic_nack for the unknown command id" 5 nack_for 42 3
e2e_assert_eq "connections so far" "0" "$(e2e_count_events close)"

# 2. A deliver_sm whose length is right but whose body stops inside
#    source_addr (sequence 51): refused, nothing stored, link kept.
#    (22 octets: the 16-octet header, service_type "", two TONs/NPIs, "861")
raw 00000016000000050000000000000033000101383631
#    smpp_pdu_unpack fails on it; gateway/smpp_session.c (on_pdu) answers
#    generic_nack ESME_RINVCMDLEN (2) with its sequence number, and no
#    deliver_sm_resp: that answer exactly, once.
e2e_wait_for "generic_nack ESME_RINVCMDLEN for the truncated deliver_sm" 5 nack_for 51 2
no_resp_51() {   # every answer vasgwd sent with sequence 51: ev status
	e2e_assert_eq "answers to sequence 51: the one generic_nack" "generic_nack 2" \
		"$(e2e_events | node -e '
let d = ""; process.stdin.on("data", (c) => d += c).on("end", () => {
	for (const l of d.split("\n").filter(Boolean)) {
		const o = JSON.parse(l);
		if (o.seq === 51 && (o.ev === "generic_nack" || /_resp$/.test(o.ev)))
			console.log(o.ev, o.status);
	}
});')"
}
no_resp_51
e2e_assert_eq "MO stored from the truncated deliver_sm" "" "$(e2e_redis HGET vasgw:stats mo)"
e2e_vasgwd_alive || e2e_fail "vasgwd died on a truncated deliver_sm"
e2e_assert_eq "connections closed so far" "0" "$(e2e_count_events close)"
e2e_assert_eq "binds so far" "1" "$(accepted_binds)"

# 3. command_length 8 (under the 16-octet header): connection closed.
raw 0000000800000015
e2e_wait_for "the connection closed after command_length 8" 5 e2e_has_events close 1
no_resp_51   # the session that had it is gone: nothing more can come for it
e2e_vasgwd_alive || e2e_fail "vasgwd died on command_length 8"
grep -q 'invalid command_length 8;' "$E2E_DIR/vasgwd.log" ||
	e2e_fail "the close was not for command_length 8 (see vasgwd.log)"
e2e_wait_for "vasgwd binds again" 10 binds_at_least 2
e2e_wait_bound

# 4. command_length 0x7FFFFFFF: connection closed, not an allocation.
raw 7fffffff000000050000000000000034
e2e_wait_for "the connection closed after command_length 0x7FFFFFFF" 5 e2e_has_events close 2
e2e_vasgwd_alive || e2e_fail "vasgwd died on command_length 0x7FFFFFFF"
grep -q 'invalid command_length 2147483647;' "$E2E_DIR/vasgwd.log" ||
	e2e_fail "the close was not for command_length 0x7FFFFFFF (see vasgwd.log)"
e2e_wait_for "generic_nack ESME_RINVCMDLEN for sequence 52" 2 nack_for 52 2
e2e_wait_for "vasgwd binds again" 10 binds_at_least 3
e2e_wait_bound
e2e_assert_eq "connections opened" "3" "$(e2e_count_events connect)"

# Afterwards MT still goes through on the new bind.
id=$(e2e_vasgw send 13800138000 "still alive") || e2e_fail "send refused"
is_accepted() { [ "$(e2e_redis HGET "vasgw:msg:$1" state)" = accepted ]; }
e2e_wait_for "MT accepted after the malformed PDUs" 10 is_accepted "$id"
e2e_assert_eq "submitted text" "still alive" "$(e2e_event_values submit text)"
e2e_vasgwd_alive || e2e_fail "vasgwd died"
e2e_pass
