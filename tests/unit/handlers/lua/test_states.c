/*
 * test_states.c — the two state machines of handlers/lua/states.lua seen
 * through the functions that move them, against a real redis-server.
 *
 * A subscriber's service (SERVICE): every transition the table allows is
 * made by the function that should make it (a confirmation, the result of
 * an activation or deactivation order, QX), and every other action leaves
 * the state, its time and its order as they were.  An offer (OFFER):
 * answered, confirmed, declined or superseded, and never out of a final
 * state.  Table-driven: {initial state, action, expected state}, each
 * action also run a second time to prove it changes nothing then.
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
#include "handlers/lua/functions.h"
#include "tests/unit/redis_server.h"

static vg_test_redis_t R;

#define P "vasgw"
#define M "8613800138000"
#define DAY 86400000LL
#define NOW 1767225600000LL /* 2026-01-01T00:00:00Z */
#define NOW_S "1767225600000"
#define THEN_S "1767139200000" /* when the state last changed: a day before */
#define SUB "vasgw:sub:{" M "}"

static const char *const catalogue[] = {
    "HSET vasgw:svc:CL code CL name 彩铃 provision_code RBT enabled 1",
    "SADD vasgw:svc:index CL", NULL};

static int setup(void **state) {
  (void)state;
  vg_test_redis_reset(&R);
  vg_test_setup(&R, catalogue);
  return 0;
}

/* --- the actions ------------------------------------------------------------- */

static vg_fn_mo_reply_t mo(const char *kind) {
  vg_fn_mo_reply_t a = {.prefix = P,
                        .now = NOW,
                        .msisdn = M,
                        .mo = "m1",
                        .entry = "",
                        .kind = kind,
                        .code = "",
                        .service = "",
                        .requested_at = "2026-01-01T08:00:00+08:00",
                        .gate = 0,
                        .limit = 10,
                        .fast = 10000,
                        .loop_n = 5,
                        .block = DAY,
                        .msg_ttl = 7 * 86400,
                        .service_number = "10658000"};
  return a;
}

