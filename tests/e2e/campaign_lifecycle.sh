#!/bin/bash
# A campaign's life from the operator's side, on one vasgwd with small lists:
# what `campaign create` refuses (exit 2, nothing created); the approval by
# another operator (or none when [campaigns] require_approval is false);
# pause and resume (nothing submitted while paused, everyone once in the
# end); cancel (the rest never sent, counted); --end (the rest expired,
# nothing submitted after the end); --start (nothing before it); --window
# (nothing outside it, status says it waits); the audit log of every
# action; status --watch on a pipe; list and status as JSON.
#
# Each campaign has its own numbers (8613901xxxxxx for the first, 8613902...
# for the second, ...): a number's submits say which campaign sent them.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init campaign_lifecycle
e2e_start_redis
e2e_start_sim
e2e_start_prov
e2e_write_conf gateway.max_parts=2
e2e_start_vasgwd
e2e_wait_bound
e2e_services

# The same configuration without the approval step, for the CLI only (it
# is the CLI that checks it).
noappr=$E2E_DIR/noapproval.conf
sed 's/^\[campaigns\]$//' "$E2E_CONF" >"$noappr"
printf '\n[campaigns]\nrequire_approval = false\n' >>"$noappr"

# targets K N — a list of N numbers of campaign K (8613900K00000 + i).
targets() {
	local f=$E2E_DIR/targets-$1.csv i
	for ((i = 0; i < $2; i++)); do echo $((8613900000000 + $1 * 100000 + i)); done >"$f"
	echo "$f"
}
# as USER ARGS... — the CLI run by USER through sudo (the identity it
# records is "root (sudo by USER)" when run as root).
as() {
	local u=$1
	shift
	SUDO_USER=$u e2e_vasgw "$@"
}
# create USER ARGS... — campaign create as USER; prints the new id.
create() {
	local u=$1 out
	shift
	out=$(as "$u" campaign create "$@") || e2e_fail "campaign create $*: refused"
	head -n1 <<<"$out"
}
cfield() { e2e_redis HGET "vasgw:campaign:$1" "$2"; }
counter() { local v; v=$(e2e_redis HGET "vasgw:campaign:$1:n" "$2"); echo "${v:-0}"; }
# submits_of K — how many submit_sm went to campaign K's numbers.
submits_of() {
	local n
	n=$(e2e_events submit | grep -c "\"dest\":\"8613900$1[0-9]\{5\}\"")
	echo $((n))
}
# submit_times_of K — the simulator's time (ms) of each of them.
submit_times_of() {
	e2e_events submit | grep "\"dest\":\"8613900$1[0-9]\{5\}\"" | e2e_json t
}
# once_each K N — each of campaign K's N numbers got exactly one SMS.
once_each() {
	local got
	got=$(e2e_events submit | grep "\"dest\":\"8613900$1[0-9]\{5\}\"" | e2e_json dest | sort | uniq -c |
		awk '$1 != 1 { bad++ } END { print NR " " bad + 0 }')
	e2e_assert_eq "campaign $1: numbers messaged, numbers messaged other than once" "$2 0" "$got"
}
state_is() { [ "$(cfield "$1" state)" = "$2" ]; }
submits_at_least() { [ "$(submits_of "$1")" -ge "$2" ]; }
me=$(whoami)
unset SUDO_USER

# --- create refuses, and creates nothing --------------------------------------

list=$(targets 1 300)
tpl() { printf '%s\n' "$2" >"$E2E_DIR/tpl-$1.txt"; echo "$E2E_DIR/tpl-$1.txt"; }
long=$(printf '很%.0s' $(seq 1 150))
refused() {   # LABEL REGEX ARGS... — create refused, exit 2, stderr matching REGEX
	local label=$1 re=$2
	shift 2
	e2e_expect_status "refuse-$label" 2 campaign create --name "$label" "$@"
	e2e_assert_match "$label: the message" "$re" "$(e2e_cli_err "refuse-$label")"
}
refused no-code 'no \{\{code\}\}' --service SJB --targets "$list" \
	--template "$(tpl no-code '【{{service_name}}】{{price}}。{{optout}}')"
refused no-optout 'no opt-out wording' --service SJB --targets "$list" \
	--template "$(tpl no-optout '【{{service_name}}】回复{{code}}开通')"
refused unknown-placeholder '\{\{colour\}\} is neither a service field' --service SJB --targets "$list" \
	--template "$(tpl unknown '{{colour}}：回复{{code}}开通{{service_name}}，{{optout}}')"
refused too-long 'max_parts|parts' --service SJB --targets "$list" \
	--template "$(tpl long "$long回复{{code}}开通，{{optout}}")"
