#!/bin/bash
# `vasgw recommend --file`: the totals are counted from what became of each
# line's offers, in the text and in --json, when some are refused; every
# SMS names its own service.  (A service not named before was once looked
# up with a blocking call while the offers of earlier lines were still on
# their way: that call took an offer's reply for its own, the SMS of the
# service was worded without its name and price, and the counts lost the
# offers whose replies were read as something else.)  The file is read by
# the RFC 4180 reader of the imports: a byte order mark, comments, quoted
# codes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init recommend_file
e2e_start_redis
e2e_start_sim
e2e_write_conf
e2e_start_vasgwd
e2e_wait_bound
e2e_services

# 1. --json: the second line names an unknown service and one the first
#    line did not.
printf '13800138001,CL\n13800138002,XX SJB\n' >"$E2E_DIR/a.csv"
out=$(e2e_cli a --json recommend --file "$E2E_DIR/a.csv") ||
	e2e_fail "recommend --file: $(e2e_cli_err a)"
e2e_assert_eq "json: lines" 2 "$(e2e_json lines <<<"$out")"
e2e_assert_eq "json: sent" 2 "$(e2e_json sent <<<"$out")"
e2e_assert_eq "json: refused, unknown service" 1 "$(e2e_json refused:unknown_service <<<"$out")"
e2e_assert_eq "json: offers" 3 "$(e2e_json offers <<<"$out")"
e2e_assert_eq "json: nothing else" '["lines","offers","sent","refused:unknown_service"]' \
	"$(node -e 'console.log(JSON.stringify(Object.keys(JSON.parse(process.argv[1]))))' "$out")"
e2e_wait_sms_exact 8613800138001 1
e2e_wait_sms_exact 8613800138002 1
e2e_assert_match "line 1: the CL SMS" "彩铃.*5元/月" "$(e2e_last_sms 8613800138001)"
e2e_assert_match "line 2: the SJB SMS names its service and price" "手机报.*3元/月" \
	"$(e2e_last_sms 8613800138002)"

# 2. Text: a byte order mark, a comment, a refused line between two sent
#    ones, codes quoted with a comma.
printf '\xef\xbb\xbf13800138003,CL SJB\n# not a line\n13800138004,XX\n"13800138005","cl,sjb"\n' \
	>"$E2E_DIR/b.csv"
e2e_expect_status b 0 recommend --file "$E2E_DIR/b.csv"
e2e_assert_eq "text: the totals" "3 subscribers, 5 offers
  sent                             4
  refused:unknown_service          1" "$(cat "$E2E_DIR/b.stdout")"
e2e_wait_sms_exact 8613800138003 2
e2e_wait_sms_exact 8613800138005 2
e2e_assert_eq "no SMS for the refused line" 0 "$(e2e_sms_count 8613800138004)"

# 3. The same subscribers again: every offer refused, counted as such.
e2e_expect_status again 0 --json recommend --file "$E2E_DIR/b.csv"
e2e_assert_eq "again: offers" 5 "$(e2e_json offers <"$E2E_DIR/again.stdout")"
e2e_assert_eq "again: none sent" "" "$(e2e_json sent <"$E2E_DIR/again.stdout")"
e2e_assert_eq "again: open offers" 4 "$(e2e_json refused:offer_pending <"$E2E_DIR/again.stdout")"
e2e_assert_eq "again: unknown" 1 "$(e2e_json refused:unknown_service <"$E2E_DIR/again.stdout")"

# 3b. A service named twice on a line, and twice on the command line: one
#     offer of it, the second refused as open (it made two live offers of
#     one service: two SMS, and "1 CL, 2 CL" to choose from).
printf '13800138008,CL SJB CL\n' >"$E2E_DIR/twice.csv"
e2e_expect_status twice 0 --json recommend --file "$E2E_DIR/twice.csv"
e2e_assert_eq "twice: sent" 2 "$(e2e_json sent <"$E2E_DIR/twice.stdout")"
e2e_assert_eq "twice: the second CL refused" 1 "$(e2e_json refused:offer_pending <"$E2E_DIR/twice.stdout")"
e2e_wait_sms_exact 8613800138008 2
e2e_expect_status twice_cli 0 --json recommend 13800138009 CL CL
e2e_assert_eq "twice on the command line" "sent refused:offer_pending" \
	"$(node -e 'const o = JSON.parse(process.argv[1]).offers;
console.log(o.map((x) => x.status + (x.rule ? ":" + x.rule : "")).join(" "))' "$(cat "$E2E_DIR/twice_cli.stdout")")"
e2e_wait_sms_exact 8613800138009 1
e2e_assert_eq "one open offer of CL" 1 "$(e2e_redis HLEN "vasgw:sub:{8613800138009}:offers")"

# 3c. A header row, as a spreadsheet writes it, is skipped; a bad number
#     is told with the number and why.
printf '\xef\xbb\xbfmsisdn,service\r\n13800138010,SJB\r\n' >"$E2E_DIR/header.csv"
e2e_expect_status header 0 --json recommend --file "$E2E_DIR/header.csv"
e2e_assert_eq "header: one line" 1 "$(e2e_json lines <"$E2E_DIR/header.stdout")"
e2e_assert_eq "header: sent" 1 "$(e2e_json sent <"$E2E_DIR/header.stdout")"
e2e_wait_sms_exact 8613800138010 1
printf '12345,CL\n' >"$E2E_DIR/badnum.csv"
e2e_expect_status badnum 1 recommend --file "$E2E_DIR/badnum.csv"
e2e_assert_match "the bad number named" "badnum.csv:1: malformed number '12345': too short" "$(e2e_cli_err badnum)"

# 4. A bad line is told with its number; no offer is made from the file.
printf '13800138006,CL\n13800138007\n' >"$E2E_DIR/c.csv"
e2e_expect_status bad 1 recommend --file "$E2E_DIR/c.csv"
e2e_assert_match "bad line named" "c.csv:2: expected 'msisdn,SERVICE" "$(e2e_cli_err bad)"
e2e_wait_drained
e2e_assert_eq "nothing offered from a bad file" 0 "$(e2e_sms_count 8613800138006)"
e2e_pass
