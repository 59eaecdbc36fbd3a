/*
 * test_settlement.c — handlers/settlement.c over handlers/audit.c: a month
 * of 1,000 developments by 50 promoters, generated from a fixed seed, with
 * history and an operator feed built so that each development ends the way
 * the generator decided (valid, or invalid by a chosen rule, often failing
 * later rules too).  The audits and the settlement must then agree with
 * what the generator counted while it built the month — figures that never
 * go through the code under test.  Then the CSV report, its quoting, and
 * fen as yuan.
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
#include "handlers/audit.h"
#include "handlers/ledger_date.h"
#include "handlers/settlement.h"

#define MONTH 202611
#define NDEV 1000
#define NPROM 50
#define MAXHIST 8000
#define MAXFACTS 16000

/* ---- a calendar of the test's own (the code under test is not used) ------ */

static int month_len(int y, int m) {
  static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    return 29;
  return len[m - 1];
}

/* `date` + `n` days, one day at a time. */
static int32_t tadd(int32_t date, int n) {
  int y = date / 10000, m = date / 100 % 100, d = date % 100;

  for (; n > 0; n--)
    if (++d > month_len(y, m)) {
      d = 1;
      if (++m > 12) {
        m = 1;
        y++;
      }
    }
  for (; n < 0; n++)
    if (--d < 1) {
      if (--m < 1) {
        m = 12;
        y--;
      }
      d = month_len(y, m);
    }
  return y * 10000 + m * 100 + d;
}

/* ---- the generator ------------------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15ull; /* reset by the group setup */

