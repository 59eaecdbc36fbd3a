/*
 * test_ussd.c — gateway/ussd.c: what each vendor profile of
 * gateway/ussd_profiles.def makes of a request (begin, continue, abort by
 * op or by the end bit, other) and its session number, the fields of the
 * screens that answer it, and whether a text fits one USSD screen.
 * Table-driven: one row per request and profile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/ussd.h"
#include "gateway/vg.h"

typedef struct {
  const char *profile;
  int op;
  const char *its, *umr;
  vg_ussd_event_t want;
  const char *sid;
} classify_case_t;

static const classify_case_t classify_cases[] = {
    /* SMPP 3.4 as written: octet 1 of its_session_info is the session,
     * bit 0 of octet 2 the end of the dialogue. */
    {"default", 1, "0102", "", VG_USSD_BEGIN, "01"},
    {"default", 18, "0102", "", VG_USSD_CONTINUE, "01"},
    {"default", 18, "0103", "", VG_USSD_ABORT, "01"},   /* end bit */
    {"default", 1, "0103", "", VG_USSD_BEGIN, "01"},    /* not on a begin */
    {"default", 2, "0102", "", VG_USSD_OTHER, "01"},
    {"default", 0x81, "ab02", "", VG_USSD_OTHER, "ab"}, /* no abort op */
    {"default", 1, "", "7", VG_USSD_BEGIN, ""},         /* none: no sid */
    {"default", 1, "01", "", VG_USSD_BEGIN, ""},        /* not 4 digits */
    /* sixdee: the first 15 bits; 0x81 aborts. */
    {"sixdee", 1, "1234", "", VG_USSD_BEGIN, "1234"},
    {"sixdee", 18, "1234", "", VG_USSD_CONTINUE, "1234"},
    {"sixdee", 18, "1235", "", VG_USSD_ABORT, "1234"},
    {"sixdee", 0x81, "1234", "", VG_USSD_ABORT, "1234"},
    {"sixdee", 3, "1234", "", VG_USSD_OTHER, "1234"},
    /* mica: the session in user_message_reference; 17 from the network
     * ends it; any other op is an answer; no end bit. */
    {"mica", 1, "", "42", VG_USSD_BEGIN, "42"},
    {"mica", 18, "", "42", VG_USSD_CONTINUE, "42"},
    {"mica", 2, "", "42", VG_USSD_CONTINUE, "42"},
    {"mica", 18, "0103", "42", VG_USSD_CONTINUE, "42"},
    {"mica", 17, "", "42", VG_USSD_ABORT, "42"},
    {"mica", -1, "", "42", VG_USSD_OTHER, "42"},
    {"mica", 1, "", "", VG_USSD_BEGIN, ""},
    {"mica", 1, "", "65535", VG_USSD_BEGIN, "65535"},
};

static void test_classify(void **state) {
  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(classify_cases); i++) {
    const classify_case_t *k = &classify_cases[i];
    print_message("case %zu: %s op %d its '%s' umr '%s'\n", i, k->profile,
                  k->op, k->its, k->umr);
    const vg_ussd_profile_t *p = vg_ussd_profile(k->profile);
    assert_non_null(p);
    vg_ussd_req_t r = {.op = k->op, .its = k->its, .umr = k->umr};
    char sid[VG_USSD_SID_MAX];
    assert_int_equal(vg_ussd_classify(p, &r, sid), k->want);
    assert_string_equal(sid, k->sid);
  }
}

typedef struct {
  const char *profile;
  const char *its, *umr;
  int last;
  int op;
  const char *want_its, *want_umr;
} reply_case_t;

static const reply_case_t reply_cases[] = {
    /* The end bit is set on the last screen only, whatever the request
     * had; user_message_reference is echoed when the request had one. */
    {"default", "0102", "", 0, 2, "0102", ""},
    {"default", "0102", "", 1, 17, "0103", ""},
    {"default", "0103", "", 0, 2, "0102", ""},
    {"default", "0102", "9", 1, 17, "0103", "9"},
    {"default", "", "", 1, 17, "", ""},
    {"sixdee", "1234", "", 0, 2, "1234", ""},
    {"sixdee", "1234", "", 1, 17, "1235", ""},
    {"mica", "", "42", 0, 2, "", "42"},
    {"mica", "", "42", 1, 17, "", "42"},
    {"mica", "0102", "42", 1, 17, "0103", "42"},
};

static void test_reply(void **state) {
  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(reply_cases); i++) {
    const reply_case_t *k = &reply_cases[i];
    print_message("case %zu: %s its '%s' umr '%s' last %d\n", i, k->profile,
                  k->its, k->umr, k->last);
    vg_ussd_req_t r = {.op = 1, .its = k->its, .umr = k->umr};
    vg_ussd_reply_t out;
    vg_ussd_reply(vg_ussd_profile(k->profile), &r, k->last, &out);
    assert_int_equal(out.op, k->op);
    assert_string_equal(out.its, k->want_its);
    assert_string_equal(out.umr, k->want_umr);
  }
}

static void test_profiles(void **state) {
  (void)state;
  assert_string_equal(vg_ussd_profile_at(0)->name, "default");
  assert_string_equal(vg_ussd_profile_at(2)->name, "mica");
  assert_null(vg_ussd_profile_at(VG_USSD_NPROFILES));
  assert_null(vg_ussd_profile("nope"));
  assert_ptr_equal(vg_ussd_profile("sixdee"),
                   vg_ussd_profile_at(VG_USSD_PROFILE_sixdee));
}

/* `unit` n times then `tail`, malloc'd. */
static char *text_of(const char *unit, size_t n, const char *tail) {
  size_t ul = strlen(unit), tl = strlen(tail);
  char *s = malloc(ul * n + tl + 1);
  assert_non_null(s);
  for (size_t i = 0; i < n; i++)
    memcpy(s + i * ul, unit, ul);
  memcpy(s + ul * n, tail, tl + 1);
  return s;
}

typedef struct {
  const char *unit;
  size_t n;
  const char *tail;
  int fits;
  size_t chars;
} fits_case_t;

static const fits_case_t fits_cases[] = {
    {"a", 182, "", 1, 182},
    {"a", 183, "", 0, 183},
    {"\xe4\xbd\xa0", 80, "", 1, 80},     /* 你: UCS-2 */
    {"\xe4\xbd\xa0", 81, "", 0, 81},
    {"a", 180, "\xe2\x82\xac", 1, 182},  /* the euro sign takes two */
    {"a", 181, "\xe2\x82\xac", 0, 183},
    {"a", 181, "{", 0, 183},
    {"a", 179, "[]", 0, 183},
    {"a", 178, "[]", 1, 182},
    {"a", 0, "", 0, 0},                  /* nothing to show */
};

static void test_fits(void **state) {
  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(fits_cases); i++) {
    const fits_case_t *k = &fits_cases[i];
    print_message("case %zu: %zu x '%s' + '%s'\n", i, k->n, k->unit, k->tail);
    char *s = text_of(k->unit, k->n, k->tail);
    size_t chars = 999;
    assert_int_equal(vg_ussd_fits(s, &chars), k->fits);
    assert_int_equal(chars, k->chars);
    free(s);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_classify),
      cmocka_unit_test(test_reply),
      cmocka_unit_test(test_profiles),
      cmocka_unit_test(test_fits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
