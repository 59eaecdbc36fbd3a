/*
 * test_answers.c — handlers/lua/answers.lua against a real redis-server:
 * mo_reply for every kind of answer but the offer answers (confirm, code,
 * decline: test_offers.c), table-driven, each called a second time with the
 * same MO id to prove that changes nothing; the MO gate (the rate limit at
 * its boundary and the auto-responder rule step by step); the MO stream
 * entry acknowledged with the answer; the answer's own record.
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
#define M2 "8613800138001"
#define DAY 86400000LL
#define NOW 1767225600000LL /* 2026-01-01T00:00:00Z, a whole minute */
#define NOW_S "1767225600000"
#define ISO "2026-01-01T08:00:00+08:00"
#define SUB "vasgw:sub:{" M "}"
#define SUB2 "vasgw:sub:{" M2 "}"
#define MINUTE "29453760" /* NOW / 60000: the rate limit's minute */

/*
 * The catalogue every case starts with.  The index is written out of
 * order (a small set answers SMEMBERS in the order written), so that a
 * sorted list of codes proves it was sorted; XW is disabled.
 */
static const char *const catalogue[] = {
    "HSET vasgw:svc:CL code CL name 彩铃 price 5元/月 provision_code RBT "
    "usage 用法 cancel 退订法 enabled 1",
    "HSET vasgw:svc:XW code XW name 新闻 price 3元/月 provision_code NEWS "
    "enabled 0",
    "HSET vasgw:svc:SJB code SJB name 手机报 enabled 1",
    "HSET vasgw:svc:AQ code AQ name 安全 enabled 1",
    "SADD vasgw:svc:index SJB XW CL AQ", NULL};

static int setup(void **state) {
  (void)state;
  vg_test_redis_reset(&R);
  vg_test_setup(&R, catalogue);
  return 0;
}

/* --- helpers ---------------------------------------------------------------- */

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

/* A stream's entries without their ids (made by XADD *): "f=v f=v | ...". */
static char *entries(const char *key) {
  redisReply *r = redisCommand(R.rc, "XRANGE %s - +", key);
  size_t cap = 64, len = 0;
  char *out = calloc(1, cap);
  for (size_t i = 0; i < r->elements; i++) {
    const redisReply *f = r->element[i]->element[1];
    for (size_t k = 0; k < f->elements; k++) {
      const char *sep = k == 0 ? (i ? " | " : "") : (k % 2 ? "=" : " ");
      while (len + strlen(sep) + f->element[k]->len + 1 > cap)
        out = realloc(out, cap *= 2);
      len += (size_t)sprintf(out + len, "%s%s", sep, f->element[k]->str);
    }
  }
  freeReplyObject(r);
  return out;
}

/* A check: "HASH key" (sorted_hash), "ENTRIES key" (entries), "STATS" (the
 * counters, sorted), or a command whose rendered reply is compared. */
static char *check(const char *what) {
  if (strncmp(what, "HASH ", 5) == 0)
    return sorted_hash(what + 5);
  if (strncmp(what, "ENTRIES ", 8) == 0)
    return entries(what + 8);
  if (strcmp(what, "STATS") == 0)
    return sorted_hash("vasgw:stats");
  return vg_test_run(&R, what);
}

typedef struct {
  const char *what, *want;
} check_t;

static void expect_checks(const check_t *c) {
  for (; c->what; c++) {
    print_message("  check: %s\n", c->what);
    VG_EXPECT(check(c->what), c->want);
  }
}

/* The answer templates, each naming itself and its placeholders, so the
 * SMS shows which was used and with what. */
static const char *const templates[][2] = {
    {"help", "help {{service_number}}"},
    {"unreadable", "unreadable {{service_number}}"},
    {"opted_out", "out {{service_number}}"},
    {"opted_in", "in"},
    {"unknown_service", "unknown {{service_code}}: {{codes}}"},
    {"no_services", "no services"},
    {"cancel_received", "cancel {{service_code}} {{service_name}}"},
    {"cancel_not_active", "not active {{service_code}} {{service_name}}"},
    {"processing", "processing {{service_code}} {{service_name}}"},
    {"already_active", "active {{service_code}} {{service_name}}"},
    {"usage_cancel", "usage QX {{service_number}}"},
    {"usage_knowledge", "usage ZS {{service_code}} {{service_name}}"},
    {"promoter_pending", "pending {{name}} {{staff_no}} {{outlet}} {{status}}"},
    {"promoter_approved", "approved {{name}} {{staff_no}} {{outlet}}"},
    {"promoter_already", "already {{name}} {{staff_no}} {{outlet}} {{status}}"},
    {"words_status", "pending=待审核\napproved=已通过\nrejected=未通过\n"
                     "disabled=已停用"},
};

/* An MO of kind `kind` from M at NOW, not gated, as the handlers send it. */
static vg_fn_mo_reply_t mo(const char *id, const char *kind) {
  vg_fn_mo_reply_t a = {.prefix = P,
                        .now = NOW,
                        .msisdn = M,
                        .mo = id,
                        .entry = "",
                        .kind = kind,
                        .code = "",
                        .service = "",
                        .requested_at = ISO,
                        .gate = 0,
                        .limit = 10,
                        .fast = 10000,
                        .loop_n = 5,
                        .block = DAY,
                        .msg_ttl = 7 * 86400,
                        .service_number = "10658000",
                        .ussd_code = "*123*8#",
                        .channel = "sms",
                        .ussd_op = -1,
                        .its = "",
                        .umr = "",
                        .expire_at = 0};
  return a;
}

