#!/bin/bash
# A refused bind shows in vasgw stats with the status name and is retried
# with back-off (1 s doubling up to reconnect_max = 2 s, with jitter):
# never a tight loop.
# Once the SMSC accepts, vasgwd binds and sends what was queued meanwhile.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init bind_refused
e2e_start_redis
e2e_start_sim --password other
e2e_write_conf smsc.reconnect_max=2
e2e_start_vasgwd

id=$(e2e_vasgw send 13800138000 "queued while refused") || e2e_fail "send refused"

# Watch the attempts until one comes more than 6 s after the first.
bind_times() { e2e_event_values bind t; }
late_attempt() {
	local t
	t=$(bind_times)
	[ -n "$t" ] && [ "$(tail -n1 <<<"$t")" -gt $(($(head -n1 <<<"$t") + 6000)) ]
}
e2e_wait_for "a bind attempt 6 s after the first" 15 late_attempt
times=$(bind_times)
t0=$(head -n1 <<<"$times")
in6=$(awk -v t0="$t0" '$1 <= t0 + 6000' <<<"$times" | wc -l)
[ "$in6" -gt 1 ] || e2e_fail "no retry within 6 s ($in6 bind attempt)"
[ "$in6" -lt 8 ] || e2e_fail "$in6 bind attempts within 6 s: not backing off"
# No two attempts closer than the smallest back-off (1 s - 25% jitter).
mingap=$(awk 'NR > 1 { g = $1 - p; if (m == "" || g < m) m = g } { p = $1 } END { print m }' <<<"$times")
[ "$mingap" -ge 700 ] || e2e_fail "bind attempts only $mingap ms apart"
e2e_assert_eq "bind statuses" "14" "$(e2e_event_values bind status | sort -u)"   # 0x0E
e2e_assert_eq "accepted binds" "0" "$(e2e_sim_stat binds)"
# What the operator sees: the bind, not bound, never connected, and why.
bind=$(e2e_vasgw_ok --json stats | e2e_json nodes.0.binds.0)
e2e_assert_eq "stats: the bind's last error" "bind refused: ESME_RINVPASWD" "$(e2e_json last_error <<<"$bind")"
e2e_assert_eq "stats: role, state, binds" "transceiver closed 0" \
	"$(e2e_json role <<<"$bind") $(e2e_json state <<<"$bind") $(e2e_json connects <<<"$bind")"
e2e_assert_match "stats (text): the refusal" "transceiver +closed +0 in flight, 0 binds, [0-9]+ disconnects, last error: bind refused: ESME_RINVPASWD" \
	"$(e2e_vasgw_ok stats)"
e2e_assert_eq "state while refused" "queued" "$(e2e_redis HGET "vasgw:msg:$id" state)"
e2e_assert_eq "submits while refused" "0" "$(e2e_count_events submit)"

# The SMSC now takes the password: the next retry binds and sends.
e2e_sim POST /config '{"password":"secret"}' >/dev/null || e2e_fail "POST /config failed"
e2e_wait_bound 1 5
is_accepted() { [ "$(e2e_redis HGET "vasgw:msg:$1" state)" = accepted ]; }
e2e_wait_for "queued message accepted" 10 is_accepted "$id"
e2e_assert_eq "submitted text" "queued while refused" "$(e2e_event_values submit text)"
e2e_assert_eq "accepted binds" "1" "$(e2e_sim_stat binds)"
# The node's status (published every second) says so too.
bound_once() { [ "$(e2e_vasgw_ok --json stats | e2e_json nodes.0.binds.0.state)" = bound ]; }
e2e_wait_for "stats: bound" 5 bound_once
e2e_assert_eq "stats: one bind" "1" "$(e2e_vasgw_ok --json stats | e2e_json nodes.0.binds.0.connects)"
e2e_pass
