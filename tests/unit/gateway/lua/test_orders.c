/*
 * test_orders.c — gateway/lua/orders.lua and lock.lua against a real
 * redis-server: the start of a webhook call (order_attempt), what it came
 * to (order_result: the order's state, the subscriber's service and the
 * promoter's development through hooks.order_final, the result SMS, the
 * stream entry), a lock given back by its holder only (lock_release) or
 * held and renewed (lock_hold), and the counters' history (stats_snapshot).
 * Table-driven; every call is also made a second time to prove that the
 * repeat (a reply lost with the connection) changes nothing.
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
#define PR "8613900139000" /* the promoter of the offer */
#define TTL (7 * 86400)
#define T0 1767225600000     /* the order made (2026-01-01T08:00+08:00) */
#define T_CALL 1767225601000 /* the call before this one */
#define NOW 1767225602000
#define S(x) #x
#define NUM(x) S(x)

#define ORDER "vasgw:order:A1"
#define SUB "vasgw:sub:{" M "}"

/* Order A1 as order_new made it (the fields these functions read), its
 * stream entry 1-1 read by node n1, and the subscriber ordering CL. */
static const char *const base[] = {
    "HSET " ORDER " id A1 action activate msisdn " M " service CL channel sms "
    "promoter " PR " offer o1 state queued attempts 0",
    "XADD vasgw:orders 1-1 id A1", "XGROUP CREATE vasgw:orders vasgw 0",
    "XREADGROUP GROUP vasgw n1 STREAMS vasgw:orders >",
    "HSET " SUB " svc:CL ordering svc:CL:at " NUM(T0),
    "HSET vasgw:svc:CL code CL name 彩铃 commission_fen 250 enabled 1",
    "HSET vasgw:promoter:" PR " msisdn " PR " staff_no 10001 outlet 营业厅",
    NULL};

static int setup(void **state) {
  (void)state;
  vg_test_redis_reset(&R);
  vg_test_setup(&R, base);
  return 0;
}

/* --- what is stored, as text ---------------------------------------------- */

/* "f=v" words by their field name (svc:CL before svc:CL:at). */
static int cmp_str(const void *a, const void *b) {
  const char *x = *(char *const *)a, *y = *(char *const *)b;
  size_t nx = strcspn(x, "="), ny = strcspn(y, "=");
  int c = strncmp(x, y, nx < ny ? nx : ny);
  return c ? c : nx != ny ? (nx < ny ? -1 : 1) : strcmp(x, y);
}

/* Every field of hash `key`, sorted, "f=v f=v" (malloc'd; "" when there is
 * no such key): a record compared whole, so that a field written by
 * mistake shows as surely as one missing. */
static char *record(const char *key) {
  redisReply *r = redisCommand(R.rc, "HGETALL %s", key);
  size_t n = r->elements / 2, len = 1;
  char **w = calloc(n ? n : 1, sizeof *w);
  for (size_t i = 0; i < n; i++) {
    const redisReply *f = r->element[2 * i], *v = r->element[2 * i + 1];
    w[i] = malloc(f->len + v->len + 2);
    sprintf(w[i], "%.*s=%.*s", (int)f->len, f->str, (int)v->len, v->str);
    len += strlen(w[i]) + 1;
  }
  freeReplyObject(r);
  qsort(w, n, sizeof *w, cmp_str);
  char *s = malloc(len);
  s[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    if (i)
      strcat(s, " ");
    strcat(s, w[i]);
    free(w[i]);
  }
  free(w);
  return s;
}

static char *stats(void) { return record("vasgw:stats"); }

/* The orders stream: entries left, and who holds the pending ones. */
static char *orders_stream(void) {
  redisReply *n = redisCommand(R.rc, "XLEN vasgw:orders");
  char *p = vg_test_run(&R, "XPENDING vasgw:orders vasgw");
  char *s = malloc(strlen(p) + 32);
  sprintf(s, "entries=%lld pending=%s", n->integer, p);
  freeReplyObject(n);
  free(p);
  return s;
}

/* The reply a function gives when it answers `head` and then the order's
 * record (HGETALL, in Redis's order), as text (malloc'd). */
static char *with_record(const char *head) {
  char *h = vg_test_run(&R, "HGETALL " ORDER);
  char *s = malloc(strlen(head) + strlen(h) + 4);
  sprintf(s, "[%s,%s", head, h + 1);
  free(h);
  return s;
}

