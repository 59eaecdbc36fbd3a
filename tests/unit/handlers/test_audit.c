/*
 * test_audit.c — handlers/ledger_date.c and handlers/audit.c: the calendar
 * arithmetic of the ledger (leap years, month-end clamping, negative months,
 * years crossed) and each audit rule of docs/promoters.md at the
 * edges of its window, the order of the rules, and the per-service windows.
 *
 * Every rule test starts from one development that passes every rule (a
 * voice call and a charge after activation, nothing else) and adds the one
 * thing under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/vg.h"
#include "handlers/audit.h"
#include "handlers/ledger_date.h"

/* ---- dates --------------------------------------------------------------- */

static void test_date_valid(void **state) {
  static const int32_t ok[] = {20261122, 20240229, 20000229, 19991231,
                               20260131, 20260430, 10101,    99991231};
  static const int32_t bad[] = {20230229, 19000229, 21000229, 20261131,
                                20260431, 20261300, 20261200, 20261100,
                                20261132, 0,        -20261122, 101,
                                100000101, 1231};

  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(ok); i++)
    assert_true(vg_date_valid(ok[i]));
  for (size_t i = 0; i < VG_ARRAY_SIZE(bad); i++)
    assert_false(vg_date_valid(bad[i]));
  assert_true(vg_month_valid(202611));
  assert_true(vg_month_valid(202601));
  assert_true(vg_month_valid(202612));
  assert_false(vg_month_valid(202600));
  assert_false(vg_month_valid(202613));
  assert_false(vg_month_valid(12));
  assert_false(vg_month_valid(0));
  assert_false(vg_month_valid(1000001));
  assert_int_equal(vg_days_in_month(2024, 2), 29);
  assert_int_equal(vg_days_in_month(2023, 2), 28);
  assert_int_equal(vg_days_in_month(1900, 2), 28);
  assert_int_equal(vg_days_in_month(2000, 2), 29);
  assert_int_equal(vg_days_in_month(2026, 4), 30);
  assert_int_equal(vg_days_in_month(2026, 12), 31);
  assert_int_equal(vg_days_in_month(2026, 0), 0);
  assert_int_equal(vg_days_in_month(2026, 13), 0);
}

static void test_days_from_civil(void **state) {
  int32_t y, m, d;

  (void)state;
  assert_int_equal(vg_days_from_civil(1970, 1, 1), 0);
  assert_int_equal(vg_days_from_civil(1969, 12, 31), -1);
  assert_int_equal(vg_days_from_civil(2000, 3, 1), 11017);
  assert_int_equal(vg_days_from_civil(2026, 11, 22), 20779);
  assert_int_equal(vg_days_from_civil(1, 1, 1), -719162);
  assert_int_equal(vg_days_from_civil(9999, 12, 31), 2932896);
  vg_civil_from_days(20779, &y, &m, &d);
  assert_int_equal(y, 2026);
  assert_int_equal(m, 11);
  assert_int_equal(d, 22);
  vg_civil_from_days(-719162, &y, &m, &d);
  assert_int_equal(y * 10000 + m * 100 + d, 10101);
}

/*
 * Every day from 0001-01-01 to 9999-12-31: the day count goes up by one,
 * the calendar steps as a person counts (next day, or the 1st of the next
 * month or year), and the two conversions invert each other.
 */
static void test_days_every_day(void **state) {
  int32_t y = 1, m = 1, d = 1;

  (void)state;
  for (int64_t n = -719162; n <= 2932896; n++) {
    int32_t cy, cm, cd;

    vg_civil_from_days(n, &cy, &cm, &cd);
    if (cy != y || cm != m || cd != d)
      fail_msg("day %lld: %d-%d-%d, expected %d-%d-%d", (long long)n, cy, cm,
               cd, y, m, d);
    if (vg_days_from_civil(y, m, d) != n)
      fail_msg("days_from_civil(%d-%d-%d) != %lld", y, m, d, (long long)n);
    if (++d > vg_days_in_month(y, m)) {
      d = 1;
      if (++m > 12) {
        m = 1;
        y++;
      }
    }
  }
  assert_int_equal(y, 10000);
}

static void test_add_days(void **state) {
  static const struct {
    int32_t date;
    int64_t n;
    int32_t want;
  } t[] = {
      {20261122, 0, 20261122},   {20261231, 1, 20270101},
      {20270101, -1, 20261231},  {20240228, 1, 20240229},
      {20240229, 1, 20240301},   {20230228, 1, 20230301},
      {20240301, -1, 20240229},  {20261122, 60, 20270121},
      {20261122, 61, 20270122},  {20250301, -365, 20240301},
      {20250301, -366, 20240229}, {20000101, -1, 19991231},
      {20261122, 3652, 20361121}, {20261122, -36525, 19261122},
      {99991231, 1, 0},           {10101, -1, 0},
      {99991230, 1, 99991231},    {10102, -1, 10101},
      {20261122, INT64_MAX, 0},   {20261122, INT64_MIN, 0},
      {20230229, 1, 0},           {0, 1, 0},
  };

  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(t); i++)
    if (vg_date_add_days(t[i].date, t[i].n) != t[i].want)
      fail_msg("%d + %lld days = %d, expected %d", t[i].date,
               (long long)t[i].n, vg_date_add_days(t[i].date, t[i].n),
               t[i].want);
}

