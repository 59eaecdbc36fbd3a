/*
 * test_offers.c — handlers/lua/offers.lua against a real redis-server:
 * offer_create's rules at their boundaries (table-driven), reply codes,
 * held offers, and every branch of a subscriber's answer to an offer
 * (offer_answer, reached through mo_reply's confirm, code and decline),
 * each also called twice to prove the second call changes nothing.
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
#include "gateway/lua/functions.h"
#include "handlers/lua/functions.h"
#include "tests/unit/redis_server.h"

static vg_test_redis_t R;

#define P "vasgw"
#define M "8613800138000"
#define DAY 86400000LL
#define NOW 1767225600000LL /* 2026-01-01T00:00:00Z */
#define NOW_S "1767225600000"
#define S(x) #x
#define NUM(x) S(x)
#define SINCE "20251003" /* NOW's day less 89: complaint_block_days 90 */

/* The service catalogue every case starts with: CL enabled, XW disabled. */
static const char *const catalogue[] = {
    "HSET vasgw:svc:CL code CL name 彩铃 enabled 1",
    "HSET vasgw:svc:XW code XW name 新闻 enabled 0",
    "HSET vasgw:svc:SJB code SJB name 手机报 enabled 1",
    "SADD vasgw:svc:index CL XW SJB", NULL};

static int setup(void **state) {
  (void)state;
  vg_test_redis_reset(&R);
  vg_test_setup(&R, catalogue);
  return 0;
}

/* --- offer_create -------------------------------------------------------- */

static char *answer(const char *mo, const char *kind, const char *code,
                    long long now);

/* The contact of a case: a promoter's marketing contact unless changed. */
static vg_fn_offer_create_t contact(void) {
  vg_fn_offer_create_t a = {.prefix = P,
                            .now = NOW,
                            .msisdn = M,
                            .source = "promoter",
                            .channel = "sms",
                            .promoter = "8613900139000",
                            .campaign = "",
                            .offer_ttl = 48 * 3600000LL,
                            .keep = 7 * DAY,
                            .interval = 60 * DAY,
                            .cancel_block = 90 * DAY,
                            .max_per_day = 2,
                            .day = "20260101",
                            .marketing = 1,
                            .release = 0,
                            .msg_ttl = 7 * 86400,
                            .src = "",
                            .month = "202601",
                            /* complaint_block_days 90 */
                            .complaint_since = SINCE};
  return a;
}