/* Call `c` again: the reply `want`, and nothing stored changes. */
static void again(const vg_fcall_t *c, const char *want) {
  VG_EXPECT_AGAIN(&R, c, want, NULL);
}

/* --- order_attempt -------------------------------------------------------- */

static void attempt_call(vg_fcall_t *c, const char *entry, long long max,
                         const char *token) {
  vg_fn_order_attempt_t a = {.prefix = P,
                             .now = NOW,
                             .order = "A1",
                             .entry = entry,
                             .node = "n2",
                             .max_attempts = max,
                             .call = token};
  vg_fn_order_attempt(c, &a);
}

typedef struct {
  const char *name;
  const char *setup[3];
  int no_entry; /* not read from the stream: entry "" */
  long long max;
  const char *token;
  const char *want;  /* the reply; with the record after it when `rec` */
  int rec;
  const char *record; /* the order after */
  const char *holder; /* the stream entry's pending list after */
} attempt_case_t;

/* The order's record, sorted: action attempts call channel id
 * last_attempt_at last_error logged msisdn next_at node offer promoter
 * service state. */
#define A_HEAD "action=activate attempts="
#define A_ID " channel=sms id=A1"
#define A_M " msisdn=" M
#define A_TAIL " offer=o1 promoter=" PR " service=CL state="
/* Made just now by n2, with token c1. */
#define A_NOW(n, mid, next, state)                                         \
  A_HEAD n " call=c1" A_ID " last_attempt_at=" NUM(NOW) mid A_M next       \
  " node=n2" A_TAIL state
#define RETRYING(n, next)                                                  \
  "HSET " ORDER " state retrying attempts " n " next_at " next             \
  " last_error \"HTTP 503\" logged " n " last_attempt_at " NUM(T_CALL)    \
  " node n1 call c0"
#define R_MID " last_error=HTTP 503 logged="
/* A call cut short by a restart: sending, token c0. */
#define SENDING(n)                                                         \
  "HSET " ORDER " state sending attempts " n " last_attempt_at " NUM(T_CALL) \
  " node n1 call c0"
#define SENT_BY_N1(n)                                                      \
  A_HEAD n " call=c0" A_ID " last_attempt_at=" NUM(T_CALL) A_M " node=n1"  \
  A_TAIL "sending"

#define BY_N1 "[1,\"1-1\",\"1-1\",[[\"n1\",\"1\"]]]"
#define BY_N2 "[1,\"1-1\",\"1-1\",[[\"n2\",\"1\"]]]"

