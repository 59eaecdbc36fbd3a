# tests/e2e/lib.sh — helpers for vasgw end-to-end tests (bash only).
#
# Source it from a test script run by automake (TESTS_ENVIRONMENT gives
# top_srcdir and top_builddir; when run by hand they default to the checkout
# this file lives in):
#
#   #!/bin/bash
#   . "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
#   e2e_init mt_receipts
#   e2e_start_redis
#   e2e_start_sim --receipts on
#   e2e_write_conf smsc.window=4
#   e2e_start_vasgwd
#   e2e_wait_bound
#   e2e_vasgw send 8613800138000 "hello"
#   e2e_wait_for "a submit_sm" 10 e2e_has_events submit 1
#   e2e_assert_eq "submitted text" "hello" "$(e2e_event_values submit text)"
#   e2e_pass
#
# Everything a test starts (redis-server, the SMSC simulator, the
# provisioning stub, vasgwd) runs in its own process group and is killed when
# the script exits, however it exits. On failure the logs are printed and the
# work directory is kept.
#
# e2e_pass first runs the end-of-test check (e2e__end_check, below) in every
# test that started a vasgwd: the queues drained, no message left queued or
# submitted, the counters adding up, the offers consistent, every vasgwd
# exiting 0 on SIGTERM in time, no sanitizer report.  A test that leaves
# something behind on purpose says so with e2e_end_allow WHAT WHY.
# Uses only bash, curl, redis-cli, redis-server and node.
#
# Exit status follows automake: 0 pass, 1 fail, 99 hard error (a tool is missing).
#
# Environment knobs:
#   VASGWD_WRAPPER   command prefix for vasgwd, e.g. "valgrind -q --error-exitcode=99"
#   VASGW_WRAPPER    the same for the vasgw CLI
#   E2E_KEEP=1       keep the work directory even when the test passes
#   E2E_VERBOSE=1    print every helper step
#   E2E_NPM=0        do not run `npm ci` when node-smpp is not installed
#   E2E_END_WAIT=S   how long the end check waits for the queues to drain (20)
#   E2E_SIM_NODE_MODULES=DIR  the simulator's node_modules (make distcheck
#                    uses the source tree's: no npm, no network)

# ---------------------------------------------------------------------------
# locations

if [ -z "${top_srcdir:-}" ]; then
	top_srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fi
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir

E2E_NAME=${E2E_NAME:-}
E2E_DIR=${E2E_DIR:-}
E2E_CONF=
E2E_PIDS=()           # "pid:name", in start order
E2E_USED_PORTS=" "
E2E_PORT=
REDIS_PORT=${REDIS_PORT:-}
REDIS_PID=
SIM_PORT=
SIM_CONTROL=
SIM_PID=
PROV_PORT=
PROV_URL=
PROV_PID=
VASGWD_PID=
VASGWD_STATUS=
E2E__VASGWD_EVER=      # 1 once a vasgwd was started (the end check runs)
E2E__VASGWD_STOPS=()   # "pid:name:signal:status" of each vasgwd stopped by the test
E2E__END_ALLOWED=()    # "WHAT:why" from e2e_end_allow
declare -A E2E__VASGWD_RT=()   # pid -> [smsc] response_timeout when started

# ---------------------------------------------------------------------------
# reporting

e2e_log() {
	printf '[%s %s] %s\n' "${E2E_NAME:-e2e}" "$(date +%H:%M:%S.%3N)" "$*"
}

e2e__debug() {
	if [ "${E2E_VERBOSE:-0}" = 1 ]; then e2e_log "$@"; fi
	return 0
}

# e2e_fail MSG — fail the test (exit 1; logs are printed by the exit trap).
# Called inside $( ... ) it only ends that subshell, but the failure is
# recorded and the test still fails at exit.
e2e_fail() {
	printf 'FAIL: %s: %s\n' "${E2E_NAME:-e2e}" "$*" >&2
	if [ -z "${E2E__IN_POLL:-}" ] && [ -n "${E2E_DIR:-}" ] && [ -d "$E2E_DIR" ]; then
		printf '%s\n' "$*" >>"$E2E_DIR/.failed"
	fi
	exit 1
}

# e2e_missing MSG — a tool the test needs is missing.  That is an error,
# not a skip (automake's hard error, 99): a suite that skips when its peers
# are absent passes without having tested anything.  deploy/quickstart.sh
# installs them all.
e2e_missing() {
	printf 'ERROR: %s: %s\n' "${E2E_NAME:-e2e}" "$*" >&2
	exit 99
}

# e2e_pass — the test passed: unless a check failed earlier, run the
# end-of-test check (when a vasgwd was started) and exit 0.
e2e_pass() {
	if [ -n "${E2E_DIR:-}" ] && [ -s "$E2E_DIR/.failed" ]; then
		e2e_fail "a check failed earlier (in a subshell): $(head -n1 "$E2E_DIR/.failed")"
	fi
	if [ -n "$E2E__VASGWD_EVER" ]; then e2e__end_check; fi
	printf 'PASS: %s\n' "${E2E_NAME:-e2e}"
	exit 0
}

# e2e_assert_eq WHAT EXPECTED ACTUAL
e2e_assert_eq() {
	if [ "$#" -ne 3 ]; then
		e2e_fail "e2e_assert_eq needs WHAT EXPECTED ACTUAL (got $# arguments)"
	fi
	if [ "$2" != "$3" ]; then
		e2e_fail "$1: expected '$2', got '$3'"
	fi
	e2e__debug "ok: $1 = '$3'"
}

# e2e_assert_match WHAT REGEX ACTUAL (bash extended regex)
e2e_assert_match() {
	if [[ ! $3 =~ $2 ]]; then
		e2e_fail "$1: '$3' does not match /$2/"
	fi
	e2e__debug "ok: $1 =~ /$2/"
}

