#!/bin/bash
# make install puts every file where the others say it is.  configure's
# directories (sysconfdir, pkgdatadir, sbindir, bindir, the systemd unit
# directory) are the one source of truth: they are compiled into the
# programs and substituted into the example configuration, the systemd unit
# and the man pages.  After `make install DESTDIR=...` from the build tree:
#   - the configuration, its example, the unit and the man pages are
#     installed, and none holds an @...@ left unsubstituted, a
#     /usr/share/vasgw or /etc/vasgw of another prefix, or a stray
#     /usr/local path;
#   - each names the installed paths (templates = PKGDATADIR/templates,
#     ExecStart=SBINDIR/vasgwd -c SYSCONFDIR/vasgw/vasgw.conf, FILES);
#   - the installed vasgwd looks for the installed vasgw.conf, and passes
#     --check with it (templates pointed into DESTDIR, below);
#   - a second make install keeps an edited vasgw.conf, make uninstall
#     leaves an edited one in place and removes everything else.
# Needs neither Redis nor the simulator, but groff (a hard error, 99,
# without it).  Every check is run and reported;
# the test fails at the end if any failed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

E2E_NAME=install
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vasgw-e2e-install.XXXXXX") ||
	e2e_fail "cannot create a temporary directory"
trap e2e__cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
D=$E2E_DIR/root
MAKE=${MAKE:-make}
# make as from a shell in the build tree: without the options of the make
# running the suite (its jobserver, -j, -w, -k), but with the variables
# given on its command line (make check prefix=...).
mf=" ${MAKEFLAGS:-}"
case $mf in
*" -- "*) MAKEFLAGS="-- ${mf#* -- }" ;;
*) MAKEFLAGS= ;;
esac
export MAKEFLAGS
unset MFLAGS MAKELEVEL
# The man pages are read through groff: without it they would go
# unchecked, so it is missing like any other tool (deploy/quickstart.sh
# installs it).
command -v groff >/dev/null 2>&1 || e2e_missing "groff is not installed (Debian package groff-base)"

FAILED=0
bad() {
	printf 'not ok: %s\n' "$*" >&2
	FAILED=$((FAILED + 1))
}

# The directories as the build tree's Makefile has them (configure's
# choice, or prefix=... given to make).
mkvars() {
	local v
	# shellcheck disable=SC2016 # $(...) is make's, not the shell's
	for v in "$@"; do printf '\t@echo "%s=$(%s)"\n' "$v" "$v"; done |
		sed '1i vasgw-print-vars:' |
		"$MAKE" -s --no-print-directory -C "$top_builddir" -f Makefile -f - vasgw-print-vars
}
prefix='' bindir='' sbindir='' sysconfdir='' pkgdatadir='' mandir=''
systemdsystemunitdir='' nodist_systemdsystemunit_DATA=''
while IFS='=' read -r name value; do
	printf -v "$name" '%s' "$value"
done < <(mkvars prefix bindir sbindir sysconfdir pkgdatadir mandir \
	systemdsystemunitdir nodist_systemdsystemunit_DATA)
e2e_log "prefix=$prefix sysconfdir=$sysconfdir pkgdatadir=$pkgdatadir" \
	"sbindir=$sbindir bindir=$bindir systemdsystemunitdir=${systemdsystemunitdir:-(unset)}"
if [ -z "$prefix" ] || [ -z "$sysconfdir" ] || [ -z "$pkgdatadir" ]; then
	e2e_fail "cannot read the directories from $top_builddir/Makefile"
fi

in_builddir() {   # OUT TARGET... — make TARGET... DESTDIR=$D in the build tree
	local out=$E2E_DIR/$1
	shift
	if ! "$MAKE" -C "$top_builddir" "$@" DESTDIR="$D" >"$out" 2>&1; then
		tail -n 20 "$out" >&2
		e2e_fail "make $* DESTDIR=$D failed (${out##*/})"
	fi
}
e2e_log "make install DESTDIR=$D"
in_builddir install.out install

conf=$sysconfdir/vasgw/vasgw.conf
example=$conf.example
if [ -z "$systemdsystemunitdir" ]; then
	bad "the Makefile has no systemdsystemunitdir: make install has no place for the unit"
	unit_file=$D/vasgwd.service
