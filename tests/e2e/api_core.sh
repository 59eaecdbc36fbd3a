#!/bin/bash
# The HTTP API's core (docs/api.md): tokens made, listed and revoked by the
# CLI; /healthz and /readyz; 401 and 403 (logged); the one error shape for
# bad JSON, non-UTF-8, a missing or unknown field, a bad number, 404, 405,
# 413 and 415; POST /v1/messages queued through the daemon and delivered by
# the simulator, read back by GET /v1/messages/{id}; an Idempotency-Key
# replaying the first answer (one SMS) and 409 for another request under
# it; the audit log naming the token and the client; a slow client that
# holds connections open while the daemon keeps answering and sending.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init api_core
command -v curl >/dev/null || e2e_missing curl
e2e_start_redis
e2e_start_sim --receipts on
port=$(e2e_free_port)
e2e_write_conf "http.listen=127.0.0.1:$port" "http.body_max_kb=4" "http.timeout_s=3"
e2e_start_vasgwd
e2e_wait_bound
base=http://127.0.0.1:$port

# api METHOD PATH [TOKEN] [curl args...] — the status, a space, the body.
api() {
	local m=$1 p=$2 t=${3:-} out
	shift 3 || shift $#
	local -a h=()
	[ -n "$t" ] && h+=(-H "Authorization: Bearer $t")
	out=$(curl -s -o "$E2E_DIR/body" -w '%{http_code}' -X "$m" "${h[@]}" "$@" "$base$p") || e2e_fail "curl $m $p failed"
	printf '%s %s' "$out" "$(cat "$E2E_DIR/body")"
}
sms_total() { e2e_events submit | wc -l; }
sms_at_least() { [ "$(sms_total)" -ge "$1" ]; }
json() { api "$1" "$2" "$3" -H 'Content-Type: application/json' --data-binary "$4" "${@:5}"; }
expect() { # WHAT EXPECTED-STATUS EXPECTED-CODE-OR-FIELD-REGEX ANSWER
	local st=${4%% *} body=${4#* }
	e2e_assert_eq "$1: status" "$2" "$st"
	e2e_assert_match "$1: body" "$3" "$body"
}

# --- the node ---------------------------------------------------------------
expect "healthz" 200 '^\{"status":"alive"\}$' "$(api GET /healthz)"
expect "readyz, bound" 200 '"status":"ready","redis":"ready","binds":\[\{"role":"transceiver","state":"bound"\}\]' "$(api GET /readyz)"

# --- tokens -----------------------------------------------------------------
admin=$(e2e_vasgw token create --name ops --role admin) || e2e_fail "token create"
e2e_assert_match "a token" '^vgt_[0-9a-f]{64}$' "$admin"
viewer=$(e2e_vasgw token create --name wall --role viewer) || e2e_fail "token create viewer"
e2e_expect_status taken 1 token create --name ops --role viewer
e2e_assert_match "a taken name" "named 'ops' already" "$(e2e_cli_err taken)"
e2e_expect_status role 2 token create --name ops2 --role root
e2e_assert_match "no such role" "no role 'root'" "$(e2e_cli_err role)"
e2e_expect_status name 2 token create --name 'a b' --role admin
# Only the hash is kept: the token itself is nowhere in Redis.
e2e_assert_eq "the token in Redis" "" "$(e2e_redis --scan | while read -r k; do e2e_redis DUMP "$k"; done | grep -a -c "${admin#vgt_}" | grep -v '^0$')"
e2e_assert_eq "the hash's name" "ops" "$(e2e_redis HGET "vasgw:token:$(printf %s "$admin" | sha256sum | cut -d' ' -f1)" name)"
list=$(e2e_vasgw token list --json) || e2e_fail "token list"
e2e_assert_match "token list" '^\[\{"name":"(ops|wall)",.*"role":"(admin|viewer)".*"revoked":false' "$list"

# --- refusals -----------------------------------------------------------------
expect "no token" 401 '"code":"unauthenticated"' "$(json POST /v1/messages '' '{"to":"13800138000","text":"x"}')"
expect "a wrong token" 401 '"code":"bad_token","message":"no such token"' "$(json POST /v1/messages vgt_0000 '{"to":"13800138000","text":"x"}')"
expect "viewer may not send" 403 '"code":"forbidden"' "$(json POST /v1/messages "$viewer" '{"to":"13800138000","text":"x"}')"
expect "bad JSON" 400 '"code":"bad_json","message":"the body is not JSON \(line 1' "$(json POST /v1/messages "$admin" '{"to":"13800138000","text":')"
expect "non-UTF-8" 400 '"code":"bad_json","message":"the body is not UTF-8: byte 29 is 0xff"' "$(json POST /v1/messages "$admin" $'{"to":"13800138000","text":"\xff\xfe"}')"
expect "not an object" 400 '"code":"bad_json","message":"the body must be a JSON object"' "$(json POST /v1/messages "$admin" '[1]')"
expect "missing text" 400 '"code":"missing_field",.*"field":"text"' "$(json POST /v1/messages "$admin" '{"to":"13800138000"}')"
expect "unknown field" 400 '"code":"unknown_field",.*"field":"callback"' "$(json POST /v1/messages "$admin" '{"to":"13800138000","text":"x","callback":"y"}')"
expect "bad number" 400 '"code":"bad_field",.*"field":"to"' "$(json POST /v1/messages "$admin" '{"to":"1380","text":"x"}')"
expect "text a number" 400 '"code":"bad_field",.*"field":"text"' "$(json POST /v1/messages "$admin" '{"to":"13800138000","text":5}')"
expect "text too long" 400 '"code":"bad_field","message":"text too long.*"field":"text"' "$(json POST /v1/messages "$admin" "{\"to\":\"13800138000\",\"text\":\"$(head -c 1700 /dev/zero | tr '\0' a)\"}")"
expect "a form body" 415 '"code":"bad_type"' "$(api POST /v1/messages "$admin" -d 'to=1&text=2')"
expect "no such path" 404 '"code":"not_found"' "$(api GET /v1/nothing "$admin")"
expect "no such message" 404 '"code":"not_found","message":"no message' "$(api GET /v1/messages/nope "$admin")"
expect "wrong method" 405 '"code":"method_not_allowed"' "$(api DELETE /v1/messages "$admin")"
big=$(head -c 5000 /dev/zero | tr '\0' a)
expect "oversized" 413 '"code":"too_large"' "$(json POST /v1/messages "$admin" "{\"to\":\"13800138000\",\"text\":\"$big\"}")"
expect "oversized, chunked" 413 '"code":"too_large"' "$(json POST /v1/messages "$admin" "{\"to\":\"13800138000\",\"text\":\"$big\"}" -H 'Transfer-Encoding: chunked')"
e2e_wait_for "the refusals in the log" 5 grep -q 'api: 403 POST /v1/messages from 127.0.0.1 token wall' "$E2E_DIR/vasgwd.log"
grep -q 'api: 401 POST /v1/messages from 127.0.0.1' "$E2E_DIR/vasgwd.log" || e2e_fail "the 401 is not logged"
e2e_assert_eq "SMS after the refusals" 0 "$(sms_total)"

# --- sending ------------------------------------------------------------------
a=$(json POST /v1/messages "$admin" '{"to":"13800138000","text":"API 你好"}')
expect "send" 202 '^\{"id":"[0-9a-f]{16}","to":"8613800138000","state":"queued","parts":1\}$' "$a"
id=$(sed 's/.*"id":"\([^"]*\)".*/\1/' <<<"${a#* }")
e2e_wait_sms 8613800138000 1
delivered() { [ "$(e2e_redis HGET "vasgw:msg:$id" state)" = delivered ]; }
e2e_wait_for "the message delivered" 15 delivered
expect "show" 200 "^\\{\"id\":\"$id\",.*\"state\":\"delivered\"" "$(api GET "/v1/messages/$id" "$viewer")"
expect "show: the text" 200 '"text":"API 你好".*"encoding":"ucs2"' "$(api GET "/v1/messages/$id" "$admin")"
e2e_assert_eq "the SMS's text" "API 你好" "$(e2e_last_sms 8613800138000)"

# --- Idempotency-Key ------------------------------------------------------------
k=(-H 'Idempotency-Key: order-42')
first=$(json POST /v1/messages "$admin" '{"to":"13800138001","text":"once"}' "${k[@]}")
again=$(json POST /v1/messages "$admin" '{"to":"13800138001","text":"once"}' "${k[@]}" -D "$E2E_DIR/headers")
e2e_assert_eq "the replayed answer" "$first" "$again"
grep -qi '^Idempotent-Replayed: true' "$E2E_DIR/headers" || e2e_fail "the replay is not marked"
expect "another request, same key" 409 '"code":"idempotency_conflict"' "$(json POST /v1/messages "$admin" '{"to":"13800138001","text":"twice"}' "${k[@]}")"
# The same key from another token is another key.
other=$(e2e_vasgw token create --name ops2 --role admin) || e2e_fail "token create ops2"
expect "the key of another token" 202 '"state":"queued"' "$(json POST /v1/messages "$other" '{"to":"13800138002","text":"mine"}' "${k[@]}")"
# A refused request does not take the key: the corrected one may use it.
expect "refused under a key" 400 '"field":"to"' "$(json POST /v1/messages "$admin" '{"to":"1","text":"fix"}' -H 'Idempotency-Key: k2')"
expect "corrected under it" 202 '"state":"queued"' "$(json POST /v1/messages "$admin" '{"to":"13800138003","text":"fix"}' -H 'Idempotency-Key: k2')"
e2e_wait_for "4 SMS" 10 sms_at_least 4
sleep 1
e2e_assert_eq "SMS to 13800138001" 1 "$(e2e_sms_count 8613800138001)"
e2e_assert_eq "SMS in all" 4 "$(sms_total)"

# --- the audit log -------------------------------------------------------------
log=$(e2e_vasgw audit-log --json) || e2e_fail "audit-log"
e2e_assert_match "a send in the audit log" "\"user\":\"api:ops\".*\"action\":\"message.send\".*\"detail\":\"from 127.0.0.1: message $id to 8613800138000, 1 part\"" "$log"
e2e_assert_eq "sends in the audit log" 4 "$(grep -o '"action":"message.send"' <<<"$log" | wc -l)"
e2e_assert_match "token.create in the audit log" '"action":"token.create"' "$log"

# --- revocation -------------------------------------------------------------------
e2e_vasgw token revoke wall >/dev/null || e2e_fail "token revoke"
expect "a revoked token" 401 '"code":"bad_token","message":"this token was revoked"' "$(api GET "/v1/messages/$id" "$viewer")"
e2e_expect_status nobody 1 token revoke nobody
e2e_assert_match "token list: revoked" '"name":"wall","role":"viewer".*"revoked":true,"revoked_at":[0-9]+' "$(e2e_vasgw token list --json)"

# --- a slow client ----------------------------------------------------------------
# Ten connections that send half a request head and then wait: the daemon
# answers others meanwhile and closes them after [http] timeout_s.
slow=()
for i in $(seq 10); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n' >&3 && sleep 8) 2>/dev/null &
	slow+=($!)
done
sleep 0.5
expect "healthz beside slow clients" 200 '"alive"' "$(api GET /healthz)"
a=$(json POST /v1/messages "$admin" '{"to":"13800138009","text":"beside"}')
expect "a send beside slow clients" 202 '"state":"queued"' "$a"
e2e_wait_for "5 SMS" 10 sms_at_least 5
closed() { [ "$(ss -Htn state established "( sport = :$port )" | wc -l)" -eq 0 ]; }
e2e_wait_for "the slow connections closed by the server" 8 closed
kill "${slow[@]}" 2>/dev/null || true

# --- not ready ----------------------------------------------------------------------
e2e_stop_sim
notready() { api GET /readyz | grep -q '^503 .*"status":"not_ready".*"why":"not bound to the SMSC"'; }
e2e_wait_for "readyz 503 without the SMSC" 10 notready
expect "healthz without the SMSC" 200 '"alive"' "$(api GET /healthz)"
e2e_vasgwd_alive || e2e_fail "vasgwd died"
e2e_pass
