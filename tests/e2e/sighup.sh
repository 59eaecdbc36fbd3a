#!/bin/bash
# SIGHUP reopens the log file (what logrotate needs): after the file is moved
# away and vasgwd gets SIGHUP, new lines go to a new file at the same path,
# and the daemon keeps working.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init sighup
e2e_start_redis
e2e_start_sim
e2e_write_conf "gateway.log_file=$E2E_DIR/vasgwd-file.log" gateway.log_level=info
e2e_start_vasgwd
e2e_wait_bound
e2e_wait_for "the log file" 5 grep -q "bound as transceiver" "$E2E_DIR/vasgwd-file.log"

mv "$E2E_DIR/vasgwd-file.log" "$E2E_DIR/vasgwd-file.log.1"
kill -HUP "$VASGWD_PID"
e2e_wait_for "a new log file" 5 grep -q "SIGHUP: log reopened" "$E2E_DIR/vasgwd-file.log"
e2e_vasgwd_alive || e2e_fail "vasgwd died on SIGHUP"
id=$(e2e_vasgw send 13800138000 "after rotation") || e2e_fail "send refused"
is_accepted() { [ "$(e2e_redis HGET "vasgw:msg:$1" state)" = accepted ]; }
e2e_wait_for "a message after the rotation" 10 is_accepted "$id"
grep -q "SIGHUP" "$E2E_DIR/vasgwd-file.log.1" && e2e_fail "the old file got lines after SIGHUP"
e2e_pass