static const attempt_case_t attempt_cases[] = {
    {"missing", {"DEL " ORDER, NULL}, 0, 3, "c1", "[\"missing\"]", 0, "",
     BY_N1},
    {"done", {"HSET " ORDER " state done", NULL}, 0, 3, "c1",
     "[\"final\",\"done\"]", 0, A_HEAD "0" A_ID A_M A_TAIL "done", BY_N1},
    {"rejected", {"HSET " ORDER " state rejected", NULL}, 0, 3, "c1",
     "[\"final\",\"rejected\"]", 0, A_HEAD "0" A_ID A_M A_TAIL "rejected",
     BY_N1},
    {"failed", {"HSET " ORDER " state failed", NULL}, 0, 3, "c1",
     "[\"final\",\"failed\"]", 0, A_HEAD "0" A_ID A_M A_TAIL "failed", BY_N1},
    /* Waiting to be retried: not before next_at. */
    {"retrying, 1 ms early", {RETRYING("1", NUM(1767225602001)), NULL}, 0, 3,
     "c1", "[\"wait\",\"" NUM(1767225602001) "\"]", 0,
     A_HEAD "1 call=c0" A_ID " last_attempt_at=" NUM(T_CALL) R_MID "1" A_M
            " next_at=" NUM(1767225602001) " node=n1" A_TAIL "retrying",
     BY_N1},
    {"retrying, due", {RETRYING("1", NUM(NOW)), NULL}, 0, 3, "c1",
     "\"go\",\"2\"", 1,
     A_NOW("2", R_MID "1", " next_at=" NUM(NOW), "sending"),
     BY_N2},
    /* After max_attempts answered calls: no more calls; the caller fails
     * it (order_result). */
    {"retrying, max attempts made", {RETRYING("3", NUM(T_CALL)), NULL}, 0, 3,
     "c1", "\"exhausted\",\"3\"", 1,
     A_HEAD "3 call=c0" A_ID " last_attempt_at=" NUM(T_CALL) R_MID "3" A_M
            " next_at=" NUM(T_CALL) " node=n1" A_TAIL "retrying",
     BY_N1},
    {"retrying, one attempt left", {RETRYING("2", NUM(T_CALL)), NULL}, 0, 3,
     "c1", "\"go\",\"3\"", 1,
     A_NOW("3", R_MID "2", " next_at=" NUM(T_CALL), "sending"),
     BY_N2},
    /* The first call: counted before it is made; the entry is claimed so
     * that no other node takes it meanwhile. */
    {"queued", {NULL}, 0, 3, "c1", "\"go\",\"1\"", 1,
     A_NOW("1", "", "", "sending"), BY_N2},
    {"queued, not read from the stream", {NULL}, 1, 3, "c1",
     "\"go\",\"1\"", 1, A_NOW("1", "", "", "sending"), BY_N1},
    /* The same call again (its reply was lost): the same attempt, nothing
     * counted, nothing claimed. */
    {"sending, the same token", {SENDING("1"), NULL}, 0, 3, "c0",
     "\"go\",\"1\"", 1, SENT_BY_N1("1"), BY_N1},
    /* A call cut short by a restart: made again, and counted; even past
     * max_attempts, since it was never answered. */
    {"sending, a new token", {SENDING("1"), NULL}, 0, 3, "c1", "\"go\",\"2\"",
     1, A_NOW("2", "", "", "sending"), BY_N2},
    {"sending at max attempts, a new token", {SENDING("3"), NULL}, 0, 3, "c1",
     "\"go\",\"4\"", 1, A_NOW("4", "", "", "sending"), BY_N2},
};

static void test_attempt(void **state) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(attempt_cases); i++) {
    const attempt_case_t *k = &attempt_cases[i];
    print_message("case: %s\n", k->name);
    setup(state);
    vg_test_setup(&R, k->setup);
    vg_fcall_t c = VG_FCALL_INIT;
    attempt_call(&c, k->no_entry ? "" : "1-1", k->max, k->token);
    char *got = vg_test_fcall(&R, &c);
    char *want = k->rec ? with_record(k->want) : strdup(k->want);
    VG_EXPECT(got, want);
    VG_EXPECT(record(ORDER), k->record);
    char *stream = orders_stream();
    char wstream[128];
    snprintf(wstream, sizeof wstream, "entries=1 pending=%s", k->holder);
    VG_EXPECT(stream, wstream);
    /* Nothing else: the subscriber and the counters are order_result's. */
    VG_EXPECT(record(SUB), "svc:CL=ordering svc:CL:at=" NUM(T0));
    VG_EXPECT(stats(), "");
    again(&c, want);
    free(want);
    vg_fcall_free(&c);
  }
}

/* --- order_result --------------------------------------------------------- */

typedef struct {
  const char *outcome, *detail, *reason;
  long long next_at;
  const char *msg_id;
} outcome_t;

static void result_call(vg_fcall_t *c, const outcome_t *o, long long attempt,
                        long long now) {
  vg_fn_order_result_t a = {.prefix = P,
                            .now = now,
                            .order = "A1",
                            .outcome = o->outcome,
                            .attempt = attempt,
                            .detail = o->detail,
                            .reason = o->reason,
                            .next_at = o->next_at,
                            .duration = 120,
                            .msg_id = o->msg_id,
                            .msg_text = "已开通",
                            .msg_ttl = TTL,
                            .src = "",
                            .entry = "1-1",
                            .month = "202601",
                            .day = "20260101"};
  vg_fn_order_result(c, &a);
}

typedef struct {
  const char *name;
  const char *setup[3]; /* after the call was started (order_attempt) */
  outcome_t o;
  const char *want;
  const char *record; /* the order after */
  const char *sub;    /* the subscriber after */
  const char *stats;
  const char *calls;  /* order:A1:attempts */
  const char *sms;    /* msg:or-A1 */
  const char *stream; /* the orders stream */
  const char *dev;    /* dev:A1 */
  const char *month;  /* the promoter's month */
} result_case_t;