/* mo_reply with the templates: the reply. */
static char *reply(const vg_fn_mo_reply_t *a) {
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_mo_reply(&c, a);
  for (size_t i = 0; i < VG_ARRAY_SIZE(templates); i++) {
    vg_fn_mo_reply_templates_t t = {.name = templates[i][0],
                                    .text = templates[i][1]};
    vg_fn_mo_reply_templates(&c, &t);
  }
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

/* The same call again: `want` back and not one key, field or entry
 * changed (counters included). */
static void expect_again(const vg_fn_mo_reply_t *a, const char *want) {
  char *before = vg_test_snapshot(&R, NULL);
  VG_EXPECT(reply(a), want);
  char *after = vg_test_snapshot(&R, NULL);
  assert_string_equal(before, after);
  free(before);
  free(after);
}

#define ANSWERED(tpl, order)                                                 \
  "[\"answered\",\"" tpl "\",\"\",\"" order "\"]"
#define SILENT(why) "[\"silent\",\"" why "\"]"
#define BEFORE SILENT("answered_before")

/* --- every kind, twice --------------------------------------------------- */

typedef struct {
  const char *name;
  const char *setup[6];
  const char *kind, *code, *service;
  const char *want; /* the reply */
  const char *text; /* the answer's text; NULL: no answer queued */
  const char *stats; /* P:stats afterwards, sorted */
  check_t checks[8];
  const char *again; /* the same MO again: NULL for answered_before */
} kind_case_t;

#define PROMOTER "vasgw:promoter:" M

static const kind_case_t kind_cases[] = {
    /* help answers every time, and is not "the help of the day": unknown
     * text after it still gets help. */
    {"help", {NULL}, "help", "", "", ANSWERED("help", ""), "help 10658000",
     "queued=1", {{"EXISTS " SUB ":help", "0"}, {NULL, NULL}}, NULL},
    {"help, help sent today already",
     {"SET " SUB ":help m0 EX 86400"}, "help", "", "", ANSWERED("help", ""),
     "help 10658000", "queued=1", {{"GET " SUB ":help", "\"m0\""}, {NULL, NULL}},
     NULL},
    /* unknown text: help once a day, remembered for 24 h by MO id. */
    {"unknown, first today", {NULL}, "unknown", "", "", ANSWERED("help", ""),
     "help 10658000", "queued=1",
     {{"GET " SUB ":help", "\"m1\""}, {"TTL " SUB ":help", "86400"},
      {NULL, NULL}},
     NULL},
    {"unknown, help sent today", {"SET " SUB ":help m0 EX 86400"}, "unknown",
     "", "", SILENT("help_sent_today"), NULL, "",
     {{"GET " SUB ":help", "\"m0\""}, {NULL, NULL}}, SILENT("help_sent_today")},
    /* An MO that is not text: told so every time, not the help of the day,
     * and nothing else is done. */
    {"unreadable", {NULL}, "unreadable", "", "", ANSWERED("unreadable", ""),
     "unreadable 10658000", "queued=1",
     {{"EXISTS " SUB ":help", "0"}, {"HASH " SUB, ""}, {NULL, NULL}}, NULL},
    {"unreadable, help sent today", {"SET " SUB ":help m0 EX 86400"},
     "unreadable", "", "", ANSWERED("unreadable", ""), "unreadable 10658000",
     "queued=1", {{"GET " SUB ":help", "\"m0\""}, {NULL, NULL}}, NULL},
    /* TD and DY: the flag, when, and a counter each. */
    {"optout", {NULL}, "optout", "", "", ANSWERED("opted_out", ""),
     "out 10658000", "optout=1 queued=1",
     {{"HASH " SUB, "optout=1 optout_at=" NOW_S}, {NULL, NULL}}, NULL},
    {"optin after optout", {"HSET " SUB " optout 1 optout_at 1767139200000"},
     "optin", "", "", ANSWERED("opted_in", ""), "in", "optin=1 queued=1",
     {{"HASH " SUB, "optin_at=" NOW_S " optout=0 optout_at=1767139200000"},
      {NULL, NULL}},
     NULL},
    {"optout again", {"HSET " SUB " optout 1 optout_at 1767139200000"},
     "optout", "", "", ANSWERED("opted_out", ""), "out 10658000",
     "optout=1 queued=1", {{"HASH " SUB, "optout=1 optout_at=" NOW_S}, {NULL, NULL}},
     NULL},
    /* QX: unknown code: the enabled codes, sorted. */
    {"cancel, unknown service", {NULL}, "cancel", "", "ZZ",
     ANSWERED("unknown_service", ""), "unknown ZZ: AQ CL SJB", "queued=1",
     {{"EXISTS vasgw:order:Dm1", "0"}, {"EXISTS vasgw:orders", "0"},
      {NULL, NULL}},
     NULL},
    {"cancel, never ordered", {NULL}, "cancel", "", "CL",
     ANSWERED("cancel_not_active", ""), "not active CL 彩铃", "queued=1",
     {{"EXISTS vasgw:order:Dm1", "0"}, {"HASH " SUB, ""}, {NULL, NULL}}, NULL},
    {"cancel, cancelled",
     {"HSET " SUB " svc:CL cancelled svc:CL:at 1767139200000"}, "cancel", "",
     "CL", ANSWERED("cancel_not_active", ""), "not active CL 彩铃", "queued=1",
     {{"EXISTS vasgw:order:Dm1", "0"},
      {"HASH " SUB, "svc:CL=cancelled svc:CL:at=1767139200000"},
      {NULL, NULL}},
     NULL},
    {"cancel, being ordered",
     {"HSET " SUB " svc:CL ordering svc:CL:at 1767139200000"}, "cancel", "",
     "CL", ANSWERED("processing", ""), "processing CL 彩铃", "queued=1",
     {{"EXISTS vasgw:order:Dm1", "0"},
      {"HASH " SUB, "svc:CL=ordering svc:CL:at=1767139200000"},
      {NULL, NULL}},
     NULL},
    {"cancel, being cancelled",
     {"HSET " SUB " svc:CL cancelling svc:CL:at 1767139200000"}, "cancel", "",
     "CL", ANSWERED("processing", ""), "processing CL 彩铃", "queued=1",
     {{"EXISTS vasgw:order:Dm1", "0"},
      {"HASH " SUB, "svc:CL=cancelling svc:CL:at=1767139200000"},
      {NULL, NULL}},
     NULL},
    /* Active: the deactivation order D<MO id>, the catalogue's fields
     * copied, queued on the stream and the index; the service cancelling
     * (the order that made it active is kept). */
    {"cancel, active",
     {"HSET " SUB " svc:CL active svc:CL:at 1767139200000 svc:CL:order Ao1"},
     "cancel", "", "CL", ANSWERED("cancel_received", "Dm1"), "cancel CL 彩铃",
     "orders_deactivate=1 queued=1",
     {{"HASH vasgw:order:Dm1",
       "action=deactivate attempts=0 cancel=退订法 channel=sms created=" NOW_S
       " id=Dm1 mo=m1 msisdn=" M " offer= price=5元/月 promoter= "
       "provision_code=RBT requested_at=" ISO " service=CL service_name=彩铃 "
       "state=queued usage=用法"},
      {"ENTRIES vasgw:orders", "id=Dm1"},
      {"ZRANGE vasgw:orders:index 0 -1 WITHSCORES", "[\"Dm1\",\"" NOW_S "\"]"},
      {"HASH " SUB, "svc:CL=cancelling svc:CL:at=" NOW_S " svc:CL:order=Ao1"},
      {NULL, NULL}},
     NULL},
    /* A disabled service is offered no more, but is still cancelled. */
    {"cancel, active, service disabled",
     {"HSET " SUB " svc:XW active svc:XW:at 1767139200000"}, "cancel", "",
     "XW", ANSWERED("cancel_received", "Dm1"), "cancel XW 新闻",
     "orders_deactivate=1 queued=1",
     {{"HMGET vasgw:order:Dm1 action service provision_code usage state",
       "[\"deactivate\",\"XW\",\"NEWS\",\"\",\"queued\"]"},
      {"HASH " SUB, "svc:XW=cancelling svc:XW:at=" NOW_S}, {NULL, NULL}},
     NULL},
    /* Its order made already (the answer's record lapsed since): told
     * again, no second order. */
    {"cancel, order made already",
     {"HSET " SUB " svc:CL cancelling svc:CL:at 1767139200000",
      "HSET vasgw:order:Dm1 id Dm1 action deactivate state done"},
     "cancel", "", "CL", ANSWERED("cancel_received", "Dm1"), "cancel CL 彩铃",
     "queued=1",
     {{"HASH vasgw:order:Dm1", "action=deactivate id=Dm1 state=done"},
      {"EXISTS vasgw:orders", "0"},
      {"HASH " SUB, "svc:CL=cancelling svc:CL:at=1767139200000"},
      {NULL, NULL}},
     NULL},
    {"unknown_service", {NULL}, "unknown_service", "", "YY",
     ANSWERED("unknown_service", ""), "unknown YY: AQ CL SJB", "queued=1",
     {{NULL, NULL}}, NULL},
    /* None enabled: no empty list of codes, but that there is none. */
    {"unknown_service, none enabled",
     {"HSET vasgw:svc:AQ enabled 0", "HSET vasgw:svc:CL enabled 0",
      "HSET vasgw:svc:SJB enabled 0", NULL},
     "unknown_service", "", "YY", ANSWERED("no_services", ""), "no services",
     "queued=1", {{NULL, NULL}}, NULL},
    {"cancel, unknown service, none enabled",
     {"HSET vasgw:svc:AQ enabled 0", "HSET vasgw:svc:CL enabled 0",
      "HSET vasgw:svc:SJB enabled 0", NULL},
     "cancel", "", "ZZ", ANSWERED("no_services", ""), "no services",
     "queued=1", {{"EXISTS vasgw:order:Dm1", "0"}, {NULL, NULL}}, NULL},
    /* say: the template named by code, about a service (its name from the
     * catalogue, or the code itself). */
    {"say, no service", {NULL}, "say", "usage_cancel", "",
     ANSWERED("usage_cancel", ""), "usage QX 10658000", "queued=1",
     {{NULL, NULL}}, NULL},
    {"say, a service", {NULL}, "say", "already_active", "CL",
     ANSWERED("already_active", ""), "active CL 彩铃", "queued=1",
     {{"HASH " SUB, ""}, {NULL, NULL}}, NULL},
    {"say, an unknown service", {NULL}, "say", "usage_knowledge", "ZZ",
     ANSWERED("usage_knowledge", ""), "usage ZS ZZ ZZ", "queued=1",
     {{NULL, NULL}}, NULL},
    /* ZC: one record per number, staff numbers from 10001. */
    {"register", {NULL}, "register", "张三", "城关营业厅",
     ANSWERED("promoter_pending", ""), "pending 张三 10001 城关营业厅 待审核",
     "promoters_registered=1 queued=1",
     {{"HASH " PROMOTER,
       "msisdn=" M " name=张三 outlet=城关营业厅 registered_at=" NOW_S
       " source=sms staff_no=10001 status=pending updated_at=" NOW_S},
      {"GET vasgw:staff:10001", "\"" M "\""},
      {"GET vasgw:seq:staff", "\"1\""},
      {"ZRANGE vasgw:promoters 0 -1 WITHSCORES", "[\"" M "\",\"" NOW_S "\"]"},
      {NULL, NULL}},
     NULL},
    {"register, no outlet", {NULL}, "register", "张三", "",
     ANSWERED("promoter_pending", ""), "pending 张三 10001  待审核",
     "promoters_registered=1 queued=1",
     {{"HMGET " PROMOTER " outlet status", "[\"\",\"pending\"]"}, {NULL, NULL}},
     NULL},
    {"register_auto", {NULL}, "register_auto", "张三", "城关营业厅",
     ANSWERED("promoter_approved", ""), "approved 张三 10001 城关营业厅",
     "promoters_registered=1 queued=1",
     {{"HASH " PROMOTER,
       "msisdn=" M " name=张三 outlet=城关营业厅 registered_at=" NOW_S
       " source=sms staff_no=10001 status=approved updated_at=" NOW_S},
      {"GET vasgw:staff:10001", "\"" M "\""},
      {NULL, NULL}},
     NULL},
    /* Registered already: left as it is (a rejected promoter stays
     * rejected), the answer with the record's fields and its status in
     * words; no staff number used. */
    {"register, registered and rejected",
     {"HSET " PROMOTER " msisdn " M " name 李四 outlet 西街 staff_no 10007 "
      "status rejected reason 非本网点 updated_at 1767139200000"},
     "register_auto", "张三", "城关营业厅", ANSWERED("promoter_already", ""),
     "already 李四 10007 西街 未通过", "queued=1",
     {{"HASH " PROMOTER, "msisdn=" M " name=李四 outlet=西街 reason=非本网点 "
                         "staff_no=10007 status=rejected updated_at=1767139200000"},
      {"EXISTS vasgw:seq:staff vasgw:promoters", "0"},
      {NULL, NULL}},
     NULL},
    {"register, registered and pending, no outlet field",
     {"HSET " PROMOTER " name 李四 staff_no 10007 status pending"}, "register",
     "张三", "城关营业厅", ANSWERED("promoter_already", ""),
     "already 李四 10007  待审核", "queued=1",
     {{"HASH " PROMOTER, "name=李四 staff_no=10007 status=pending"},
      {NULL, NULL}},
     NULL},
    /* A status the word list does not name: the status itself. */
    {"register, registered, status not in the words",
     {"HSET " PROMOTER " name 李四 outlet 西街 staff_no 10007 status frozen"},
     "register", "张三", "", ANSWERED("promoter_already", ""),
     "already 李四 10007 西街 frozen", "queued=1", {{NULL, NULL}}, NULL},
    /* proceed without the gate: nothing written; the C goes on. */
    {"proceed", {NULL}, "proceed", "", "", "[\"proceed\"]", NULL, "",
     {{NULL, NULL}}, "[\"proceed\"]"},
};

static void test_kinds(void **state) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(kind_cases); i++) {
    const kind_case_t *k = &kind_cases[i];
    print_message("case: %s\n", k->name);
    setup(state);
    vg_test_setup(&R, k->setup);
    vg_fn_mo_reply_t a = mo("m1", k->kind);
    a.code = k->code;
    a.service = k->service;
    VG_EXPECT(reply(&a), k->want);
    if (k->text) {
      char want[256];
      snprintf(want, sizeof want, "\"%s\"", k->text);
      VG_EXPECT(vg_test_run(&R, "HGET vasgw:msg:re-m1 text"), want);
    } else {
      VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:msg:re-m1 vasgw:mt"), "0");
    }
    VG_EXPECT(check("STATS"), k->stats);
    expect_checks(k->checks);
    /* Handled a second time (the entry claimed by another node): nothing
     * done twice. */
    expect_again(&a, k->again ? k->again : BEFORE);
  }
}

