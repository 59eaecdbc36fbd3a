#!/bin/bash
# The longest values vasgw accepts come back whole wherever they are shown;
# a record changed by hand to hold a longer one is refused with its name,
# never shown cut (cut UTF-8 would also make the SMS that carries it
# unsendable).  Here: a promoter's outlet of 40 four-byte characters
# (the longest an import takes) in the settlement report, then 41; an
# alphanumeric sender of 64 characters (the most a data_sm carries) in the
# MO record.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init long_values
e2e_start_redis
e2e_start_sim
e2e_write_conf
e2e_services

# 40 characters of 4 bytes each (U+1F3EA, a convenience store): 160 bytes.
outlet=$(node -e 'process.stdout.write("\u{1F3EA}".repeat(40))')
printf 'msisdn,name,outlet\n13900139001,张三,%s\n' "$outlet" >"$E2E_DIR/promoters.csv"
out=$(e2e_vasgw promoter import "$E2E_DIR/promoters.csv") || e2e_fail "import of the longest outlet: $out"
p=8613900139001
e2e_assert_eq "stored whole" "$outlet" "$(e2e_redis HGET "vasgw:promoter:$p" outlet)"
# 41 are refused where they are made, by the import.
printf 'msisdn,name,outlet\n13900139002,李四,%s\n' "$outlet$(node -e 'process.stdout.write("\u{1F3EA}")')" \
	>"$E2E_DIR/promoters41.csv"
st=0
e2e_cli import41 promoter import "$E2E_DIR/promoters41.csv" >/dev/null || st=$?
e2e_assert_eq "41 characters: the import refuses" "1" "$st"
e2e_assert_match "and says which line and why" "promoters41.csv:2: outlet has 41 characters \(at most 40\)" "$(e2e_cli_err import41)"
e2e_assert_eq "nothing stored of it" "0" "$(e2e_redis EXISTS vasgw:promoter:8613900139002)"

# One development of last month credited to the promoter, as credit writes it.
tz=Asia/Shanghai
last=$(TZ=$tz date -d "$(TZ=$tz date +%Y-%m-01) -1 day" +%Y-%m)
ym=${last/-/} day=${ym}15
e2e_redis HSET vasgw:dev:A1 id A1 promoter $p msisdn 8613800000001 service CL \
	activated "$day" amount_fen 300 state pending >/dev/null
e2e_redis ZADD "vasgw:devs:month:$ym" 1 A1 >/dev/null
e2e_redis ZADD vasgw:devs:sub:{8613800000001} 1 A1 >/dev/null

e2e_vasgw settle "$last" --dry-run --report "$E2E_DIR/report.csv" >/dev/null ||
	e2e_fail "settle --dry-run $last failed"
e2e_assert_match "the report shows the outlet whole" ",$outlet," "$(cat "$E2E_DIR/report.csv")"

# By hand, one byte longer than an outlet can be: refused by name.
e2e_redis HSET "vasgw:promoter:$p" outlet "${outlet}x" >/dev/null
st=0
e2e_cli settle41 settle "$last" --dry-run --report "$E2E_DIR/report2.csv" >/dev/null || st=$?
e2e_assert_eq "a longer outlet: settle fails" "1" "$st"
e2e_assert_match "naming the promoter and the field" "promoter $p: field outlet is longer than a promoter's can be" \
	"$(e2e_cli_err settle41)"
[ ! -s "$E2E_DIR/report2.csv" ] || e2e_fail "a report was written with a cut outlet"

# A data_sm from an alphanumeric sender (TON 5) of 64 characters, with its
# text in message_payload: the MO record keeps the sender whole.
e2e_start_vasgwd
e2e_wait_bound
sender=$(printf 'A%.0s' $(seq 64))
hex=$(node -e '
const [src, text] = process.argv.slice(1);
const cstr = (s) => Buffer.concat([Buffer.from(s, "latin1"), Buffer.from([0])]);
const payload = Buffer.from(text, "latin1");
const tlv = Buffer.alloc(4); tlv.writeUInt16BE(0x0424, 0); tlv.writeUInt16BE(payload.length, 2);
const body = Buffer.concat([cstr(""), Buffer.from([5, 0]), cstr(src), Buffer.from([0, 1]),
  cstr("10658000"), Buffer.from([0, 0, 0]), tlv, payload]);
const head = Buffer.alloc(16);
head.writeUInt32BE(16 + body.length, 0); head.writeUInt32BE(0x00000103, 4);
head.writeUInt32BE(0, 8); head.writeUInt32BE(0x7000001, 12);
process.stdout.write(Buffer.concat([head, body]).toString("hex"));' "$sender" "hello")
r=$(e2e_sim POST /raw "{\"hex\":\"$hex\"}") || e2e_fail "POST /raw failed: $r"
e2e_wait_for "the MO stored" 10 eval '[ "$(e2e_redis GET vasgw:seq:mo)" = 1 ]'
e2e_assert_eq "the sender kept whole" "$sender" "$(e2e_redis HGET vasgw:mo:1 from)"
e2e_assert_eq "its text" "hello" "$(e2e_redis HGET vasgw:mo:1 text)"
e2e_pass
