#!/bin/bash
# tests/lint/times.sh — a time a person reads is written by one helper,
# vg_cli_local() in cli/cli.c (local to [gateway] timezone, with the
# offset; RFC 3339 in --json): no other file of cli/ or handlers/ formats a
# time itself (strftime, gmtime, localtime, "%H:%M", a "Z" for UTC), so that the
# same moment cannot read as two different days in two commands.  Days and
# months for keys come from gateway/clock.h (vg_clock_day) and
# handlers/ledger_date.h.
set -euo pipefail
: "${top_srcdir:?}"
cd "$top_srcdir"
bad=$(grep -nE 'strftime|gmtime|localtime|%H:%M|%SZ' cli/*.c handlers/*.c |
	grep -v '^cli/cli\.c:' || true)
if [ -n "$bad" ]; then
	echo "a time formatted outside vg_cli_local() (cli/cli.h):" >&2
	echo "$bad" >&2
	exit 1
fi
echo "times: every time in cli/ and handlers/ goes through vg_cli_local()"
