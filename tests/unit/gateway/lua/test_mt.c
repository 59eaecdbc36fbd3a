/*
 * test_mt.c — gateway/lua/mt.lua against a real redis-server: a message
 * queued (mt_enqueue), answered by the SMSC part by part (mt_resp),
 * receipted (dlr) and, when held for quiet hours, released (mt_release).
 * Table-driven; every call is also made a second time to prove that the
 * repeat (a reply lost with the connection, the caller calling again)
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
#define M "8613800138000"
#define OTHER "8613900139000"
#define TTL (7 * 86400)
/* The times of a message's life, each its own so that a field shows which
 * step wrote it. */
#define T0 1767225600000      /* queued (2026-01-01T00:00:00Z) */
#define T_SUB 1767225601000   /* its parts submitted */
#define T_EARLY 1767225601500 /* a receipt that overtook the response */
#define T_RESP 1767225602000  /* the responses recorded */
#define T_DLR 1767225603000   /* the receipts recorded */
#define S(x) #x
#define NUM(x) S(x)

static int setup(void **state) {
  (void)state;
  vg_test_redis_reset(&R);
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

/* Sorted words joined by spaces (malloc'd); frees the words. */
static char *join(char **w, size_t n) {
  qsort(w, n, sizeof *w, cmp_str);
  size_t len = 1;
  for (size_t i = 0; i < n; i++)
    len += strlen(w[i]) + 1;
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

/* Every field of hash `key`, sorted, "f=v f=v" (malloc'd; "" when there is
 * no such key): a record compared whole, so that a field written by
 * mistake shows as surely as one missing. */
static char *record(const char *key) {
  redisReply *r = redisCommand(R.rc, "HGETALL %s", key);
  size_t n = r->elements / 2;
  char **w = calloc(n ? n : 1, sizeof *w);
  for (size_t i = 0; i < n; i++) {
    const redisReply *f = r->element[2 * i], *v = r->element[2 * i + 1];
    w[i] = malloc(f->len + v->len + 2);
    sprintf(w[i], "%.*s=%.*s", (int)f->len, f->str, (int)v->len, v->str);
  }
  freeReplyObject(r);
  return join(w, n);
}

/* P:stats compared whole, but for dlr_received: every receipt is counted
 * there and once more by what became of it, and that sum is checked here
 * on every look at the counters. */
static char *stats(void) {
  redisReply *r = redisCommand(
      R.rc, "HMGET vasgw:stats dlr_received dlr dlr_duplicate dlr_unmatched "
            "dlr_late_matched dlr_replaced dlr_malformed");
  long long v[7];
  for (int i = 0; i < 7; i++)
    v[i] = r->element[i]->str ? atoll(r->element[i]->str) : 0;
  freeReplyObject(r);
  long long sum = v[1] + v[2] + v[3] + v[4] + v[5] + v[6];
  if (v[0] != sum)
    print_error("dlr_received %lld, its outcomes add up to %lld\n", v[0], sum);
  assert_int_equal(v[0], sum);
  char *all = record("vasgw:stats");
  /* Drop "dlr_received=N" (and its space) from the sorted list. */
  char *at = strstr(all, "dlr_received=");
  if (at) {
    char *end = strchr(at, ' ');
    memmove(at, end ? end + 1 : at + strlen(at), strlen(end ? end + 1 : "") + 1);
    size_t n = strlen(all);
    if (n && all[n - 1] == ' ')
      all[n - 1] = '\0';
  }
  return all;
}

/* The keys under `prefix`, by what follows it, sorted; a string key with
 * its value ("a1b=m1|1"). */
static char *under(const char *prefix) {
  redisReply *r = redisCommand(R.rc, "KEYS %s*", prefix);
  size_t n = r->elements, pl = strlen(prefix);
  char **w = calloc(n ? n : 1, sizeof *w);
  for (size_t i = 0; i < n; i++) {
    const char *k = r->element[i]->str;
    redisReply *v = redisCommand(R.rc, "GET %s", k);
    const char *val = v->type == REDIS_REPLY_STRING ? v->str : NULL;
    w[i] = malloc(strlen(k) + (val ? strlen(val) : 0) + 2);
    sprintf(w[i], "%s%s%s", k + pl, val ? "=" : "", val ? val : "");
    freeReplyObject(v);
  }
  freeReplyObject(r);
  return join(w, n);
}

/* The entries of stream `key`, their fields only (the ids are Redis's). */
static char *entries(const char *key) {
  redisReply *r = redisCommand(R.rc, "XRANGE %s - +", key);
  size_t len = 3;
  char **w = calloc(r->elements ? r->elements : 1, sizeof *w);
  for (size_t i = 0; i < r->elements; i++) {
    w[i] = vg_test_render(r->element[i]->element[1]);
    len += strlen(w[i]) + 1;
  }
  char *s = malloc(len);
  strcpy(s, "[");
  for (size_t i = 0; i < r->elements; i++) {
    if (i)
      strcat(s, ",");
    strcat(s, w[i]);
    free(w[i]);
  }
  strcat(s, "]");
  free(w);
  freeReplyObject(r);
  return s;
}

/* An MT stream: entries left, and entries read and not acknowledged. */
static char *stream_of(const char *key) {
  redisReply *n = redisCommand(R.rc, "XLEN %s", key);
  redisReply *p = redisCommand(R.rc, "XPENDING %s vasgw", key);
  char *s = malloc(64);
  snprintf(s, 64, "entries=%lld pending=%lld", n->integer,
           p->type == REDIS_REPLY_ARRAY ? p->element[0]->integer : -1LL);
  freeReplyObject(n);
  freeReplyObject(p);
  return s;
}

static char *mt_stream(void) { return stream_of("vasgw:mt"); }

/* Call `c` again: the reply `want` again, and nothing stored changes but
 * the counters named (NULL-terminated, or NULL), which count the repeat. */
static void again(const vg_fcall_t *c, const char *want,
                  const char *const *counters) {
  /* dlr_received counts every receipt that comes, the repeat's too. */
  const char *names[8] = {"dlr_received"};
  for (int i = 0; counters && counters[i] && i < 6; i++)
    names[i + 1] = counters[i];
  VG_EXPECT_AGAIN(&R, c, want, names);
}

/* --- mt_enqueue ----------------------------------------------------------- */

static vg_fn_mt_enqueue_messages_t plain(const char *id, const char *to) {
  vg_fn_mt_enqueue_messages_t m = {.id = id,
                                   .to = to,
                                   .text = "hi",
                                   .src = "",
                                   .ussd_op = -1,
                                   .its = "",
                                   .origin = "cli",
                                   .umr = "",
                                   .expire_at = 0};
  return m;
}

static void enqueue_call(vg_fcall_t *c, const vg_fn_mt_enqueue_messages_t *m,
                         size_t n) {
  vg_fn_mt_enqueue_t a = {.prefix = P, .created = T0, .ttl = TTL};
  vg_fn_mt_enqueue(c, &a);
  for (size_t i = 0; i < n; i++)
    vg_fn_mt_enqueue_messages(c, &m[i]);
}

typedef struct {
  const char *name;
  const char *src;
  long long ussd_op;
  const char *its;
  const char *umr;
  long long expire_at;
  const char *record; /* vasgw:msg:m1 */
  const char *entry;  /* its stream entry */
} enqueue_case_t;

#define REC_HEAD "created=" NUM(T0) " id=m1"
#define REC_TAIL " state=queued text=hi to=" M
#define ENT "\"id\",\"m1\",\"to\",\"" M "\",\"text\",\"hi\""

/* src, ussd_op, its, umr and expire_at are written, to the record and to
 * the entry, only when set: most MT has none.  ussd_op 0 is an operation
 * (PSSD indication), -1 none; umr 0 is a reference, "" none. */
static const enqueue_case_t enqueue_cases[] = {
    {"plain SMS", "", -1, "", "", 0, REC_HEAD " origin=cli" REC_TAIL,
     "[[" ENT "]]"},
    {"source address", "10658000", -1, "", "", 0,
     REC_HEAD " origin=cli src=10658000" REC_TAIL,
     "[[" ENT ",\"src\",\"10658000\"]]"},
    {"USSD operation 0", "", 0, "", "", 0,
     REC_HEAD " origin=cli" REC_TAIL " ussd_op=0",
     "[[" ENT ",\"ussd_op\",\"0\"]]"},
    {"USSD with session", "", 2, "0101", "", 0,
     REC_HEAD " its=0101 origin=cli" REC_TAIL " ussd_op=2",
     "[[" ENT ",\"ussd_op\",\"2\",\"its\",\"0101\"]]"},
    {"all three", "106", 17, "0A01", "", 0,
     REC_HEAD " its=0A01 origin=cli src=106" REC_TAIL " ussd_op=17",
     "[[" ENT ",\"src\",\"106\",\"ussd_op\",\"17\",\"its\",\"0A01\"]]"},
    {"USSD with user_message_reference and a deadline", "", 17, "", "0",
     T_SUB,
     "created=" NUM(T0) " expire_at=" NUM(T_SUB) " id=m1 origin=cli" REC_TAIL
     " umr=0 ussd_op=17",
     "[[" ENT ",\"ussd_op\",\"17\",\"umr\",\"0\",\"expire_at\",\""
     NUM(T_SUB) "\"]]"},
};

static void test_enqueue(void **state) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(enqueue_cases); i++) {
    const enqueue_case_t *k = &enqueue_cases[i];
    print_message("case: %s\n", k->name);
    setup(state);
    vg_fn_mt_enqueue_messages_t m = plain("m1", M);
    m.src = k->src;
    m.ussd_op = k->ussd_op;
    m.its = k->its;
    m.umr = k->umr;
    m.expire_at = k->expire_at;
    vg_fcall_t c = VG_FCALL_INIT;
    enqueue_call(&c, &m, 1);
    VG_EXPECT(vg_test_fcall(&R, &c), "1");
    VG_EXPECT(record("vasgw:msg:m1"), k->record);
    VG_EXPECT(entries("vasgw:mt"), k->entry);
    VG_EXPECT(vg_test_run(&R, "TTL vasgw:msg:m1"), NUM(604800));
    VG_EXPECT(stats(), "queued=1");
    /* Queued again (the CLI's reply was lost): no second message. */
    again(&c, "0", NULL);
    vg_fcall_free(&c);
  }
}

