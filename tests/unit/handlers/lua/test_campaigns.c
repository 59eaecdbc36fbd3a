/*
 * test_campaigns.c — handlers/lua/campaigns.lua against a real
 * redis-server: campaign_create's ids and refusals; campaign_add's
 * filters in their order (table-driven), the CLI's fates, duplicates,
 * the holdout and the batch taken once; campaign_act's lifecycle (a
 * table of state, action, who); campaign_send's rate, its waits and its
 * end; the funnel counted by the offer's answer and the order's result
 * (states.lua, orders.lua); and campaign_charged's lift.  Each function
 * is also called twice to prove the second call changes nothing.
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
#define TODAY "20260101"
#define S(x) #x
#define NUM(x) S(x)
#define SINCE "20251003" /* TODAY less 89: complaint_block_days 90 */
#define SUB "vasgw:sub:{" M "}"
#define C1 "vasgw:campaign:C1"
#define FATES C1 ":r:0" /* one bucket unless a case says otherwise */
/* A care-feed fact about M, as `vasgw feed import` stores it (two lines). */
#define FACT(member)                                                           \
  "SADD vasgw:facts:{" M "} " member, "SADD vasgw:facts:index " M

/* The service catalogue every case starts with: CL enabled, XW disabled. */
static const char *const catalogue[] = {
    "HSET vasgw:svc:CL code CL name 彩铃 provision_code RBT enabled 1",
    "HSET vasgw:svc:XW code XW name 新闻 enabled 0",
    "HSET vasgw:svc:SJB code SJB name 手机报 enabled 1",
    "SADD vasgw:svc:index CL XW SJB", NULL};

static int setup(void **state) {
  (void)state;
  vg_test_redis_reset(&R);
  vg_test_setup(&R, catalogue);
  return 0;
}

/* The i-th target number of a list: 8613800100000 + i (kept: a call
 * packed refers to its strings). */
#define NTH_MAX 1000
static const char *nth(int i) {
  static char nums[NTH_MAX][16];
  assert_true(i >= 0 && i < NTH_MAX);
  if (nums[i][0] == '\0')
    snprintf(nums[i], sizeof nums[i], "%lld", 8613800100000LL + i);
  return nums[i];
}

/* --- the calls ------------------------------------------------------------ */

static vg_fn_campaign_create_t campaign(void) {
  vg_fn_campaign_create_t a = {.prefix = P,
                               .now = NOW,
                               .name = "春节彩铃",
                               .service = "CL",
                               .text =
                                   "{{name}}您好, 回复\x1a订购彩铃, 回复TD退订",
                               .vars = "name,city",
                               .tps = 10,
                               .start = 0,
                               .end_at = 0,
                               .window = "",
                               .target = "",
                               .holdout_bp = 0,
                               .user = "alice",
                               .buckets = 1,
                               .file = "/srv/targets.csv"};
  return a;
}