static uint64_t xorshift64(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* 0..n-1 */
static int pick(int n) { return (int)(xorshift64() % (uint64_t)n); }

/* 1 with probability 1/n */
static int one_in(int n) { return pick(n) == 0; }

static const char *const services[] = {"CL", "SJB", "XW"};

typedef struct {
  char msisdn[VG_MSISDN_MAX];
  char staff_no[8];
  char name[48];
  char outlet[48];
} promoter_t;

typedef struct {
  promoter_t prom[NPROM];
  vg_dev_t devs[NDEV];   /* the month */
  int outcome[NDEV];     /* how devs[i] is to end */
  size_t ndevs;
  vg_dev_t hist[MAXHIST]; /* developments of earlier months */
  size_t nhist;
  vg_fact_t facts[MAXFACTS];
  size_t nfacts;
  unsigned seq; /* order ids */
  /* What the generator counted. */
  uint32_t want_valid, want_invalid[VG_AUDIT_RULE_END];
  int64_t want_fen;
  uint32_t prom_valid[NPROM], prom_invalid[NPROM][VG_AUDIT_RULE_END];
  int64_t prom_fen[NPROM];
  uint32_t piled; /* developments failing more than one rule */
  uint32_t pairs; /* duplicates of a development of the same month */
} month_t;

static month_t *M;

static vg_dev_t *new_dev(vg_dev_t *d, const char *msisdn, const char *svc,
                         int32_t act, int prom) {
  memset(d, 0, sizeof *d);
  snprintf(d->id, sizeof d->id, "ord-%05u", M->seq++);
  snprintf(d->promoter, sizeof d->promoter, "%s", M->prom[prom].msisdn);
  snprintf(d->msisdn, sizeof d->msisdn, "%s", msisdn);
  snprintf(d->service, sizeof d->service, "%s", svc);
  d->activated = act;
  d->amount_fen = 1 + pick(20000);
  d->state = VG_DEV_PENDING;
  return d;
}

/* An earlier month's development, settled (VALID or INVALID) or not. */
static void hist(const char *msisdn, const char *svc, int32_t act,
                 vg_dev_state_t st) {
  vg_dev_t *d;

  assert_true(M->nhist < MAXHIST);
  d = new_dev(&M->hist[M->nhist++], msisdn, svc, act, pick(NPROM));
  d->state = st;
  d->rule = st == VG_DEV_INVALID ? 1 + pick(VG_AUDIT_NRULES) : 0;
}

static void fact(const char *msisdn, const char *svc, vg_fact_event_t ev,
                 int32_t date) {
  vg_fact_t *f;

  assert_true(M->nfacts < MAXFACTS);
  f = &M->facts[M->nfacts++];
  memset(f, 0, sizeof *f);
  snprintf(f->msisdn, sizeof f->msisdn, "%s", msisdn);
  snprintf(f->service, sizeof f->service, "%s", svc);
  f->event = ev;
  f->date = date;
}

static const char *other_service(const char *svc) {
  return strcmp(svc, "CL") == 0 ? "XW" : "CL";
}

/*
 * Margins instead of the exact month arithmetic, so the generator needs no
 * month lengths from the code under test: 3 calendar months are 89 to 92
 * days and 6 are 181 to 184, so 1..89 days before A is always in the
 * duplicate window, 95..179 always in the rebate window, 190 and more
 * always outside both.
 */
#define DUP_DAYS(r) (-(1 + (r) % 89))
#define REBATE_DAYS(r) (-(95 + (r) % 85))
#define OLD_DAYS(r) (-(190 + (r) % 200))

/* Things that must not make a development invalid. */
static void add_noise(const char *msisdn, const char *svc, int32_t a) {
  const char *o = other_service(svc);

  if (one_in(4)) /* an INVALID one, recently */
    hist(msisdn, svc, tadd(a, DUP_DAYS(pick(1000))), VG_DEV_INVALID);
  if (one_in(4)) /* a PENDING one in the rebate window earned nothing */
    hist(msisdn, svc, tadd(a, REBATE_DAYS(pick(1000))), VG_DEV_PENDING);
  if (one_in(4)) /* a rebate more than 6 months ago */
    hist(msisdn, svc, tadd(a, OLD_DAYS(pick(1000))), VG_DEV_VALID);
  if (one_in(4)) /* another service, recently */
    hist(msisdn, o, tadd(a, DUP_DAYS(pick(1000))), VG_DEV_VALID);
  if (one_in(4)) /* cancelled before activation, or after the window */
    fact(msisdn, svc, one_in(2) ? VG_FACT_CANCELLED : VG_FACT_CHANGED,
         one_in(2) ? tadd(a, -1 - pick(30)) : tadd(a, 61 + pick(30)));
  if (one_in(4)) /* another service cancelled */
    fact(msisdn, o, VG_FACT_CANCELLED, tadd(a, pick(61)));
  if (one_in(4))
    fact(msisdn, "", VG_FACT_VOICE, tadd(a, -1 - pick(30)));
  if (one_in(4))
    fact(msisdn, svc, VG_FACT_CHARGED, tadd(a, -1 - pick(30)));
  if (one_in(4)) /* arrears paid before */
    fact(msisdn, "", VG_FACT_ARREARS, tadd(a, -1 - pick(30)));
  if (one_in(4))
    fact(msisdn, o, VG_FACT_COMPLAINT, tadd(a, pick(90)));
  if (one_in(4))
    fact(msisdn, svc, VG_FACT_COMPLAINT, tadd(a, -1 - pick(30)));
}

/* Make rule `r` fail for a development of `svc` activated on `a`.  Voice and
 * billing fail by leaving their fact out (see add_dev) plus a decoy. */
static void violate(int r, const char *msisdn, const char *svc, int32_t a) {
  switch (r) {
  case VG_AUDIT_DUPLICATE:
    hist(msisdn, svc, tadd(a, DUP_DAYS(pick(1000))),
         one_in(2) ? VG_DEV_VALID : VG_DEV_PENDING);
    break;
  case VG_AUDIT_REBATE:
    hist(msisdn, svc, tadd(a, REBATE_DAYS(pick(1000))), VG_DEV_VALID);
    break;
  case VG_AUDIT_RETENTION:
    fact(msisdn, svc, one_in(2) ? VG_FACT_CANCELLED : VG_FACT_CHANGED,
         tadd(a, pick(61)));
    break;
  case VG_AUDIT_VOICE:
    if (one_in(2))
      fact(msisdn, "", VG_FACT_VOICE, tadd(a, 61 + pick(30)));
    break;
  case VG_AUDIT_BILLING:
    if (one_in(2))
      fact(msisdn, other_service(svc), VG_FACT_CHARGED, tadd(a, pick(30)));
    break;
  case VG_AUDIT_ARREARS:
    fact(msisdn, one_in(2) ? "" : svc, VG_FACT_ARREARS, tadd(a, pick(100)));
    break;
  case VG_AUDIT_COMPLAINT:
    fact(msisdn, svc, VG_FACT_COMPLAINT, tadd(a, pick(100)));
    break;
  default:
    fail_msg("no rule %d", r);
  }
}

/* Count development `d` as the generator decided it ends. */
static void expect(const vg_dev_t *d, int prom, int outcome) {
  M->outcome[M->ndevs] = outcome;
  if (outcome == VG_AUDIT_OK) {
    M->want_valid++;
    M->want_fen += d->amount_fen;
    M->prom_valid[prom]++;
    M->prom_fen[prom] += d->amount_fen;
  } else {
    M->want_invalid[outcome]++;
    M->prom_invalid[prom][outcome]++;
  }
}

/*
 * One development of the month ending as `outcome`: the facts that make
 * every rule pass, things that must not matter, the chosen rule's failure
 * and failures of some later rules (the audit must report the first).
 * Without `extras`, only the facts that make the later rules pass.
 */
static void add_dev(const char *msisdn, const char *svc, int32_t a,
                    int outcome, int extras) {
  int fails[VG_AUDIT_RULE_END] = {0};
  int prom = pick(NPROM);
  vg_dev_t *d;

  assert_true(M->ndevs < NDEV);
  d = new_dev(&M->devs[M->ndevs], msisdn, svc, a, prom);
  expect(d, prom, outcome);
  M->ndevs++;

  if (outcome != VG_AUDIT_OK) {
    fails[outcome] = 1;
    for (int r = outcome + 1; extras && r < VG_AUDIT_RULE_END; r++)
      fails[r] = one_in(3);
  }
  if (!fails[VG_AUDIT_VOICE])
    fact(msisdn, one_in(3) ? svc : "", VG_FACT_VOICE, tadd(a, pick(61)));
  if (!fails[VG_AUDIT_BILLING])
    fact(msisdn, svc, VG_FACT_CHARGED, tadd(a, pick(90)));
  if (!extras) /* the second of a pair: the first is its duplicate */
    return;
  for (int r = outcome + 1; outcome != VG_AUDIT_OK && r < VG_AUDIT_RULE_END;
       r++)
    if (fails[r]) {
      M->piled++;
      break;
    }
  add_noise(msisdn, svc, a);
  for (int r = 1; r < VG_AUDIT_RULE_END; r++)
    if (fails[r])
      violate(r, msisdn, svc, a);
}

static int setup_month(void **state) {
  unsigned subscriber = 0;

  (void)state;
  M = calloc(1, sizeof *M);
  if (M == NULL)
    return -1;
  rng = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < NPROM; i++) {
    promoter_t *p = &M->prom[i];

    /* MSISDNs not in index order, so that sorting shows */
    snprintf(p->msisdn, sizeof p->msisdn, "86139%08d", (i * 37) % NPROM * 1117);
    snprintf(p->staff_no, sizeof p->staff_no, "S%04d", i + 1);
    switch (i % 5) {
    case 0:
      snprintf(p->name, sizeof p->name, "张%d", i);
      break;
    case 1:
      snprintf(p->name, sizeof p->name, "Li, Wei %d", i);
      break;
    case 2:
      snprintf(p->name, sizeof p->name, "Wang \"Xiao\" %d", i);
      break;
    case 3:
      snprintf(p->name, sizeof p->name, "=HYPERLINK(%d)", i);
      break;
    default:
      snprintf(p->name, sizeof p->name, "Zhao %d", i);
    }
    if (i % 7 != 0)
      snprintf(p->outlet, sizeof p->outlet, "营业厅 %d", i);
  }

  while (M->ndevs < NDEV) {
    char msisdn[VG_MSISDN_MAX];
    const char *svc = services[pick(3)];
    int32_t a = MONTH * 100 + 1 + pick(30);
    int outcome = pick(VG_AUDIT_RULE_END);

    snprintf(msisdn, sizeof msisdn, "86138%08u", subscriber++);
    if (outcome == VG_AUDIT_DUPLICATE && M->ndevs + 2 <= NDEV && one_in(2)) {
      /* a duplicate within the month: a valid first development, then a
       * second of the same number and service the same day (a larger id)
       * or later in the month.  The second gets no noise: its facts and
       * history would be the first's too. */
      int32_t a2 = a + pick(MONTH * 100 + 31 - a);

      add_dev(msisdn, svc, a, VG_AUDIT_OK, 1);
      add_dev(msisdn, svc, a2, VG_AUDIT_DUPLICATE, 0);
      M->pairs++;
      continue;
    }
    add_dev(msisdn, svc, a, outcome, 1);
  }
  *state = M;
  return 0;
}

