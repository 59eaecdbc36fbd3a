/*
 * test_ledger.c — handlers/lua/ledger.lua against a real redis-server: the
 * development an activation earns its promoter (credit), reached as in
 * production through the gateway's order_result with outcome ok.  The
 * commission rule in force on the activation day at its boundaries
 * (table-driven), the catalogue's amount when there are no rules, the
 * development's record, indices and counters, and credited once only.
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
#define M "8613800138000"
#define PR "8613900139000"
#define NOW 1767225600000LL /* 2026-01-01T00:00:00Z, 08:00 local */
#define NOW_S "1767225600000"
#define SUB "vasgw:sub:{" M "}"
#define RULES "vasgw:svc:CL:rules"

/*
 * Every case starts with: CL in the catalogue (commission_fen 250, the
 * amount last set), the subscriber's CL being ordered, the activation
 * order Ao1 of promoter PR's offer o1 in its first call, and PR's record.
 */
static const char *const base[] = {
    "HSET vasgw:svc:CL code CL name 彩铃 commission_fen 250 enabled 1",
    "SADD vasgw:svc:index CL",
    "HSET " SUB " svc:CL ordering svc:CL:at 1767225000000",
    "HSET vasgw:order:Ao1 id Ao1 action activate msisdn " M " service CL "
    "channel sms promoter " PR " offer o1 state sending attempts 1",
    "HSET vasgw:promoter:" PR " msisdn " PR " name 张三 outlet 城关营业厅 "
    "staff_no 10001 status approved",
    NULL};

static int setup(void **state) {
  (void)state;
  vg_test_redis_reset(&R);
  vg_test_setup(&R, base);
  return 0;
}

/* "field=value" items by field. */
static int cmp_field(const void *a, const void *b) {
  const char *x = *(char *const *)a, *y = *(char *const *)b;
  size_t nx = strcspn(x, "="), ny = strcspn(y, "=");
  int c = strncmp(x, y, nx < ny ? nx : ny);
  return c ? c : (nx > ny) - (nx < ny);
}

/* A hash as "field=value ..." sorted by field ("" when it does not exist):
 * a record compared whole, so that a field written too many is seen. */
static char *sorted_hash(const char *key) {
  redisReply *r = redisCommand(R.rc, "HGETALL %s", key);
  size_t n = r->elements / 2, len = 1;
  char **items = calloc(n ? n : 1, sizeof *items);
  for (size_t i = 0; i < n; i++) {
    const redisReply *f = r->element[2 * i], *v = r->element[2 * i + 1];
    items[i] = malloc(f->len + v->len + 2);
    sprintf(items[i], "%s=%s", f->str, v->str);
    len += f->len + v->len + 2;
  }
  qsort(items, n, sizeof *items, cmp_field);
  char *out = calloc(1, len);
  for (size_t i = 0; i < n; i++) {
    if (i)
      strcat(out, " ");
    strcat(out, items[i]);
    free(items[i]);
  }
  free(items);
  freeReplyObject(r);
  return out;
}

/* order_result for Ao1's first call, answered `outcome` on local day
 * `day`: the reply. */