static char *create(const vg_fn_campaign_create_t *a) {
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_campaign_create(&c, a);
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

typedef struct {
  const char *msisdn, *fate, *vars;
} row_t;

/* campaign_add of batch `seq` of campaign `id`, its rows on lines 2, 3 ...
 * of the file, into *c (vg_fcall_free it). */
static void add_call(vg_fcall_t *c, const char *id, long long seq,
                     const row_t *rows, size_t n) {
  vg_fn_campaign_add_t a = {.prefix = P,
                            .id = id,
                            .seq = seq,
                            .now = NOW,
                            .day = TODAY,
                            .interval = 60 * DAY,
                            .cancel_block = 90 * DAY,
                            .max_per_day = 2,
                            .complaint_since = SINCE};
  *c = (vg_fcall_t)VG_FCALL_INIT;
  vg_fn_campaign_add(c, &a);
  for (size_t i = 0; i < n; i++) {
    vg_fn_campaign_add_rows_t g = {.msisdn = rows[i].msisdn,
                                   .line = (long long)i + 2,
                                   .fate = rows[i].fate ? rows[i].fate : "",
                                   .vars = rows[i].vars ? rows[i].vars : ""};
    vg_fn_campaign_add_rows(c, &g);
  }
}

static char *add(const char *id, long long seq, const row_t *rows, size_t n) {
  vg_fcall_t c;
  add_call(&c, id, seq, rows, n);
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

/* campaign_add of numbers nth(from) ... nth(to - 1), each with values. */
static char *add_range(const char *id, long long seq, int from, int to) {
  vg_fcall_t c;
  add_call(&c, id, seq, NULL, 0);
  for (int i = from; i < to; i++) {
    vg_fn_campaign_add_rows_t g = {
        .msisdn = nth(i), .line = i + 2, .fate = "", .vars = "某某\t北京"};
    vg_fn_campaign_add_rows(&c, &g);
  }
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

static void act_call(vg_fcall_t *c, const char *id, const char *action,
                     const char *user, int require_approval) {
  vg_fn_campaign_act_t a = {.prefix = P,
                            .id = id,
                            .action = action,
                            .user = user,
                            .now = NOW + 60000,
                            .day = TODAY,
                            .require_approval = require_approval,
                            .fates_ttl = 90 * DAY};
  *c = (vg_fcall_t)VG_FCALL_INIT;
  vg_fn_campaign_act(c, &a);
}

static char *act(const char *id, const char *action, const char *user,
                 int require_approval) {
  vg_fcall_t c;
  act_call(&c, id, action, user, require_approval);
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

/* A call of the daemon's runner at `now`, nothing closed; every = 50 ms
 * makes its bucket (two calls' worth) one token at 10 a second, the
 * calls below come every 100 ms. */
static vg_fn_campaign_send_t sending(long long now) {
  vg_fn_campaign_send_t a = {.prefix = P,
                             .id = "C1",
                             .now = now,
                             .every = 50, /* the bucket: two calls' worth, 1 token */
                             .max = 100,
                             .backlog = 1000,
                             .closed = "",
                             .until_at = 0,
                             .expire_at = 0,
                             .day = TODAY,
                             .month = "202601",
                             .offer_ttl = 48 * 3600000LL,
                             .keep = 7 * DAY,
                             .interval = 60 * DAY,
                             .cancel_block = 90 * DAY,
                             .max_per_day = 2,
                             .complaint_since = SINCE,
                             .msg_ttl = 7 * 86400,
                             .src = "",
                             .fates_ttl = 90 * DAY};
  return a;
}

static char *send_call(const vg_fn_campaign_send_t *a) {
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_campaign_send(&c, a);
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

static char *send_at(long long now) {
  vg_fn_campaign_send_t a = sending(now);
  return send_call(&a);
}

/* Campaign C1 of `a`, its targets nth(0) ... nth(n - 1) in one batch,
 * made ready and started (no approval required). */
static void running(const vg_fn_campaign_create_t *a, int n) {
  VG_EXPECT(create(a), "\"C1\"");
  VG_EXPECT(add_range("C1", 1, 0, n), "\"added\"");
  VG_EXPECT(act("C1", "ready", "alice", 0), "[\"ok\",\"draft\"]");
  VG_EXPECT(act("C1", "start", "alice", 0), "[\"ok\",\"running\"]");
}

/* A field of a hash, as text ("" for none): for counting in C. */
static long long hnum(const char *key, const char *field) {
  char line[256];
  snprintf(line, sizeof line, "HGET %s %s", key, field);
  char *s = vg_test_run(&R, line);
  long long v = s[0] == '"' ? atoll(s + 1) : 0;
  free(s);
  return v;
}

/* --- campaign_create ------------------------------------------------------ */

static void test_create(void **state) {
  (void)state;
  vg_fn_campaign_create_t a = campaign();
  VG_EXPECT(create(&a), "\"C1\"");
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 " id state service creator batches "
                            "vars tps buckets holdout_bp created"),
            "[\"C1\",\"importing\",\"CL\",\"alice\",\"0\",\"name,city\","
            "\"10\",\"1\",\"0\",\"" NOW_S "\"]");
  VG_EXPECT(vg_test_run(&R, "ZRANGE vasgw:campaigns 0 -1 WITHSCORES"),
            "[\"C1\",\"" NOW_S "\"]");
  VG_EXPECT(vg_test_run(&R, "SMEMBERS vasgw:campaigns:svc:CL"), "[\"C1\"]");
  VG_EXPECT(vg_test_run(&R, "SISMEMBER vasgw:campaigns:running C1"), "0");
  a.service = "SJB";
  VG_EXPECT(create(&a), "\"C2\"");
  VG_EXPECT(vg_test_run(&R, "SMEMBERS vasgw:campaigns:svc:SJB"), "[\"C2\"]");

  /* Refused: nothing written, no id taken. */
  static const struct {
    const char *svc, *want;
  } refused[] = {
      {"ZZ", "!ERR no service ZZ in the catalogue"},
      {"XW", "!ERR service XW is disabled"},
  };
  for (size_t i = 0; i < VG_ARRAY_SIZE(refused); i++) {
    print_message("case: %s\n", refused[i].svc);
    a.service = refused[i].svc;
    vg_fcall_t c = VG_FCALL_INIT;
    vg_fn_campaign_create(&c, &a);
    VG_EXPECT_REFUSED(&R, &c, refused[i].want);
    vg_fcall_free(&c);
  }
  a.service = "CL";
  VG_EXPECT(create(&a), "\"C3\"");
}

/* --- campaign_add --------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *setup[6];
  const char *fate; /* the number's fate: q, or f:<reason> */
} filter_case_t;

static const filter_case_t filter_cases[] = {
    {"nothing known", {NULL}, "q"},
    {"opted out", {"HSET " SUB " optout 1"}, "f:opted_out"},
    {"opted in again", {"HSET " SUB " optout 0"}, "q"},
    {"blocklisted", {"SADD vasgw:blocklist " M}, "f:blocklisted"},
    {"another number blocklisted", {"SADD vasgw:blocklist 8613900139001"}, "q"},
    {"complaint on the first day of the block",
     {FACT("CL|complaint|" SINCE)},
     "f:complained"},
    {"complaint the day before the block",
     {FACT("CL|complaint|20251002")},
     "q"},
    {"complaint about another service", {FACT("SJB|complaint|20251225")}, "q"},
    {"complaint about the number",
     {FACT("|complaint|20251225")},
     "f:complained"},
    {"active", {"HSET " SUB " svc:CL active"}, "f:already_subscribed"},
    {"cancelling", {"HSET " SUB " svc:CL cancelling"}, "f:already_subscribed"},
    {"another service active", {"HSET " SUB " svc:SJB active"}, "q"},
    {"ordering", {"HSET " SUB " svc:CL ordering"}, "f:order_in_progress"},
    {"contacted an interval ago less 1 ms",
     {"HSET " SUB " last_contact " NUM(1762041600001)},
     "f:contacted_recently"},
    {"contacted exactly an interval ago",
     {"HSET " SUB " last_contact " NUM(1762041600000)},
     "q"},
    {"cancelled a block ago less 1 ms",
     {"HSET " SUB " svc:CL cancelled svc:CL:at " NUM(1759449600001)},
     "f:cancelled_recently"},
    {"cancelled exactly a block ago",
     {"HSET " SUB " svc:CL cancelled svc:CL:at " NUM(1759449600000)},
     "q"},
    {"two today", {"SET " SUB ":day:" TODAY " 2"}, "f:daily_limit"},
    {"one today", {"SET " SUB ":day:" TODAY " 1"}, "q"},
    {"two yesterday", {"SET " SUB ":day:20251231 2"}, "q"},
    /* two at once: the first in docs/campaigns.md's order counts alone */
    {"opted out and subscribed",
     {"HSET " SUB " optout 1 svc:CL active"},
     "f:opted_out"},
    {"opted out and blocklisted",
     {"HSET " SUB " optout 1", "SADD vasgw:blocklist " M},
     "f:opted_out"},
    {"blocklisted and complained",
     {"SADD vasgw:blocklist " M, FACT("CL|complaint|20251225")},
     "f:blocklisted"},
    {"complained and subscribed",
     {FACT("CL|complaint|20251225"), "HSET " SUB " svc:CL active"},
     "f:complained"},
    {"subscribed and contacted",
     {"HSET " SUB " svc:CL active last_contact " NOW_S},
     "f:already_subscribed"},
    {"ordering and contacted",
     {"HSET " SUB " svc:CL ordering last_contact " NOW_S},
     "f:order_in_progress"},
    {"contacted and cancelled",
     {"HSET " SUB " last_contact " NOW_S " svc:CL cancelled svc:CL:at " NOW_S},
     "f:contacted_recently"},
    {"cancelled and at the daily cap",
     {"HSET " SUB " svc:CL cancelled svc:CL:at " NOW_S,
      "SET " SUB ":day:" TODAY " 2"},
     "f:cancelled_recently"},
};

static void test_add_filters(void **state) {
  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(filter_cases); i++) {
    const filter_case_t *k = &filter_cases[i];
    print_message("case: %s\n", k->name);
    setup(NULL);
    vg_test_setup(&R, k->setup);
    vg_fn_campaign_create_t a = campaign();
    VG_EXPECT(create(&a), "\"C1\"");
    const row_t row = {M, "", "张三\t北京"};
    VG_EXPECT(add("C1", 1, &row, 1), "\"added\"");
    char want[64];
    snprintf(want, sizeof want, "\"%s\"", k->fate);
    VG_EXPECT(vg_test_run(&R, "HGET " FATES " " M), want);
    /* Counted once, under its name: targets and that counter alone. */
    const char *counter = strcmp(k->fate, "q") == 0 ? "queued" : k->fate;
    char line[128];
    snprintf(line, sizeof line, "HMGET " C1 ":n targets %s%s",
             counter[0] == 'f' ? "filtered:" : "",
             counter[0] == 'f' ? counter + 2 : counter);
    VG_EXPECT(vg_test_run(&R, line), "[\"1\",\"1\"]");
    VG_EXPECT(vg_test_run(&R, "HLEN " C1 ":n"), "2");
    VG_EXPECT(vg_test_run(&R, "LRANGE " C1 ":q 0 -1"),
              strcmp(k->fate, "q") == 0 ? "[\"" M "\t张三\t北京\"]" : "[]");
  }
}

/* What the CLI decided, duplicates, malformed rows, the queue's entries. */
static void test_add_rows(void **state) {
  (void)state;
  vg_fn_campaign_create_t a = campaign();
  VG_EXPECT(create(&a), "\"C1\"");
  static const row_t rows[] = {
      {"8613800000001", "", "张三\t北京"},       /* line 2 */
      {"8613800000001", "", "张三\t北京"},       /* a duplicate */
      {"8613800000002", "off_net", ""},          /* 4 */
      {"8613800000002", "off_net", ""},          /* off-net again */
      {"8613800000003", "outside_target", ""},   /* 6 */
      {"abc,def", "malformed", ""},              /* 7 */
      {"8613800000004", "text_too_long", ""},    /* 8 */
      {"8613800000005", "missing_variable", ""}, /* 9 */
      {"8613800000001", "text_too_long", ""},    /* 10: stays queued */
      {"8613800000006", "", "李四\t"},           /* 11: an empty value */
  };
  vg_fcall_t c;
  add_call(&c, "C1", 1, rows, VG_ARRAY_SIZE(rows));
  VG_EXPECT(vg_test_fcall(&R, &c), "\"added\"");
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 ":n targets queued filtered:duplicate "
                            "filtered:off_net filtered:outside_target "
                            "filtered:malformed filtered:text_too_long "
                            "filtered:missing_variable"),
            "[\"10\",\"2\",\"1\",\"2\",\"1\",\"1\",\"2\",\"1\"]");
  VG_EXPECT(vg_test_run(&R, "HLEN " C1 ":n"), "8");
  VG_EXPECT(vg_test_run(&R, "HMGET " FATES " 8613800000001 8613800000002 "
                            "8613800000003 8613800000004 8613800000005 "
                            "8613800000006 abc,def"),
            "[\"q\",\"f:off_net\",\"f:outside_target\",\"f:text_too_long\","
            "\"f:missing_variable\",\"q\",nil]");
  VG_EXPECT(vg_test_run(&R, "LRANGE " C1 ":bad 0 -1"), "[\"7\tabc,def\"]");
  VG_EXPECT(vg_test_run(&R, "LRANGE " C1 ":q 0 -1"),
            "[\"8613800000001\t张三\t北京\",\"8613800000006\t李四\t\"]");
  VG_EXPECT(vg_test_run(&R, "HGET " C1 " batches"), "\"1\"");

  /* The same batch again (its reply lost): taken once. */
  VG_EXPECT_AGAIN(&R, &c, "\"again\"", NULL);
  vg_fcall_free(&c);
  /* The next batch counts on; then either again changes nothing. */
  const row_t next = {"8613800000007", "", ""};
  VG_EXPECT(add("C1", 2, &next, 1), "\"added\"");
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 ":n targets queued"), "[\"11\",\"3\"]");
  VG_EXPECT(vg_test_run(&R, "LINDEX " C1 ":q 2"), "\"8613800000007\"");
  for (long long seq = 1; seq <= 2; seq++) {
    add_call(&c, "C1", seq, &next, 1);
    VG_EXPECT_AGAIN(&R, &c, "\"again\"", NULL);
    vg_fcall_free(&c);
  }

  /* Made ready, it takes no more targets; nor does a campaign unknown. */
  VG_EXPECT(act("C1", "ready", "alice", 1), "[\"ok\",\"draft\"]");
  add_call(&c, "C1", 3, &next, 1);
  VG_EXPECT_REFUSED(&R, &c, "!ERR campaign C1 is draft, not importing");
  vg_fcall_free(&c);
  add_call(&c, "C9", 1, &next, 1);
  VG_EXPECT_REFUSED(&R, &c, "!ERR no campaign C9");
  vg_fcall_free(&c);
}