static int teardown_month(void **state) {
  (void)state;
  free(M);
  M = NULL;
  return 0;
}

/* Audit the month as the ledger should: the subscriber's developments
 * (history and the month) in vg_dev_cmp() order, each answer stored before
 * the next audit. */
static vg_dev_t *audit_month(size_t *nall) {
  size_t n = M->nhist + M->ndevs;
  vg_dev_t *all = calloc(n, sizeof *all);

  assert_non_null(all);
  memcpy(all, M->hist, M->nhist * sizeof *all);
  memcpy(all + M->nhist, M->devs, M->ndevs * sizeof *all);
  qsort(all + M->nhist, M->ndevs, sizeof *all, vg_dev_cmp);
  for (size_t i = M->nhist; i < n; i++) {
    vg_dev_t *d = &all[i];
    int rc = vg_audit(d, all, n, M->facts, M->nfacts, NULL);

    assert_true(rc >= 0);
    d->state = rc == VG_AUDIT_OK ? VG_DEV_VALID : VG_DEV_INVALID;
    d->rule = rc;
  }
  *nall = n;
  return all;
}

/* What the audit of `d` saw, for a failure's message. */
static void dump(const vg_dev_t *d, const vg_dev_t *all, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(all[i].msisdn, d->msisdn) == 0)
      print_message("  dev %s %s %d state %d\n", all[i].id, all[i].service,
                    all[i].activated, (int)all[i].state);
  for (size_t i = 0; i < M->nfacts; i++)
    if (strcmp(M->facts[i].msisdn, d->msisdn) == 0)
      print_message("  fact %s %s %d\n", M->facts[i].service,
                    vg_fact_event_name(M->facts[i].event), M->facts[i].date);
}

