/*
 * test_mo.c — gateway/lua/mo.lua against a real redis-server: an MO stored
 * before the SMSC is answered (mo_store), a redelivery recognised, the
 * parts of a concatenated MO reassembled in any order, and a reassembly
 * that never completes delivered as it is after its deadline (mo_expire).
 * Table-driven; every call is also made a second time to prove that the
 * repeat changes nothing but the counter of redeliveries.
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
#define SN "10658000" /* the service number the MO was sent to */
#define TTL (7 * 86400)
#define T0 1767225600000   /* the first (or only) part received */
#define WAIT 30000         /* [smsc] mo_reassembly_wait */
#define DEADLINE 1767225630000
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

/* The entries of stream vasgw:mo, their fields only (the ids are
 * Redis's). */
static char *entries(void) {
  redisReply *r = redisCommand(R.rc, "XRANGE vasgw:mo - +");
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

/* A snapshot without vasgw:stats when every field it has is a counter
 * left out: a repeat that makes the first counter of all (mo_duplicate
 * before any MO was stored) makes the hash, and that is the counter's
 * doing. */
static char *snapshot(const char *const *counters) {
  char *s = vg_test_snapshot(&R, counters);
  char *l = strstr(s, "vasgw:stats hash:\n");
  if (l && (l == s || l[-1] == '\n'))
    memmove(l, l + strlen("vasgw:stats hash:\n"),
            strlen(l + strlen("vasgw:stats hash:\n")) + 1);
  return s;
}

/* Call `c` again: the reply `want`, and nothing stored changes but the
 * counters named (NULL-terminated, or NULL), which count the repeat. */
static void again(const vg_fcall_t *c, const char *want,
                  const char *const *counters) {
  char *before = snapshot(counters);
  VG_EXPECT(vg_test_fcall(&R, c), want);
  char *after = snapshot(counters);
  assert_string_equal(before, after);
  free(before);
  free(after);
}

static const char *const dup_counter[] = {"mo_duplicate", NULL};

/* --- mo_store: one part --------------------------------------------------- */

/* Two connections of a node to the SMSC (node/bind/connection number). */
#define CONN1 "n1/trx/1"
#define CONN2 "n1/trx/2"

/* A one-part SMS from M, UCS-2 (dcs 8), received at T0. */
static vg_fn_mo_store_t sms(const char *dedup, const char *text) {
  vg_fn_mo_store_t a = {.prefix = P,
                        .dedup = dedup,
                        .from = M,
                        .to = SN,
                        .text = {text, strlen(text)},
                        .dcs = 8,
                        .esm = 0,
                        .ussd_op = "",
                        .its = "",
                        .umr = "",
                        .received = T0,
                        .ttl = TTL,
                        .ref = 0,
                        .total = 1,
                        .seq = 1,
                        .deadline = DEADLINE,
                        .dedup_ttl = 120,
                        .error = "",
                        .conn = CONN1,
                        .redelivery = 0};
  return a;
}

static char *store(const vg_fn_mo_store_t *a) {
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_mo_store(&c, a);
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

typedef struct {
  const char *name;
  const char *text;
  long long dcs;
  const char *ussd_op, *its, *umr, *error;
  const char *record; /* vasgw:mo:1 */
  const char *entry;  /* what the dispatcher reads */
} single_case_t;

#define REC(dcs, error, its, text, ussd, umr)                               \
  "complete=1 dcs=" dcs " error=" error " from=" M " id=1 its=" its          \
  " missing= parts=1 received_at=" NUM(T0) " text=" text " to=" SN          \
  " umr=" umr " ussd_op=" ussd
#define ENT(text, ussd, its, umr, error)                                    \
  "[[\"id\",\"1\",\"from\",\"" M "\",\"to\",\"" SN "\",\"text\",\"" text     \
  "\",\"ussd_op\",\"" ussd "\",\"its\",\"" its "\",\"umr\",\"" umr            \
  "\",\"complete\",\"1\",\"error\",\"" error "\"]]"

static const single_case_t single_cases[] = {
    {"SMS", "你好", 8, "", "", "", "", REC("8", "", "", "你好", "", ""),
     ENT("你好", "", "", "", "")},
    {"USSD with session", "*123#", 15, "1", "0A01", "", "",
     REC("15", "", "0A01", "*123#", "1", ""),
     ENT("*123#", "1", "0A01", "", "")},
    /* user_message_reference kept as the SMSC sent it (a vendor keys the
     * dialogue on it: gateway/ussd_profiles.def). */
    {"USSD with user_message_reference", "*123#", 15, "1", "", "42", "",
     REC("15", "", "", "*123#", "1", "42"), ENT("*123#", "1", "", "42", "")},
    /* Not decodable: kept as hex, said so, also to the dispatcher (which
     * must not read a command in it). */
    {"undecodable", "FFFE00", 8, "", "", "", "undecodable",
     REC("8", "undecodable", "", "FFFE00", "", ""),
     ENT("FFFE00", "", "", "", "undecodable")},
};

static void test_store_single(void **state) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(single_cases); i++) {
    const single_case_t *k = &single_cases[i];
    print_message("case: %s\n", k->name);
    setup(state);
    vg_fn_mo_store_t a = sms("h1", k->text);
    a.dcs = k->dcs;
    a.ussd_op = k->ussd_op;
    a.its = k->its;
    a.umr = k->umr;
    a.error = k->error;
    vg_fcall_t c = VG_FCALL_INIT;
    vg_fn_mo_store(&c, &a);
    VG_EXPECT(vg_test_fcall(&R, &c), "[\"stored\",\"1\"]");
    VG_EXPECT(record("vasgw:mo:1"), k->record);
    VG_EXPECT(vg_test_run(&R, "TTL vasgw:mo:1"), NUM(604800));
    VG_EXPECT(entries(), k->entry);
    VG_EXPECT(vg_test_run(&R, "GET vasgw:seq:mo"), "\"1\"");
    /* The redelivery filter: this deliver_sm is MO 1, received on CONN1,
     * until the SMSC reads our answer (mo_acked) or dedup_ttl passes. */
    VG_EXPECT(vg_test_run(&R, "GET vasgw:mo:dedup:h1"), "\"1|" CONN1 "\"");
    VG_EXPECT(vg_test_run(&R, "TTL vasgw:mo:dedup:h1"), "120");
    VG_EXPECT(stats(), "mo=1");
    /* The SMSC delivers it again, because we answered it with a temporary
     * error (the store's reply was lost): stored once, counted. */
    vg_fcall_free(&c);
    a.redelivery = 1;
    vg_fn_mo_store(&c, &a);
    again(&c, "[\"dup\",\"1\"]", dup_counter);
    VG_EXPECT(stats(), "mo=1 mo_duplicate=1");
    /* ... or on another connection, ours lost before it read our answer. */
    vg_fcall_free(&c);
    a.redelivery = 0;
    a.conn = CONN2;
    vg_fn_mo_store(&c, &a);
    again(&c, "[\"dup\",\"1\"]", dup_counter);
    VG_EXPECT(stats(), "mo=1 mo_duplicate=2");
    vg_fcall_free(&c);
  }
}

