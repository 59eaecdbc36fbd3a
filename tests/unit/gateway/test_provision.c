/*
 * test_provision.c — gateway/provision.c: the provisioning system's reason
 * as vasgw keeps it (vg_provision_reason): whole up to
 * VG_PROVISION_REASON_MAX bytes, cut after the last whole character beyond
 * them, never inside one (a cut inside one made a result SMS that could not
 * be encoded, and the subscriber was told nothing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/provision.h"
#include "gateway/text.h"
#include "gateway/vg.h"

/* `head` then `unit` until the text is `len` bytes (`unit` whole: the
 * caller picks lengths that come out even). */
static char *text_of(const char *head, const char *unit, size_t len) {
  char *s = malloc(len + 1);
  size_t n = strlen(head), ul = strlen(unit);
  assert_non_null(s);
  memcpy(s, head, n);
  while (n + ul <= len) {
    memcpy(s + n, unit, ul);
    n += ul;
  }
  assert_int_equal(n, len);
  s[n] = '\0';
  return s;
}

/* The reason kept is `want` bytes of `in`, valid UTF-8 (it re-encodes). */
static void expect_kept(const char *in, size_t want) {
  char out[VG_PROVISION_REASON_MAX + 1];
  vg_text_mt_t mt;
  memset(out, 'x', sizeof out);
  assert_int_equal(vg_provision_reason(in, strlen(in), out), strlen(in));
  assert_int_equal(strlen(out), want);
  assert_memory_equal(out, in, want);
  if (want > 0) {
    assert_int_equal(vg_text_encode_mt(out, want, 0, &mt), 0);
    vg_text_mt_free(&mt);
  }
}

static void test_reason_at_the_limit(void **state) {
  (void)state;
  assert_int_equal(VG_PROVISION_REASON_MAX, 255);
  /* Exactly the limit: whole, ASCII or Chinese. */
  char *a = text_of("", "a", 255), *zh = text_of("", "欠", 255);
  expect_kept(a, 255);
  expect_kept(zh, 255);
  free(a);
  free(zh);
  /* One over. */
  a = text_of("", "a", 256);
  expect_kept(a, 255);
  free(a);
  zh = text_of("1", "欠", 256); /* "1" and 85 characters: byte 256 ends one */
  expect_kept(zh, 253);
  free(zh);
  /* Nothing, and little. */
  expect_kept("", 0);
  expect_kept("您的号码处于欠费状态", strlen("您的号码处于欠费状态"));
}

/* The 300-byte reason of tests/e2e/provision_reason.sh: "1", 99 Chinese
 * characters, "22".  255 bytes fall inside the 85th character. */
static void test_reason_300_bytes(void **state) {
  (void)state;
  char *body = text_of("1", "费", 298);
  char *in = malloc(301);
  assert_non_null(in);
  memcpy(in, body, 298);
  memcpy(in + 298, "22", 3);
  assert_int_equal(strlen(in), 300);
  expect_kept(in, 253);
  free(body);
  free(in);
}

/* A NUL ("\u0000" in the JSON) and the other control characters but the
 * line breaks become spaces: a NUL ended the reason there, and the rest
 * was lost without a word. */
static void test_reason_controls(void **state) {
  (void)state;
  char out[VG_PROVISION_REASON_MAX + 1];
  static const char in[] = "欠费\0停机\t请\x1b充值\x7f\n谢谢\r";
  assert_int_equal(vg_provision_reason(in, sizeof in - 1, out), sizeof in - 1);
  assert_string_equal(out, "欠费 停机 请 充值 \n谢谢\r");
  /* 255 bytes with a NUL in them: whole, the NUL a space. */
  char *a = text_of("", "a", 255);
  a[100] = '\0';
  assert_int_equal(vg_provision_reason(a, 255, out), 255);
  assert_int_equal(strlen(out), 255);
  assert_int_equal(out[100], ' ');
  free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reason_at_the_limit),
      cmocka_unit_test(test_reason_300_bytes),
      cmocka_unit_test(test_reason_controls),
  };
  return cmocka_run_group_tests_name("gateway/provision", tests, NULL, NULL);
}