static void test_add_months(void **state) {
  static const struct {
    int32_t date, n, want;
  } t[] = {
      {20260831, 1, 20260930},  {20240229, -12, 20230228},
      {20240229, 12, 20250228}, {20240229, 48, 20280229},
      {20260131, 1, 20260228},  {20240131, 1, 20240229},
      {20261122, -3, 20260822}, {20261122, -6, 20260522},
      {20260531, -3, 20260228}, {20260531, -6, 20251130},
      {20260101, -1, 20251201}, {20261215, 1, 20270115},
      {20260315, -15, 20241215}, {20261122, 0, 20261122},
      {20261231, 2, 20270228},  {20261231, -10, 20260228},
      {20000229, -1200, 19000228}, {20261122, 12 * 100, 21261122},
      {99991231, 1, 0},          {99991130, 1, 99991230},
      {10131, -1, 0},            {10201, -1, 10101},
      {20261122, -12 * 2026, 0}, {20261122, INT32_MAX, 0},
      {20261122, INT32_MIN, 0},  {20230229, 1, 0},
  };

  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(t); i++)
    if (vg_date_add_months(t[i].date, t[i].n) != t[i].want)
      fail_msg("%d + %d months = %d, expected %d", t[i].date, t[i].n,
               vg_date_add_months(t[i].date, t[i].n), t[i].want);
}

static void test_month_of(void **state) {
  (void)state;
  assert_int_equal(vg_date_month(20261122), 202611);
  assert_int_equal(vg_date_month(20260101), 202601);
  assert_int_equal(vg_date_month(20261131), 0);
  assert_int_equal(vg_month_first(202402), 20240201);
  assert_int_equal(vg_month_last(202402), 20240229);
  assert_int_equal(vg_month_last(202302), 20230228);
  assert_int_equal(vg_month_last(202612), 20261231);
  assert_int_equal(vg_month_first(202613), 0);
  assert_int_equal(vg_month_last(202600), 0);
}

static void test_date_parse(void **state) {
  static const char *const bad[] = {
      "2026-11-31", "2026/11/22", "2026-1-22",  "20261322",  "2026112",
      "202611222",  " 20261122",  "2026-11-22 ", "+2026112", "",
      "2026-11-2a", "2026-11-22x", "0000-01-01", "2026-0-122", "20230229",
      "２０２６１１２２"};
  static const char *const badm[] = {"2026-13", "2026-00", "2026-1", "20261",
                                     "2026-11-01", "0000-01", "2026_11",
                                     "2026110", "", "-202611", "2026-1a"};
  int32_t v = 7;
  char buf[VG_DATE_TEXT];

  (void)state;
  assert_int_equal(vg_date_parse("2026-11-22", &v), 0);
  assert_int_equal(v, 20261122);
  assert_int_equal(vg_date_parse("20240229", &v), 0);
  assert_int_equal(v, 20240229);
  assert_int_equal(vg_date_parse("0001-01-01", &v), 0);
  assert_int_equal(v, 10101);
  for (size_t i = 0; i < VG_ARRAY_SIZE(bad); i++) {
    v = 7;
    if (vg_date_parse(bad[i], &v) != VG_EINVAL)
      fail_msg("\"%s\" parsed as a date", bad[i]);
    assert_int_equal(v, 7);
  }
  assert_int_equal(vg_date_parse(NULL, &v), VG_EINVAL);

  assert_int_equal(vg_month_parse("2026-11", &v), 0);
  assert_int_equal(v, 202611);
  assert_int_equal(vg_month_parse("202601", &v), 0);
  assert_int_equal(v, 202601);
  for (size_t i = 0; i < VG_ARRAY_SIZE(badm); i++) {
    v = 7;
    if (vg_month_parse(badm[i], &v) != VG_EINVAL)
      fail_msg("\"%s\" parsed as a month", badm[i]);
    assert_int_equal(v, 7);
  }

  assert_string_equal(vg_date_format(20261122, buf), "2026-11-22");
  assert_string_equal(vg_date_format(10101, buf), "0001-01-01");
  assert_string_equal(vg_date_format(20261131, buf), "");
}

/* ---- names --------------------------------------------------------------- */

static void test_names(void **state) {
  static const char *const rules[] = {"valid",  "duplicate", "rebate",
                                      "retention", "voice",  "billing",
                                      "arrears", "complaint"};
  static const char *const events[] = {"charged", "cancelled", "changed",
                                       "arrears", "complaint", "voice"};
  vg_fact_event_t ev;
  int rule;

  (void)state;
  assert_int_equal(VG_AUDIT_NRULES, 7);
  for (int i = 0; i < (int)VG_ARRAY_SIZE(rules); i++) {
    assert_string_equal(vg_audit_rule_name(i), rules[i]);
    assert_int_equal(vg_audit_rule_parse(rules[i], &rule), 0);
    assert_int_equal(rule, i);
  }
  assert_int_equal(VG_AUDIT_DUPLICATE, 1);
  assert_int_equal(VG_AUDIT_COMPLAINT, 7);
  assert_null(vg_audit_rule_name(-1));
  assert_null(vg_audit_rule_name(VG_AUDIT_RULE_END));
  assert_int_equal(vg_audit_rule_parse("Duplicate", &rule), VG_EINVAL);
  assert_int_equal(vg_audit_rule_parse("", &rule), VG_EINVAL);

  for (int i = 0; i < (int)VG_ARRAY_SIZE(events); i++) {
    assert_string_equal(vg_fact_event_name(i), events[i]);
    assert_int_equal(vg_fact_event_parse(events[i], &ev), 0);
    assert_int_equal(ev, i);
  }
  assert_int_equal(VG_FACT_EVENT_END, 6);
  assert_null(vg_fact_event_name(VG_FACT_EVENT_END));
  assert_null(vg_fact_event_name(-1));
  assert_int_equal(vg_fact_event_parse("CHARGED", &ev), VG_EINVAL);
  assert_int_equal(vg_fact_event_parse("charged ", &ev), VG_EINVAL);
  assert_int_equal(vg_fact_event_parse("canceled", &ev), VG_EINVAL);
  assert_int_equal(vg_fact_event_parse("", &ev), VG_EINVAL);
  assert_int_equal(vg_fact_event_parse(NULL, &ev), VG_EINVAL);
}