/* Ids count up.  The same text again on the same connection is a new
 * message (a person sent it twice); on another connection it is a
 * redelivery until the SMSC has read our answer (mo_acked), a new message
 * after. */
static void test_store_ids(void **state) {
  vg_fn_mo_store_t a = sms("h1", "Y");
  vg_fn_mo_store_t b = sms("h2", "N");
  VG_EXPECT(store(&a), "[\"stored\",\"1\"]");
  VG_EXPECT(store(&b), "[\"stored\",\"2\"]");
  VG_EXPECT(store(&a), "[\"stored\",\"3\"]");
  VG_EXPECT(vg_test_run(&R, "GET vasgw:mo:dedup:h1"), "\"3|" CONN1 "\"");
  a.conn = CONN2;
  VG_EXPECT(store(&a), "[\"dup\",\"3\"]");
  /* The SMSC read our answer to 1: the mark names 3, whose answer it has
   * not been seen to read, so it stays. */
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_mo_acked_t k = {.prefix = P};
  vg_fn_mo_acked(&c, &k);
  vg_fn_mo_acked_marks_t m0 = {.dedup = "h1", .owner = "1"};
  vg_fn_mo_acked_marks(&c, &m0);
  VG_EXPECT(vg_test_fcall(&R, &c), "0");
  vg_fcall_free(&c);
  VG_EXPECT(vg_test_run(&R, "GET vasgw:mo:dedup:h1"), "\"3|" CONN1 "\"");
  /* It read our answers to 3 and 2 (and the dup of 3): again is a message
   * again. */
  vg_fn_mo_acked(&c, &k);
  vg_fn_mo_acked_marks_t m1 = {.dedup = "h1", .owner = "3"},
                         m2 = {.dedup = "h2", .owner = "2"},
                         m3 = {.dedup = "h1", .owner = "3"};
  vg_fn_mo_acked_marks(&c, &m1);
  vg_fn_mo_acked_marks(&c, &m2);
  vg_fn_mo_acked_marks(&c, &m3);
  VG_EXPECT(vg_test_fcall(&R, &c), "2");
  again(&c, "0", NULL);
  vg_fcall_free(&c);
  VG_EXPECT(vg_test_run(&R, "EXISTS vasgw:mo:dedup:h1 vasgw:mo:dedup:h2"),
            "0");
  VG_EXPECT(store(&a), "[\"stored\",\"4\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:mo:4 id text"), "[\"4\",\"Y\"]");
  VG_EXPECT(vg_test_run(&R, "XLEN vasgw:mo"), "4");
  VG_EXPECT(stats(), "mo=4 mo_duplicate=1");
  (void)state;
}

