/*
 * csv.h — an RFC 4180 record reader over a buffer, for the CLI's imports
 * (`vasgw service import`, `vasgw feed import`): fields in "..." may hold
 * commas, line breaks and "" for a quote; CRLF, LF or a lone CR end a line;
 * a UTF-8 byte order mark at the start is skipped.  Each record carries the
 * line it starts on, so that a caller can report "FILE:LINE: reason".
 *
 * Pure: no I/O, no logging.  A malformed record is returned as such, with
 * the reason, and the reader goes on after it, so that every bad row of a
 * file can be reported in one run.
 */
#ifndef VG_CSV_H
#define VG_CSV_H

#include <stddef.h>

/* One record: its fields (NUL-terminated, malloc'd), its first line, and
 * how many of its fields were quoted (a caller that joins fields again,
 * `vasgw send --file`'s unquoted text with commas, can tell when that would
 * not give back what was written). */
typedef struct vg_csv_row_s {
  char **f;
  size_t n, cap;
  long line;
  size_t quoted;
} vg_csv_row_t;

/* The reader's state over a buffer the caller owns and keeps alive. */
typedef struct vg_csv_s {
  const char *buf;
  size_t len, pos;
  long line;    /* of buf[pos] */
  int comments; /* set by the caller: skip lines that start with '#' */
  int partial;  /* the last record ran into the end of buf inside a quoted
                 * field: a caller reading a file in chunks reads on */
} vg_csv_t;

/* Read `len` bytes of `buf` from the start (after a BOM), at line 1,
 * without comment lines; set p->comments afterwards to skip them. */
void vg_csv_init(vg_csv_t *p, const char *buf, size_t len);

/*
 * The next record into `r` (a zeroed vg_csv_row_t the first time; its old
 * fields are freed).  1 with `r` filled, 0 at the end of the input, -1 for a
 * malformed record with the reason in `why` (r->line says where it began;
 * the rest of its line is skipped and the next call goes on from there; a
 * quote never closed makes the record its first line, not the rest of the
 * input).
 */
int vg_csv_next(vg_csv_t *p, vg_csv_row_t *r, char *why, size_t whysz);

/* 1 when every field of `r` is empty: a blank line, or ",,," as
 * spreadsheets write it. */
int vg_csv_row_blank(const vg_csv_row_t *r);

/* Free the fields of `r` and its array; `r` may be reused after it. */
void vg_csv_row_free(vg_csv_row_t *r);

#endif