static void test_dev_cmp(void **state) {
  vg_dev_t d[4];

  (void)state;
  memset(d, 0, sizeof d);
  strcpy(d[0].id, "b");
  d[0].activated = 20261122;
  strcpy(d[1].id, "z");
  d[1].activated = 20261001;
  strcpy(d[2].id, "a");
  d[2].activated = 20261122;
  strcpy(d[3].id, "c");
  d[3].activated = 20261231;
  qsort(d, 4, sizeof d[0], vg_dev_cmp);
  assert_string_equal(d[0].id, "z");
  assert_string_equal(d[1].id, "a");
  assert_string_equal(d[2].id, "b");
  assert_string_equal(d[3].id, "c");
}

/* ---- the scene of a rule test -------------------------------------------- */

#define SUB "8613800138000"
#define OTHER_SUB "8613900139000"
#define A 20261122 /* d's activation day */

typedef struct {
  vg_dev_t d;
  vg_dev_t others[16];
  size_t nothers;
  vg_fact_t facts[16];
  size_t nfacts;
  vg_audit_windows_t w;
} scene_t;

static vg_dev_t make_dev(const char *id, const char *msisdn, const char *svc,
                         int32_t activated, vg_dev_state_t st) {
  vg_dev_t d;

  memset(&d, 0, sizeof d);
  snprintf(d.id, sizeof d.id, "%s", id);
  snprintf(d.promoter, sizeof d.promoter, "%s", "8613700137000");
  snprintf(d.msisdn, sizeof d.msisdn, "%s", msisdn);
  snprintf(d.service, sizeof d.service, "%s", svc);
  d.activated = activated;
  d.amount_fen = 500;
  d.state = st;
  d.rule = st == VG_DEV_INVALID ? VG_AUDIT_VOICE : VG_AUDIT_OK;
  return d;
}

static void other_of(scene_t *s, const char *id, const char *msisdn,
                     const char *svc, int32_t act, vg_dev_state_t st) {
  assert_true(s->nothers < VG_ARRAY_SIZE(s->others));
  s->others[s->nothers++] = make_dev(id, msisdn, svc, act, st);
}

/* Another development of SUB. */
static void other(scene_t *s, const char *id, const char *svc, int32_t act,
                  vg_dev_state_t st) {
  other_of(s, id, SUB, svc, act, st);
}

static void fact_of(scene_t *s, const char *msisdn, const char *svc,
                    vg_fact_event_t ev, int32_t date) {
  vg_fact_t *f;

  assert_true(s->nfacts < VG_ARRAY_SIZE(s->facts));
  f = &s->facts[s->nfacts++];
  memset(f, 0, sizeof *f);
  snprintf(f->msisdn, sizeof f->msisdn, "%s", msisdn);
  snprintf(f->service, sizeof f->service, "%s", svc);
  f->event = ev;
  f->date = date;
}

/* A fact about SUB. */
static void fact(scene_t *s, const char *svc, vg_fact_event_t ev,
                 int32_t date) {
  fact_of(s, SUB, svc, ev, date);
}

/* The day `n` days after A, counted by hand (independent of ledger_date). */
static int32_t a_plus(int n) {
  static const int len[] = {30, 31, 31, 28}; /* Nov, Dec 2026; Jan, Feb 2027 */
  int32_t y = 2026, m = 11, d = 22;

  for (int i = 0; i < n; i++)
    if (++d > len[m == 11 ? 0 : m == 12 ? 1 : m + 1]) {
      d = 1;
      if (++m > 12) {
        m = 1;
        y++;
      }
    }
  return y * 10000 + m * 100 + d;
}

static int setup_scene(void **state) {
  scene_t *s = calloc(1, sizeof *s);

  if (s == NULL)
    return -1;
  s->d = make_dev("ord-100", SUB, "CL", A, VG_DEV_PENDING);
  fact(s, "", VG_FACT_VOICE, a_plus(10));
  fact(s, "CL", VG_FACT_CHARGED, a_plus(5));
  vg_audit_windows_default(&s->w);
  *state = s;
  return 0;
}

static int teardown_scene(void **state) {
  free(*state);
  return 0;
}

static int run(const scene_t *s) {
  return vg_audit(&s->d, s->others, s->nothers, s->facts, s->nfacts, &s->w);
}

/* Run the scene with `other` added (it is removed again afterwards). */
static int run_with_other(scene_t *s, const char *id, const char *svc,
                          int32_t act, vg_dev_state_t st) {
  int rc;

  other(s, id, svc, act, st);
  rc = run(s);
  s->nothers--;
  return rc;
}

