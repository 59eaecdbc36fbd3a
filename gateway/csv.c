/*
 * csv.c — see csv.h.  Moved out of the catalogue import when `vasgw feed import`
 * became its second user.
 */
#include "gateway/csv.h"
#include "gateway/vg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vg_csv_init(vg_csv_t *p, const char *buf, size_t len) {
  memset(p, 0, sizeof *p);
  p->buf = buf;
  p->len = len;
  p->line = 1;
  if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
    p->pos = 3; /* a UTF-8 byte order mark, as spreadsheets write it */
}

static void row_clear(vg_csv_row_t *r) {
  for (size_t i = 0; i < r->n; i++)
    free(r->f[i]);
  r->n = 0;
  r->quoted = 0;
}

void vg_csv_row_free(vg_csv_row_t *r) {
  row_clear(r);
  free(r->f);
  r->f = NULL;
  r->cap = 0;
}

static void row_add(vg_csv_row_t *r, const char *s, size_t len) {
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 16;
    r->f = vg_realloc(r->f, r->cap * sizeof *r->f);
  }
  r->f[r->n++] = vg_strndup(s, len);
}

/* At a line end (CRLF, LF or a lone CR)?  Consumes it and counts the line. */
static int line_end(vg_csv_t *p) {
  if (p->pos >= p->len)
    return 0;
  if (p->buf[p->pos] == '\r') {
    p->pos += (p->pos + 1 < p->len && p->buf[p->pos + 1] == '\n') ? 2 : 1;
  } else if (p->buf[p->pos] == '\n') {
    p->pos++;
  } else {
    return 0;
  }
  p->line++;
  return 1;
}

/* Skip the rest of a physical line (a malformed record's, a comment). */
static void skip_line(vg_csv_t *p) {
  while (p->pos < p->len && !line_end(p))
    p->pos++;
}

int vg_csv_next(vg_csv_t *p, vg_csv_row_t *r, char *why, size_t whysz) {
  row_clear(r);
  p->partial = 0;
  while (p->comments && p->pos < p->len && p->buf[p->pos] == '#')
    skip_line(p);
  if (p->pos >= p->len)
    return 0;
  r->line = p->line;
  char *tmp = NULL;
  size_t tlen = 0, tcap = 0;
  for (;;) {
    if (p->pos < p->len && p->buf[p->pos] == '"') {
      long open_line = p->line;
      size_t next_line = 0; /* where the line after the quote's begins */
      tlen = 0;
      p->pos++;
      for (;;) {
        if (p->pos >= p->len) {
          snprintf(why, whysz, "a quoted field opened on line %ld is never "
                   "closed", open_line);
          p->partial = 1;
          /* A stray quote would take the rest of the input with it: the
           * record is its own line only, and the reading goes on from
           * the next one. */
          if (next_line) {
            p->pos = next_line;
            p->line = open_line + 1;
          }
          free(tmp);
          return -1;
        }
        char ch = p->buf[p->pos++];
        if (ch == '"') {
          if (p->pos < p->len && p->buf[p->pos] == '"')
            p->pos++;
          else
            break;
        } else if (ch == '\n' || (ch == '\r' && !(p->pos < p->len &&
                                                  p->buf[p->pos] == '\n'))) {
          if (!next_line)
            next_line = p->pos;
          p->line++;
        }
        if (tlen + 1 >= tcap) {
          tcap = tcap ? tcap * 2 : 256;
          tmp = vg_realloc(tmp, tcap);
        }
        tmp[tlen++] = ch;
      }
      row_add(r, tmp ? tmp : "", tlen);
      r->quoted++;
      if (p->pos < p->len && p->buf[p->pos] != ',' &&
          p->buf[p->pos] != '\r' && p->buf[p->pos] != '\n') {
        snprintf(why, whysz, "text after the closing quote of field %zu",
                 r->n);
        skip_line(p);
        free(tmp);
        return -1;
      }
    } else {
      size_t start = p->pos;
      while (p->pos < p->len && p->buf[p->pos] != ',' &&
             p->buf[p->pos] != '\r' && p->buf[p->pos] != '\n') {
        if (p->buf[p->pos] == '"') {
          snprintf(why, whysz, "a quote inside unquoted field %zu (quote "
                   "the whole field and double the quote: \"a \"\"b\"\"\")",
                   r->n + 1);
          skip_line(p);
          free(tmp);
          return -1;
        }
        p->pos++;
      }
      row_add(r, p->buf + start, p->pos - start);
    }
    if (p->pos < p->len && p->buf[p->pos] == ',') {
      p->pos++;
      continue;
    }
    line_end(p);
    break;
  }
  free(tmp);
  return 1;
}

int vg_csv_row_blank(const vg_csv_row_t *r) {
  for (size_t i = 0; i < r->n; i++)
    if (r->f[i][0] != '\0')
      return 0;
  return 1;
}