/* A batch: each id once, even twice in the same batch, and an id already
 * queued keeps its first record whatever the second says. */
static void test_enqueue_batch(void **state) {
  vg_fn_mt_enqueue_messages_t m[3] = {plain("m1", M), plain("m2", OTHER),
                                      plain("m1", M)};
  m[2].text = "another text";
  vg_fcall_t c = VG_FCALL_INIT;
  enqueue_call(&c, m, 3);
  VG_EXPECT(vg_test_fcall(&R, &c), "2");
  VG_EXPECT(entries("vasgw:mt"),
            "[[" ENT "],[\"id\",\"m2\",\"to\",\"" OTHER "\",\"text\","
            "\"hi\"]]");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:msg:m1 text"), "\"hi\"");
  VG_EXPECT(stats(), "queued=2");
  again(&c, "0", NULL);
  /* One new id among known ones: only it counts. */
  m[1] = plain("m3", M);
  enqueue_call(&c, m, 2);
  VG_EXPECT(vg_test_fcall(&R, &c), "1");
  VG_EXPECT(vg_test_run(&R, "XLEN vasgw:mt"), "3");
  VG_EXPECT(stats(), "queued=3");
  vg_fcall_free(&c);
  (void)state;
}

/* The longest addresses a submit_sm carries, 20 characters, are queued
 * whole; one more is refused where the message is made, naming the message
 * and the address, and nothing of the call is written (the outbox would
 * otherwise have had to refuse it, or cut it into another number). */
#define ADDR20 "86138001380012345678"

static void test_enqueue_addresses(void **state) {
  vg_fn_mt_enqueue_messages_t m[2] = {plain("m1", ADDR20), plain("m2", M)};
  m[0].src = "10658000123456789012";
  vg_fcall_t c = VG_FCALL_INIT;
  enqueue_call(&c, m, 1);
  VG_EXPECT(vg_test_fcall(&R, &c), "1");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:msg:m1 to src"),
            "[\"" ADDR20 "\",\"10658000123456789012\"]");
  VG_EXPECT(entries("vasgw:mt"),
            "[[\"id\",\"m1\",\"to\",\"" ADDR20 "\",\"text\",\"hi\","
            "\"src\",\"10658000123456789012\"]]");
  vg_fcall_free(&c);

  static const struct {
    const char *to, *src, *want;
  } over[] = {
      {ADDR20 "9", "",
       "!ERR message m2: destination address \"" ADDR20 "9\" is longer than "
       "20 characters"},
      {M, "106580001234567890123",
       "!ERR message m2: source address \"106580001234567890123\" is longer "
       "than 20 characters"},
  };
  for (size_t i = 0; i < VG_ARRAY_SIZE(over); i++) {
    setup(state);
    /* m1 is fine, m2 is not: neither is queued. */
    m[0] = plain("m1", M);
    m[1] = plain("m2", over[i].to);
    m[1].src = over[i].src;
    vg_fcall_t b = VG_FCALL_INIT;
    enqueue_call(&b, m, 2);
    VG_EXPECT_REFUSED(&R, &b, over[i].want);
    vg_fcall_free(&b);
  }
}

/* --- mt_resp -------------------------------------------------------------- */

/* Message `id` to `to` queued and read by node n1 through the group vasgw,
 * as the outbox reads it before submitting: its entry (into `entry`) is
 * pending until every part is answered. */
static void queued_as(const char *id, const char *to, const char *lane,
                      const char *tally, char entry[64]) {
  vg_fn_mt_enqueue_messages_t m = plain(id, to);
  m.lane = lane;
  m.tally = tally;
  const char *stream = *lane ? "vasgw:mt:bulk" : "vasgw:mt";
  vg_fcall_t c = VG_FCALL_INIT;
  enqueue_call(&c, &m, 1);
  free(vg_test_fcall(&R, &c));
  vg_fcall_free(&c);
  /* BUSYGROUP from the second message on: the group is there. */
  freeReplyObject(
      redisCommand(R.rc, "XGROUP CREATE %s vasgw 0 MKSTREAM", stream));
  redisReply *r = redisCommand(
      R.rc, "XREADGROUP GROUP vasgw n1 COUNT 1 STREAMS %s >", stream);
  assert_int_equal(r->type, REDIS_REPLY_ARRAY);
  const redisReply *e = r->element[0]->element[1]->element[0];
  snprintf(entry, 64, "%s", e->element[0]->str);
  freeReplyObject(r);
}

static void queued(const char *id, const char *to, char entry[64]) {
  queued_as(id, to, "", "", entry);
}

/* One submit_sm_resp: nparts 0 marks the end of a list. */
typedef struct {
  int part, nparts, status;
  const char *name, *smscid, *key0, *key1;
} part_t;

/* The responses, of parts of a message in the stream of `lane`. */
static void resp_call_lane(vg_fcall_t *c, long long now, const char *id,
                           const char *entry, const part_t *parts, size_t n,
                           const char *lane) {
  vg_fn_mt_resp_t a = {
      .prefix = P, .now = now, .ttl = TTL, .group_name = "vasgw"};
  vg_fn_mt_resp(c, &a);
  for (size_t i = 0; i < n && parts[i].nparts; i++) {
    vg_fn_mt_resp_parts_t g = {.id = id,
                               .part = parts[i].part,
                               .nparts = parts[i].nparts,
                               .status = parts[i].status,
                               .status_name = parts[i].name,
                               .smscid = parts[i].smscid,
                               .key0 = parts[i].key0,
                               .entry = entry,
                               .submitted = T_SUB,
                               .key1 = parts[i].key1,
                               .key2 = "",
                               .lane = lane};
    vg_fn_mt_resp_parts(c, &g);
  }
}

static void resp_call(vg_fcall_t *c, long long now, const char *id,
                      const char *entry, const part_t *parts, size_t n) {
  resp_call_lane(c, now, id, entry, parts, n, "");
}