# e2e_wait_for DESCRIPTION TIMEOUT_S CMD [ARGS...]
# Runs CMD (a command or shell function, in a subshell; its output is
# discarded) every 0.1 s until it succeeds; fails the test after TIMEOUT_S
# seconds (fractions allowed).
e2e_wait_for() {
	local what=$1 timeout=$2
	shift 2
	if [ "$#" -eq 0 ]; then e2e_fail "e2e_wait_for: no command given"; fi
	local deadline now sec=${timeout%%.*} frac=
	[[ $timeout == *.* ]] && frac=${timeout#*.}
	frac=${frac}000
	deadline=$(($(date +%s%N) / 1000000 + 10#${sec:-0} * 1000 + 10#${frac:0:3}))
	while :; do
		# in a subshell: an exit or e2e_fail in CMD only ends this attempt
		if (E2E__IN_POLL=1; "$@") >/dev/null 2>&1; then
			e2e__debug "ok: $what"
			return 0
		fi
		now=$(($(date +%s%N) / 1000000))
		if [ "$now" -ge "$deadline" ]; then
			e2e_fail "timed out after ${timeout}s waiting for: $what"
		fi
		sleep 0.1
	done
}

# ---------------------------------------------------------------------------
# set-up and clean-up

# e2e_init NAME — make the work directory and arm the clean-up trap.
e2e_init() {
	E2E_NAME=${1:?e2e_init NAME}
	local t
	for t in node curl redis-server redis-cli setsid; do
		command -v "$t" >/dev/null 2>&1 || e2e_missing "$t is not installed"
	done
	E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vasgw-e2e-$E2E_NAME.XXXXXX") ||
		e2e_fail "cannot create a temporary directory"
	E2E_CONF=$E2E_DIR/vasgw.conf
	trap e2e__cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	e2e__debug "work directory $E2E_DIR"
}

e2e__track() {   # PID NAME (a NAME vasgwd* is a vasgwd: the end check stops it)
	E2E_PIDS+=("$1:$2")
	case $2 in vasgwd*) E2E__VASGWD_EVER=1 ;; esac
}

e2e__untrack() {   # PID
	local i keep=()
	for i in "${E2E_PIDS[@]}"; do
		[ "${i%%:*}" = "$1" ] || keep+=("$i")
	done
	E2E_PIDS=("${keep[@]}")
}

# e2e__stop PID [SIGNAL] [GRACE_S] — signal the process group PID leads,
# wait for it, KILL it after GRACE_S seconds. Returns the process's status.
e2e__stop() {
	local pid=$1 sig=${2:-TERM} grace=${3:-10} i status=0
	[ -n "$pid" ] || return 0
	kill "-$sig" -- "-$pid" 2>/dev/null || kill "-$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < grace * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		e2e_log "process $pid did not stop after ${grace}s; killing it" >&2
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	fi
	# reap it (only works for our own children) and get its status
	wait "$pid" 2>/dev/null || status=$?
	# members of its group that outlived it
	kill -KILL -- "-$pid" 2>/dev/null || true
	e2e__untrack "$pid"
	return "$status"
}

e2e__cleanup() {
	local status=$?
	trap - EXIT INT TERM HUP
	set +e
	if [ -n "${E2E_DIR:-}" ] && [ -s "$E2E_DIR/.failed" ] && [ "$status" -eq 0 ]; then
		status=1
	fi
	# stop in reverse start order (vasgwd before the simulator and redis);
	# a vasgwd that hangs on SIGTERM or exits otherwise than 0 fails the test
	local i entry
	for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do
		entry=${E2E_PIDS[i]}
		case ${entry#*:} in
		vasgwd*)
			e2e__term_vasgwd "${entry%%:*}" "${entry#*:}"
			case $? in
			0) ;;
			2) if ! e2e__end_allowed exit; then
				printf 'FAIL: %s: %s\n' "${E2E_NAME:-e2e}" "$E2E__TERM_WHY" >&2
				[ "$status" -eq 0 ] && status=1
			fi ;;
			*) printf 'FAIL: %s: %s\n' "${E2E_NAME:-e2e}" "$E2E__TERM_WHY" >&2
				[ "$status" -eq 0 ] && status=1 ;;
			esac
			;;
		*) e2e__stop "${entry%%:*}" TERM 5 >/dev/null 2>&1 ;;
		esac
	done
	# A sanitizer report from vasgwd or the CLI fails the test, whatever
	# the test itself asserted (the suite runs once under ASan + UBSan).
	if [ -n "${E2E_DIR:-}" ] && [ -d "$E2E_DIR" ] &&
		grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
			"$E2E_DIR"/vasgwd*.log "$E2E_DIR"/*.stderr >/dev/null 2>&1; then
		printf 'FAIL: %s: sanitizer report in the logs\n' "${E2E_NAME:-e2e}" >&2
		[ "$status" -eq 0 ] && status=1
	fi
	if [ "$status" -ne 0 ] && [ "$status" -ne 99 ] && [ -n "${E2E_DIR:-}" ] && [ -d "$E2E_DIR" ]; then
		e2e__dump_logs >&2
		printf 'FAIL: %s (exit %s); work directory kept: %s\n' "${E2E_NAME:-e2e}" "$status" "$E2E_DIR" >&2
	elif [ -n "${E2E_DIR:-}" ] && [ -d "$E2E_DIR" ] && [ "${E2E_KEEP:-0}" != 1 ]; then
		rm -rf "$E2E_DIR"
	fi
	exit "$status"
}

e2e__dump_logs() {
	local f
	for f in "$E2E_DIR"/*.log "$E2E_DIR/vasgw.conf" "$E2E_DIR/sim-events.jsonl"; do
		[ -f "$f" ] || continue
		printf '\n---- %s (last 80 lines) ----\n' "${f##*/}"
		tail -n 80 "$f"
	done
	printf -- '---- end of logs ----\n'
}

# ---------------------------------------------------------------------------
# ports