/* offer_create of one offer `id` of `svc` with contact `a`: the reply. */
static char *create(const vg_fn_offer_create_t *a, const char *id,
                    const char *svc) {
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_offer_create(&c, a);
  vg_fn_offer_create_offers_t g = {
      .id = id, .service = svc, .text = "回复\x1a开通", .kind = "recommend"};
  vg_fn_offer_create_offers(&c, &g);
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

/* One offer_create call of `a` with offers o1, o2, ... of `svcs` (text
 * the code mark alone), into *c (vg_fcall_free it). */
static void create_call(vg_fcall_t *c, const vg_fn_offer_create_t *a,
                        const char *const *svcs, size_t n) {
  static const char *const ids[] = {"o1", "o2", "o3", "o4"};
  assert_true(n <= VG_ARRAY_SIZE(ids));
  vg_fn_offer_create(c, a);
  for (size_t i = 0; i < n; i++) {
    vg_fn_offer_create_offers_t g = {
        .id = ids[i], .service = svcs[i], .text = "\x1a", .kind = "recommend"};
    vg_fn_offer_create_offers(c, &g);
  }
}

typedef struct {
  const char *name;
  const char *setup[6];
  const char *svc;
  int not_marketing; /* the subscriber asked (ZS): no contact rules */
  long long interval; /* when not the default */
  const char *want;
} rule_case_t;

#define SUB "vasgw:sub:{" M "}"
#define SENT "[[\"o9\",\"sent\",\"of-o9\",\"1\"]]"
#define REFUSED(rule) "[[\"o9\",\"refused\",\"" rule "\",\"\"]]"
/* A care-feed fact about M, as `vasgw feed import` stores it (two lines). */
#define FACT(member)                                                           \
  "SADD vasgw:facts:{" M "} " member, "SADD vasgw:facts:index " M

static const rule_case_t rule_cases[] = {
    {"new", {NULL}, "CL", 0, 0, SENT},
    {"unknown service", {NULL}, "ZZ", 0, 0, REFUSED("unknown_service")},
    {"disabled service", {NULL}, "XW", 0, 0, REFUSED("service_disabled")},
    {"active", {"HSET " SUB " svc:CL active"}, "CL", 0, 0,
     REFUSED("already_subscribed")},
    {"cancelling", {"HSET " SUB " svc:CL cancelling"}, "CL", 0, 0,
     REFUSED("already_subscribed")},
    {"ordering", {"HSET " SUB " svc:CL ordering"}, "CL", 1, 0,
     REFUSED("order_in_progress")},
    /* cancel_block_days: refused while now - at < the block */
    {"cancelled a block ago less 1 ms",
     {"HSET " SUB " svc:CL cancelled svc:CL:at " NUM(1759449600001)}, "CL", 0,
     0, REFUSED("cancelled_recently")},
    {"cancelled exactly a block ago",
     {"HSET " SUB " svc:CL cancelled svc:CL:at " NUM(1759449600000)}, "CL", 0,
     0, SENT},
    {"cancelled recently, asked for",
     {"HSET " SUB " svc:CL cancelled svc:CL:at " NUM(1767225599000)}, "CL", 1,
     0, SENT},
    {"opted out", {"HSET " SUB " optout 1"}, "CL", 0, 0, REFUSED("opted_out")},
    {"opted out, asked for", {"HSET " SUB " optout 1"}, "CL", 1, 0, SENT},
    {"opted in again", {"HSET " SUB " optout 0"}, "CL", 0, 0, SENT},
    /* marketing_interval_days: refused while now - last < the interval */
    {"contacted an interval ago less 1 ms",
     {"HSET " SUB " last_contact " NUM(1762041600001)}, "CL", 0, 0,
     REFUSED("contacted_recently")},
    {"contacted exactly an interval ago",
     {"HSET " SUB " last_contact " NUM(1762041600000)}, "CL", 0, 0, SENT},
    {"interval 0", {"HSET " SUB " last_contact " NUM(1767225599999)}, "CL", 0,
     -1, SENT},
    /* max_marketing_per_day 2: refused at 2 today */
    {"two today", {"SET " SUB ":day:20260101 2"}, "CL", 0, 0,
     REFUSED("daily_limit")},
    {"one today", {"SET " SUB ":day:20260101 1"}, "CL", 0, 0, SENT},
    {"two yesterday", {"SET " SUB ":day:20251231 2"}, "CL", 0, 0, SENT},
    {"two today, asked for", {"SET " SUB ":day:20260101 2"}, "CL", 1, 0, SENT},
    /* the do-not-contact list */
    {"blocklisted", {"SADD vasgw:blocklist " M}, "CL", 0, 0,
     REFUSED("blocklisted")},
    {"blocklisted, asked for", {"SADD vasgw:blocklist " M}, "CL", 1, 0, SENT},
    {"another number blocklisted", {"SADD vasgw:blocklist 8613900139001"},
     "CL", 0, 0, SENT},
    {"opted out and blocklisted",
     {"HSET " SUB " optout 1", "SADD vasgw:blocklist " M}, "CL", 0, 0,
     REFUSED("opted_out")},
    {"blocklisted and contacted recently",
     {"SADD vasgw:blocklist " M, "HSET " SUB " last_contact " NOW_S}, "CL", 0,
     0, REFUSED("blocklisted")},
    /* complaints from the care feed, on or after complaint_since */
    {"complaint on the first day of the block",
     {FACT("CL|complaint|" SINCE)}, "CL", 0, 0, REFUSED("complained")},
    {"complaint today", {FACT("CL|complaint|20260101")}, "CL", 0, 0,
     REFUSED("complained")},
    {"complaint the day before the block",
     {FACT("CL|complaint|20251002")}, "CL", 0, 0, SENT},
    {"complaint about another service", {FACT("SJB|complaint|20251225")},
     "CL", 0, 0, SENT},
    {"complaint about the number", {FACT("|complaint|20251225")}, "CL", 0, 0,
     REFUSED("complained")},
    {"another fact of the service", {FACT("CL|cancelled|20251225")}, "CL", 0,
     0, SENT},
    {"complaint, asked for", {FACT("CL|complaint|20251225")}, "CL", 1, 0,
     SENT},
    {"complaint and contacted recently",
     {FACT("CL|complaint|20251225"), "HSET " SUB " last_contact " NOW_S},
     "CL", 0, 0, REFUSED("complained")},
};

static void test_create_rules(void **state) {
  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(rule_cases); i++) {
    const rule_case_t *k = &rule_cases[i];
    print_message("case: %s\n", k->name);
    setup(NULL);
    vg_test_setup(&R, k->setup);
    vg_fn_offer_create_t a = contact();
    a.marketing = !k->not_marketing;
    if (k->interval)
      a.interval = k->interval < 0 ? 0 : k->interval;
    VG_EXPECT(create(&a, "o9", k->svc), k->want);
    /* A refusal writes no offer and no SMS; an offer is pending with its
     * SMS queued, code in place. */
    if (strstr(k->want, "refused")) {
      VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:offer:o9 vasgw:msg:of-o9"), "0");
    } else {
      VG_EXPECT(vg_test_run(&R, "HMGET vasgw:offer:o9 state code service msg"),
                "[\"pending\",\"1\",\"CL\",\"of-o9\"]");
      VG_EXPECT(vg_test_run(&R, "HMGET vasgw:msg:of-o9 state text origin"),
                "[\"queued\",\"回复1开通\",\"offer\"]");
    }
  }
}

/* Marketing counts the contact: last_contact now and one more today; a
 * contact the subscriber asked for counts nothing. */
