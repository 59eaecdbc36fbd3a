/*
 * test_clock.c — local time for the business rules (gateway/clock.h):
 * quiet hours at their edges, on both sides of midnight, across a daylight
 * saving change; the day used by the daily cap; RFC 3339 with the offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "gateway/clock.h"

/* ms of a local time in the zone set up. */
static int64_t local_ms(int y, int mo, int d, int h, int mi) {
  struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                  .tm_hour = h, .tm_min = mi, .tm_isdst = -1};
  return (int64_t)mktime(&tm) * 1000;
}

static void test_quiet_across_midnight(void **state) {
  (void)state;
  vg_clock_setup("Asia/Shanghai");
  const char *w = "21:00-08:00";
  /* Outside: 20:59 and 08:00 (the end is exclusive). */
  assert_int_equal(vg_clock_quiet_until(w, local_ms(2026, 11, 22, 20, 59)), 0);
  assert_int_equal(vg_clock_quiet_until(w, local_ms(2026, 11, 22, 8, 0)), 0);
  assert_int_equal(vg_clock_quiet_until(w, local_ms(2026, 11, 22, 12, 0)), 0);
  /* 21:00 sharp and 23:59: until 08:00 the next day. */
  assert_int_equal(vg_clock_quiet_until(w, local_ms(2026, 11, 22, 21, 0)),
                   local_ms(2026, 11, 23, 8, 0));
  assert_int_equal(vg_clock_quiet_until(w, local_ms(2026, 11, 22, 23, 59)),
                   local_ms(2026, 11, 23, 8, 0));
  /* After midnight: until 08:00 the same day. */
  assert_int_equal(vg_clock_quiet_until(w, local_ms(2026, 11, 23, 0, 0)),
                   local_ms(2026, 11, 23, 8, 0));
  assert_int_equal(vg_clock_quiet_until(w, local_ms(2026, 11, 23, 7, 59)),
                   local_ms(2026, 11, 23, 8, 0));
  /* The last night of a month and of a year. */
  assert_int_equal(vg_clock_quiet_until(w, local_ms(2026, 12, 31, 22, 0)),
                   local_ms(2027, 1, 1, 8, 0));
}

static void test_quiet_same_day(void **state) {
  (void)state;
  vg_clock_setup("Asia/Shanghai");
  const char *w = "12:00-14:00";
  assert_int_equal(vg_clock_quiet_until(w, local_ms(2026, 11, 22, 11, 59)), 0);
  assert_int_equal(vg_clock_quiet_until(w, local_ms(2026, 11, 22, 12, 0)),
                   local_ms(2026, 11, 22, 14, 0));
  assert_int_equal(vg_clock_quiet_until(w, local_ms(2026, 11, 22, 13, 59)),
                   local_ms(2026, 11, 22, 14, 0));
  assert_int_equal(vg_clock_quiet_until(w, local_ms(2026, 11, 22, 14, 0)), 0);
  /* None, and malformed. */
  assert_int_equal(vg_clock_quiet_until("", local_ms(2026, 11, 22, 13, 0)), 0);
  assert_int_equal(vg_clock_quiet_until(NULL, local_ms(2026, 11, 22, 13, 0)),
                   0);
  assert_int_equal(vg_clock_quiet_until("12:00", 0), -1);
  assert_int_equal(vg_clock_quiet_until("12:00-12:00", 0), -1);
  assert_int_equal(vg_clock_quiet_until("25:00-08:00", 0), -1);
}

static void test_quiet_daylight_saving(void **state) {
  (void)state;
  /* Europe/Paris: 2026-03-29 02:00 -> 03:00.  Quiet 21:00-08:00 from the
   * evening before ends at 08:00 local, which is 06:00 UTC, not 07:00. */
  vg_clock_setup("Europe/Paris");
  int64_t until = vg_clock_quiet_until("21:00-08:00",
                                       local_ms(2026, 3, 28, 22, 0));
  assert_int_equal(until, (int64_t)1774764000 * 1000); /* 06:00Z */
}

static void test_day_and_iso(void **state) {
  (void)state;
  char day[12], iso[32];
  vg_clock_setup("Asia/Shanghai");
  /* 2026-11-22T16:30:00Z is already the 23rd in Shanghai. */
  int64_t ms = (int64_t)1795365000 * 1000;
  assert_string_equal(vg_clock_day(day, ms), "20261123");
  assert_string_equal(vg_clock_iso(iso, ms), "2026-11-23T00:30:00+08:00");
  vg_clock_setup("America/St_Johns"); /* -03:30 in November */
  assert_string_equal(vg_clock_iso(iso, ms), "2026-11-22T13:00:00-03:30");
  assert_string_equal(vg_clock_day(day, ms), "20261122");
  vg_clock_setup("UTC");
  assert_string_equal(vg_clock_iso(iso, ms), "2026-11-22T16:30:00+00:00");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_quiet_across_midnight),
      cmocka_unit_test(test_quiet_same_day),
      cmocka_unit_test(test_quiet_daylight_saving),
      cmocka_unit_test(test_day_and_iso),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