/* Unknown text twice: help the first time only; BZ still answers. */
static void test_help_once(void **state) {
  (void)state;
  vg_fn_mo_reply_t a = mo("m1", "unknown");
  VG_EXPECT(reply(&a), ANSWERED("help", ""));
  a = mo("m2", "unknown");
  a.now = NOW + 3600000;
  VG_EXPECT(reply(&a), SILENT("help_sent_today"));
  VG_EXPECT(vg_test_run(&R, "GET " SUB ":help"), "\"m1\"");
  a = mo("m3", "help");
  a.now = NOW + 7200000;
  VG_EXPECT(reply(&a), ANSWERED("help", ""));
  VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:msg:re-m1 vasgw:msg:re-m2 "
                            "vasgw:msg:re-m3"),
            "2");
  VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:msg:re-m2"), "0");
  VG_EXPECT(check("STATS"), "queued=2");
}

/* Staff numbers count up across registrations, whoever approves them. */
static void test_register_numbers(void **state) {
  (void)state;
  vg_fn_mo_reply_t a = mo("m1", "register");
  a.code = "张三";
  VG_EXPECT(reply(&a), ANSWERED("promoter_pending", ""));
  a = mo("m2", "register_auto");
  a.msisdn = M2;
  a.code = "李四";
  a.now = NOW + 1000;
  VG_EXPECT(reply(&a), ANSWERED("promoter_approved", ""));
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:promoter:" M2 " staff_no status"),
            "[\"10002\",\"approved\"]");
  VG_EXPECT(vg_test_run(&R, "MGET vasgw:staff:10001 vasgw:staff:10002"),
            "[\"" M "\",\"" M2 "\"]");
  /* The first again, with another name: still 张三, 10001, pending. */
  a = mo("m3", "register_auto");
  a.code = "王五";
  a.service = "东街";
  a.now = NOW + 2000;
  VG_EXPECT(reply(&a), ANSWERED("promoter_already", ""));
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:msg:re-m3 text"),
            "\"already 张三 10001  待审核\"");
  VG_EXPECT(vg_test_run(&R, "ZRANGE vasgw:promoters 0 -1 WITHSCORES"),
            "[\"" M "\",\"" NOW_S "\",\"" M2 "\",\"1767225601000\"]");
  VG_EXPECT(check("STATS"), "promoters_registered=2 queued=3");
}

