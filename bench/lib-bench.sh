# bench/lib-bench.sh — helpers shared by bench/mt-throughput,
# bench/vs-kannel, bench/mo-latency, bench/ussd-latency and bench/campaign
# (bash only; sourced, never run).
#
# Builds on tests/e2e/lib.sh for the work directory, free ports, process
# groups and clean-up, and adds what a benchmark needs on top: a Redis
# started from deploy/redis-vasgw.conf (appendfsync always) in a fresh
# directory per run, the C sink or the node simulator as the SMSC, CPU and
# peak-RSS readings from /proc, and one vasgw run that prints its figures.
#
# Figures, for each vasgw run (bench/README.md explains them):
#   rate      N / (last submit_sm_resp recorded - first enqueue), msgs/s,
#             both from the message records in Redis ("created" and
#             "accepted_at"; ms, taken by vasgw and vasgwd on this machine)
#   lat       submit-to-resp latency: pN.resp_at - submitted_at per record
#             (vasgwd's own clock at write and at reading the response, ms)
#   cpu       utime+stime from /proc/PID/stat over the run, per 10,000 msgs
#   rss       VmHWM from /proc/PID/status (peak resident set)

# shellcheck source=tests/e2e/lib.sh disable=SC2154  # top_* set by the caller
. "$top_srcdir/tests/e2e/lib.sh"

BENCH_CLK_TCK=$(getconf CLK_TCK)
BENCH_REDIS_CONF=${BENCH_REDIS_CONF:-$top_srcdir/deploy/redis-vasgw.conf}
BENCH_APPENDFSYNC=${BENCH_APPENDFSYNC:-}   # empty: what the conf file says
SINK_PID=
SINK_PORT=
SINK_STATS=

bench_now() {   # wall clock, ms
	local t=$EPOCHREALTIME
	echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 ))
}