static int run_with_fact(scene_t *s, const char *svc, vg_fact_event_t ev,
                         int32_t date) {
  int rc;

  fact(s, svc, ev, date);
  rc = run(s);
  s->nfacts--;
  return rc;
}

static void test_clean_scene(void **state) {
  scene_t *s = *state;

  assert_int_equal(a_plus(60), 20270121);
  assert_int_equal(a_plus(61), 20270122);
  assert_int_equal(run(s), VG_AUDIT_OK);
  /* w NULL: the defaults */
  assert_int_equal(vg_audit(&s->d, NULL, 0, s->facts, s->nfacts, NULL),
                   VG_AUDIT_OK);
  /* d itself among the others is skipped */
  assert_int_equal(run_with_other(s, "ord-100", "CL", A, VG_DEV_VALID),
                   VG_AUDIT_OK);
  /* state and rule of d are not read */
  s->d.state = VG_DEV_INVALID;
  s->d.rule = VG_AUDIT_ARREARS;
  assert_int_equal(run(s), VG_AUDIT_OK);
}

static void test_bad_input(void **state) {
  scene_t *s = *state;

  s->d.activated = 20261131;
  assert_int_equal(run(s), VG_EINVAL);
  s->d.activated = 0;
  assert_int_equal(run(s), VG_EINVAL);
  s->d.activated = A;
  s->w.voice_days = -1;
  assert_int_equal(run(s), VG_EINVAL);
  s->w.voice_days = 60;
  s->w.rebate_months = 2;
  assert_int_equal(run(s), VG_EINVAL);
}

/* ---- 1 duplicate --------------------------------------------------------- */

static void test_duplicate_window(void **state) {
  scene_t *s = *state;

  /* exactly 3 months before: inside */
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20260822, VG_DEV_VALID),
                   VG_AUDIT_DUPLICATE);
  assert_int_equal(
      run_with_other(s, "ord-001", "CL", 20260822, VG_DEV_PENDING),
      VG_AUDIT_DUPLICATE);
  /* 3 months and a day before: outside (a PENDING one is no rebate) */
  assert_int_equal(
      run_with_other(s, "ord-001", "CL", 20260821, VG_DEV_PENDING),
      VG_AUDIT_OK);
  /* ... and a VALID one there is the rebate rule's */
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20260821, VG_DEV_VALID),
                   VG_AUDIT_REBATE);
  /* the day before */
  assert_int_equal(
      run_with_other(s, "ord-001", "CL", 20261121, VG_DEV_PENDING),
      VG_AUDIT_DUPLICATE);
  /* an INVALID one does not count */
  assert_int_equal(
      run_with_other(s, "ord-001", "CL", 20261001, VG_DEV_INVALID),
      VG_AUDIT_OK);
  /* a later one does not count against the earlier */
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20261123, VG_DEV_VALID),
                   VG_AUDIT_OK);
  /* another service, another number */
  assert_int_equal(
      run_with_other(s, "ord-001", "SJB", 20261001, VG_DEV_VALID),
      VG_AUDIT_OK);
  other_of(s, "ord-001", OTHER_SUB, "CL", 20261001, VG_DEV_VALID);
  assert_int_equal(run(s), VG_AUDIT_OK);
}

static void test_duplicate_clamped(void **state) {
  scene_t *s = *state;

  /* 2026-05-31 - 3 months = 2026-02-28 (February has no 31st) */
  s->d.activated = 20260531;
  s->nfacts = 0;
  fact(s, "", VG_FACT_VOICE, 20260601);
  fact(s, "CL", VG_FACT_CHARGED, 20260601);
  assert_int_equal(run(s), VG_AUDIT_OK);
  assert_int_equal(
      run_with_other(s, "ord-001", "CL", 20260228, VG_DEV_PENDING),
      VG_AUDIT_DUPLICATE);
  assert_int_equal(
      run_with_other(s, "ord-001", "CL", 20260227, VG_DEV_PENDING),
      VG_AUDIT_OK);
}

static void test_duplicate_same_day(void **state) {
  scene_t *s = *state;
  vg_dev_t first = make_dev("ord-099", SUB, "CL", A, VG_DEV_PENDING);
  vg_dev_t pair[2];

  /* an id sorting before d's counts, one after does not */
  assert_int_equal(
      run_with_other(s, "ord-099", "CL", A, VG_DEV_PENDING),
      VG_AUDIT_DUPLICATE);
  assert_int_equal(run_with_other(s, "ord-101", "CL", A, VG_DEV_VALID),
                   VG_AUDIT_OK);
  /* strcmp order, not numeric: "ord-1000" sorts after "ord-100" */
  assert_int_equal(run_with_other(s, "ord-1000", "CL", A, VG_DEV_VALID),
                   VG_AUDIT_OK);
  assert_int_equal(run_with_other(s, "ord-0999", "CL", A, VG_DEV_VALID),
                   VG_AUDIT_DUPLICATE);
  /* the same-day one, INVALID, does not count */
  assert_int_equal(
      run_with_other(s, "ord-099", "CL", A, VG_DEV_INVALID), VG_AUDIT_OK);

  /* of two same-day developments, each audited against both: one survives */
  pair[0] = s->d;
  pair[1] = first;
  assert_int_equal(vg_audit(&pair[0], pair, 2, s->facts, s->nfacts, &s->w),
                   VG_AUDIT_DUPLICATE);
  assert_int_equal(vg_audit(&pair[1], pair, 2, s->facts, s->nfacts, &s->w),
                   VG_AUDIT_OK);
}