/* --- the answer's record ----------------------------------------------------- */

/* The answer is the message re-<MO id>, origin reply, on the MT stream,
 * kept msg_ttl seconds; the template rendered with service_number. */
static void test_answer_queued(void **state) {
  (void)state;
  vg_fn_mo_reply_t a = mo("77", "help");
  VG_EXPECT(reply(&a), ANSWERED("help", ""));
  VG_EXPECT(sorted_hash("vasgw:msg:re-77"),
            "created=" NOW_S " id=re-77 origin=reply state=queued "
            "text=help 10658000 to=" M);
  VG_EXPECT(vg_test_run(&R, "TTL vasgw:msg:re-77"), "604800");
  VG_EXPECT(entries("vasgw:mt"), "id=re-77 to=" M " text=help 10658000");
  VG_EXPECT(vg_test_run(&R, "KEYS vasgw:msg:*"), "[\"vasgw:msg:re-77\"]");
  /* Another service number is the one the text names. */
  a = mo("78", "help");
  a.service_number = "10659999";
  VG_EXPECT(reply(&a), ANSWERED("help", ""));
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:msg:re-78 text"), "\"help 10659999\"");
  VG_EXPECT(check("STATS"), "queued=2");
}

/* --- an answer that ends a USSD dialogue ------------------------------------- */

