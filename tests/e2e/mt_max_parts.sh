#!/bin/bash
# [gateway] max_parts (default 10): the longest SMS, in parts.  A text of
# exactly that many parts goes out whole; one character more is refused
# where it is made, never cut: by `vasgw send` and `send --file` (the line
# named), by `recommend` (no offer made), and, for what the daemon makes
# itself, by the outbox every MT passes: the answer to an MO is recorded
# failed with the reason, counted unsent, logged, and nothing reaches the
# SMSC.  Bad values stop both programs with the key named.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init mt_max_parts
e2e_start_redis
e2e_start_sim

# A text of N times the character C.
rep() { head -c "$2" /dev/zero | tr '\0' x | sed "s/x/$1/g"; }

# 1. Bad values: the key, the value and the bounds named; exit 1.
for bad in 0 256 ten; do
	e2e_write_conf gateway.max_parts=$bad
	e2e_expect_status "bad_$bad" 1 stats
	e2e_assert_match "max_parts = $bad refused" "\\[gateway\\] max_parts = $bad: " "$(e2e_cli_err "bad_$bad")"
	# Through $VASGWD_WRAPPER as e2e_start_vasgwd runs it, its output in a
	# vasgwd*.log: a sanitizer abort (also status 1) is caught by the end
	# check's scan, and the message itself must be the refusal.
	st=0
	# shellcheck disable=SC2086  # the wrapper is a command line
	${VASGWD_WRAPPER:-} "$top_builddir/vasgwd" -c "$E2E_CONF" --check >"$E2E_DIR/vasgwd-check-$bad.log" 2>&1 || st=$?
	e2e_assert_eq "vasgwd --check refuses max_parts = $bad" 1 "$st"
	case $bad in
	ten) why="not an integer" ;;
	*) why="must be between 1 and 255" ;;
	esac
	e2e_assert_match "vasgwd names it and says why" \
		"^vasgwd: $E2E_CONF:[0-9]+: \\[gateway\\] max_parts = $bad: $why\$" \
		"$(cat "$E2E_DIR/vasgwd-check-$bad.log")"
done
e2e_assert_match "the bounds" "must be between 1 and 255" "$(e2e_cli_err bad_0)"

# 2. The default, 10 parts: 1530 GSM characters (10 x 153) or 670 UCS-2
#    (10 x 67) go; one more is refused.  A 10 KB text is refused.
e2e_write_conf
e2e_start_vasgwd
e2e_wait_bound
id=$(e2e_cli gsm10 send 8613800138001 "$(rep a 1530)") || e2e_fail "10 GSM parts refused: $(e2e_cli_err gsm10)"
e2e_wait_sms_exact 8613800138001 10
e2e_assert_eq "10 parts, the whole text" "$(rep a 1530)" "$(e2e_sms_to 8613800138001 | tr -d '\n')"
e2e_assert_eq "the message: 10 parts" 10 "$(e2e_redis HGET "vasgw:msg:$id" parts)"
# drained: every part answered, the state final (no receipts asked of the
# simulator: accepted is the end)
e2e_assert_eq "the message accepted" accepted "$(e2e_redis HGET "vasgw:msg:$id" state)"
e2e_expect_status gsm11 1 send 8613800138002 "$(rep a 1531)"
e2e_assert_eq "11 GSM parts refused" \
	"vasgw: text too long: 11 parts, at most 10 ([gateway] max_parts)" "$(e2e_cli_err gsm11)"
id=$(e2e_cli ucs10 send 8613800138003 "$(rep 字 670)") || e2e_fail "10 UCS-2 parts refused: $(e2e_cli_err ucs10)"
e2e_wait_sms_exact 8613800138003 10
e2e_assert_eq "10 UCS-2 parts, the whole text" "$(rep 字 670)" "$(e2e_sms_to 8613800138003 | tr -d '\n')"
e2e_assert_eq "the UCS-2 message: 10 parts" 10 "$(e2e_redis HGET "vasgw:msg:$id" parts)"
e2e_assert_eq "the UCS-2 message accepted" accepted "$(e2e_redis HGET "vasgw:msg:$id" state)"
e2e_expect_status ucs11 1 send 8613800138004 "$(rep 字 671)"
e2e_assert_match "11 UCS-2 parts refused" "text too long: 11 parts, at most 10" "$(e2e_cli_err ucs11)"
e2e_expect_status big 1 send 8613800138005 "$(rep 字 3400)"
e2e_assert_match "10 KB refused" "text too long: 51 parts, at most 10" "$(e2e_cli_err big)"