/* The sequence number in "ord-NNNNN" -> index in M->devs. */
static size_t dev_index(const char *id) {
  for (size_t i = 0; i < M->ndevs; i++)
    if (strcmp(M->devs[i].id, id) == 0)
      return i;
  fail_msg("no development %s", id);
  return 0;
}

static void test_fixture_touches_every_rule(void **state) {
  uint32_t sum = 0;

  (void)state;
  assert_int_equal(M->ndevs, NDEV);
  assert_true(M->want_valid > 0);
  sum = M->want_valid;
  for (int r = 1; r < VG_AUDIT_RULE_END; r++) {
    if (M->want_invalid[r] < 10)
      fail_msg("rule %s fires only %u times", vg_audit_rule_name(r),
               M->want_invalid[r]);
    sum += M->want_invalid[r];
  }
  assert_int_equal(sum, NDEV);
  /* rule order and same-month duplicates are exercised */
  assert_true(M->piled >= 100);
  assert_true(M->pairs >= 10);
  print_message("valid %u, piled %u, pairs %u, invalid:", M->want_valid,
                M->piled, M->pairs);
  for (int r = 1; r < VG_AUDIT_RULE_END; r++)
    print_message(" %s %u", vg_audit_rule_name(r), M->want_invalid[r]);
  print_message("\n");
  /* every promoter has developments, so the report has 50 rows */
  for (int p = 0; p < NPROM; p++) {
    uint32_t devs = M->prom_valid[p];

    for (int r = 1; r < VG_AUDIT_RULE_END; r++)
      devs += M->prom_invalid[p][r];
    assert_true(devs > 0);
  }
}

static void test_audit_each(void **state) {
  size_t n;
  vg_dev_t *all = audit_month(&n);

  (void)state;
  for (size_t i = M->nhist; i < n; i++) {
    size_t k = dev_index(all[i].id);

    if (all[i].rule != M->outcome[k]) {
      dump(&all[i], all, n);
      fail_msg("%s (%s %s %d): audit says %s, the generator made it %s",
               all[i].id, all[i].msisdn, all[i].service, all[i].activated,
               vg_audit_rule_name(all[i].rule),
               vg_audit_rule_name(M->outcome[k]));
    }
  }
  free(all);
}