static void test_create_counts_contact(void **state) {
  vg_fn_offer_create_t a = contact();
  VG_EXPECT(create(&a, "o1", "CL"), "[[\"o1\",\"sent\",\"of-o1\",\"1\"]]");
  VG_EXPECT(vg_test_run(&R, "HGET " SUB " last_contact"), "\"" NOW_S "\"");
  VG_EXPECT(vg_test_run(&R, "GET " SUB ":day:20260101"), "\"1\"");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:promoter:8613900139000:month:202601 "
                            "recommended"),
            "\"1\"");
  setup(state);
  a.marketing = 0;
  a.promoter = "";
  VG_EXPECT(create(&a, "o1", "CL"), "[[\"o1\",\"sent\",\"of-o1\",\"1\"]]");
  VG_EXPECT(vg_test_run(&R, "HEXISTS " SUB " last_contact"), "0");
  VG_EXPECT(vg_test_run(&R, "EXISTS " SUB ":day:20260101"), "0");
}

/* Several services in one contact: one code each, one contact counted;
 * refusals per service and for the contact together. */
static void test_create_several(void **state) {
  vg_fn_offer_create_t a = contact();
  vg_fcall_t c = VG_FCALL_INIT;
  create_call(&c, &a, (const char *const[]){"CL", "XW", "SJB"}, 3);
  VG_EXPECT(vg_test_fcall(&R, &c),
            "[[\"o1\",\"sent\",\"of-o1\",\"1\"],"
            "[\"o2\",\"refused\",\"service_disabled\",\"\"],"
            "[\"o3\",\"sent\",\"of-o3\",\"2\"]]");
  VG_EXPECT(vg_test_run(&R, "GET " SUB ":day:20260101"), "\"1\"");
  VG_EXPECT(vg_test_run(&R, "HGETALL " SUB ":offers"),
            "[\"1\",\"o1\",\"2\",\"o3\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:stats offer_sent "
                            "offer_refused:service_disabled"),
            "[\"2\",\"1\"]");
  /* Opted out: every service of the contact is refused for it, after the
   * rules of each service. */
  setup(state);
  vg_test_setup(&R, (const char *const[]){"HSET " SUB " optout 1", NULL});
  VG_EXPECT(vg_test_fcall(&R, &c),
            "[[\"o1\",\"refused\",\"opted_out\",\"\"],"
            "[\"o2\",\"refused\",\"service_disabled\",\"\"],"
            "[\"o3\",\"refused\",\"opted_out\",\"\"]]");
  /* A complaint about CL bars CL alone: SJB goes, as one contact. */
  setup(state);
  vg_test_setup(&R, (const char *const[]){FACT("CL|complaint|20251225"),
                                          NULL});
  VG_EXPECT(vg_test_fcall(&R, &c),
            "[[\"o1\",\"refused\",\"complained\",\"\"],"
            "[\"o2\",\"refused\",\"service_disabled\",\"\"],"
            "[\"o3\",\"sent\",\"of-o3\",\"1\"]]");
  VG_EXPECT(vg_test_run(&R, "GET " SUB ":day:20260101"), "\"1\"");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:stats offer_refused:complained"),
            "\"1\"");
  /* Blocklisted: the whole contact. */
  setup(state);
  vg_test_setup(&R, (const char *const[]){"SADD vasgw:blocklist " M, NULL});
  VG_EXPECT(vg_test_fcall(&R, &c),
            "[[\"o1\",\"refused\",\"blocklisted\",\"\"],"
            "[\"o2\",\"refused\",\"service_disabled\",\"\"],"
            "[\"o3\",\"refused\",\"blocklisted\",\"\"]]");
  VG_EXPECT(vg_test_run(&R, "EXISTS " SUB ":day:20260101 " SUB),
            "0");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:stats offer_refused:blocklisted"),
            "\"2\"");
  vg_fcall_free(&c);
}

/* The same service twice in one call: one offer, the second refused as
 * pending (it was made two live offers of one service, two SMS, and a
 * list "1 CL, 2 CL" to choose from), marketing or not. */
static void test_create_same_service_twice(void **state) {
  for (int marketing = 1; marketing >= 0; marketing--) {
    print_message("marketing %d\n", marketing);
    setup(state);
    vg_fn_offer_create_t a = contact();
    a.marketing = marketing;
    vg_fcall_t c = VG_FCALL_INIT;
    create_call(&c, &a, (const char *const[]){"CL", "CL", "SJB"}, 3);
    VG_EXPECT(vg_test_fcall(&R, &c),
              "[[\"o1\",\"sent\",\"of-o1\",\"1\"],"
              "[\"o2\",\"refused\",\"offer_pending\",\"\"],"
              "[\"o3\",\"sent\",\"of-o3\",\"2\"]]");
    VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:offer:o2 vasgw:msg:of-o2"), "0");
    VG_EXPECT(vg_test_run(&R, "HGETALL " SUB ":offers"),
              "[\"1\",\"o1\",\"2\",\"o3\"]");
    vg_fcall_free(&c);
  }
}

/* An open offer of the service: marketing refused, a subscriber asking
 * again gets the SMS again with the same code. */