/* The fates of nth(0) ... nth(n - 1) in campaign C1 of `buckets`: "h" or
 * "q" each, as one string. */
static void fates(char *out, int n, int buckets) {
  for (int i = 0; i < n; i++) {
    const char *m = nth(i);
    char line[128];
    snprintf(line, sizeof line, "HGET " C1 ":r:%d %s",
             atoi(m + strlen(m) - 6) % buckets, m);
    char *s = vg_test_run(&R, line);
    assert_true(strcmp(s, "\"h\"") == 0 || strcmp(s, "\"q\"") == 0);
    out[i] = s[1];
    free(s);
  }
  out[n] = '\0';
}

/* The holdout: half of 1000 valid targets, in batches, spread over the
 * buckets; and the same half again from the same list. */
static void test_add_holdout(void **state) {
  (void)state;
  enum { N = 1000, BUCKETS = 7 };
  static char first[N + 1], second[N + 1];
  for (int round = 0; round < 2; round++) {
    setup(NULL);
    vg_fn_campaign_create_t a = campaign();
    a.holdout_bp = 5000;
    a.buckets = BUCKETS;
    VG_EXPECT(create(&a), "\"C1\"");
    for (int b = 0; b < 5; b++)
      VG_EXPECT(add_range("C1", b + 1, b * 200, b * 200 + 200), "\"added\"");
    long long hold = hnum(C1 ":n", "holdout"), queued = hnum(C1 ":n", "queued");
    print_message("held out %lld of %d\n", hold, N);
    assert_int_equal(hnum(C1 ":n", "targets"), N);
    assert_int_equal(hold + queued, N);
    assert_true(hold > 430 && hold < 570);
    char line[64];
    snprintf(line, sizeof line, "LLEN " C1 ":q");
    char *len = vg_test_run(&R, line);
    assert_int_equal(atoll(len), queued);
    free(len);
    fates(round ? second : first, N, BUCKETS);
    /* the fates are spread over every bucket */
    for (int b = 0; b < BUCKETS; b++) {
      snprintf(line, sizeof line, "HLEN " C1 ":r:%d", b);
      char *s = vg_test_run(&R, line);
      assert_true(atoll(s) > 0);
      free(s);
    }
  }
  assert_string_equal(first, second);
  /* none held out at 0 */
  setup(NULL);
  vg_fn_campaign_create_t a = campaign();
  VG_EXPECT(create(&a), "\"C1\"");
  VG_EXPECT(add_range("C1", 1, 0, 200), "\"added\"");
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 ":n queued holdout"), "[\"200\",nil]");
}

