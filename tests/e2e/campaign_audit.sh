#!/bin/bash
# The audited campaign: a target list of 20,177 rows (a BOM, CRLF, a
# header, numbers written three ways) seeded with every kind of number a
# campaign must not message, approved by a second operator, sent at
# 1000/s across a pause, a restart of vasgwd into quiet hours and out of
# them again; some recipients answer Y or N; then the billing feed's
# charges.  Checked number by number against what the SMSC received:
# nobody filtered, held out or repeated got the campaign's SMS, every one
# to be messaged got exactly one; every filtered number counted under its
# reason, the funnel's sums, the messages' tally, the export row by row,
# the answers and the lift, and a billing file imported twice counts once.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init campaign_audit
e2e_start_redis
e2e_start_sim --receipts on
e2e_start_prov
# marketing_interval_days 30: "contacted recently" is a filter here.
CONF=(smsc.window=64 smsc.tps=0 policy.marketing_interval_days=30)
e2e_write_conf "${CONF[@]}"
e2e_start_vasgwd
e2e_wait_bound
e2e_services

export TZ=Asia/Shanghai   # [gateway] timezone's default: days and hours as vasgwd sees them
today=$(date +%Y%m%d) today_iso=$(date +%F) now_ms=$(date +%s%3N)
D=$E2E_DIR
MARK='【秋季回馈】'

# --- the target file ----------------------------------------------------------
#
# 20,000 distinct numbers 86138NNNNNNNN (the "main block", index i), each of
# a seeded kind by its index; 80 off-net numbers (86170..., one of them
# twice); 26 malformed rows (one a valid number whose name has a tab); 70
# second rows (60 of valid numbers, 10 of blocklisted ones), written
# "+86 138 ...".  kinds.tsv: every distinct number and its kind.
awk -v dir="$D" '
function row(s) { printf "%s\r\n", s >f }
function kind_of(m, k) { printf "%s\t%s\n", m, k >kf }
function intl(d) { return "+86 " substr(d, 3, 3) " " substr(d, 6, 4) " " substr(d, 10) }
BEGIN {
	f = dir "/targets.csv"; kf = dir "/kinds.tsv"
	printf "\357\273\277msisdn,name\r\n" >f
	nb = split("abc|12345|8613800|861380000000012345678|138-abc-0000|+86|0|86138000x0000|hello world|" \
	      "86138000000012|86 138|1380013800|138001380000000000|x1|138a0013800|(138)|--|" \
	      "8613800138000x|+86-|not-a-number|9|138 0013 80|86;|1#", bad, "|")
	long = ""
	for (i = 0; i < 201; i++) long = long "x"
	nbad = 0; noff = 0
	for (i = 0; i < 20000; i++) {
		m = sprintf("86138%08d", 10000000 + i * 7)
		kind = i < 5 ? "opt_mo" : i < 305 ? "opted_out" : i < 505 ? "blocklisted" : \
		       i < 605 ? "complained" : i < 755 ? "already_subscribed" : \
		       i < 875 ? "cancelled_recently" : i < 1005 ? "contacted_recently" : \
		       i < 1025 ? "order_in_progress" : i < 1065 ? "daily_limit" : \
		       i < 1075 ? "missing_variable" : i < 1080 ? "text_too_long" : "valid"
		kind_of(m, kind)
		# the number as written: national, +86, or international
		w = i % 17 == 3 ? substr(m, 3) : i % 29 == 5 ? "+" m : m
		if (kind == "missing_variable")
			row(i % 2 ? w "," : w)             # an empty name, or no column
		else if (kind == "text_too_long")
			row(w "," long)                    # over 200 bytes
		else if (i % 101 == 7)
			row(w ",\"Wang, " i "\"")          # a quoted field with a comma
		else
			row(w ",用户" i)
		if (i % 240 == 123 && noff < 80) {      # off-net
			o = sprintf("86170%08d", 20000000 + noff++ * 13)
			row(o ",外网" i)
			kind_of(o, "off_net")
			if (noff == 1) row(o ",再一次")      # off-net twice: off_net again
		}
		if (i % 700 == 77 && nbad < 26) {        # malformed
			nbad++
			if (nbad <= nb) row(bad[nbad] ",坏" i)
			else if (nbad == nb + 1) row("abc,坏" i)     # the same bad number again
			else {
				row("8613900000001,名\t字")             # a good number, a tab in the name
				kind_of("8613900000001", "malformed_row")
			}
		}
		# second rows: of valid numbers, and of blocklisted ones
		if (i >= 2100 && (i - 2100) % 250 == 0 && (i - 2100) / 250 < 60) {
			d = sprintf("86138%08d", 10000000 + (i - 100) * 7)
			row(intl(d) ",重复")
			printf "%s\n", d >(dir "/dups.txt")
		}
		if (i >= 5000 && i < 5010)
			row(intl(sprintf("86138%08d", 10000000 + (i - 5000 + 305) * 7)) ",重复")
	}
	if (nbad != 26 || noff != 80) exit 1
}' || e2e_fail "cannot write the target file"
rows=$(($(wc -l <"$D/targets.csv") - 1))
e2e_assert_eq "data rows in the file" 20177 "$rows"
of_kind() { awk -F'\t' -v k="$1" '$2 == k { print $1 }' "$D/kinds.tsv"; }
n_of() { of_kind "$1" | wc -l; }
e2e_assert_eq "26 malformed rows written" 1 "$(n_of malformed_row)"   # + 25 unreadable numbers

