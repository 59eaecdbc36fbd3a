/*
 * test_promoters.c — handlers/promoters.c: the number-segment check (with
 * and without the country code, a segment that is a prefix of another,
 * blanks and empty items, an empty list) and the name and outlet lengths in
 * characters, Chinese included.
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
#include "handlers/promoters.h"

static const char segs[] =
    "134,135,136,137,138,139,147,150,151,152,157,158,159,178,182,183,184,"
    "187,188,198";

/* ---- number segments ---------------------------------------------------------- */

static void test_segments_international(void **state) {
  (void)state;
  assert_int_equal(vg_promoter_in_segments("8613800138000", "86", segs), 1);
  assert_int_equal(vg_promoter_in_segments("8619800001111", "86", segs), 1);
  assert_int_equal(vg_promoter_in_segments("+8613400000000", "86", segs), 1);
  assert_int_equal(vg_promoter_in_segments("008613400000000", "86", segs), 1);
  /* 130, 133, 199: another operator's segments */
  assert_int_equal(vg_promoter_in_segments("8613000000000", "86", segs), 0);
  assert_int_equal(vg_promoter_in_segments("8613300000000", "86", segs), 0);
  assert_int_equal(vg_promoter_in_segments("8619900000000", "86", segs), 0);
}

static void test_segments_national(void **state) {
  (void)state;
  assert_int_equal(vg_promoter_in_segments("13800138000", "86", segs), 1);
  assert_int_equal(vg_promoter_in_segments("138 0013 8000", "86", segs), 1);
  assert_int_equal(vg_promoter_in_segments("13300000000", "86", segs), 0);
  /* The country code is not part of the segment: "86" as a segment admits
   * nothing of ours, and "8613..." is not matched as national. */
  assert_int_equal(vg_promoter_in_segments("8613800138000", "86", "86"), 0);
  assert_int_equal(vg_promoter_in_segments("13800138000", "86", "86"), 0);
}

static void test_segments_other_country(void **state) {
  (void)state;
  /* A US number whose digits after its country code look like ours. */
  assert_int_equal(vg_promoter_in_segments("+13405551234", "86", "134"), 0);
  assert_int_equal(vg_promoter_in_segments("0013405551234", "86", "134"), 0);
  /* The same segments with another country code. */
  assert_int_equal(vg_promoter_in_segments("447700900123", "44", "77"), 1);
  assert_int_equal(vg_promoter_in_segments("07700900123", "44", "77"), 1);
  assert_int_equal(vg_promoter_in_segments("8613800138000", "44", "138"), 0);
}

static void test_segments_prefix_of_prefix(void **state) {
  (void)state;
  /* "13" admits every 13x; "1380" only 1380... */
  assert_int_equal(vg_promoter_in_segments("8613300000000", "86", "13"), 1);
  assert_int_equal(vg_promoter_in_segments("8613800000000", "86", "1380"), 1);
  assert_int_equal(vg_promoter_in_segments("8613810000000", "86", "1380"), 0);
  /* "1380" listed before "13": the shorter still matches */
  assert_int_equal(vg_promoter_in_segments("8613300000000", "86", "1380,13"),
                   1);
  /* "134" is not "1345", nor "1345" "134" */
  assert_int_equal(vg_promoter_in_segments("8613450000000", "86", "134"), 1);
  assert_int_equal(vg_promoter_in_segments("8613400000000", "86", "1345"), 0);
  /* the last item is matched too, and a segment is matched at the start only */
  assert_int_equal(vg_promoter_in_segments("8619800000000", "86", "134,198"),
                   1);
  assert_int_equal(vg_promoter_in_segments("8613800000000", "86", "380"), 0);
}

static void test_segments_empty(void **state) {
  (void)state;
  assert_int_equal(vg_promoter_in_segments("8613800138000", "86", ""), 0);
  assert_int_equal(vg_promoter_in_segments("8613800138000", "86", ","), 0);
  assert_int_equal(vg_promoter_in_segments("8613800138000", "86", " , ,"), 0);
  /* blanks and empty items around real ones */
  assert_int_equal(
      vg_promoter_in_segments("8613800138000", "86", " 134 , ,138 ,"), 1);
  assert_int_equal(vg_promoter_in_segments("8613800138000", "86", ",,138"), 1);
}

