#!/bin/bash
# tests/lint/keys.sh — docs/keys.md documents every key gateway/keys.h
# spells (the only spelling of a key in C): each VG_K_ value, with its %s
# standing for a <placeholder> (or {<placeholder>} for a hash tag), appears
# in keys.md as P:<value>.
set -euo pipefail
: "${top_srcdir:?}"
cd "$top_srcdir"
status=0 n=0
while read -r name value; do
	n=$((n + 1))
	re=$(printf '%s' "$value" | sed -e 's/[.[\*^$]/\\&/g' \
		-e 's/{%s}/{<[^>]*>}/g' -e 's/%s/<[^>]*>/g')
	if ! grep -q "P:$re\`" docs/keys.md; then
		echo "docs/keys.md does not document $name (P:$value)" >&2
		status=1
	fi
done < <(sed -n 's/^#define \(VG_K_[A-Z_]*\) "\([^"]*\)".*/\1 \2/p' gateway/keys.h)
[ "$n" -gt 20 ] || { echo "keys.sh: read only $n keys from gateway/keys.h" >&2; exit 1; }
[ "$status" -eq 0 ] && echo "keys: all $n keys of gateway/keys.h are in docs/keys.md"
exit "$status"