/* Answer `id` with the parts, once: the reply. */
static char *resp(const char *id, const char *entry, const part_t *parts,
                  size_t n) {
  vg_fcall_t c = VG_FCALL_INIT;
  resp_call(&c, T_RESP, id, entry, parts, n);
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

/* The SMSC's answers: OK with an SMSC id (0A1B, 0A1C as receipts spell it:
 * a1b, a1c), or refused (ESME_RINVDSTADR, 11: no SMSC id). */
#define OK1 {1, 1, 0, "ESME_ROK", "0A1B", "a1b", ""}
#define BAD1 {1, 1, 11, "ESME_RINVDSTADR", "", "", ""}
#define OK_P1 {1, 2, 0, "ESME_ROK", "0A1B", "a1b", ""}
#define OK_P2 {2, 2, 0, "ESME_ROK", "0A1C", "a1c", ""}
#define BAD_P1 {1, 2, 11, "ESME_RINVDSTADR", "", "", ""}
#define BAD_P2 {2, 2, 11, "ESME_RINVDSTADR", "", "", ""}

/* Parts the outbox did not send, with its reason as the name. */
#define WHY_LONG "text too long for one USSD screen"
#define WHY_EXP "expired before it was sent"
#define UNSENT1 {1, 1, -2, WHY_LONG, "", "", ""}
#define EXPIRED1 {1, 1, -3, WHY_EXP, "", "", ""}
#define EXPIRED_P2 {2, 2, -3, WHY_EXP, "", "", ""}
#define P_NOT(n, st) \
  " p" #n ".resp_at=" NUM(T_RESP) " p" #n ".smscid= p" #n ".status=" st

/* m1's record, its fields sorted: accepted_at created done_at error id
 * origin p1.* p2.* parts state submitted_at text to. */
#define ACCEPTED "accepted_at=" NUM(T_RESP) " "
#define CREATED "created=" NUM(T0)
#define DONE(t) " done_at=" NUM(t)
#define SMPP_ERR " error=smpp:ESME_RINVDSTADR"
#define ID " id=m1 origin=cli"
#define P_OK(n, id) \
  " p" #n ".resp_at=" NUM(T_RESP) " p" #n ".smscid=" id " p" #n ".status=0"
#define P1_OK P_OK(1, "0A1B")
#define P2_OK P_OK(2, "0A1C")
#define P_BAD(n)                                                     \
  " p" #n ".error=ESME_RINVDSTADR p" #n ".resp_at=" NUM(T_RESP) " p" #n \
  ".smscid= p" #n ".status=11"
#define P_DLR(n, stat, err, t) \
  " p" #n ".dlr=" stat " p" #n ".dlr_at=" NUM(t) " p" #n ".dlr_err=" err
#define TAIL(parts, state)                                          \
  " parts=" parts " state=" state " submitted_at=" NUM(T_SUB) " text=hi " \
  "to=" M

/* A receipt that came before the response (dlr stored it unmatched). */
#define EARLY(key, stat, err, from)                                       \
  "HSET vasgw:dlr:unmatched:" key " id 0A1B stat " stat " err " err " at " \
  NUM(T_EARLY) " from " from
#define UNMATCHED_1 "HSET vasgw:stats dlr_unmatched 1 dlr_received 1"

typedef struct {
  const char *name;
  const char *setup[3];  /* after m1 is queued and read */
  part_t calls[3][2];    /* one call per row; nparts 0 ends */
  const char *want[3];   /* each call's reply */
  const char *record;    /* vasgw:msg:m1 after them */
  const char *stats;
  const char *smscid;    /* the SMSC ids mapped to parts */
  const char *unmatched; /* the receipts still waiting */
  const char *stream;    /* the entry: acknowledged and deleted when done */
  const char *again[3];  /* a repeat's reply, when not the first's */
} resp_case_t;

#define DONE_STREAM "entries=0 pending=0"
#define OPEN_STREAM "entries=1 pending=1"

static const resp_case_t resp_cases[] = {
    {"one part OK",
     {NULL},
     {{OK1}},
     {"[\"accepted\"]"},
     ACCEPTED CREATED ID P1_OK TAIL("1", "accepted"),
     "accepted=1 queued=1 submitted=1",
     "a1b=m1|1",
     "",
     DONE_STREAM, {NULL}},
    {"one part refused",
     {NULL},
     {{BAD1}},
     {"[\"failed\"]"},
     CREATED DONE(T_RESP) SMPP_ERR ID P_BAD(1) TAIL("1", "failed"),
     "failed=1 queued=1 rejected=1 submitted=1",
     "",
     "",
     DONE_STREAM, {NULL}},
    /* The outbox sent nothing: the text could not go (-2), or the
     * message's expire_at passed before its turn (-3); counted unsent,
     * neither submitted nor refused by the SMSC. */
    {"one part not sent",
     {NULL},
     {{UNSENT1}},
     {"[\"failed\"]"},
     CREATED DONE(T_RESP) " error=unsent:" WHY_LONG ID
     " p1.error=" WHY_LONG P_NOT(1, "-2") TAIL("1", "failed"),
     "failed=1 queued=1 unsent=1",
     "",
     "",
     DONE_STREAM, {NULL}},
    {"one part expired",
     {NULL},
     {{EXPIRED1}},
     {"[\"failed\"]"},
     CREATED DONE(T_RESP) " error=" WHY_EXP ID " p1.error=" WHY_EXP
     P_NOT(1, "-3") TAIL("1", "failed"),
     "failed=1 mt_expired=1 queued=1 unsent=1",
     "",
     "",
     DONE_STREAM, {NULL}},
    {"two parts, the second expired",
     {NULL},
     {{OK_P1}, {EXPIRED_P2}},
     {"[\"partial\"]", "[\"failed\"]"},
     CREATED DONE(T_RESP) " error=" WHY_EXP ID P1_OK " p2.error=" WHY_EXP
     P_NOT(2, "-3") TAIL("2", "failed"),
     "failed=1 queued=1 submitted=1",
     "a1b=m1|1",
     "",
     DONE_STREAM, {NULL}},
    /* Multipart: the message waits in 'submitted', its entry pending,
     * until the last part is answered. */
    {"two parts, the first answered",
     {NULL},
     {{OK_P1}},
     {"[\"partial\"]"},
     CREATED ID P1_OK TAIL("2", "submitted"),
     "queued=1 submitted=1",
     "a1b=m1|1",
     "",
     OPEN_STREAM, {NULL}},
    {"two parts, both OK",
     {NULL},
     {{OK_P1}, {OK_P2}},
     {"[\"partial\"]", "[\"accepted\"]"},
     ACCEPTED CREATED ID P1_OK P2_OK TAIL("2", "accepted"),
     "accepted=1 queued=1 submitted=1",
     "a1b=m1|1 a1c=m1|2",
     "",
     DONE_STREAM, {NULL}},
    {"two parts, the second answered first",
     {NULL},
     {{OK_P2}, {OK_P1}},
     {"[\"partial\"]", "[\"accepted\"]"},
     ACCEPTED CREATED ID P1_OK P2_OK TAIL("2", "accepted"),
     "accepted=1 queued=1 submitted=1",
     "a1b=m1|1 a1c=m1|2",
     "",
     DONE_STREAM, {NULL}},
    /* Part 1 was partial when it was recorded; recorded again, it tells
     * the message's state now. */
    {"two parts in one call",
     {NULL},
     {{OK_P1, OK_P2}},
     {"[\"partial\",\"accepted\"]"},
     ACCEPTED CREATED ID P1_OK P2_OK TAIL("2", "accepted"),
     "accepted=1 queued=1 submitted=1",
     "a1b=m1|1 a1c=m1|2",
     "",
     DONE_STREAM,
     {"[\"accepted\",\"accepted\"]"}},
    /* A refused part fails the message, but only once every part is
     * answered (the entry stays pending until then). */
    {"two parts, the first refused",
     {NULL},
     {{BAD_P1}, {OK_P2}},
     {"[\"partial\"]", "[\"failed\"]"},
     CREATED DONE(T_RESP) SMPP_ERR ID P_BAD(1) P2_OK TAIL("2", "failed"),
     "failed=1 queued=1 rejected=1 submitted=1",
     "a1c=m1|2",
     "",
     DONE_STREAM, {NULL}},
    {"two parts, the last refused",
     {NULL},
     {{OK_P1}, {BAD_P2}},
     {"[\"partial\"]", "[\"failed\"]"},
     CREATED DONE(T_RESP) SMPP_ERR ID P1_OK P_BAD(2) TAIL("2", "failed"),
     "failed=1 queued=1 rejected=1 submitted=1",
     "a1b=m1|1",
     "",
     DONE_STREAM, {NULL}},
    /* The record lapsed (msg_ttl_days) before the answer: nothing to
     * record, but the entry is acknowledged all the same. */
    {"record gone",
     {"DEL vasgw:msg:m1", NULL},
     {{OK1}},
     {"[\"expired\"]"},
     "",
     "queued=1",
     "",
     "",
     DONE_STREAM, {NULL}},
    /* A receipt that overtook its response is taken now: the message goes
     * straight to its final state, and the receipt moves from
     * dlr_unmatched to dlr_late_matched. */
    {"early receipt taken",
     {EARLY("a1b", "delivered", "000", M), UNMATCHED_1, NULL},
     {{OK1}},
     {"[\"delivered\"]"},
     ACCEPTED CREATED DONE(T_RESP) ID P_DLR(1, "delivered", "000", T_EARLY)
         P1_OK TAIL("1", "delivered"),
     "accepted=1 delivered=1 dlr_late_matched=1 dlr_unmatched=0 queued=1 "
     "submitted=1",
     "a1b=m1|1",
     "",
     DONE_STREAM, {NULL}},
    {"early receipt saying no number",
     {EARLY("a1b", "delivered", "000", "\"\""), UNMATCHED_1, NULL},
     {{OK1}},
     {"[\"delivered\"]"},
     ACCEPTED CREATED DONE(T_RESP) ID P_DLR(1, "delivered", "000", T_EARLY)
         P1_OK TAIL("1", "delivered"),
     "accepted=1 delivered=1 dlr_late_matched=1 dlr_unmatched=0 queued=1 "
     "submitted=1",
     "a1b=m1|1",
     "",
     DONE_STREAM, {NULL}},
    /* Stored under another spelling of the id (decimal 2587 = 0xA1B). */
    {"early receipt under the second spelling",
     {EARLY("2587", "delivered", "000", M), UNMATCHED_1, NULL},
     {{{1, 1, 0, "ESME_ROK", "0A1B", "a1b", "2587"}}},
     {"[\"delivered\"]"},
     ACCEPTED CREATED DONE(T_RESP) ID P_DLR(1, "delivered", "000", T_EARLY)
         P1_OK TAIL("1", "delivered"),
     "accepted=1 delivered=1 dlr_late_matched=1 dlr_unmatched=0 queued=1 "
     "submitted=1",
     "a1b=m1|1",
     "",
     DONE_STREAM, {NULL}},
    {"early failure receipt",
     {EARLY("a1b", "undeliverable", "001", M), UNMATCHED_1, NULL},
     {{OK1}},
     {"[\"failed\"]"},
     CREATED DONE(T_RESP) " error=dlr:undeliverable err:001" ID
         P_DLR(1, "undeliverable", "001", T_EARLY) P1_OK TAIL("1", "failed"),
     "dlr_late_matched=1 dlr_unmatched=0 failed=1 queued=1 submitted=1",
     "a1b=m1|1",
     "",
     DONE_STREAM, {NULL}},
    /* About another number: another message's id in another spelling,
     * not this one's receipt; it stays for its own message. */
    {"early receipt about another number",
     {EARLY("a1b", "delivered", "000", OTHER), UNMATCHED_1, NULL},
     {{OK1}},
     {"[\"accepted\"]"},
     ACCEPTED CREATED ID P1_OK TAIL("1", "accepted"),
     "accepted=1 dlr_unmatched=1 queued=1 submitted=1",
     "a1b=m1|1",
     "a1b",
     DONE_STREAM, {NULL}},
    /* Multipart: the early receipt of part 1 is kept on it; delivered
     * waits for part 2's receipt. */
    {"early receipt of a first part",
     {EARLY("a1b", "delivered", "000", M), UNMATCHED_1, NULL},
     {{OK_P1}, {OK_P2}},
     {"[\"partial\"]", "[\"accepted\"]"},
     ACCEPTED CREATED ID P_DLR(1, "delivered", "000", T_EARLY) P1_OK P2_OK
         TAIL("2", "accepted"),
     "accepted=1 dlr_late_matched=1 dlr_unmatched=0 queued=1 submitted=1",
     "a1b=m1|1 a1c=m1|2",
     "",
     DONE_STREAM, {NULL}},
};

static void test_resp(void **state) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(resp_cases); i++) {
    const resp_case_t *k = &resp_cases[i];
    print_message("case: %s\n", k->name);
    setup(state);
    char entry[64];
    queued("m1", M, entry);
    vg_test_setup(&R, k->setup);
    for (int row = 0; row < 3 && k->calls[row][0].nparts; row++) {
      vg_fcall_t c = VG_FCALL_INIT;
      resp_call(&c, T_RESP, "m1", entry, k->calls[row], 2);
      VG_EXPECT(vg_test_fcall(&R, &c), k->want[row]);
      /* The same responses recorded again (the reply was lost). */
      again(&c, k->again[row] ? k->again[row] : k->want[row], NULL);
      vg_fcall_free(&c);
    }
    VG_EXPECT(record("vasgw:msg:m1"), k->record);
    VG_EXPECT(stats(), k->stats);
    VG_EXPECT(under("vasgw:smscid:"), k->smscid);
    VG_EXPECT(under("vasgw:dlr:unmatched:"), k->unmatched);
    VG_EXPECT(mt_stream(), k->stream);
    /* A mapping is kept as long as receipts may come. */
    if (strstr(k->smscid, "a1b="))
      VG_EXPECT(vg_test_run(&R, "TTL vasgw:smscid:a1b"), NUM(604800));
    if (strstr(k->smscid, "a1c="))
      VG_EXPECT(vg_test_run(&R, "TTL vasgw:smscid:a1c"), NUM(604800));
  }
}