/* mo_reply (no templates: only the state and the reply matter here). */
static char *answer(const char *kind, const char *code, const char *service) {
  vg_fn_mo_reply_t a = mo(kind);
  a.code = code;
  a.service = service;
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_mo_reply(&c, &a);
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

/* order_result of `order`'s first call: the reply. */
static char *result(const char *order, const char *outcome) {
  vg_fn_order_result_t a = {.prefix = P,
                            .now = NOW,
                            .order = order,
                            .outcome = outcome,
                            .attempt = 1,
                            .detail = "HTTP 200",
                            .reason = "",
                            .next_at = 0,
                            .duration = 10,
                            .msg_id = "",
                            .msg_text = "",
                            .msg_ttl = 7 * 86400,
                            .src = "",
                            .entry = "",
                            .month = "202601",
                            .day = "20260101"};
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_order_result(&c, &a);
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

/* The actions on a subscriber's service. */
typedef enum {
  CONFIRM,    /* "Y" to the open offer o1 of CL */
  QX,         /* QX CL */
  ACTIVATE,   /* the result of the activation order A1 */
  DEACTIVATE, /* the result of the deactivation order D1 */
} action_t;

static char *act(action_t a, const char *outcome) {
  switch (a) {
  case CONFIRM:
    return answer("confirm", "", "");
  case QX:
    return answer("cancel", "", "CL");
  case ACTIVATE:
    return result("A1", outcome);
  case DEACTIVATE:
    return result("D1", outcome);
  }
  return NULL;
}

/* --- SERVICE ------------------------------------------------------------------ */

typedef struct {
  const char *from; /* "none": no field */
  action_t action;
  const char *outcome; /* the order's result: ok, rejected, failed */
  const char *to;
  const char *want; /* the reply */
} svc_case_t;

#define ANS(tpl, offer, order)                                               \
  "[\"answered\",\"" tpl "\",\"" offer "\",\"" order "\"]"

static const svc_case_t svc_cases[] = {
    /* confirm: none, cancelled -> ordering; held or on its way: no order */
    {"none", CONFIRM, "", "ordering", ANS("confirm_received", "o1", "Ao1")},
    {"cancelled", CONFIRM, "", "ordering", ANS("confirm_received", "o1", "Ao1")},
    {"ordering", CONFIRM, "", "ordering", ANS("processing", "o1", "")},
    {"active", CONFIRM, "", "active", ANS("already_active", "o1", "")},
    {"cancelling", CONFIRM, "", "cancelling", ANS("already_active", "o1", "")},
    /* activation done: active from any state but cancelling */
    {"ordering", ACTIVATE, "ok", "active", "\"done\""},
    {"none", ACTIVATE, "ok", "active", "\"done\""},
    {"cancelled", ACTIVATE, "ok", "active", "\"done\""},
    {"active", ACTIVATE, "ok", "active", "\"done\""},
    /* (from cancelling: test_activation_while_cancelling) */
    /* activation rejected or failed: ordering -> none, nothing else */
    {"ordering", ACTIVATE, "rejected", "none", "\"rejected\""},
    {"ordering", ACTIVATE, "failed", "none", "\"failed\""},
    {"none", ACTIVATE, "rejected", "none", "\"rejected\""},
    {"active", ACTIVATE, "rejected", "active", "\"rejected\""},
    {"active", ACTIVATE, "failed", "active", "\"failed\""},
    {"cancelling", ACTIVATE, "failed", "cancelling", "\"failed\""},
    {"cancelled", ACTIVATE, "rejected", "cancelled", "\"rejected\""},
    /* QX: active -> cancelling, nothing else */
    {"active", QX, "", "cancelling", ANS("cancel_received", "", "Dm1")},
    {"none", QX, "", "none", ANS("cancel_not_active", "", "")},
    {"ordering", QX, "", "ordering", ANS("processing", "", "")},
    {"cancelling", QX, "", "cancelling", ANS("processing", "", "")},
    {"cancelled", QX, "", "cancelled", ANS("cancel_not_active", "", "")},
    /* deactivation done: cancelling -> cancelled, nothing else */
    {"cancelling", DEACTIVATE, "ok", "cancelled", "\"done\""},
    {"active", DEACTIVATE, "ok", "active", "\"done\""},
    {"none", DEACTIVATE, "ok", "none", "\"done\""},
    {"ordering", DEACTIVATE, "ok", "ordering", "\"done\""},
    {"cancelled", DEACTIVATE, "ok", "cancelled", "\"done\""},
    /* deactivation rejected or failed: cancelling -> active, nothing else */
    {"cancelling", DEACTIVATE, "failed", "active", "\"failed\""},
    {"cancelling", DEACTIVATE, "rejected", "active", "\"rejected\""},
    {"active", DEACTIVATE, "failed", "active", "\"failed\""},
    {"ordering", DEACTIVATE, "rejected", "ordering", "\"rejected\""},
    {"cancelled", DEACTIVATE, "failed", "cancelled", "\"failed\""},
    {"none", DEACTIVATE, "failed", "none", "\"failed\""},
};

/* Has the state been active (and so an order that made it so)? */
static int had_order(const char *st) {
  return strcmp(st, "active") == 0 || strcmp(st, "cancelling") == 0 ||
         strcmp(st, "cancelled") == 0;
}

static void run_service_cases(const svc_case_t *cases, size_t n) {
  static const char *const names[] = {"confirm", "QX", "activate",
                                      "deactivate"};
  for (size_t i = 0; i < n; i++) {
    const svc_case_t *k = &cases[i];
    print_message("case: %s, %s %s -> %s\n", k->from, names[k->action],
                  k->outcome, k->to);
    setup(NULL);
    char line[256];
    if (strcmp(k->from, "none") != 0) {
      snprintf(line, sizeof line, "HSET " SUB " svc:CL %s svc:CL:at " THEN_S,
               k->from);
      vg_test_setup(&R, (const char *const[]){line, NULL});
    }
    if (had_order(k->from))
      vg_test_setup(&R, (const char *const[]){"HSET " SUB " svc:CL:order A0",
                                              NULL});
    /* What each action needs: an open offer, or the order in its call. */
    static const char *const offer[] = {
        "HSET vasgw:offer:o1 id o1 msisdn " M " service CL state pending "
        "code 1 channel sms promoter \"\" created 1767225599000 "
        "expires 1767312000000",
        "HSET " SUB ":offers 1 o1", NULL};
    static const char *const orders[] = {
        "HSET vasgw:order:A1 id A1 action activate msisdn " M " service CL "
        "promoter \"\" state sending attempts 1",
        "HSET vasgw:order:D1 id D1 action deactivate msisdn " M " service CL "
        "promoter \"\" state sending attempts 1",
        NULL};
    vg_test_setup(&R, k->action == CONFIRM ? offer : orders);

    VG_EXPECT(act(k->action, k->outcome), k->want);

    /* The state; its time moves only with it; the order that made it
     * active only with an activation. */
    int moved = strcmp(k->from, k->to) != 0;
    const char *order = moved && k->action == ACTIVATE &&
                                strcmp(k->outcome, "ok") == 0
                            ? "\"A1\""
                            : had_order(k->from) ? "\"A0\"" : "nil";
    char want[128];
    if (strcmp(k->to, "none") == 0)
      snprintf(want, sizeof want, "[nil,nil,%s]", order);
    else
      snprintf(want, sizeof want, "[\"%s\",\"%s\",%s]", k->to,
               moved ? NOW_S : THEN_S, order);
    VG_EXPECT(vg_test_run(&R, "HMGET " SUB " svc:CL svc:CL:at svc:CL:order"),
              want);

    /* Again (the reply lost, the MO claimed): nothing changes. */
    char *before = vg_test_snapshot(&R, NULL);
    VG_EXPECT(act(k->action, k->outcome),
              k->action == CONFIRM || k->action == QX
                  ? "[\"silent\",\"answered_before\"]"
                  : k->want);
    char *after = vg_test_snapshot(&R, NULL);
    assert_string_equal(before, after);
    free(before);
    free(after);
  }
}

static void test_service(void **state) {
  (void)state;
  run_service_cases(svc_cases, VG_ARRAY_SIZE(svc_cases));
}

/*
 * An activation reported done while a QX is under way (cancelling) must
 * not make the service active: the deactivation then finished on a
 * service no longer cancelling and the subscriber's QX was lost.  The
 * state table has no 'activated' event for cancelling; the deactivation's
 * own result decides.
 */
static const svc_case_t svc_bug_cases[] = {
    {"cancelling", ACTIVATE, "ok", "cancelling", "\"done\""},
};

static void test_activation_while_cancelling(void **state) {
  (void)state;
  run_service_cases(svc_bug_cases, VG_ARRAY_SIZE(svc_bug_cases));
}

/* A whole life: confirmed, activated, cancelled, ordered again. */
static void test_service_life(void **state) {
  (void)state;
  static const char *const offer1[] = {
      "HSET vasgw:offer:o1 id o1 msisdn " M " service CL state pending code 1 "
      "channel sms promoter \"\" created 1767225599000 expires 1767312000000",
      "HSET " SUB ":offers 1 o1", NULL};
  vg_test_setup(&R, offer1);
  VG_EXPECT(answer("confirm", "", ""), ANS("confirm_received", "o1", "Ao1"));
  VG_EXPECT(vg_test_run(&R, "HGET " SUB " svc:CL"), "\"ordering\"");
  VG_EXPECT(result("Ao1", "ok"), "\"done\"");
  VG_EXPECT(vg_test_run(&R, "HGET " SUB " svc:CL"), "\"active\"");
  vg_fn_mo_reply_t a = mo("cancel");
  a.mo = "m2";
  a.service = "CL";
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_mo_reply(&c, &a);
  VG_EXPECT(vg_test_fcall(&R, &c), ANS("cancel_received", "", "Dm2"));
  vg_fcall_free(&c);
  VG_EXPECT(vg_test_run(&R, "HGET " SUB " svc:CL"), "\"cancelling\"");
  VG_EXPECT(result("Dm2", "ok"), "\"done\"");
  VG_EXPECT(vg_test_run(&R, "HMGET " SUB " svc:CL svc:CL:order"),
            "[\"cancelled\",\"Ao1\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:order:Dm2 action state"),
            "[\"deactivate\",\"done\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:stats orders_activate "
                            "orders_deactivate orders_done"),
            "[\"1\",\"1\",\"2\"]");
}

