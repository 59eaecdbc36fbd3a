#!/bin/bash
# deploy/quickstart.sh — set up vasgw on a fresh Debian 12 machine and either
# play the demo or run the whole test suite.
#
#   deploy/quickstart.sh demo   install, build, and play a scenario against a
#                               private Redis and the SMSC simulator
#   deploy/quickstart.sh test   install, build, run every test (unit,
#                               end-to-end, fuzz for a bounded time,
#                               make distcheck with part of the tests, and
#                               the unit and end-to-end tests again under
#                               AddressSanitizer + UndefinedBehaviorSanitizer)
#
# Installs missing Debian packages with apt-get (run as root), the
# simulator's npm packages from the committed lock file, then builds with
# autotools in build/ (and build-asan/ for the sanitizer run).
# FUZZ_SECONDS (default 60) bounds the fuzzing; DISTCHECK_E2E names the
# end-to-end tests make distcheck runs (see distcheck below).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'quickstart: %s\n' "$*" >&2; exit 1; }

# Debian packages the build, the tests and the demo need.
PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libuv1-dev libhiredis-dev libcurl4-openssl-dev libjansson-dev libssl-dev libinih-dev libmicrohttpd-dev
	libcmocka-dev libunistring-dev kannel-dev
	redis-server redis-tools curl ca-certificates tzdata
	clang libclang-rt-14-dev
	lua5.1 lua-check groff-base
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

# The fuzzer (tests/fuzz/README.md): built first and on its own, so that a
# fuzzer that does not compile is told as that, with the compiler's output,
# and never taken for a crash the fuzzing found.
fuzz() {
	say "building the fuzzer (make fuzz, clang)"
	if ! (cd build && make fuzz >fuzz-build.log 2>&1); then
		tail -n 200 build/fuzz-build.log
		die "the fuzzer did not build: compiler output above (build/fuzz-build.log); nothing was fuzzed"
	fi

	say "fuzzing the SMPP session, receipts, message ids, MO decoding and MT encoding (${FUZZ_SECONDS:-60} s)"
	if (cd build && make fuzz-run FUZZ_SECONDS="${FUZZ_SECONDS:-60}" >fuzz.log 2>&1); then
		grep -E '^(Done|stat::)' build/fuzz.log || true
		return
	fi
	tail -n 80 build/fuzz.log
	# libFuzzer names the input it saved (Makefile.am, fuzz-run) by its kind.
	local unit what
	unit=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' build/fuzz.log | tail -n 1)
	case "${unit##*/}" in
	crash-*) what="fuzzing found a crash or a broken invariant" ;;
	timeout-*) what="fuzzing found an input that takes too long" ;;
	oom-*) what="fuzzing found an input that exhausts memory" ;;
	leak-*) what="fuzzing found a memory leak" ;;
	*) die "the fuzzer failed without saving an input (build/fuzz.log)" ;;
	esac
	die "$what: input saved as build/$unit; replay it with: build/tests/fuzz/fuzz_inbound build/$unit (build/fuzz.log)"
}

# make distcheck: the tarball builds out of tree from a read-only source,
# installs, uninstalls and passes tests.  The whole suite has just run in
# build/, so the tarball's build runs a part of it: the lint and unit tests
# and the end-to-end tests named in DISTCHECK_E2E (TESTS given to make, which
# passes it down to the tarball's make check).  The simulator's npm packages
# are the source tree's (install_npm): no npm in the tarball's build, no
# network (tests/e2e/lib.sh, e2e__sim_node_path).
DISTCHECK_E2E=${DISTCHECK_E2E-mt_receipts mo_concat malformed_pdus ussd catalogue}

distcheck() {
	local t tests='$(LINT_TESTS) $(UNIT_TESTS)' start=$SECONDS
	for t in $DISTCHECK_E2E; do tests+=" tests/e2e/$t.sh"; done
	say "make distcheck (end-to-end: ${DISTCHECK_E2E:-none})"
	if ! (cd build && E2E_SIM_NODE_MODULES="$top/tests/smsc-sim/node_modules" E2E_NPM=0 \
		make -j2 distcheck TESTS="$tests" >distcheck.log 2>&1); then
		tail -n 60 build/distcheck.log
		for t in build/vasgw-*/_build/sub/test-suite.log; do
			[ -f "$t" ] && tail -n 200 "$t"
		done
		die "make distcheck failed (build/distcheck.log)"
	fi
	grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):|archives ready' build/distcheck.log || true
	echo "make distcheck: $((SECONDS - start)) s"
}

run_tests() {
	say "unit and end-to-end tests (make check)"
	(cd build && make -j2 check) || { cat build/test-suite.log 2>/dev/null | tail -n 200; die "tests failed"; }

	fuzz
	distcheck

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
