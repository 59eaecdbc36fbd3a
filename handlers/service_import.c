/*
 * service_import.c — see catalogue.h, vg_service_import_parse() and
 * vg_service_import_write(): a catalogue file into P:svc:<code>, all rows
 * or none.
 */
#include "handlers/catalogue.h"
#include "gateway/clock.h"
#include "gateway/vg.h"
#include "handlers/oplog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const vg_svc_field_t vg_service_input_fields[] = {
    VG_SVC_F_CODE,           VG_SVC_F_NAME,           VG_SVC_F_PRICE,
    VG_SVC_F_PROVISION_CODE, VG_SVC_F_COMMISSION_FEN, VG_SVC_F_KNOWLEDGE,
    VG_SVC_F_USAGE,          VG_SVC_F_CANCEL};
const size_t vg_service_ninput_fields = VG_ARRAY_SIZE(vg_service_input_fields);

#define COLUMNS                                                              \
  "code, name, price, provision_code, commission_fen, knowledge, usage, "    \
  "cancel"

/* A header cell's field: blanks around dropped, any case; -1 unknown. */
static int header_field(const char *cell) {
  char name[32];
  size_t n = 0;

  while (*cell == ' ')
    cell++;
  for (; *cell && n + 1 < sizeof name; cell++)
    name[n++] = (*cell >= 'A' && *cell <= 'Z') ? (char)(*cell - 'A' + 'a')
                                                : *cell;
  while (n > 0 && name[n - 1] == ' ')
    n--;
  name[n] = '\0';
  for (size_t i = 0; i < vg_service_ninput_fields; i++)
    if (strcmp(vg_service_field_name(vg_service_input_fields[i]), name) == 0)
      return (int)vg_service_input_fields[i];
  return -1;
}

int vg_service_import_parse(const char *buf, size_t len,
                            const vg_import_opts_t *o, vg_service_import_t *out,
                            char *err, size_t errsz) {
  memset(out, 0, sizeof *out);
  vg_csv_t p;
  vg_csv_init(&p, buf, len);
  vg_csv_row_t r = {0};
  char why[512];
  int col[VG_SVC_F_COUNT * 2], ncol = 0, bad = 0;
  size_t cap = 0;
  int rc = 0;

  if (vg_import_header(&p, &r, o, "code,name,price,provision_code,"
                       "commission_fen,...", err, errsz) != 0) {
    rc = VG_EINVAL;
    goto out;
  }
  if (r.n > VG_ARRAY_SIZE(col)) {
    vg_import_bad(o, r.line, "%zu columns; there are %zu", r.n,
                  vg_service_ninput_fields);
    bad++;
  }
  for (size_t i = 0; !bad && i < r.n; i++) {
    int f = header_field(r.f[i]);
    col[ncol++] = f;
    if (f < 0) {
      vg_import_bad(o, r.line, "unknown column '%s' (columns: " COLUMNS ")",
                    r.f[i]);
      bad++;
    } else if (out->have & (1u << f)) {
      vg_import_bad(o, r.line, "column '%s' appears twice", r.f[i]);
      bad++;
    }
    if (f >= 0)
      out->have |= 1u << f;
  }
  for (size_t i = 0; i < vg_service_ninput_fields; i++) {
    vg_svc_field_t f = vg_service_input_fields[i];
    if ((VG_SVC_REQUIRED & (1u << f)) && !(out->have & (1u << f))) {
      vg_import_bad(o, r.line, "missing column '%s'",
                    vg_service_field_name(f));
      bad++;
    }
  }
  if (bad) {
    snprintf(err, errsz, "bad header; nothing imported");
    rc = VG_EINVAL;
    goto out;
  }

  /* Every row checked, every bad one told, before anything is written. */
  int64_t now = vg_now_ms();
  while (vg_import_next_row(&p, &r, (size_t)ncol, o, &out->bad)) {
    if (out->n == cap) {
      cap = cap ? cap * 2 : 64;
      out->svc = vg_realloc(out->svc, cap * sizeof *out->svc);
      out->lines = vg_realloc(out->lines, cap * sizeof *out->lines);
    }
    vg_service_t *s = &out->svc[out->n];
    int row_bad = 0;
    vg_service_init(s);
    for (int k = 0; k < ncol; k++)
      if (vg_service_set_field(s, (vg_svc_field_t)col[k], r.f[k], why,
                               sizeof why) != 0) {
        vg_import_bad(o, r.line, "%s", why);
        row_bad = 1;
      }
    for (size_t k = 0; !row_bad && k < out->n; k++)
      if (strcmp(out->svc[k].code, s->code) == 0) {
        vg_import_bad(o, r.line, "code %s repeats line %ld", s->code,
                      out->lines[k]);
        row_bad = 1;
      }
    if (!row_bad && vg_service_check(s, why, sizeof why) != 0) {
      vg_import_bad(o, r.line, "%s", why);
      row_bad = 1;
    }
    if (row_bad) {
      out->bad++;
      continue;
    }
    s->created_ms = s->updated_ms = now;
    out->lines[out->n++] = r.line;
  }
  if (out->bad) {
    snprintf(err, errsz, "%d bad row%s; nothing imported", out->bad,
             out->bad == 1 ? "" : "s");
    rc = VG_EINVAL;
  }
out:
  vg_csv_row_free(&r);
  return rc;
}

int vg_service_import_write(redisContext *rc, const char *prefix,
                            vg_service_import_t *in, const vg_import_opts_t *o,
                            char *err, size_t errsz) {
  if (in->n == 0)
    return 0;
  int r = vg_service_save(rc, prefix, in->svc, in->n,
                          in->have | VG_SVC_BIT(UPDATED), &in->added, err,
                          errsz);
  if (r == VG_EBUSY) {
    snprintf(err, errsz, "service %s was changed meanwhile by someone else; "
             "nothing written, try again", in->svc[0].code);
    return r;
  }
  if (r != 0)
    return r;
  /* The commission of each row is the rule from today. */
  if (in->have & VG_SVC_BIT(COMMISSION_FEN)) {
    char today[12], why[512];
    int32_t day = (int32_t)atol(vg_clock_day(today, vg_now_ms()));
    for (size_t i = 0; i < in->n; i++)
      if (vg_service_terms(rc, prefix, in->svc[i].code, day,
                           in->svc[i].commission_fen, -1, NULL, why,
                           sizeof why) != 0) {
        snprintf(err, errsz, "cannot record the commission rule of %s: %s",
                 in->svc[i].code, why);
        return VG_EREDIS;
      }
  }
  char detail[4096 + 128];
  snprintf(detail, sizeof detail, "%s: %zu service%s (%zu added, %zu updated)",
           o->file ? o->file : "?", in->n, in->n == 1 ? "" : "s", in->added,
           in->n - in->added);
  if (vg_oplog_write(rc, prefix, o->user, "service.import", detail, err,
                     errsz) != 0)
    in->not_logged = 1;
  return 0;
}

void vg_service_import_free(vg_service_import_t *in) {
  free(in->svc);
  free(in->lines);
  memset(in, 0, sizeof *in);
}