/* Responses of two messages in one call, each acknowledged. */
static void test_resp_batch(void **state) {
  char e1[64], e2[64];
  queued("m1", M, e1);
  queued("m2", OTHER, e2);
  VG_EXPECT(mt_stream(), "entries=2 pending=2");
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_mt_resp_t a = {
      .prefix = P, .now = T_RESP, .ttl = TTL, .group_name = "vasgw"};
  vg_fn_mt_resp(&c, &a);
  vg_fn_mt_resp_parts_t g1 = {.id = "m1", .part = 1, .nparts = 1,
                              .status = 0, .status_name = "ESME_ROK",
                              .smscid = "0A1B", .key0 = "a1b", .entry = e1,
                              .submitted = T_SUB, .key1 = "", .key2 = ""};
  vg_fn_mt_resp_parts_t g2 = {
      .id = "m2", .part = 1, .nparts = 1, .status = 11,
      .status_name = "ESME_RINVDSTADR", .smscid = "", .key0 = "",
      .entry = e2, .submitted = T_SUB, .key1 = "", .key2 = ""};
  vg_fn_mt_resp_parts(&c, &g1);
  vg_fn_mt_resp_parts(&c, &g2);
  VG_EXPECT(vg_test_fcall(&R, &c), "[\"accepted\",\"failed\"]");
  VG_EXPECT(mt_stream(), DONE_STREAM);
  VG_EXPECT(stats(), "accepted=1 failed=1 queued=2 rejected=1 submitted=2");
  again(&c, "[\"accepted\",\"failed\"]", NULL);
  vg_fcall_free(&c);
  (void)state;
}

/* --- dlr ------------------------------------------------------------------ */

static void dlr_call(vg_fcall_t *c, long long now,
                     const vg_fn_dlr_receipts_t *r, size_t n) {
  vg_fn_dlr_t a = {.prefix = P, .now = now, .ttl = TTL};
  vg_fn_dlr(c, &a);
  for (size_t i = 0; i < n; i++)
    vg_fn_dlr_receipts(c, &r[i]);
}

static char *dlr(long long now, const vg_fn_dlr_receipts_t *r) {
  vg_fcall_t c = VG_FCALL_INIT;
  dlr_call(&c, now, r, 1);
  char *s = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return s;
}

/* A receipt for SMSC id 0A1B: stat, err, from, and the spellings. */
#define RCPT(stat, err, from, k0, k1) {stat, err, "0A1B", from, k0, k1, ""}

typedef struct {
  const char *name;
  vg_fn_dlr_receipts_t r;
  const char *want, *again; /* the reply, and the repeat's */
  const char *counter;      /* what counts the repeat, and its value then */
  const char *count;
  const char *record, *stats, *unmatched;
} dlr_case_t;

/* dlr's answer for one receipt: matched to m1, in the state it is in now;
 * a duplicate (of m1's, or of one kept unmatched); kept unmatched. */
#define MATCHED(st) "[[\"matched\",\"m1\",\"" st "\"]]"
#define DUP_OF(id) "[[\"dup\",\"" id "\",\"\"]]"
#define UNMATCHED "[[\"unmatched\",\"\",\"\"]]"

/* m1 as the SMSC accepted it (one part, SMSC id 0A1B). */
#define R_ACCEPTED ACCEPTED CREATED ID P1_OK TAIL("1", "accepted")
#define S_ACCEPTED "accepted=1 queued=1 submitted=1"

