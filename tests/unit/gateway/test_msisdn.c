/*
 * test_msisdn.c — gateway/msisdn.c: every accepted spelling of a number
 * gives the same international digits, every rejected one a reason, and
 * the masked form hides what it should.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/msisdn.h"
#include "gateway/vg.h"

static void norm_ok(const char *in, const char *cc, const char *expect) {
  char out[VG_MSISDN_MAX];
  const char *why = "unset";

  assert_int_equal(vg_msisdn_normalize(in, cc, out, &why), 0);
  assert_string_equal(out, expect);
  assert_null(why);
}

static void norm_fail(const char *in, const char *cc, const char *reason) {
  char out[VG_MSISDN_MAX];
  const char *why = NULL;

  memset(out, 'x', sizeof(out));
  assert_int_equal(vg_msisdn_normalize(in, cc, out, &why), VG_EMSISDN);
  assert_non_null(why);
  assert_string_equal(why, reason);
  assert_string_equal(out, "");
}

static void test_three_forms_equal(void **state) {
  (void)state;

  norm_ok("13800138000", "86", "8613800138000");
  norm_ok("+8613800138000", "86", "8613800138000");
  norm_ok("8613800138000", "86", "8613800138000");
}

static void test_00_prefix(void **state) {
  (void)state;

  norm_ok("008613800138000", "86", "8613800138000");
  norm_ok("00447911123456", "86", "447911123456");
  norm_ok("+447911123456", "86", "447911123456");
}

static void test_separators(void **state) {
  (void)state;

  norm_ok("138 0013 8000", "86", "8613800138000");
  norm_ok("138-0013-8000", "86", "8613800138000");
  norm_ok("+86 (138) 0013-8000", "86", "8613800138000");
  norm_ok("  +86 138 0013 8000  ", "86", "8613800138000");
  norm_ok("\t0086-138-0013-8000", "86", "8613800138000");
}

/* Other countries: the trunk '0' of a national number goes. */
static void test_other_country(void **state) {
  (void)state;

  norm_ok("07911 123456", "44", "447911123456");
  norm_ok("+44 7911 123456", "44", "447911123456");
  norm_ok("447911123456", "44", "447911123456");
  norm_ok("612345678", "34", "34612345678"); /* no trunk prefix */
}

static void test_letters_and_symbols(void **state) {
  char out[VG_MSISDN_MAX];
  const char *why = NULL;
  (void)state;

  norm_fail("1380013800a", "86", "contains 'a'");
  norm_fail("138.0013.8000", "86", "contains '.'");
  norm_fail("138+00138000", "86", "contains '+'");
  norm_fail("++8613800138000", "86", "contains '+'");
  norm_fail("tel:13800138000", "86", "contains 't'");
  norm_fail("1380013800\xE4", "86", "contains an invalid character");
  /* a bad character is reported even when the number is also too long */
  norm_fail("1234567890123456789X", "86", "contains 'X'");
  /* why may be NULL */
  assert_int_equal(vg_msisdn_normalize("abc", "86", out, NULL), VG_EMSISDN);
  (void)why;
}

static void test_empty(void **state) {
  char out[VG_MSISDN_MAX];
  const char *why = NULL;
  (void)state;

  norm_fail("", "86", "empty");
  norm_fail("   ", "86", "empty");
  norm_fail("( - )", "86", "empty");
  assert_int_equal(vg_msisdn_normalize(NULL, "86", out, &why), VG_EMSISDN);
  assert_string_equal(why, "empty");
}

static void test_too_short_and_long(void **state) {
  (void)state;

  norm_fail("1380013800", "86", "too short");    /* 10-digit mobile */
  norm_fail("+86138001380", "86", "too short");
  norm_fail("+1234567", "86", "too short");      /* 7 digits */
  norm_fail("138001380001", "86", "too long");   /* 12-digit mobile */
  norm_fail("+861380013800012", "86", "too long");
  norm_fail("+4479111234567890", "44", "too long"); /* 16 digits */
  norm_fail("004479111234567890", "44", "too long");
  norm_fail("12345678901234567890123", "44", "too long");
  /* 15 digits is E.164's maximum and fine */
  norm_ok("+447911123456789", "44", "447911123456789");
  /* 8 is the minimum */
  norm_ok("+1234 5678", "86", "12345678");
}

static void test_landline(void **state) {
  (void)state;

  norm_fail("010 8888 6666", "86", "not a mobile number"); /* Beijing */
  norm_fail("1088886666", "86", "not a mobile number");
  norm_fail("0755-12345678", "86", "not a mobile number");
  norm_fail("+86 755 1234 5678", "86", "not a mobile number");
  norm_fail("008675512345678", "86", "not a mobile number");
}

static void test_bad_country_code(void **state) {
  (void)state;

  norm_fail("+0123456789", "86", "bad country code");
  norm_fail("0000123456789", "86", "bad country code");
  /* Without a usable country code, national forms cannot be completed. */
  norm_fail("0755123456", "", "bad country code");
  norm_ok("8613800138000", NULL, "8613800138000");
  /* A malformed configured code is no code at all. */
  norm_fail("0755123456", "8600", "bad country code");
  norm_fail("0755123456", "8a", "bad country code");
}

static void mask(const char *m, const char *cc, const char *expect) {
  char out[VG_MSISDN_MAX + 4];

  memset(out, 'x', sizeof(out));
  vg_msisdn_mask(m, cc, out, sizeof(out));
  assert_string_equal(out, expect);
}

static void test_mask(void **state) {
  char small[6];
  (void)state;

  mask("8613800138000", "86", "138****8000");
  mask("447911123456", "86", "4479****3456"); /* foreign: no code to drop */
  mask("447911123456", "44", "791****456");
  mask("12345678", "86", "12****78");
  mask("1234567", "86", "12***67");
  mask("12345", "86", "12*45");
  mask("1234", "86", "****");
  mask("86", "86", "**"); /* only the code: nothing to strip */
  mask("", "86", "");
  mask(NULL, "86", "");
  mask("8613800138000", NULL, "8613****38000");

  /* output is cut to its buffer, always terminated */
  memset(small, 'x', sizeof(small));
  vg_msisdn_mask("8613800138000", "86", small, sizeof(small));
  assert_string_equal(small, "138**");
  vg_msisdn_mask("8613800138000", "86", small, 0); /* must not write */
  assert_int_equal(small[0], '1');
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_three_forms_equal),
      cmocka_unit_test(test_00_prefix),
      cmocka_unit_test(test_separators),
      cmocka_unit_test(test_other_country),
      cmocka_unit_test(test_letters_and_symbols),
      cmocka_unit_test(test_empty),
      cmocka_unit_test(test_too_short_and_long),
      cmocka_unit_test(test_landline),
      cmocka_unit_test(test_bad_country_code),
      cmocka_unit_test(test_mask),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