/* --- campaign_act --------------------------------------------------------- */

typedef struct {
  const char *from; /* the campaign's state before */
  const char *action;
  const char *user; /* alice created it */
  int require_approval;
  const char *want;
  const char *again; /* the same action once more */
} act_case_t;

#define OK(st) "[\"ok\",\"" st "\"]"
#define SAME(st) "[\"same\",\"" st "\"]"
#define REFUSED(st, why) "[\"refused\",\"" st "\",\"" why "\"]"
#define CANNOT(st, done)                                                       \
  REFUSED(st, "a campaign that is " st " cannot be " done)

static const act_case_t act_cases[] = {
    {"importing", "ready", "alice", 1, OK("draft"), SAME("draft")},
    {"importing", "approve", "bob", 1, CANNOT("importing", "approved"),
     CANNOT("importing", "approved")},
    {"importing", "start", "bob", 0, CANNOT("importing", "started"),
     CANNOT("importing", "started")},
    {"importing", "cancel", "alice", 1, OK("cancelled"), SAME("cancelled")},
    /* the four eyes: not the creator, and not unapproved */
    {"draft", "approve", "alice", 1,
     REFUSED("draft", "the campaign was created by alice; another operator "
                      "must approve it"),
     REFUSED("draft", "the campaign was created by alice; another operator "
                      "must approve it")},
    {"draft", "approve", "bob", 1, OK("approved"), SAME("approved")},
    {"draft", "approve", "alice", 0, OK("approved"), SAME("approved")},
    {"draft", "start", "bob", 1,
     REFUSED("draft", "the campaign is not approved yet (vasgw campaign "
                      "approve C1)"),
     REFUSED("draft", "the campaign is not approved yet (vasgw campaign "
                      "approve C1)")},
    {"draft", "start", "alice", 0, OK("running"), SAME("running")},
    {"draft", "ready", "alice", 1, SAME("draft"), SAME("draft")},
    {"approved", "start", "alice", 1, OK("running"), SAME("running")},
    {"approved", "approve", "bob", 1, SAME("approved"), SAME("approved")},
    {"approved", "cancel", "alice", 1, OK("cancelled"), SAME("cancelled")},
    {"running", "pause", "alice", 1, OK("paused"), SAME("paused")},
    {"running", "resume", "alice", 1, SAME("running"), SAME("running")},
    {"running", "start", "alice", 1, SAME("running"), SAME("running")},
    {"running", "approve", "bob", 1, CANNOT("running", "approved"),
     CANNOT("running", "approved")},
    {"running", "complete", "alice", 1, OK("completed"),
     CANNOT("completed", "completed")},
    {"running", "cancel", "alice", 1, OK("cancelled"), SAME("cancelled")},
    {"paused", "resume", "alice", 1, OK("running"), SAME("running")},
    {"paused", "pause", "alice", 1, SAME("paused"), SAME("paused")},
    {"paused", "start", "alice", 1, CANNOT("paused", "started"),
     CANNOT("paused", "started")},
    {"paused", "cancel", "alice", 1, OK("cancelled"), SAME("cancelled")},
    /* final states */
    {"completed", "resume", "alice", 1, CANNOT("completed", "resumed"),
     CANNOT("completed", "resumed")},
    {"completed", "cancel", "alice", 1, CANNOT("completed", "cancelled"),
     CANNOT("completed", "cancelled")},
    {"cancelled", "cancel", "alice", 1, SAME("cancelled"), SAME("cancelled")},
    {"cancelled", "start", "alice", 0, CANNOT("cancelled", "started"),
     CANNOT("cancelled", "started")},
    {"cancelled", "ready", "alice", 1, CANNOT("cancelled", "made ready"),
     CANNOT("cancelled", "made ready")},
};