refused unknown-service 'no service NOPE' --service NOPE --targets "$list" --template recommend
refused holdout '--holdout is a percentage from 0 to 50' --service SJB --targets "$list" --template recommend --holdout 60
refused window "--window 'soon': give HH:MM-HH:MM" --service SJB --targets "$list" --template recommend --window soon
refused end-past '--end must be later' --service SJB --targets "$list" --template recommend --end '2020-01-01 00:00'
refused no-targets "$E2E_DIR/nothere.csv: cannot read" --service SJB --targets "$E2E_DIR/nothere.csv" --template recommend
e2e_assert_eq "no campaign after the refusals" "(no campaigns)" "$(e2e_vasgw_ok campaign list)"
e2e_assert_eq "no campaign id taken" "" "$(e2e_redis GET vasgw:seq:campaign)"

# --- approval, then pause and resume: campaign 1, 300 numbers at 50/s ----------

c1=$(create alice --name "pause" --service SJB --template recommend --targets "$list" --tps 50)
e2e_assert_eq "campaign 1: draft" draft "$(cfield "$c1" state)"
e2e_assert_eq "campaign 1: to message" 300 "$(counter "$c1" queued)"
e2e_assert_eq "campaign 1: creator" "$me (sudo by alice)" "$(cfield "$c1" creator)"
SUDO_USER=alice e2e_expect_status self-approve 1 campaign approve "$c1"
e2e_assert_match "approve by the creator: names them" "created by $me \(sudo by alice\)" "$(e2e_cli_err self-approve)"
SUDO_USER=alice e2e_expect_status start-unapproved 1 campaign start "$c1"
e2e_assert_match "start before approval: says so" 'not approved' "$(e2e_cli_err start-unapproved)"
e2e_assert_eq "campaign 1: still draft" draft "$(cfield "$c1" state)"
sleep 1
e2e_assert_eq "nothing sent before the start" 0 "$(submits_of 1)"
as bob campaign approve "$c1" >/dev/null || e2e_fail "approve by bob refused"
e2e_assert_eq "campaign 1: approved by bob" "$me (sudo by bob)" "$(cfield "$c1" approve_by)"
as alice campaign start "$c1" >/dev/null || e2e_fail "start after the approval refused"
e2e_wait_for "60 of campaign 1 sent" 15 submits_at_least 1 60
as alice campaign pause "$c1" >/dev/null || e2e_fail "pause refused"
e2e_wait_drained 10
at_pause=$(submits_of 1)
e2e_assert_eq "campaign 1 paused: sent = submitted" "$at_pause" "$(counter "$c1" sent)"
[ "$at_pause" -lt 300 ] || e2e_fail "campaign 1 was all sent before the pause ($at_pause)"
sleep 3
e2e_assert_eq "campaign 1: nothing submitted in 3 s paused" "$at_pause" "$(submits_of 1)"
e2e_assert_eq "campaign 1: sent unchanged while paused" "$at_pause" "$(counter "$c1" sent)"
st=$(e2e_vasgw_ok campaign status "$c1")
e2e_assert_match "status says paused" "^campaign $c1 \"pause\": paused" "$st"
e2e_expect_status pause-again 0 campaign pause "$c1"
e2e_assert_match "pause again: already" 'paused already' "$(cat "$E2E_DIR/pause-again.stdout")"
as alice campaign resume "$c1" >/dev/null || e2e_fail "resume refused"
e2e_wait_for "campaign 1 completed" 20 state_is "$c1" completed
e2e_wait_drained 10
once_each 1 300
e2e_assert_eq "campaign 1: sent" 300 "$(counter "$c1" sent)"

# --- no approval required: start from draft; then cancel mid-way ---------------

list=$(targets 2 300)
c2=$(E2E_CONF=$noappr create alice --name cancel --service SJB --template recommend --targets "$list" --tps 40)
E2E_CONF=$noappr as alice campaign start "$c2" >/dev/null || e2e_fail "start from draft without approval refused"
e2e_wait_for "50 of campaign 2 sent" 15 submits_at_least 2 50
as bob campaign cancel "$c2" >/dev/null || e2e_fail "cancel refused"
e2e_wait_drained 10
sent2=$(submits_of 2)
e2e_assert_eq "campaign 2: cancelled" cancelled "$(cfield "$c2" state)"
e2e_assert_eq "campaign 2: sent = submitted" "$sent2" "$(counter "$c2" sent)"
e2e_assert_eq "campaign 2: the rest counted cancelled" "$((300 - sent2))" "$(counter "$c2" cancelled)"
e2e_assert_eq "campaign 2: nothing left to send" 0 "$(e2e_redis LLEN "vasgw:campaign:$c2:q")"
e2e_expect_status start-cancelled 1 campaign start "$c2"
e2e_assert_match "start a cancelled one: refused" 'cancelled cannot be started' "$(e2e_cli_err start-cancelled)"
e2e_expect_status resume-cancelled 1 campaign resume "$c2"
e2e_assert_match "resume a cancelled one: refused" 'cancelled cannot be resumed' "$(e2e_cli_err resume-cancelled)"
sleep 2
e2e_assert_eq "campaign 2: nothing submitted after the cancel" "$sent2" "$(submits_of 2)"
once_each 2 "$sent2"