static void test_settle_totals(void **state) {
  vg_settle_row_t *rows = calloc(NDEV, sizeof *rows);
  vg_settle_row_t *rows2 = calloc(NDEV, sizeof *rows2);
  vg_settlement_t s, s2;
  uint32_t valid = 0, invalid[VG_AUDIT_RULE_END] = {0};
  int64_t fen = 0;
  char why[128];
  size_t n;
  vg_dev_t *all = audit_month(&n);
  vg_dev_t *month = all + M->nhist;

  (void)state;
  assert_non_null(rows);
  assert_non_null(rows2);
  assert_int_equal(vg_settlement_init(&s, MONTH, rows, NDEV), 0);
  assert_int_equal(vg_settlement_add_all(&s, month, M->ndevs, why, sizeof why),
                   0);

  /* the month's totals are what the generator counted */
  assert_int_equal(s.nrows, NPROM);
  assert_int_equal(s.total.valid, M->want_valid);
  for (int r = 1; r < VG_AUDIT_RULE_END; r++)
    if (s.total.invalid[r] != M->want_invalid[r])
      fail_msg("invalid_%s: %u, constructed %u", vg_audit_rule_name(r),
               s.total.invalid[r], M->want_invalid[r]);
  assert_int_equal(s.total.invalid[0], 0);
  assert_int_equal(s.total.amount_fen, M->want_fen);

  /* each promoter's row is what the generator counted for it, the rows are
   * sorted, and they add up to the total exactly */
  for (size_t i = 0; i < s.nrows; i++) {
    const vg_settle_row_t *r = &s.rows[i];
    int p = -1;

    for (int k = 0; k < NPROM; k++)
      if (strcmp(M->prom[k].msisdn, r->promoter) == 0)
        p = k;
    assert_true(p >= 0);
    if (i > 0)
      assert_true(strcmp(s.rows[i - 1].promoter, r->promoter) < 0);
    assert_int_equal(r->valid, M->prom_valid[p]);
    assert_int_equal(r->amount_fen, M->prom_fen[p]);
    for (int k = 0; k < VG_AUDIT_RULE_END; k++)
      assert_int_equal(r->invalid[k], M->prom_invalid[p][k]);
    assert_ptr_equal(vg_settlement_find(&s, r->promoter), r);
    valid += r->valid;
    fen += r->amount_fen;
    for (int k = 0; k < VG_AUDIT_RULE_END; k++)
      invalid[k] += r->invalid[k];
  }
  assert_int_equal(valid, s.total.valid);
  assert_int_equal(fen, s.total.amount_fen);
  assert_memory_equal(invalid, s.total.invalid, sizeof invalid);
  assert_null(vg_settlement_find(&s, "8613000000000"));

  /* the order developments come in does not matter */
  assert_int_equal(vg_settlement_init(&s2, MONTH, rows2, NPROM), 0);
  for (size_t i = M->ndevs; i-- > 0;)
    assert_int_equal(vg_settlement_add(&s2, &month[i], why, sizeof why), 0);
  assert_int_equal(s2.nrows, s.nrows);
  assert_memory_equal(rows2, rows, NPROM * sizeof *rows);
  assert_memory_equal(&s2.total, &s.total, sizeof s.total);

  free(all);
  free(rows);
  free(rows2);
}

/* ---- the CSV report ------------------------------------------------------ */

#define NCOLS 14

/* Split one CSV record at `*p` into `f` (fields NUL-terminated in `buf`);
 * advances *p past the line end.  Returns the number of fields. */
static int split_csv(const char **p, char *buf, size_t bufsz, char *f[],
                     int maxf) {
  const char *s = *p;
  size_t used = 0;
  int n = 0, quoted = 0;

  f[n++] = buf;
  for (;; s++) {
    assert_true(used + 1 < bufsz);
    if (quoted) {
      assert_true(*s != '\0');
      if (*s == '"' && s[1] == '"') {
        buf[used++] = '"';
        s++;
      } else if (*s == '"') {
        quoted = 0;
      } else {
        buf[used++] = *s;
      }
    } else if (*s == '"') {
      quoted = 1;
    } else if (*s == ',') {
      buf[used++] = '\0';
      assert_true(n < maxf);
      f[n++] = buf + used;
    } else if (*s == '\n' || *s == '\0') {
      buf[used] = '\0';
      *p = *s == '\n' ? s + 1 : s;
      return n;
    } else {
      buf[used++] = *s;
    }
  }
}

static const promoter_t *promoter_by_msisdn(const char *msisdn) {
  for (int k = 0; k < NPROM; k++)
    if (strcmp(M->prom[k].msisdn, msisdn) == 0)
      return &M->prom[k];
  return NULL;
}

/* The yuan text read back into fen, checking its shape: digits '.' 2 digits. */
static int64_t yuan_to_fen(const char *y) {
  const char *dot = strchr(y, '.');
  int64_t whole = 0;

  assert_non_null(dot);
  assert_int_equal(strlen(dot), 3);
  assert_true(dot > y);
  for (const char *c = y; c < dot; c++) {
    assert_true(*c >= '0' && *c <= '9');
    whole = whole * 10 + (*c - '0');
  }
  assert_true(dot[1] >= '0' && dot[1] <= '9' && dot[2] >= '0' && dot[2] <= '9');
  return whole * 100 + (dot[1] - '0') * 10 + (dot[2] - '0');
}