# --- the seeded numbers, each the way the product learns of it ---------------

# opted out by sending TD themselves (the real path), and 300 more as the
# record of an earlier TD
for m in $(of_kind opt_mo); do
	e2e_mo "$m" TD
	e2e_wait_sms "$m" 1
	e2e_assert_match "TD answered" "已退订" "$(e2e_last_sms "$m")"
done
{
	for m in $(of_kind opted_out); do echo "HSET vasgw:sub:{$m} optout 1"; done
	for m in $(of_kind already_subscribed); do echo "HSET vasgw:sub:{$m} svc:CL active"; done
	for m in $(of_kind order_in_progress); do echo "HSET vasgw:sub:{$m} svc:CL ordering"; done
	for m in $(of_kind cancelled_recently); do echo "HSET vasgw:sub:{$m} svc:CL cancelled svc:CL:at $now_ms"; done
	for m in $(of_kind contacted_recently); do echo "HSET vasgw:sub:{$m} last_contact $now_ms"; done
	for m in $(of_kind daily_limit); do echo "SET vasgw:sub:{$m}:day:$today 2"; done
} | e2e_redis >"$D/seed.out" || e2e_fail "seeding failed"
[ "$(grep -cvE '^([0-9]+|OK)$' "$D/seed.out")" = 0 ] || e2e_fail "seeding: $(grep -vE '^([0-9]+|OK)$' "$D/seed.out" | head -n3)"
{ echo msisdn,reason; for m in $(of_kind blocklisted); do echo "$m,audit"; done; } >"$D/block.csv"
e2e_expect_status block 0 blocklist import "$D/block.csv"
{ echo msisdn,service,event,date; for m in $(of_kind complained); do echo "$m,CL,complaint,$today_iso"; done; } >"$D/care.csv"
e2e_expect_status care 0 feed import "$D/care.csv"

cat >"$D/template.txt" <<EOF
${MARK}{{name}}您好，{{service_name}}{{price}}，回复{{code}}开通。{{optout}}
EOF

# --- create: the import's funnel ---------------------------------------------

out=$(SUDO_USER=alice e2e_vasgw_ok campaign create --name 秋季回馈 --service cl \
	--template "$D/template.txt" --targets "$D/targets.csv" --tps 1000 --holdout 5)
id=$(head -n1 <<<"$out")
e2e_assert_match "campaign id" '^C[0-9]+$' "$id"
e2e_assert_match "counts printed" "rows 20177" "$out"