/* Asked from a USSD menu (handlers/ussd.c), the answer is the dialogue's
 * last screen: the same text, the screen's SMPP fields, the session
 * closed.  When the request waited too long (the wait screen was sent:
 * P:ussd:late:<MO>, or its deadline passed) it comes as an SMS instead. */
static void test_ussd_last_screen(void **state) {
  (void)state;
  static const struct {
    const char *name, *mo, *late;
    long long expire_at;
    const char *op, *its, *origin;
  } cases[] = {
      {"in time", "u1", NULL, NOW + 10000, "\"17\"", "\"0a01\"", "\"ussd\""},
      {"the wait screen was sent", "u2", "SET vasgw:ussd:late:u2 1",
       NOW + 10000, "nil", "nil", "\"reply\""},
      {"past its deadline", "u3", NULL, NOW - 1, "nil", "nil", "\"reply\""},
  };
  for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++) {
    print_message("case: %s\n", cases[i].name);
    free(vg_test_run(&R, "HSET vasgw:ussd:{" M "} sid 0a screen S_HOME"));
    if (cases[i].late)
      free(vg_test_run(&R, cases[i].late));
    vg_fn_mo_reply_t a = mo(cases[i].mo, "optout");
    a.channel = "ussd";
    a.ussd_op = 17;
    a.its = "0a01";
    a.expire_at = cases[i].expire_at;
    VG_EXPECT(reply(&a), ANSWERED("opted_out", ""));
    char line[128];
    snprintf(line, sizeof line, "HMGET vasgw:msg:re-%s ussd_op its origin text",
             cases[i].mo);
    char want[160];
    snprintf(want, sizeof want, "[%s,%s,%s,\"out 10658000\"]", cases[i].op,
             cases[i].its, cases[i].origin);
    VG_EXPECT(vg_test_run(&R, line), want);
    VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:ussd:{" M "}"), "0");
  }
}