# bench_cpu_ticks PID — utime+stime of PID (clock ticks), 0 when gone.
bench_cpu_ticks() {
	local stat rest
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	rest=${stat##*) }          # fields from 3 on (the name may hold spaces)
	# shellcheck disable=SC2086
	set -- $rest
	echo $(( ${12} + ${13} ))
}

# bench_hwm_kb PID — peak RSS (VmHWM) in kB.
bench_hwm_kb() {
	awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0
}

# bench_cpu_s TICKS — seconds with two decimals.
bench_cpu_s() {
	awk -v t="$1" -v hz="$BENCH_CLK_TCK" 'BEGIN {printf "%.2f", t / hz}'
}

# bench_start_redis — a fresh redis-server on a free loopback port, from
# deploy/redis-vasgw.conf (AOF on, appendfsync always) with data in a new
# directory. Sets REDIS_PORT, REDIS_PID.
bench_start_redis() {
	local dir=$E2E_DIR/redis i extra=()
	rm -rf "$dir"
	mkdir -p "$dir"
	[ -n "$BENCH_APPENDFSYNC" ] && extra=(--appendfsync "$BENCH_APPENDFSYNC")
	for ((i = 0; i < 5; i++)); do
		e2e__pick_port
		REDIS_PORT=$E2E_PORT
		setsid redis-server "$BENCH_REDIS_CONF" --port "$REDIS_PORT" \
			--bind 127.0.0.1 --dir "$dir" --save '' --daemonize no \
			--logfile '' "${extra[@]}" \
			>>"$E2E_DIR/redis.log" 2>&1 </dev/null &
		REDIS_PID=$!
		e2e__track "$REDIS_PID" redis-server
		local j
		for ((j = 0; j < 100; j++)); do
			if e2e__redis_up; then
				export REDIS_PORT
				return 0
			fi
			kill -0 "$REDIS_PID" 2>/dev/null || break
			sleep 0.1
		done
		e2e__stop "$REDIS_PID" KILL 1 || true
	done
	e2e_fail "redis-server did not start (see $E2E_DIR/redis.log)"
}

bench_stop_redis() {
	[ -n "$REDIS_PID" ] && e2e__stop "$REDIS_PID" TERM 30 >/dev/null 2>&1
	REDIS_PID=
}

# bench_start_sink [--receipts on|off] — bench/smpp-sink on a free port.
# Sets SINK_PID, SINK_PORT, SINK_STATS.
bench_start_sink() {
	local bin=$top_builddir/bench/smpp-sink ready=$E2E_DIR/sink.ready
	[ -x "$bin" ] || e2e_fail "$bin is not built (run make)"
	rm -f "$ready"
	SINK_STATS=$E2E_DIR/sink.stats
	rm -f "$SINK_STATS"
	setsid "$bin" --port 0 --ready-file "$ready" --stats "$SINK_STATS" "$@" \
		>>"$E2E_DIR/sink.log" 2>&1 </dev/null &
	SINK_PID=$!
	e2e__track "$SINK_PID" smpp-sink
	e2e__await_ready "$SINK_PID" "$ready" "smpp-sink" 5
	SINK_PORT=$(<"$ready")
}

# bench_sink_stat NAME — one figure from the sink (asks it for fresh ones).
bench_sink_stat() {
	rm -f "$SINK_STATS"
	kill -USR1 "$SINK_PID"
	local i
	for ((i = 0; i < 50; i++)); do [ -s "$SINK_STATS" ] && break; sleep 0.02; done
	sed -n "s/^$1=//p" "$SINK_STATS"
}

bench_stop_sink() {
	[ -n "$SINK_PID" ] && e2e__stop "$SINK_PID" TERM 5 >/dev/null 2>&1
	SINK_PID=
}

# bench_start_node_peer [PEER OPTIONS] — bench/node-mo-peer.js (node-smpp's
# server, Nagle on unless --nodelay on) on a free port.  Its --stats file
# has the sink's keys, so it sets SINK_PID, SINK_PORT, SINK_STATS and
# bench_sink_stat / bench_stop_sink work on it unchanged.
bench_start_node_peer() {
	local ready=$E2E_DIR/node-peer.ready m=$top_srcdir/tests/smsc-sim/node_modules
	e2e__sim_node_path
	# The simulator finds its node_modules beside itself; this script is in
	# bench/, so name the source tree's (when that is where it is) too.
	[ -d "$m/smpp" ] && export NODE_PATH="$m${NODE_PATH:+:$NODE_PATH}"
	rm -f "$ready"
	SINK_STATS=$E2E_DIR/sink.stats
	rm -f "$SINK_STATS"
	setsid node "$top_srcdir/bench/node-mo-peer.js" --port 0 --ready-file "$ready" \
		--stats "$SINK_STATS" "$@" >>"$E2E_DIR/node-peer.log" 2>&1 </dev/null &
	SINK_PID=$!
	e2e__track "$SINK_PID" node-mo-peer
	e2e__await_ready "$SINK_PID" "$ready" "node-mo-peer.js" 15
	SINK_PORT=$(<"$ready")
}

# bench_start_sim [SIM OPTIONS] — tests/smsc-sim (node-smpp) without an
# events file (writing one line per PDU would be what we measure).
# Sets SIM_PID, SIM_PORT.
bench_start_sim() {
	e2e__sim_node_path
	local ready=$E2E_DIR/sim.ready
	rm -f "$ready"
	setsid node "$top_srcdir/tests/smsc-sim/smsc-sim.js" --port 0 \
		--ready-file "$ready" --max-events 0 "$@" \
		>>"$E2E_DIR/sim.log" 2>&1 </dev/null &
	SIM_PID=$!
	e2e__track "$SIM_PID" smsc-sim
	e2e__await_ready "$SIM_PID" "$ready" "the simulator" 15
	SIM_PORT=$(sed 's/[^0-9]//g' "$ready")
	[ -n "$SIM_PORT" ] || e2e_fail "bad simulator ready file"
}

bench_stop_sim() {
	[ -n "$SIM_PID" ] && e2e__stop "$SIM_PID" TERM 5 >/dev/null 2>&1
	SIM_PID=
}

# bench_peer_start sink|sim on|off — the SMSC; sets PEER_PID, PEER_PORT.
bench_peer_start() {
	case $1 in
	sink)
		bench_start_sink --receipts "$2"
		PEER_PID=$SINK_PID PEER_PORT=$SINK_PORT ;;
	sim)
		bench_start_sim --receipts "$2"
		PEER_PID=$SIM_PID PEER_PORT=$SIM_PORT ;;
	*) e2e_fail "unknown peer '$1' (sink or sim)" ;;
	esac
}