static char *result(const char *outcome, const char *day) {
  char month[8];
  snprintf(month, sizeof month, "%.6s", day);
  vg_fn_order_result_t a = {.prefix = P,
                            .now = NOW,
                            .order = "Ao1",
                            .outcome = outcome,
                            .attempt = 1,
                            .detail = "HTTP 200",
                            .reason = "",
                            .next_at = NOW + 1000,
                            .duration = 15,
                            .msg_id = "",
                            .msg_text = "",
                            .msg_ttl = 7 * 86400,
                            .src = "",
                            .entry = "",
                            .month = month,
                            .day = day};
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_order_result(&c, &a);
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

/* The development of Ao1 credited `amount` by the rule of `since` ("" for
 * the catalogue's amount), activated on `day`. */
static void expect_dev(const char *day, long long amount, const char *since,
                       const char *service_name) {
  char want[512];
  snprintf(want, sizeof want,
           "activated=%s activated_at=" NOW_S " amount_fen=%lld channel=sms "
           "id=Ao1 month=%.6s msisdn=" M " offer=o1 order=Ao1 "
           "outlet=城关营业厅 promoter=" PR " rule_since=%s service=CL "
           "service_name=%s staff_no=10001 state=pending",
           day, amount, day, since, service_name);
  VG_EXPECT(sorted_hash("vasgw:dev:Ao1"), want);
  /* the indices, scored by activated_at */
  snprintf(want, sizeof want, "ZRANGE vasgw:devs:month:%.6s 0 -1 WITHSCORES",
           day);
  VG_EXPECT(vg_test_run(&R, want), "[\"Ao1\",\"" NOW_S "\"]");
  VG_EXPECT(vg_test_run(&R, "ZRANGE vasgw:devs:promoter:" PR " 0 -1 WITHSCORES"),
            "[\"Ao1\",\"" NOW_S "\"]");
  VG_EXPECT(vg_test_run(&R, "ZRANGE vasgw:devs:sub:{" M "} 0 -1 WITHSCORES"),
            "[\"Ao1\",\"" NOW_S "\"]");
  /* the promoter's month: one more activated, the amount pending */
  char key[96];
  snprintf(key, sizeof key, "vasgw:promoter:" PR ":month:%.6s", day);
  snprintf(want, sizeof want, "activated=1 pending_fen=%lld", amount);
  VG_EXPECT(sorted_hash(key), want);
  VG_EXPECT(sorted_hash("vasgw:stats"), "developments=1 orders_done=1");
  VG_EXPECT(vg_test_run(&R, "HMGET " SUB " svc:CL svc:CL:order"),
            "[\"active\",\"Ao1\"]");
}

/* --- the rule in force on the activation day -------------------------------- */

typedef struct {
  const char *name;
  const char *setup[6];
  const char *day;
  long long amount;
  const char *since;
  const char *service_name;
} rule_case_t;

static const rule_case_t rule_cases[] = {
    {"a rule dated the activation day",
     {"ZADD " RULES " 20260101 20260101:500"}, "20260101", 500, "20260101",
     "彩铃"},
    {"a rule dated the next day does not apply",
     {"ZADD " RULES " 20251201 20251201:300 20260102 20260102:700"},
     "20260101", 300, "20251201", "彩铃"},
    {"... and does the next day",
     {"ZADD " RULES " 20251201 20251201:300 20260102 20260102:700"},
     "20260102", 700, "20260102", "彩铃"},
    /* written out of date order: the date decides, not the order */
    {"several rules: the latest not after the day",
     {"ZADD " RULES " 20260201 20260201:900 20250101 20250101:100 "
      "20251231 20251231:400 20251101 20251101:300"},
     "20260101", 400, "20251231", "彩铃"},
    {"a rule of 0 fen is a rule",
     {"ZADD " RULES " 20251201 20251201:0"}, "20260101", 0, "20251201",
     "彩铃"},
    /* a service from before rules existed, as the CLI keeps it */
    {"the rule since always",
     {"ZADD " RULES " 0 00000000:150 20260102 20260102:700"}, "20260101", 150,
     "00000000", "彩铃"},
    {"no rules: the catalogue's commission_fen", {NULL}, "20260101", 250, "",
     "彩铃"},
    {"no rules and no commission_fen",
     {"HDEL vasgw:svc:CL commission_fen"}, "20260101", 0, "", "彩铃"},
    /* rules exist, none in force yet: nothing, not the catalogue's amount
     * (which is the one last set, maybe for a later date) */
    {"rules, none on or before the day",
     {"ZADD " RULES " 20260102 20260102:700"}, "20260101", 0, "", "彩铃"},
    {"the service gone from the catalogue", {"DEL vasgw:svc:CL"}, "20260101",
     0, "", "CL"},
};

static void test_rules(void **state) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(rule_cases); i++) {
    const rule_case_t *k = &rule_cases[i];
    print_message("case: %s\n", k->name);
    setup(state);
    vg_test_setup(&R, k->setup);
    VG_EXPECT(result("ok", k->day), "\"done\"");
    expect_dev(k->day, k->amount, k->since, k->service_name);
  }
}

/* --- once ------------------------------------------------------------------ */

/* order_result twice (its reply lost): the order is final, nothing is
 * credited or counted again. */
static void test_twice(void **state) {
  (void)state;
  vg_test_setup(&R, (const char *const[]){"ZADD " RULES " 20251201 20251201:300",
                                          NULL});
  VG_EXPECT(result("ok", "20260101"), "\"done\"");
  char *before = vg_test_snapshot(&R, NULL);
  VG_EXPECT(result("ok", "20260101"), "\"done\"");
  char *after = vg_test_snapshot(&R, NULL);
  assert_string_equal(before, after);
  free(before);
  free(after);
  expect_dev("20260101", 300, "20251201", "彩铃");
}

/* A development there already (the order's state put back by hand) is
 * not credited again, nor counted; the service still follows the order. */
