#!/bin/bash
# Values at the edge of their limits, where the code checks them: one that
# fits is taken whole, one over is refused with what it is and its limit,
# never cut into another.  Here: an id given to `msg show`
# or `order show` (64 bytes is an id vasgw could have made and gets "no
# such ...", 65 is refused before any key is built).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init field_limits
e2e_start_redis
e2e_write_conf

id64=$(printf 'm%.0s' $(seq 64))
for c in "msg show:message:no message" "order show:order:no order"; do
	IFS=: read -r cmd kind none <<<"$c"
	label=${cmd/ /_}
	# shellcheck disable=SC2086  # two words
	e2e_expect_status "${label}64" 1 $cmd "$id64"
	e2e_assert_match "$cmd, 64 bytes: looked up" "^vasgw: $none " "$(e2e_cli_err "${label}64")"
	# shellcheck disable=SC2086
	e2e_expect_status "${label}65" 2 $cmd "${id64}x"
	e2e_assert_eq "$cmd, 65 bytes: refused, saying why" \
		"vasgw: $cmd: $kind ids are at most 64 bytes; this one has 65" "$(e2e_cli_err "${label}65")"
done
e2e_pass
