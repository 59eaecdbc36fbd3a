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

# e2e_pass — the test passed.
e2e_pass() {
	if [ -n "${E2E_DIR:-}" ] && [ -s "$E2E_DIR/.failed" ]; then
		e2e_fail "a check failed earlier (in a subshell): $(head -n1 "$E2E_DIR/.failed")"
	fi
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

e2e__track() {   # PID NAME
	E2E_PIDS+=("$1:$2")
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
	# stop in reverse start order (vasgwd before the simulator and redis)
	local i entry
	for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do
		entry=${E2E_PIDS[i]}
		e2e__stop "${entry%%:*}" TERM 5 >/dev/null 2>&1
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

e2e__sim_node_path() {
	local sim=$top_srcdir/tests/smsc-sim b=$top_builddir/tests/smsc-sim
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

# e2e_mo FROM TEXT — the SMSC delivers an SMS from FROM; fails unless vasgw
# answers the deliver_sm with status 0.
e2e_mo() {
	local body r
	body=$(node -e 'process.stdout.write(JSON.stringify({from: process.argv[1], text: process.argv[2]}))' "$1" "$2")
	r=$(e2e_sim POST /mo "$body") || e2e_fail "POST /mo failed: $r"
	[ "$(e2e_json statuses <<<"$r")" = "[0]" ] || e2e_fail "MO '$2' from $1: deliver_sm_resp $r"
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
	e2e__debug "vasgwd started (pid $VASGWD_PID)"
}

# e2e_vasgwd_alive — succeed while vasgwd runs.
e2e_vasgwd_alive() {
	[ -n "$VASGWD_PID" ] && kill -0 "$VASGWD_PID" 2>/dev/null
}

# e2e_stop_vasgwd [SIGNAL] [GRACE_S] — stop vasgwd (default TERM, 20 s grace),
# sets VASGWD_STATUS to its exit status (128+n when killed by signal n).
e2e_stop_vasgwd() {
	[ -n "$VASGWD_PID" ] || e2e_fail "e2e_stop_vasgwd: vasgwd is not running"
	VASGWD_STATUS=0
	e2e__stop "$VASGWD_PID" "${1:-TERM}" "${2:-20}" || VASGWD_STATUS=$?
	VASGWD_PID=
	e2e__debug "vasgwd stopped, status $VASGWD_STATUS"
}

# e2e_kill_vasgwd — crash it (SIGKILL).
e2e_kill_vasgwd() {
	e2e_stop_vasgwd KILL 5
}

# e2e_vasgw ARGS... — run the CLI against this test's configuration.
e2e_vasgw() {
	# shellcheck disable=SC2119  # defaults only
	[ -f "$E2E_CONF" ] || e2e_write_conf
	# shellcheck disable=SC2086
	${VASGW_WRAPPER:-} "$top_builddir/vasgw" -c "$E2E_CONF" "$@"
}