static void test_csv_report(void **state) {
  vg_settle_row_t *rows = calloc(NDEV, sizeof *rows);
  vg_settle_promoter_t table[NPROM];
  vg_settlement_t s;
  size_t n, len = 0, lines = 0;
  vg_dev_t *all = audit_month(&n);
  char *text = NULL, buf[512], prev[VG_MSISDN_MAX] = "", why[128];
  char *f[NCOLS + 2];
  const char *p;
  FILE *out;
  int64_t fen_sum = 0;
  uint32_t valid_sum = 0;

  (void)state;
  assert_non_null(rows);
  /* the table in reverse order, and without the last promoter */
  for (int k = 0; k < NPROM; k++) {
    const promoter_t *pr = &M->prom[NPROM - 1 - k];

    table[k] = (vg_settle_promoter_t){pr->msisdn, pr->staff_no, pr->name,
                                      pr->outlet};
  }
  assert_int_equal(vg_settlement_init(&s, MONTH, rows, NDEV), 0);
  assert_int_equal(
      vg_settlement_add_all(&s, all + M->nhist, M->ndevs, why, sizeof why), 0);
  out = open_memstream(&text, &len);
  assert_non_null(out);
  assert_int_equal(vg_settlement_write_csv(&s, table + 1, NPROM - 1, out), 0);
  assert_int_equal(fclose(out), 0);

  p = text;
  assert_int_equal(split_csv(&p, buf, sizeof buf, f, NCOLS + 2), NCOLS);
  assert_true(strncmp(text,
                      "promoter,staff_no,name,outlet,valid,invalid_duplicate,"
                      "invalid_rebate,invalid_retention,invalid_voice,"
                      "invalid_billing,invalid_arrears,invalid_complaint,"
                      "amount_fen,amount_yuan\n",
                      (size_t)(p - text)) == 0);
  lines = 1;
  while (*p != '\0') {
    int nf = split_csv(&p, buf, sizeof buf, f, NCOLS + 2);
    int64_t fen;

    lines++;
    assert_int_equal(nf, NCOLS);
    fen = strtoll(f[12], NULL, 10);
    assert_int_equal(yuan_to_fen(f[13]), fen);
    if (strcmp(f[0], "TOTAL") == 0) {
      assert_int_equal(*p, '\0'); /* the last line */
      assert_string_equal(f[1], "");
      assert_string_equal(f[2], "");
      assert_string_equal(f[3], "");
      assert_int_equal(fen, M->want_fen);
      assert_int_equal(fen, fen_sum);
      assert_int_equal(strtoul(f[4], NULL, 10), M->want_valid);
      assert_int_equal(valid_sum, M->want_valid);
      for (int r = 1; r < VG_AUDIT_RULE_END; r++)
        assert_int_equal(strtoul(f[4 + r], NULL, 10), M->want_invalid[r]);
      continue;
    }
    const promoter_t *pr = promoter_by_msisdn(f[0]);

    assert_non_null(pr);
    assert_true(strcmp(prev, f[0]) < 0);
    snprintf(prev, sizeof prev, "%s", f[0]);
    if (pr == &M->prom[NPROM - 1]) { /* not in the table */
      assert_string_equal(f[1], "");
      assert_string_equal(f[2], "");
      assert_string_equal(f[3], "");
    } else {
      char want[64];

      assert_string_equal(f[1], pr->staff_no);
      /* a would-be formula is shown as text */
      snprintf(want, sizeof want, "%s%s", pr->name[0] == '=' ? "'" : "",
               pr->name);
      assert_string_equal(f[2], want);
      assert_string_equal(f[3], pr->outlet);
    }
    fen_sum += fen;
    valid_sum += (uint32_t)strtoul(f[4], NULL, 10);
  }
  assert_int_equal(lines, 1 + NPROM + 1);

  free(text);
  free(all);
  free(rows);
}