static void test_act(void **state) {
  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(act_cases); i++) {
    const act_case_t *k = &act_cases[i];
    print_message("case: %s, %s by %s (approval %d)\n", k->from, k->action,
                  k->user, k->require_approval);
    setup(NULL);
    vg_fn_campaign_create_t a = campaign();
    VG_EXPECT(create(&a), "\"C1\"");
    char line[256];
    snprintf(line, sizeof line, "HSET " C1 " state %s", k->from);
    vg_test_setup(&R, (const char *const[]){line, NULL});
    if (strcmp(k->from, "running") == 0)
      vg_test_setup(
          &R, (const char *const[]){"SADD vasgw:campaigns:running C1", NULL});
    char *before = vg_test_snapshot(&R, NULL);
    vg_fcall_t c;
    act_call(&c, "C1", k->action, k->user, k->require_approval);
    VG_EXPECT(vg_test_fcall(&R, &c), k->want);
    char *after = vg_test_snapshot(&R, NULL);
    /* Only an ok writes: the state, who and when; running is a set the
     * daemons read. */
    if (strncmp(k->want, "[\"ok\",\"", 7) == 0) {
      char to[32];
      snprintf(to, sizeof to, "%.*s", (int)strlen(k->want) - 9, k->want + 7);
      snprintf(line, sizeof line, "HMGET " C1 " state %s_by %s_at", k->action,
               k->action);
      char want[128];
      snprintf(want, sizeof want, "[\"%s\",\"%s\",\"%lld\"]", to, k->user,
               NOW + 60000); /* act_call's now */
      VG_EXPECT(vg_test_run(&R, line), want);
      VG_EXPECT(vg_test_run(&R, "SISMEMBER vasgw:campaigns:running C1"),
                strcmp(to, "running") == 0 ? "1" : "0");
      if (strcmp(k->action, "start") == 0)
        VG_EXPECT(vg_test_run(&R, "HGET " C1 " started_day"), "\"" TODAY "\"");
    } else {
      assert_string_equal(before, after);
    }
    free(before);
    free(after);
    VG_EXPECT_AGAIN(&R, &c, k->again, NULL);
    vg_fcall_free(&c);
  }
  /* No such campaign, no such action. */
  vg_fcall_t c;
  act_call(&c, "C9", "start", "alice", 0);
  VG_EXPECT_REFUSED(&R, &c, "!ERR no campaign C9");
  vg_fcall_free(&c);
  act_call(&c, "C1", "explode", "alice", 0);
  VG_EXPECT_REFUSED(&R, &c,
                    "!ERR campaign C1: no action explode in state cancelled");
  vg_fcall_free(&c);
}


/* An approval by one of the people the creator may be is refused, however
 * the identity is written (vg_oplog_people): root through sudo by alice
 * created it; alice's `sudo -u bob`, or nobody with SUDO_USER=alice set by
 * hand, is alice; root through sudo by bob is bob. */
static void test_act_people(void **state) {
  (void)state;
  vg_fn_campaign_create_t a = campaign();
  a.user = "root (sudo by alice)";
  a.people = "alice";
  VG_EXPECT(create(&a), "\"C1\"");
  VG_EXPECT(add_range("C1", 1, 0, 3), "\"added\"");
  VG_EXPECT(act("C1", "ready", "root (sudo by alice)", 1), "[\"ok\",\"draft\"]");
  static const struct {
    const char *user, *people, *want;
  } cases[] = {
      {"bob (sudo by alice)", "bob,alice", "refused"},
      {"nobody (sudo by alice)", "nobody,alice", "refused"},
      {"root (sudo by alice)", "alice", "refused"},
      {"root (sudo by bob)", "bob", "ok"},
  };
  for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++) {
    vg_fn_campaign_act_t x = {.prefix = P,
                              .id = "C1",
                              .action = "approve",
                              .user = cases[i].user,
                              .people = cases[i].people,
                              .now = NOW + 60000,
                              .day = TODAY,
                              .require_approval = 1,
                              .fates_ttl = 90 * DAY};
    vg_fcall_t c = VG_FCALL_INIT;
    vg_fn_campaign_act(&c, &x);
    char *r = vg_test_fcall(&R, &c);
    vg_fcall_free(&c);
    if (strncmp(r + 2, cases[i].want, strlen(cases[i].want)) != 0)
      print_message("case %zu (%s): %s\n", i, cases[i].user, r);
    assert_int_equal(strncmp(r + 2, cases[i].want, strlen(cases[i].want)), 0);
    free(r);
  }
}

/* A cancel drops the recipients not sent yet: counted, and their fate. */
static void test_act_cancel_drops(void **state) {
  (void)state;
  vg_fn_campaign_create_t a = campaign();
  running(&a, 5);
  VG_EXPECT(send_at(NOW + 60000), "[\"running\",1,0,4,\"\"]");
  VG_EXPECT(act("C1", "cancel", "alice", 1), OK("cancelled"));
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 ":n sent cancelled"), "[\"1\",\"4\"]");
  VG_EXPECT(vg_test_run(&R, "EXISTS " C1 ":q"), "0");
  char line[128];
  snprintf(line, sizeof line, "HMGET " FATES " %s %s %s", nth(0), nth(1),
           nth(4));
  /* The list goes whole; the fates left `q` read as the campaign's rest. */
  VG_EXPECT(vg_test_run(&R, line), "[\"s\",\"q\",\"q\"]");
  VG_EXPECT(vg_test_run(&R, "HGET " C1 " rest"), "\"c\"");
  VG_EXPECT(vg_test_run(&R, "SISMEMBER vasgw:campaigns:running C1"), "0");
  /* Ended: the fates lapse after fates_ttl (kept for the export until
   * then); the campaign and its funnel stay. */
  char *ttl = vg_test_run(&R, "PTTL " FATES);
  long long left = strtoll(ttl, NULL, 10);
  assert_true(left > 89 * DAY && left <= 90 * DAY);
  free(ttl);
  VG_EXPECT(vg_test_run(&R, "PTTL " C1), "-1");
  VG_EXPECT(vg_test_run(&R, "PTTL " C1 ":n"), "-1");
  /* Cancelled again: the same, nothing counted twice. */
  vg_fcall_t c;
  act_call(&c, "C1", "cancel", "alice", 1);
  VG_EXPECT_AGAIN(&R, &c, SAME("cancelled"), NULL);
  vg_fcall_free(&c);
  /* It sends no more. */
  VG_EXPECT(send_at(NOW + 120000), "[\"cancelled\",0,0,0,\"\"]");
}

/* --- campaign_send -------------------------------------------------------- */

/* The fate of nth(i) in C1 (one bucket). */
static char *fate(int i) {
  char line[128];
  snprintf(line, sizeof line, "HGET " FATES " %.15s", nth(i));
  return vg_test_run(&R, line);
}

