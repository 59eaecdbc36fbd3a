/*
 * test_functions.c — gateway/functions.c against a real redis-server: the
 * library is loaded when missing, left alone when it is there as built,
 * replaced when another build's code has its name; a library Redis refuses
 * is reported with the source file and line; and a call with an argument
 * of the wrong type is refused naming the function and the argument.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/functions.h"
#include "gateway/ids.h"
#include "gateway/lua/functions.h"
#include "gateway/vg.h"
#include "tests/unit/redis_server.h"

static vg_test_redis_t R;

/* A library of two files, the second broken at its line 2. */
static const char broken_code[] = "#!lua name=vgtest_broken\n"
                                  "-- file: fake/a.lua\n"
                                  "local x = 1\n"
                                  "-- file: fake/b.lua\n"
                                  "local y = 2\n"
                                  "local function f(\n"
                                  "local z = 3\n";
static const vg_lua_file_t broken_files[] = {{"fake/a.lua", 3, 3},
                                             {"fake/b.lua", 5, 7}};
static const vg_lua_library_t broken = {"vgtest_broken", broken_code,
                                        sizeof broken_code - 1, broken_files,
                                        2};

static void test_explain(void **state) {
  char out[256];
  (void)state;
  vg_lua_explain(&broken, "ERR user_function:6: boom script: f, on "
                          "@user_function:6.",
                 out, sizeof out);
  assert_string_equal(out, "ERR fake/b.lua:2: boom script: f, on @fake/b.lua:2.");
  vg_lua_explain(&broken, "ERR user_function:3: x", out, sizeof out);
  assert_string_equal(out, "ERR fake/a.lua:1: x");
  /* A line outside every file (the shebang) is told as the library's; the
   * line after the last is the end of the last file. */
  vg_lua_explain(&broken, "ERR user_function:1: x", out, sizeof out);
  assert_string_equal(out, "ERR vgtest_broken line 1: x");
  vg_lua_explain(&broken, "ERR user_function:8: x", out, sizeof out);
  assert_string_equal(out, "ERR fake/b.lua:4: x");
  vg_lua_explain(&broken, "ERR user_function:9: x", out, sizeof out);
  assert_string_equal(out, "ERR vgtest_broken line 9: x");
  vg_lua_explain(&broken, "no lines here", out, sizeof out);
  assert_string_equal(out, "no lines here");
  /* Too small a buffer: cut, never overrun. */
  char small[8];
  vg_lua_explain(&broken, "ERR user_function:6: boom", small, sizeof small);
  assert_int_equal(strlen(small), 7);
}

static void test_broken_library(void **state) {
  char err[512];
  (void)state;
  assert_int_equal(vg_lua_ensure(R.rc, &broken, err, sizeof err), -1);
  print_message("%s\n", err);
  assert_non_null(strstr(err, "fake/b.lua:3: <name> or '...' expected near "
                              "'local'"));
  assert_null(strstr(err, "user_function"));
}

static void test_load_replace(void **state) {
  char err[512];
  (void)state;
  /* Loaded by the fixture: there as built, nothing to do. */
  char *before = vg_test_run(&R, "FUNCTION LIST LIBRARYNAME vasgw_4");
  VG_EXPECT(vg_test_run(&R, "FUNCTION LIST LIBRARYNAME vasgw_4"), before);
  free(before);
  redisReply *r = redisCommand(R.rc, "FUNCTION LIST LIBRARYNAME %s WITHCODE",
                               vg_lua_library.name);
  assert_int_equal(vg_lua_needs_load(&vg_lua_library, r), 0);
  freeReplyObject(r);
  /* Another build's code under our name: replaced. */
  static const char other[] = "#!lua name=vasgw_4\n"
                              "redis.register_function('vasgw_4_x', "
                              "function() return 1 end)\n";
  const char *av[] = {"FUNCTION", "LOAD", "REPLACE", other};
  freeReplyObject(redisCommandArgv(R.rc, 4, av, NULL));
  r = redisCommand(R.rc, "FUNCTION LIST LIBRARYNAME %s WITHCODE",
                   vg_lua_library.name);
  assert_int_equal(vg_lua_needs_load(&vg_lua_library, r), 2);
  freeReplyObject(r);
  assert_int_equal(vg_lua_ensure(R.rc, &vg_lua_library, err, sizeof err), 0);
  VG_EXPECT(vg_test_run(&R, "FCALL vasgw_4_x 0"),
            "!ERR Function not found");
  /* Missing: loaded. */
  VG_EXPECT(vg_test_run(&R, "FUNCTION FLUSH"), "+OK");
  r = redisCommand(R.rc, "FUNCTION LIST LIBRARYNAME %s WITHCODE",
                   vg_lua_library.name);
  assert_int_equal(vg_lua_needs_load(&vg_lua_library, r), 1);
  freeReplyObject(r);
  assert_int_equal(vg_lua_ensure(R.rc, &vg_lua_library, err, sizeof err), 0);
  VG_EXPECT(vg_test_run(&R, "FCALL vasgw_4_mo_expire 0 vasgw 0 60"), "0");
}

/* The readers made from functions.def check what they get. */
/* `line`'s error reply contains `want`. */
static void refused(const char *line, const char *want) {
  char *r = vg_test_run(&R, line);
  if (strstr(r, want) == NULL || r[0] != '!')
    print_error("got:  %s\nwant: %s\n", r, want);
  assert_non_null(strstr(r, want));
  assert_int_equal(r[0], '!');
  free(r);
}