/* After order_attempt: sending, attempt 1 by n1 with token c1. */
#define STARTED                                                            \
  "HSET " ORDER " state sending attempts 1 last_attempt_at " NUM(T_CALL)   \
  " node n1 call c1"
/* The order after, sorted: action attempts call channel done_at id
 * last_attempt_at last_error logged msisdn next_at node offer promoter
 * reason service state. */
#define O_HEAD(action) "action=" action " attempts=1 call=c1 channel=sms"
#define O_DONE " done_at=" NUM(NOW)
#define O_ID " id=A1 last_attempt_at=" NUM(T_CALL)
#define O_ERR(e) " last_error=" e
#define O_M " logged=1 msisdn=" M
#define O_TAIL(promoter, reason, state)                                    \
  " node=n1 offer=o1 promoter=" promoter reason " service=CL state=" state
#define FINAL(action, err, promoter, reason, state)                        \
  O_HEAD(action) O_DONE O_ID err O_M O_TAIL(promoter, " reason=" reason, state)

#define SMS                                                                \
  "created=" NUM(NOW) " id=or-A1 origin=order state=queued text=已开通 "   \
  "to=" M
#define ACKED "entries=0 pending=[0,nil,nil,nil]"
#define HELD_BY_N1 "entries=1 pending=[1,\"1-1\",\"1-1\",[[\"n1\",\"1\"]]]"
#define CALL(outcome, detail, reason)                                      \
  "[\"1|" NUM(NOW) "|120|" outcome "|" detail "|" reason "\"]"
#define DEV(amount, since)                                                 \
  "activated=20260101 activated_at=" NUM(NOW) " amount_fen=" amount        \
  " channel=sms id=A1 month=202601 msisdn=" M " offer=o1 order=A1 "        \
  "outlet=营业厅 promoter=" PR " rule_since=" since " service=CL "         \
  "service_name=彩铃 staff_no=10001 state=pending"

#define OK {"ok", "HTTP 200", "", 0, "or-A1"}
#define ACTIVE "svc:CL=active svc:CL:at=" NUM(NOW) " svc:CL:order=A1"
#define DEACTIVATE "HSET " ORDER " action deactivate promoter \"\""
#define CANCELLING                                                         \
  "HSET " SUB " svc:CL cancelling svc:CL:order A0"

