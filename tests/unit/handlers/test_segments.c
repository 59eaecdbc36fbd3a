/*
 * test_segments.c — handlers/segments.c: the longest-prefix lookup as a
 * pure function (table-driven), the checks of a segment, repeats told with
 * their lines, and the table stored and loaded against a real
 * redis-server (replaced whole, a leftover P:segments:new ignored).
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
#include "handlers/segments.h"
#include "tests/unit/redis_server.h"

static vg_test_redis_t R;

/* A table of prefixes of different lengths that nest. */
static vg_segments_t *table(void) {
  static const char *const rows[][3] = {
      {"138", "广东", ""},         {"1380013", "广东", "深圳"},
      {"13800", "广东", "广州"},   {"139", "北京", "北京"},
      {"1", "全国", ""},           {"15", "上海", "上海"},
  };
  char why[128];
  vg_segments_t *s = vg_segments_new();
  for (size_t i = 0; i < VG_ARRAY_SIZE(rows); i++)
    assert_int_equal(vg_segments_add(s, rows[i][0], rows[i][1], rows[i][2],
                                     (long)i + 1, why, sizeof why),
                     0);
  assert_int_equal(vg_segments_sort(s, NULL, NULL), 0);
  return s;
}

static void test_find(void **state) {
  static const struct {
    const char *msisdn, *want; /* the prefix found, NULL for none */
  } cases[] = {
      {"8613800138000", "1380013"}, /* the longest of three */
      {"8613800238000", "13800"},
      {"8613812345678", "138"},
      {"8613912345678", "139"},
      {"8613712345678", "1"},       /* only the shortest */
      {"8615012345678", "15"},
      {"8628612345678", NULL},      /* national 286...: no segment */
      {"4413800138000", NULL},      /* another country */
      {"86", NULL},                 /* no national digits */
  };
  vg_segments_t *s = table();
  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++) {
    const vg_segment_t *g = vg_segments_find(s, cases[i].msisdn, "86");
    print_message("case: %s\n", cases[i].msisdn);
    if (cases[i].want == NULL) {
      assert_null(g);
    } else {
      assert_non_null(g);
      assert_string_equal(g->prefix, cases[i].want);
    }
  }
  const vg_segment_t *g = vg_segments_find(s, "8613800138000", "86");
  assert_string_equal(g->region, "广东");
  assert_string_equal(g->city, "深圳");
  assert_string_equal(vg_segments_find(s, "8613812345678", "86")->city, "");
  /* Sorted by prefix, as list shows them. */
  assert_int_equal(vg_segments_count(s), 6);
  assert_string_equal(vg_segments_at(s, 0)->prefix, "1");
  assert_string_equal(vg_segments_at(s, 1)->prefix, "138");
  assert_string_equal(vg_segments_at(s, 2)->prefix, "13800");
  assert_string_equal(vg_segments_at(s, 3)->prefix, "1380013");
  assert_null(vg_segments_at(s, 6));
  vg_segments_free(s);
  /* An empty table finds nothing. */
  s = vg_segments_new();
  assert_null(vg_segments_find(s, "8613800138000", "86"));
  vg_segments_free(s);
}

static void test_add_checks(void **state) {
  static const struct {
    const char *prefix, *region, *city, *why; /* NULL: accepted */
  } cases[] = {
      {" 138 ", " 广东 ", " 深圳 ", NULL},
      {"1234567890123456", "x", "", "prefix '1234567890123456' is not 1 to 15 digits"},
      {"", "x", "", "prefix '' is not 1 to 15 digits"},
      {"13a", "x", "", "prefix '13a' is not 1 to 15 digits"},
      {"+86138", "x", "", "prefix '+86138' is not 1 to 15 digits"},
      {"138", "", "", "the region is empty"},
      {"138", "a\tb", "", "the region has a control character"},
      {"138", "x", "a\nb", "the city has a control character"},
      {"138", "\xff", "", "the region is not valid UTF-8"},
      {"138", "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一",
       "", "the region is longer than 40 characters"},
  };
  char why[128];
  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++) {
    vg_segments_t *s = vg_segments_new();
    print_message("case: %zu\n", i);
    int rc = vg_segments_add(s, cases[i].prefix, cases[i].region,
                             cases[i].city, 1, why, sizeof why);
    if (cases[i].why == NULL) {
      assert_int_equal(rc, 0);
      vg_segments_sort(s, NULL, NULL);
      const vg_segment_t *g = vg_segments_at(s, 0);
      assert_string_equal(g->prefix, "138");
      assert_string_equal(g->region, "广东");
      assert_string_equal(g->city, "深圳");
    } else {
      assert_int_equal(rc, VG_EINVAL);
      assert_string_equal(why, cases[i].why);
      assert_int_equal(vg_segments_count(s), 0);
    }
    vg_segments_free(s);
  }
}