static void test_create_pending(void **state) {
  vg_fn_offer_create_t a = contact();
  VG_EXPECT(create(&a, "o1", "CL"), "[[\"o1\",\"sent\",\"of-o1\",\"1\"]]");
  a.now += 1000;
  a.interval = 0;
  a.max_per_day = 10;
  VG_EXPECT(create(&a, "o2", "CL"),
            "[[\"o2\",\"refused\",\"offer_pending\",\"\"]]");
  a.marketing = 0;
  VG_EXPECT(create(&a, "o3", "CL"), "[[\"o3\",\"sent\",\"of-o3\",\"1\"]]");
  VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:offer:o3"), "0");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:msg:of-o3 text"), "\"回复1开通\"");
}

/* Reply codes: the lowest of 1-9 not held by an open offer; a lapsed offer
 * frees its code, a declined one does not; ten open is too many. */
static void test_create_codes(void **state) {
  vg_fn_offer_create_t a = contact();
  a.marketing = 0; /* no contact rules: only the codes matter */
  char id[8];
  const char *svc[] = {"CL", "SJB"};
  for (int i = 1; i <= 9; i++) {
    char svcname[8], line[128];
    snprintf(svcname, sizeof svcname, "S%d", i);
    snprintf(line, sizeof line, "HSET vasgw:svc:%s enabled 1", svcname);
    vg_test_setup(&R, (const char *const[]){line, NULL});
    snprintf(id, sizeof id, "o%d", i);
    char want[64];
    snprintf(want, sizeof want, "[[\"%s\",\"sent\",\"of-%s\",\"%d\"]]", id, id,
             i);
    VG_EXPECT(create(&a, id, svcname), want);
  }
  VG_EXPECT(create(&a, "o10", "CL"),
            "[[\"o10\",\"refused\",\"too_many_offers\",\"\"]]");
  /* o1 lapses (expires before now), o2 is declined: code 1 is free. */
  vg_test_setup(&R, (const char *const[]){
                        "HSET vasgw:offer:o1 expires " NUM(1767225599999),
                        "HSET vasgw:offer:o2 state declined", NULL});
  VG_EXPECT(create(&a, "o11", svc[0]), "[[\"o11\",\"sent\",\"of-o11\",\"1\"]]");
  VG_EXPECT(create(&a, "o12", svc[1]),
            "[[\"o12\",\"refused\",\"too_many_offers\",\"\"]]");
  /* A code whose offer record is gone is dropped from the map. */
  vg_test_setup(&R, (const char *const[]){"DEL vasgw:offer:o5", NULL});
  VG_EXPECT(create(&a, "o13", svc[1]), "[[\"o13\",\"sent\",\"of-o13\",\"5\"]]");
}

/* Quiet hours: the SMS is held until `release`; the offer is made held,
 * open for offer_ttl from then, and counted as a contact at its release
 * (last_contact, and the day the C passes: the release's). */
#define REL 1767229200000LL /* NOW + 1 h */
#define REL_S "1767229200000"
#define TTL_MS (48 * 3600000LL)

static void test_create_held(void **state) {
  vg_fn_offer_create_t a = contact();
  a.release = REL;
  a.day = "20260102";
  VG_EXPECT(create(&a, "o1", "CL"), "[[\"o1\",\"held\",\"of-o1\",\"1\"]]");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:msg:of-o1 state release_at"),
            "[\"scheduled\",\"" REL_S "\"]");
  VG_EXPECT(vg_test_run(&R, "ZSCORE vasgw:mt:scheduled of-o1"),
            "\"" REL_S "\"");
  VG_EXPECT(vg_test_run(&R, "XLEN vasgw:mt"), "0");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:stats scheduled offer_held"),
            "[\"1\",\"1\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:offer:o1 state code expires"),
            "[\"held\",\"1\",\"" NUM(1767402000000) "\"]"); /* REL + 48 h */
  VG_EXPECT(vg_test_run(&R, "HGET " SUB " last_contact"), "\"" REL_S "\"");
  VG_EXPECT(vg_test_run(&R, "GET " SUB ":day:20260102"), "\"1\"");
  VG_EXPECT(vg_test_run(&R, "EXISTS " SUB ":day:20260101"), "0");
  /* The record lives as long after its (later) expiry as any other. */
  char *pttl = vg_test_run(&R, "PTTL vasgw:offer:o1");
  long long ms = atoll(pttl);
  free(pttl);
  assert_true(ms > REL - NOW + TTL_MS + 7 * DAY - 60000);
  assert_true(ms <= REL - NOW + TTL_MS + 7 * DAY);
}

/* The release of the held offers at `now`: how many were sent. */
static char *release_at(long long now) {
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_mt_release_t r = {.prefix = P, .now = now, .max = 100};
  vg_fn_mt_release(&c, &r);
  char *out = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return out;
}

/* An offer the subscriber has not seen is not open to an answer: a "Y",
 * its code or an "N" finds nothing to act on, and its code stays taken. */
