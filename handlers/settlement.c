/*
 * settlement.c — counting a month's audited developments per promoter and
 * writing the settlement report (handlers/settlement.h).  The ledger code
 * runs it on settlement_day of the next month (or `vasgw settle YYYY-MM`),
 * after handlers/audit.c has given every development its answer.
 *
 * Rows stay sorted by promoter MSISDN as they are inserted (binary search,
 * then memmove), so the report needs no sort and no allocation.  Every
 * development is checked in full before anything is counted, so a refused
 * one leaves the settlement as it was.
 */
#include "handlers/settlement.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "gateway/vg.h"
#include "handlers/ledger_date.h"

int vg_settlement_init(vg_settlement_t *s, int32_t month,
                       vg_settle_row_t *rows, size_t maxrows) {
  memset(s, 0, sizeof *s);
  if (!vg_month_valid(month))
    return VG_EINVAL;
  s->month = month;
  s->rows = rows;
  s->maxrows = rows != NULL ? maxrows : 0;
  return 0;
}

/* Where `promoter` is or would go in the sorted rows; *found says which. */
static size_t find_row(const vg_settlement_t *s, const char *promoter,
                       int *found) {
  size_t lo = 0, hi = s->nrows;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(s->rows[mid].promoter, promoter);

    if (c == 0) {
      *found = 1;
      return mid;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = 0;
  return lo;
}

__attribute__((format(printf, 3, 4))) static void
fail(char *why, size_t whysz, const char *fmt, ...) {
  va_list ap;

  if (why == NULL || whysz == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(why, whysz, fmt, ap);
  va_end(ap);
}

int vg_settlement_add(vg_settlement_t *s, const vg_dev_t *d, char *why,
                      size_t whysz) {
  vg_settle_row_t *row;
  size_t at;
  int found, valid;

  if (d->state == VG_DEV_PENDING) {
    fail(why, whysz, "development %s is not audited", d->id);
    return VG_EINVAL;
  }
  valid = d->state == VG_DEV_VALID;
  if (!valid && (d->state != VG_DEV_INVALID || d->rule <= VG_AUDIT_OK ||
                 d->rule >= VG_AUDIT_RULE_END)) {
    fail(why, whysz, "development %s is invalid with no rule (%d)", d->id,
         d->rule);
    return VG_EINVAL;
  }
  if (d->promoter[0] == '\0') {
    fail(why, whysz, "development %s has no promoter", d->id);
    return VG_EINVAL;
  }
  if (d->amount_fen < 0) {
    fail(why, whysz, "development %s has a negative amount (%" PRId64 " fen)",
         d->id, d->amount_fen);
    return VG_EINVAL;
  }
  if (vg_date_month(d->activated) != s->month) {
    fail(why, whysz,
         "development %s was activated on %" PRId32 ", not in %" PRId32,
         d->id, d->activated, s->month);
    return VG_EINVAL;
  }
  /* Amounts are never negative, so no row's sum exceeds the total's. */
  if (valid && d->amount_fen > INT64_MAX - s->total.amount_fen) {
    fail(why, whysz, "development %s: the total would overflow", d->id);
    return VG_ERANGE;
  }
  if ((valid ? s->total.valid : s->total.invalid[d->rule]) == UINT32_MAX) {
    fail(why, whysz, "development %s: too many developments", d->id);
    return VG_ERANGE;
  }
  at = find_row(s, d->promoter, &found);
  if (!found) {
    if (s->nrows == s->maxrows) {
      fail(why, whysz, "development %s: more than %zu promoters", d->id,
           s->maxrows);
      return VG_ERANGE;
    }
    memmove(&s->rows[at + 1], &s->rows[at],
            (s->nrows - at) * sizeof s->rows[0]);
    memset(&s->rows[at], 0, sizeof s->rows[0]);
    /* Both arrays have VG_MSISDN_MAX bytes; promoter is NUL-terminated. */
    snprintf(s->rows[at].promoter, sizeof s->rows[at].promoter, "%s",
             d->promoter);
    s->nrows++;
  }
  row = &s->rows[at];
  if (valid) {
    row->valid++;
    row->amount_fen += d->amount_fen;
    s->total.valid++;
    s->total.amount_fen += d->amount_fen;
  } else {
    row->invalid[d->rule]++;
    s->total.invalid[d->rule]++;
  }
  return 0;
}

int vg_settlement_add_all(vg_settlement_t *s, const vg_dev_t *devs, size_t n,
                          char *why, size_t whysz) {
  for (size_t i = 0; i < n; i++) {
    int rc = vg_settlement_add(s, &devs[i], why, whysz);

    if (rc != 0)
      return rc;
  }
  return 0;
}

const vg_settle_row_t *vg_settlement_find(const vg_settlement_t *s,
                                          const char *promoter) {
  int found;
  size_t at = find_row(s, promoter, &found);

  return found ? &s->rows[at] : NULL;
}

int vg_fen_to_yuan(int64_t fen, char *buf, size_t bufsz) {
  int n;

  if (fen < 0) {
    if (bufsz > 0)
      buf[0] = '\0';
    return VG_EINVAL;
  }
  n = snprintf(buf, bufsz, "%" PRId64 ".%02d", fen / 100, (int)(fen % 100));
  if (n < 0 || (size_t)n >= bufsz) {
    if (bufsz > 0)
      buf[0] = '\0';
    return VG_ETOOLONG;
  }
  return 0;
}

/* One text field, CSV-quoted when it needs it (handlers/settlement.h). */
static void put_field(FILE *out, const char *s) {
  size_t len = strlen(s);
  int formula = len > 0 && strchr("=+-@", s[0]) != NULL;
  int quote = formula || strpbrk(s, ",\"\r\n") != NULL ||
              (len > 0 && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' ||
                           s[len - 1] == '\t'));

  if (!quote) {
    fputs(s, out);
    return;
  }
  fputc('"', out);
  if (formula)
    fputc('\'', out);
  for (; *s != '\0'; s++) {
    if (*s == '"')
      fputc('"', out);
    fputc(*s, out);
  }
  fputc('"', out);
}

static const vg_settle_promoter_t *
lookup_promoter(const vg_settle_promoter_t *p, size_t n, const char *msisdn) {
  for (size_t i = 0; i < n; i++)
    if (p[i].msisdn != NULL && strcmp(p[i].msisdn, msisdn) == 0)
      return &p[i];
  return NULL;
}

static const char *or_empty(const char *s) { return s != NULL ? s : ""; }

static void put_row(FILE *out, const char *promoter, const char *staff_no,
                    const char *name, const char *outlet,
                    const vg_settle_row_t *r) {
  char yuan[VG_YUAN_TEXT];

  put_field(out, promoter);
  fputc(',', out);
  put_field(out, staff_no);
  fputc(',', out);
  put_field(out, name);
  fputc(',', out);
  put_field(out, outlet);
  fprintf(out, ",%" PRIu32, r->valid);
  for (int rule = 1; rule < VG_AUDIT_RULE_END; rule++)
    fprintf(out, ",%" PRIu32, r->invalid[rule]);
  vg_fen_to_yuan(r->amount_fen, yuan, sizeof yuan);
  fprintf(out, ",%" PRId64 ",%s\n", r->amount_fen, yuan);
}

int vg_settlement_write_csv(const vg_settlement_t *s,
                            const vg_settle_promoter_t *promoters,
                            size_t npromoters, FILE *out) {
  fputs("promoter,staff_no,name,outlet,valid", out);
  for (int rule = 1; rule < VG_AUDIT_RULE_END; rule++)
    fprintf(out, ",invalid_%s", vg_audit_rule_name(rule));
  fputs(",amount_fen,amount_yuan\n", out);
  for (size_t i = 0; i < s->nrows; i++) {
    const vg_settle_row_t *r = &s->rows[i];
    const vg_settle_promoter_t *p =
        lookup_promoter(promoters, npromoters, r->promoter);

    put_row(out, r->promoter, p != NULL ? or_empty(p->staff_no) : "",
            p != NULL ? or_empty(p->name) : "",
            p != NULL ? or_empty(p->outlet) : "", r);
  }
  put_row(out, "TOTAL", "", "", "", &s->total);
  if (fflush(out) != 0 || ferror(out))
    return VG_EIO;
  return 0;
}