/* The text is bytes: a NUL in it is kept. */
static void test_store_bytes(void **state) {
  vg_fn_mo_store_t a = sms("h1", "");
  a.text.p = "a\0b";
  a.text.len = 3;
  VG_EXPECT(store(&a), "[\"stored\",\"1\"]");
  VG_EXPECT(vg_test_run(&R, "HSTRLEN vasgw:mo:1 text"), "3");
  (void)state;
}

/* --- mo_store: concatenated ----------------------------------------------- */

static const char *const part_text[] = {"", "第一", "第二", "第三", "第四"};
static const char *const part_dedup[] = {"", "d1", "d2", "d3", "d4"};

/* Part `seq` of `total` of reference `ref` from M, received at `at`. */
static vg_fn_mo_store_t part(long long ref, int total, int seq,
                             long long at) {
  vg_fn_mo_store_t a = sms(part_dedup[seq], part_text[seq]);
  a.ref = ref;
  a.total = total;
  a.seq = seq;
  a.received = at;
  a.deadline = at + WAIT;
  return a;
}

#define ASM "vasgw:mo:asm:" M ":7:3"

typedef struct {
  const char *name;
  int order[3]; /* the parts, as they arrive (1 s apart) */
} concat_case_t;

static const concat_case_t concat_cases[] = {
    {"in order", {1, 2, 3}},
    {"reversed", {3, 2, 1}},
    {"the first last", {2, 3, 1}},
    {"the middle last", {3, 1, 2}},
};

/* In whatever order the parts come, the MO is stored once, whole, when
 * the last arrives; until then each is a 'part' waiting in the asm hash,
 * whose deadline is the first part's. */
