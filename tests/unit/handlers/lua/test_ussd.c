/*
 * test_ussd.c — handlers/lua/ussd.lua against a real redis-server: what a
 * request reads first (ussd_load), the data of each screen (ussd_view), a
 * screen queued with the session's state in one step (ussd_show: a screen
 * that waits, one dropped because the request came late, the last one,
 * one too long for a screen, one by SMS) and a dialogue ended by the
 * network (ussd_close).  Each write run twice changes nothing the second
 * time.
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
#include "handlers/lua/functions.h"
#include "tests/unit/redis_server.h"

static vg_test_redis_t R;

#define P "vasgw"
#define M "8613800138000"
#define NOW 1767225600000LL /* 2026-01-01T00:00:00Z */
#define SESSION "vasgw:ussd:{" M "}"
#define ENTRY "1767225600000-1"

static int setup(void **state) {
  (void)state;
  vg_test_redis_reset(&R);
  return 0;
}

static char *run(const char *line) { return vg_test_run(&R, line); }

/* --- ussd_load ------------------------------------------------------------- */

static char *load(void) {
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_ussd_load(&c, &(vg_fn_ussd_load_t){.prefix = P, .msisdn = M});
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

static void test_load(void **state) {
  (void)state;
  VG_EXPECT(load(), "[[],\"\",\"\",\"\",\"0\"]");
  static const char *const s[] = {
      "HSET " SESSION " sid 07 screen S_HOME",
      "HSET vasgw:promoter:" M " status approved staff_no 10001 name 王五",
      "HSET vasgw:sub:{" M "} optout 1", NULL};
  vg_test_setup(&R, s);
  VG_EXPECT(load(), "[[\"sid\",\"07\",\"screen\",\"S_HOME\"],\"approved\","
                    "\"10001\",\"王五\",\"1\"]");
}

/* --- ussd_view ------------------------------------------------------------- */

static char *view(const char *what, const char *arg, const char *arg2) {
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_ussd_view(&c, &(vg_fn_ussd_view_t){.prefix = P,
                                           .msisdn = M,
                                           .now = NOW,
                                           .what = what,
                                           .arg = arg,
                                           .arg2 = arg2});
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

static void test_view(void **state) {
  (void)state;
  static const char *const s[] = {
      "HSET vasgw:svc:CL name 彩铃 price 5元/月 knowledge 听歌 enabled 1",
      "HSET vasgw:svc:SJB name 手机报 price 3元/月 enabled 1",
      "HSET vasgw:svc:OLD name 旧业务 enabled 0",
      "SADD vasgw:svc:index SJB CL OLD",
      /* CL active through vasgw, SJB cancelled */
      "HSET vasgw:sub:{" M "} svc:CL active svc:SJB cancelled",
      /* offers: 1 pending (SJB), 2 declined, 3 lapsed */
      "HSET vasgw:offer:o1 state pending service SJB expires 1767312000000 "
      "created 1767225500000",
      "HSET vasgw:offer:o2 state declined service CL expires 1767312000000 "
      "created 1767225500001",
      "HSET vasgw:offer:o3 state pending service CL expires 1767225500000 "
      "created 1767225400000",
      "HSET vasgw:sub:{" M "}:offers 1 o1 2 o2 3 o3",
      "HSET vasgw:promoter:" M ":month:202601 recommended 4 activated 2 "
      "valid 1 pending_fen 300",
      "ZADD vasgw:devs:promoter:" M " 1 A1 2 A2",
      "HSET vasgw:dev:A1 activated 20260101 msisdn 8613800138001 service CL "
      "service_name 彩铃 state valid",
      "HSET vasgw:dev:A2 activated 20260102 msisdn 8613800138002 service SJB "
      "service_name 手机报 state invalid rule duplicate",
      NULL};
  vg_test_setup(&R, s);
  /* enabled only, by code */
  VG_EXPECT(view("services", "", ""),
            "[\"CL\",\"彩铃\",\"SJB\",\"手机报\"]");
  VG_EXPECT(view("service", "CL", ""),
            "[\"彩铃\",\"5元/月\",\"听歌\",\"1\"]");
  VG_EXPECT(view("service", "NONE", ""), "[\"\",\"\",\"\",\"\"]");
  /* open to an answer, as by SMS: the pending and the declined, not the
   * lapsed */
  VG_EXPECT(view("offers", "", ""), "[\"1\",\"手机报\",\"2\",\"彩铃\"]");
  VG_EXPECT(view("offer", "1", ""), "[\"SJB\",\"手机报\",\"3元/月\"]");
  VG_EXPECT(view("offer", "2", ""), "[\"CL\",\"彩铃\",\"5元/月\"]");
  VG_EXPECT(view("offer", "3", ""), "[]");
  /* active through vasgw only */
  VG_EXPECT(view("active", "", ""), "[\"CL\",\"彩铃\"]");
  VG_EXPECT(view("months", "202601", "202512"),
            "[\"4\",\"0\",\"2\",\"1\",\"0\",\"300\",\"0\","
            "\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\"]");
  /* newest first */
  VG_EXPECT(view("devs", "", ""),
            "[\"20260102\",\"8613800138002\",\"SJB\",\"手机报\",\"invalid\","
            "\"duplicate\",\"20260101\",\"8613800138001\",\"CL\",\"彩铃\","
            "\"valid\",\"\"]");
}

/* --- ussd_show -------------------------------------------------------------- */

typedef struct {
  const char *mo, *text, *by_sms;
  int last, close;
  long long expire_at;
} show_t;

static void show_call(vg_fcall_t *c, const show_t *s) {
  vg_fn_ussd_show(c, &(vg_fn_ussd_show_t){.prefix = P,
                                          .now = NOW,
                                          .msisdn = M,
                                          .mo = s->mo,
                                          .entry = ENTRY,
                                          .last = s->last,
                                          .close = s->close,
                                          .session_ttl = 180,
                                          .msg_ttl = 86400,
                                          .text = s->text,
                                          .by_sms = s->by_sms ? s->by_sms : "",
                                          .op = s->last ? 17 : 2,
                                          .its = s->last ? "0703" : "0702",
                                          .umr = "",
                                          .expire_at = s->expire_at});
  if (!s->last) {
    static const char *const f[][2] = {
        {"sid", "07"}, {"screen", "P_REC_NUMBER"}, {"page", "0"}};
    for (size_t i = 0; i < VG_ARRAY_SIZE(f); i++)
      vg_fn_ussd_show_fields(
          c, &(vg_fn_ussd_show_fields_t){.name = f[i][0], .value = f[i][1]});
  }
}

static char *show(const show_t *s) {
  vg_fcall_t c = VG_FCALL_INIT;
  show_call(&c, s);
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

/* The MO read by node n1 and not acknowledged yet, and a session with a
 * field the next screen does not have. */
static const char *const pending_mo[] = {
    "XGROUP CREATE vasgw:mo vasgw $ MKSTREAM",
    "XADD vasgw:mo " ENTRY " id m1 from " M " text 1",
    "XREADGROUP GROUP vasgw n1 COUNT 10 STREAMS vasgw:mo >",
    "HSET " SESSION " sid 07 screen P_HOME items CL,SJB", NULL};

static void test_show_screen(void **state) {
  (void)state;
  vg_test_setup(&R, pending_mo);
  show_t s = {"m1", "请输入用户手机号：", NULL, 0, 0, NOW + 10000};
  VG_EXPECT(show(&s), "\"shown\"");
  /* the session written whole (items gone), renewed */
  VG_EXPECT(run("HGETALL " SESSION),
            "[\"sid\",\"07\",\"screen\",\"P_REC_NUMBER\",\"page\",\"0\"]");
  VG_EXPECT(run("TTL " SESSION), "180");
  VG_EXPECT(run("HMGET vasgw:msg:re-m1 to text ussd_op its origin expire_at state"),
            "[\"" M "\",\"请输入用户手机号：\",\"2\",\"0702\",\"ussd\","
            "\"1767225610000\",\"queued\"]");
  VG_EXPECT(run("XLEN vasgw:mt"), "1");
  VG_EXPECT(run("XLEN vasgw:mo"), "0"); /* the MO acknowledged */
  VG_EXPECT(run("HMGET vasgw:stats ussd_screens queued"), "[\"1\",\"1\"]");
  /* the same MO again (read twice): nothing more */
  vg_fcall_t c = VG_FCALL_INIT;
  show_call(&c, &s);
  VG_EXPECT_AGAIN(&R, &c, "\"answered_before\"", NULL);
  vg_fcall_free(&c);
}

static void test_show_late(void **state) {
  (void)state;
  static const struct {
    const char *name, *late;
    long long expire_at;
  } cases[] = {
      {"the wait screen was sent", "SET vasgw:ussd:late:m1 1", NOW + 10000},
      {"past its deadline", NULL, NOW - 1},
  };
  for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++) {
    print_message("case: %s\n", cases[i].name);
    vg_test_redis_reset(&R);
    vg_test_setup(&R, pending_mo);
    if (cases[i].late)
      free(run(cases[i].late));
    show_t s = {"m1", "请输入用户手机号：", NULL, 0, 0, cases[i].expire_at};
    VG_EXPECT(show(&s), "\"dropped\"");
    VG_EXPECT(run("EXISTS " SESSION), "0");
    VG_EXPECT(run("EXISTS vasgw:msg:re-m1"), "0");
    VG_EXPECT(run("XLEN vasgw:mt"), "0");
    VG_EXPECT(run("XLEN vasgw:mo"), "0");
    VG_EXPECT(run("HGET vasgw:stats ussd_late_dropped"), "\"1\"");
    /* nothing queued: again, the same */
    vg_fcall_t c = VG_FCALL_INIT;
    show_call(&c, &s);
    VG_EXPECT_AGAIN(&R, &c, "\"dropped\"",
                    ((const char *const[]){"ussd_late_dropped", NULL}));
    vg_fcall_free(&c);
  }
}

static void test_show_last(void **state) {
  (void)state;
  /* the last screen: the session goes, unless it is another dialogue's */
  vg_test_setup(&R, pending_mo);
  show_t s = {"m1", "结果", "已短信", 1, 1, NOW + 10000};
  VG_EXPECT(show(&s), "\"shown\"");
  VG_EXPECT(run("EXISTS " SESSION), "0");
  VG_EXPECT(run("HMGET vasgw:msg:re-m1 text ussd_op its origin"),
            "[\"结果\",\"17\",\"0703\",\"ussd\"]");
  vg_fcall_t c = VG_FCALL_INIT;
  show_call(&c, &s);
  VG_EXPECT_AGAIN(&R, &c, "\"answered_before\"", NULL);
  vg_fcall_free(&c);

  vg_test_redis_reset(&R);
  vg_test_setup(&R, pending_mo);
  s.close = 0;
  VG_EXPECT(show(&s), "\"shown\"");
  VG_EXPECT(run("HGET " SESSION " screen"), "\"P_HOME\"");

  /* too long for a screen (81 Chinese characters): the text by SMS, the
   * screen says so */
  vg_test_redis_reset(&R);
  vg_test_setup(&R, pending_mo);
  char long_text[81 * 3 + 1] = "";
  for (int i = 0; i < 81; i++)
    strcat(long_text, "长");
  show_t l = {"m1", long_text, "已短信", 1, 1, NOW + 10000};
  VG_EXPECT(show(&l), "\"shown\"");
  VG_EXPECT(run("HMGET vasgw:msg:re-m1 text ussd_op"), "[\"已短信\",\"17\"]");
  char want[512];
  snprintf(want, sizeof want, "[\"%s\",nil,\"reply\"]", long_text);
  VG_EXPECT(run("HMGET vasgw:msg:rs-m1 text ussd_op origin"), want);
  /* 80 fit */
  vg_test_redis_reset(&R);
  vg_test_setup(&R, pending_mo);
  long_text[80 * 3] = '\0';
  VG_EXPECT(show(&l), "\"shown\"");
  VG_EXPECT(run("EXISTS vasgw:msg:rs-m1"), "0");

  /* late: the result by SMS, as re-<mo>, no screen */
  vg_test_redis_reset(&R);
  vg_test_setup(&R, pending_mo);
  free(run("SET vasgw:ussd:late:m1 1"));
  VG_EXPECT(show(&s), "\"sms\"");
  VG_EXPECT(run("HMGET vasgw:msg:re-m1 text ussd_op origin"),
            "[\"结果\",nil,\"reply\"]");
  VG_EXPECT(run("HGET vasgw:stats ussd_late_sms"), "\"1\"");
}

/* --- ussd_close ------------------------------------------------------------- */

static char *close_call(const char *sid) {
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_ussd_close(&c, &(vg_fn_ussd_close_t){
                           .prefix = P, .msisdn = M, .sid = sid, .entry = ENTRY});
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

static void test_close(void **state) {
  (void)state;
  vg_test_setup(&R, pending_mo);
  /* another dialogue's end leaves this one */
  VG_EXPECT(close_call("08"), "0");
  VG_EXPECT(run("HGET " SESSION " sid"), "\"07\"");
  VG_EXPECT(run("XLEN vasgw:mo"), "0");
  VG_EXPECT(close_call("07"), "1");
  VG_EXPECT(run("EXISTS " SESSION), "0");
  VG_EXPECT(run("HGET vasgw:stats ussd_aborts"), "\"2\"");
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_ussd_close(&c, &(vg_fn_ussd_close_t){
                           .prefix = P, .msisdn = M, .sid = "07", .entry = ENTRY});
  VG_EXPECT_AGAIN(&R, &c, "0", ((const char *const[]){"ussd_aborts", NULL}));
  vg_fcall_free(&c);
}

static int group_setup(void **state) {
  (void)state;
  vg_test_redis_start(&R);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  vg_test_redis_stop(&R);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_load, setup),
      cmocka_unit_test_setup(test_view, setup),
      cmocka_unit_test_setup(test_show_screen, setup),
      cmocka_unit_test_setup(test_show_late, setup),
      cmocka_unit_test_setup(test_show_last, setup),
      cmocka_unit_test_setup(test_close, setup),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