static void test_duplicate_off(void **state) {
  scene_t *s = *state;

  s->w.duplicate_months = 0;
  assert_int_equal(run_with_other(s, "ord-099", "CL", A, VG_DEV_PENDING),
                   VG_AUDIT_OK);
  assert_int_equal(
      run_with_other(s, "ord-001", "CL", 20261121, VG_DEV_PENDING),
      VG_AUDIT_OK);
  /* the rebate window then reaches up to the day before A */
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20261121, VG_DEV_VALID),
                   VG_AUDIT_REBATE);
  assert_int_equal(run_with_other(s, "ord-099", "CL", A, VG_DEV_VALID),
                   VG_AUDIT_OK);
}

/* ---- 2 rebate ------------------------------------------------------------ */

static void test_rebate_window(void **state) {
  scene_t *s = *state;

  /* exactly 6 months before: inside; one day more: outside */
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20260522, VG_DEV_VALID),
                   VG_AUDIT_REBATE);
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20260521, VG_DEV_VALID),
                   VG_AUDIT_OK);
  /* only a VALID one earned a rebate */
  assert_int_equal(
      run_with_other(s, "ord-001", "CL", 20260601, VG_DEV_PENDING),
      VG_AUDIT_OK);
  assert_int_equal(
      run_with_other(s, "ord-001", "CL", 20260601, VG_DEV_INVALID),
      VG_AUDIT_OK);
  /* within 3 months it is the duplicate rule's */
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20260822, VG_DEV_VALID),
                   VG_AUDIT_DUPLICATE);
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20260821, VG_DEV_VALID),
                   VG_AUDIT_REBATE);
  /* another service, another number */
  assert_int_equal(
      run_with_other(s, "ord-001", "SJB", 20260601, VG_DEV_VALID),
      VG_AUDIT_OK);
  other_of(s, "ord-001", OTHER_SUB, "CL", 20260601, VG_DEV_VALID);
  assert_int_equal(run(s), VG_AUDIT_OK);
  /* a VALID one in the rebate window and a PENDING one in the duplicate
   * window: the duplicate rule comes first */
  other(s, "ord-002", "CL", 20260601, VG_DEV_VALID);
  assert_int_equal(run(s), VG_AUDIT_REBATE);
  other(s, "ord-003", "CL", 20261001, VG_DEV_PENDING);
  assert_int_equal(run(s), VG_AUDIT_DUPLICATE);
}

static void test_rebate_leap_clamp(void **state) {
  scene_t *s = *state;

  /* 2024-08-31 - 6 months = 2024-02-29, - 3 months = 2024-05-31 */
  s->d.activated = 20240831;
  s->nfacts = 0;
  fact(s, "", VG_FACT_VOICE, 20240901);
  fact(s, "CL", VG_FACT_CHARGED, 20240901);
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20240229, VG_DEV_VALID),
                   VG_AUDIT_REBATE);
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20240228, VG_DEV_VALID),
                   VG_AUDIT_OK);
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20240530, VG_DEV_VALID),
                   VG_AUDIT_REBATE);
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20240531, VG_DEV_VALID),
                   VG_AUDIT_DUPLICATE);
}

/* ---- 3 retention --------------------------------------------------------- */

static void test_retention_window(void **state) {
  scene_t *s = *state;

  assert_int_equal(run_with_fact(s, "CL", VG_FACT_CANCELLED, a_plus(60)),
                   VG_AUDIT_RETENTION);
  assert_int_equal(run_with_fact(s, "CL", VG_FACT_CANCELLED, a_plus(61)),
                   VG_AUDIT_OK);
  assert_int_equal(run_with_fact(s, "CL", VG_FACT_CANCELLED, A),
                   VG_AUDIT_RETENTION);
  /* before activation: an earlier subscription's cancellation */
  assert_int_equal(run_with_fact(s, "CL", VG_FACT_CANCELLED, 20261121),
                   VG_AUDIT_OK);
  /* CHANGED counts like CANCELLED */
  assert_int_equal(run_with_fact(s, "CL", VG_FACT_CHANGED, a_plus(30)),
                   VG_AUDIT_RETENTION);
  assert_int_equal(run_with_fact(s, "CL", VG_FACT_CHANGED, a_plus(60)),
                   VG_AUDIT_RETENTION);
  assert_int_equal(run_with_fact(s, "CL", VG_FACT_CHANGED, a_plus(61)),
                   VG_AUDIT_OK);
  /* another service's, or one with no service, does not count */
  assert_int_equal(run_with_fact(s, "SJB", VG_FACT_CANCELLED, a_plus(1)),
                   VG_AUDIT_OK);
  assert_int_equal(run_with_fact(s, "SJB", VG_FACT_CHANGED, a_plus(1)),
                   VG_AUDIT_OK);
  assert_int_equal(run_with_fact(s, "", VG_FACT_CANCELLED, a_plus(1)),
                   VG_AUDIT_OK);
  /* another number's */
  fact_of(s, OTHER_SUB, "CL", VG_FACT_CANCELLED, a_plus(1));
  assert_int_equal(run(s), VG_AUDIT_OK);
}

/* ---- 4 voice ------------------------------------------------------------- */