static void test_store_concat(void **state) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(concat_cases); i++) {
    const concat_case_t *k = &concat_cases[i];
    print_message("case: %s\n", k->name);
    setup(state);
    for (int j = 0; j < 3; j++) {
      int seq = k->order[j];
      vg_fn_mo_store_t a = part(7, 3, seq, T0 + 1000 * j);
      vg_fcall_t c = VG_FCALL_INIT;
      vg_fn_mo_store(&c, &a);
      const char *want = j < 2 ? "[\"part\",\"\"]" : "[\"stored\",\"1\"]";
      VG_EXPECT(vg_test_fcall(&R, &c), want);
      if (j == 0) {
        char rec[256];
        snprintf(rec, sizeof rec,
                 "at=" NUM(T0) " dcs=8 from=" M " its= p%d=%s to=" SN
                 " total=3 umr= ussd_op=",
                 seq, part_text[seq]);
        VG_EXPECT(record(ASM), rec);
        VG_EXPECT(vg_test_run(&R, "TTL " ASM), NUM(604800));
      }
      if (j < 2) {
        VG_EXPECT(vg_test_run(&R, "ZRANGE vasgw:mo:asm:pending 0 -1 "
                                  "WITHSCORES"),
                  "[\"" ASM "\",\"" NUM(DEADLINE) "\"]");
        VG_EXPECT(entries(), "[]");
      }
      /* Each part delivered again: recognised, whether the message is
       * complete or not ("part": no MO id to tell). */
      again(&c, "[\"dup\",\"part\"]", dup_counter);
      vg_fcall_free(&c);
    }
    /* Whole, in part order; received_at is when its first part came, as
     * for a message delivered incomplete. */
    VG_EXPECT(record("vasgw:mo:1"),
              "complete=1 dcs=8 error= from=" M " id=1 its= missing= "
              "parts=3 received_at=" NUM(T0) " text=第一第二第三 "
              "to=" SN " umr= ussd_op=");
    VG_EXPECT(entries(), "[[\"id\",\"1\",\"from\",\"" M "\",\"to\",\"" SN
                         "\",\"text\",\"第一第二第三\",\"ussd_op\",\"\","
                         "\"its\",\"\",\"umr\",\"\",\"complete\",\"1\",\"error\",\"\"]]");
    VG_EXPECT(vg_test_run(&R, "EXISTS " ASM " vasgw:mo:asm:pending"), "0");
    VG_EXPECT(stats(), "mo=1 mo_duplicate=3");
  }
}

/* Two messages of one sender reassembled at once, their parts interleaved:
 * the reference keeps them apart. */
static void test_store_concat_two(void **state) {
  vg_fn_mo_store_t a1 = part(7, 2, 1, T0), b2 = part(8, 2, 2, T0);
  vg_fn_mo_store_t b1 = part(8, 2, 1, T0), a2 = part(7, 2, 2, T0);
  a1.dedup = "a1";
  a2.dedup = "a2";
  b1.dedup = "b1";
  b2.dedup = "b2";
  b1.text = (vg_bytes_t){"甲", strlen("甲")};
  b2.text = (vg_bytes_t){"乙", strlen("乙")};
  VG_EXPECT(store(&a1), "[\"part\",\"\"]");
  VG_EXPECT(store(&b2), "[\"part\",\"\"]");
  VG_EXPECT(vg_test_run(&R, "ZCARD vasgw:mo:asm:pending"), "2");
  VG_EXPECT(store(&b1), "[\"stored\",\"1\"]");
  VG_EXPECT(store(&a2), "[\"stored\",\"2\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:mo:1 text parts"),
            "[\"甲乙\",\"2\"]");
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:mo:2 text parts"),
            "[\"第一第二\",\"2\"]");
  VG_EXPECT(vg_test_run(&R, "KEYS vasgw:mo:asm*"), "[]");
  VG_EXPECT(stats(), "mo=2");
  (void)state;
}

/* One part whose text was not text (the inbox sends its octets in hex and
 * error "undecodable"): the message is still put together, and the whole
 * of it is undecodable, whichever part it was and whenever it came.  The
 * other parts alone ("Y") must not reach the grammar as a command. */
