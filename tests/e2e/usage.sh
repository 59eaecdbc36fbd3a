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
# The command list the help prints is the dispatch table: every row of
# cli/commands.def, in its order, and nothing else.
def=$top_srcdir/cli/commands.def
want=$(sed -n 's/^CLI("\([^"]*\)".*/\1/p' "$def")
[ "$(wc -l <<<"$want")" = "$(grep -c '^CLI(' "$def")" ] ||
	e2e_fail "cannot read every CLI( row of $def: $(grep '^CLI(' "$def" | grep -v '^CLI("' | head -n3)"
# words: a command's words in a list line "  WORDS<spaces>SUMMARY"
# (printed "  %-17s SUMMARY"); each line of the list must be one.
words() { sed -n 's/^  \([a-z-]\{1,\}\( [a-z-]\{1,\}\)\{0,1\}\) \{1,\}[^ ].*/\1/p'; }
list=$(sed -n '/^commands:/,/^options:/p' <<<"$out" | sed '1d;$d')
cmds=$(words <<<"$list")
e2e_assert_eq "vasgw --help: a command per line" "$(wc -l <<<"$list")" "$(wc -l <<<"$cmds")"
e2e_assert_eq "vasgw --help: the commands of cli/commands.def" "$want" "$cmds"
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
	e2e_assert_eq "vasgw $fam --help: its title" \
		"the $fam commands ('vasgw $fam COMMAND --help' for one):" "$(head -n1 <<<"$out")"
	famlist=$(sed 1d <<<"$out")
	e2e_assert_eq "vasgw $fam --help lists its commands, those of cli/commands.def" \
		"$(grep "^$fam " <<<"$want")" "$(words <<<"$famlist")"
	e2e_assert_eq "vasgw $fam --help: the lines of vasgw --help" "$(grep "^  $fam " <<<"$list")" "$famlist"
	# A family alone is not a command: its list, on stderr, status 2.
	run "family-bare-$fam" 2 "$vasgw" "$fam"
	e2e_assert_eq "vasgw $fam: names the missing command and lists the family's" \
		"vasgw: '$fam' needs a command:
$famlist" "$err"
	e2e_assert_eq "vasgw $fam: nothing on stdout" "" "$out"
done
# --help anywhere on the line is the help, never an argument: not a
# message named --help, not a lookup.
run msg-show-id-help 0 "$vasgw" msg show some-id --help
e2e_assert_match "msg show ID --help" '^usage: vasgw msg show' "$out"
run version 0 "$vasgw" --version
e2e_assert_match "vasgw --version" '^vasgw [0-9]+\.[0-9]+\.[0-9]+' "$out"

# Refusals: status 2 and what is wrong.
run unknown-cmd 2 "$vasgw" frobnicate
e2e_assert_eq "unknown command named" "vasgw: unknown command 'frobnicate' (try 'vasgw --help')" "$err"
run unknown-opt 2 "$vasgw" send --nmae x
e2e_assert_eq "unknown option named" "vasgw: send: unknown option '--nmae' (try 'vasgw --help')" "$err"
run no-value 2 "$vasgw" order list --limit
e2e_assert_eq "an option without its value, before the configuration" \
	"vasgw: order list: option '--limit' needs a value (try 'vasgw --help')" "$err"
run no-value2 2 "$vasgw" promoter reject 13900139000 --reason --json
e2e_assert_eq "a value-taking option followed by another option" \
	"vasgw: promoter reject: option '--reason' needs a value (try 'vasgw --help')" "$err"
run no-value3 2 "$vasgw" service set CL --price
e2e_assert_eq "an option of service add, by service set" \
	"vasgw: service set: option '--price' needs a value (try 'vasgw --help')" "$err"
run c-missing 2 "$vasgw" -c
e2e_assert_eq "vasgw -c without a file" "vasgw: -c needs a file name (try 'vasgw --help')" "$err"
# The configuration file is only read for real work, and its absence named.
run no-conf 1 "$vasgw" stats
e2e_assert_match "a missing configuration is named" "no-such.conf" "$err"

# The daemon.
run d-help 0 "$vasgwd" --help
e2e_assert_match "vasgwd --help" '^usage: vasgwd ' "$out"
dhelp=$out
run d-version 0 "$vasgwd" --version
e2e_assert_match "vasgwd --version" '^vasgwd [0-9]+\.[0-9]+\.[0-9]+' "$out"
run d-c-missing 2 "$vasgwd" -c
e2e_assert_eq "vasgwd -c without a file names the missing argument" \
	"vasgwd: option '-c' needs a file name: vasgwd -c /path/to/vasgw.conf" "$err"
run d-unknown 2 "$vasgwd" --chek
e2e_assert_eq "vasgwd: unknown option named, then the usage" "vasgwd: unknown option '--chek'
$dhelp" "$err"
run d-no-conf 1 "$vasgwd" --check
e2e_assert_match "vasgwd: a missing configuration is named" "no-such.conf" "$err"
e2e_pass