# --- --end a few seconds ahead at 10/s: the rest expire --------------------------
# The SMSC answers slowly meanwhile (1.5 s a submit, 10 at once: under 7/s),
# so that at the end some of the SMS queued before it are still waiting:
# those expire too, none is submitted after the end.

list=$(targets 3 200)
e2e_sim POST /config '{"resp_delay_ms":1500}' >/dev/null || e2e_fail "POST /config failed"
end_ms=$((($(date +%s) + 6) * 1000))
c3=$(E2E_CONF=$noappr create alice --name end --service SJB --template recommend --targets "$list" --tps 10 \
	--end "$(date -d "@$((end_ms / 1000))" +%Y-%m-%dT%H:%M:%S%:z)")
e2e_assert_eq "campaign 3: its end" "$end_ms" "$(cfield "$c3" end)"
E2E_CONF=$noappr e2e_vasgw_ok campaign start "$c3" >/dev/null
# status --watch on a pipe: a view a second until the campaign ends, exit 0
# (timeout only guards against it never ending)
watch_st=0
timeout 40 "$top_builddir/vasgw" -c "$E2E_CONF" campaign status "$c3" --watch \
	>"$E2E_DIR/watch.out" 2>"$E2E_DIR/watch.stderr" || watch_st=$?
e2e_assert_eq "status --watch: exit status once the campaign ended" 0 "$watch_st"
views=$(grep -c "^campaign $c3 \"end\": " "$E2E_DIR/watch.out")
[ "$views" -ge 3 ] || e2e_fail "status --watch printed $views views, expected one a second"
e2e_assert_match "the last view: completed" "^campaign $c3 \"end\": completed" \
	"$(grep "^campaign $c3 " "$E2E_DIR/watch.out" | tail -n1)"
e2e_assert_eq "campaign 3: completed" completed "$(cfield "$c3" state)"
e2e_wait_drained 10
e2e_sim POST /config '{"resp_delay_ms":0}' >/dev/null || e2e_fail "POST /config failed"
sent3=$(counter "$c3" sent)
sub3=$(submits_of 3)
mt() { local v; v=$(e2e_redis HGET "vasgw:campaign:$1:mt" "$2"); echo "${v:-0}"; }
e2e_assert_eq "campaign 3: the rest expired" "$((200 - sent3))" "$(counter "$c3" expired)"
[ "$sent3" -ge 30 ] && [ "$sent3" -le 80 ] ||
	e2e_fail "campaign 3: $sent3 sent in about 6 s at 10/s"
e2e_assert_eq "campaign 3: submitted (tally) = submits" "$sub3" "$(mt "$c3" submitted)"
e2e_assert_eq "campaign 3: sent = submitted + expired waiting (tally)" "$sent3" \
	"$((sub3 + $(mt "$c3" failed:expired)))"
# (20 ms: a submit_sm that left vasgw just before the end and reached the
# simulator just after it; those held back until after the end came in
# their dozens)
late=$(submit_times_of 3 | awk -v e="$end_ms" '$1 > e + 20' | wc -l)
e2e_assert_eq "campaign 3: submits after its end ($end_ms)" 0 "$late"
[ "$sub3" -lt "$sent3" ] || e2e_fail "campaign 3: no SMS was still waiting at the end ($sub3 of $sent3 submitted)"
once_each 3 "$sub3"

# --- --start a few seconds ahead: nothing before it ------------------------------

list=$(targets 4 50)
start_ms=$((($(date +%s) + 4) * 1000))
c4=$(E2E_CONF=$noappr create alice --name start --service SJB --template recommend --targets "$list" --tps 50 \
	--start "$(date -d "@$((start_ms / 1000))" +%Y-%m-%dT%H:%M:%S%:z)")
E2E_CONF=$noappr e2e_vasgw_ok campaign start "$c4" >/dev/null
waiting_for() { [ "$(e2e_vasgw --json campaign status "$1" | e2e_json waiting)" = "$2" ]; }
e2e_wait_for "campaign 4 waits for its start" 5 waiting_for "$c4" start
e2e_assert_match "status says it waits for its start" 'running, waiting: its start time' \
	"$(e2e_vasgw_ok campaign status "$c4")"
