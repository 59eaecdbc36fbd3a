/*
 * import.c — see import.h.
 */
#include "handlers/import.h"

#include <stdarg.h>
#include <stdio.h>

void vg_import_bad(const vg_import_opts_t *o, long line, const char *fmt,
                   ...) {
  char why[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  if (o->bad_row)
    o->bad_row(o->data, line, why);
}

int vg_import_header(vg_csv_t *p, vg_csv_row_t *r, const vg_import_opts_t *o,
                     const char *columns, char *err, size_t errsz) {
  char why[512];
  int got;
  while ((got = vg_csv_next(p, r, why, sizeof why)) == 1 &&
         vg_csv_row_blank(r))
    ;
  if (got == 0) {
    snprintf(err, errsz, "empty file; expected a header row (%s)", columns);
    return -1;
  }
  if (got < 0) {
    vg_import_bad(o, r->line, "%s", why);
    snprintf(err, errsz, "bad header; nothing imported");
    return -1;
  }
  return 0;
}

int vg_import_next_row(vg_csv_t *p, vg_csv_row_t *r, size_t ncol,
                       const vg_import_opts_t *o, int *bad) {
  char why[256];
  int got;
  while ((got = vg_csv_next(p, r, why, sizeof why)) != 0) {
    if (got < 0) {
      vg_import_bad(o, r->line, "%s", why);
      (*bad)++;
      continue;
    }
    if (vg_csv_row_blank(r))
      continue;
    if (r->n != ncol) {
      vg_import_bad(o, r->line, "%zu field%s; the header has %zu", r->n,
                    r->n == 1 ? "" : "s", ncol);
      (*bad)++;
      continue;
    }
    return 1;
  }
  return 0;
}