static void test_held_not_answerable(void **state) {
  vg_fn_offer_create_t a = contact();
  a.release = REL;
  free(create(&a, "o1", "CL"));
  VG_EXPECT(answer("m1", "confirm", "Y", NOW + 1000),
            "[\"answered\",\"no_offer\",\"\",\"\"]");
  VG_EXPECT(answer("m2", "confirm", "1", NOW + 2000),
            "[\"answered\",\"no_offer\",\"\",\"\"]");
  VG_EXPECT(answer("m3", "decline", "", NOW + 3000),
            "[\"answered\",\"no_offer\",\"\",\"\"]");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:offer:o1 state"), "\"held\"");
  VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:order:Ao1"), "0");
  VG_EXPECT(vg_test_run(&R, "XLEN vasgw:orders"), "0");
  /* The subscriber asks for SJB meanwhile: it gets code 2, not 1. */
  a = contact();
  a.marketing = 0;
  a.now = NOW + 4000;
  VG_EXPECT(create(&a, "o2", "SJB"), "[[\"o2\",\"sent\",\"of-o2\",\"2\"]]");
  /* Released, it is open: "1" confirms it. */
  VG_EXPECT(release_at(REL), "1");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:offer:o1 state released_at"),
            "[\"pending\",\"" REL_S "\"]");
  VG_EXPECT(answer("m4", "code", "1", REL + 1000),
            "[\"answered\",\"confirm_received\",\"o1\",\"Ao1\"]");
  (void)state;
}

/* At release every rule the offer was made under is checked again against
 * the subscriber's state then; the first that fails withdraws the offer
 * and fails its SMS with the rule's name. */
typedef struct {
  const char *name;
  const char *meanwhile[4]; /* what happened while it was held */
  int zs;                   /* the subscriber asked for CL meanwhile */
  const char *why;          /* NULL: sent */
} release_case_t;

static const release_case_t release_cases[] = {
    {"nothing changed", {NULL}, 0, NULL},
    {"opted out", {"HSET " SUB " optout 1"}, 0, "opted_out"},
    {"opted out and in again", {"HSET " SUB " optout 0"}, 0, NULL},
    {"service disabled", {"HSET vasgw:svc:CL enabled 0"}, 0,
     "service_disabled"},
    {"service removed", {"DEL vasgw:svc:CL"}, 0, "unknown_service"},
    {"subscribed elsewhere", {"HSET " SUB " svc:CL active"}, 0,
     "already_subscribed"},
    {"being cancelled", {"HSET " SUB " svc:CL cancelling"}, 0,
     "already_subscribed"},
    {"activation under way", {"HSET " SUB " svc:CL ordering"}, 0,
     "order_in_progress"},
    {"cancelled after the offer was made",
     {"HSET " SUB " svc:CL cancelled svc:CL:at " NUM(1767225601000)}, 0,
     "cancelled_recently"},
    {"cancelled long before", /* the offer was made past the block */
     {"HSET " SUB " svc:CL cancelled svc:CL:at " NUM(1740000000000)}, 0, NULL},
    {"the subscriber asked for it (ZS) and got it", {NULL}, 1,
     "offer_pending"},
    {"blocklisted", {"SADD vasgw:blocklist " M}, 0, "blocklisted"},
    {"complained about it", {FACT("CL|complaint|20260101")}, 0,
     "complained"},
    {"complained about the number", {FACT("|complaint|20260101")}, 0,
     "complained"},
    {"complained about another service", {FACT("SJB|complaint|20260101")}, 0,
     NULL},
    {"a complaint before the block", {FACT("CL|complaint|20251002")}, 0,
     NULL},
};

static void test_release_rechecks(void **state) {
  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(release_cases); i++) {
    const release_case_t *k = &release_cases[i];
    print_message("case: %s\n", k->name);
    setup(NULL);
    vg_fn_offer_create_t a = contact();
    a.release = REL;
    VG_EXPECT(create(&a, "o1", "CL"), "[[\"o1\",\"held\",\"of-o1\",\"1\"]]");
    vg_test_setup(&R, k->meanwhile);
    if (k->zs) {
      vg_fn_offer_create_t z = contact();
      z.marketing = 0;
      z.now = NOW + 60000;
      VG_EXPECT(create(&z, "k1", "CL"), "[[\"k1\",\"sent\",\"of-k1\",\"2\"]]");
    }
    VG_EXPECT(release_at(REL), k->why ? "0" : "1");
    if (k->why) {
      char want[160];
      snprintf(want, sizeof want, "[\"withdrawn\",\"%s\",\"" REL_S "\"]",
               k->why);
      VG_EXPECT(vg_test_run(&R, "HMGET vasgw:offer:o1 state withdrawn "
                                "withdrawn_at"),
                want);
      snprintf(want, sizeof want, "[\"failed\",\"%s\"]", k->why);
      VG_EXPECT(vg_test_run(&R, "HMGET vasgw:msg:of-o1 state error"), want);
      snprintf(want, sizeof want, "HGET vasgw:stats offer_withdrawn:%s",
               k->why);
      VG_EXPECT(vg_test_run(&R, want), "\"1\"");
      VG_EXPECT(vg_test_run(&R, "HMGET vasgw:stats scheduled failed"),
                "[\"0\",\"1\"]");
    } else {
      VG_EXPECT(vg_test_run(&R, "HMGET vasgw:offer:o1 state expires"),
                "[\"pending\",\"" NUM(1767402000000) "\"]");
      VG_EXPECT(vg_test_run(&R, "HMGET vasgw:msg:of-o1 state"),
                "[\"queued\"]");
      VG_EXPECT(vg_test_run(&R, "HMGET vasgw:stats scheduled queued"),
                k->zs ? "[\"0\",\"2\"]" : "[\"0\",\"1\"]");
    }
    /* Every node runs the release every second: nothing moves again. */
    char *before = vg_test_snapshot(&R, NULL);
    VG_EXPECT(release_at(REL + 1000), "0");
    char *after = vg_test_snapshot(&R, NULL);
    assert_string_equal(before, after);
    free(before);
    free(after);
  }
}

