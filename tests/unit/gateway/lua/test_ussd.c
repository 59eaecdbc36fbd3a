/*
 * test_ussd.c — gateway/lua/ussd.lua against a real redis-server: the wait
 * guard's ussd_late, which says whether a USSD request's answer is queued
 * ('answered') or marks the request late.  Table-driven; every call is
 * made a second time to prove that the repeat answers the same and
 * changes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/lua/functions.h"
#include "gateway/vg.h"
#include "tests/unit/redis_server.h"

static vg_test_redis_t R;

#define P "vasgw"

typedef struct {
  const char *name;
  const char *setup[3];
  const char *mo;
  int sent;
  const char *want;
  const char *late; /* GET vasgw:ussd:late:<mo> after */
  const char *ttl;  /* its TTL */
} late_case_t;

static const late_case_t late_cases[] = {
    /* The answer was queued (P:msg:re-7 exists, whatever its state): the
     * screen is on its way; no mark. */
    {"answered",
     {"HSET vasgw:msg:re-7 id re-7 state queued", NULL},
     "7",
     0,
     "\"answered\"",
     "nil",
     "-2"},
    {"answered and sent already",
     {"HSET vasgw:msg:re-7 id re-7 state accepted", NULL},
     "7",
     0,
     "\"answered\"",
     "nil",
     "-2"},
    /* No answer yet: late, marked for 600 s. */
    {"late", {NULL}, "7", 0, "\"late\"", "\"1\"", "600"},
    /* The wait screen went before the MO was stored: late, whatever was
     * queued meanwhile. */
    {"wait screen sent, answer queued meanwhile",
     {"HSET vasgw:msg:re-7 id re-7 state queued", NULL},
     "7",
     1,
     "\"late\"",
     "\"1\"",
     "600"},
    {"wait screen sent, no answer", {NULL}, "7", 1, "\"late\"", "\"1\"",
     "600"},
    /* Another MO's answer is not this one's. */
    {"another MO answered",
     {"HSET vasgw:msg:re-70 id re-70 state queued", NULL},
     "7",
     0,
     "\"late\"",
     "\"1\"",
     "600"},
};

static void late_call(vg_fcall_t *c, const char *mo, int sent) {
  vg_fn_ussd_late_t a = {.prefix = P, .mo = mo, .ttl = 600, .sent = sent};
  vg_fn_ussd_late(c, &a);
}

static void test_late(void **state) {
  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(late_cases); i++) {
    const late_case_t *k = &late_cases[i];
    print_message("case: %s\n", k->name);
    vg_test_redis_reset(&R);
    vg_test_setup(&R, k->setup);
    vg_fcall_t c = VG_FCALL_INIT;
    late_call(&c, k->mo, k->sent);
    VG_EXPECT(vg_test_fcall(&R, &c), k->want);
    char get[64], ttl[64];
    snprintf(get, sizeof get, "GET vasgw:ussd:late:%s", k->mo);
    snprintf(ttl, sizeof ttl, "TTL vasgw:ussd:late:%s", k->mo);
    VG_EXPECT(vg_test_run(&R, get), k->late);
    VG_EXPECT(vg_test_run(&R, ttl), k->ttl);
    /* The guard's reply was lost, or the late MO was stored only now and
     * asked once more: the same answer, nothing else written. */
    char *before = vg_test_snapshot(&R, NULL);
    VG_EXPECT(vg_test_fcall(&R, &c), k->want);
    char *after = vg_test_snapshot(&R, NULL);
    assert_string_equal(before, after);
    free(before);
    free(after);
    vg_fcall_free(&c);
  }
}

/* An MO id that is no id is refused before anything is written. */
static void test_late_bad_id(void **state) {
  (void)state;
  vg_test_redis_reset(&R);
  vg_fcall_t c = VG_FCALL_INIT;
  late_call(&c, "", 0);
  char *r = vg_test_fcall(&R, &c);
  assert_non_null(strstr(r, "ERR MO id"));
  free(r);
  vg_fcall_free(&c);
  VG_EXPECT(vg_test_run(&R, "DBSIZE"), "0");
}

int main(void) {
  vg_test_redis_start(&R);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_late),
      cmocka_unit_test(test_late_bad_id),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vg_test_redis_stop(&R);
  return rc;
}