static void test_voice_window(void **state) {
  scene_t *s = *state;

  s->nfacts = 0;
  fact(s, "CL", VG_FACT_CHARGED, a_plus(5));
  assert_int_equal(run(s), VG_AUDIT_VOICE);
  assert_int_equal(run_with_fact(s, "", VG_FACT_VOICE, a_plus(60)),
                   VG_AUDIT_OK);
  assert_int_equal(run_with_fact(s, "", VG_FACT_VOICE, a_plus(61)),
                   VG_AUDIT_VOICE);
  assert_int_equal(run_with_fact(s, "", VG_FACT_VOICE, A), VG_AUDIT_OK);
  assert_int_equal(run_with_fact(s, "", VG_FACT_VOICE, 20261121),
                   VG_AUDIT_VOICE);
  /* any service field */
  assert_int_equal(run_with_fact(s, "SJB", VG_FACT_VOICE, a_plus(3)),
                   VG_AUDIT_OK);
  assert_int_equal(run_with_fact(s, "CL", VG_FACT_VOICE, a_plus(3)),
                   VG_AUDIT_OK);
  /* another number's call */
  fact_of(s, OTHER_SUB, "", VG_FACT_VOICE, a_plus(3));
  assert_int_equal(run(s), VG_AUDIT_VOICE);
  /* no facts at all */
  assert_int_equal(vg_audit(&s->d, NULL, 0, NULL, 0, &s->w), VG_AUDIT_VOICE);
}

/* ---- 5 billing ----------------------------------------------------------- */

static void test_billing(void **state) {
  scene_t *s = *state;

  s->nfacts = 0;
  fact(s, "", VG_FACT_VOICE, a_plus(10));
  assert_int_equal(run(s), VG_AUDIT_BILLING);
  /* charged before activation does not count */
  assert_int_equal(run_with_fact(s, "CL", VG_FACT_CHARGED, 20261121),
                   VG_AUDIT_BILLING);
  assert_int_equal(run_with_fact(s, "CL", VG_FACT_CHARGED, A), VG_AUDIT_OK);
  /* no window: any time after activation */
  assert_int_equal(run_with_fact(s, "CL", VG_FACT_CHARGED, a_plus(99)),
                   VG_AUDIT_OK);
  assert_int_equal(run_with_fact(s, "CL", VG_FACT_CHARGED, 20281231),
                   VG_AUDIT_OK);
  /* another service's charge, or one with no service */
  assert_int_equal(run_with_fact(s, "SJB", VG_FACT_CHARGED, a_plus(1)),
                   VG_AUDIT_BILLING);
  assert_int_equal(run_with_fact(s, "", VG_FACT_CHARGED, a_plus(1)),
                   VG_AUDIT_BILLING);
  fact_of(s, OTHER_SUB, "CL", VG_FACT_CHARGED, a_plus(1));
  assert_int_equal(run(s), VG_AUDIT_BILLING);
}

/* ---- 6 arrears ----------------------------------------------------------- */

static void test_arrears(void **state) {
  scene_t *s = *state;

  /* arrears before activation do not count */
  assert_int_equal(run_with_fact(s, "", VG_FACT_ARREARS, 20261121),
                   VG_AUDIT_OK);
  assert_int_equal(run_with_fact(s, "", VG_FACT_ARREARS, A), VG_AUDIT_ARREARS);
  assert_int_equal(run_with_fact(s, "", VG_FACT_ARREARS, 20280101),
                   VG_AUDIT_ARREARS);
  /* the number's arrears, whatever the service field says */
  assert_int_equal(run_with_fact(s, "SJB", VG_FACT_ARREARS, a_plus(2)),
                   VG_AUDIT_ARREARS);
  fact_of(s, OTHER_SUB, "", VG_FACT_ARREARS, a_plus(2));
  assert_int_equal(run(s), VG_AUDIT_OK);
}

/* ---- 7 complaint --------------------------------------------------------- */

static void test_complaint(void **state) {
  scene_t *s = *state;

  assert_int_equal(run_with_fact(s, "CL", VG_FACT_COMPLAINT, a_plus(1)),
                   VG_AUDIT_COMPLAINT);
  assert_int_equal(run_with_fact(s, "CL", VG_FACT_COMPLAINT, A),
                   VG_AUDIT_COMPLAINT);
  assert_int_equal(run_with_fact(s, "CL", VG_FACT_COMPLAINT, 20261121),
                   VG_AUDIT_OK);
  /* about another service, or about nothing in particular */
  assert_int_equal(run_with_fact(s, "SJB", VG_FACT_COMPLAINT, a_plus(1)),
                   VG_AUDIT_OK);
  assert_int_equal(run_with_fact(s, "", VG_FACT_COMPLAINT, a_plus(1)),
                   VG_AUDIT_OK);
  fact_of(s, OTHER_SUB, "CL", VG_FACT_COMPLAINT, a_plus(1));
  assert_int_equal(run(s), VG_AUDIT_OK);
}

/* ---- order --------------------------------------------------------------- */

/*
 * A development failing all seven rules reports the first; take the causes
 * away one by one and the next rule shows, until it is valid.
 */