/* Every repeat is told with its own line and the first one's. */
static char told[256];
static void dup(void *data, const char *prefix, long first, long line) {
  (void)data;
  size_t n = strlen(told);
  snprintf(told + n, sizeof told - n, "%s:%ld:%ld ", prefix, first, line);
}

static void test_repeats(void **state) {
  char why[128];
  vg_segments_t *s = vg_segments_new();
  (void)state;
  assert_int_equal(vg_segments_add(s, "139", "a", "", 2, why, sizeof why), 0);
  assert_int_equal(vg_segments_add(s, "138", "a", "", 3, why, sizeof why), 0);
  assert_int_equal(vg_segments_add(s, "139", "b", "", 5, why, sizeof why), 0);
  assert_int_equal(vg_segments_add(s, "139", "c", "", 7, why, sizeof why), 0);
  told[0] = '\0';
  assert_int_equal(vg_segments_sort(s, dup, NULL), 2);
  assert_string_equal(told, "139:2:5 139:2:7 ");
  vg_segments_free(s);
}

/* --- against Redis ------------------------------------------------------------------ */

static void test_store_load(void **state) {
  char err[256];
  vg_segments_t *s = table(), *got = NULL;
  (void)state;
  vg_test_redis_reset(&R);
  /* An empty table when none was imported. */
  assert_int_equal(vg_segments_load(R.rc, "vasgw", &got, err, sizeof err), 0);
  assert_int_equal(vg_segments_count(got), 0);
  vg_segments_free(got);
  /* Replaced whole: an old segment is gone, a leftover of a dead import
   * is no part of the new table. */
  vg_test_setup(&R, (const char *const[]){
                        "HSET vasgw:segments 177 old\t",
                        "HSET vasgw:segments:new 188 leftover\t", NULL});
  assert_int_equal(vg_segments_store(R.rc, "vasgw", s, err, sizeof err), 0);
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:segments 1380013"), "\"广东\t深圳\"");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:segments 138"), "\"广东\t\"");
  VG_EXPECT(vg_test_run(&R, "HLEN vasgw:segments"), "6");
  VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:segments:new"), "0");
  assert_int_equal(vg_segments_load(R.rc, "vasgw", &got, err, sizeof err), 0);
  assert_int_equal(vg_segments_count(got), 6);
  const vg_segment_t *g = vg_segments_find(got, "8613800138000", "86");
  assert_string_equal(g->prefix, "1380013");
  assert_string_equal(g->city, "深圳");
  /* 177 was in the old table only: the number falls back to "1". */
  assert_string_equal(vg_segments_find(got, "8617712345678", "86")->prefix,
                      "1");
  vg_segments_free(got);
  /* A stored entry that is not a segment is refused, not half read. */
  vg_test_setup(&R, (const char *const[]){"HSET vasgw:segments 13x y", NULL});
  assert_int_equal(vg_segments_load(R.rc, "vasgw", &got, err, sizeof err),
                   VG_EINVAL);
  assert_null(got);
  assert_non_null(strstr(err, "13x"));
  /* An empty table is not stored: the import refuses it. */
  vg_segments_t *none = vg_segments_new();
  assert_int_equal(vg_segments_store(R.rc, "vasgw", none, err, sizeof err),
                   VG_EINVAL);
  vg_segments_free(none);
  vg_segments_free(s);
}

int main(void) {
  vg_test_redis_start(&R);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_find),
      cmocka_unit_test(test_add_checks),
      cmocka_unit_test(test_repeats),
      cmocka_unit_test(test_store_load),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vg_test_redis_stop(&R);
  return rc;
}