static void test_csv_quoting(void **state) {
  static const struct {
    const char *name, *outlet, *line;
  } t[] = {
      {"张三", "营业厅", "8613900000001,S1,张三,营业厅,"},
      {"Li, Wei", "", "8613900000001,S1,\"Li, Wei\",,"},
      {"say \"hi\"", "a", "8613900000001,S1,\"say \"\"hi\"\"\",a,"},
      {"=1+2", "+86", "8613900000001,S1,\"'=1+2\",\"'+86\","},
      {"-5", "@x", "8613900000001,S1,\"'-5\",\"'@x\","},
      {" pad", "pad ", "8613900000001,S1,\" pad\",\"pad \","},
      {"two\nlines", "cr\r", "8613900000001,S1,\"two\nlines\",\"cr\r\","},
      {"a-b", "x=y", "8613900000001,S1,a-b,x=y,"},
  };
  vg_settle_row_t rows[2];
  vg_settlement_t s;
  vg_dev_t d;

  (void)state;
  memset(&d, 0, sizeof d);
  strcpy(d.id, "ord-1");
  strcpy(d.promoter, "8613900000001");
  strcpy(d.msisdn, "8613800138000");
  strcpy(d.service, "CL");
  d.activated = 20261130;
  d.amount_fen = 1250;
  d.state = VG_DEV_VALID;
  assert_int_equal(vg_settlement_init(&s, MONTH, rows, 2), 0);
  assert_int_equal(vg_settlement_add(&s, &d, NULL, 0), 0);
  d.state = VG_DEV_INVALID;
  d.rule = VG_AUDIT_VOICE;
  assert_int_equal(vg_settlement_add(&s, &d, NULL, 0), 0);

  for (size_t i = 0; i < VG_ARRAY_SIZE(t); i++) {
    vg_settle_promoter_t p = {"8613900000001", "S1", t[i].name, t[i].outlet};
    char *text = NULL, want[512];
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    assert_non_null(out);
    assert_int_equal(vg_settlement_write_csv(&s, &p, 1, out), 0);
    fclose(out);
    snprintf(want, sizeof want,
             "%s1,0,0,0,1,0,0,0,1250,12.50\n"
             "TOTAL,,,,1,0,0,0,1,0,0,0,1250,12.50\n",
             t[i].line);
    assert_non_null(strchr(text, '\n'));
    assert_string_equal(strstr(text, "amount_yuan\n") + 12, want);
    free(text);
  }
}

static void test_csv_empty_month_and_io_error(void **state) {
  vg_settlement_t s;
  char *text = NULL;
  size_t len = 0;
  FILE *out;

  (void)state;
  assert_int_equal(vg_settlement_init(&s, MONTH, NULL, 0), 0);
  out = open_memstream(&text, &len);
  assert_non_null(out);
  assert_int_equal(vg_settlement_write_csv(&s, NULL, 0, out), 0);
  fclose(out);
  assert_non_null(
      strstr(text, "amount_yuan\nTOTAL,,,,0,0,0,0,0,0,0,0,0,0.00\n"));
  free(text);

  out = fopen("/dev/null", "r"); /* not writable */
  assert_non_null(out);
  assert_int_equal(vg_settlement_write_csv(&s, NULL, 0, out), VG_EIO);
  fclose(out);
}

/* ---- refused developments ------------------------------------------------ */

