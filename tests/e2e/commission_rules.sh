#!/bin/bash
# Commission rules and audit windows from the CLI: a commission is a rule
# from a date, one per date; a change for a later date leaves today's rule
# in force, also for a service imported or made before rules existed; the
# audit windows of a service change only the windows named.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_init commission_rules
e2e_start_redis
e2e_write_conf
tz=Asia/Shanghai
today=$(TZ=$tz date +%Y%m%d) tomorrow=$(TZ=$tz date -d tomorrow +%Y%m%d)
rules() { e2e_redis ZRANGE "vasgw:svc:$1:rules" 0 -1 | tr '\n' ' '; }

printf 'code,name,price,provision_code,commission_fen\nHY,会员,10元/月,P_HY,200\n' >"$E2E_DIR/svc.csv"
e2e_vasgw service import "$E2E_DIR/svc.csv" >/dev/null || e2e_fail "import"
e2e_assert_eq "import: the rule from today" "$today:200 " "$(rules HY)"
e2e_vasgw service set HY --commission-fen 900 --effective "${tomorrow:0:4}-${tomorrow:4:2}-${tomorrow:6:2}" >/dev/null ||
	e2e_fail "set for tomorrow"
e2e_assert_eq "a rule for tomorrow beside today's" "$today:200 $tomorrow:900 " "$(rules HY)"
e2e_vasgw service set HY --commission-fen 300 >/dev/null || e2e_fail "set today"
e2e_assert_eq "one rule per date" "$today:300 $tomorrow:900 " "$(rules HY)"

# A service from before rules existed: its amount becomes the rule since
# always, so tomorrow's does not apply today.
e2e_vasgw service add OLD --name 旧业务 --price 1元 --provision-code P_OLD --commission-fen 150 >/dev/null ||
	e2e_fail "add OLD"
e2e_redis DEL vasgw:svc:OLD:rules >/dev/null
e2e_vasgw service set OLD --commission-fen 700 --effective "${tomorrow:0:4}-${tomorrow:4:2}-${tomorrow:6:2}" >/dev/null ||
	e2e_fail "set OLD for tomorrow"
e2e_assert_eq "the old amount kept until tomorrow" "00000000:150 $tomorrow:700 " "$(rules OLD)"
e2e_expect_status effective_alone 2 service set OLD --effective 2027-01-01
e2e_assert_match "--effective needs a commission" "goes with --commission-fen" "$(e2e_cli_err effective_alone)"

# Audit windows: only the ones named change.
e2e_vasgw service set HY --audit-windows retention_days=30 >/dev/null || e2e_fail "windows"
e2e_assert_eq "retention 30" "duplicate_months=3,rebate_months=6,retention_days=30,voice_days=60" \
	"$(e2e_redis HGET vasgw:svc:HY audit_windows)"
e2e_vasgw service set HY --audit-windows voice_days=45 >/dev/null || e2e_fail "windows 2"
e2e_assert_eq "voice 45, retention still 30" "duplicate_months=3,rebate_months=6,retention_days=30,voice_days=45" \
	"$(e2e_redis HGET vasgw:svc:HY audit_windows)"
e2e_expect_status bad_windows 2 service set HY --audit-windows rebate_months=2
e2e_assert_match "a bad window named" "rebate_months \(2\) is less than duplicate_months \(3\)" "$(e2e_cli_err bad_windows)"
e2e_assert_match "audit log: the rule change" "service.set +HY: commission_fen=300, from $today" "$(e2e_vasgw_ok audit-log)"
e2e_pass