static const result_case_t result_cases[] = {
    /* Called again later: the entry stays held by its node meanwhile. */
    {"retry",
     {NULL},
     {"retry", "HTTP 503", "", 1767225607000, ""},
     "\"retrying\"",
     O_HEAD("activate") O_ID O_ERR("HTTP 503") O_M " next_at=" NUM(
         1767225607000) O_TAIL(PR, "", "retrying"),
     "svc:CL=ordering svc:CL:at=" NUM(T0),
     "",
     CALL("retry", "HTTP 503", ""),
     "",
     HELD_BY_N1,
     "",
     ""},
    /* Done for a promoter's offer: the service active with its order, the
     * development credited at the rule in force that day (20250101's; the
     * one from tomorrow does not count yet). */
    {"ok, by a rule",
     {"ZADD vasgw:svc:CL:rules 20250101 20250101:300 20260102 20260102:500",
      NULL},
     OK,
     "\"done\"",
     FINAL("activate", "", PR, "", "done"),
     ACTIVE,
     "developments=1 orders_done=1 queued=1",
     CALL("ok", "HTTP 200", ""),
     SMS,
     ACKED,
     DEV("300", "20250101"),
     "activated=1 pending_fen=300"},
    {"ok, a rule from that very day",
     {"ZADD vasgw:svc:CL:rules 20250101 20250101:300 20260101 20260101:400",
      NULL},
     OK,
     "\"done\"",
     FINAL("activate", "", PR, "", "done"),
     ACTIVE,
     "developments=1 orders_done=1 queued=1",
     CALL("ok", "HTTP 200", ""),
     SMS,
     ACKED,
     DEV("400", "20260101"),
     "activated=1 pending_fen=400"},
    /* A service from before rules existed: the catalogue's amount. */
    {"ok, no rules",
     {NULL},
     OK,
     "\"done\"",
     FINAL("activate", "", PR, "", "done"),
     ACTIVE,
     "developments=1 orders_done=1 queued=1",
     CALL("ok", "HTTP 200", ""),
     SMS,
     ACKED,
     DEV("250", ""),
     "activated=1 pending_fen=250"},
    /* Active already through another order: the state stays that
     * order's, but the promoter earns the activation this one did. */
    {"ok, the service active through another order",
     {"HSET " SUB " svc:CL active svc:CL:order A0", NULL},
     OK,
     "\"done\"",
     FINAL("activate", "", PR, "", "done"),
     "svc:CL=active svc:CL:at=" NUM(T0) " svc:CL:order=A0",
     "developments=1 orders_done=1 queued=1",
     CALL("ok", "HTTP 200", ""),
     SMS,
     ACKED,
     DEV("250", ""),
     "activated=1 pending_fen=250"},
    {"ok, no promoter, no result SMS",
     {"HSET " ORDER " promoter \"\"", NULL},
     {"ok", "HTTP 200", "", 0, ""},
     "\"done\"",
     FINAL("activate", "", "", "", "done"),
     ACTIVE,
     "orders_done=1",
     CALL("ok", "HTTP 200", ""),
     "",
     ACKED,
     "",
     ""},
    /* Not activated: the subscriber's 'ordering' goes, so that they may be
     * offered the service again. */
    {"rejected",
     {NULL},
     {"rejected", "HTTP 200", "欠费", 0, "or-A1"},
     "\"rejected\"",
     FINAL("activate", O_ERR("HTTP 200"), PR, "欠费", "rejected"),
     "",
     "orders_rejected=1 queued=1",
     CALL("rejected", "HTTP 200", "欠费"),
     SMS,
     ACKED,
     "",
     ""},
    {"failed",
     {NULL},
     {"failed", "max_attempts reached", "", 0, "or-A1"},
     "\"failed\"",
     FINAL("activate", O_ERR("max_attempts reached"), PR, "", "failed"),
     "",
     "orders_failed=1 queued=1",
     CALL("failed", "max_attempts reached", ""),
     SMS,
     ACKED,
     "",
     ""},
    /* Active meanwhile through another order: this one's rejection does
     * not take it away. */
    {"rejected, the service active through another order",
     {"HSET " SUB " svc:CL active svc:CL:order A0", NULL},
     {"rejected", "HTTP 409", "", 0, "or-A1"},
     "\"rejected\"",
     FINAL("activate", O_ERR("HTTP 409"), PR, "", "rejected"),
     "svc:CL=active svc:CL:at=" NUM(T0) " svc:CL:order=A0",
     "orders_rejected=1 queued=1",
     CALL("rejected", "HTTP 409", ""),
     SMS,
     ACKED,
     "",
     ""},
    {"deactivation done",
     {DEACTIVATE, CANCELLING, NULL},
     OK,
     "\"done\"",
     FINAL("deactivate", "", "", "", "done"),
     "svc:CL=cancelled svc:CL:at=" NUM(NOW) " svc:CL:order=A0",
     "orders_done=1 queued=1",
     CALL("ok", "HTTP 200", ""),
     SMS,
     ACKED,
     "",
     ""},
    /* Not deactivated: the service is the subscriber's still. */
    {"deactivation failed",
     {DEACTIVATE, CANCELLING, NULL},
     {"failed", "HTTP 503", "", 0, "or-A1"},
     "\"failed\"",
     FINAL("deactivate", O_ERR("HTTP 503"), "", "", "failed"),
     "svc:CL=active svc:CL:at=" NUM(NOW) " svc:CL:order=A0",
     "orders_failed=1 queued=1",
     CALL("failed", "HTTP 503", ""),
     SMS,
     ACKED,
     "",
     ""},
    {"deactivation rejected",
     {DEACTIVATE, CANCELLING, NULL},
     {"rejected", "HTTP 400", "不可退订", 0, "or-A1"},
     "\"rejected\"",
     FINAL("deactivate", O_ERR("HTTP 400"), "", "不可退订", "rejected"),
     "svc:CL=active svc:CL:at=" NUM(NOW) " svc:CL:order=A0",
     "orders_rejected=1 queued=1",
     CALL("rejected", "HTTP 400", "不可退订"),
     SMS,
     ACKED,
     "",
     ""},
};