/* Released late (no daemon ran when it was due): the subscriber still has
 * the whole offer_ttl to answer, and the record lives as much longer. */
static void test_release_late(void **state) {
  vg_fn_offer_create_t a = contact();
  a.release = REL;
  free(create(&a, "o1", "CL"));
  VG_EXPECT(release_at(REL + 600000), "1");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:offer:o1 state expires released_at"),
            "[\"pending\",\"" NUM(1767402600000) "\",\"" NUM(1767229800000)
            "\"]");
  /* An offer whose state changed while it was due is not sent either. */
  setup(state);
  free(create(&a, "o1", "CL"));
  vg_test_setup(&R, (const char *const[]){"HSET vasgw:offer:o1 state "
                                          "superseded",
                                          NULL});
  VG_EXPECT(release_at(REL), "0");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:msg:of-o1 state error"),
            "[\"failed\",\"offer_superseded\"]");
}

/* The same offer id twice: the second call answers "exists" and changes
 * nothing but its own counter. */
static void test_create_twice(void **state) {
  vg_fn_offer_create_t a = contact();
  VG_EXPECT(create(&a, "o1", "CL"), "[[\"o1\",\"sent\",\"of-o1\",\"1\"]]");
  static const char *const counters[] = {"offer_exists", NULL};
  char *before = vg_test_snapshot(&R, counters);
  VG_EXPECT(create(&a, "o1", "CL"),
            "[[\"o1\",\"exists\",\"pending\",\"1\"]]");
  char *after = vg_test_snapshot(&R, counters);
  assert_string_equal(before, after);
  free(before);
  free(after);
}

/* The marketing rules refuse again, the same way, writing nothing but
 * the refusal's counter; and never apply to a contact the subscriber
 * asked for. */
static void test_marketing_rules_twice(void **state) {
  static const struct {
    const char *setup[3];
    const char *rule;
  } cases[] = {
      {{"SADD vasgw:blocklist " M}, "blocklisted"},
      {{FACT("CL|complaint|20251225")}, "complained"},
  };
  for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++) {
    print_message("case: %s\n", cases[i].rule);
    setup(state);
    vg_test_setup(&R, cases[i].setup);
    vg_fn_offer_create_t a = contact();
    vg_fcall_t c = VG_FCALL_INIT;
    create_call(&c, &a, (const char *const[]){"CL"}, 1);
    char want[128], counter[64];
    snprintf(want, sizeof want, "[[\"o1\",\"refused\",\"%s\",\"\"]]",
             cases[i].rule);
    snprintf(counter, sizeof counter, "offer_refused:%s", cases[i].rule);
    VG_EXPECT(vg_test_fcall(&R, &c), want);
    const char *const counters[] = {counter, NULL};
    VG_EXPECT_AGAIN(&R, &c, want, counters);
    VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:offer:o1 vasgw:msg:of-o1 " SUB),
              "0");
    vg_fcall_free(&c);
    /* The rule off (complaint_block_days 0), or the subscriber asked
     * (ZS): sent, and sent once. */
    if (strcmp(cases[i].rule, "complained") == 0)
      a.complaint_since = "";
    else
      a.marketing = 0;
    create_call(&c, &a, (const char *const[]){"CL"}, 1);
    VG_EXPECT(vg_test_fcall(&R, &c), "[[\"o1\",\"sent\",\"of-o1\",\"1\"]]");
    const char *const exists[] = {"offer_exists", NULL};
    VG_EXPECT_AGAIN(&R, &c, "[[\"o1\",\"exists\",\"pending\",\"1\"]]",
                    exists);
    vg_fcall_free(&c);
  }
}

/* --- answers: offer_answer through mo_reply ------------------------------ */