elif [ -z "$nodist_systemdsystemunit_DATA" ]; then
	# configured --without-systemdsystemunitdir: built, not installed
	e2e_log "the unit is not installed (--without-systemdsystemunitdir): checking the build tree's"
	unit_file=$top_builddir/deploy/vasgwd.service
else
	unit_file=$D$systemdsystemunitdir/vasgwd.service
fi
declare -A FILE=(
	[config]=$D$conf
	[example]=$D$example
	[unit]=$unit_file
	[vasgwd.8]=$D$mandir/man8/vasgwd.8
	[vasgw.1]=$D$mandir/man1/vasgw.1
	[vasgw.conf.5]=$D$mandir/man5/vasgw.conf.5
)
for bin in "$D$sbindir/vasgwd" "$D$bindir/vasgw"; do
	[ -x "$bin" ] || bad "not installed: ${bin#"$D"}"
done
[ -f "$D$pkgdatadir/templates/zh_CN/help.txt" ] ||
	bad "templates not installed under ${pkgdatadir}/templates"

# --- no unsubstituted or foreign paths -------------------------------------
present=()
for what in config example unit vasgwd.8 vasgw.1 vasgw.conf.5; do
	f=${FILE[$what]}
	if [ ! -f "$f" ]; then
		bad "$what: not installed: ${f#"$D"}"
		continue
	fi
	present+=("$what")
	if grep -nE '@[A-Za-z_]+@' "$f" >"$E2E_DIR/at.out"; then
		bad "$what: left unsubstituted: $(head -n3 "$E2E_DIR/at.out" | tr '\n' ' ')"
	fi
	# Another build's directories: /usr/share/vasgw unless that is
	# pkgdatadir, /etc/vasgw unless sysconfdir is /etc, /usr/local/ unless
	# the prefix is in it.
	if [ "$pkgdatadir" != /usr/share/vasgw ] &&
		grep -nF /usr/share/vasgw "$f" >"$E2E_DIR/foreign.out"; then
		bad "$what: names /usr/share/vasgw, pkgdatadir is $pkgdatadir: $(head -n2 "$E2E_DIR/foreign.out" | tr '\n' ' ')"
	fi
	if [ "$sysconfdir" != /etc ] &&
		grep -nE '(^|[^[:alnum:]_.-])/etc/vasgw' "$f" >"$E2E_DIR/foreign.out"; then
		bad "$what: names /etc/vasgw, sysconfdir is $sysconfdir: $(head -n2 "$E2E_DIR/foreign.out" | tr '\n' ' ')"
	fi
	if [[ $prefix != /usr/local && $prefix != /usr/local/* ]] &&
		grep -nE '(^|[^[:alnum:]_.-])/usr/local/' "$f" >"$E2E_DIR/foreign.out"; then
		bad "$what: names /usr/local/, the prefix is $prefix: $(head -n2 "$E2E_DIR/foreign.out" | tr '\n' ' ')"
	fi
done
has() { [[ " ${present[*]} " == *" $1 "* ]]; }

# --- each names the installed paths ----------------------------------------
conf_value() {   # FILE KEY — the value of KEY (first section it is in)
	awk -v k="$2" '
		$0 ~ "^[ \t]*" k "[ \t]*=" {
			v = $0; sub(/^[^=]*=/, "", v); sub(/(^|[ \t]);.*/, "", v)
			gsub(/^[ \t]+|[ \t]+$/, "", v); print v; exit
		}' "$1"
}
if has config; then
	v=$(conf_value "${FILE[config]}" templates)
	[ "$v" = "$pkgdatadir/templates" ] ||
		bad "config: templates = '$v', expected '$pkgdatadir/templates'"
	if has example && ! cmp -s "${FILE[config]}" "${FILE[example]}"; then
		bad "config: a fresh install's vasgw.conf differs from vasgw.conf.example"
	fi
fi
if has unit; then
	u=${FILE[unit]}
	grep -qxF "ExecStart=$sbindir/vasgwd -c $conf" "$u" ||
		bad "unit: expected 'ExecStart=$sbindir/vasgwd -c $conf', got '$(grep '^ExecStart=' "$u")'"
	grep -qxF "EnvironmentFile=-$sysconfdir/vasgw/vasgwd.env" "$u" ||
		bad "unit: expected 'EnvironmentFile=-$sysconfdir/vasgw/vasgwd.env', got '$(grep '^EnvironmentFile=' "$u")'"