static const dlr_case_t dlr_cases[] = {
    {"delivered",
     RCPT("delivered", "000", M, "a1b", ""),
     MATCHED("delivered"),
     DUP_OF("m1"),
     "dlr_duplicate",
     "1",
     ACCEPTED CREATED DONE(T_DLR) ID P_DLR(1, "delivered", "000", T_DLR) P1_OK
         TAIL("1", "delivered"),
     "accepted=1 delivered=1 dlr=1 queued=1 submitted=1",
     ""},
    {"delivered, no number said",
     RCPT("delivered", "000", "", "a1b", ""),
     MATCHED("delivered"),
     DUP_OF("m1"),
     "dlr_duplicate",
     "1",
     ACCEPTED CREATED DONE(T_DLR) ID P_DLR(1, "delivered", "000", T_DLR) P1_OK
         TAIL("1", "delivered"),
     "accepted=1 delivered=1 dlr=1 queued=1 submitted=1",
     ""},
    {"delivered, found under the second spelling",
     RCPT("delivered", "000", M, "2587", "a1b"),
     MATCHED("delivered"),
     DUP_OF("m1"),
     "dlr_duplicate",
     "1",
     ACCEPTED CREATED DONE(T_DLR) ID P_DLR(1, "delivered", "000", T_DLR) P1_OK
         TAIL("1", "delivered"),
     "accepted=1 delivered=1 dlr=1 queued=1 submitted=1",
     ""},
    {"undeliverable",
     RCPT("undeliverable", "001", M, "a1b", ""),
     MATCHED("failed"),
     DUP_OF("m1"),
     "dlr_duplicate",
     "1",
     ACCEPTED CREATED DONE(T_DLR) " error=dlr:undeliverable err:001" ID
         P_DLR(1, "undeliverable", "001", T_DLR) P1_OK TAIL("1", "failed"),
     "accepted=1 dlr=1 failed=1 queued=1 submitted=1",
     ""},
    {"expired, no err",
     RCPT("expired", "", M, "a1b", ""),
     MATCHED("failed"),
     DUP_OF("m1"),
     "dlr_duplicate",
     "1",
     ACCEPTED CREATED DONE(T_DLR) " error=dlr:expired err:" ID
         P_DLR(1, "expired", "", T_DLR) P1_OK TAIL("1", "failed"),
     "accepted=1 dlr=1 failed=1 queued=1 submitted=1",
     ""},
    {"rejected",
     RCPT("rejected", "012", M, "a1b", ""),
     MATCHED("failed"),
     DUP_OF("m1"),
     "dlr_duplicate",
     "1",
     ACCEPTED CREATED DONE(T_DLR) " error=dlr:rejected err:012" ID
         P_DLR(1, "rejected", "012", T_DLR) P1_OK TAIL("1", "failed"),
     "accepted=1 dlr=1 failed=1 queued=1 submitted=1",
     ""},
    /* A receipt about another number is not m1's, whatever its id: kept
     * unmatched (its own message may not be answered yet); the same one
     * again is a duplicate. */
    {"from another number",
     RCPT("delivered", "000", OTHER, "a1b", ""),
     UNMATCHED,
     DUP_OF(""),
     "dlr_duplicate",
     "1",
     R_ACCEPTED,
     "accepted=1 dlr_unmatched=1 queued=1 submitted=1",
     "a1b"},
    {"unknown id",
     RCPT("delivered", "000", M, "ffff", "65535"),
     UNMATCHED,
     DUP_OF(""),
     "dlr_duplicate",
     "1",
     R_ACCEPTED,
     "accepted=1 dlr_unmatched=1 queued=1 submitted=1",
     "ffff"},
    /* Not final: recorded on the part, the message stays accepted.  The
     * same receipt again is recorded again (the same values) and counted
     * as a receipt again: only final receipts are recognised as
     * duplicates. */
    {"enroute",
     RCPT("enroute", "000", M, "a1b", ""),
     MATCHED("accepted"),
     MATCHED("accepted"),
     "dlr",
     "2",
     ACCEPTED CREATED ID P_DLR(1, "enroute", "000", T_DLR) P1_OK
         TAIL("1", "accepted"),
     "accepted=1 dlr=1 queued=1 submitted=1",
     ""},
};

static void test_dlr(void **state) {
  static const part_t ok1[] = {OK1};
  for (size_t i = 0; i < VG_ARRAY_SIZE(dlr_cases); i++) {
    const dlr_case_t *k = &dlr_cases[i];
    print_message("case: %s\n", k->name);
    setup(state);
    char entry[64];
    queued("m1", M, entry);
    VG_EXPECT(resp("m1", entry, ok1, 1), "[\"accepted\"]");
    vg_fcall_t c = VG_FCALL_INIT;
    dlr_call(&c, T_DLR, &k->r, 1);
    VG_EXPECT(vg_test_fcall(&R, &c), k->want);
    VG_EXPECT(record("vasgw:msg:m1"), k->record);
    VG_EXPECT(stats(), k->stats);
    VG_EXPECT(under("vasgw:dlr:unmatched:"), k->unmatched);
    const char *const counters[] = {k->counter, NULL};
    again(&c, k->again, counters);
    char line[64], want[16];
    snprintf(line, sizeof line, "HGET vasgw:stats %s", k->counter);
    snprintf(want, sizeof want, "\"%s\"", k->count);
    VG_EXPECT(vg_test_run(&R, line), want);
    vg_fcall_free(&c);
  }
}

/* What an unmatched receipt keeps, for the response that takes it. */
static void test_dlr_unmatched_record(void **state) {
  const vg_fn_dlr_receipts_t r = RCPT("delivered", "000", M, "a1b", "2587");
  VG_EXPECT(dlr(T_EARLY, &r), UNMATCHED);
  VG_EXPECT(record("vasgw:dlr:unmatched:a1b"),
            "at=" NUM(T_EARLY) " err=000 from=" M " id=0A1B stat=delivered");
  VG_EXPECT(vg_test_run(&R, "TTL vasgw:dlr:unmatched:a1b"), NUM(604800));
  VG_EXPECT(stats(), "dlr_unmatched=1");
  (void)state;
}

/* Multipart: delivered only when every part is; failed when any part's
 * receipt is a failure, and a later part's receipt changes that no more. */
typedef struct {
  const char *name;
  vg_fn_dlr_receipts_t r[2]; /* one call each */
  const char *want[2];
  const char *first; /* m1's state after the first receipt */
  const char *record, *stats;
} parts_case_t;

#define D1 RCPT("delivered", "000", M, "a1b", "")
#define D2 RCPT("delivered", "000", M, "a1c", "")
#define U1 RCPT("undeliverable", "001", M, "a1b", "")
#define X2 RCPT("expired", "", M, "a1c", "")

static const parts_case_t parts_cases[] = {
    {"both delivered",
     {D1, D2},
     {MATCHED("accepted"), MATCHED("delivered")},
     "\"accepted\"",
     ACCEPTED CREATED DONE(T_DLR) ID P_DLR(1, "delivered", "000", T_DLR) P1_OK
         P_DLR(2, "delivered", "000", T_DLR) P2_OK TAIL("2", "delivered"),
     "accepted=1 delivered=1 dlr=2 dlr_duplicate=2 queued=1 submitted=1"},
    {"the second delivered first",
     {D2, D1},
     {MATCHED("accepted"), MATCHED("delivered")},
     "\"accepted\"",
     ACCEPTED CREATED DONE(T_DLR) ID P_DLR(1, "delivered", "000", T_DLR) P1_OK
         P_DLR(2, "delivered", "000", T_DLR) P2_OK TAIL("2", "delivered"),
     "accepted=1 delivered=1 dlr=2 dlr_duplicate=2 queued=1 submitted=1"},
    {"one delivered, the other expired",
     {D1, X2},
     {MATCHED("accepted"), MATCHED("failed")},
     "\"accepted\"",
     ACCEPTED CREATED DONE(T_DLR) " error=dlr:expired err:" ID
         P_DLR(1, "delivered", "000", T_DLR) P1_OK
             P_DLR(2, "expired", "", T_DLR) P2_OK TAIL("2", "failed"),
     "accepted=1 dlr=2 dlr_duplicate=2 failed=1 queued=1 submitted=1"},
    {"the first undeliverable, then the second delivered",
     {U1, D2},
     {MATCHED("failed"), MATCHED("failed")},
     "\"failed\"",
     ACCEPTED CREATED DONE(T_DLR) " error=dlr:undeliverable err:001" ID
         P_DLR(1, "undeliverable", "001", T_DLR) P1_OK
             P_DLR(2, "delivered", "000", T_DLR) P2_OK TAIL("2", "failed"),
     "accepted=1 dlr=2 dlr_duplicate=2 failed=1 queued=1 submitted=1"},
};

static void test_dlr_parts(void **state) {
  static const part_t both[] = {OK_P1, OK_P2};
  for (size_t i = 0; i < VG_ARRAY_SIZE(parts_cases); i++) {
    const parts_case_t *k = &parts_cases[i];
    print_message("case: %s\n", k->name);
    setup(state);
    char entry[64];
    queued("m1", M, entry);
    VG_EXPECT(resp("m1", entry, both, 2), "[\"partial\",\"accepted\"]");
    for (int j = 0; j < 2; j++) {
      vg_fcall_t c = VG_FCALL_INIT;
      dlr_call(&c, T_DLR, &k->r[j], 1);
      VG_EXPECT(vg_test_fcall(&R, &c), k->want[j]);
      if (j == 0)
        VG_EXPECT(vg_test_run(&R, "HGET vasgw:msg:m1 state"), k->first);
      static const char *const dup[] = {"dlr_duplicate", NULL};
      again(&c, DUP_OF("m1"), dup);
      vg_fcall_free(&c);
    }
    VG_EXPECT(record("vasgw:msg:m1"), k->record);
    VG_EXPECT(stats(), k->stats);
  }
}

/* The race the spellings make dangerous: m1's receipt overtakes its
 * response, and its id "1000" read as hex is m2's decimal 4096.  The
 * receipt is about M, m2 went to OTHER: it waits for m1, and m1's response
 * takes it; m2's own receipt still finds m2. */
