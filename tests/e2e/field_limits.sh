#!/bin/bash
# Values at the edge of their limits, where the code checks them: one that
# fits is taken whole, one over is refused with what it is and its limit,
# never cut into another.  Here: an id given to `msg show`
# or `order show` (64 bytes is an id vasgw could have made and gets "no
# such ...", 65 is refused before any key is built); an MT entry written
# past mt_enqueue (as any client of the Redis may) whose destination or
# source address is longer than a submit_sm's 20 characters: nothing is
# sent, and the record fails with the reason, counted unsent, while one of
# 20 and 20 goes out whole; a [provisioning] url of 230 characters (a line
# inih alone would not read) whose host cannot be resolved: the order
# fails with libcurl's whole message as its last_error.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init field_limits
e2e_start_redis
e2e_start_sim
# A DNS label of 200 letters: refused by the resolver before any query.
host=$(printf 'h%.0s' $(seq 200)).invalid
e2e_write_conf "provisioning.url=http://$host/activate" provisioning.max_attempts=1

id64=$(printf 'm%.0s' $(seq 64))
for c in "msg show:message:no message" "order show:order:no order"; do
	IFS=: read -r cmd kind none <<<"$c"
	label=${cmd/ /_}
	# shellcheck disable=SC2086  # two words
	e2e_expect_status "${label}64" 1 $cmd "$id64"
	e2e_assert_match "$cmd, 64 bytes: looked up" "^vasgw: $none " "$(e2e_cli_err "${label}64")"
	# shellcheck disable=SC2086
	e2e_expect_status "${label}65" 2 $cmd "${id64}x"
	e2e_assert_eq "$cmd, 65 bytes: refused, saying why" \
		"vasgw: $cmd: $kind ids are at most 64 bytes; this one has 65" "$(e2e_cli_err "${label}65")"
done
# MT entries as mt_enqueue writes them (record, stream entry, counter),
# without its checks: put_mt ID TO [SRC].
e2e_start_vasgwd
e2e_wait_bound
put_mt() {
	local src=()
	[ -n "${3:-}" ] && src=(src "$3")
	e2e_redis HSET "vasgw:msg:$1" id "$1" to "$2" text hi created \
		"$(($(date +%s%N) / 1000000))" origin cli state queued "${src[@]}" >/dev/null
	e2e_redis XADD vasgw:mt '*' id "$1" to "$2" text hi "${src[@]}" >/dev/null
	e2e_redis HINCRBY vasgw:stats queued 1 >/dev/null
}
to20=86138001380012345678 src20=10658000123456789012 to21=861390013900123456789
put_mt longto "$to21"
put_mt longsrc 8613800138001 "${src20}3"
put_mt fits "$to20" "$src20"
e2e_wait_sms "$to20" 1
e2e_assert_eq "20 and 20: sent whole, from its source" "$src20" \
	"$(e2e_events submit | grep -F "\"dest\":\"$to20\"" | e2e_json source)"
for m in longto longsrc; do
	e2e_wait_for "$m failed" 10 eval '[ "$(e2e_redis HGET vasgw:msg:$m state)" = failed ]'
done
e2e_assert_eq "destination of 21: why" "unsent:destination address longer than 20 characters" \
	"$(e2e_redis HGET vasgw:msg:longto error)"
e2e_assert_eq "source of 21: why" "unsent:source address longer than 20 characters" \
	"$(e2e_redis HGET vasgw:msg:longsrc error)"
e2e_assert_eq "both counted unsent" 2 "$(e2e_redis HGET vasgw:stats unsent)"
e2e_assert_eq "nothing reached the SMSC for them" "" "$(e2e_redis HGET vasgw:stats rejected)"
e2e_wait_drained
e2e_assert_eq "no submit_sm for the long destination, nor cut" 0 \
	"$(e2e_events submit | grep -cF "\"dest\":\"${to21:0:20}")"
e2e_assert_eq "nor for the long source" 0 "$(e2e_sms_count 8613800138001)"
e2e_assert_eq "one for the one that fits" 1 "$(e2e_sms_count "$to20")"
e2e_assert_match "logged" "message longto not sent: destination address longer than 20 characters" \
	"$(cat "$E2E_DIR/vasgwd.log")"

# The order of an offer confirmed, called once (max_attempts=1), at a host
# that cannot be resolved.  No provisioning stub: no call reaches anything,
# so the order's record of its calls is what shows it was called once.
e2e_services
out=$(e2e_vasgw --json recommend 13800000001 CL) || e2e_fail "recommend failed: $out"
offer=$(e2e_json offers.0.offer <<<"$out")
[ -n "$offer" ] || e2e_fail "no offer in: $out"
e2e_wait_sms_exact 8613800000001 1
e2e_mo 8613800000001 Y
order_failed() { [ "$(e2e_vasgw_ok --json order show "A$offer" | e2e_json state)" = failed ]; }
e2e_wait_for "order failed" 15 order_failed
e2e_wait_drained
show=$(e2e_vasgw_ok --json order show "A$offer")
e2e_assert_eq "last_error: libcurl's message, all of it" "Could not resolve host: $host" \
	"$(e2e_json last_error <<<"$show")"
e2e_assert_eq "called once: one attempt" 1 "$(e2e_json attempts <<<"$show")"
e2e_assert_eq "called once: one call recorded, failed with the whole message" \
	"1 1 failed Could not resolve host: $host" \
	"$(e2e_json calls <<<"$show" | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{const c=JSON.parse(d);console.log(c.length+" "+c.map(x=>x.attempt+" "+x.outcome+" "+x.detail).join(" | "))})')"
# The subscriber: the offer, the confirmation, and the failure (nothing
# charged); no more once drained.
e2e_wait_sms_exact 8613800000001 3
e2e_assert_eq "the subscriber's SMS, the last one the failure" "【彩铃】5元/月。回复1开通，回复TD退订
已收到您开通彩铃的确认，正在为您办理，结果稍后短信通知。
抱歉，彩铃暂时无法开通，未产生任何费用，请稍后再试。" "$(e2e_sms_to 8613800000001)"
e2e_assert_eq "the offer: confirmed, with the failed order" "confirmed A$offer" \
	"$(e2e_redis HMGET "vasgw:offer:$offer" state order | tr '\n' ' ' | sed 's/ $//')"
e2e_pass
