#!/bin/bash
# tests/lint/layers.sh — the layering holds (docs/design.md): gateway/
# includes nothing from handlers/ or cli/, handlers/ nothing from cli/, and
# the includes among handlers/ files (and among gateway/ files) form no
# circle (a .c and its own .h count as one file).
set -euo pipefail
: "${top_srcdir:?}"
cd "$top_srcdir"
status=0
bad=$(grep -n '#include "\(handlers\|cli\)/' gateway/*.[ch] || true)
[ -z "$bad" ] || { echo "gateway/ includes handlers/ or cli/:" >&2; echo "$bad" >&2; status=1; }
bad=$(grep -n '#include "cli/' handlers/*.[ch] || true)
[ -z "$bad" ] || { echo "handlers/ includes cli/:" >&2; echo "$bad" >&2; status=1; }
# Edges "a b": file a includes b, by module (x.c and x.h are module x).
for dir in gateway handlers; do
	edges=$(for f in "$dir"/*.[ch]; do
		m=${f%.*}
		sed -n "s|^#include \"\\($dir/[a-z_]*\\)\\.h\"|\\1|p" "$f" | while read -r to; do
			[ "$to" = "$m" ] || echo "$m $to"
		done
	done | sort -u)
	# tsort reports a loop on stderr.
	if ! loops=$(tsort <<<"$edges" 2>&1 >/dev/null) || [ -n "$loops" ]; then
		echo "includes in $dir/ form a circle:" >&2
		echo "$loops" >&2
		status=1
	fi
done
[ "$status" -eq 0 ] && echo "layers: gateway/ <- handlers/ <- cli/, no circle"
exit "$status"