static void test_rule_order(void **state) {
  scene_t *s = *state;

  s->nfacts = 0;
  /* 1, 2: a PENDING development a month before, a VALID one 5 months before */
  other(s, "ord-010", "CL", 20260522, VG_DEV_VALID);
  other(s, "ord-011", "CL", 20261022, VG_DEV_PENDING);
  /* 3: cancelled; 4: the only call too late; 5: only charged before;
   * 6: arrears; 7: a complaint */
  fact(s, "CL", VG_FACT_COMPLAINT, a_plus(40));
  fact(s, "", VG_FACT_ARREARS, a_plus(30));
  fact(s, "CL", VG_FACT_CHARGED, 20261101);
  fact(s, "", VG_FACT_VOICE, a_plus(61));
  fact(s, "CL", VG_FACT_CANCELLED, a_plus(20));

  assert_int_equal(run(s), VG_AUDIT_DUPLICATE);
  s->nothers--; /* ord-011 */
  assert_int_equal(run(s), VG_AUDIT_REBATE);
  s->nothers--; /* ord-010 */
  assert_int_equal(run(s), VG_AUDIT_RETENTION);
  s->nfacts--; /* the cancellation */
  assert_int_equal(run(s), VG_AUDIT_VOICE);
  s->facts[s->nfacts - 1].date = a_plus(60);
  assert_int_equal(run(s), VG_AUDIT_BILLING);
  s->facts[s->nfacts - 2].date = a_plus(1);
  assert_int_equal(run(s), VG_AUDIT_ARREARS);
  s->facts[s->nfacts - 3].date = 20261121;
  assert_int_equal(run(s), VG_AUDIT_COMPLAINT);
  snprintf(s->facts[s->nfacts - 4].service, sizeof s->facts[0].service, "SJB");
  assert_int_equal(run(s), VG_AUDIT_OK);
}

/* ---- windows per service ------------------------------------------------- */

static void test_windows_override(void **state) {
  scene_t *s = *state;
  char why[128];

  /* retention_days=30: a cancellation on day 31 is no longer held against */
  fact(s, "CL", VG_FACT_CANCELLED, a_plus(31));
  assert_int_equal(run(s), VG_AUDIT_RETENTION);
  assert_int_equal(vg_audit_windows_parse("retention_days=30", &s->w, why,
                                          sizeof why),
                   0);
  assert_int_equal(s->w.retention_days, 30);
  assert_int_equal(s->w.voice_days, 60);
  assert_int_equal(run(s), VG_AUDIT_OK);
  s->facts[s->nfacts - 1].date = a_plus(30);
  assert_int_equal(run(s), VG_AUDIT_RETENTION);
  s->nfacts--;

  /* voice_days=90: a first call on day 90 is enough */
  s->nfacts = 0;
  fact(s, "CL", VG_FACT_CHARGED, a_plus(5));
  fact(s, "", VG_FACT_VOICE, 20270220); /* A + 90 */
  assert_int_equal(run(s), VG_AUDIT_VOICE);
  assert_int_equal(
      vg_audit_windows_parse("voice_days=90", &s->w, why, sizeof why), 0);
  assert_int_equal(run(s), VG_AUDIT_OK);
  s->facts[1].date = 20270221;
  assert_int_equal(run(s), VG_AUDIT_VOICE);
  s->facts[1].date = a_plus(1);

  /* duplicate_months=1, rebate_months=12 */
  assert_int_equal(vg_audit_windows_parse("duplicate_months=1,rebate_months=12",
                                          &s->w, why, sizeof why),
                   0);
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20261022,
                                  VG_DEV_PENDING),
                   VG_AUDIT_DUPLICATE);
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20261021,
                                  VG_DEV_PENDING),
                   VG_AUDIT_OK);
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20261021, VG_DEV_VALID),
                   VG_AUDIT_REBATE);
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20251122, VG_DEV_VALID),
                   VG_AUDIT_REBATE);
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20251121, VG_DEV_VALID),
                   VG_AUDIT_OK);

  /* rebate_months = duplicate_months: no rebate window at all */
  assert_int_equal(vg_audit_windows_parse("duplicate_months=3,rebate_months=3",
                                          &s->w, why, sizeof why),
                   0);
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20260821, VG_DEV_VALID),
                   VG_AUDIT_OK);
  assert_int_equal(run_with_other(s, "ord-001", "CL", 20260822, VG_DEV_VALID),
                   VG_AUDIT_DUPLICATE);
}

static void test_windows_parse(void **state) {
  vg_audit_windows_t w, want;
  char why[128], buf[VG_AUDIT_WINDOWS_TEXT];

  (void)state;
  vg_audit_windows_default(&w);
  assert_int_equal(w.duplicate_months, 3);
  assert_int_equal(w.rebate_months, 6);
  assert_int_equal(w.retention_days, 60);
  assert_int_equal(w.voice_days, 60);
  assert_int_equal(vg_audit_windows_check(&w, why, sizeof why), 0);
  assert_string_equal(
      vg_audit_windows_format(&w, buf, sizeof buf),
      "duplicate_months=3,rebate_months=6,retention_days=60,voice_days=60");

  /* the full string, in another order, with blanks */
  assert_int_equal(
      vg_audit_windows_parse(" voice_days = 45 , retention_days=30,"
                             "rebate_months=12,duplicate_months=2",
                             &w, why, sizeof why),
      0);
  assert_int_equal(w.duplicate_months, 2);
  assert_int_equal(w.rebate_months, 12);
  assert_int_equal(w.retention_days, 30);
  assert_int_equal(w.voice_days, 45);
  /* the format reads back */
  vg_audit_windows_format(&w, buf, sizeof buf);
  assert_string_equal(
      buf,
      "duplicate_months=2,rebate_months=12,retention_days=30,voice_days=45");
  vg_audit_windows_default(&want);
  assert_int_equal(vg_audit_windows_parse(buf, &want, why, sizeof why), 0);
  assert_memory_equal(&w, &want, sizeof w);
  /* "" and blanks change nothing; bounds are inclusive */
  assert_int_equal(vg_audit_windows_parse("", &w, why, sizeof why), 0);
  assert_int_equal(vg_audit_windows_parse("  ", &w, why, sizeof why), 0);
  assert_memory_equal(&w, &want, sizeof w);
  assert_int_equal(vg_audit_windows_parse("voice_days=0,retention_days=3660",
                                          &w, NULL, 0),
                   0);
  assert_int_equal(w.voice_days, 0);
  assert_int_equal(w.retention_days, 3660);
  assert_int_equal(vg_audit_windows_parse("rebate_months=120", &w, why,
                                          sizeof why),
                   0);
  /* a small buffer gets a truncated, terminated text */
  vg_audit_windows_format(&w, buf, 10);
  assert_string_equal(buf, "duplicate");
}

