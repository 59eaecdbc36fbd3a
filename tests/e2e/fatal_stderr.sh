#!/bin/bash
# What stops vasgwd with status 1 is said on standard error, where the
# person who started it looks, also when [gateway] log_file sends the log
# elsewhere (vasgwd(8), EXIT STATUS): a second vasgwd with a node name in
# use.  Before, with log_file set, the reason went only into the log file,
# the first daemon's, and the terminal showed nothing.  The line is in the
# log file too, once.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init fatal_stderr
e2e_start_redis
e2e_start_sim
logf=$E2E_DIR/node.log
e2e_write_conf gateway.node=n1 "gateway.log_file=$logf"
e2e_start_vasgwd
e2e_wait_bound

st=0
timeout 20 ${VASGWD_WRAPPER:-} "$top_builddir/vasgwd" -c "$E2E_CONF" \
	>"$E2E_DIR/vasgwd-second.stdout" 2>"$E2E_DIR/vasgwd-second.stderr" || st=$?
e2e_assert_eq "the second vasgwd exits 1" "1" "$st"
e2e_assert_match "standard error says why" \
	"^vasgwd: node n1 is already running: [^ ]+ \(host/pid/started\) holds it; two vasgwd must not share a \[gateway\] node name" \
	"$(cat "$E2E_DIR/vasgwd-second.stderr")"
e2e_assert_eq "one line on standard error" 1 "$(wc -l <"$E2E_DIR/vasgwd-second.stderr")"
e2e_assert_eq "nothing on standard output" "" "$(cat "$E2E_DIR/vasgwd-second.stdout")"
e2e_assert_eq "the log file has it once" 1 "$(grep -c ' error node n1 is already running' "$logf")"
e2e_vasgwd_alive || e2e_fail "the first vasgwd died"
e2e_mo 8613800138000 BZ
e2e_wait_sms_exact 8613800138000 1
e2e_pass