bench_peer_stop() {
	bench_stop_sink
	bench_stop_sim
	PEER_PID='' PEER_PORT=''
}

# bench_messages N FILE [TEXT] — N lines 'msisdn,text' (distinct numbers,
# a mix of short GSM texts unless TEXT is given); kept between runs.
bench_messages() {
	local n=$1 f=$2 text=${3:-}
	[ -s "$f" ] && return 0
	awk -v n="$n" -v text="$text" 'BEGIN {
		t[0] = "Your verification code is 482913. It expires in 5 minutes."
		t[1] = "Weather Beijing: sunny 12-24C, light wind. Reply TD to stop."
		t[2] = "Data pack 1GB activated, valid until the end of the month."
		t[3] = "Reply Y to activate ring-back tones, 5 yuan per month."
		t[4] = "Hello! Your balance is 38.50 yuan."
		for (i = 0; i < n; i++)
			printf "86138%08d,%s\n", i, text != "" ? text : t[i % 5]
	}' >"$f"
}

# bench_wait_bound TIMEOUT_S — until vasgwd reports a bound session.
bench__bound() {   # the node status is a hash (b0.state) or JSON, by version
	{
		redis-cli -h 127.0.0.1 -p "$REDIS_PORT" HGETALL vasgw:node:bench
		redis-cli -h 127.0.0.1 -p "$REDIS_PORT" GET vasgw:node:bench
	} 2>/dev/null | grep -qE '^bound$|"state":"bound"'
}
bench_wait_bound() {
	e2e_wait_for "vasgwd bound to the SMSC" "${1:-20}" bench__bound
}

# Lua run once after a run: one pass over every message record (SCAN), for
# the first enqueue, the last response and receipt, and the submit-to-resp
# latency distribution (ms).  Slow for Redis (seconds at 10^6), so it runs
# after the measurement.
BENCH_ANALYSE_LUA='
local pfx, cursor = ARGV[1], "0"
local n, first, last_acc, last_done, st = 0, nil, 0, 0, {}
local lat, nlat = {}, 0
repeat
  local r = redis.call("SCAN", cursor, "MATCH", pfx .. ":msg:*", "COUNT", 1000)
  cursor = r[1]
  for _, k in ipairs(r[2]) do
    local f = redis.call("HMGET", k, "created", "submitted_at", "p1.resp_at",
                         "accepted_at", "done_at", "state")
    n = n + 1
    local c = tonumber(f[1])
    if c and (first == nil or c < first) then first = c end
    local a = tonumber(f[4]) or 0
    if a > last_acc then last_acc = a end
    local d = tonumber(f[5]) or 0
    if d > last_done then last_done = d end
    local s, r1 = tonumber(f[2]), tonumber(f[3])
    if s and r1 then
      local v = r1 - s
      lat[v] = (lat[v] or 0) + 1
      nlat = nlat + 1
    end
    st[f[6] or "none"] = (st[f[6] or "none"] or 0) + 1
  end