static void test_windows_parse_errors(void **state) {
  static const struct {
    const char *text, *why;
  } bad[] = {
      {"foo=3", "unknown window foo"},
      {"retention=60", "unknown window retention"},
      {"Voice_days=60", "unknown window Voice_days"},
      {"voice_days", "voice_days: missing '='"},
      {"voice_days=", "voice_days: no value"},
      {"voice_days= ", "voice_days: no value"},
      {"=5", "no window name before '='"},
      {"voice_days=6x", "voice_days: not a number: 6x"},
      {"voice_days=-1", "voice_days: not a number: -1"},
      {"voice_days=+1", "voice_days: not a number: +1"},
      {"voice_days=1.5", "voice_days: not a number: 1.5"},
      {"voice_days=6 0", "voice_days: not a number: 6 0"},
      {"voice_days=3661", "voice_days=3661 is out of range 0..3660"},
      {"voice_days=99999999999999999999",
       "voice_days=99999999999999999999 is out of range 0..3660"},
      {"duplicate_months=121", "duplicate_months=121 is out of range 0..120"},
      {"rebate_months=2",
       "rebate_months (2) is less than duplicate_months (3)"},
      {"duplicate_months=7",
       "rebate_months (6) is less than duplicate_months (7)"},
      {"voice_days=1,voice_days=2", "voice_days given twice"},
      {"voice_days=1,", "empty item"},
      {",voice_days=1", "empty item"},
      {"voice_days=1,,retention_days=2", "empty item"},
      {"voice_days=1;retention_days=2",
       "voice_days: not a number: 1;retention_days=2"},
  };
  vg_audit_windows_t w, def;
  char why[128];

  (void)state;
  vg_audit_windows_default(&def);
  for (size_t i = 0; i < VG_ARRAY_SIZE(bad); i++) {
    w = def;
    why[0] = '\0';
    if (vg_audit_windows_parse(bad[i].text, &w, why, sizeof why) != VG_EINVAL)
      fail_msg("\"%s\" accepted", bad[i].text);
    assert_string_equal(why, bad[i].why);
    /* all or nothing */
    assert_memory_equal(&w, &def, sizeof w);
    /* no why buffer */
    assert_int_equal(vg_audit_windows_parse(bad[i].text, &w, NULL, 0),
                     VG_EINVAL);
  }
  /* a valid item before the bad one is not applied either */
  w = def;
  assert_int_equal(vg_audit_windows_parse("voice_days=10,foo=1", &w, why,
                                          sizeof why),
                   VG_EINVAL);
  assert_int_equal(w.voice_days, 60);
  assert_int_equal(vg_audit_windows_parse(NULL, &w, why, sizeof why),
                   VG_EINVAL);

  w = def;
  w.retention_days = -1;
  assert_int_equal(vg_audit_windows_check(&w, why, sizeof why), VG_EINVAL);
  assert_string_equal(why, "retention_days=-1 is out of range 0..3660");
}

int main(void) {
  const struct CMUnitTest dates[] = {
      cmocka_unit_test(test_date_valid),
      cmocka_unit_test(test_days_from_civil),
      cmocka_unit_test(test_days_every_day),
      cmocka_unit_test(test_add_days),
      cmocka_unit_test(test_add_months),
      cmocka_unit_test(test_month_of),
      cmocka_unit_test(test_date_parse),
  };
#define SCENE(f) cmocka_unit_test_setup_teardown(f, setup_scene, teardown_scene)
  const struct CMUnitTest rules[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_dev_cmp),
      SCENE(test_clean_scene),
      SCENE(test_bad_input),
      SCENE(test_duplicate_window),
      SCENE(test_duplicate_clamped),
      SCENE(test_duplicate_same_day),
      SCENE(test_duplicate_off),
      SCENE(test_rebate_window),
      SCENE(test_rebate_leap_clamp),
      SCENE(test_retention_window),
      SCENE(test_voice_window),
      SCENE(test_billing),
      SCENE(test_arrears),
      SCENE(test_complaint),
      SCENE(test_rule_order),
      SCENE(test_windows_override),
      cmocka_unit_test(test_windows_parse),
      cmocka_unit_test(test_windows_parse_errors),
  };
#undef SCENE
  int failed = cmocka_run_group_tests_name("ledger dates", dates, NULL, NULL);

  failed += cmocka_run_group_tests_name("audit rules", rules, NULL, NULL);
  return failed != 0;
}