/* The answer templates, each naming itself, so the SMS shows which. */
static const char *const templates[][2] = {
    {"confirm_received", "confirm {{service_code}} {{service_name}}"},
    {"choose", "choose {{list}}"},
    {"choose_item", "{{code}}={{service_name}}"},
    {"list_separator", ";"},
    {"declined", "declined {{service_name}}"},
    {"expired", "expired {{service_code}}"},
    {"already_active", "active {{service_code}}"},
    {"activation_failed", "failed {{service_code}}"},
    {"rejected", "rejected {{service_code}} {{reason}}"},
    {"reason_unknown", "no reason"},
    {"processing", "processing {{service_code}}"},
    {"no_offer", "none {{service_number}}"},
    {"help", "help"},
};

/* mo_reply for MO `mo` of kind `kind` with `code`: the reply. */
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
  for (size_t i = 0; i < VG_ARRAY_SIZE(templates); i++) {
    vg_fn_mo_reply_templates_t t = {.name = templates[i][0],
                                    .text = templates[i][1]};
    vg_fn_mo_reply_templates(&c, &t);
  }
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

/* The text of our answer to MO `mo`. */
static char *answer_text(const char *mo) {
  char line[64];
  snprintf(line, sizeof line, "HGET vasgw:msg:re-%s text", mo);
  return vg_test_run(&R, line);
}

/* Offers o1 (CL, code 1) and, when `two`, o2 (SJB, code 2), made an hour
 * before NOW. */
static void offers(int two) {
  vg_fn_offer_create_t a = contact();
  a.now = NOW - 3600000;
  free(create(&a, "o1", "CL"));
  if (two) {
    a.interval = 0;
    free(create(&a, "o2", "SJB"));
  }
}

static void test_confirm_one(void **state) {
  offers(0);
  VG_EXPECT(answer("m1", "confirm", "Y", NOW),
            "[\"answered\",\"confirm_received\",\"o1\",\"Ao1\"]");
  VG_EXPECT(answer_text("m1"), "\"confirm CL 彩铃\"");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:offer:o1 state order mo"),
            "[\"confirmed\",\"Ao1\",\"m1\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:order:Ao1 action msisdn service "
                            "channel promoter offer state"),
            "[\"activate\",\"" M "\",\"CL\",\"sms\",\"8613900139000\",\"o1\","
            "\"queued\"]");
  VG_EXPECT(vg_test_run(&R, "XLEN vasgw:orders"), "1");
  VG_EXPECT(vg_test_run(&R, "HMGET " SUB " svc:CL svc:CL:at"),
            "[\"ordering\",\"" NOW_S "\"]");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:promoter:8613900139000:month:202601 "
                            "confirmed"),
            "\"1\"");
  /* The same MO again (read twice from the stream): nothing done twice. */
  char *before = vg_test_snapshot(&R, NULL);
  VG_EXPECT(answer("m1", "confirm", "Y", NOW),
            "[\"silent\",\"answered_before\"]");
  char *after = vg_test_snapshot(&R, NULL);
  assert_string_equal(before, after);
  free(before);
  free(after);
  /* A second "Y" (another MO): no second order; the order is under way. */
  VG_EXPECT(answer("m2", "confirm", "Y", NOW + 1000),
            "[\"answered\",\"processing\",\"o1\",\"Ao1\"]");
  VG_EXPECT(vg_test_run(&R, "XLEN vasgw:orders"), "1");
}

/* The state of the order decides what a later "Y" is told. */
static void test_confirm_after_order(void **state) {
  static const struct {
    const char *order_state, *reason, *want, *text;
  } cases[] = {
      {"done", "", "already_active", "\"active CL\""},
      {"failed", "", "activation_failed", "\"failed CL\""},
      {"rejected", "欠费", "rejected", "\"rejected CL 欠费\""},
      {"rejected", "", "rejected", "\"rejected CL no reason\""},
      {"retrying", "", "processing", "\"processing CL\""},
  };
  for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++) {
    setup(state);
    offers(0);
    free(answer("m1", "confirm", "", NOW));
    char line[128];
    snprintf(line, sizeof line, "HSET vasgw:order:Ao1 state %s reason \"%s\"",
             cases[i].order_state, cases[i].reason);
    vg_test_setup(&R, (const char *const[]){line, NULL});
    char want[128];
    snprintf(want, sizeof want, "[\"answered\",\"%s\",\"o1\",\"Ao1\"]",
             cases[i].want);
    VG_EXPECT(answer("m2", "confirm", "Y", NOW + 1000), want);
    VG_EXPECT(answer_text("m2"), cases[i].text);
  }
}

static void test_choose_and_codes(void **state) {
  offers(1);
  /* A bare Y with two open: the list to choose from. */
  VG_EXPECT(answer("m1", "confirm", "", NOW),
            "[\"answered\",\"choose\",\"\",\"\"]");
  VG_EXPECT(answer_text("m1"), "\"choose 1=彩铃;2=手机报\"");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:offer:o1 state"), "\"pending\"");
  /* Its code confirms that offer: "2", or the service code. */
  VG_EXPECT(answer("m2", "code", "2", NOW),
            "[\"answered\",\"confirm_received\",\"o2\",\"Ao2\"]");
  VG_EXPECT(answer("m3", "code", "CL", NOW),
            "[\"answered\",\"confirm_received\",\"o1\",\"Ao1\"]");
  /* "1" again names o1, confirmed: told about o1, not help. */
  VG_EXPECT(answer("m4", "confirm", "1", NOW),
            "[\"answered\",\"processing\",\"o1\",\"Ao1\"]");
  /* A code that names nothing: help, once a day. */
  VG_EXPECT(answer("m5", "code", "7", NOW), "[\"answered\",\"help\",\"\",\"\"]");
  VG_EXPECT(answer("m6", "code", "7", NOW),
            "[\"silent\",\"help_sent_today\"]");
}