static void test_dev_exists(void **state) {
  (void)state;
  vg_test_setup(&R, (const char *const[]){
                        "HSET vasgw:dev:Ao1 id Ao1 amount_fen 300 state valid",
                        "HSET vasgw:promoter:" PR ":month:202601 activated 1 "
                        "pending_fen 0 settled_fen 300",
                        NULL});
  VG_EXPECT(result("ok", "20260101"), "\"done\"");
  VG_EXPECT(sorted_hash("vasgw:dev:Ao1"), "amount_fen=300 id=Ao1 state=valid");
  VG_EXPECT(sorted_hash("vasgw:promoter:" PR ":month:202601"),
            "activated=1 pending_fen=0 settled_fen=300");
  VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:devs:month:202601 "
                            "vasgw:devs:promoter:" PR " vasgw:devs:sub:{" M "}"),
            "0");
  VG_EXPECT(sorted_hash("vasgw:stats"), "orders_done=1");
  VG_EXPECT(vg_test_run(&R, "HGET " SUB " svc:CL"), "\"active\"");
}

/* The month's counters gain one activation and its amount. */
static void test_adds_to_month(void **state) {
  (void)state;
  vg_test_setup(&R, (const char *const[]){
                        "ZADD " RULES " 20251201 20251201:300",
                        "HSET vasgw:promoter:" PR ":month:202601 recommended 3 "
                        "confirmed 2 activated 1 pending_fen 500",
                        "ZADD vasgw:devs:month:202601 1767225000000 Ao0",
                        "HSET vasgw:stats developments 4",
                        NULL});
  VG_EXPECT(result("ok", "20260101"), "\"done\"");
  VG_EXPECT(sorted_hash("vasgw:promoter:" PR ":month:202601"),
            "activated=2 confirmed=2 pending_fen=800 recommended=3");
  VG_EXPECT(vg_test_run(&R, "ZRANGE vasgw:devs:month:202601 0 -1 WITHSCORES"),
            "[\"Ao0\",\"1767225000000\",\"Ao1\",\"" NOW_S "\"]");
  VG_EXPECT(sorted_hash("vasgw:stats"), "developments=5 orders_done=1");
}

/* The promoter's record gone: credited all the same, its fields empty. */
static void test_promoter_record_gone(void **state) {
  (void)state;
  vg_test_setup(&R, (const char *const[]){"DEL vasgw:promoter:" PR, NULL});
  VG_EXPECT(result("ok", "20260101"), "\"done\"");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:dev:Ao1 promoter staff_no outlet "
                            "amount_fen state"),
            "[\"" PR "\",\"\",\"\",\"250\",\"pending\"]");
  VG_EXPECT(sorted_hash("vasgw:promoter:" PR ":month:202601"),
            "activated=1 pending_fen=250");
}

/* --- no development --------------------------------------------------------- */

/* No promoter, or an order not done: no development, no counter, no
 * index; the service follows the order all the same. */
static void test_none(void **state) {
  static const struct {
    const char *name;
    const char *setup[3];
    const char *outcome, *want, *svc, *stats;
  } cases[] = {
      {"no promoter", {"HSET vasgw:order:Ao1 promoter \"\""}, "ok", "\"done\"",
       "\"active\"", "orders_done=1"},
      {"no promoter field", {"HDEL vasgw:order:Ao1 promoter"}, "ok",
       "\"done\"", "\"active\"", "orders_done=1"},
      {"rejected", {NULL}, "rejected", "\"rejected\"", "nil",
       "orders_rejected=1"},
      {"failed", {NULL}, "failed", "\"failed\"", "nil", "orders_failed=1"},
      {"retry", {NULL}, "retry", "\"retrying\"", "\"ordering\"", ""},
  };
  for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++) {
    print_message("case: %s\n", cases[i].name);
    setup(state);
    vg_test_setup(&R, (const char *const[]){"ZADD " RULES " 20251201 20251201:300",
                                            NULL});
    vg_test_setup(&R, cases[i].setup);
    VG_EXPECT(result(cases[i].outcome, "20260101"), cases[i].want);
    VG_EXPECT(vg_test_run(&R, "KEYS vasgw:dev*"), "[]");
    VG_EXPECT(vg_test_run(&R, "KEYS vasgw:promoter:*:month:*"), "[]");
    VG_EXPECT(sorted_hash("vasgw:stats"), cases[i].stats);
    VG_EXPECT(vg_test_run(&R, "HGET " SUB " svc:CL"), cases[i].svc);
  }
}

int main(void) {
  vg_test_redis_start(&R);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_rules, setup),
      cmocka_unit_test_setup(test_twice, setup),
      cmocka_unit_test_setup(test_dev_exists, setup),
      cmocka_unit_test_setup(test_adds_to_month, setup),
      cmocka_unit_test_setup(test_promoter_record_gone, setup),
      cmocka_unit_test_setup(test_none, setup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vg_test_redis_stop(&R);
  return rc;
}