/* 50 queued at 10 a second, a call every 100 ms: one token a call. */
static void test_send_rate(void **state) {
  (void)state;
  vg_fn_campaign_create_t a = campaign();
  running(&a, 50);
  long long t = NOW + 60000;
  /* The first call: the bucket full, holding one call's worth. */
  VG_EXPECT(send_at(t), "[\"running\",1,0,49,\"\"]");
  /* Again at the same moment (another daemon): no token left. */
  VG_EXPECT(send_at(t), "[\"running\",0,0,49,\"\"]");
  /* Every 100 ms one more: ten a second. */
  char want[64];
  for (int i = 1; i <= 10; i++) {
    snprintf(want, sizeof want, "[\"running\",1,0,%d,\"\"]", 49 - i);
    VG_EXPECT(send_at(t + 100 * i), want);
  }
  /* Five seconds without a call: still one call's worth, not fifty. */
  VG_EXPECT(send_at(t + 6000), "[\"running\",1,0,38,\"\"]");
  /* Two daemons, each every 100 ms, 50 ms apart: the rate is shared. */
  int sent = 0;
  for (int i = 1; i <= 20; i++) {
    char *r = send_at(t + 6000 + 50 * i);
    sent += strncmp(r, "[\"running\",1,", 13) == 0;
    free(r);
  }
  assert_int_equal(sent, 10);

  /* Each in the bulk lane, counted in the campaign's tally, its offer
   * the campaign's, its code in the SMS. */
  VG_EXPECT(vg_test_run(&R, "XLEN vasgw:mt:bulk"), "22");
  VG_EXPECT(vg_test_run(&R, "XLEN vasgw:mt"), "0");
  VG_EXPECT(vg_test_run(&R, "HGET " C1 ":mt queued"), "\"22\"");
  VG_EXPECT(vg_test_run(&R, "HGET " C1 ":n sent"), "\"22\"");
  char line[160];
  snprintf(line, sizeof line, "HMGET vasgw:msg:of-C1.%s lane tally text to",
           nth(0));
  char *got = vg_test_run(&R, line);
  char full[256];
  snprintf(
      full, sizeof full,
      "[\"bulk\",\"campaign:C1:mt\",\"某某您好, 回复1订购彩铃, 回复TD退订\","
      "\"%s\"]",
      nth(0));
  assert_string_equal(got, full);
  free(got);
  snprintf(line, sizeof line,
           "HMGET vasgw:offer:C1.%s msisdn service channel source campaign "
           "code state",
           nth(0));
  snprintf(full, sizeof full,
           "[\"%s\",\"CL\",\"campaign\",\"campaign\",\"C1\",\"1\",\"pending\"]",
           nth(0));
  got = vg_test_run(&R, line);
  assert_string_equal(got, full);
  free(got);
  /* Nobody twice: one offer for each recipient sent, none for the rest. */
  int offers = 0;
  for (int i = 0; i < 50; i++) {
    snprintf(line, sizeof line, "EXISTS vasgw:offer:C1.%.15s", nth(i));
    char *e = vg_test_run(&R, line);
    offers += atoi(e);
    free(e);
    char *f = fate(i);
    assert_string_equal(f, i < 22 ? "\"s\"" : "\"q\"");
    free(f);
  }
  assert_int_equal(offers, 22);

  /* The last recipient completes it. */
  char *r = NULL;
  long long at = t + 10000;
  for (int i = 0; i < 28; i++) {
    free(r);
    r = send_at(at += 100);
  }
  assert_string_equal(r, "[\"completed\",1,0,0,\"\"]");
  free(r);
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 " state completed_at"),
            "[\"completed\",\"" NUM(1767225672800) "\"]");
  VG_EXPECT(vg_test_run(&R, "SISMEMBER vasgw:campaigns:running C1"), "0");
  VG_EXPECT(vg_test_run(&R, "HGET " C1 ":n sent"), "\"50\"");
  VG_EXPECT(vg_test_run(&R, "XLEN vasgw:mt:bulk"), "50");
  /* The runner calls once more before it sees: nothing. */
  vg_fn_campaign_send_t s = sending(at + 100);
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_campaign_send(&c, &s);
  VG_EXPECT_AGAIN(&R, &c, "[\"completed\",0,0,0,\"\"]", NULL);
  vg_fcall_free(&c);
}

/* What makes a running campaign wait, and what ends it. */
static void test_send_waits(void **state) {
  vg_fn_campaign_create_t a = campaign();
  running(&a, 50);
  long long t = NOW + 60000;
  /* Quiet hours, said by the daemon: nothing sent, the wait recorded. */
  vg_fn_campaign_send_t s = sending(t);
  s.closed = "quiet_hours";
  s.until_at = NOW + 8 * 3600000LL;
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_campaign_send(&c, &s);
  VG_EXPECT(vg_test_fcall(&R, &c), "[\"running\",0,0,50,\"quiet_hours\"]");
  VG_EXPECT_AGAIN(&R, &c, "[\"running\",0,0,50,\"quiet_hours\"]", NULL);
  vg_fcall_free(&c);
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 " waiting waiting_until"),
            "[\"quiet_hours\",\"" NUM(1767254400000) "\"]");
  VG_EXPECT(vg_test_run(&R, "XLEN vasgw:mt:bulk"), "0");
  /* Open again: it sends, and waits no more. */
  VG_EXPECT(send_at(t + 100), "[\"running\",1,0,49,\"\"]");
  VG_EXPECT(vg_test_run(&R, "HGET " C1 " waiting"), "\"\"");
  /* The bulk lane full: backpressure, at 0 room and below. */
  for (long long backlog = 0; backlog <= 1; backlog++) {
    s = sending(t + 200 + 100 * backlog);
    s.backlog = backlog;
    VG_EXPECT(send_call(&s), "[\"running\",0,0,49,\"backpressure\"]");
    VG_EXPECT(vg_test_run(&R, "HGET " C1 " waiting"), "\"backpressure\"");
  }
  s = sending(t + 400);
  s.backlog = 2;
  VG_EXPECT(send_call(&s), "[\"running\",1,0,48,\"\"]");

  /* Past its end: the rest expire, and it is completed. */
  vg_test_setup(
      &R, (const char *const[]){"HSET " C1 " end " NUM(1767225661000), NULL});
  VG_EXPECT(send_at(1767225660900), "[\"running\",1,0,47,\"\"]");
  s = sending(1767225661000);
  vg_fn_campaign_send(&c, &s);
  VG_EXPECT(vg_test_fcall(&R, &c), "[\"completed\",0,0,0,\"\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 ":n sent expired"), "[\"3\",\"47\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 " state waiting"),
            "[\"completed\",\"\"]");
  VG_EXPECT(vg_test_run(&R, "SISMEMBER vasgw:campaigns:running C1"), "0");
  VG_EXPECT(vg_test_run(&R, "EXISTS " C1 ":q"), "0");
  for (int i = 0; i < 50; i++) {
    char *f = fate(i);
    assert_string_equal(f, i < 3 ? "\"s\"" : "\"q\"");
    free(f);
  }
  VG_EXPECT_AGAIN(&R, &c, "[\"completed\",0,0,0,\"\"]", NULL);
  vg_fcall_free(&c);

  /* Started before its start: it waits for it. */
  setup(state);
  a.start = NOW + 3600000;
  running(&a, 2);
  VG_EXPECT(send_at(t), "[\"running\",0,0,2,\"start\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 " waiting waiting_until"),
            "[\"start\",\"" NUM(1767229200000) "\"]");
  VG_EXPECT(send_at(NOW + 3600000), "[\"running\",1,0,1,\"\"]");

  /* Paused, it sends nothing. */
  VG_EXPECT(act("C1", "pause", "alice", 1), OK("paused"));
  VG_EXPECT(send_at(NOW + 3600100), "[\"paused\",0,0,0,\"\"]");
  VG_EXPECT(act("C1", "resume", "alice", 1), OK("running"));
  VG_EXPECT(send_at(NOW + 3600200), "[\"completed\",1,0,0,\"\"]");
}