static void test_dlr_before_resp(void **state) {
  char e1[64], e2[64];
  queued("m2", OTHER, e2);
  const part_t m2ok[] = {{1, 1, 0, "ESME_ROK", "4096", "4096", "16534"}};
  VG_EXPECT(resp("m2", e2, m2ok, 1), "[\"accepted\"]");
  queued("m1", M, e1);
  const vg_fn_dlr_receipts_t early = {"delivered", "000", "1000", M,
                                      "1000", "4096", ""};
  VG_EXPECT(dlr(T_EARLY, &early), UNMATCHED);
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:msg:m2 state p1.dlr"),
            "[\"accepted\",nil]");
  VG_EXPECT(record("vasgw:dlr:unmatched:1000"),
            "at=" NUM(T_EARLY) " err=000 from=" M " id=1000 stat=delivered");
  /* The SMSC sends it again before the response: a duplicate. */
  static const char *const dup[] = {"dlr_duplicate", NULL};
  vg_fcall_t c = VG_FCALL_INIT;
  dlr_call(&c, T_EARLY, &early, 1);
  again(&c, DUP_OF(""), dup);
  /* m1's response: the receipt taken, m1 delivered at once. */
  const part_t m1ok[] = {{1, 1, 0, "ESME_ROK", "1000", "1000", "4096"}};
  VG_EXPECT(resp("m1", e1, m1ok, 1), "[\"delivered\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:msg:m1 state p1.dlr p1.dlr_at"),
            "[\"delivered\",\"delivered\",\"" NUM(T_EARLY) "\"]");
  VG_EXPECT(under("vasgw:dlr:unmatched:"), "");
  VG_EXPECT(under("vasgw:smscid:"), "1000=m1|1 4096=m2|1");
  VG_EXPECT(stats(), "accepted=2 delivered=1 dlr_duplicate=1 "
                     "dlr_late_matched=1 dlr_unmatched=0 queued=2 "
                     "submitted=2");
  /* The receipt again, now that m1 is answered: a duplicate on m1. */
  dlr_call(&c, T_DLR, &early, 1);
  again(&c, DUP_OF("m1"), dup);
  /* m2's own receipt. */
  const vg_fn_dlr_receipts_t own = {"delivered", "000", "4096", OTHER,
                                    "4096", "16534", ""};
  VG_EXPECT(dlr(T_DLR, &own), "[[\"matched\",\"m2\",\"delivered\"]]");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:msg:m2 state p1.dlr"),
            "[\"delivered\",\"delivered\"]");
  vg_fcall_free(&c);
  (void)state;
}

/* Two receipts before the response, ENROUTE then DELIVRD: the final one
 * replaces the one kept, so the response finds the message delivered; a
 * non-final one after a final one is a duplicate. */
static void test_dlr_early_final_replaces(void **state) {
  char e1[64];
  queued("m1", M, e1);
  const vg_fn_dlr_receipts_t enroute = {"enroute", "000", "1000", M,
                                        "1000", "4096", ""};
  const vg_fn_dlr_receipts_t delivered = {"delivered", "000", "1000", M,
                                          "1000", "4096", ""};
  VG_EXPECT(dlr(T_EARLY, &enroute), UNMATCHED);
  VG_EXPECT(dlr(T_EARLY + 10, &delivered), UNMATCHED);
  VG_EXPECT(record("vasgw:dlr:unmatched:1000"),
            "at=" NUM(1767225601510) " err=000 from=" M
            " id=1000 stat=delivered");
  VG_EXPECT(dlr(T_EARLY + 20, &enroute), DUP_OF(""));
  VG_EXPECT(record("vasgw:dlr:unmatched:1000"),
            "at=" NUM(1767225601510) " err=000 from=" M
            " id=1000 stat=delivered");
  const part_t m1ok[] = {{1, 1, 0, "ESME_ROK", "1000", "1000", "4096"}};
  VG_EXPECT(resp("m1", e1, m1ok, 1), "[\"delivered\"]");
  VG_EXPECT(stats(), "accepted=1 delivered=1 dlr_duplicate=1 "
                     "dlr_late_matched=1 dlr_replaced=1 dlr_unmatched=0 "
                     "queued=1 submitted=1");
  (void)state;
}


/* Several receipts in one call, each answered in order. */
static void test_dlr_batch(void **state) {
  char e1[64];
  queued("m1", M, e1);
  static const part_t ok1[] = {OK1};
  VG_EXPECT(resp("m1", e1, ok1, 1), "[\"accepted\"]");
  const vg_fn_dlr_receipts_t r[3] = {
      RCPT("delivered", "000", M, "a1b", ""),
      RCPT("delivered", "000", M, "a1b", ""),
      RCPT("delivered", "000", M, "bbb", "")};
  vg_fcall_t c = VG_FCALL_INIT;
  dlr_call(&c, T_DLR, r, 3);
  VG_EXPECT(vg_test_fcall(&R, &c), "[[\"matched\",\"m1\",\"delivered\"],"
                                   "[\"dup\",\"m1\",\"\"],"
                                   "[\"unmatched\",\"\",\"\"]]");
  VG_EXPECT(stats(), "accepted=1 delivered=1 dlr=1 dlr_duplicate=1 "
                     "dlr_unmatched=1 queued=1 submitted=1");
  static const char *const dup[] = {"dlr_duplicate", NULL};
  again(&c, "[[\"dup\",\"m1\",\"\"],[\"dup\",\"m1\",\"\"],[\"dup\",\"\",\"\"]]", dup);
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:stats dlr_duplicate"), "\"4\"");
  vg_fcall_free(&c);
  (void)state;
}

/* --- lanes and tallies ---------------------------------------------------- */

#define TALLY "camp:c1:n"
#define TALLY_KEY "vasgw:" TALLY

/* A bulk message goes to P:mt:bulk, never P:mt; the record keeps its lane
 * and tally, and the tally counts it queued, once, kept as long as the
 * record. */
static void test_enqueue_bulk(void **state) {
  vg_fn_mt_enqueue_messages_t m[2] = {plain("m1", M), plain("m2", M)};
  m[0].lane = "bulk";
  m[0].tally = TALLY;
  m[1].tally = TALLY; /* a normal-lane message may have a tally too */
  vg_fcall_t c = VG_FCALL_INIT;
  enqueue_call(&c, m, 2);
  VG_EXPECT(vg_test_fcall(&R, &c), "2");
  VG_EXPECT(entries("vasgw:mt:bulk"), "[[" ENT "]]");
  VG_EXPECT(entries("vasgw:mt"),
            "[[\"id\",\"m2\",\"to\",\"" M "\",\"text\",\"hi\"]]");
  VG_EXPECT(record("vasgw:msg:m1"), REC_HEAD " lane=bulk origin=cli "
                                    "state=queued tally=" TALLY
                                    " text=hi to=" M);
  VG_EXPECT(record("vasgw:msg:m2"), "created=" NUM(T0) " id=m2 origin=cli "
                                    "state=queued tally=" TALLY
                                    " text=hi to=" M);
  VG_EXPECT(record(TALLY_KEY), "queued=2");
  VG_EXPECT(vg_test_run(&R, "TTL " TALLY_KEY), NUM(604800));
  VG_EXPECT(stats(), "queued=2");
  /* Queued again: nothing more, the tally neither. */
  again(&c, "0", NULL);
  vg_fcall_free(&c);
  (void)state;
}

/* A lane but "" and "bulk", a tally too long, of other characters, or
 * naming a key that is not a hash: refused before anything is written. */
static void test_enqueue_lane_refused(void **state) {
  static const struct {
    const char *lane, *tally, *want;
  } bad[] = {
      {"fast", "", "!ERR message m2: lane \"fast\" is neither \"\" nor \"bulk\""},
      {"BULK", "", "!ERR message m2: lane \"BULK\" is neither"},
      {"bulk", "camp/1", "!ERR message m2: tally \"camp/1\" is longer than 64"},
      {"", "a b", "!ERR message m2: tally \"a b\" is longer than 64"},
      {"", "x1234567890123456789012345678901234567890123456789012345678901234",
       "!ERR message m2: tally \"x123"},
      {"", "str", "!ERR message m2: tally \"str\" is a string, not a hash"},
  };
  for (size_t i = 0; i < VG_ARRAY_SIZE(bad); i++) {
    print_message("case: lane '%s' tally '%s'\n", bad[i].lane, bad[i].tally);
    setup(state);
    free(vg_test_run(&R, "SET vasgw:str 1"));
    vg_fn_mt_enqueue_messages_t m[2] = {plain("m1", M), plain("m2", M)};
    m[1].lane = bad[i].lane;
    m[1].tally = bad[i].tally;
    vg_fcall_t c = VG_FCALL_INIT;
    enqueue_call(&c, m, 2);
    VG_EXPECT_REFUSED(&R, &c, bad[i].want);
    vg_fcall_free(&c);
  }
  /* The longest tally, 64 bytes, of every character allowed, is taken. */
  setup(state);
  vg_fn_mt_enqueue_messages_t m = plain("m1", M);
  m.tally = "Az09:_-x01234567890123456789012345678901234567890123456789012345";
  assert_int_equal(strlen(m.tally), 64);
  vg_fcall_t c = VG_FCALL_INIT;
  enqueue_call(&c, &m, 1);
  VG_EXPECT(vg_test_fcall(&R, &c), "1");
  VG_EXPECT(record("vasgw:Az09:_-x012345678901234567890123456789012345678901234"
                   "56789012345"),
            "queued=1");
  vg_fcall_free(&c);
}

typedef struct {
  const char *name;
  part_t calls[2][2];           /* mt_resp calls, one per row */
  vg_fn_dlr_receipts_t rcpt[2]; /* then receipts, one call each (stat NULL:
                                 * none) */
  const char *state;            /* m1's state after all */
  const char *tally;            /* TALLY_KEY after all */
} tally_case_t;

