#!/bin/bash
# vasgwd binds to the SMSC only while it can take messages: not before
# Redis is ready, and not while Redis has been gone for longer than 10 s
# (it unbinds, and binds again when Redis is back).  It runs as its
# [gateway] node only when no other live vasgwd does: a second one with the
# same node name is refused with a clear error, and never binds; a clean
# stop frees the name at once, and a crashed one's name is taken over at
# once on the same host.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init redis_gate
e2e_start_redis
e2e_start_sim
e2e_write_conf gateway.node=n1
e2e_stop_redis # its port stays in the configuration: Redis is down

log=$E2E_DIR/vasgwd.log
count() { grep -cF -- "$1" "$log" || true; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# first_after EV N — the simulator's time ("t", ms) of the first EV event
# after the first N of them ("" when there is none).
first_after() { e2e_events "$1" | sed -n "$(($2 + 1))p" | e2e_json t; }
# after WHAT T0 T — fail unless the time T is not before T0.
after() {
	[[ $3 =~ ^[0-9]+$ ]] || e2e_fail "$1: no such event (time '$3')"
	[ "$3" -ge "$2" ] || e2e_fail "$1: at $3, $(($2 - $3)) ms before Redis came back ($2)"
}
# claimed_by_me — P:running:n1 holds this vasgwd: "host/pid/started ms"
# (gateway/daemon.c, d->instance).
claimed_by_me() {
	e2e_assert_match "vasgw:running:n1 held by vasgwd $VASGWD_PID" \
		"^$(hostname)/$VASGWD_PID/[0-9]+\$" "$(e2e_redis GET vasgw:running:n1)"
}

# 1. No Redis: it tries Redis and does not bind.
e2e_start_vasgwd
e2e_wait_for "vasgwd waiting for Redis" 10 eval '[ "$(count "waiting for Redis before binding")" -ge 1 ]'
fails() { [ "$(grep -c "redis .*127.0.0.1:$REDIS_PORT" "$log")" -ge "$1" ]; }
e2e_wait_for "two failed Redis connects" 15 fails 2
e2e_assert_eq "no connection to the SMSC without Redis" "0" "$(e2e_count_events connect)"
up=$(now_ms) # Redis is down until at least now
e2e_restart_redis
e2e_wait_bound
e2e_assert_eq "one bind, once Redis was up" "1" "$(e2e_count_events bind)"
after "the first connect to the SMSC" "$up" "$(first_after connect 0)"
after "the first bind" "$up" "$(first_after bind 0)"
e2e_assert_match "it runs as its node" "running as node n1 " "$(cat "$log")"
claimed_by_me

# 2. A second vasgwd with the same node name: refused while the first runs.
st=0
timeout 20 "$top_builddir/vasgwd" -c "$E2E_CONF" >"$E2E_DIR/vasgwd-second.log" 2>&1 || st=$?
e2e_assert_eq "the second vasgwd exits 1" "1" "$st"
e2e_assert_match "it says the node is taken and what to do" \
	"node n1 is already running: .* holds it; two vasgwd must not share a \[gateway\] node name" \
	"$(cat "$E2E_DIR/vasgwd-second.log")"
e2e_assert_eq "it never connected to the SMSC" "1" "$(e2e_count_events connect)"
e2e_vasgwd_alive || e2e_fail "the first vasgwd died"
# The first still works: an MO is answered.
e2e_mo 8613800138000 BZ
e2e_wait_sms_exact 8613800138000 1

# A clean stop frees the name: the next run takes it at once.
e2e_stop_vasgwd
e2e_assert_eq "stopped cleanly" "0" "$VASGWD_STATUS"
e2e_assert_eq "the name is free" "0" "$(e2e_redis EXISTS vasgw:running:n1)"
e2e_start_vasgwd
e2e_wait_bound
# A crashed one (SIGKILL) leaves its claim; on the same host the next run
# sees the process is gone and takes over without waiting for it to lapse.
e2e_kill_vasgwd
e2e_assert_eq "the claim outlives the crash" "1" "$(e2e_redis EXISTS vasgw:running:n1)"
binds=$(e2e_count_events bind)
e2e_start_vasgwd
e2e_wait_for "bound again after the crash" 10 eval '[ "$(e2e_count_events bind)" -gt "$binds" ]'
e2e_assert_eq "taken over from the dead process" "1" "$(count "which is no longer running")"
claimed_by_me

# 3. Redis lost for longer than the grace: unbind; back: bind again.
unbinds=$(e2e_count_events unbind)
binds=$(e2e_count_events bind)
e2e_stop_redis
e2e_wait_for "vasgwd unbinds without Redis" 30 eval '[ "$(e2e_count_events unbind)" -gt "$unbinds" ]'
e2e_assert_eq "it said why" "1" "$(count "Redis unreachable for 10 s: unbinding from the SMSC until it is back")"
e2e_vasgwd_alive || e2e_fail "vasgwd died without Redis"
# Redis stays down 3 s more, longer than a link waits to reconnect
# ([smsc] reconnect_max = 2 s): a link binding again without Redis would
# do so now.  (A window for a wrong bind to show, not a condition to pass.)
sleep 3
up=$(now_ms) # Redis is down until at least now
e2e_restart_redis
e2e_wait_for "bound again with Redis back" 20 eval '[ "$(e2e_count_events bind)" -gt "$binds" ]'
# It stayed unbound while Redis was down: the first bind after the unbind
# came once Redis was back.
after "the first bind after the unbind" "$up" "$(first_after bind "$binds")"
e2e_assert_eq "it said so" "1" "$(count "Redis is back: binding to the SMSC again")"
e2e_mo 8613800138001 BZ
e2e_wait_sms_exact 8613800138001 1
e2e_assert_eq "one answer each" "1 1" "$(e2e_sms_count 8613800138000) $(e2e_sms_count 8613800138001)"

# 4. Redis back but still loading its dataset: it answers FUNCTION LIST
#    (with no library yet) and refuses FUNCTION LOAD with "LOADING".  That
#    is not a library Redis refuses: vasgwd tries again and binds once the
#    load is done (it used to stop with status 1, "cannot go on without
#    the Functions library").  The load is made slow on purpose: the keys
#    in the AOF's RDB base, each loaded with a delay (key-load-delay, µs),
#    about 3 s in all.
e2e_redis BGREWRITEAOF >/dev/null
rewritten() { e2e_redis INFO persistence | grep -q '^aof_rewrite_in_progress:0'; }
e2e_wait_for "the AOF rewritten" 10 rewritten
keys=$(e2e_redis DBSIZE)
readies=$(count "info redis 127.0.0.1:$REDIS_PORT: ready")
E2E_REDIS_ARGS="--key-load-delay $((3000000 / (keys > 0 ? keys : 1)))" e2e_restart_redis
e2e_assert_match "vasgwd met the load" "Redis cannot take the Functions library yet \\(LOADING" "$(cat "$log")"
e2e_wait_for "vasgwd's Redis ready again" 15 eval \
	'[ "$(count "info redis 127.0.0.1:$REDIS_PORT: ready")" -gt "$readies" ]'
e2e_vasgwd_alive || e2e_fail "vasgwd stopped while Redis was loading"
e2e_mo 8613800138002 BZ
e2e_wait_sms 8613800138002 1 20
e2e_wait_sms_exact 8613800138002 1
e2e_vasgwd_alive || e2e_fail "vasgwd stopped after Redis loaded"
e2e_pass