/* The contact rules again at send: opted out since the import. */
static void test_send_rechecks(void **state) {
  (void)state;
  vg_fn_campaign_create_t a = campaign();
  running(&a, 3);
  char line[128];
  snprintf(line, sizeof line, "HSET vasgw:sub:{%s} optout 1", nth(0));
  vg_test_setup(&R, (const char *const[]){line, NULL});
  long long t = NOW + 60000;
  VG_EXPECT(send_at(t), "[\"running\",0,1,2,\"\"]");
  VG_EXPECT(fate(0), "\"x:opted_out\"");
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 ":n filtered_send:opted_out sent"),
            "[\"1\",\"0\"]");
  snprintf(line, sizeof line, "EXISTS vasgw:offer:C1.%s vasgw:msg:of-C1.%s",
           nth(0), nth(0));
  VG_EXPECT(vg_test_run(&R, line), "0");
  /* A refused number costs no SMS, so no token: the next goes now. */
  VG_EXPECT(send_at(t), "[\"running\",1,0,1,\"\"]");
  VG_EXPECT(fate(1), "\"s\"");
  /* The last refused: completed all the same. */
  snprintf(line, sizeof line, "SADD vasgw:blocklist %s", nth(2));
  vg_test_setup(&R, (const char *const[]){line, NULL});
  VG_EXPECT(send_at(t + 100), "[\"completed\",0,1,0,\"\"]");
  VG_EXPECT(fate(2), "\"x:blocklisted\"");
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 ":n filtered_send:opted_out "
                            "filtered_send:blocklisted sent"),
            "[\"1\",\"1\",\"1\"]");
}

/* --- the funnel ----------------------------------------------------------- */

/* mo_reply from M (no templates: the state and the reply matter here). */
static char *answer(const char *mo, const char *kind, const char *code,
                    long long now) {
  vg_fn_mo_reply_t a = {.prefix = P,
                        .now = now,
                        .msisdn = M,
                        .mo = mo,
                        .entry = "",
                        .kind = kind,
                        .code = code,
                        .service = "",
                        .requested_at = "2026-01-01T08:00:00+08:00",
                        .gate = 0,
                        .limit = 10,
                        .fast = 10000,
                        .loop_n = 5,
                        .block = DAY,
                        .msg_ttl = 7 * 86400,
                        .service_number = "10658000"};
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_mo_reply(&c, &a);
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

/* order_result of `order`'s first call. */
static void result_call(vg_fcall_t *c, const char *order, const char *outcome) {
  vg_fn_order_result_t a = {.prefix = P,
                            .now = NOW + 600000,
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
                            .day = TODAY};
  *c = (vg_fcall_t)VG_FCALL_INIT;
  vg_fn_order_result(c, &a);
}

/* C1 with M alone, its offer sent (code 1). */
static void offered(void) {
  vg_fn_campaign_create_t a = campaign();
  VG_EXPECT(create(&a), "\"C1\"");
  const row_t row = {M, "", "张三\t北京"};
  VG_EXPECT(add("C1", 1, &row, 1), "\"added\"");
  VG_EXPECT(act("C1", "ready", "alice", 0), OK("draft"));
  VG_EXPECT(act("C1", "start", "alice", 0), OK("running"));
  VG_EXPECT(send_at(NOW + 60000), "[\"completed\",1,0,0,\"\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:msg:of-C1." M " text"),
            "[\"张三您好, 回复1订购彩铃, 回复TD退订\"]");
}

#define ANS(tpl, offer, order)                                                 \
  "[\"answered\",\"" tpl "\",\"" offer "\",\"" order "\"]"
#define OFFER "C1." M
#define ORDER "AC1." M

static void test_funnel_confirmed(void **state) {
  (void)state;
  offered();
  VG_EXPECT(answer("m1", "confirm", "", NOW + 120000),
            ANS("confirm_received", OFFER, ORDER));
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:order:" ORDER " offer channel"),
            "[\"" OFFER "\",\"campaign\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 ":n replied confirmed declined "
                            "activated"),
            "[\"1\",\"1\",nil,nil]");
  /* The same MO again: nothing counted twice. */
  char *before = vg_test_snapshot(&R, NULL);
  VG_EXPECT(answer("m1", "confirm", "", NOW + 120000),
            "[\"silent\",\"answered_before\"]");
  char *after = vg_test_snapshot(&R, NULL);
  assert_string_equal(before, after);
  free(before);
  free(after);
  /* Another "Y": the order is under way, no reply counted. */
  VG_EXPECT(answer("m2", "confirm", "Y", NOW + 130000),
            ANS("processing", OFFER, ORDER));
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 ":n replied confirmed"),
            "[\"1\",\"1\"]");
  /* Activated: counted once, however often the result comes. */
  vg_fcall_t c;
  result_call(&c, ORDER, "ok");
  VG_EXPECT(vg_test_fcall(&R, &c), "\"done\"");
  VG_EXPECT(vg_test_run(&R, "HGET " C1 ":n activated"), "\"1\"");
  VG_EXPECT_AGAIN(&R, &c, "\"done\"", NULL);
  vg_fcall_free(&c);
  VG_EXPECT(vg_test_run(&R, "HGET " SUB " svc:CL"), "\"active\"");
}