static void test_result(void **state) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(result_cases); i++) {
    const result_case_t *k = &result_cases[i];
    print_message("case: %s\n", k->name);
    setup(state);
    vg_test_setup(&R, (const char *const[]){STARTED, NULL});
    vg_test_setup(&R, k->setup);
    vg_fcall_t c = VG_FCALL_INIT;
    result_call(&c, &k->o, 1, NOW);
    VG_EXPECT(vg_test_fcall(&R, &c), k->want);
    VG_EXPECT(record(ORDER), k->record);
    VG_EXPECT(record(SUB), k->sub);
    VG_EXPECT(stats(), k->stats);
    VG_EXPECT(vg_test_run(&R, "LRANGE " ORDER ":attempts 0 -1"), k->calls);
    VG_EXPECT(record("vasgw:msg:or-A1"), k->sms);
    VG_EXPECT(vg_test_run(&R, "XLEN vasgw:mt"), *k->sms ? "1" : "0");
    VG_EXPECT(orders_stream(), k->stream);
    VG_EXPECT(record("vasgw:dev:A1"), k->dev);
    VG_EXPECT(record("vasgw:promoter:" PR ":month:202601"), k->month);
    if (*k->dev) {
      VG_EXPECT(vg_test_run(&R, "ZRANGE vasgw:devs:month:202601 0 -1 "
                                "WITHSCORES"),
                "[\"A1\",\"" NUM(NOW) "\"]");
      VG_EXPECT(vg_test_run(&R, "ZRANGE vasgw:devs:promoter:" PR " 0 -1"),
                "[\"A1\"]");
      VG_EXPECT(vg_test_run(&R, "ZRANGE vasgw:devs:sub:{" M "} 0 -1"),
                "[\"A1\"]");
    } else {
      VG_EXPECT(vg_test_run(&R, "KEYS vasgw:devs:*"), "[]");
    }
    /* Recorded again (the reply was lost): the call logged once, one
     * development, one SMS, the counters as they were. */
    again(&c, k->want);
    vg_fcall_free(&c);
  }
}

/* The result SMS carries the configured source address, and goes once
 * even when an order's result is recorded twice by two nodes with
 * different times. */
static void test_result_sms(void **state) {
  vg_test_setup(&R, (const char *const[]){STARTED, NULL});
  const outcome_t ok = OK;
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_order_result_t a = {.prefix = P,
                            .now = NOW,
                            .order = "A1",
                            .outcome = "ok",
                            .attempt = 1,
                            .detail = "HTTP 200",
                            .reason = "",
                            .next_at = 0,
                            .duration = 120,
                            .msg_id = ok.msg_id,
                            .msg_text = "已开通",
                            .msg_ttl = TTL,
                            .src = "10658000",
                            .entry = "1-1",
                            .month = "202601",
                            .day = "20260101"};
  vg_fn_order_result(&c, &a);
  VG_EXPECT(vg_test_fcall(&R, &c), "\"done\"");
  VG_EXPECT(vg_test_run(&R, "TTL vasgw:msg:or-A1"), NUM(604800));
  redisReply *r = redisCommand(R.rc, "XRANGE vasgw:mt - +");
  assert_int_equal(r->elements, 1);
  char *e = vg_test_render(r->element[0]->element[1]);
  VG_EXPECT(e, "[\"id\",\"or-A1\",\"to\",\"" M "\",\"text\",\"已开通\","
               "\"src\",\"10658000\"]");
  freeReplyObject(r);
  a.now = NOW + 5000;
  vg_fn_order_result(&c, &a);
  again(&c, "\"done\"");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:msg:or-A1 created"),
            "\"" NUM(NOW) "\"");
  vg_fcall_free(&c);
  (void)state;
}

static void test_result_missing(void **state) {
  vg_test_setup(&R, (const char *const[]){"DEL " ORDER, NULL});
  const outcome_t ok = OK;
  vg_fcall_t c = VG_FCALL_INIT;
  result_call(&c, &ok, 1, NOW);
  char *before = vg_test_snapshot(&R, NULL);
  VG_EXPECT(vg_test_fcall(&R, &c), "\"missing\"");
  char *after = vg_test_snapshot(&R, NULL);
  assert_string_equal(before, after);
  free(before);
  free(after);
  again(&c, "\"missing\"");
  vg_fcall_free(&c);
  (void)state;
}

