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

# Here the log file is the feature: its lines are what the test reads.
old=$E2E_DIR/vasgwd-file.log.1 new=$E2E_DIR/vasgwd-file.log
mv "$new" "$old"
kill -HUP "$VASGWD_PID"
e2e_wait_for "a new log file" 5 grep -q "SIGHUP: log reopened" "$new"
# Reopened: the old file is closed, and written no more.
size=$(stat -c %s "$old")
e2e_vasgwd_alive || e2e_fail "vasgwd died on SIGHUP"
id=$(e2e_vasgw send 13800138000 "after rotation") || e2e_fail "send refused"
is_accepted() { [ "$(e2e_redis HGET "vasgw:msg:$1" state)" = accepted ]; }
e2e_wait_for "a message after the rotation" 10 is_accepted "$id"
# Its outcome's line is in the new file, and nothing of it in the old.
e2e_wait_for "the message's line in the new file" 5 grep -qF "info MT $id to 138****8000: accepted" "$new"
e2e_assert_eq "lines in the old file about the message" "0" "$(grep -cF "$id" "$old")"
e2e_assert_eq "lines in the old file about SIGHUP" "0" "$(grep -c SIGHUP "$old")"
e2e_assert_eq "the old file's size since SIGHUP" "$size" "$(stat -c %s "$old")"
e2e_pass
