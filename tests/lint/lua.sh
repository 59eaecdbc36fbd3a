#!/bin/bash
# tests/lint/lua.sh — the Redis Functions library compiles and is
# lint-clean: luac5.1 -p on every source file and on the library as built,
# then luacheck on the library (Lua 5.1, the one Redis embeds; the only
# global is `redis`), its findings told as source file and line.
set -euo pipefail
: "${top_srcdir:?}" "${top_builddir:?}"
lib=$top_builddir/vasgw.lua
for tool in luac5.1 luacheck; do
	command -v "$tool" >/dev/null || { echo "lua.sh: $tool not found (apt-get install lua5.1 lua-check)" >&2; exit 1; }
done
[ -f "$lib" ] || { echo "lua.sh: $lib not built" >&2; exit 1; }
cd "$top_srcdir"
status=0
for f in gateway/lua/*.lua handlers/lua/*.lua; do
	luac5.1 -p "$f" || status=1
done
luac5.1 -p "$lib" || status=1
# luacheck's "vasgw.lua:LINE:COL: message" becomes "FILE:LINE:COL: message"
# through the "-- file:" lines the generator writes before each file.
# Its exit status: 0 nothing found, 1 warnings (a failure here too: they
# are printed), 2 syntax errors, 3 a fatal error (the file unreadable), 4 a
# critical one (bad options, on stderr only): 2 and above fail whatever
# was printed, and so does a 1 with nothing printed.
lc=0
out=$(luacheck --no-color --codes --std lua51 --read-globals redis \
	--max-line-length 120 --formatter plain "$lib") || lc=$?
if [ "$lc" -ge 2 ]; then
	echo "lua.sh: luacheck failed on $lib (exit $lc: 2 syntax errors, 3 fatal, 4 critical)" >&2
	status=1
elif [ "$lc" -eq 1 ] && [ -z "$out" ]; then
	echo "lua.sh: luacheck exited 1 (warnings) but printed none" >&2
	status=1
fi
if [ -n "$out" ]; then
	awk -v lib="$lib" '
		FNR == NR {
			if ($0 ~ /^-- file: /) { n++; name[n] = substr($0, 10); first[n] = FNR + 1 }
			next
		}
		$0 !~ /^[^:]*:[0-9]+:/ { print; next }   # not about a line: as it is
		{
			split($0, p, ":")
			line = p[2] + 0; file = lib; local = line
			for (i = n; i >= 1; i--) if (line >= first[i]) { file = name[i]; local = line - first[i] + 1; break }
			rest = substr($0, length(p[1]) + length(p[2]) + 3)
			print file ":" local ":" rest
		}' "$lib" - <<<"$out" >&2
	status=1
fi
[ "$status" -eq 0 ] && echo "Lua: every file compiles; luacheck finds nothing"
exit "$status"