/* --- OFFER -------------------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *from;    /* the offer's state */
  const char *held;    /* the subscriber's CL, NULL: none */
  const char *kind, *code;
  const char *to;
  const char *want;
} offer_case_t;

static const offer_case_t offer_cases[] = {
    {"pending, Y", "pending", NULL, "confirm", "", "confirmed",
     ANS("confirm_received", "o1", "Ao1")},
    {"pending, its code", "pending", NULL, "code", "1", "confirmed",
     ANS("confirm_received", "o1", "Ao1")},
    {"pending, N", "pending", NULL, "decline", "", "declined",
     ANS("declined", "", "")},
    {"declined, its code", "declined", NULL, "code", "1", "confirmed",
     ANS("confirm_received", "o1", "Ao1")},
    {"declined, N", "declined", NULL, "decline", "", "declined",
     ANS("no_offer", "", "")},
    /* held already: superseded, no order */
    {"pending, held", "pending", "active", "confirm", "", "superseded",
     ANS("already_active", "o1", "")},
    {"declined, held", "declined", "ordering", "code", "1", "superseded",
     ANS("processing", "o1", "")},
    /* final states stay */
    {"confirmed, N", "confirmed", NULL, "decline", "", "confirmed",
     ANS("no_offer", "", "")},
    {"confirmed, its code", "confirmed", NULL, "code", "1", "confirmed",
     ANS("processing", "o1", "Ao1")},
    {"superseded, its code", "superseded", NULL, "code", "1", "superseded",
     ANS("expired", "o1", "")},
    {"superseded, N", "superseded", NULL, "decline", "", "superseded",
     ANS("no_offer", "", "")},
};