/* A decline with an offer's code (the USSD menu's "不需要" on one offer)
 * declines that offer only; without a code (N by SMS) every pending one. */
static void test_decline_one(void **state) {
  (void)state;
  static const char *const setup[] = {
      "HSET vasgw:svc:SJB name 手机报 enabled 1",
      "HSET vasgw:offer:o1 id o1 state pending service CL expires 1767312000000 "
      "created 1767225500000 msisdn " M,
      "HSET vasgw:offer:o2 id o2 state pending service SJB expires 1767312000000 "
      "created 1767225500001 msisdn " M,
      "HSET vasgw:sub:{" M "}:offers 1 o1 2 o2", NULL};
  vg_test_setup(&R, setup);
  vg_fn_mo_reply_t a = mo("d1", "decline");
  a.code = "2";
  free(reply(&a));
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:offer:o1 state"), "\"pending\"");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:offer:o2 state"), "\"declined\"");
  a = mo("d2", "decline");
  free(reply(&a));
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:offer:o1 state"), "\"declined\"");
}

/* --- the MO stream entry ---------------------------------------------------- */

#define ENTRY "1767225600000-1"

/* The MO read by node n1 and not acknowledged yet. */
static const char *const stream[] = {
    "XGROUP CREATE vasgw:mo vasgw $ MKSTREAM",
    "XADD vasgw:mo " ENTRY " id m1 from " M " text BZ",
    "XREADGROUP GROUP vasgw n1 COUNT 10 STREAMS vasgw:mo >", NULL};

#define NOT_PENDING "[0,nil,nil,nil]"
#define PENDING "[1,\"" ENTRY "\",\"" ENTRY "\",[[\"n1\",\"1\"]]]"

static void test_stream_entry(void **state) {
  static const struct {
    const char *name;
    const char *setup[3];
    const char *kind;
    int gate;
    const char *want, *xlen, *pending;
  } cases[] = {
      {"answered", {NULL}, "help", 0, ANSWERED("help", ""), "0", NOT_PENDING},
      {"answered, gated", {NULL}, "optout", 1, ANSWERED("opted_out", ""), "0",
       NOT_PENDING},
      {"silent", {"SET " SUB ":help m0"}, "unknown", 0,
       SILENT("help_sent_today"), "0", NOT_PENDING},
      {"silent, rate", {"SET " SUB ":rate:" MINUTE " 10"}, "help", 1,
       SILENT("rate"), "0", NOT_PENDING},
      {"silent, loop", {"HSET " SUB " loop_until 1767225600001"}, "help", 1,
       SILENT("loop"), "0", NOT_PENDING},
      /* answered before (claimed by a second node): acknowledged now */
      {"answered before", {"HSET vasgw:msg:re-m1 id re-m1 state queued"},
       "help", 0, BEFORE, "0", NOT_PENDING},
      /* proceed: the C acknowledges it when it is done with the MO */
      {"proceed", {NULL}, "proceed", 1, "[\"proceed\"]", "1", PENDING},
  };
  for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++) {
    print_message("case: %s\n", cases[i].name);
    setup(state);
    vg_test_setup(&R, stream);
    vg_test_setup(&R, cases[i].setup);
    VG_EXPECT(vg_test_run(&R, "XPENDING vasgw:mo vasgw"), PENDING);
    vg_fn_mo_reply_t a = mo("m1", cases[i].kind);
    a.entry = ENTRY;
    a.gate = cases[i].gate;
    VG_EXPECT(reply(&a), cases[i].want);
    VG_EXPECT(vg_test_run(&R, "XLEN vasgw:mo"), cases[i].xlen);
    VG_EXPECT(vg_test_run(&R, "XPENDING vasgw:mo vasgw"), cases[i].pending);
  }
}

/* --- the MO gate: the rate limit -------------------------------------------- */

/* limit 10: the 10th MO of a clock minute is answered, the 11th is stored,
 * counted and not answered; the next minute counts afresh; other numbers
 * have their own count. */