/* The whole way of one order: a call that fails, a wait, a second call
 * (its reply lost, so order_attempt is called twice), done. */
static void test_order_flow(void **state) {
  vg_fcall_t c = VG_FCALL_INIT;
  attempt_call(&c, "1-1", 3, "c1");
  char *got = vg_test_fcall(&R, &c);
  char *want = with_record("\"go\",\"1\"");
  VG_EXPECT(got, want);
  free(want);
  VG_EXPECT(vg_test_run(&R, "HMGET " ORDER " state attempts node"),
            "[\"sending\",\"1\",\"n2\"]");
  const outcome_t retry = {"retry", "HTTP 503", "", NOW + 5000, ""};
  result_call(&c, &retry, 1, NOW);
  VG_EXPECT(vg_test_fcall(&R, &c), "\"retrying\"");
  attempt_call(&c, "1-1", 3, "c2");
  VG_EXPECT(vg_test_fcall(&R, &c), "[\"wait\",\"" NUM(1767225607000) "\"]");
  vg_fn_order_attempt_t later = {.prefix = P,
                                 .now = NOW + 5000,
                                 .order = "A1",
                                 .entry = "1-1",
                                 .node = "n2",
                                 .max_attempts = 3,
                                 .call = "c2"};
  vg_fn_order_attempt(&c, &later);
  got = vg_test_fcall(&R, &c);
  want = with_record("\"go\",\"2\"");
  VG_EXPECT(got, want);
  again(&c, want);
  free(want);
  const outcome_t ok = OK;
  result_call(&c, &ok, 2, NOW + 6000);
  VG_EXPECT(vg_test_fcall(&R, &c), "\"done\"");
  VG_EXPECT(vg_test_run(&R, "LRANGE " ORDER ":attempts 0 -1"),
            "[\"1|" NUM(NOW) "|120|retry|HTTP 503|\","
            "\"2|" NUM(1767225608000) "|120|ok|HTTP 200|\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET " ORDER " state attempts logged"),
            "[\"done\",\"2\",\"2\"]");
  /* Final: no further call. */
  attempt_call(&c, "1-1", 3, "c3");
  again(&c, "[\"final\",\"done\"]");
  VG_EXPECT(stats(), "developments=1 orders_done=1 queued=1");
  vg_fcall_free(&c);
  (void)state;
}

/* --- lock_release --------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *setup[2];
  const char *holder;
  const char *want, *again; /* the reply, and the repeat's */
  const char *left;         /* the lock after */
} lock_case_t;

#define LOCK "vasgw:settle:202601:lock"

static const lock_case_t lock_cases[] = {
    {"ours", {"SET " LOCK " host1:42 EX 600", NULL}, "host1:42", "1", "0",
     "nil"},
    /* Ours lapsed and another run took it: theirs now. */
    {"another's", {"SET " LOCK " host2:7 EX 600", NULL}, "host1:42", "0", "0",
     "\"host2:7\""},
    {"none", {NULL}, "host1:42", "0", "0", "nil"},
};

static void test_lock_release(void **state) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(lock_cases); i++) {
    const lock_case_t *k = &lock_cases[i];
    print_message("case: %s\n", k->name);
    vg_test_redis_reset(&R);
    vg_test_setup(&R, k->setup);
    vg_fn_lock_release_t a = {
        .prefix = P, .name = "settle:202601:lock", .holder = k->holder};
    vg_fcall_t c = VG_FCALL_INIT;
    vg_fn_lock_release(&c, &a);
    VG_EXPECT(vg_test_fcall(&R, &c), k->want);
    VG_EXPECT(vg_test_run(&R, "GET " LOCK), k->left);
    again(&c, k->again);
    vg_fcall_free(&c);
  }
  (void)state;
}

/* --- lock_hold ------------------------------------------------------------ */

typedef struct {
  const char *name;
  const char *setup[2];
  const char *stale;
  const char *want; /* the reply ("" held) */
  const char *left; /* the lock after */
  int renewed;      /* its TTL is the new one */
} hold_case_t;

#define RUN "vasgw:running:n1"