static void test_funnel_failed(void **state) {
  (void)state;
  offered();
  VG_EXPECT(answer("m1", "code", "1", NOW + 120000),
            ANS("confirm_received", OFFER, ORDER));
  vg_fcall_t c;
  result_call(&c, ORDER, "rejected");
  VG_EXPECT(vg_test_fcall(&R, &c), "\"rejected\"");
  vg_fcall_free(&c);
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 ":n replied confirmed activated "
                            "activation_failed"),
            "[\"1\",\"1\",nil,\"1\"]");
}

static void test_funnel_declined(void **state) {
  (void)state;
  offered();
  VG_EXPECT(answer("m1", "decline", "", NOW + 120000),
            "[\"answered\",\"declined\",\"\",\"\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 ":n replied declined confirmed"),
            "[\"1\",\"1\",nil]");
  /* Then a "Y" after all: confirmed, but the reply was counted. */
  VG_EXPECT(answer("m2", "code", "1", NOW + 130000),
            ANS("confirm_received", OFFER, ORDER));
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 ":n replied declined confirmed"),
            "[\"1\",\"1\",\"1\"]");
}

/* --- campaign_charged ----------------------------------------------------- */

typedef struct {
  const char *msisdn, *service, *day;
} charge_t;

static void charged_call(vg_fcall_t *c, const charge_t *rows, size_t n) {
  vg_fn_campaign_charged_t a = {.prefix = P};
  *c = (vg_fcall_t)VG_FCALL_INIT;
  vg_fn_campaign_charged(c, &a);
  for (size_t i = 0; i < n; i++) {
    vg_fn_campaign_charged_rows_t g = {.msisdn = rows[i].msisdn,
                                       .service = rows[i].service,
                                       .day = rows[i].day};
    vg_fn_campaign_charged_rows(c, &g);
  }
}

static void test_charged(void **state) {
  (void)state;
  /* Half held out, the rest sent in one call (100 a call). */
  vg_fn_campaign_create_t a = campaign();
  a.holdout_bp = 5000;
  a.tps = 1000;
  running(&a, 20);
  /* A campaign of CL not started is no one's lift. */
  VG_EXPECT(create(&a), "\"C2\"");
  char line[160], want[64];
  snprintf(want, sizeof want, "[\"completed\",%lld,0,0,\"\"]",
           hnum(C1 ":n", "queued"));
  VG_EXPECT(send_at(NOW + 60000), want);
  int held[2] = {-1, -1}, sent[2] = {-1, -1};
  for (int i = 0; i < 20; i++) {
    char *f = fate(i);
    int *g = strcmp(f, "\"h\"") == 0 ? held : sent;
    if (g[0] < 0)
      g[0] = i;
    else if (g[1] < 0)
      g[1] = i;
    free(f);
  }
  assert_true(held[1] >= 0 && sent[1] >= 0);
  char h0[16], h1[16], s0[16], s1[16];
  snprintf(h0, sizeof h0, "%s", nth(held[0]));
  snprintf(h1, sizeof h1, "%s", nth(held[1]));
  snprintf(s0, sizeof s0, "%s", nth(sent[0]));
  snprintf(s1, sizeof s1, "%s", nth(sent[1]));
  const charge_t rows[] = {
      {h0, "CL", TODAY},              /* held out, charged: holdout_charged */
      {s0, "CL", "20260102"},         /* messaged, charged later */
      {h0, "CL", "20260102"},         /* the same again: once */
      {h1, "CL", "20251231"},         /* the day before the start */
      {s1, "SJB", TODAY},             /* another service */
      {"8613900139000", "CL", TODAY}, /* no target of it */
  };
  vg_fcall_t c;
  charged_call(&c, rows, VG_ARRAY_SIZE(rows));
  VG_EXPECT(vg_test_fcall(&R, &c), "2");
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 ":n holdout_charged "
                            "messaged_charged"),
            "[\"1\",\"1\"]");
  VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:campaign:C2:n"), "0");
  /* Charged without answering the campaign: no valid development of it. */
  VG_EXPECT(vg_test_run(&R, "HGET " C1 ":n valid"), "nil");
  /* One who confirmed its offer and is charged: one. */
  snprintf(line, sizeof line, "HSET vasgw:offer:C1.%s state confirmed", s1);
  free(vg_test_run(&R, line));
  const charge_t later[] = {{s1, "CL", "20260103"}};
  vg_fcall_t v;
  charged_call(&v, later, 1);
  VG_EXPECT(vg_test_fcall(&R, &v), "1");
  VG_EXPECT_AGAIN(&R, &v, "0", NULL);
  vg_fcall_free(&v);
  VG_EXPECT(vg_test_run(&R, "HMGET " C1 ":n messaged_charged valid"),
            "[\"2\",\"1\"]");
  snprintf(line, sizeof line, "HMGET " FATES " %s %s %s %s", h0, s0, h1, s1);
  VG_EXPECT(vg_test_run(&R, line), "[\"h+\",\"s+\",\"h\",\"s+\"]");
  /* The feed's file again: counted once. */
  VG_EXPECT_AGAIN(&R, &c, "0", NULL);
  vg_fcall_free(&c);
}

int main(void) {
  vg_test_redis_start(&R);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_create, setup),
      cmocka_unit_test_setup(test_add_filters, setup),
      cmocka_unit_test_setup(test_add_rows, setup),
      cmocka_unit_test_setup(test_add_holdout, setup),
      cmocka_unit_test_setup(test_act, setup),
      cmocka_unit_test_setup(test_act_cancel_drops, setup),
      cmocka_unit_test_setup(test_act_people, setup),
      cmocka_unit_test_setup(test_send_rate, setup),
      cmocka_unit_test_setup(test_send_waits, setup),
      cmocka_unit_test_setup(test_send_rechecks, setup),
      cmocka_unit_test_setup(test_funnel_confirmed, setup),
      cmocka_unit_test_setup(test_funnel_failed, setup),
      cmocka_unit_test_setup(test_funnel_declined, setup),
      cmocka_unit_test_setup(test_charged, setup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vg_test_redis_stop(&R);
  return rc;
}