static void test_rate_limit(void **state) {
  (void)state;
  char id[16];
  vg_fn_mo_reply_t a;
  for (int i = 1; i <= 10; i++) {
    snprintf(id, sizeof id, "m%d", i);
    a = mo(id, "help");
    a.gate = 1;
    a.now = NOW + i * 1000;
    VG_EXPECT(reply(&a), ANSWERED("help", ""));
  }
  VG_EXPECT(vg_test_run(&R, "GET " SUB ":rate:" MINUTE), "\"10\"");
  VG_EXPECT(vg_test_run(&R, "TTL " SUB ":rate:" MINUTE), "120");
  /* The 10th again (answered before): not counted again. */
  expect_again(&a, BEFORE);
  /* The 11th, in the last ms of the minute. */
  a = mo("m11", "help");
  a.gate = 1;
  a.now = NOW + 59999;
  VG_EXPECT(reply(&a), SILENT("rate"));
  VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:msg:re-m11"), "0");
  VG_EXPECT(vg_test_run(&R, "GET " SUB ":rate:" MINUTE), "\"11\"");
  VG_EXPECT(check("STATS"), "mo_rate_limited=1 queued=10");
  /* Not gated (an answer the C sends without the gate): answered. */
  a = mo("m12", "help");
  a.now = NOW + 59999;
  VG_EXPECT(reply(&a), ANSWERED("help", ""));
  VG_EXPECT(vg_test_run(&R, "GET " SUB ":rate:" MINUTE), "\"11\"");
  /* Another number in the same minute. */
  a = mo("m13", "help");
  a.msisdn = M2;
  a.gate = 1;
  a.now = NOW + 59999;
  VG_EXPECT(reply(&a), ANSWERED("help", ""));
  /* The next minute. */
  a = mo("m14", "help");
  a.gate = 1;
  a.now = NOW + 60000;
  VG_EXPECT(reply(&a), ANSWERED("help", ""));
  VG_EXPECT(vg_test_run(&R, "GET " SUB ":rate:29453761"), "\"1\"");
  VG_EXPECT(check("STATS"), "mo_rate_limited=1 queued=13");
  /* The gate comes before the kind: proceed is refused too. */
  VG_EXPECT(vg_test_run(&R, "SET " SUB ":rate:29453761 10"), "+OK");
  a = mo("m15", "proceed");
  a.gate = 1;
  a.now = NOW + 60001;
  VG_EXPECT(reply(&a), SILENT("rate"));
  a = mo("m16", "proceed");
  a.gate = 1;
  a.now = NOW + 120000;
  VG_EXPECT(reply(&a), "[\"proceed\"]");
  VG_EXPECT(vg_test_run(&R, "HGET " SUB " last_reply"), "\"re-m16\"");
  VG_EXPECT(check("STATS"), "mo_rate_limited=2 queued=13");
}

/* TD over the rate limit, or from a number taken for an auto-responder: the
 * opt-out is carried out, not answered.  DY is not: only the safe
 * direction passes the gate. */
static void test_optout_past_the_gate(void **state) {
  (void)state;
  VG_EXPECT(vg_test_run(&R, "SET " SUB ":rate:" MINUTE " 10"), "+OK");
  vg_fn_mo_reply_t a = mo("m1", "optout");
  a.gate = 1;
  VG_EXPECT(reply(&a), SILENT("rate"));
  VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:msg:re-m1"), "0");
  VG_EXPECT(check("HASH " SUB), "optout=1 optout_at=" NOW_S);
  VG_EXPECT(check("STATS"), "mo_rate_limited=1 optout=1");
  /* DY over the limit: not carried out. */
  a = mo("m2", "optin");
  a.gate = 1;
  VG_EXPECT(reply(&a), SILENT("rate"));
  VG_EXPECT(check("HASH " SUB), "optout=1 optout_at=" NOW_S);
  VG_EXPECT(check("STATS"), "mo_rate_limited=2 optout=1");
  /* An auto-responder's TD: carried out, not answered. */
  VG_EXPECT(vg_test_run(&R, "HSET " SUB2 " loop_until 1767225600001"), "1");
  a = mo("m3", "optout");
  a.msisdn = M2;
  a.gate = 1;
  VG_EXPECT(reply(&a), SILENT("loop"));
  VG_EXPECT(vg_test_run(&R, "HGET " SUB2 " optout"), "\"1\"");
  VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:msg:re-m3"), "0");
  VG_EXPECT(check("STATS"), "mo_loop=1 mo_rate_limited=2 optout=2");
}

/*
 * The gate counts an MO once.  A "proceed" leaves its stream entry pending
 * for the C (ZS, TJ, CX ...); when the node dies before the C answers,
 * another node claims the entry and calls mo_reply with the same MO id.
 * Counted again, it was 'rate' at the limit and acknowledged unanswered;
 * below it, `fast` was reset.  The same MO again passes as before and
 * changes nothing.
 */
static void test_gate_same_mo_twice(void **state) {
  (void)state;
  vg_test_setup(&R, (const char *const[]){"SET " SUB ":rate:" MINUTE " 9",
                                          NULL});
  vg_fn_mo_reply_t a = mo("m10", "proceed");
  a.gate = 1;
  VG_EXPECT(reply(&a), "[\"proceed\"]");
  expect_again(&a, "[\"proceed\"]");
}

/* --- the MO gate: auto-responders ------------------------------------------ */

/* One MO of the sequence: how our answer to the one before ended (state
 * and done_at; NULL: not touched), when this one comes, and the gate's
 * fields afterwards.  Times are ms after NOW. */
typedef struct {
  const char *mo;
  const char *prev_state;
  long long prev_done, at;
  const char *want;
  const char *fast;
  long long loop_until; /* 0: none */
} loop_step_t;

#define FAST 10000LL
#define LOOP_AT 29500LL