static void test_store_concat_undecodable(void **state) {
  for (int bad = 1; bad <= 2; bad++) {
    for (int first = 1; first <= 2; first++) {
      print_message("case: part %d undecodable, part %d first\n", bad, first);
      setup(state);
      vg_fn_mo_store_t p[3] = {{0}, part(7, 2, 1, T0), part(7, 2, 2, T0)};
      p[3 - bad].text = (vg_bytes_t){"Y", 1};
      p[bad].text = (vg_bytes_t){"050003070202005900", 18};
      p[bad].error = "undecodable";
      VG_EXPECT(store(&p[first]), "[\"part\",\"\"]");
      VG_EXPECT(store(&p[3 - first]), "[\"stored\",\"1\"]");
      VG_EXPECT(vg_test_run(&R, "HMGET vasgw:mo:1 error complete parts text"),
                bad == 1 ? "[\"undecodable\",\"1\",\"2\","
                           "\"050003070202005900Y\"]"
                         : "[\"undecodable\",\"1\",\"2\","
                           "\"Y050003070202005900\"]");
      /* One entry, the whole MO's, undecodable: none for a part alone. */
      VG_EXPECT(entries(),
                bad == 1
                    ? "[[\"id\",\"1\",\"from\",\"" M "\",\"to\",\"" SN
                      "\",\"text\",\"050003070202005900Y\",\"ussd_op\",\"\","
                      "\"its\",\"\",\"umr\",\"\",\"complete\",\"1\",\"error\","
                      "\"undecodable\"]]"
                    : "[[\"id\",\"1\",\"from\",\"" M "\",\"to\",\"" SN
                      "\",\"text\",\"Y050003070202005900\",\"ussd_op\",\"\","
                      "\"its\",\"\",\"umr\",\"\",\"complete\",\"1\",\"error\","
                      "\"undecodable\"]]");
    }
  }
  /* Delivered incomplete, the part that came undecodable: so is the MO. */
  setup(state);
  vg_fn_mo_store_t a = part(7, 3, 2, T0);
  a.text = (vg_bytes_t){"0059", 4};
  a.error = "undecodable";
  VG_EXPECT(store(&a), "[\"part\",\"\"]");
  vg_fn_mo_store_t b = part(7, 3, 1, T0);
  b.text = (vg_bytes_t){"Y", 1};
  VG_EXPECT(store(&b), "[\"part\",\"\"]");
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_mo_expire_t x = {.prefix = P, .now = DEADLINE, .ttl = TTL};
  vg_fn_mo_expire(&c, &x);
  VG_EXPECT(vg_test_fcall(&R, &c), "1");
  vg_fcall_free(&c);
  VG_EXPECT(vg_test_run(&R, "HMGET vasgw:mo:1 error complete missing text"),
            "[\"undecodable\",\"0\",\"3\",\"Y0059\"]");
  VG_EXPECT(entries(),
            "[[\"id\",\"1\",\"from\",\"" M "\",\"to\",\"" SN
            "\",\"text\",\"Y0059\",\"ussd_op\",\"\",\"its\",\"\",\"umr\",\"\","
            "\"complete\",\"0\",\"error\",\"undecodable\"]]");
}

/* --- mo_expire ------------------------------------------------------------ */

static void expire_call(vg_fcall_t *c, long long now) {
  vg_fn_mo_expire_t a = {.prefix = P, .now = now, .ttl = TTL};
  vg_fn_mo_expire(c, &a);
}

typedef struct {
  const char *name;
  int total;
  int seqs[4]; /* the parts that came (0 ends), 1 s apart */
  long long now;
  const char *want;     /* how many were delivered */
  const char *record;   /* vasgw:mo:1, "" for none */
  const char *entry;    /* its stream entry's fields */
} expire_case_t;

#define INCOMPLETE(missing, parts, text)                                   \
  "complete=0 dcs=8 error= from=" M " id=1 its= missing=" missing " parts=" \
  parts " received_at=" NUM(T0) " text=" text " to=" SN " umr= ussd_op="
#define INC_ENT(text)                                                      \
  "[[\"id\",\"1\",\"from\",\"" M "\",\"to\",\"" SN "\",\"text\",\"" text    \
  "\",\"ussd_op\",\"\",\"its\",\"\",\"umr\",\"\",\"complete\",\"0\",\"error\",\"\"]]"

/* What came, in part order, marked incomplete with the numbers of the
 * parts that did not come; received_at is the first part's. */