# 3. send --file: each line checked, the one too long named; nothing queued.
{
	echo "8613800138006,$(rep b 1530)"
	echo "8613800138007,$(rep b 1531)"
} >"$E2E_DIR/long.csv"
e2e_expect_status file 1 send --file "$E2E_DIR/long.csv"
e2e_assert_match "the line named" "long.csv:2: text too long: 11 parts, at most 10" "$(e2e_cli_err file)"
e2e_assert_match "nothing queued" "1 bad line; nothing queued" "$(e2e_cli_err file)"

# 4. recommend: an offer SMS over the limit is no offer (knowledge SMS of
#    three 300-character texts: 14 UCS-2 parts).  The catalogue refuses
#    such a service where it is made; one it took under a larger
#    max_parts (here: a configuration with 20) is refused by recommend.
e2e_expect_status add_long 1 service add LONG --name 长 --price 1元 --provision-code P_LONG \
	--commission-fen 0 --knowledge "$(rep 知 300)" --usage "$(rep 用 300)" --cancel "$(rep 退 300)"
e2e_assert_match "the catalogue refuses it" "LONG: the knowledge SMS: text too long: 14 parts, at most 10" \
	"$(e2e_cli_err add_long)"
sed 's/^\[gateway\]$/[gateway]\nmax_parts = 20/' "$E2E_CONF" >"$E2E_DIR/wide.conf"
grep -q '^max_parts = 20$' "$E2E_DIR/wide.conf" || e2e_fail "wide.conf: no [gateway] section to widen"
${VASGW_WRAPPER:-} "$top_builddir/vasgw" -c "$E2E_DIR/wide.conf" service add LONG --name 长 --price 1元 \
	--provision-code P_LONG --commission-fen 0 --knowledge "$(rep 知 300)" --usage "$(rep 用 300)" \
	--cancel "$(rep 退 300)" >/dev/null 2>"$E2E_DIR/add_wide.stderr" ||
	e2e_fail "service add LONG with max_parts 20: $(e2e_cli_err add_wide)"
e2e_expect_status rec 1 recommend 13800138008 LONG --knowledge
e2e_assert_match "recommend refused" "the knowledge SMS of LONG: text too long: 14 parts, at most 10 .*; no offer made" \
	"$(e2e_cli_err rec)"
e2e_assert_eq "no offer made" 0 "$(e2e_redis EVAL "return #redis.call('KEYS', 'vasgw:offer:*')" 0)"

# 5. The daemon's own answers, with max_parts = 2 and a help text of its
#    own: 306 GSM characters (2 x 153) go as 2 parts, 307 are not sent.
e2e_wait_drained
e2e_stop_vasgwd
cp -r "$top_srcdir/templates" "$E2E_DIR/templates"
rep c 306 >"$E2E_DIR/templates/zh_CN/help.txt"
e2e_write_conf gateway.max_parts=2 "gateway.templates=$E2E_DIR/templates"
e2e_start_vasgwd
e2e_wait_bound
e2e_mo 8613800138009 BZ
e2e_wait_sms_exact 8613800138009 2
e2e_assert_eq "help of 2 parts, whole" "$(rep c 306)" "$(e2e_sms_to 8613800138009 | tr -d '\n')"
e2e_stop_vasgwd
rep c 307 >"$E2E_DIR/templates/zh_CN/help.txt"
e2e_start_vasgwd
e2e_wait_bound
unsent=$(e2e_redis HGET vasgw:stats unsent)
e2e_mo 8613800138010 BZ
reply=re-$(e2e_redis GET vasgw:seq:mo)
e2e_wait_for "the answer recorded failed" 10 \
	bash -c "[ \"\$(redis-cli -p $REDIS_PORT HGET vasgw:msg:$reply state)\" = failed ]"
e2e_assert_eq "the answer: why" "unsent:text too long: 3 parts, at most 2 ([gateway] max_parts)" \
	"$(e2e_redis HGET "vasgw:msg:$reply" error)"
e2e_assert_eq "counted unsent" $((${unsent:-0} + 1)) "$(e2e_redis HGET vasgw:stats unsent)"
e2e_assert_match "logged" "message $reply not sent: text too long: 3 parts, at most 2" "$(cat "$E2E_DIR/vasgwd.log")"
e2e_wait_drained
e2e_assert_eq "nothing of it reached the SMSC" 0 "$(e2e_sms_count 8613800138010)"
e2e_expect_status show 0 msg show "$reply"
e2e_assert_match "msg show tells why" "error +unsent:text too long: 3 parts, at most 2" "$(cat "$E2E_DIR/show.stdout")"
e2e_pass