static void test_decline(void **state) {
  offers(1);
  VG_EXPECT(answer("m1", "decline", "", NOW),
            "[\"answered\",\"declined\",\"\",\"\"]");
  VG_EXPECT(answer_text("m1"), "\"declined 彩铃;手机报\"");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:offer:o1 state declined_at"),
            "[\"declined\",\"" NOW_S "\"]");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:stats offer_declined"), "\"2\"");
  /* Declined is still open: a Y confirms, and N again finds nothing. */
  VG_EXPECT(answer("m2", "decline", "", NOW),
            "[\"answered\",\"no_offer\",\"\",\"\"]");
  VG_EXPECT(answer_text("m2"), "\"none 10658000\"");
  VG_EXPECT(answer("m3", "code", "1", NOW),
            "[\"answered\",\"confirm_received\",\"o1\",\"Ao1\"]");
}

static void test_expired_and_none(void **state) {
  VG_EXPECT(answer("m1", "confirm", "", NOW),
            "[\"answered\",\"no_offer\",\"\",\"\"]");
  offers(0);
  /* 48 hours later the offer has lapsed. */
  long long later = NOW - 3600000 + 48 * 3600000LL;
  VG_EXPECT(answer("m2", "confirm", "Y", later),
            "[\"answered\",\"expired\",\"o1\",\"\"]");
  VG_EXPECT(answer_text("m2"), "\"expired CL\"");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:offer:o1 state"), "\"pending\"");
  VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:order:Ao1"), "0");
}

/* Two promoters offered the same service: the one confirmed supersedes the
 * other, whose own code then says the service is active or on its way. */
static void test_superseded(void **state) {
  offers(0);
  vg_fn_offer_create_t a = contact();
  a.marketing = 0; /* a second promoter's offer of the same service */
  a.now = NOW - 1000;
  vg_test_setup(&R, (const char *const[]){"HSET vasgw:offer:o1 service CL",
                                          NULL});
  /* o3 of CL by another way in: make it directly open with code 2. */
  vg_test_setup(&R, (const char *const[]){
                        "HSET vasgw:offer:o3 state pending service CL code 2 "
                        "expires " NUM(1767312000000) " created " NUM(1767225599000),
                        "HSET " SUB ":offers 2 o3", NULL});
  VG_EXPECT(answer("m1", "code", "1", NOW),
            "[\"answered\",\"confirm_received\",\"o1\",\"Ao1\"]");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:offer:o3 state"), "\"superseded\"");
  VG_EXPECT(answer("m2", "code", "2", NOW),
            "[\"answered\",\"processing\",\"o3\",\"\"]");
  vg_test_setup(&R, (const char *const[]){"HSET " SUB " svc:CL active", NULL});
  VG_EXPECT(answer("m3", "code", "2", NOW),
            "[\"answered\",\"already_active\",\"o3\",\"\"]");
  /* An open offer of a service the subscriber holds: no order. */
  setup(state);
  offers(0);
  vg_test_setup(&R, (const char *const[]){"HSET " SUB " svc:CL active", NULL});
  VG_EXPECT(answer("m1", "confirm", "Y", NOW),
            "[\"answered\",\"already_active\",\"o1\",\"\"]");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:offer:o1 state"), "\"superseded\"");
  VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:order:Ao1"), "0");
  (void)a;
}

int main(void) {
  vg_test_redis_start(&R);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_create_rules, setup),
      cmocka_unit_test_setup(test_create_counts_contact, setup),
      cmocka_unit_test_setup(test_create_several, setup),
      cmocka_unit_test_setup(test_create_same_service_twice, setup),
      cmocka_unit_test_setup(test_create_pending, setup),
      cmocka_unit_test_setup(test_create_codes, setup),
      cmocka_unit_test_setup(test_create_held, setup),
      cmocka_unit_test_setup(test_held_not_answerable, setup),
      cmocka_unit_test_setup(test_release_rechecks, setup),
      cmocka_unit_test_setup(test_release_late, setup),
      cmocka_unit_test_setup(test_create_twice, setup),
      cmocka_unit_test_setup(test_marketing_rules_twice, setup),
      cmocka_unit_test_setup(test_confirm_one, setup),
      cmocka_unit_test_setup(test_confirm_after_order, setup),
      cmocka_unit_test_setup(test_choose_and_codes, setup),
      cmocka_unit_test_setup(test_decline, setup),
      cmocka_unit_test_setup(test_expired_and_none, setup),
      cmocka_unit_test_setup(test_superseded, setup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vg_test_redis_stop(&R);
  return rc;
}
