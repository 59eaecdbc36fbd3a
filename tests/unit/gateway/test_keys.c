/*
 * test_keys.c — gateway/keys.c: a key that fits VG_KEY_MAX is made whole,
 * one byte more is refused (NULL, and "" in the buffer), never cut into a
 * key that names another record; keys of values vasgw bounds itself always
 * fit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gateway/ids.h"
#include "gateway/keys.h"
#include "gateway/msisdn.h"

/* `n` times `c` (malloc'd). */
static char *run_of(char c, size_t n) {
  char *s = malloc(n + 1);
  assert_non_null(s);
  memset(s, c, n);
  s[n] = '\0';
  return s;
}

static void test_at_the_limit(void **state) {
  char key[VG_KEY_MAX];
  (void)state;
  assert_int_equal(VG_KEY_MAX, 192);
  /* "vasgw:msg:" and 181 bytes: 191, the most a key holds. */
  char *id = run_of('7', VG_KEY_MAX - 1 - strlen("vasgw:msg:"));
  assert_ptr_equal(vg_key(key, "vasgw", VG_K_MSG, id), key);
  assert_int_equal(strlen(key), VG_KEY_MAX - 1);
  assert_memory_equal(key, "vasgw:msg:", 10);
  assert_string_equal(key + 10, id);
  free(id);
  /* One more: refused, nothing of it left in the buffer. */
  id = run_of('7', VG_KEY_MAX - strlen("vasgw:msg:"));
  memset(key, 'x', sizeof key);
  assert_null(vg_key(key, "vasgw", VG_K_MSG, id));
  assert_string_equal(key, "");
  free(id);
}

/* The prefix alone may be what does not fit. */
static void test_prefix_too_long(void **state) {
  char key[VG_KEY_MAX];
  (void)state;
  char *prefix = run_of('p', VG_KEY_MAX - 2);
  assert_ptr_equal(vg_key(key, prefix, "%s", ""), key);
  assert_int_equal(strlen(key), VG_KEY_MAX - 1);
  assert_null(vg_key(key, prefix, "%s", "x"));
  assert_string_equal(key, "");
  free(prefix);
  prefix = run_of('p', VG_KEY_MAX - 1);
  memset(key, 'x', sizeof key);
  assert_null(vg_key(key, prefix, "%s", VG_K_STATS));
  assert_string_equal(key, "");
  free(prefix);
}

/* The longest prefix ([redis] prefix, 63) with the longest values vasgw
 * makes: every one fits. */
static void test_bounded_values_fit(void **state) {
  char key[VG_KEY_MAX];
  (void)state;
  char *prefix = run_of('p', 63), *id = run_of('i', VG_ID_MAX);
  char *msisdn = run_of('8', VG_MSISDN_MAX - 1);
  assert_non_null(vg_key(key, prefix, VG_K_ORDER_ATTEMPTS, id));
  assert_non_null(vg_key(key, prefix, VG_K_DLR_UNMATCHED, id));
  assert_non_null(vg_key(key, prefix, VG_K_PROMOTER_MONTH, msisdn, "202612"));
  assert_non_null(vg_key(key, prefix, VG_K_PROMOTER_TJ, msisdn, "20261231"));
  assert_non_null(vg_key(key, prefix, VG_K_SUB_OFFERS, msisdn));
  assert_non_null(vg_key(key, prefix, VG_K_SETTLE_LOCK, "202612"));
  free(prefix);
  free(id);
  free(msisdn);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_at_the_limit),
      cmocka_unit_test(test_prefix_too_long),
      cmocka_unit_test(test_bounded_values_fit),
  };
  return cmocka_run_group_tests_name("gateway/keys", tests, NULL, NULL);
}