static const hold_case_t hold_cases[] = {
    {"free", {NULL}, "", "\"\"", "\"h/42/1000\"", 1},
    {"ours: renewed", {"SET " RUN " h/42/1000 PX 100", NULL}, "", "\"\"",
     "\"h/42/1000\"", 1},
    /* Another live process: it keeps it, and we learn who. */
    {"another's", {"SET " RUN " h/7/500 PX 60000", NULL}, "", "\"h/7/500\"",
     "\"h/7/500\"", 0},
    {"another's, someone else stale", {"SET " RUN " h/7/500 PX 60000", NULL},
     "h/8/500", "\"h/7/500\"", "\"h/7/500\"", 0},
    /* The caller found that holder dead: taken over. */
    {"a dead one's", {"SET " RUN " h/7/500 PX 60000", NULL}, "h/7/500",
     "\"\"", "\"h/42/1000\"", 1},
};

static void test_lock_hold(void **state) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(hold_cases); i++) {
    const hold_case_t *k = &hold_cases[i];
    print_message("case: %s\n", k->name);
    vg_test_redis_reset(&R);
    vg_test_setup(&R, k->setup);
    vg_fn_lock_hold_t a = {.prefix = P,
                           .name = "running:n1",
                           .holder = "h/42/1000",
                           .stale = k->stale,
                           .ttl = 5000};
    vg_fcall_t c = VG_FCALL_INIT;
    vg_fn_lock_hold(&c, &a);
    VG_EXPECT(vg_test_fcall(&R, &c), k->want);
    VG_EXPECT(vg_test_run(&R, "GET " RUN), k->left);
    char *ttl = vg_test_run(&R, "PTTL " RUN);
    long long ms = atoll(ttl);
    free(ttl);
    if (k->renewed)
      assert_true(ms > 4000 && ms <= 5000);
    else
      assert_true(ms > 5000);
    /* Renewing is the same call again: the same answer. */
    VG_EXPECT(vg_test_fcall(&R, &c), k->want);
    vg_fcall_free(&c);
  }
  (void)state;
}

/* --- stats_snapshot ------------------------------------------------------- */

static char *snapshot(long long every, long long keep) {
  vg_fn_stats_snapshot_t a = {.prefix = P, .every = every, .keep = keep};
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_stats_snapshot(&c, &a);
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

/* A copy of P:stats when the last is `every` old; nothing before anything
 * is counted; the stream is trimmed to about `keep`. */
static void test_stats_snapshot(void **state) {
  vg_test_redis_reset(&R);
  VG_EXPECT(snapshot(10000, 360), "0");
  VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:stats:history"), "0");
  vg_test_setup(&R, (const char *const[]){
                        "HSET vasgw:stats queued 5 submitted 4", NULL});
  VG_EXPECT(snapshot(10000, 360), "1");
  char *e = vg_test_run(&R, "XREVRANGE vasgw:stats:history + - COUNT 1");
  assert_non_null(strstr(e, "[\"queued\",\"5\",\"submitted\",\"4\"]"));
  free(e);
  /* Every node calls it every second: too soon, nothing written. */
  VG_EXPECT(snapshot(10000, 360), "0");
  VG_EXPECT(vg_test_run(&R, "XLEN vasgw:stats:history"), "1");
  /* Its time come (here: at once), the counters as they are now. */
  vg_test_setup(&R, (const char *const[]){"HINCRBY vasgw:stats queued 1",
                                          NULL});
  VG_EXPECT(snapshot(0, 360), "1");
  e = vg_test_run(&R, "XREVRANGE vasgw:stats:history + - COUNT 1");
  assert_non_null(strstr(e, "[\"queued\",\"6\",\"submitted\",\"4\"]"));
  free(e);
  for (int i = 0; i < 300; i++)
    free(snapshot(0, 10));
  char *n = vg_test_run(&R, "XLEN vasgw:stats:history");
  assert_true(atoi(n) >= 10 && atoi(n) < 200);
  free(n);
  (void)state;
}

int main(void) {
  vg_test_redis_start(&R);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_attempt, setup),
      cmocka_unit_test_setup(test_result, setup),
      cmocka_unit_test_setup(test_result_sms, setup),
      cmocka_unit_test_setup(test_result_missing, setup),
      cmocka_unit_test_setup(test_order_flow, setup),
      cmocka_unit_test_setup(test_lock_release, setup),
      cmocka_unit_test_setup(test_lock_hold, setup),
      cmocka_unit_test_setup(test_stats_snapshot, setup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vg_test_redis_stop(&R);
  return rc;
}