until cursor == "0"
local keys = {}
for v in pairs(lat) do keys[#keys + 1] = v end
table.sort(keys)
local function pct(q)
  local want, seen = math.floor(q * nlat), 0
  for _, v in ipairs(keys) do
    seen = seen + lat[v]
    if seen > want then return v end
  end
  return -1
end
local states = {}
for k, v in pairs(st) do states[#states + 1] = k .. "=" .. v end
table.sort(states)
return {n, first or 0, last_acc, last_done, pct(0.5), pct(0.99),
        keys[#keys] or -1, table.concat(states, ",")}
'

# bench_vasgw_run N RECEIPTS PEER WINDOW MSGFILE — one measured vasgw run,
# everything fresh (Redis, the peer, vasgwd). Sets the R_* variables.
bench_vasgw_run() {
	local n=$1 receipts=$2 peer=$3 window=$4 msgs=$5
	bench_start_redis
	bench_peer_start "$peer" "$receipts"
	: >"$E2E_DIR/vasgwd.log"
	rm -f "$E2E_CONF"
	# BENCH_CONF_EXTRA: section.key=value words, split on purpose
	# shellcheck disable=SC2086
	e2e_write_conf "gateway.node=bench" "gateway.log_level=warn" \
		"smsc.port=$PEER_PORT" "smsc.window=$window" "smsc.tps=0" \
		"smsc.enquire_link_interval=30" "smsc.response_timeout=30" \
		${BENCH_CONF_EXTRA:-}
	e2e_start_vasgwd
	bench_wait_bound 20

	local c_vg0 c_rd0 c_peer0 t0 t1 t_done
	c_vg0=$(bench_cpu_ticks "$VASGWD_PID")
	c_rd0=$(bench_cpu_ticks "$REDIS_PID")
	c_peer0=$(bench_cpu_ticks "$PEER_PID")
	t0=$(bench_now)
	local TIMEFORMAT='%U %S'
	local cli_times
	cli_times=$( { time "$top_builddir/vasgw" -c "$E2E_CONF" send --file "$msgs" \
		>/dev/null 2>"$E2E_DIR/send.err"; } 2>&1 ) ||
		e2e_fail "vasgw send --file failed: $(cat "$E2E_DIR/send.err")"
	t1=$(bench_now)
	# Wait for the last response (and receipt) to be recorded.
	local want=accepted got i=0 timeout_s=${BENCH_TIMEOUT:-600}
	[ "$receipts" = on ] && want=delivered
	while :; do
		got=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" HMGET vasgw:stats "$want" failed |
			awk '{s += $1} END {print s + 0}')
		[ "$got" -ge "$n" ] && break
		kill -0 "$VASGWD_PID" 2>/dev/null || e2e_fail "vasgwd died (see $E2E_DIR/vasgwd.log)"
		if (( ++i > timeout_s * 20 )); then
			e2e_fail "timed out: $got of $n $want after ${timeout_s}s"
		fi
		sleep 0.05
	done
	t_done=$(bench_now)
	local c_vg1 c_rd1 c_peer1
	c_vg1=$(bench_cpu_ticks "$VASGWD_PID")
	c_rd1=$(bench_cpu_ticks "$REDIS_PID")
	c_peer1=$(bench_cpu_ticks "$PEER_PID")
	R_VG_RSS_KB=$(bench_hwm_kb "$VASGWD_PID")
	R_RD_RSS_KB=$(bench_hwm_kb "$REDIS_PID")
	R_SINK_TURN=
	if [ "$peer" = sink ]; then
		R_SINK_TURN="$(bench_sink_stat turnaround_p50_us)/$(sed -n 's/^turnaround_p99_us=//p' "$SINK_STATS")"
	fi
	redis-cli -h 127.0.0.1 -p "$REDIS_PORT" INFO commandstats >"$E2E_DIR/commandstats.txt" 2>&1
	redis-cli -h 127.0.0.1 -p "$REDIS_PORT" INFO persistence >"$E2E_DIR/persistence.txt" 2>&1
	e2e_stop_vasgwd TERM 20 || true
	bench_peer_stop

	local a
	a=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" EVAL "$BENCH_ANALYSE_LUA" 0 vasgw |
		tr '\n' ' ')
	# shellcheck disable=SC2086
	set -- $a
	R_N=$n R_RECORDS=$1 R_FIRST=$2 R_LAST_ACC=$3 R_LAST_DONE=$4
	R_LAT50=$5 R_LAT99=$6 R_LATMAX=$7 R_STATES=$8
	R_FAILED=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" HGET vasgw:stats failed)
	bench_stop_redis
	R_ENQ_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1000}')
	R_CLI_CPU=$(awk -v u="${cli_times% *}" -v s="${cli_times#* }" 'BEGIN {printf "%.2f", u + s}')
	local end=$R_LAST_ACC
	R_RATE=$(awk -v n="$n" -v a="$R_FIRST" -v b="$end" 'BEGIN {printf "%.0f", (b > a) ? n * 1000 / (b - a) : 0}')
	R_RATE_DLR=
	if [ "$receipts" = on ]; then
		R_RATE_DLR=$(awk -v n="$n" -v a="$R_FIRST" -v b="$R_LAST_DONE" 'BEGIN {printf "%.0f", (b > a) ? n * 1000 / (b - a) : 0}')
	fi
	R_WALL_S=$(awk -v a="$t0" -v b="$t_done" 'BEGIN {printf "%.2f", (b - a) / 1000}')
	R_VG_CPU=$(bench_cpu_s $((c_vg1 - c_vg0)))
	R_RD_CPU=$(bench_cpu_s $((c_rd1 - c_rd0)))
	R_PEER_CPU=$(bench_cpu_s $((c_peer1 - c_peer0)))
	R_VG_CPU10K=$(awk -v c="$R_VG_CPU" -v n="$n" 'BEGIN {printf "%.3f", c * 10000 / n}')
	R_RD_CPU10K=$(awk -v c="$R_RD_CPU" -v n="$n" 'BEGIN {printf "%.3f", c * 10000 / n}')
	R_US_MSG=$(awk -v a="$R_VG_CPU" -v b="$R_RD_CPU" -v n="$n" 'BEGIN {printf "%.1f", (a + b) * 1e6 / n}')
}

# bench_print_run LABEL — the R_* figures of the last run, one block.
bench_print_run() {
	printf '%s\n' "$1"
	printf '  messages                    %s (records %s: %s; failed %s)\n' \
		"$R_N" "$R_RECORDS" "$R_STATES" "${R_FAILED:-0}"
	printf '  enqueue (vasgw send --file) %s s wall, %s s CPU\n' "$R_ENQ_S" "$R_CLI_CPU"
	printf '  rate, first enqueue -> last submit_sm_resp   %s msgs/s\n' "$R_RATE"
	if [ -n "$R_RATE_DLR" ]; then
		printf '  rate, first enqueue -> last receipt recorded %s msgs/s\n' "$R_RATE_DLR"
	fi
	printf '  latency submit -> resp (vasgwd, ms)  p50 %s  p99 %s  max %s\n' \
		"$R_LAT50" "$R_LAT99" "$R_LATMAX"
	if [ -n "$R_SINK_TURN" ]; then
		printf '  sink turnaround read -> resp written (us)  p50/p99 %s\n' "$R_SINK_TURN"
	fi
	printf '  CPU s per 10,000 msgs       vasgwd %s  redis-server %s  (%s us/msg together; peer %s s in all)\n' \
		"$R_VG_CPU10K" "$R_RD_CPU10K" "$R_US_MSG" "$R_PEER_CPU"
	printf '  peak RSS                    vasgwd %s kB  redis-server %s kB\n' \
		"$R_VG_RSS_KB" "$R_RD_RSS_KB"
	printf '  wall, send start -> all recorded  %s s\n' "$R_WALL_S"
}

# bench_steal_ticks — CPU time the hypervisor took from this machine's
# CPUs (/proc/stat steal, all CPUs), in clock ticks.
bench_steal_ticks() { awk '/^cpu / {print $9}' /proc/stat; }

# bench_steal_pct TICKS WALL_S — those ticks as a share of the machine's
# CPU time over WALL_S seconds, in %.
bench_steal_pct() {
	awk -v t="$1" -v hz="$BENCH_CLK_TCK" -v w="$2" -v n="$(nproc)" \
		'BEGIN {printf "%.0f", (w > 0) ? 100 * t / hz / w / n : 0}'
}

# What `vasgw stats` calls the queue (entries not read, or read and not
# answered), summed over the streams named as keys, in one redis-cli
# call: the CLI itself would load every script into Redis at each poll.
BENCH_QUEUE_LUA='
local t = 0
for _, k in ipairs(KEYS) do
  if redis.call("EXISTS", k) == 1 then
    for _, g in ipairs(redis.call("XINFO", "GROUPS", k)) do
      for i = 1, #g, 2 do
        if g[i] == "pending" or g[i] == "lag" then t = t + (tonumber(g[i + 1]) or 0) end
      end
    end
  end
end
return t'

# bench_queue_empty — nothing waits in vasgw:mt, vasgw:mo, vasgw:orders
# (the bulk lane, vasgw:mt:bulk, is not looked at).
bench_queue_empty() {
	[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" EVAL "$BENCH_QUEUE_LUA" 3 \
		vasgw:mt vasgw:mo vasgw:orders 2>/dev/null)" = 0 ]
}

# bench_mo_texts N MIX FILE — MO i's text as line i: "Y" (confirm) or
# "BZ" (help); MIX confirm, help or half (even MO "Y").
bench_mo_texts() {
	awk -v n="$1" -v mix="$2" 'BEGIN {
		for (i = 0; i < n; i++)
			print (mix == "confirm" || (mix == "half" && i % 2 == 0)) ? "Y" : "BZ"
	}' >"$3"
}