e2e_wait_for "campaign 4 completed" 15 state_is "$c4" completed
e2e_wait_drained 10
early=$(submit_times_of 4 | awk -v s="$start_ms" '$1 < s' | wc -l)
e2e_assert_eq "campaign 4: submits before its start ($start_ms)" 0 "$early"
once_each 4 50

# --- --window that excludes now: nothing sent, waiting; then cancelled -----------

list=$(targets 5 50)
# (the gateway's local time: [gateway] timezone)
tz=$(e2e__conf_get "$E2E_CONF" gateway timezone)
window="$(TZ=${tz:-Asia/Shanghai} date -d '-2 hours' +%H:%M)-$(TZ=${tz:-Asia/Shanghai} date -d '-1 hour' +%H:%M)"
c5=$(E2E_CONF=$noappr create alice --name window --service SJB --template recommend --targets "$list" --tps 50 \
	--window "$window")
E2E_CONF=$noappr e2e_vasgw_ok campaign start "$c5" >/dev/null
e2e_wait_for "campaign 5 waits for its window" 5 waiting_for "$c5" window
e2e_assert_match "status says it waits for its window" 'running, waiting: outside its window' \
	"$(e2e_vasgw_ok campaign status "$c5")"
# Paused (the daemon drops it within a second) and resumed, it is taken up
# again by the daemon, which reads its window anew: four times, still
# nothing.
taken_up() { [ "$(grep -c "campaign $c5: running\$" "$E2E_DIR/vasgwd.log")" -gt "$1" ]; }
for ((i = 0; i < 4; i++)); do
	e2e_vasgw_ok campaign pause "$c5" >/dev/null
	sleep 1.5
	n=$(grep -c "campaign $c5: running\$" "$E2E_DIR/vasgwd.log")
	e2e_vasgw_ok campaign resume "$c5" >/dev/null
	e2e_wait_for "campaign 5 taken up again after resume $i" 5 taken_up "$n"
done
sleep 1
e2e_assert_eq "campaign 5: nothing sent outside its window $window" 0 "$(submits_of 5)"
e2e_assert_eq "campaign 5: sent" 0 "$(counter "$c5" sent)"
e2e_vasgw_ok campaign cancel "$c5" >/dev/null
e2e_assert_eq "campaign 5: all cancelled" 50 "$(counter "$c5" cancelled)"

# --- JSON, the audit log ---------------------------------------------------------

json_ok() {   # LABEL — stdin is one JSON document
	node -e 'JSON.parse(require("fs").readFileSync(0, "utf8"))' ||
		e2e_fail "$1: not JSON"
}
e2e_vasgw_ok --json campaign list >"$E2E_DIR/list.json"
json_ok "campaign list --json" <"$E2E_DIR/list.json"
e2e_assert_eq "campaign list --json: ids, newest first" "[\"$c5\",\"$c4\",\"$c3\",\"$c2\",\"$c1\"]" \
	"$(node -e 'console.log(JSON.stringify(JSON.parse(require("fs").readFileSync(0, "utf8")).map((c) => c.id)))' <"$E2E_DIR/list.json")"
e2e_vasgw_ok campaign status "$c1" --json >"$E2E_DIR/status.json"
json_ok "campaign status --json" <"$E2E_DIR/status.json"
e2e_assert_eq "status --json: state" completed "$(e2e_json state <"$E2E_DIR/status.json")"
e2e_assert_eq "status --json: funnel.sent" 300 "$(e2e_json funnel.sent <"$E2E_DIR/status.json")"

audit=$(e2e_vasgw_ok audit-log --limit 1000)
audit_has() {   # USER-WORD ACTION ID
	grep -qE "  $me \(sudo by $1\)  $2  $3( |$)" <<<"$audit" ||
		e2e_fail "the audit log has no $2 of $3 by $1"
}
for id in "$c1" "$c2" "$c3" "$c4" "$c5"; do audit_has alice campaign.create "$id"; done
audit_has bob campaign.approve "$c1"
audit_has alice campaign.start "$c1"
audit_has alice campaign.pause "$c1"
audit_has alice campaign.resume "$c1"
audit_has alice campaign.start "$c2"
audit_has bob campaign.cancel "$c2"
grep -qE "  campaign\.cancel  $c5 " <<<"$audit" || e2e_fail "the audit log has no campaign.cancel of $c5"
# the refused actions changed nothing, and are not in it as done
e2e_assert_eq "approvals in the audit log" 1 "$(grep -c '  campaign\.approve  ' <<<"$audit")"
e2e_assert_eq "pauses of $c1 in the audit log (the second was a no-op)" 1 "$(grep -c "  campaign\.pause  $c1 " <<<"$audit")"
e2e_pass