static void test_bad_arguments(void **state) {
  (void)state;
  refused("FCALL vasgw_4_mo_expire 0 vasgw soon 60",
          "ERR vasgw_4_mo_expire: argument 2 (now) must be a whole number, "
          "got \"soon\"");
  refused("FCALL vasgw_4_mo_expire 0 vasgw 1.5 60",
          "argument 2 (now) must be a whole number, got \"1.5\"");
  refused("FCALL vasgw_4_mo_expire 0 vasgw 1",
          "ERR vasgw_4_mo_expire: expects 3 arguments, got 2");
  refused("FCALL vasgw_4_mt_enqueue 0 vasgw 1 60 id",
          "ERR vasgw_4_mt_enqueue: expects 3 arguments and then groups of 11, "
          "got 4");
  refused("FCALL vasgw_4_mt_enqueue 0 vasgw 1 60 x 86 t \"\" no \"\" cli "
          "\"\" 0 \"\" \"\"",
          "argument 8 (messages.ussd_op) must be a whole number, got \"no\"");
  /* A bool is 1 or 0. */
  refused("FCALL vasgw_4_mo_reply 0 vasgw 1 m mo \"\" \"\" help \"\" \"\" t "
          "yes 1 1 1 1 60 10658000 *123*8# sms 0 \"\" \"\" 0",
          "argument 11 (gate) must be 1 or 0, got \"yes\"");
  VG_EXPECT(vg_test_run(&R, "FCALL vasgw_4_template_word 0 a=b a"), "\"b\"");
}

/* The packers write what the readers read: mt_enqueue of one message,
 * read back from its record. */
static void test_round_trip(void **state) {
  (void)state;
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_mt_enqueue_t a = {.prefix = "vasgw", .created = 1767225600000LL,
                          .ttl = 60};
  vg_fn_mt_enqueue(&c, &a);
  vg_fn_mt_enqueue_messages_t m = {.id = "x1", .to = "8613800138000",
                                   .text = "你好 \"quoted\"", .src = "",
                                   .ussd_op = 17, .its = "0101",
                                   .origin = "cli"};
  vg_fn_mt_enqueue_messages(&c, &m);
  VG_EXPECT(vg_test_fcall(&R, &c), "1");
  vg_fcall_free(&c);
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:msg:x1 to text ussd_op its created "
                            "origin state"),
            "[\"8613800138000\",\"你好 \"quoted\"\",\"17\",\"0101\","
            "\"1767225600000\",\"cli\",\"queued\"]");
}

/* VG_ID_MAX (gateway/ids.h) and the library's ID_MAX are the same number:
 * a message id of exactly VG_ID_MAX bytes is queued, one byte more is
 * refused, nothing written. */
static void test_id_max(void **state) {
  (void)state;
  char id[VG_ID_MAX + 2];
  for (int len = VG_ID_MAX; len <= VG_ID_MAX + 1; len++) {
    memset(id, 'x', (size_t)len);
    id[len] = '\0';
    vg_fcall_t c = VG_FCALL_INIT;
    vg_fn_mt_enqueue_t a = {.prefix = "vasgw", .created = 1, .ttl = 60};
    vg_fn_mt_enqueue(&c, &a);
    vg_fn_mt_enqueue_messages_t m = {.id = id, .to = "8613800138000",
                                     .text = "hi", .ussd_op = -1,
                                     .origin = "cli"};
    vg_fn_mt_enqueue_messages(&c, &m);
    char *r = vg_test_fcall(&R, &c);
    vg_fcall_free(&c);
    if (len == VG_ID_MAX) {
      assert_string_equal(r, "1");
    } else {
      assert_non_null(strstr(r, "message id"));
      assert_non_null(strstr(r, "longer than 64 bytes"));
      char key[128];
      snprintf(key, sizeof key, "EXISTS vasgw:msg:%s", id);
      VG_EXPECT(vg_test_run(&R, key), "0");
    }
    free(r);
  }
  /* The C side refuses to make one. */
  char out[VG_ID_MAX + 1];
  assert_int_equal(vg_id_fmt(out, sizeof out, "%s", id), VG_ETOOLONG);
  assert_string_equal(out, "");
  id[VG_ID_MAX] = '\0';
  assert_int_equal(vg_id_fmt(out, sizeof out, "%s", id), 0);
}

/* vg_copy, for values from outside that a fixed buffer holds: the longest
 * that fits is copied whole, one byte more is refused and leaves "". */
static void test_copy(void **state) {
  (void)state;
  char buf[8], src[10];
  memset(src, 'y', 7);
  src[7] = '\0';
  assert_int_equal(vg_copy(buf, sizeof buf, src), 0);
  assert_string_equal(buf, "yyyyyyy");
  src[7] = 'y';
  src[8] = '\0';
  assert_int_equal(vg_copy(buf, sizeof buf, src), VG_ETOOLONG);
  assert_string_equal(buf, "");
  assert_int_equal(vg_copy(buf, sizeof buf, ""), 0);
  assert_string_equal(buf, "");
  /* A character is never split: the whole value is refused. */
  assert_int_equal(vg_copy(buf, sizeof buf, "彩铃彩"), VG_ETOOLONG);
  assert_int_equal(vg_copy(buf, sizeof buf, "彩铃"), 0);
  assert_string_equal(buf, "彩铃");
}

int main(void) {
  vg_test_redis_start(&R);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_explain),
      cmocka_unit_test(test_broken_library),
      cmocka_unit_test(test_load_replace),
      cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_id_max),
      cmocka_unit_test(test_copy),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vg_test_redis_stop(&R);
  return rc;
}
