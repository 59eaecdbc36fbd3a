/*
 * import.h — what the imports of operator files share (the catalogue,
 * promoters, the billing and care feed): a CSV file is checked whole first
 * and every bad row is told with its line, then written all or nothing, and
 * the audit log records it.  `vasgw ... import` calls them with a file read
 * from disk; anything else that receives such a file can call the same
 * functions.
 */
#ifndef VG_HANDLERS_IMPORT_H
#define VG_HANDLERS_IMPORT_H

#include "gateway/csv.h"

#include <stddef.h>

typedef struct {
  /* A bad row: its line and why.  Every one is told before the import
   * refuses the file; NULL: not told. */
  void (*bad_row)(void *data, long line, const char *why);
  void *data;
  const char *file; /* what the records and the audit log name it by */
  const char *user; /* the audit log's user; NULL: the OS user */
} vg_import_opts_t;

/* Tell a bad row (printf `fmt`). */
void vg_import_bad(const vg_import_opts_t *o, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The header: the first record that is not blank, into `r`.  0; else
 * VG_EINVAL with `err` ("empty file; expected a header row (<columns>)", or
 * a row told to bad_row and "bad header; nothing imported").
 */
int vg_import_header(vg_csv_t *p, vg_csv_row_t *r, const vg_import_opts_t *o,
                     const char *columns, char *err, size_t errsz);

/*
 * The next data row with `ncol` fields, blank rows skipped: 1, or 0 at the
 * end.  A row that cannot be read, or has another number of fields, is
 * told and counted in *bad.
 */
int vg_import_next_row(vg_csv_t *p, vg_csv_row_t *r, size_t ncol,
                       const vg_import_opts_t *o, int *bad);

#endif