#define NO_RCPT {NULL, NULL, NULL, NULL, NULL, NULL, NULL}

/* Every transition counted once in the tally, each step run twice. */
static const tally_case_t tally_cases[] = {
    {"one part delivered",
     {{OK1}},
     {RCPT("delivered", "000", M, "a1b", ""), NO_RCPT},
     "delivered",
     "accepted=1 delivered=1 queued=1 submitted=1"},
    {"refused by the SMSC",
     {{BAD1}},
     {NO_RCPT, NO_RCPT},
     "failed",
     "failed=1 failed:smpp:ESME_RINVDSTADR=1 queued=1 submitted=1"},
    {"a failed receipt",
     {{OK1}},
     {RCPT("undeliverable", "001", M, "a1b", ""), NO_RCPT},
     "failed",
     "accepted=1 failed=1 failed:dlr:undeliverable=1 queued=1 submitted=1"},
    {"expired before it was sent",
     {{EXPIRED1}},
     {NO_RCPT, NO_RCPT},
     "failed",
     "failed=1 failed:expired=1 queued=1"},
    {"not sendable",
     {{UNSENT1}},
     {NO_RCPT, NO_RCPT},
     "failed",
     "failed=1 failed:unsent=1 queued=1"},
    /* Multipart: submitted with the first part, settled with the last. */
    {"two parts, both delivered",
     {{OK_P1}, {OK_P2}},
     {RCPT("delivered", "000", M, "a1b", ""),
      RCPT("delivered", "000", M, "a1c", "")},
     "delivered",
     "accepted=1 delivered=1 queued=1 submitted=1"},
    {"two parts, the first refused",
     {{BAD_P1}, {OK_P2}},
     {NO_RCPT, NO_RCPT},
     "failed",
     "failed=1 failed:smpp:ESME_RINVDSTADR=1 queued=1 submitted=1"},
    {"two parts, the second's receipt expired",
     {{OK_P1, OK_P2}},
     {RCPT("delivered", "000", M, "a1b", ""), RCPT("expired", "", M, "a1c", "")},
     "failed",
     "accepted=1 failed=1 failed:dlr:expired=1 queued=1 submitted=1"},
};

static void test_tally(void **state) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(tally_cases); i++) {
    const tally_case_t *k = &tally_cases[i];
    print_message("case: %s\n", k->name);
    setup(state);
    char entry[64];
    queued_as("m1", M, "bulk", TALLY, entry);
    VG_EXPECT(stream_of("vasgw:mt:bulk"), "entries=1 pending=1");
    for (int row = 0; row < 2 && k->calls[row][0].nparts; row++) {
      vg_fcall_t c = VG_FCALL_INIT;
      resp_call_lane(&c, T_RESP, "m1", entry, k->calls[row], 2, "bulk");
      char *first = vg_test_fcall(&R, &c);
      /* Run again (the reply was lost): the tally changes no more than
       * the record. */
      again(&c, row == 0 && k->calls[row][1].nparts
                    ? "[\"accepted\",\"accepted\"]"
                    : first,
            NULL);
      free(first);
      vg_fcall_free(&c);
    }
    /* Acknowledged in the bulk lane's stream, not in P:mt. */
    VG_EXPECT(stream_of("vasgw:mt:bulk"), "entries=0 pending=0");
    for (int j = 0; j < 2 && k->rcpt[j].stat; j++) {
      vg_fcall_t c = VG_FCALL_INIT;
      dlr_call(&c, T_DLR, &k->rcpt[j], 1);
      free(vg_test_fcall(&R, &c));
      static const char *const dup[] = {"dlr_duplicate", NULL};
      again(&c, DUP_OF("m1"), dup);
      vg_fcall_free(&c);
    }
    char want[32];
    snprintf(want, sizeof want, "\"%s\"", k->state);
    VG_EXPECT(vg_test_run(&R, "HGET vasgw:msg:m1 state"), want);
    VG_EXPECT(record(TALLY_KEY), k->tally);
  }
}

/* --- mt_release ----------------------------------------------------------- */

#define T_REL 1767254400000 /* 08:00 local (UTC+8) */

/* A message held for quiet hours, as mt_put writes it (and the counter of
 * held messages). */
#define HELD(id, origin, extra)                                           \
  "HSET vasgw:msg:" id " id " id " to " M " text hi created " NUM(T0)      \
  " origin " origin extra " state scheduled release_at " NUM(T_REL),      \
      "ZADD vasgw:mt:scheduled " NUM(T_REL) " " id
#define SRC " src 10658000"

#define H_REC(origin) \
  "created=" NUM(T0) " id=h1 origin=" origin " release_at=" NUM(T_REL)
#define H_ENT "\"id\",\"h1\",\"to\",\"" M "\",\"text\",\"hi\""

typedef struct {
  const char *name;
  const char *setup[5];
  long long now;
  const char *want;   /* how many were queued */
  const char *record; /* vasgw:msg:h1 after */
  const char *stream; /* vasgw:mt's entries */
  const char *held;   /* vasgw:mt:scheduled */
  const char *stats;
} release_case_t;

#define OPTOUT(v) "HSET vasgw:sub:{" M "} optout " v

static const release_case_t release_cases[] = {
    {"due",
     {HELD("h1", "cli", SRC), "HSET vasgw:stats scheduled 1", NULL},
     T_REL,
     "1",
     H_REC("cli") " released_at=" NUM(T_REL) " src=10658000 state=queued "
                     "text=hi to=" M,
     "[[" H_ENT ",\"src\",\"10658000\"]]",
     "[]",
     "queued=1 scheduled=0"},
    {"overdue, no source address",
     {HELD("h1", "cli", ""), "HSET vasgw:stats scheduled 1", NULL},
     T_REL + 60000,
     "1",
     H_REC("cli") " released_at=" NUM(1767254460000) " state=queued "
                     "text=hi to=" M,
     "[[" H_ENT "]]",
     "[]",
     "queued=1 scheduled=0"},
    {"not due",
     {HELD("h1", "cli", SRC), "HSET vasgw:stats scheduled 1", NULL},
     T_REL - 1,
     "0",
     H_REC("cli") " src=10658000 state=scheduled text=hi to=" M,
     "[]",
     "[\"h1\",\"" NUM(T_REL) "\"]",
     "scheduled=1"},
    /* The business's last word (hooks.release_check, its cases in
     * tests/unit/handlers/lua/test_offers.c): it refuses an offer whose
     * record is gone; the message fails with the reason it gives. */
    {"refused by the business",
     {HELD("h1", "offer", SRC), "HSET vasgw:stats scheduled 1", NULL},
     T_REL,
     "0",
     "created=" NUM(T0) " done_at=" NUM(T_REL) " error=offer_gone id=h1 "
     "origin=offer release_at=" NUM(T_REL) " src=10658000 state=failed "
     "text=hi to=" M,
     "[]",
     "[]",
     "failed=1 scheduled=0"},
    /* A USSD screen held keeps its session and deadline on release. */
    {"USSD fields carried",
     {HELD("h1", "cli", " ussd_op 17 umr 42 expire_at " NUM(T_REL)),
      "HSET vasgw:stats scheduled 1", NULL},
     T_REL,
     "1",
     "created=" NUM(T0) " expire_at=" NUM(T_REL) " id=h1 origin=cli "
     "release_at=" NUM(T_REL) " released_at=" NUM(T_REL) " state=queued "
     "text=hi to=" M " umr=42 ussd_op=17",
     "[[" H_ENT ",\"ussd_op\",\"17\",\"umr\",\"42\",\"expire_at\",\""
     NUM(T_REL) "\"]]",
     "[]",
     "queued=1 scheduled=0"},
    /* Only offers are the business's: a message the operator sent goes,
     * whatever the subscriber's opt-out says. */
    {"not an offer, opted out",
     {HELD("h1", "cli", SRC), "HSET vasgw:stats scheduled 1", OPTOUT("1"),
      NULL},
     T_REL,
     "1",
     H_REC("cli") " released_at=" NUM(T_REL) " src=10658000 state=queued "
                     "text=hi to=" M,
     "[[" H_ENT ",\"src\",\"10658000\"]]",
     "[]",
     "queued=1 scheduled=0"},
};

static void release_call(vg_fcall_t *c, long long now, long long max) {
  vg_fn_mt_release_t a = {.prefix = P, .now = now, .max = max};
  vg_fn_mt_release(c, &a);
}


/* --- the bulk lane's claims ------------------------------------------------ */

