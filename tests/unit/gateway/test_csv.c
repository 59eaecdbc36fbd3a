/*
 * test_csv.c — gateway/csv.c: records, their lines, and the malformed ones
 * a file of millions may hold, each only as long as it must be.
 */
#include "gateway/csv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* Every record of `in` as "line:field|field" or "line:!" for a malformed
 * one, joined by " ". */
static void records(const char *in, char *out, size_t outsz) {
  vg_csv_t p;
  vg_csv_row_t r = {0};
  char why[256];
  int n;
  vg_csv_init(&p, in, strlen(in));
  out[0] = '\0';
  while ((n = vg_csv_next(&p, &r, why, sizeof why)) != 0) {
    size_t used = strlen(out);
    if (n < 0) {
      snprintf(out + used, outsz - used, "%s%ld:!", used ? " " : "", r.line);
      continue;
    }
    used += (size_t)snprintf(out + used, outsz - used, "%s%ld:", used ? " " : "",
                             r.line);
    for (size_t i = 0; i < r.n; i++)
      used += (size_t)snprintf(out + used, outsz - used, "%s%s", i ? "|" : "",
                               r.f[i]);
  }
  vg_csv_row_free(&r);
}

static void test_records(void **state) {
  (void)state;
  static const char *const cases[][2] = {
      {"a,b\nc,d\n", "1:a|b 2:c|d"},
      {"\xef\xbb\xbf" "a,b\r\nc\r\n", "1:a|b 2:c"},
      {"\"x,y\",z\n", "1:x,y|z"},
      {"\"multi\nline\",z\nnext\n", "1:multi\nline|z 3:next"},
      {"\"say \"\"hi\"\"\"\n", "1:say \"hi\""},
      /* A quote never closed is the record of its line only: the rest of
       * the input is read on, not swallowed. */
      {"a\n\"b\nc\nd\n", "1:a 2:! 3:c 4:d"},
      {"\"never", "1:!"},
      /* Text after a closing quote, a quote inside an unquoted field: that
       * line only, and a good multi-line record after it is whole. */
      {"1,\"bad\"x\"\n2,\"multi\nline\"\n3,x\n", "1:! 2:2|multi\nline 4:3|x"},
      {"1,a\"b\n2\n", "1:! 2:2"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char got[512];
    records(cases[i][0], got, sizeof got);
    if (strcmp(got, cases[i][1]) != 0)
      print_message("case %zu: got '%s', want '%s'\n", i, got, cases[i][1]);
    assert_string_equal(got, cases[i][1]);
  }
}

/* A quoted field that runs into the end of the buffer says so (partial):
 * a reader of a file in chunks reads on instead of calling it malformed. */
static void test_partial(void **state) {
  (void)state;
  const char *in = "a\n\"open\nfield";
  vg_csv_t p;
  vg_csv_row_t r = {0};
  char why[256];
  vg_csv_init(&p, in, strlen(in));
  assert_int_equal(vg_csv_next(&p, &r, why, sizeof why), 1);
  assert_int_equal(p.partial, 0);
  assert_int_equal(vg_csv_next(&p, &r, why, sizeof why), -1);
  assert_int_equal(p.partial, 1);
  assert_string_equal(why, "a quoted field opened on line 2 is never closed");
  vg_csv_row_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_records),
      cmocka_unit_test(test_partial),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