static void test_offer(void **state) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(offer_cases); i++) {
    const offer_case_t *k = &offer_cases[i];
    print_message("case: %s\n", k->name);
    setup(state);
    char line[320];
    snprintf(line, sizeof line,
             "HSET vasgw:offer:o1 id o1 msisdn " M " service CL state %s "
             "code 1 channel sms promoter \"\" created 1767225599000 "
             "expires 1767312000000 %s",
             k->from, strcmp(k->from, "confirmed") == 0 ? "order Ao1" : "");
    vg_test_setup(&R, (const char *const[]){line, "HSET " SUB ":offers 1 o1",
                                            NULL});
    if (k->held) {
      snprintf(line, sizeof line, "HSET " SUB " svc:CL %s svc:CL:at " THEN_S,
               k->held);
      vg_test_setup(&R, (const char *const[]){line, NULL});
    }
    VG_EXPECT(answer(k->kind, k->code, ""), k->want);
    snprintf(line, sizeof line, "\"%s\"", k->to);
    VG_EXPECT(vg_test_run(&R, "HGET vasgw:offer:o1 state"), line);
    /* An order only from a confirmation made now. */
    int made = strcmp(k->to, "confirmed") == 0 && strcmp(k->from, "confirmed");
    VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:order:Ao1"), made ? "1" : "0");
    char *before = vg_test_snapshot(&R, NULL);
    VG_EXPECT(answer(k->kind, k->code, ""), "[\"silent\",\"answered_before\"]");
    char *after = vg_test_snapshot(&R, NULL);
    assert_string_equal(before, after);
    free(before);
    free(after);
  }
}

int main(void) {
  vg_test_redis_start(&R);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_service, setup),
      cmocka_unit_test_setup(test_activation_while_cancelling, setup),
      cmocka_unit_test_setup(test_service_life, setup),
      cmocka_unit_test_setup(test_offer, setup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vg_test_redis_stop(&R);
  return rc;
}