# bench_mo_conf SINK_PORT PROV_URL [section.key=value...] — write vasgwd's
# configuration for an MO run (bench/README.md, "mo-latency"): window
# 1000, tps 0, the [policy] limits out of the way, no quiet hours; more
# words after, as e2e_write_conf takes them, override these.
bench_mo_conf() {
	local port=$1 url=$2
	shift 2
	e2e_write_conf "gateway.node=bench" "gateway.log_level=warn" \
		"gateway.timezone=${BENCH_TZ:-Asia/Shanghai}" \
		"smsc.port=$port" "smsc.window=1000" "smsc.tps=0" \
		"smsc.service_number=${SERVICE_NUMBER:-10658000}" \
		"smsc.enquire_link_interval=30" "smsc.response_timeout=30" \
		"provisioning.url=$url" \
		"policy.mo_rate_limit_per_min=100000" "policy.marketing_interval_days=0" \
		"policy.max_marketing_per_day=1000" "policy.quiet_hours=" "$@"
}

# bench_mo_phase N RATE [quiet|answered] — the MO phase of a sink started
# with --mo N --mo-rate RATE --mo-start usr2: SIGUSR2, then wait.  "quiet"
# (default, bench/mo-latency): until every MO has its answer, vasgw's
# queue is empty and no submit_sm came in the last poll (the activation
# results of the confirmations may still be coming), or nothing moved for
# 10 s after the last MO.  "answered" (a campaign sends beside it, so
# submit_sm never stop): until every MO has its answer, or no answer came
# for 10 s after the last MO.  The sink's stats are fresh in $SINK_STATS
# at the end.
bench_mo_phase() {
	local n=$1 rate=$2 mode=${3:-quiet} sent answered subs moved last=-1 still=0 i=0
	kill -USR2 "$SINK_PID"
	sleep "$(awk -v n="$n" -v r="$rate" 'BEGIN {printf "%.3f", n / r}')"
	while :; do
		sent=$(bench_sink_stat mo_sent)
		answered=$(sed -n 's/^answered=//p' "$SINK_STATS")
		subs=$(sed -n 's/^submits=//p' "$SINK_STATS")
		if [ "$mode" = answered ]; then
			[ "$answered" -ge "$n" ] && break
			moved=$answered
		else
			moved=$subs
			if [ "$answered" -ge "$n" ] && bench_queue_empty; then
				[ "$subs" = "$last" ] && break
			fi
		fi
		if [ "$sent" -ge "$n" ] && [ "$moved" = "$last" ]; then
			still=$((still + 1))
			[ "$still" -ge 50 ] && break   # 10 s without a change
		else
			still=0
		fi
		last=$moved
		kill -0 "$VASGWD_PID" 2>/dev/null || e2e_fail "vasgwd died (see $E2E_DIR/vasgwd.log)"
		if (( ++i > ${BENCH_TIMEOUT:-600} * 5 )); then
			e2e_fail "timed out: $answered of $n answered"
		fi
		sleep 0.2
	done
}

# bench_done — the run is over: exit 0 (the work directory removed unless
# E2E_KEEP=1).  Not e2e_pass: its end-of-test check stops every vasgwd and
# reads Redis, and a benchmark has already stopped both to take its figures
# (CPU, RSS, commandstats), and prints the final state of what it sent
# itself (records by state, MO answered and unanswered).
bench_done() {
	E2E__VASGWD_EVER=
	e2e_pass >/dev/null
}