# e2e__pick_port — set E2E_PORT to a TCP port nothing listens on at
# 127.0.0.1, below the ephemeral range (so outgoing connections do not take
# it meanwhile) and not handed out before in this test.
e2e__pick_port() {
	local p i
	for ((i = 0; i < 500; i++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		case $E2E_USED_PORTS in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			E2E_USED_PORTS="$E2E_USED_PORTS$p "
			E2E_PORT=$p
			return 0
		fi
	done
	e2e_fail "no free TCP port found"
}

# e2e_free_port — print such a port (use as: port=$(e2e_free_port)).
e2e_free_port() {
	e2e__pick_port
	echo "$E2E_PORT"
}

# ---------------------------------------------------------------------------
# redis

e2e__redis_up() {
	[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
}

e2e__redis_launch() {
	mkdir -p "$E2E_DIR/redis"
	echo "=== redis-server start $(date '+%F %T') port $REDIS_PORT" >>"$E2E_DIR/redis.log"
	# shellcheck disable=SC2086  # E2E_REDIS_ARGS: extra arguments, word-split on purpose
	setsid redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
		--dir "$E2E_DIR/redis" --appendonly yes --appendfsync everysec --save '' \
		--daemonize no --logfile '' --protected-mode yes \
		${E2E_REDIS_ARGS:-} \
		>>"$E2E_DIR/redis.log" 2>&1 </dev/null &
	REDIS_PID=$!
	e2e__track "$REDIS_PID" redis-server
	local i
	for ((i = 0; i < 100; i++)); do
		if e2e__redis_up; then return 0; fi
		kill -0 "$REDIS_PID" 2>/dev/null || break
		sleep 0.1
	done
	e2e__stop "$REDIS_PID" KILL 1 || true
	REDIS_PID=
	return 1
}

# e2e_start_redis — a real redis-server on a free loopback port, AOF on,
# data in $E2E_DIR/redis. Sets REDIS_PORT and REDIS_PID.
e2e_start_redis() {
	local i
	for ((i = 0; i < 5; i++)); do
		e2e__pick_port
		REDIS_PORT=$E2E_PORT
		if e2e__redis_launch; then
			export REDIS_PORT
			e2e__debug "redis-server on port $REDIS_PORT (pid $REDIS_PID)"
			return 0
		fi
	done
	e2e_fail "redis-server did not start (see redis.log)"
}

# e2e_stop_redis — stop it cleanly (AOF flushed); the port and data stay.
e2e_stop_redis() {
	[ -n "$REDIS_PID" ] || e2e_fail "e2e_stop_redis: redis is not running"
	e2e__stop "$REDIS_PID" TERM 10 || true
	REDIS_PID=
}

# e2e_kill_redis — crash it (SIGKILL).
e2e_kill_redis() {
	[ -n "$REDIS_PID" ] || e2e_fail "e2e_kill_redis: redis is not running"
	e2e__stop "$REDIS_PID" KILL 2 || true
	REDIS_PID=
}

# e2e_restart_redis [DOWN_S] — stop, optionally stay down DOWN_S seconds,
# start again on the same port with the same data directory.
e2e_restart_redis() {
	if [ -n "$REDIS_PID" ]; then e2e_stop_redis; fi
	if [ -n "${1:-}" ]; then sleep "$1"; fi
	local i
	for ((i = 0; i < 10; i++)); do
		if e2e__redis_launch; then return 0; fi
		sleep 0.5      # the old socket may linger a moment
	done
	e2e_fail "redis-server did not restart on port $REDIS_PORT (see redis.log)"
}

# e2e_redis ARGS... — redis-cli against the test's redis.
e2e_redis() {
	redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"
}

# ---------------------------------------------------------------------------
# SMSC simulator

# e2e__sim_node_path — make the simulator's npm packages (node-smpp) found,
# from the first of: E2E_SIM_NODE_MODULES, a node_modules directory given
# from outside (deploy/quickstart.sh gives make distcheck the source tree's,
# so that the tests of the tarball install nothing and need no network);
# the source tree's tests/smsc-sim/node_modules (quickstart's npm ci); the
# build tree's, installed there with npm ci unless E2E_NPM=0.
e2e__sim_node_path() {
	local sim=$top_srcdir/tests/smsc-sim b=$top_builddir/tests/smsc-sim
	local m=${E2E_SIM_NODE_MODULES:-}
	if [ -n "$m" ]; then
		[ -d "$m/smpp" ] ||
			e2e_missing "E2E_SIM_NODE_MODULES=$m has no smpp package (cd tests/smsc-sim && npm ci)"
		m=$(cd "$m" && pwd)
		export NODE_PATH="$m${NODE_PATH:+:$NODE_PATH}"
		return 0
	fi
	if [ -d "$sim/node_modules/smpp" ]; then
		return 0
	fi
	if [ ! -d "$b/node_modules/smpp" ]; then
		[ "${E2E_NPM:-1}" != 0 ] || e2e_missing "node-smpp is not installed (cd tests/smsc-sim && npm ci)"
		command -v npm >/dev/null 2>&1 || e2e_missing "node-smpp is not installed and npm is missing"
		mkdir -p "$b"
		if [ "$b" != "$sim" ]; then cp "$sim/package.json" "$sim/package-lock.json" "$b/"; fi
		e2e_log "installing node-smpp with npm ci in $b"
		(cd "$b" && npm ci --no-audit --no-fund --prefer-offline >"$E2E_DIR/npm.log" 2>&1) ||
			e2e_missing "npm ci failed in $b (see $E2E_DIR/npm.log)"
	fi
	export NODE_PATH="$b/node_modules${NODE_PATH:+:$NODE_PATH}"
}

# e2e__await_ready PID FILE WHAT SECONDS — wait until the process PID has
# written its ready FILE; fail if it exits first or takes longer.
e2e__await_ready() {
	local pid=$1 file=$2 what=$3 i
	for ((i = 0; i < $4 * 10; i++)); do
		[ -s "$file" ] && return 0
		kill -0 "$pid" 2>/dev/null || e2e_fail "$what exited at start (see its log)"
		sleep 0.1
	done
	[ -s "$file" ] || e2e_fail "$what did not become ready in $4 s"
}

# e2e_start_sim [SIM OPTIONS...] — start tests/smsc-sim/smsc-sim.js on a free
# port (or --port P), wait until it listens. Sets SIM_PORT, SIM_CONTROL, SIM_PID.
e2e_start_sim() {
	e2e__sim_node_path
	local ready=$E2E_DIR/sim.ready
	rm -f "$ready"
	echo "=== smsc-sim start $(date '+%F %T') args: $*" >>"$E2E_DIR/sim.log"
	setsid node "$top_srcdir/tests/smsc-sim/smsc-sim.js" --port 0 --control-port 0 \
		--ready-file "$ready" --events "$E2E_DIR/sim-events.jsonl" "$@" \
		>>"$E2E_DIR/sim.log" 2>&1 </dev/null &
	SIM_PID=$!
	e2e__track "$SIM_PID" smsc-sim
	e2e__await_ready "$SIM_PID" "$ready" "the SMSC simulator" 15
	local info
	info=$(<"$ready")
	SIM_PORT=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' <<<"$info")
	SIM_CONTROL=$(sed -n 's/.*"control":\([0-9]*\).*/\1/p' <<<"$info")
	if [ -z "$SIM_PORT" ] || [ -z "$SIM_CONTROL" ]; then
		e2e_fail "bad simulator ready file: $info"
	fi
	export SIM_PORT SIM_CONTROL
	e2e__debug "smsc-sim on port $SIM_PORT, control $SIM_CONTROL (pid $SIM_PID)"
}

# e2e_stop_sim — stop the simulator (its connections drop). Restart it on the
# same port with: e2e_start_sim --port "$SIM_PORT" ...
e2e_stop_sim() {
	[ -n "$SIM_PID" ] || e2e_fail "e2e_stop_sim: the simulator is not running"
	e2e__stop "$SIM_PID" TERM 5 || true
	SIM_PID=
}

# e2e_sim GET|POST PATH [JSON] — call the simulator's control API; prints the
# response body; fails (returns 1) on an HTTP error status.
e2e_sim() {
	local method=${1:?e2e_sim METHOD PATH [JSON]} path=${2:?e2e_sim METHOD PATH [JSON]} body=${3:-}
	[ -n "$SIM_CONTROL" ] || e2e_fail "e2e_sim: the simulator is not running"
	if [ "$method" = POST ] && [ -z "$body" ]; then body='{}'; fi
	local args=(-sS --max-time 30 --fail-with-body -X "$method")
	if [ -n "$body" ]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$body")
	fi
	curl "${args[@]}" "http://127.0.0.1:$SIM_CONTROL$path"
}

# e2e_events [EV] — print the events the simulator logged, one JSON object a
# line (only those of kind EV when given).
e2e_events() {
	local f=$E2E_DIR/sim-events.jsonl
	[ -f "$f" ] || return 0
	if [ -n "${1:-}" ]; then
		grep -F "{\"ev\":\"$1\"," "$f" || true
	else
		cat "$f"
	fi
}

# e2e_count_events EV — print how many EV events were logged.
e2e_count_events() {
	local n
	n=$(e2e_events "${1:?e2e_count_events EV}" | wc -l)
	echo $((n))
}

# e2e_has_events EV [N] — succeed when at least N (default 1) EV events were
# logged; for e2e_wait_for.
e2e_has_events() {
	[ "$(e2e_count_events "$1")" -ge "${2:-1}" ]
}

# e2e_wait_events EV N [TIMEOUT_S] — wait until at least N EV events.
e2e_wait_events() {
	e2e_wait_for "$2 '$1' event(s) at the simulator" "${3:-10}" e2e_has_events "$1" "$2"
}

# e2e_json PATH — read JSON (one value, or one value a line) on stdin and
# print the field at PATH (dotted: "statuses.0", "config.receipts"; "." for
# all) of each: strings raw, everything else as JSON; missing → empty line.
e2e_json() {
	node -e '
const path = process.argv[1] === "." ? [] : process.argv[1].split(".");
let data = "";
process.stdin.on("data", (c) => data += c).on("end", () => {
	let values;
	try { values = [JSON.parse(data)]; } catch (e) {
		values = data.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
	}
	for (let v of values) {
		for (const k of path) v = v === null || v === undefined ? undefined : v[k];
		process.stdout.write((v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v)) + "\n");
	}
});' "${1:?e2e_json PATH}"
}

# e2e_event_values EV FIELD — FIELD of each EV event, one a line.
e2e_event_values() {
	local lines
	lines=$(e2e_events "${1:?e2e_event_values EV FIELD}")
	[ -n "$lines" ] || return 0
	printf '%s\n' "$lines" | e2e_json "${2:?e2e_event_values EV FIELD}"
}

# e2e_sim_stat NAME — one counter of GET /stats (binds, submits, open_sessions...).
e2e_sim_stat() {
	e2e_sim GET /stats | e2e_json "${1:?e2e_sim_stat NAME}"
}

e2e__bound_at_least() {
	local n
	n=$(e2e_sim_stat bound_sessions 2>/dev/null) || return 1
	[ "${n:-0}" -ge "$1" ]
}

# e2e_wait_bound [N] [TIMEOUT_S] — wait until N sessions are bound to the simulator.
e2e_wait_bound() {
	e2e_wait_for "${1:-1} bound SMPP session(s)" "${2:-15}" e2e__bound_at_least "${1:-1}"
}

# ---------------------------------------------------------------------------
# provisioning stub (tests/prov-stub/README.md)

# e2e_start_prov [STUB OPTIONS...] — start tests/prov-stub/prov-stub.js on a
# free port (or --port P), wait until it listens. Sets PROV_PORT, PROV_PID and
# PROV_URL (its webhook URL, http://127.0.0.1:$PROV_PORT/activate), which
# e2e_write_conf uses for provisioning.url.
e2e_start_prov() {
	local ready=$E2E_DIR/prov.ready
	rm -f "$ready"
	echo "=== prov-stub start $(date '+%F %T') args: $*" >>"$E2E_DIR/prov.log"
	setsid node "$top_srcdir/tests/prov-stub/prov-stub.js" --port 0 \
		--ready-file "$ready" "$@" >>"$E2E_DIR/prov.log" 2>&1 </dev/null &
	PROV_PID=$!
	e2e__track "$PROV_PID" prov-stub
	e2e__await_ready "$PROV_PID" "$ready" "the provisioning stub" 15
	PROV_PORT=$(<"$ready")
	[[ $PROV_PORT =~ ^[0-9]+$ ]] || e2e_fail "bad provisioning stub ready file: $PROV_PORT"
	PROV_URL=http://127.0.0.1:$PROV_PORT/activate
	export PROV_PORT PROV_URL
	e2e__debug "prov-stub on port $PROV_PORT (pid $PROV_PID)"
}

# e2e_stop_prov — stop the stub (its state is lost). Restart it on the same
# port with: e2e_start_prov --port "$PROV_PORT"
e2e_stop_prov() {
	[ -n "$PROV_PID" ] || e2e_fail "e2e_stop_prov: the provisioning stub is not running"
	e2e__stop "$PROV_PID" TERM 5 || true
	PROV_PID=
}

# e2e_prov GET|POST PATH [JSON] — call the stub's control API (PATH with or
# without its /_control prefix: /calls, /activations, /stats, /script,
# /default, /reset); prints the response body; fails (returns 1) on an HTTP
# error status.
e2e_prov() {
	local method=${1:?e2e_prov METHOD PATH [JSON]} path=${2:?e2e_prov METHOD PATH [JSON]} body=${3:-}
	[ -n "$PROV_PORT" ] || e2e_fail "e2e_prov: the provisioning stub is not running"
	[[ $path == /_control/* ]] || path=/_control/${path#/}
	local args=(-sS --max-time 30 --fail-with-body -X "$method")
	if [ -n "$body" ]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$body")
	fi
	curl "${args[@]}" "http://127.0.0.1:$PROV_PORT$path"
}

# e2e_prov_count_activations — print how many keys were activated (once each).
e2e_prov_count_activations() {
	e2e_prov GET /stats | e2e_json activations
}

# e2e_prov_count_calls — print how many webhook calls the stub received.
e2e_prov_count_calls() {
	e2e_prov GET /stats | e2e_json calls
}

# ---------------------------------------------------------------------------
# the subscriber side: MO in, SMS out, the catalogue

# e2e_mo [--redeliver] FROM TEXT — the SMSC delivers an SMS from FROM; fails
# unless vasgw answers the deliver_sm with status 0.
# --redeliver: the simulator's redelivery mode (tests/smsc-sim/README.md):
# vasgw's deliver_sm_resp is "lost" (the SMSC closes the link on reading
# it), and once vasgw has reconnected and bound again the same deliver_sm is
# sent again; both answers must be status 0.  Events: deliver_sm (attempt 1,
# "redeliver":true), deliver_sm_resp_lost, drop (reason resp-lost),
# redeliver, deliver_sm (attempt 2, "redelivery_of", "same_bytes":true),
# deliver_sm_resp.  The simulator's answer is left in $E2E_DIR/mo.json.
e2e_mo() {
	local body r redeliver=false
	if [ "${1:-}" = --redeliver ]; then
		redeliver=true
		shift
	fi
	body=$(node -e 'const a = process.argv;
const o = {from: a[1], text: a[2]};
if (a[3] === "true") o.redeliver = true;
process.stdout.write(JSON.stringify(o))' "$1" "$2" "$redeliver")
	r=$(e2e_sim POST /mo "$body") || e2e_fail "POST /mo failed: $r"
	printf '%s\n' "$r" >"$E2E_DIR/mo.json"
	[ "$(e2e_json statuses <<<"$r")" = "[0]" ] || e2e_fail "MO '$2' from $1: deliver_sm_resp $r"
	if [ "$redeliver" = true ]; then
		[ "$(e2e_json lost_statuses <<<"$r")" = "[0]" ] ||
			e2e_fail "MO '$2' from $1: the deliver_sm_resp lost was not 0: $r"
	fi
}

# e2e_sms_to NUM — the text of every submit_sm to NUM, one a line, in order.
e2e_sms_to() {
	e2e_events submit | grep -F "\"dest\":\"$1\"" | e2e_json text
}

# e2e_sms_count NUM — how many submit_sm went to NUM.
e2e_sms_count() {
	local n
	n=$(e2e_events submit | grep -cF "\"dest\":\"$1\"")
	echo $((n))
}

# e2e_wait_sms NUM N [TIMEOUT_S] — wait until N submit_sm went to NUM.
e2e__sms_at_least() {
	[ "$(e2e_sms_count "$1")" -ge "$2" ]
}
e2e_wait_sms() {
	e2e_wait_for "$2 SMS to $1" "${3:-10}" e2e__sms_at_least "$1" "$2"
}

# e2e_last_sms NUM — the text of the last submit_sm to NUM.
e2e_last_sms() {
	e2e_sms_to "$1" | tail -n1
}

# e2e_wait_drained [TIMEOUT_S] — wait (10 s) until vasgwd has done all it
# was given: no entry left in P:mo, P:mt, P:mt:bulk or P:orders.  An entry is deleted
# only once what it causes is in Redis or out: an MO once its answer is
# queued (and its order written), an MT once the SMSC answered every part,
# an order once its result is recorded and its SMS queued.  So after it
# the SMS the simulator saw, the webhook calls and the records are final,
# and "nothing more came" is proven in order, not by waiting a while (SMS
# held for quiet hours and receipts still to come aside).
e2e__drained() {
	[ "$(e2e_redis EVAL "local n = 0 for _, k in ipairs(KEYS) do n = n + redis.call('XLEN', k) end return n" \
		4 "$1:mo" "$1:mt" "$1:mt:bulk" "$1:orders")" = 0 ]
}
e2e_wait_drained() {
	local P
	P=$(e2e__conf_get "$E2E_CONF" redis prefix)
	e2e_wait_for "${P:-vasgw}:mo, :mt, :mt:bulk and :orders drained" "${1:-10}" e2e__drained "${P:-vasgw}"
}

# e2e_wait_sms_exact NUM N [TIMEOUT_S] — wait until N submit_sm went to
# NUM and vasgwd has drained (e2e_wait_drained): then exactly N, no more.
e2e_wait_sms_exact() {
	e2e_wait_sms "$1" "$2" "${3:-10}"
	e2e_wait_drained "${3:-10}"
	local n
	n=$(e2e_sms_count "$1")
	[ "$n" = "$2" ] || e2e_fail "expected exactly $2 SMS to $1, got $n: $(e2e_sms_to "$1" | tr '\n' '|')"
}

# e2e_vasgw_ok ARGS... — e2e_vasgw that must exit 0: its stdout passes
# through, any other status fails the test (from inside $( ) or a pipeline
# too: the failure is recorded, see e2e_fail).
e2e_vasgw_ok() {
	local st=0
	e2e_vasgw "$@" || st=$?
	[ "$st" = 0 ] || e2e_fail "vasgw $*: exit $st, expected 0"
}

# e2e_cli LABEL ARGS... — run the CLI, its stderr kept under LABEL (for
# e2e_cli_err); the exit status is the CLI's.
e2e_cli() {
	local label=$1
	shift
	e2e_vasgw "$@" 2>"$E2E_DIR/$label.stderr"
}
# e2e_cli_err LABEL — the stderr of that run.
e2e_cli_err() { cat "$E2E_DIR/$1.stderr"; }
# e2e_expect_status LABEL STATUS ARGS... — the CLI must exit with STATUS
# (stdout kept in $E2E_DIR/LABEL.stdout).
e2e_expect_status() {
	local label=$1 want=$2 st=0
	shift 2
	e2e_cli "$label" "$@" >"$E2E_DIR/$label.stdout" || st=$?
	[ "$st" = "$want" ] || e2e_fail "$label: exit $st, expected $want (stderr: $(e2e_cli_err "$label"))"
}

# e2e_services — the catalogue most tests use: CL (ring-back tones) and
# SJB (mobile newspaper).
e2e_services() {
	e2e_vasgw service add CL --name 彩铃 --price 5元/月 --provision-code P_CL \
		--commission-fen 300 --knowledge "彩铃让来电者听到您选的歌。" \
		--usage "拨打12530选歌。" --cancel "回复QX CL取消。" >/dev/null ||
		e2e_fail "service add CL failed"
	e2e_vasgw service add SJB --name 手机报 --price 3元/月 --provision-code P_SJB \
		--commission-fen 200 >/dev/null || e2e_fail "service add SJB failed"
}

# e2e_start_subscriber_side [SIM OPTIONS...] — what a test of the
# subscriber side starts from: Redis, the simulator (with these options),
# the provisioning stub, the default configuration, vasgwd bound, and
# e2e_services' catalogue.
e2e_start_subscriber_side() {
	e2e_start_redis
	e2e_start_sim "$@"
	e2e_start_prov
	e2e_write_conf
	e2e_start_vasgwd
	e2e_wait_bound
	e2e_services
}

# ---------------------------------------------------------------------------
# USSD dialogues, from the phone's side (the simulator's POST /ussd)
#
#   s=$(e2e_ussd_dial 8613800138000)          # op 1, a fresh its session
#   e2e_assert_eq "first screen" "$menu" "$(e2e_ussd_text <<<"$s")"
#   s=$(e2e_ussd_answer 8613800138000 1)      # op 18, the same its
#   e2e_ussd_ends <<<"$s" || e2e_fail "the dialogue should have ended"
#   e2e_ussd_abort 8613800138000              # the phone hangs up
#
# Each request is one deliver_sm (vasgw must answer it with status 0) and
# waits for the next USSD screen (an accepted submit_sm with
# ussd_service_op) to FROM.  The helpers print that screen as one JSON
# object, the simulator's: {"text", "ussd_service_op", "its_session_info",
# "user_message_reference", "end", "source", "dest", "message_id", "ms"};
# "end" is true when the op is 17 (PSSR response) or its_session_info's
# end-of-session bit is set.  No screen within E2E_USSD_WAIT_MS (5000)
# fails the test, unless the call expects none (--none MS, and the
# *_nothing and abort helpers): then a screen within MS fails it.
#
# its_session_info as SMPP 3.4 §5.3.2.43 and the default [ussd] profile
# spell it: octet 1 the session number, octet 2 the sequence number (1:
# 0x02) with bit 0 the end of the session.  Each dial takes the next
# session number of the test (1, 2, ... 255, 1, ...) and it is remembered
# per FROM ($E2E_DIR/ussd/FROM.its) for the answers and the abort; the
# last answer of the simulator is kept in $E2E_DIR/ussd/FROM.json.

# e2e__ussd_request [--none MS] FROM OP ITS TEXT — one request; prints the
# screen, or fails as above.
e2e__ussd_request() {
	local none='' wait=${E2E_USSD_WAIT_MS:-5000} body r screen
	if [ "${1:-}" = --none ]; then
		none=${2:?e2e_ussd: --none MS}
		wait=$none
		shift 2
	fi
	local from=$1 op=$2 its=$3 text=$4
	body=$(node -e 'const a = process.argv;
const o = {from: a[1], op: Number(a[2]), text: a[4], wait_ms: Number(a[5])};
if (a[3]) o.its = a[3];
process.stdout.write(JSON.stringify(o))' "$from" "$op" "$its" "$text" "$wait")
	r=$(e2e_sim POST /ussd "$body") || e2e_fail "POST /ussd failed: $r"
	mkdir -p "$E2E_DIR/ussd"
	printf '%s\n' "$r" >"$E2E_DIR/ussd/$from.json"
	[ "$(e2e_json statuses <<<"$r")" = "[0]" ] ||
		e2e_fail "USSD op $op its $its '$text' from $from: deliver_sm_resp $(e2e_json statuses <<<"$r") ($r)"
	screen=$(e2e_json screen <<<"$r")
	if [ -n "$none" ]; then
		[ -z "$screen" ] ||
			e2e_fail "USSD op $op its $its '$text' from $from: expected no screen within $none ms, got $screen"
		return 0
	fi
	[ -n "$screen" ] ||
		e2e_fail "USSD op $op its $its '$text' from $from: no screen came within $wait ms"
	printf '%s\n' "$screen"
}

# e2e__ussd_its FROM — the its_session_info of FROM's dialogue (from its
# last dial); fails when FROM has not dialled.
e2e__ussd_its() {
	[ -s "$E2E_DIR/ussd/$1.its" ] || e2e_fail "e2e_ussd: $1 has not dialled (e2e_ussd_dial $1)"
	cat "$E2E_DIR/ussd/$1.its"
}

# e2e_ussd_dial [--none MS] FROM [CODE] — FROM dials CODE (default the
# configuration's [smsc] ussd_service_code, *123*8#): ussd_service_op 1
# (PSSR indication) with a fresh its session; prints the first screen.
e2e_ussd_dial() {
	local opt=()
	if [ "${1:-}" = --none ]; then opt=(--none "${2:?e2e_ussd_dial --none MS}"); shift 2; fi
	local from=${1:?e2e_ussd_dial FROM [CODE]} code=${2:-} n=0 its
	[ -n "$code" ] || code=$(e2e__conf_get "$E2E_CONF" smsc ussd_service_code)
	code=${code:-*123*8#}
	mkdir -p "$E2E_DIR/ussd"
	# the test's next session number; dials may run at once (flock, from
	# util-linux like setsid)
	command -v flock >/dev/null 2>&1 || e2e_missing "flock is not installed (util-linux)"
	{
		flock 9
		[ -s "$E2E_DIR/ussd/.session" ] && n=$(<"$E2E_DIR/ussd/.session")
		n=$((n % 255 + 1))
		echo "$n" >"$E2E_DIR/ussd/.session"
	} 9>"$E2E_DIR/ussd/.lock"
	its=$(printf '%02x02' "$n")
	echo "$its" >"$E2E_DIR/ussd/$from.its"
	e2e__ussd_request "${opt[@]}" "$from" 1 "$its" "$code"
}

# e2e_ussd_answer [--none MS] FROM TEXT — FROM answers the screen with
# TEXT: ussd_service_op 18 (USSR confirm), its_session_info of the dial
# (end bit clear); prints the next screen.
e2e_ussd_answer() {
	local opt=()
	if [ "${1:-}" = --none ]; then opt=(--none "${2:?e2e_ussd_answer --none MS}"); shift 2; fi
	local from=${1:?e2e_ussd_answer FROM TEXT} its
	its=$(e2e__ussd_its "$from") || exit 1
	e2e__ussd_request "${opt[@]}" "$from" 18 "$its" "${2?e2e_ussd_answer FROM TEXT}"
}

# e2e_ussd_answer_nothing FROM TEXT [MS] — the same answer, and no screen
# may come within MS ms (default 2000).
e2e_ussd_answer_nothing() {
	e2e_ussd_answer --none "${3:-2000}" "${1:?e2e_ussd_answer_nothing FROM TEXT [MS]}" \
		"${2?e2e_ussd_answer_nothing FROM TEXT [MS]}"
}

# e2e_ussd_abort FROM [MS] — the phone ends the dialogue, as the default
# profile reads it: ussd_service_op 18 with the dial's its_session_info and
# its end-of-session bit set, no text.  The dialogue is over, so no screen
# may come within MS ms (default 2000).  (sixdee's abort is op 0x81, mica's
# a PSSR response, 17, with the session in user_message_reference: send
# those with e2e_sim POST /ussd, tests/smsc-sim/README.md.)
e2e_ussd_abort() {
	local from=${1:?e2e_ussd_abort FROM [MS]} its
	its=$(e2e__ussd_its "$from") || exit 1
	its=$(printf '%s%02x' "${its:0:2}" $((16#${its:2:2} | 1)))
	e2e__ussd_request --none "${2:-2000}" "$from" 18 "$its" ""
}

# e2e_ussd_text, e2e_ussd_op, e2e_ussd_its, e2e_ussd_umr — a field of the
# screen JSON on stdin (text; ussd_service_op; its_session_info as hex;
# user_message_reference); "" when the screen has none.
e2e_ussd_text() { e2e_json text; }
e2e_ussd_op() { e2e_json ussd_service_op; }
e2e_ussd_its() { e2e_json its_session_info; }
e2e_ussd_umr() { e2e_json user_message_reference; }

# e2e_ussd_ends — succeed when the screen JSON on stdin is the last of its
# dialogue ("end": op 17, or the its end-of-session bit set).
e2e_ussd_ends() {
	[ "$(e2e_json end)" = true ]
}

# e2e_ussd_expect LABEL SCREEN_JSON more|last TEXT — the screen is TEXT,
# one that waits for an answer (more: USSR request, op 2, its end bit
# clear) or the dialogue's last (last: PSSR response, op 17, end bit set),
# echoing FROM's session number (its octet 1).
e2e_ussd_expect() {
	local label=$1 s=$2 kind=$3 text=$4 its
	its=$(e2e_ussd_its <<<"$s")
	e2e_assert_eq "$label: text" "$text" "$(e2e_ussd_text <<<"$s")"
	if [ "$kind" = last ]; then
		e2e_assert_eq "$label: op (PSSR response)" 17 "$(e2e_ussd_op <<<"$s")"
		[ -z "$its" ] || e2e_assert_eq "$label: its end bit" 1 "$((16#${its:2:2} & 1))"
	else
		e2e_assert_eq "$label: op (USSR request)" 2 "$(e2e_ussd_op <<<"$s")"
		[ -z "$its" ] || e2e_assert_eq "$label: its end bit" 0 "$((16#${its:2:2} & 1))"
	fi
}

# e2e_ussd_session FROM — the its_session_info FROM's answers carry (hex).
e2e_ussd_session() {
	e2e__ussd_its "${1:?e2e_ussd_session FROM}"
}

# ---------------------------------------------------------------------------
# configuration and the programs under test

# e2e_write_conf ["section.key=value" ...] — write $E2E_CONF for this test.
# An override replaces the default or adds a key (or a section);
# "-section.key" removes a key.
# shellcheck disable=SC2120  # arguments are optional
e2e_write_conf() {
	[ -n "$E2E_DIR" ] || e2e_fail "e2e_write_conf: call e2e_init first"
	local -a keys=(
		"gateway.node=e2e"
		"gateway.templates=$top_srcdir/templates"
		"gateway.locale=zh_CN"
		"gateway.log_level=debug"
		"redis.host=127.0.0.1"
		"redis.port=${REDIS_PORT:-6379}"
		"redis.prefix=vasgw"
		"smsc.host=127.0.0.1"
		"smsc.port=${SIM_PORT:-2775}"
		"smsc.system_id=vasgw"
		"smsc.password=secret"
		"smsc.bind=transceiver"
		"smsc.service_number=10658000"
		"smsc.window=10"
		"smsc.tps=0"
		"smsc.enquire_link_interval=5"
		"smsc.response_timeout=3"
		"smsc.reconnect_max=2"
		"provisioning.url=${PROV_URL:-http://127.0.0.1:9/activate}"
		"provisioning.timeout_ms=2000"
		"policy.quiet_hours="
		"policy.marketing_interval_days=0"
	)
	local o k i found
	for o in "$@"; do
		if [[ $o == -* ]]; then
			k=${o#-}
			for i in "${!keys[@]}"; do
				[ "${keys[i]%%=*}" = "$k" ] && unset 'keys[i]'
			done
			keys=("${keys[@]}")
			continue
		fi
		[[ $o == *.*=* ]] || e2e_fail "e2e_write_conf: '$o' is not section.key=value"
		k=${o%%=*}
		found=0
		for i in "${!keys[@]}"; do
			if [ "${keys[i]%%=*}" = "$k" ]; then
				keys[i]=$o
				found=1
			fi
		done
		[ "$found" = 1 ] || keys+=("$o")
	done
	# group by section, sections in order of first appearance
	local -a sections=()
	local s kv
	for kv in "${keys[@]}"; do
		s=${kv%%.*}
		case " ${sections[*]} " in *" $s "*) ;; *) sections+=("$s") ;; esac
	done
	{
		echo "; written by tests/e2e/lib.sh for $E2E_NAME"
		for s in "${sections[@]}"; do
			printf '\n[%s]\n' "$s"
			for kv in "${keys[@]}"; do
				[ "${kv%%.*}" = "$s" ] || continue
				k=${kv#*.}
				printf '%s = %s\n' "${k%%=*}" "${k#*=}"
			done
		done
	} >"$E2E_CONF"
	export VASGW_CONF=$E2E_CONF
}

# e2e_start_vasgwd [ARGS...] — run $top_builddir/vasgwd -c $E2E_CONF in the
# background (through $VASGWD_WRAPPER when set), log to vasgwd.log.
# Sets VASGWD_PID.
e2e_start_vasgwd() {
	# shellcheck disable=SC2119  # defaults only
	[ -f "$E2E_CONF" ] || e2e_write_conf
	[ -x "$top_builddir/vasgwd" ] || e2e_fail "$top_builddir/vasgwd is not built"
	if [ -n "$VASGWD_PID" ] && kill -0 "$VASGWD_PID" 2>/dev/null; then
		e2e_fail "e2e_start_vasgwd: vasgwd is already running (pid $VASGWD_PID)"
	fi
	echo "=== vasgwd start $(date '+%F %T'): ${VASGWD_WRAPPER:-} vasgwd -c $E2E_CONF $*" >>"$E2E_DIR/vasgwd.log"
	# shellcheck disable=SC2086  # the wrapper is a command line
	setsid ${VASGWD_WRAPPER:-} "$top_builddir/vasgwd" -c "$E2E_CONF" "$@" \
		>>"$E2E_DIR/vasgwd.log" 2>&1 </dev/null &
	VASGWD_PID=$!
	VASGWD_STATUS=
	e2e__track "$VASGWD_PID" vasgwd
	E2E__VASGWD_RT[$VASGWD_PID]=$(e2e__conf_rt "$E2E_CONF")
	e2e__debug "vasgwd started (pid $VASGWD_PID)"
}

# e2e_vasgwd_alive — succeed while vasgwd runs.
e2e_vasgwd_alive() {
	[ -n "$VASGWD_PID" ] && kill -0 "$VASGWD_PID" 2>/dev/null
}

# e2e_stop_vasgwd [SIGNAL] [GRACE_S] — stop vasgwd (default TERM, 20 s grace),
# sets VASGWD_STATUS to its exit status (128+n when killed by signal n).
# The end check requires status 0 of every vasgwd stopped with TERM or INT
# (unless e2e_end_allow exit); one stopped with another signal (KILL: see
# e2e_kill_vasgwd) was stopped so on purpose and its status is the test's
# business.
e2e_stop_vasgwd() {
	[ -n "$VASGWD_PID" ] || e2e_fail "e2e_stop_vasgwd: vasgwd is not running"
	VASGWD_STATUS=0
	e2e__stop "$VASGWD_PID" "${1:-TERM}" "${2:-20}" || VASGWD_STATUS=$?
	E2E__VASGWD_STOPS+=("$VASGWD_PID:vasgwd:${1:-TERM}:$VASGWD_STATUS")
	VASGWD_PID=
	e2e__debug "vasgwd stopped, status $VASGWD_STATUS"
}

# e2e_kill_vasgwd — crash it (SIGKILL).
e2e_kill_vasgwd() {
	e2e_stop_vasgwd KILL 5
}

# e2e_vasgw ARGS... — run the CLI against this test's configuration.  Its
# stderr is also kept, one file a call ($E2E_DIR/cli-*.stderr, removed when
# empty), for the sanitizer scan; it reaches the caller's stderr once the
# call has ended.
e2e_vasgw() {
	# shellcheck disable=SC2119  # defaults only
	[ -f "$E2E_CONF" ] || e2e_write_conf
	if [ -z "${E2E_DIR:-}" ] || [ ! -d "$E2E_DIR" ]; then   # no work directory
		# shellcheck disable=SC2086
		${VASGW_WRAPPER:-} "$top_builddir/vasgw" -c "$E2E_CONF" "$@"
		return
	fi
	local err=$E2E_DIR/cli-${EPOCHREALTIME/[.,]/}-$BASHPID.stderr st=0
	# shellcheck disable=SC2086
	${VASGW_WRAPPER:-} "$top_builddir/vasgw" -c "$E2E_CONF" "$@" 2>>"$err" || st=$?
	if [ -s "$err" ]; then cat "$err" >&2; else rm -f "$err"; fi
	return "$st"
}

# ---------------------------------------------------------------------------
# the end-of-test check (run by e2e_pass in every test that started a vasgwd)
#
#  a. the work is done: within $E2E_END_WAIT (20) s the MT streams P:mt and
#     P:mt:bulk have no entries and their group vasgw nothing pending, and
#     P:mo and P:orders have nothing pending (XPENDING's count) and nothing unread by that
#     group (a missing stream or group is empty);
#  b. no message P:msg:* is queued or submitted (scheduled is fine: held
#     for quiet hours);
#  c. the counters of P:stats add up (a missing field is 0):
#       queued       = submitted + unsent
#       submitted    = accepted + rejected
#       dlr_received = dlr + dlr_duplicate + dlr_unmatched + dlr_late_matched
#                      + dlr_replaced + dlr_malformed
#  d. every offer P:offer:* is pending, declined, confirmed, superseded, held
#     or withdrawn, and a confirmed one's `order` is an existing P:order:*;
#  e. every vasgwd still running (the main one, and any other the test
#     tracked with e2e__track PID vasgwd*) exits 0 on SIGTERM within its
#     [smsc] response_timeout + 5 s; one the test stopped with SIGTERM (or
#     INT) must have exited 0 too, and none may have ended by itself;
#  f. no sanitizer report (AddressSanitizer, LeakSanitizer, "runtime error:")
#     in any vasgwd*.log or in the stderr of any CLI call (*.stderr).
# a and b are checked, and e is for daemons ended before the check, unless
# the test said otherwise with e2e_end_allow.  c, d, e for the daemons
# running at the end, and f hold always.  b, c and d are read once the
# daemons have stopped.  P is [redis] prefix.  One line says what was
# checked; every failure is listed.

# e2e_end_allow WHAT WHY — this test leaves WHAT behind on purpose; WHY (a
# few words, required) is printed by the end check.  WHAT:
#   mt         entries (read or not) left in the MT stream
#   mo         entries pending (or unread) in P:mo
#   orders     entries pending (or unread) in P:orders
#   queued     messages left queued (the counter check then counts them as
#              on their way: queued = submitted + unsent + still queued)
#   submitted  messages left submitted, with parts unanswered (likewise:
#              submitted = accepted + rejected + still submitted)
#   scheduled  messages held for quiet hours: always allowed, accepted to
#              make a test say it
#   exit       a vasgwd that ended before the end check (by itself, or killed
#              by the test other than with e2e_kill_vasgwd), or that the test
#              stopped with TERM, may have an exit status other than 0
e2e_end_allow() {
	local what=${1:-} why=${2:-}
	case $what in
	mt | mo | orders | queued | submitted | scheduled | exit) ;;
	*) e2e_fail "e2e_end_allow: '$what' is not one of mt mo orders queued submitted scheduled exit" ;;
	esac
	[ -n "$why" ] || e2e_fail "e2e_end_allow $what: say why (e2e_end_allow WHAT WHY)"
	E2E__END_ALLOWED+=("$what:$why")
}

e2e__end_allowed() {   # WHAT
	local a
	for a in "${E2E__END_ALLOWED[@]}"; do
		[ "${a%%:*}" = "$1" ] && return 0
	done
	return 1
}

# e2e__conf_get FILE SECTION KEY — a value of an INI file ("" when absent).
e2e__conf_get() {
	[ -r "$1" ] || return 0
	awk -v sec="$2" -v key="$3" '
		/^[ \t]*\[/ { cur = $0; gsub(/[][ \t]/, "", cur); next }
		cur == sec {
			line = $0
			sub(/^[ \t]+/, "", line)
			if (substr(line, 1, length(key)) != key) next
			rest = substr(line, length(key) + 1)
			if (rest !~ /^[ \t]*=/) next
			sub(/^[ \t]*=[ \t]*/, "", rest)
			sub(/[ \t]+$/, "", rest)
			v = rest
		}
		END { print v }' "$1"
}

# e2e__conf_rt FILE — its [smsc] response_timeout (vasgwd's default, 10 s,
# when not set).
e2e__conf_rt() {
	local v
	v=$(e2e__conf_get "$1" smsc response_timeout)
	[[ $v =~ ^[0-9]+$ ]] || v=10
	echo "$v"
}

# e2e__vasgwd_rt PID — the response_timeout that vasgwd runs with: the larger
# of the one at its start and the one in its configuration now (it is
# found in /proc/PID/cmdline, -c FILE; $E2E_CONF otherwise).
e2e__vasgwd_rt() {
	local pid=$1 rt=${E2E__VASGWD_RT[$1]:-} conf now
	conf=$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | awk 'take { print; exit } $0 == "-c" { take = 1 }')
	[ -n "$conf" ] || conf=$E2E_CONF
	now=$(e2e__conf_rt "$conf")
	if [ -z "$rt" ] || [ "$now" -gt "$rt" ]; then rt=$now; fi
	echo "$rt"
}

# e2e__term_vasgwd PID NAME — stop that vasgwd (its process group) with
# SIGTERM; it must exit 0 within its response_timeout + 5 s, or is killed.
# Returns 0 when it did, 1 when it hung or exited otherwise than 0, 2 when
# it had exited already; E2E__TERM_WHY says what went wrong, E2E__TERM_STATUS
# is its status ("hang" when killed), E2E__TERM_MS how long it took.
e2e__term_vasgwd() {
	local pid=$1 name=$2 rt grace st=0 t0 now
	E2E__TERM_WHY='' E2E__TERM_STATUS='' E2E__TERM_MS=0
	rt=$(e2e__vasgwd_rt "$pid")
	grace=$((rt + 5))
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null || st=$?
		kill -KILL -- "-$pid" 2>/dev/null
		e2e__untrack "$pid"
		E2E__TERM_STATUS=$st
		E2E__TERM_WHY="$name (pid $pid) had ended (status $st) before the end of the test stopped it"
		return 2
	fi
	t0=$(($(date +%s%N) / 1000000))
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do
		now=$(($(date +%s%N) / 1000000))
		[ $((now - t0)) -lt $((grace * 1000)) ] || break
		sleep 0.1
	done
	E2E__TERM_MS=$(($(date +%s%N) / 1000000 - t0))
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		e2e__untrack "$pid"
		E2E__TERM_STATUS=hang
		E2E__TERM_WHY="$name (pid $pid) had not exited ${grace} s after SIGTERM ([smsc] response_timeout $rt + 5 s): killed"
		e2e_log "$E2E__TERM_WHY" >&2
		return 1
	fi
	wait "$pid" 2>/dev/null || st=$?
	kill -KILL -- "-$pid" 2>/dev/null   # members of its group that outlived it
	e2e__untrack "$pid"
	E2E__TERM_STATUS=$st
	if [ "$st" -ne 0 ]; then
		E2E__TERM_WHY="$name (pid $pid) exited with status $st on SIGTERM (after $E2E__TERM_MS ms)"
		return 1
	fi
	return 0
}

# What is left in the streams: "ok MT_LEN MT_PENDING MO_PENDING MO_UNREAD
# ORDERS_PENDING ORDERS_UNREAD"; unread: entries after the last one the
# group vasgw was given (an MO stored, not yet read by the dispatcher, whose
# answer is still to come).
# shellcheck disable=SC2016  # Lua, not shell
E2E__LUA_QUEUES='
local P = ARGV[1]
local function group(s)
  if redis.call("EXISTS", s) == 0 then return nil end
  local gs = redis.pcall("XINFO", "GROUPS", s)
  if type(gs) ~= "table" or gs.err then return nil end
  for _, g in ipairs(gs) do
    local h = {}
    for i = 1, #g, 2 do h[g[i]] = g[i + 1] end
    if h.name == "vasgw" then return h end
  end
  return nil
end
local function pending(s)
  if redis.call("EXISTS", s) == 0 then return 0 end
  local r = redis.pcall("XPENDING", s, "vasgw")
  if type(r) ~= "table" or r.err then return 0 end
  return tonumber(r[1]) or 0
end
local function unread(s)
  local g = group(s)
  if not g then return 0 end
  return #redis.call("XRANGE", s, "(" .. g["last-delivered-id"], "+", "COUNT", 1000)
end
local len = 0
for _, s in ipairs({P .. ":mt", P .. ":mt:bulk"}) do
  if redis.call("EXISTS", s) == 1 then len = len + redis.call("XLEN", s) end
end
return "ok " .. len .. " " .. pending(P .. ":mt") + pending(P .. ":mt:bulk") .. " " .. pending(P .. ":mo") .. " " .. unread(P .. ":mo") ..
  " " .. pending(P .. ":orders") .. " " .. unread(P .. ":orders")'

# The records at rest, one item a line: "ok", "count msg N", "count offer N",
# "stat NAME VALUE", "msg ID STATE" (queued or submitted), "offer ID WHAT".
# shellcheck disable=SC2016
E2E__LUA_REST='
local P = ARGV[1]
local out = {"ok"}
local function hashes(pattern)
  local r = {}
  for _, k in ipairs(redis.call("KEYS", pattern)) do
    if redis.call("TYPE", k).ok == "hash" then r[#r + 1] = k end
  end
  return r
end
local msgs = hashes(P .. ":msg:*")
out[#out + 1] = "count msg " .. #msgs
for _, k in ipairs(msgs) do
  local st = redis.call("HGET", k, "state")
  if st == "queued" or st == "submitted" then
    out[#out + 1] = "msg " .. string.sub(k, #P + 6) .. " " .. st
  end
end
for f in string.gmatch(ARGV[2], "%S+") do
  out[#out + 1] = "stat " .. f .. " " .. (redis.call("HGET", P .. ":stats", f) or "0")
end
local OK = {pending = 1, declined = 1, confirmed = 1, superseded = 1, held = 1, withdrawn = 1}
local offers = hashes(P .. ":offer:*")
out[#out + 1] = "count offer " .. #offers
for _, k in ipairs(offers) do
  local id = string.sub(k, #P + 8)
  local f = redis.call("HMGET", k, "state", "order")
  if not f[1] or not OK[f[1]] then
    out[#out + 1] = "offer " .. id .. " has the state " .. (f[1] and ("\"" .. f[1] .. "\"") or "(none)")
  elseif f[1] == "confirmed" then
    if not f[2] or f[2] == "" then
      out[#out + 1] = "offer " .. id .. " is confirmed without an order"
    elseif redis.call("EXISTS", P .. ":order:" .. f[2]) == 0 then
      out[#out + 1] = "offer " .. id .. " is confirmed with the order " .. f[2] .. ", which does not exist"
    end
  end
end
return out'

E2E__END_STATS="queued submitted unsent accepted rejected dlr_received dlr dlr_duplicate dlr_unmatched dlr_late_matched dlr_replaced dlr_malformed"

# e2e__end_queues P — what is left of the work (a), given what the test
# allowed; "" when nothing.
e2e__end_queues() {
	local r ok mtlen mtpend mopend mounread ordpend ordunread left=()
	r=$(e2e_redis EVAL "$E2E__LUA_QUEUES" 0 "$1" 2>&1)
	read -r ok mtlen mtpend mopend mounread ordpend ordunread <<<"$r"
	if [ "$ok" != ok ]; then
		echo "cannot read the streams from Redis: $r"
		return
	fi
	if ! e2e__end_allowed mt && { [ "$mtlen" -ne 0 ] || [ "$mtpend" -ne 0 ]; }; then
		left+=("$1:mt and $1:mt:bulk have $mtlen entries, $mtpend pending")
	fi
	if ! e2e__end_allowed mo && { [ "$mopend" -ne 0 ] || [ "$mounread" -ne 0 ]; }; then
		left+=("$1:mo has $mopend pending, $mounread unread")
	fi
	if ! e2e__end_allowed orders && { [ "$ordpend" -ne 0 ] || [ "$ordunread" -ne 0 ]; }; then
		left+=("$1:orders has $ordpend pending, $ordunread unread")
	fi
	local IFS=';'
	echo "${left[*]}"
}

e2e__end_check() {
	local P problems=() checked=() notes=() a
	P=$(e2e__conf_get "$E2E_CONF" redis prefix)
	P=${P:-vasgw}
	for a in "${E2E__END_ALLOWED[@]}"; do notes+=("${a%%:*} (${a#*:})"); done

	# a. the queues drain while everything still runs
	local wait=${E2E_END_WAIT:-20} t0 left
	t0=$(($(date +%s%N) / 1000000))
	while :; do
		left=$(e2e__end_queues "$P")
		[ -z "$left" ] && break
		if [ $(($(date +%s%N) / 1000000 - t0)) -ge $((wait * 1000)) ]; then
			problems+=("work left after waiting ${wait} s: ${left//;/; }")
			break
		fi
		sleep 0.2
	done
	[ -n "$left" ] || checked+=("queues drained in $(($(date +%s%N) / 1000000 - t0)) ms")

	# e. every vasgwd: SIGTERM, exit 0 in time (newest first)
	local i entry n=0 slowest=0 rc s pid sig st
	for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do
		entry=${E2E_PIDS[i]}
		case ${entry#*:} in vasgwd*) ;; *) continue ;; esac
		e2e__term_vasgwd "${entry%%:*}" "${entry#*:}"
		rc=$?
		[ "${entry%%:*}" = "$VASGWD_PID" ] && { VASGWD_STATUS=$E2E__TERM_STATUS; VASGWD_PID=; }
		case $rc in
		0) n=$((n + 1)); [ "$E2E__TERM_MS" -gt "$slowest" ] && slowest=$E2E__TERM_MS ;;
		2) if e2e__end_allowed exit; then notes+=("$E2E__TERM_WHY"); else problems+=("$E2E__TERM_WHY"); fi ;;
		*) problems+=("$E2E__TERM_WHY") ;;
		esac
	done
	for s in "${E2E__VASGWD_STOPS[@]}"; do
		IFS=: read -r pid _ sig st <<<"$s"
		case $sig in TERM | INT) ;; *) continue ;; esac
		[ "$st" = 0 ] && continue
		a="vasgwd (pid $pid), stopped by the test with SIG$sig, exited with status $st"
		if e2e__end_allowed exit; then notes+=("$a"); else problems+=("$a"); fi
	done
	checked+=("$n vasgwd exited 0 on SIGTERM (slowest $slowest ms)")

	# b, c, d: the records at rest
	local r kind x y nmsg=0 noffer=0 bad=() badoffers=() nq=0 ns=0
	local -A v=()
	r=$(e2e_redis EVAL "$E2E__LUA_REST" 0 "$P" "$E2E__END_STATS" 2>&1)
	if [ "$(head -n1 <<<"$r")" != ok ]; then
		problems+=("cannot read the records from Redis: $(head -n3 <<<"$r" | tr '\n' ' ')")
	else
		while read -r kind x y; do
			case $kind in
			count) if [ "$x" = msg ]; then nmsg=$y; else noffer=$y; fi ;;
			stat) v[$x]=$y ;;
			msg)
				if [ "$y" = queued ] && e2e__end_allowed queued; then nq=$((nq + 1))
				elif [ "$y" = submitted ] && e2e__end_allowed submitted; then ns=$((ns + 1))
				else bad+=("$x $y"); fi
				;;
			offer) badoffers+=("$x $y") ;;
			esac
		done <<<"$r"
		if [ "${#bad[@]}" -gt 0 ]; then
			problems+=("${#bad[@]} of $nmsg messages not finished (id state): $(printf '%s, ' "${bad[@]:0:20}" | sed 's/, $//')$([ "${#bad[@]}" -gt 20 ] && echo ", ...")")
		else
			checked+=("no message of $nmsg queued or submitted$([ $((nq + ns)) -gt 0 ] && echo " but $nq queued and $ns submitted, as allowed")")
		fi
		# c. the counters
		local -A c=()
		for x in $E2E__END_STATS; do c[$x]=${v[$x]:-0}; done
		local sum1=$((c[submitted] + c[unsent] + nq)) sum2=$((c[accepted] + c[rejected] + ns))
		local sum3=$((c[dlr] + c[dlr_duplicate] + c[dlr_unmatched] + c[dlr_late_matched] + c[dlr_replaced] + c[dlr_malformed]))
		local e1="queued ${c[queued]} = submitted ${c[submitted]} + unsent ${c[unsent]}"
		local e2="submitted ${c[submitted]} = accepted ${c[accepted]} + rejected ${c[rejected]}"
		local e3="dlr_received ${c[dlr_received]} = dlr ${c[dlr]} + dlr_duplicate ${c[dlr_duplicate]} + dlr_unmatched ${c[dlr_unmatched]} + dlr_late_matched ${c[dlr_late_matched]} + dlr_replaced ${c[dlr_replaced]} + dlr_malformed ${c[dlr_malformed]}"
		[ "$nq" -gt 0 ] && e1="$e1 + still queued $nq"
		[ "$ns" -gt 0 ] && e2="$e2 + still submitted $ns"
		local cbad=()
		[ "${c[queued]}" -eq "$sum1" ] || cbad+=("$e1 ($sum1)")
		[ "${c[submitted]}" -eq "$sum2" ] || cbad+=("$e2 ($sum2)")
		[ "${c[dlr_received]}" -eq "$sum3" ] || cbad+=("$e3 ($sum3)")
		if [ "${#cbad[@]}" -gt 0 ]; then
			problems+=("$P:stats does not add up: $(printf '%s; ' "${cbad[@]}" | sed 's/; $//')")
		else
			checked+=("counters add up ($e1; $e2; $e3)")
		fi
		# d. the offers
		if [ "${#badoffers[@]}" -gt 0 ]; then
			problems+=("offers: $(printf '%s; ' "${badoffers[@]:0:20}" | sed 's/; $//')")
		else
			checked+=("$noffer offers consistent")
		fi
	fi

	# f. sanitizer reports
	local f files=() reports=()
	for f in "$E2E_DIR"/vasgwd*.log "$E2E_DIR"/*.stderr; do
		[ -f "$f" ] || continue
		files+=("$f")
		grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f" && reports+=("${f##*/}")
	done
	if [ "${#reports[@]}" -gt 0 ]; then
		problems+=("sanitizer report in: ${reports[*]}")
	else
		checked+=("no sanitizer report in ${#files[@]} logs")
	fi

	if [ "${#problems[@]}" -gt 0 ]; then
		e2e_fail "end check: $(printf '\n  %s' "${problems[@]}")"
	fi
	e2e_log "end check: $(printf '%s; ' "${checked[@]}" | sed 's/; $//')$([ "${#notes[@]}" -gt 0 ] && printf '; allowed: %s' "$(printf '%s, ' "${notes[@]}" | sed 's/, $//')")"
}
