#!/bin/bash
# deploy/quickstart.sh — set up vasgw on a fresh Debian 12 machine and either
# play the demo or run the whole test suite.
#
#   deploy/quickstart.sh demo   install, build, and play a scenario against a
#                               private Redis and the SMSC simulator
#   deploy/quickstart.sh test   install, build, run every test (unit,
#                               end-to-end, fuzz for a bounded time, and the
#                               unit and end-to-end tests again under
#                               AddressSanitizer + UndefinedBehaviorSanitizer)
#
# Installs missing Debian packages with apt-get (run as root), the
# simulator's npm packages from the committed lock file, then builds with
# autotools in build/ (and build-asan/ for the sanitizer run).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'quickstart: %s\n' "$*" >&2; exit 1; }

# Debian packages the build, the tests and the demo need.
PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libuv1-dev libhiredis-dev libcurl4-openssl-dev libjansson-dev libssl-dev libinih-dev
	libcmocka-dev libunistring-dev kannel-dev
	redis-server redis-tools curl ca-certificates tzdata
	clang libclang-rt-14-dev
	lua5.1 lua-check
)

install_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing+=("$p")
	done
	command -v node >/dev/null 2>&1 || missing+=(nodejs)
	command -v npm >/dev/null 2>&1 || missing+=(npm)
	if [ "${#missing[@]}" -eq 0 ]; then
		say "Debian packages: all present"
		return
	fi
	[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}"
	say "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	# The package starts a system Redis on 6379; vasgw's tests and demo run
	# their own on free ports, so it is not needed.
}

install_npm() {
	say "SMSC simulator: npm ci (from tests/smsc-sim/package-lock.json)"
	(cd tests/smsc-sim && npm ci --no-audit --no-fund --loglevel=error)
}

build() {
	local dir=$1
	shift
	say "building in $dir/"
	[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -i >/dev/null 2>&1 ||
		die "autoreconf failed"
	mkdir -p "$dir"
	(cd "$dir" && { [ -f Makefile ] || ../configure -q "$@"; } && make -j"$(nproc)" >/dev/null)
}

run_tests() {
	say "unit and end-to-end tests (make check)"
	(cd build && make -j2 check) || { cat build/test-suite.log 2>/dev/null | tail -n 200; die "tests failed"; }

	say "fuzzing the inbound PDU path, receipts and MO decoding (bounded)"
	if ! (cd build && make fuzz-run FUZZ_SECONDS="${FUZZ_SECONDS:-60}" >fuzz.log 2>&1); then
		tail -n 80 build/fuzz.log
		die "fuzzing found a crash (build/fuzz.log)"
	fi
	grep -E '^(Done|stat::)' build/fuzz.log || true

	say "the same tests under AddressSanitizer and UndefinedBehaviorSanitizer"
	local san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
	build build-asan CFLAGS="-g -O1 $san" LDFLAGS="$san"
	(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 make -j2 check) ||
		{ cat build-asan/test-suite.log 2>/dev/null | tail -n 200; die "sanitizer run failed"; }
	say "all tests passed"
}

case "${1:-}" in
demo)
	install_packages
	install_npm
	build build
	exec bash "$top/deploy/demo.sh"
	;;
test)
	install_packages
	install_npm
	build build
	run_tests
	;;
*)
	echo "usage: deploy/quickstart.sh demo|test" >&2
	exit 2
	;;
esac