# The holdout as the feature defines it (sha1 of "<id>:<msisdn>", its first
# 32 bits mod 10000 below 500), drawn here from the valid numbers.
of_kind valid >"$D/valid.txt"
node -e '
const [id, file] = process.argv.slice(1), c = require("crypto"), fs = require("fs");
for (const m of fs.readFileSync(file, "utf8").split("\n").filter(Boolean)) {
	const h = parseInt(c.createHash("sha1").update(id + ":" + m).digest("hex").slice(0, 8), 16);
	console.log(m + "\t" + (h % 10000 < 500 ? "holdout" : "queued"));
}' "$id" "$D/valid.txt" >"$D/draw.tsv"
awk -F'\t' '$2 == "holdout" { print $1 }' "$D/draw.tsv" >"$D/holdout.txt"
awk -F'\t' '$2 == "queued" { print $1 }' "$D/draw.tsv" >"$D/queued.txt"
nhold=$(wc -l <"$D/holdout.txt") nqueued=$(wc -l <"$D/queued.txt")
e2e_log "valid $(wc -l <"$D/valid.txt"): held out $nhold, to message $nqueued"

st() { e2e_vasgw_ok --json campaign status "$id"; }
f() { e2e_json "funnel.$1" <<<"$S"; }   # a funnel counter of the last $S ("" = 0)
num() { local v; v=$(f "$1"); echo "${v:-0}"; }
S=$(st)
e2e_assert_eq "state after the import" draft "$(e2e_json state <<<"$S")"
e2e_assert_eq "creator" "root (sudo by alice)" "$(e2e_json creator <<<"$S")"
e2e_assert_eq "targets" 20177 "$(num targets)"
e2e_assert_eq "filtered:malformed" 26 "$(num filtered:malformed)"
e2e_assert_eq "filtered:off_net (80 numbers, one twice)" 81 "$(num filtered:off_net)"
e2e_assert_eq "filtered:missing_variable" 10 "$(num filtered:missing_variable)"
e2e_assert_eq "filtered:text_too_long" 5 "$(num filtered:text_too_long)"
e2e_assert_eq "filtered:duplicate" 70 "$(num filtered:duplicate)"
e2e_assert_eq "filtered:opted_out" 305 "$(num filtered:opted_out)"
e2e_assert_eq "filtered:blocklisted" 200 "$(num filtered:blocklisted)"
e2e_assert_eq "filtered:complained" 100 "$(num filtered:complained)"
e2e_assert_eq "filtered:already_subscribed" 150 "$(num filtered:already_subscribed)"
e2e_assert_eq "filtered:order_in_progress" 20 "$(num filtered:order_in_progress)"
e2e_assert_eq "filtered:contacted_recently" 130 "$(num filtered:contacted_recently)"
e2e_assert_eq "filtered:cancelled_recently" 120 "$(num filtered:cancelled_recently)"
e2e_assert_eq "filtered:daily_limit" 40 "$(num filtered:daily_limit)"
e2e_assert_eq "filtered:outside_target" 0 "$(num filtered:outside_target)"
e2e_assert_eq "holdout" "$nhold" "$(num holdout)"
e2e_assert_eq "queued" "$nqueued" "$(num queued)"
e2e_assert_eq "left to send" "$nqueued" "$(e2e_json left <<<"$S")"
sum_filtered() { node -e 'const n = JSON.parse(process.argv[1]).funnel; let s = 0;
for (const k in n) if (k.startsWith(process.argv[2])) s += Number(n[k]); console.log(s)' "$S" "$1"; }
e2e_assert_eq "targets = filtered + holdout + queued" "$(num targets)" \
	"$(($(sum_filtered filtered:) + $(num holdout) + $(num queued)))"
e2e_assert_eq "no SMS yet from the campaign" 0 "$(e2e_events submit | grep -cF "$MARK")"

# --- the lifecycle: another operator approves ---------------------------------

e2e_expect_status start_unapproved 1 campaign start "$id"
e2e_assert_match "start refused unapproved" "not approved" "$(e2e_cli_err start_unapproved)"
SUDO_USER=alice e2e_expect_status self_approve 1 campaign approve "$id"
e2e_assert_match "the creator may not approve" "another operator" "$(e2e_cli_err self_approve)"
SUDO_USER=bob e2e_vasgw_ok campaign approve "$id" >/dev/null

# Three numbers to be messaged send TD after the import: filtered at send.
mapfile -t late_td < <(sed -n '100p;5000p;9000p' "$D/queued.txt")
for m in "${late_td[@]}"; do
	e2e_mo "$m" TD
	e2e_wait_sms "$m" 1
done
grep -vxF -f <(printf '%s\n' "${late_td[@]}") "$D/queued.txt" >"$D/messaged.txt"
nmsg=$(wc -l <"$D/messaged.txt")
e2e_wait_drained
base=$(e2e_count_events submit)   # the SMS before the campaign (the TD answers)

SUDO_USER=bob e2e_vasgw_ok campaign start "$id" >/dev/null
S=$(st)
e2e_assert_eq "approved by" "root (sudo by bob)" "$(e2e_json approve_by <<<"$S")"

sent_at_least() { S=$(st); [ "$(num sent)" -ge "$1" ]; }
camp_submits() { e2e_events submit | grep -cF "$MARK"; }

# --- a pause ------------------------------------------------------------------

e2e_wait_for "4000 sent" 60 sent_at_least 4000
e2e_vasgw_ok campaign pause "$id" >/dev/null
e2e_wait_drained 20
S=$(st)
e2e_assert_eq "paused" paused "$(e2e_json state <<<"$S")"
left=$(e2e_json left <<<"$S") subs=$(camp_submits) sent=$(num sent)
e2e_log "paused at $sent sent, $left left"
sleep 2
S=$(st)
e2e_assert_eq "paused: nothing more submitted" "$subs" "$(camp_submits)"
e2e_assert_eq "paused: left" "$left" "$(e2e_json left <<<"$S")"
e2e_assert_eq "paused: sent" "$sent" "$(num sent)"
e2e_vasgw_ok campaign resume "$id" >/dev/null

# --- vasgwd restarted mid-campaign, into quiet hours --------------------------

e2e_wait_for "9000 sent" 60 sent_at_least 9000
e2e_stop_vasgwd TERM
e2e_assert_eq "vasgwd's exit on SIGTERM mid-campaign" 0 "$VASGWD_STATUS"
S=$(st)
stop_left=$(e2e_json left <<<"$S") stop_sent=$(num sent)
# Quiet hours from a minute ago to half an hour on, as vasgwd's clock reads.
quiet="$(date -d '-1 min' +%H:%M)-$(date -d '+30 min' +%H:%M)"
e2e_write_conf "${CONF[@]}" "policy.quiet_hours=$quiet"
e2e_start_vasgwd
e2e_wait_bound
waiting() { S=$(st); [ "$(e2e_json waiting <<<"$S")" = "$1" ]; }
e2e_wait_for "the campaign waits for quiet hours ($quiet)" 10 waiting quiet_hours
e2e_wait_drained 20
S=$(st)
left=$(e2e_json left <<<"$S") subs=$(camp_submits) sent=$(num sent)
e2e_assert_eq "still running in quiet hours" running "$(e2e_json state <<<"$S")"
e2e_log "quiet hours at $sent sent, $left left"
sleep 2
S=$(st)
e2e_assert_eq "quiet hours: nothing more submitted" "$subs" "$(camp_submits)"
e2e_assert_eq "quiet hours: left" "$left" "$(e2e_json left <<<"$S")"
# where it was stopped: the restarted daemon took nothing more in quiet hours
e2e_assert_eq "restarted: left as at the stop" "$stop_left" "$left"
e2e_assert_eq "restarted: sent as at the stop" "$stop_sent" "$(num sent)"
e2e_stop_vasgwd TERM
e2e_assert_eq "vasgwd's exit on SIGTERM in quiet hours" 0 "$VASGWD_STATUS"
e2e_write_conf "${CONF[@]}"
e2e_start_vasgwd
e2e_wait_bound

completed() { S=$(st); [ "$(e2e_json state <<<"$S")" = completed ]; }
e2e_wait_for "the campaign completed" 90 completed
e2e_wait_drained 20
all_delivered() { S=$(st); [ "$(e2e_json messages.delivered <<<"$S")" = "$(num sent)" ]; }
e2e_wait_for "every receipt" 30 all_delivered

# --- recipient by recipient, against the SMSC's record ------------------------

# Every submit_sm after $base: per destination, how many, and whether each
# is the campaign's text with the row's name.  Then the expectations: one to
# each number of messaged.txt, none to any other number of the file.
e2e_events submit | tail -n +"$((base + 1))" >"$D/camp-submits.jsonl"
node -e '
const fs = require("fs");
const [subs, kinds, messaged, mark] = process.argv.slice(1);
const lines = (f) => fs.readFileSync(f, "utf8").split("\n").filter(Boolean);
const want = new Set(lines(messaged));
const known = new Set(lines(kinds).map((l) => l.split("\t")[0]));
const got = new Map(), bad = [];
for (const l of lines(subs)) {
	const e = JSON.parse(l);
	got.set(e.dest, (got.get(e.dest) || 0) + 1);
	if (!e.text.startsWith(mark)) bad.push(`${e.dest}: not the campaign text: ${e.text}`);
	else if (!known.has(e.dest)) bad.push(`${e.dest}: not in the target file`);
	else if (!/^【秋季回馈】(用户\d+|Wang, \d+)您好，彩铃5元\/月，回复1开通。回复TD退订$/.test(e.text))
		bad.push(`${e.dest}: text ${e.text}`);
}
let once = 0;
for (const m of want) {
	const n = got.get(m) || 0;
	if (n === 1) once++;
	else bad.push(`${m}: to be messaged, got ${n} SMS`);
}
for (const [m, n] of got) if (!want.has(m)) bad.push(`${m}: not to be messaged, got ${n} SMS`);
console.log(`${once} messaged once; ${bad.length} problems`);
for (const b of bad.slice(0, 20)) console.log(b);
process.exit(bad.length ? 1 : 0);' "$D/camp-submits.jsonl" "$D/kinds.tsv" "$D/messaged.txt" "$MARK" >"$D/record.out" ||
	e2e_fail "the SMSC's record: $(cat "$D/record.out")"
e2e_log "the SMSC's record: $(head -n1 "$D/record.out")"
# a duplicate's first row, the name it had
d=$(sed -n 1p "$D/dups.txt")
if grep -qxF "$d" "$D/messaged.txt"; then
	e2e_assert_match "a duplicate gets its first row's SMS" "用户" "$(e2e_sms_to "$d")"
fi

S=$(st)
e2e_assert_eq "sent" "$nmsg" "$(num sent)"
e2e_assert_eq "filtered_send:opted_out" 3 "$(num filtered_send:opted_out)"
e2e_assert_eq "sent + filtered at send + expired + cancelled = queued" "$(num queued)" \
	"$(($(num sent) + $(sum_filtered filtered_send:) + $(num expired) + $(num cancelled)))"
e2e_assert_eq "left" 0 "$(e2e_json left <<<"$S")"
for k in queued submitted accepted delivered; do
	e2e_assert_eq "messages.$k" "$nmsg" "$(e2e_json "messages.$k" <<<"$S")"
done
e2e_assert_eq "messages.failed" "" "$(e2e_json messages.failed <<<"$S")"

# --- the answers --------------------------------------------------------------

mapfile -t yes < <(awk 'NR % 800 == 17' "$D/messaged.txt" | head -n 20)
mapfile -t no < <(awk 'NR % 800 == 400' "$D/messaged.txt" | head -n 5)
e2e_assert_eq "20 to answer Y" 20 "${#yes[@]}"
for m in "${yes[@]}"; do e2e_mo "$m" Y; done
for m in "${no[@]}"; do e2e_mo "$m" N; done
activated() { S=$(st); [ "$(num activated)" = 20 ]; }
e2e_wait_for "20 activations counted" 30 activated
e2e_wait_drained 20
for m in "${yes[@]}"; do e2e_wait_sms "$m" 3; done
for m in "${no[@]}"; do e2e_wait_sms "$m" 2; done
e2e_wait_drained 20
for m in "${yes[@]}"; do
	e2e_assert_eq "SMS to $m (Y)" 3 "$(e2e_sms_count "$m")"
	e2e_assert_match "activated: $m" "彩铃已为您开通" "$(e2e_last_sms "$m")"
done
for m in "${no[@]}"; do
	e2e_assert_eq "SMS to $m (N)" 2 "$(e2e_sms_count "$m")"
done
S=$(st)
e2e_assert_eq "replied" 25 "$(num replied)"
e2e_assert_eq "confirmed" 20 "$(num confirmed)"
e2e_assert_eq "declined" 5 "$(num declined)"
e2e_assert_eq "activated" 20 "$(num activated)"
e2e_assert_eq "activation_failed" 0 "$(num activation_failed)"
e2e_assert_eq "the provisioning system's activations" 20 "$(e2e_prov_count_activations)"

# --- the billing feed: the lift -----------------------------------------------

mapfile -t hcharged < <(head -n 10 "$D/holdout.txt")
mapfile -t mcharged < <(awk 'NR % 500 == 250' "$D/messaged.txt" | head -n 30)
e2e_assert_eq "30 messaged to charge" 30 "${#mcharged[@]}"
for m in "${hcharged[@]}" "${mcharged[@]}"; do echo "$m,CL,charged,$today_iso"; done >"$D/billing1.csv"
e2e_expect_status billing1 0 feed import "$D/billing1.csv"
S=$(st)
e2e_assert_eq "holdout_charged" 10 "$(num holdout_charged)"
e2e_assert_eq "messaged_charged" 30 "$(num messaged_charged)"
# fmt4 FIELD — a number of the last $S with 4 decimals ("missing" when absent)
fmt4() { local v; v=$(e2e_json "$1" <<<"$S"); if [ -z "$v" ]; then echo missing; else awk -v v="$v" 'BEGIN { printf "%.4f", v }'; fi; }
lift() { awk -v m="$1" -v s="$2" -v h="$3" -v o="$4" 'BEGIN {
	printf "%.4f %.4f %.4f\n", 100 * m / s, 100 * h / o, 100 * m / s - 100 * h / o }'; }
e2e_assert_eq "the lift fields" "$(lift 30 "$nmsg" 10 "$nhold")" \
	"$(fmt4 messaged_charged_pct) $(fmt4 holdout_charged_pct) $(fmt4 lift_points)"
# The same facts again, in another file (a header, the other order, one twice).
{ echo msisdn,service,event,date; tac "$D/billing1.csv"; head -n1 "$D/billing1.csv"; } >"$D/billing2.csv"
e2e_expect_status billing2 0 feed import "$D/billing2.csv"
S=$(st)
e2e_assert_eq "holdout_charged after the same facts again" 10 "$(num holdout_charged)"
e2e_assert_eq "messaged_charged after the same facts again" 30 "$(num messaged_charged)"
e2e_expect_status status_text 0 campaign status "$id"
e2e_assert_match "status shows the lift" "lift +[-+][0-9.]+ points" "$(cat "$D/status_text.stdout")"

# --- the export, row by row ---------------------------------------------------

e2e_expect_status export 0 campaign export "$id" --file "$D/export.csv"
node -e '
const fs = require("fs");
const [exp, kinds, draw, late, yes, no, charged, id] = process.argv.slice(1);
const lines = (f) => fs.readFileSync(f, "utf8").split("\n").filter(Boolean);
function csv(line) {   // RFC 4180, one line
	const out = []; let cur = "", q = false;
	for (let i = 0; i < line.length; i++) {
		const ch = line[i];
		if (q) { if (ch === "\"") { if (line[i + 1] === "\"") { cur += "\""; i++; } else q = false; } else cur += ch; }
		else if (ch === "\"") q = true; else if (ch === ",") { out.push(cur); cur = ""; } else cur += ch;
	}
	out.push(cur); return out;
}
const rows = lines(exp).map(csv), head = rows.shift().join(",");
const bad = [];
if (head !== "msisdn,fate,reason,message,message_state,message_error,offer_state,order,charged") bad.push("header " + head);
const want = new Map();
for (const l of lines(kinds)) {
	const [m, k] = l.split("\t");
	if (k === "malformed_row") continue;   // listed with the unreadable rows
	want.set(m, k === "valid" ? null : ["filtered", k === "opt_mo" ? "opted_out" : k]);
}
for (const l of lines(draw)) { const [m, d] = l.split("\t"); want.set(m, d === "holdout" ? ["holdout", ""] : ["sent", ""]); }
for (const m of lines(late)) want.set(m, ["filtered_at_send", "opted_out"]);
const Y = new Set(lines(yes)), N = new Set(lines(no)), C = new Set(lines(charged));
const seen = new Set(), byFate = {};
let malformed = 0;
for (const r of rows) {
	if (r.length !== 9) { bad.push("columns: " + r.join(",")); continue; }
	const [m, fate, reason, msg, mstate, merr, ostate, order, ch] = r;
	byFate[fate + (reason ? ":" + reason : "")] = (byFate[fate + (reason ? ":" + reason : "")] || 0) + 1;
	if (reason === "malformed") { malformed++; continue; }
	if (seen.has(m)) bad.push(m + ": twice");
	seen.add(m);
	const w = want.get(m);
	if (!w) { bad.push(m + ": not expected"); continue; }
	if (fate !== w[0] || reason !== w[1]) bad.push(`${m}: ${fate}/${reason}, expected ${w[0]}/${w[1]}`);
	if ((ch === "yes") !== C.has(m)) bad.push(`${m}: charged "${ch}"`);
	if (fate === "sent") {
		const os = Y.has(m) ? "confirmed" : N.has(m) ? "declined" : "pending";
		if (msg !== "of-" + id + "." + m || mstate !== "delivered" || merr !== "" || ostate !== os ||
		    (Y.has(m) ? !order : order !== ""))
			bad.push(`${m}: sent row ${r.join(",")}`);
	} else if (msg || mstate || ostate || order) bad.push(`${m}: unsent row ${r.join(",")}`);
}
for (const m of want.keys()) if (!seen.has(m)) bad.push(m + ": no row");
if (malformed !== 26) bad.push(`malformed rows ${malformed}, expected 26`);
console.log(`${rows.length} rows: ` + Object.keys(byFate).sort().map((k) => k + " " + byFate[k]).join(", "));
for (const b of bad.slice(0, 20)) console.log(b);
process.exit(bad.length ? 1 : 0);' "$D/export.csv" "$D/kinds.tsv" "$D/draw.tsv" \
	<(printf '%s\n' "${late_td[@]}") <(printf '%s\n' "${yes[@]}") <(printf '%s\n' "${no[@]}") \
	<(printf '%s\n' "${hcharged[@]}" "${mcharged[@]}") "$id" >"$D/export.out" ||
	e2e_fail "the export: $(cat "$D/export.out")"
e2e_log "the export: $(head -n1 "$D/export.out")"
e2e_assert_eq "export rows: one per number, and the unreadable rows" $((20000 + 80 + 26)) \
	"$(($(wc -l <"$D/export.csv") - 1))"
e2e_assert_match "listed" "^$id +completed +CL " "$(e2e_vasgw_ok campaign list | sed -n 2p)"
e2e_pass