fi
# The man pages as a reader sees them (groff): no warning, and the paths
# in the text.
man_text() {   # FILE
	groff -Kutf8 -man -Tutf8 -P-cbou "$1" 2>/dev/null | sed 's/‐/-/g; s/−/-/g'
}
man_names() {   # PAGE PATH...
	local page=$1 p text
	shift
	text=$(man_text "${FILE[$page]}")
	for p in "$@"; do
		grep -qF -- "$p" <<<"$text" || bad "$page: does not name $p"
	done
}
for page in vasgwd.8 vasgw.1 vasgw.conf.5; do
	has "$page" || continue
	st=0
	w=$(groff -Kutf8 -man -Tutf8 -ww -z "${FILE[$page]}" 2>&1) || st=$?
	[ "$st" -eq 0 ] || bad "$page: groff exits $st: $(head -n3 <<<"$w" | tr '\n' ' ')"
	[ -z "$w" ] || bad "$page: groff warns: $(head -n3 <<<"$w" | tr '\n' ' ')"
done
has vasgwd.8 && man_names vasgwd.8 "$conf" "$example" "$pkgdatadir/templates/" \
	"$sysconfdir/vasgw/vasgwd.env" ${systemdsystemunitdir:+"$systemdsystemunitdir/vasgwd.service"}
has vasgw.1 && man_names vasgw.1 "$conf" "$pkgdatadir/templates/"
has vasgw.conf.5 && man_names vasgw.conf.5 "$conf" "$example" "$pkgdatadir/templates"

# --- the installed programs agree -----------------------------------------
vasgwd=$D$sbindir/vasgwd
if [ -x "$vasgwd" ]; then
	st=0
	help=$(env -u VASGW_CONF "$vasgwd" --help 2>"$E2E_DIR/help.stderr") || st=$?
	[ "$st" -eq 0 ] || bad "vasgwd --help exits $st, expected 0"
	[ ! -s "$E2E_DIR/help.stderr" ] ||
		bad "vasgwd --help writes to stderr: $(head -n3 "$E2E_DIR/help.stderr" | tr '\n' ' ')"
	grep -qF "default: \$VASGW_CONF or $conf)" <<<"$help" ||
		bad "vasgwd --help does not name $conf: $(grep default <<<"$help")"
fi
# The installed vasgw.conf rightly names the templates where they will be
# once the tree is really installed, PKGDATADIR, and nothing is there yet:
# they are under DESTDIR, in $D$pkgdatadir.  So check a copy, edited as an
# operator would to check a staged tree before deploying it: the templates
# line only, everything else as installed.
if [ -x "$vasgwd" ] && has config; then
	sed "s|^templates[ \t]*=.*|templates = $D$pkgdatadir/templates|" \
		"${FILE[config]}" >"$E2E_DIR/vasgw.conf"
	want="vasgwd: $E2E_DIR/vasgw.conf: configuration and templates OK"
	if ! out=$(env -u VASGW_CONF "$vasgwd" -c "$E2E_DIR/vasgw.conf" --check 2>&1); then
		bad "vasgwd --check with the installed configuration (templates in DESTDIR): $out"
	elif [ "$(tail -n1 <<<"$out")" != "$want" ]; then
		bad "vasgwd --check: expected '$want', got '$out'"
	else
		e2e_log "$want"
	fi
fi

# --- an operator's vasgw.conf is never replaced nor removed ---------------
if has config; then
	echo "; edited by the operator" >>"${FILE[config]}"
	in_builddir install2.out install
	grep -qxF "; edited by the operator" "${FILE[config]}" ||
		bad "a second make install replaced an edited vasgw.conf"
	in_builddir uninstall.out uninstall
	if [ ! -f "${FILE[config]}" ]; then
		bad "make uninstall removed an edited vasgw.conf"
	else
		rm -f "${FILE[config]}"
	fi
	left=$(find "$D" -type f | sed "s|^$D||")
	[ -z "$left" ] || bad "make uninstall left: $(tr '\n' ' ' <<<"$left")"
	# and an unedited one goes with the rest
	in_builddir install3.out install
	in_builddir uninstall2.out uninstall
	left=$(find "$D" -type f | sed "s|^$D||")
	[ -z "$left" ] || bad "make uninstall after a fresh install left: $(tr '\n' ' ' <<<"$left")"
fi

[ "$FAILED" -eq 0 ] || e2e_fail "$FAILED checks failed"
e2e_pass