static const expire_case_t expire_cases[] = {
    {"the middle part missing", 3, {1, 3}, DEADLINE, "1",
     INCOMPLETE("2", "3", "第一第三"), INC_ENT("第一第三")},
    {"the last part missing", 3, {1, 2}, DEADLINE, "1",
     INCOMPLETE("3", "3", "第一第二"), INC_ENT("第一第二")},
    {"only the second of four", 4, {2}, DEADLINE + 5000, "1",
     INCOMPLETE("1,3,4", "4", "第二"), INC_ENT("第二")},
    /* The deadline is the first part's: later parts do not put it off. */
    {"three of four, due at the first part's deadline", 4,
     {4, 1, 2}, DEADLINE, "1", INCOMPLETE("3", "4", "第一第二第四"),
     INC_ENT("第一第二第四")},
    {"before the deadline", 3, {1, 3}, DEADLINE - 1, "0", "", "[]"},
};

static void test_expire(void **state) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(expire_cases); i++) {
    const expire_case_t *k = &expire_cases[i];
    print_message("case: %s\n", k->name);
    setup(state);
    for (int j = 0; j < 4 && k->seqs[j]; j++) {
      vg_fn_mo_store_t a = part(7, k->total, k->seqs[j], T0 + 1000 * j);
      VG_EXPECT(store(&a), "[\"part\",\"\"]");
    }
    char asm_key[64];
    snprintf(asm_key, sizeof asm_key, "vasgw:mo:asm:" M ":7:%d", k->total);
    char *waiting = record(asm_key);
    vg_fcall_t c = VG_FCALL_INIT;
    expire_call(&c, k->now);
    VG_EXPECT(vg_test_fcall(&R, &c), k->want);
    VG_EXPECT(record("vasgw:mo:1"), k->record);
    VG_EXPECT(entries(), k->entry);
    if (*k->record) {
      VG_EXPECT(vg_test_run(&R, "TTL vasgw:mo:1"), NUM(604800));
      VG_EXPECT(vg_test_run(&R, "KEYS vasgw:mo:asm*"), "[]");
      VG_EXPECT(stats(), "mo=1 mo_incomplete=1");
    } else {
      /* Not yet: the reassembly waits as it was. */
      VG_EXPECT(record(asm_key), waiting);
      VG_EXPECT(vg_test_run(&R, "ZSCORE vasgw:mo:asm:pending " ASM),
                "\"" NUM(DEADLINE) "\"");
      VG_EXPECT(vg_test_run(&R, "HGETALL vasgw:stats"), "[]");
    }
    free(waiting);
    /* Every node runs it every second: the next run delivers nothing. */
    again(&c, "0", NULL);
    vg_fcall_free(&c);
  }
}

/* A part the SMSC delivers again after its message went out incomplete
 * is still a redelivery (within the window): no second reassembly starts. */
static void test_expire_then_redelivered(void **state) {
  vg_fn_mo_store_t p1 = part(7, 3, 1, T0);
  vg_fn_mo_store_t p3 = part(7, 3, 3, T0 + 1000);
  VG_EXPECT(store(&p1), "[\"part\",\"\"]");
  VG_EXPECT(store(&p3), "[\"part\",\"\"]");
  vg_fcall_t c = VG_FCALL_INIT;
  expire_call(&c, DEADLINE);
  VG_EXPECT(vg_test_fcall(&R, &c), "1");
  vg_fcall_free(&c);
  VG_EXPECT(store(&p3), "[\"dup\",\"part\"]");
  VG_EXPECT(vg_test_run(&R, "KEYS vasgw:mo:asm*"), "[]");
  VG_EXPECT(stats(), "mo=1 mo_duplicate=1 mo_incomplete=1");
  (void)state;
}

int main(void) {
  vg_test_redis_start(&R);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_store_single, setup),
      cmocka_unit_test_setup(test_store_ids, setup),
      cmocka_unit_test_setup(test_store_bytes, setup),
      cmocka_unit_test_setup(test_store_concat, setup),
      cmocka_unit_test_setup(test_store_concat_two, setup),
      cmocka_unit_test_setup(test_store_concat_undecodable, setup),
      cmocka_unit_test_setup(test_expire, setup),
      cmocka_unit_test_setup(test_expire_then_redelivered, setup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vg_test_redis_stop(&R);
  return rc;
}
