#!/bin/bash
# `vasgw send --file` reads its file with the RFC 4180 reader of the
# imports: a byte order mark (Excel's "CSV UTF-8") is skipped, a first row
# "msisdn,text" is a header, a quoted text loses its quotes and keeps its
# commas, doubled quotes and line breaks; CRLF or LF; an unquoted text with
# commas is sent whole, as before.  A bad line is named with its number and
# why, and nothing is queued from that file.  The count of messages queued
# is what Redis answered.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init send_file
e2e_start_redis
e2e_start_sim
e2e_write_conf
e2e_start_vasgwd
e2e_wait_bound

# 1. As a spreadsheet writes it, and as a person might.
printf '\xef\xbb\xbfmsisdn,text\r\n' >"$E2E_DIR/good.csv"
printf '13800138001,"quoted, text"\r\n' >>"$E2E_DIR/good.csv"
printf '13800138002,"she said ""hi"""\r\n' >>"$E2E_DIR/good.csv"
printf '\r\n# a comment\r\n' >>"$E2E_DIR/good.csv"
printf '13800138003,"two\nlines"\n' >>"$E2E_DIR/good.csv"
printf '+8613800138004,unquoted, with commas\n' >>"$E2E_DIR/good.csv"
e2e_expect_status good 0 --json send --file "$E2E_DIR/good.csv"
e2e_assert_eq "json: lines" 4 "$(e2e_json lines <"$E2E_DIR/good.stdout")"
e2e_assert_eq "json: queued" 4 "$(e2e_json queued <"$E2E_DIR/good.stdout")"
e2e_assert_eq "told on stderr" "vasgw: 4 messages queued" "$(e2e_cli_err good)"
for n in 1 2 3 4; do e2e_wait_sms_exact 861380013800$n 1; done
e2e_assert_eq "quotes removed, comma kept" "quoted, text" "$(e2e_last_sms 8613800138001)"
e2e_assert_eq "a doubled quote is a quote" 'she said "hi"' "$(e2e_last_sms 8613800138002)"
e2e_assert_eq "a line break kept" $'two\nlines' \
	"$(e2e_events submit | grep -F '"dest":"8613800138003"' | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>process.stdout.write(JSON.parse(d).text))')"
e2e_assert_eq "an unquoted text with commas, whole" "unquoted, with commas" "$(e2e_last_sms 8613800138004)"
id=$(e2e_json ids.0 <"$E2E_DIR/good.stdout")
e2e_assert_eq "ids in the order of the file" 8613800138001 "$(e2e_redis HGET "vasgw:msg:$id" to)"

# 2. Bad lines: each named with its number and why; nothing queued.
{
	printf 'msisdn,text\n'
	printf '13800138005,fine\n'
	printf '12345,too short a number\n'
	printf '13800138006\n'
	printf '13800138007,"closed" then more\n'
	printf '13800138008,"a","b"\n'
	printf '13800138009,"never closed\n'
} >"$E2E_DIR/bad.csv"
e2e_expect_status bad 1 send --file "$E2E_DIR/bad.csv"
err=$(e2e_cli_err bad)
e2e_assert_match "line 3: the number" "bad.csv:3: malformed number '12345'" "$err"
e2e_assert_match "line 4: no text" "bad.csv:4: expected 'msisdn,text'" "$err"
e2e_assert_match "line 5: after the quote" "bad.csv:5: text after the closing quote" "$err"
e2e_assert_match "line 6: quoted fields" "bad.csv:6: 3 fields; expected 'msisdn,text'" "$err"
e2e_assert_match "line 7: never closed" "bad.csv:7: a quoted field opened on line 7 is never closed" "$err"
e2e_assert_match "the total" "bad.csv: 5 bad lines; nothing queued" "$err"
e2e_wait_drained
e2e_assert_eq "nothing queued from it" 0 "$(e2e_sms_count 8613800138005)"
e2e_assert_eq "nothing written" "" "$(cat "$E2E_DIR/bad.stdout")"
e2e_pass
