/*
 * test_log.c — gateway/log.c: a message of VG_LOG_LINE_MAX bytes is written
 * whole; a longer one is cut where a character ends, never inside one,
 * and says that it was cut and how long it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <unistr.h>

#include "gateway/log.h"

static char path[64];

static int setup(void **state) {
  (void)state;
  snprintf(path, sizeof path, "/tmp/vasgw-test-log.XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(vg_log_open(path, VG_LOG_INFO), 0);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  vg_log_close();
  unlink(path);
  return 0;
}

/* The message of the one line in the log (malloc'd): after the time and
 * the level, without the newline. */
static char *logged(void) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline(&line, &cap, f);
  assert_true(n > 0);
  assert_int_equal(line[n - 1], '\n');
  line[n - 1] = '\0';
  char *rest = NULL; /* getline allocates even when it reads nothing */
  size_t rest_cap = 0;
  assert_int_equal(getline(&rest, &rest_cap, f), -1); /* one line */
  free(rest);
  fclose(f);
  const char *msg = strstr(line, " info ");
  assert_non_null(msg);
  char *out = strdup(msg + 6);
  free(line);
  return out;
}

/* `head` and `n` times 汉 (3 bytes each), malloc'd. */
static char *han(const char *head, size_t n) {
  size_t h = strlen(head);
  char *s = malloc(h + 3 * n + 1);
  assert_non_null(s);
  memcpy(s, head, h);
  for (size_t i = 0; i < n; i++)
    memcpy(s + h + 3 * i, "汉", 3);
  s[h + 3 * n] = '\0';
  return s;
}

static void test_at_the_limit(void **state) {
  (void)state;
  assert_int_equal(VG_LOG_LINE_MAX, 2047);
  char *s = han("", 682); /* 2046 bytes */
  vg_log_info("%s%s", s, "x");     /* 2047 bytes */
  char *got = logged();
  assert_int_equal(strlen(got), 2047);
  assert_memory_equal(got, s, 2046);
  assert_string_equal(got + 2046, "x");
  free(got);
  free(s);
}

/* Just over, and far over: cut after a whole character, marked.  The
 * heads "a" and "ab" move where the cut falls within a character. */
static void test_cut_at_a_character(void **state) {
  static const struct {
    const char *head;
    size_t n;
  } cases[] = {{"", 683}, {"a", 683}, {"ab", 683}, {"", 2000}};
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    teardown(state);
    setup(state);
    char *s = han(cases[i].head, cases[i].n);
    size_t len = strlen(s);
    vg_log_info("%s", s);
    char *got = logged();
    char mark[64];
    snprintf(mark, sizeof mark, "…[cut: %zu bytes in all]", len);
    size_t glen = strlen(got), mlen = strlen(mark);
    print_message("%zu bytes: %zu kept\n", len, glen - mlen);
    assert_true(glen <= VG_LOG_LINE_MAX);
    assert_true(glen > mlen);
    assert_string_equal(got + glen - mlen, mark);
    /* What is kept is the start of the message, valid UTF-8, and as much
     * as fits: a character more would not. */
    size_t kept = glen - mlen;
    assert_memory_equal(got, s, kept);
    assert_null(u8_check((const uint8_t *)got, glen));
    assert_true(kept + 3 + mlen > VG_LOG_LINE_MAX);
    free(got);
    free(s);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_at_the_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cut_at_a_character, setup, teardown),
  };
  return cmocka_run_group_tests_name("gateway/log", tests, NULL, NULL);
}