static char *claim_call(const char *fn, const char *holder, const char *id,
                        long long part) {
  vg_fcall_t c = VG_FCALL_INIT;
  if (strcmp(fn, "claim") == 0) {
    vg_fn_mt_claim_t a = {.prefix = P, .holder = holder};
    vg_fn_mt_claim(&c, &a);
    vg_fn_mt_claim_parts_t g = {.id = id, .part = part};
    vg_fn_mt_claim_parts(&c, &g);
  } else {
    vg_fn_mt_unclaim_t a = {.prefix = P, .holder = holder};
    vg_fn_mt_unclaim(&c, &a);
    vg_fn_mt_unclaim_parts_t g = {.id = id, .part = part};
    vg_fn_mt_unclaim_parts(&c, &g);
  }
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

/* A bulk part is claimed by one run before its submit_sm: the same run
 * again is ok (a retry after a lost reply), another run is told it is
 * taken, an answered part is done, a record that lapsed is gone; a claim
 * released is free for another run, and only its holder releases it. */
static void test_claim(void **state) {
  vg_fn_mt_enqueue_messages_t m[1] = {plain("m1", M)};
  m[0].lane = "bulk";
  vg_fcall_t c = VG_FCALL_INIT;
  enqueue_call(&c, m, 1);
  VG_EXPECT(vg_test_fcall(&R, &c), "1");
  vg_fcall_free(&c);
  VG_EXPECT(claim_call("claim", "a/1/1", "m1", 1), "[\"ok\"]");
  VG_EXPECT(claim_call("claim", "a/1/1", "m1", 1), "[\"ok\"]");
  VG_EXPECT(claim_call("claim", "b/2/2", "m1", 1), "[\"taken\"]");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:msg:m1 p1.sending"), "\"a/1/1\"");
  VG_EXPECT(claim_call("unclaim", "b/2/2", "m1", 1), "0");
  VG_EXPECT(claim_call("unclaim", "a/1/1", "m1", 1), "1");
  VG_EXPECT(claim_call("unclaim", "a/1/1", "m1", 1), "0");
  VG_EXPECT(claim_call("claim", "b/2/2", "m1", 1), "[\"ok\"]");
  VG_EXPECT(claim_call("claim", "c/3/3", "gone", 1), "[\"gone\"]");
  /* Answered (by b): done for anyone, and no claim is released. */
  part_t ok[] = {{1, 1, 0, "ESME_ROK", "1000", "1000", ""}};
  char *r = resp("m1", "0-1", ok, 1);
  free(r);
  VG_EXPECT(claim_call("claim", "c/3/3", "m1", 1), "[\"done\"]");
  VG_EXPECT(claim_call("unclaim", "b/2/2", "m1", 1), "0");
  (void)state;
}

/* A bulk part whose fate is unknown (status -4, the outbox did not send it
 * again): failed, "unknown:" and why, counted unsent and mt_unknown, and
 * failed:unknown in its tally, once. */
static void test_resp_unknown(void **state) {
  vg_fn_mt_enqueue_messages_t m[1] = {plain("m1", M)};
  m[0].lane = "bulk";
  m[0].tally = TALLY;
  vg_fcall_t c = VG_FCALL_INIT;
  enqueue_call(&c, m, 1);
  VG_EXPECT(vg_test_fcall(&R, &c), "1");
  vg_fcall_free(&c);
  part_t lost[] = {{1, 1, -4, "a node stopped", "", "", ""}};
  resp_call_lane(&c, T_RESP, "m1", "0-1", lost, 1, "bulk");
  VG_EXPECT(vg_test_fcall(&R, &c), "[\"failed\"]");
  again(&c, "[\"failed\"]", NULL);
  vg_fcall_free(&c);
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:msg:m1 state error"),
            "[\"failed\",\"unknown:a node stopped\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:stats unsent mt_unknown submitted"),
            "[\"1\",\"1\",nil]");
  VG_EXPECT(vg_test_run(&R, "HMGET " TALLY_KEY " failed failed:unknown"),
            "[\"1\",\"1\"]");
  (void)state;
}

static void test_release(void **state) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(release_cases); i++) {
    const release_case_t *k = &release_cases[i];
    print_message("case: %s\n", k->name);
    setup(state);
    vg_test_setup(&R, k->setup);
    vg_fcall_t c = VG_FCALL_INIT;
    release_call(&c, k->now, 1000);
    VG_EXPECT(vg_test_fcall(&R, &c), k->want);
    VG_EXPECT(record("vasgw:msg:h1"), k->record);
    VG_EXPECT(entries("vasgw:mt"), k->stream);
    VG_EXPECT(vg_test_run(&R, "ZRANGE vasgw:mt:scheduled 0 -1 WITHSCORES"),
              k->held);
    VG_EXPECT(stats(), k->stats);
    /* Every node runs it every second: the next run moves nothing. */
    again(&c, "0", NULL);
    vg_fcall_free(&c);
  }
}

/* Several held: the due ones go in order of their time, at most `max` per
 * call; scheduled falls by every one released or refused, queued and
 * failed rise by each, so they add up. */
static void test_release_counts(void **state) {
  vg_test_setup(
      &R,
      (const char *const[]){
          "HSET vasgw:msg:a id a to " M " text 1 origin cli state scheduled",
          "HSET vasgw:msg:b id b to " M " text 2 origin offer state scheduled",
          "HSET vasgw:msg:c id c to " M " text 3 origin cli state scheduled",
          "HSET vasgw:msg:d id d to " M " text 4 origin cli state scheduled",
          "ZADD vasgw:mt:scheduled 3000 a 1000 b 2000 c 9000 d",
          "HSET vasgw:stats scheduled 4", OPTOUT("1"), NULL});
  vg_fcall_t c = VG_FCALL_INIT;
  release_call(&c, 5000, 2);
  /* b (refused: an offer without its record) and c; a waits for the next
   * call. */
  VG_EXPECT(vg_test_fcall(&R, &c), "1");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:msg:b state error"),
            "[\"failed\",\"offer_gone\"]");
  VG_EXPECT(entries("vasgw:mt"),
            "[[\"id\",\"c\",\"to\",\"" M "\",\"text\",\"3\"]]");
  VG_EXPECT(stats(), "failed=1 queued=1 scheduled=2");
  release_call(&c, 5000, 1000);
  VG_EXPECT(vg_test_fcall(&R, &c), "1");
  again(&c, "0", NULL);
  VG_EXPECT(vg_test_run(&R, "ZRANGE vasgw:mt:scheduled 0 -1"), "[\"d\"]");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:msg:d state"), "\"scheduled\"");
  VG_EXPECT(stats(), "failed=1 queued=2 scheduled=1");
  vg_fcall_free(&c);
  (void)state;
}

/* Held bulk messages with a tally: released into P:mt:bulk and counted
 * queued there; one the business refuses counts failed and its reason
 * (never queued).  Each once, however often mt_release runs. */
static void test_release_bulk(void **state) {
  vg_test_setup(&R, (const char *const[]){
                        HELD("h1", "cli", " lane bulk tally " TALLY),
                        "EXPIRE vasgw:msg:h1 700000",
                        HELD("h2", "offer", " lane bulk tally " TALLY),
                        "HSET vasgw:stats scheduled 2", NULL});
  vg_fcall_t c = VG_FCALL_INIT;
  release_call(&c, T_REL, 1000);
  VG_EXPECT(vg_test_fcall(&R, &c), "1");
  VG_EXPECT(entries("vasgw:mt:bulk"), "[[" H_ENT "]]");
  VG_EXPECT(entries("vasgw:mt"), "[]");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:msg:h1 state lane"),
            "[\"queued\",\"bulk\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:msg:h2 state error"),
            "[\"failed\",\"offer_gone\"]");
  VG_EXPECT(record(TALLY_KEY), "failed=1 failed:offer_gone=1 queued=1");
  /* kept as long as the record released */
  VG_EXPECT(vg_test_run(&R, "TTL " TALLY_KEY), "700000");
  VG_EXPECT(stats(), "failed=1 queued=1 scheduled=0");
  again(&c, "0", NULL);
  vg_fcall_free(&c);
  (void)state;
}

int main(void) {
  vg_test_redis_start(&R);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_enqueue, setup),
      cmocka_unit_test_setup(test_enqueue_batch, setup),
      cmocka_unit_test_setup(test_enqueue_addresses, setup),
      cmocka_unit_test_setup(test_resp, setup),
      cmocka_unit_test_setup(test_resp_batch, setup),
      cmocka_unit_test_setup(test_dlr, setup),
      cmocka_unit_test_setup(test_dlr_unmatched_record, setup),
      cmocka_unit_test_setup(test_dlr_parts, setup),
      cmocka_unit_test_setup(test_dlr_before_resp, setup),
      cmocka_unit_test_setup(test_dlr_early_final_replaces, setup),
      cmocka_unit_test_setup(test_dlr_batch, setup),
      cmocka_unit_test_setup(test_release, setup),
      cmocka_unit_test_setup(test_release_counts, setup),
      cmocka_unit_test_setup(test_enqueue_bulk, setup),
      cmocka_unit_test_setup(test_enqueue_lane_refused, setup),
      cmocka_unit_test_setup(test_tally, setup),
      cmocka_unit_test_setup(test_release_bulk, setup),
      cmocka_unit_test_setup(test_claim, setup),
      cmocka_unit_test_setup(test_resp_unknown, setup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vg_test_redis_stop(&R);
  return rc;
}