static void test_settle_refuses(void **state) {
  vg_settle_row_t rows[2];
  vg_settlement_t s, before;
  vg_dev_t d, e;
  char why[128];

  (void)state;
  assert_int_equal(vg_settlement_init(&s, 202613, rows, 2), VG_EINVAL);
  assert_int_equal(vg_settlement_init(&s, MONTH, rows, 2), 0);
  assert_int_equal(s.month, MONTH);
  memset(&d, 0, sizeof d);
  strcpy(d.id, "ord-1");
  strcpy(d.promoter, "8613900000001");
  strcpy(d.msisdn, "8613800138000");
  strcpy(d.service, "CL");
  d.activated = 20261101;
  d.amount_fen = 100;
  d.state = VG_DEV_VALID;
  assert_int_equal(vg_settlement_add(&s, &d, why, sizeof why), 0);
  memcpy(&before, &s, sizeof s);

#define REFUSED(rc, text)                                                    \
  do {                                                                       \
    why[0] = '\0';                                                           \
    assert_int_equal(vg_settlement_add(&s, &e, why, sizeof why), (rc));      \
    assert_string_equal(why, (text));                                        \
    assert_memory_equal(&s, &before, sizeof s);                              \
    assert_int_equal(rows[0].valid, 1);                                      \
  } while (0)

  e = d;
  e.state = VG_DEV_PENDING;
  REFUSED(VG_EINVAL, "development ord-1 is not audited");
  e = d;
  e.state = VG_DEV_INVALID;
  e.rule = 0;
  REFUSED(VG_EINVAL, "development ord-1 is invalid with no rule (0)");
  e.rule = VG_AUDIT_RULE_END;
  REFUSED(VG_EINVAL, "development ord-1 is invalid with no rule (8)");
  e = d;
  e.promoter[0] = '\0';
  REFUSED(VG_EINVAL, "development ord-1 has no promoter");
  e = d;
  e.amount_fen = -1;
  REFUSED(VG_EINVAL, "development ord-1 has a negative amount (-1 fen)");
  e = d;
  e.activated = 20261201;
  REFUSED(VG_EINVAL, "development ord-1 was activated on 20261201, not in "
                     "202611");
  e.activated = 20261031;
  REFUSED(VG_EINVAL, "development ord-1 was activated on 20261031, not in "
                     "202611");
  e = d;
  e.amount_fen = INT64_MAX;
  REFUSED(VG_ERANGE, "development ord-1: the total would overflow");
  /* an INVALID one's amount is not added: no overflow */
  e.state = VG_DEV_INVALID;
  e.rule = VG_AUDIT_BILLING;
  assert_int_equal(vg_settlement_add(&s, &e, why, sizeof why), 0);
  assert_int_equal(s.total.invalid[VG_AUDIT_BILLING], 1);
  assert_int_equal(s.total.amount_fen, 100);

  /* the rows are full */
  e = d;
  strcpy(e.promoter, "8613900000000");
  assert_int_equal(vg_settlement_add(&s, &e, why, sizeof why), 0);
  assert_string_equal(rows[0].promoter, "8613900000000");
  memcpy(&before, &s, sizeof s);
  strcpy(e.promoter, "8613900000002");
  REFUSED(VG_ERANGE, "development ord-1: more than 2 promoters");
  /* no why buffer */
  assert_int_equal(vg_settlement_add(&s, &e, NULL, 0), VG_ERANGE);
  /* add_all stops at the first refused one */
  strcpy(e.promoter, "8613900000001");
  {
    vg_dev_t two[3] = {e, e, e};

    two[1].state = VG_DEV_PENDING;
    assert_int_equal(vg_settlement_add_all(&s, two, 3, why, sizeof why),
                     VG_EINVAL);
    assert_int_equal(s.total.valid, before.total.valid + 1);
  }
#undef REFUSED
}

/* ---- fen as yuan --------------------------------------------------------- */

static void test_fen_to_yuan(void **state) {
  static const struct {
    int64_t fen;
    const char *yuan;
  } t[] = {
      {0, "0.00"},         {1, "0.01"},        {5, "0.05"},
      {10, "0.10"},        {50, "0.50"},       {99, "0.99"},
      {100, "1.00"},       {101, "1.01"},      {300, "3.00"},
      {1250, "12.50"},     {123456, "1234.56"}, {100000000, "1000000.00"},
      {INT64_MAX, "92233720368547758.07"},
  };
  char buf[VG_YUAN_TEXT];

  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(t); i++) {
    assert_int_equal(vg_fen_to_yuan(t[i].fen, buf, sizeof buf), 0);
    assert_string_equal(buf, t[i].yuan);
    assert_int_equal(yuan_to_fen(buf), t[i].fen);
  }
  strcpy(buf, "x");
  assert_int_equal(vg_fen_to_yuan(-1, buf, sizeof buf), VG_EINVAL);
  assert_string_equal(buf, "");
  assert_int_equal(vg_fen_to_yuan(INT64_MIN, buf, sizeof buf), VG_EINVAL);
  /* "12.50" takes 6 bytes with its NUL */
  assert_int_equal(vg_fen_to_yuan(1250, buf, 6), 0);
  assert_string_equal(buf, "12.50");
  assert_int_equal(vg_fen_to_yuan(1250, buf, 5), VG_ETOOLONG);
  assert_string_equal(buf, "");
  assert_int_equal(vg_fen_to_yuan(1250, buf, 0), VG_ETOOLONG);
}

int main(void) {
  const struct CMUnitTest month[] = {
      cmocka_unit_test(test_fixture_touches_every_rule),
      cmocka_unit_test(test_audit_each),
      cmocka_unit_test(test_settle_totals),
      cmocka_unit_test(test_csv_report),
  };
  const struct CMUnitTest units[] = {
      cmocka_unit_test(test_csv_quoting),
      cmocka_unit_test(test_csv_empty_month_and_io_error),
      cmocka_unit_test(test_settle_refuses),
      cmocka_unit_test(test_fen_to_yuan),
  };
  int failed = cmocka_run_group_tests_name("a month of 1,000 developments",
                                           month, setup_month, teardown_month);

  failed += cmocka_run_group_tests_name("settlement", units, NULL, NULL);
  return failed != 0;
}