static const loop_step_t loop_steps[] = {
    {"m1", NULL, 0, 0, ANSWERED("help", ""), "0", 0},
    /* exactly `fast` after the delivery: fast */
    {"m2", "delivered", 1000, 1000 + FAST, ANSWERED("help", ""), "1", 0},
    /* 1 ms later than that: a person; the count starts again */
    {"m3", "delivered", 12000, 12000 + FAST + 1, ANSWERED("help", ""), "0", 0},
    {"m4", "delivered", 23000, 23500, ANSWERED("help", ""), "1", 0},
    /* an answer accepted but not known delivered proves nothing */
    {"m5", "accepted", 0, 24500, ANSWERED("help", ""), "0", 0},
    {"m6", "delivered", 25000, 25500, ANSWERED("help", ""), "1", 0},
    {"m7", "delivered", 26000, 26500, ANSWERED("help", ""), "2", 0},
    {"m8", "delivered", 27000, 27500, ANSWERED("help", ""), "3", 0},
    {"m9", "delivered", 28000, 28500, ANSWERED("help", ""), "4", 0},
    /* the 5th running (loop_n): not answered, left alone for `block` */
    {"m10", "delivered", 29000, LOOP_AT, SILENT("loop"), "0", LOOP_AT + DAY},
    {"m11", NULL, 0, LOOP_AT + DAY - 1, SILENT("loop"), "0", LOOP_AT + DAY},
    /* the block over: answered (our last answer was delivered long ago) */
    {"m12", NULL, 0, LOOP_AT + DAY, ANSWERED("help", ""), "0", LOOP_AT + DAY},
};

static void test_auto_responder(void **state) {
  (void)state;
  const char *prev = NULL;
  for (size_t i = 0; i < VG_ARRAY_SIZE(loop_steps); i++) {
    const loop_step_t *s = &loop_steps[i];
    print_message("step: %s\n", s->mo);
    char line[160];
    if (s->prev_state && strcmp(s->prev_state, "delivered") == 0) {
      snprintf(line, sizeof line, "HSET vasgw:msg:re-%s state delivered "
               "done_at %lld", prev, NOW + s->prev_done);
      vg_test_setup(&R, (const char *const[]){line, NULL});
    } else if (s->prev_state) {
      snprintf(line, sizeof line, "HSET vasgw:msg:re-%s state %s", prev,
               s->prev_state);
      vg_test_setup(&R, (const char *const[]){line, NULL});
    }
    vg_fn_mo_reply_t a = mo(s->mo, "help");
    a.gate = 1;
    a.limit = 100; /* the rate limit is another test's */
    a.now = NOW + s->at;
    VG_EXPECT(reply(&a), s->want);
    char want[128];
    if (s->loop_until)
      snprintf(want, sizeof want, "[\"%s\",\"%lld\"]", s->fast,
               NOW + s->loop_until);
    else
      snprintf(want, sizeof want, "[\"%s\",nil]", s->fast);
    VG_EXPECT(vg_test_run(&R, "HMGET " SUB " fast loop_until"), want);
    if (strstr(s->want, "answered"))
      prev = s->mo;
  }
  /* last_reply names the last answer let through, not the silent MO. */
  VG_EXPECT(vg_test_run(&R, "HGET " SUB " last_reply"), "\"re-m12\"");
  VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:msg:re-m10 vasgw:msg:re-m11"), "0");
  VG_EXPECT(check("STATS"), "mo_loop=2 queued=10");
}

/* A number left alone has nothing gated carried out (DY here; TD is
 * test_optout_past_the_gate's), and the loop is the gate's first rule:
 * before the rate limit. */
static void test_loop_before_rate(void **state) {
  (void)state;
  vg_test_setup(&R, (const char *const[]){
                        "HSET " SUB " loop_until 1767225660000",
                        "SET " SUB ":rate:" MINUTE " 10", NULL});
  vg_fn_mo_reply_t a = mo("m1", "optin");
  a.gate = 1;
  VG_EXPECT(reply(&a), SILENT("loop"));
  VG_EXPECT(vg_test_run(&R, "HEXISTS " SUB " optout"), "0");
  VG_EXPECT(vg_test_run(&R, "GET " SUB ":rate:" MINUTE), "\"11\"");
  VG_EXPECT(check("STATS"), "mo_loop=1");
}

int main(void) {
  vg_test_redis_start(&R);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_kinds, setup),
      cmocka_unit_test_setup(test_help_once, setup),
      cmocka_unit_test_setup(test_register_numbers, setup),
      cmocka_unit_test_setup(test_ussd_last_screen, setup),
      cmocka_unit_test_setup(test_decline_one, setup),
      cmocka_unit_test_setup(test_answer_queued, setup),
      cmocka_unit_test_setup(test_stream_entry, setup),
      cmocka_unit_test_setup(test_rate_limit, setup),
      cmocka_unit_test_setup(test_optout_past_the_gate, setup),
      cmocka_unit_test_setup(test_gate_same_mo_twice, setup),
      cmocka_unit_test_setup(test_auto_responder, setup),
      cmocka_unit_test_setup(test_loop_before_rate, setup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vg_test_redis_stop(&R);
  return rc;
}
