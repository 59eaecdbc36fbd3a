#!/bin/bash
# Every program, command and family answers --help (and the programs
# --version) on stdout with status 0, without a configuration file or a
# Redis: an operator reads the help before anything is set up.  A bad
# command line is refused with status 2 and a message naming what is wrong.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init usage
export VASGW_CONF=$E2E_DIR/no-such.conf # nothing to read; no Redis running

run() { # LABEL WANT_STATUS PROGRAM ARGS...: its stdout in $out, stderr in $err
	local label=$1 want=$2 st=0
	shift 2
	out=$(${VASGW_WRAPPER:-} "$@" 2>"$E2E_DIR/$label.stderr") || st=$?
	err=$(<"$E2E_DIR/$label.stderr")
	[ "$st" = "$want" ] || e2e_fail "$label: exit status $st, expected $want; stderr: $err"
}

vasgw=$top_builddir/vasgw
vasgwd=$top_builddir/vasgwd

run help 0 "$vasgw" --help
e2e_assert_match "vasgw --help: usage" '^usage: vasgw ' "$out"
e2e_assert_eq "vasgw --help: nothing on stderr" "" "$err"
# The command list the help prints is the dispatch table: every line of it.
cmds=$(sed -n '/^commands:/,/^options:/p' <<<"$out" | sed -n 's/^  \([a-z-]*\( [a-z-]*\)\?\)  .*/\1/p' | sed 's/ *$//')
n=$(wc -l <<<"$cmds")
[ "$n" -ge 20 ] || e2e_fail "only $n commands listed by vasgw --help: $cmds"
families=
while read -r cmd; do
	# shellcheck disable=SC2086  # "msg show" is two words
	run "help-${cmd// /-}" 0 "$vasgw" $cmd --help
	e2e_assert_match "vasgw $cmd --help" "^usage: vasgw $cmd" "$out"
	e2e_assert_eq "vasgw $cmd --help: nothing on stderr" "" "$err"
	# shellcheck disable=SC2086
	run "h-${cmd// /-}" 0 "$vasgw" $cmd -h
	e2e_assert_match "vasgw $cmd -h" "^usage: vasgw $cmd" "$out"
	case $cmd in *' '*) families+=" ${cmd%% *}" ;; esac
done <<<"$cmds"
for fam in $(tr ' ' '\n' <<<"$families" | sort -u); do
	run "family-$fam" 0 "$vasgw" "$fam" --help
	e2e_assert_match "vasgw $fam --help lists its commands" "^  $fam [a-z]+ " "$(sed -n 2p <<<"$out")"
	# A family alone is not a command: its list, on stderr, status 2.
	run "family-bare-$fam" 2 "$vasgw" "$fam"
	e2e_assert_match "vasgw $fam: names the missing command" "$fam" "$err"
done
# --help anywhere on the line is the help, never an argument: not a
# message named --help, not a lookup.
run msg-show-id-help 0 "$vasgw" msg show some-id --help
e2e_assert_match "msg show ID --help" '^usage: vasgw msg show' "$out"
run version 0 "$vasgw" --version
e2e_assert_match "vasgw --version" '^vasgw [0-9]+\.[0-9]+\.[0-9]+' "$out"

# Refusals: status 2 and what is wrong.
run unknown-cmd 2 "$vasgw" frobnicate
e2e_assert_match "unknown command named" "frobnicate" "$err"
run unknown-opt 2 "$vasgw" send --nmae x
e2e_assert_match "unknown option named" "'--nmae'" "$err"
run c-missing 2 "$vasgw" -c
e2e_assert_match "vasgw -c without a file" "-c" "$err"
# The configuration file is only read for real work, and its absence named.
run no-conf 1 "$vasgw" stats
e2e_assert_match "a missing configuration is named" "no-such.conf" "$err"

# The daemon.
run d-help 0 "$vasgwd" --help
e2e_assert_match "vasgwd --help" '^usage: vasgwd ' "$out"
run d-version 0 "$vasgwd" --version
e2e_assert_match "vasgwd --version" '^vasgwd [0-9]+\.[0-9]+\.[0-9]+' "$out"
run d-c-missing 2 "$vasgwd" -c
e2e_assert_match "vasgwd -c without a file names the missing argument" "option '-c' needs a file name" "$err"
run d-unknown 2 "$vasgwd" --chek
e2e_assert_match "vasgwd: unknown option named" "'--chek'" "$err"
run d-no-conf 1 "$vasgwd" --check
e2e_assert_match "vasgwd: a missing configuration is named" "no-such.conf" "$err"
e2e_pass