static void test_segments_malformed(void **state) {
  (void)state;
  assert_int_equal(vg_promoter_in_segments("", "86", segs), 0);
  assert_int_equal(vg_promoter_in_segments("abc", "86", segs), 0);
  assert_int_equal(vg_promoter_in_segments("1380013800", "86", segs), 0);
  assert_int_equal(vg_promoter_in_segments("138001380001", "86", segs), 0);
  assert_int_equal(vg_promoter_in_segments("23800138000", "86", segs), 0);
}

/* ---- name and outlet ------------------------------------------------------------ */

static void test_name_lengths(void **state) {
  char why[128];
  /* 20 and 21 Chinese characters: 60 and 63 bytes */
  const char *twenty = "一二三四五六七八九十一二三四五六七八九十";
  const char *twentyone = "一二三四五六七八九十一二三四五六七八九十一";

  (void)state;
  assert_int_equal(vg_promoter_check_name("张三", why, sizeof why), 0);
  assert_int_equal(vg_promoter_check_name("A", why, sizeof why), 0);
  assert_int_equal(vg_promoter_check_name("欧阳 Wei", why, sizeof why), 0);
  assert_int_equal(vg_promoter_check_name(twenty, why, sizeof why), 0);
  assert_int_equal(vg_promoter_check_name(twentyone, why, sizeof why),
                   VG_EINVAL);
  assert_string_equal(why, "name has 21 characters (at most 20)");
  assert_int_equal(
      vg_promoter_check_name("ABCDEFGHIJKLMNOPQRST", why, sizeof why), 0);
  assert_int_equal(
      vg_promoter_check_name("ABCDEFGHIJKLMNOPQRSTU", why, sizeof why),
      VG_EINVAL);
  assert_string_equal(why, "name has 21 characters (at most 20)");
  /* an emoji outside the BMP is one character (two UTF-16 units) */
  assert_int_equal(vg_promoter_check_name("小明\xf0\x9f\x98\x80", why,
                                          sizeof why), 0);
  assert_int_equal(vg_promoter_check_name("", why, sizeof why), VG_EINVAL);
  assert_string_equal(why, "name is empty");
}

static void test_name_malformed(void **state) {
  char why[128];

  (void)state;
  assert_int_equal(vg_promoter_check_name("\xe5\xbc", why, sizeof why),
                   VG_EINVAL);
  assert_string_equal(why, "name is not valid UTF-8");
  assert_int_equal(vg_promoter_check_name("张\n三", why, sizeof why),
                   VG_EINVAL);
  assert_string_equal(why,
                      "name holds a control character (U+000A): no line breaks");
  assert_int_equal(vg_promoter_check_name("张\t三", why, sizeof why),
                   VG_EINVAL);
  /* NULL why is allowed */
  assert_int_equal(vg_promoter_check_name("", NULL, 0), VG_EINVAL);
}

static void test_outlet_lengths(void **state) {
  char why[128], outlet[VG_PROMOTER_UTF8_BYTES(41)];

  (void)state;
  assert_int_equal(vg_promoter_check_outlet("", why, sizeof why), 0);
  assert_int_equal(vg_promoter_check_outlet("中关村营业厅, 二楼", why,
                                            sizeof why), 0);
  outlet[0] = '\0';
  for (int i = 0; i < 40; i++)
    strcat(outlet, "厅");
  assert_int_equal(vg_promoter_check_outlet(outlet, why, sizeof why), 0);
  strcat(outlet, "厅");
  assert_int_equal(vg_promoter_check_outlet(outlet, why, sizeof why),
                   VG_EINVAL);
  assert_string_equal(why, "outlet has 41 characters (at most 40)");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_segments_international),
      cmocka_unit_test(test_segments_national),
      cmocka_unit_test(test_segments_other_country),
      cmocka_unit_test(test_segments_prefix_of_prefix),
      cmocka_unit_test(test_segments_empty),
      cmocka_unit_test(test_segments_malformed),
      cmocka_unit_test(test_name_lengths),
      cmocka_unit_test(test_name_malformed),
      cmocka_unit_test(test_outlet_lengths),
  };
  return cmocka_run_group_tests_name("promoters", tests, NULL, NULL);
}
