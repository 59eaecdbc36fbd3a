/*
 * promoter_import.c — see promoters.h, vg_promoter_import_parse() and
 * vg_promoter_import_write(): promoters onboarded in bulk by the operator.
 */
#include "handlers/promoters.h"
#include "gateway/redis_sync.h"
#include "gateway/vg.h"
#include "handlers/lua/functions.h"
#include "handlers/oplog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Promoters per promoter_import call: one call stays short. */
#define IMPORT_BATCH 200

enum { COL_MSISDN, COL_NAME, COL_OUTLET, NCOLS };
static const char *const col_names[NCOLS] = {"msisdn", "name", "outlet"};

/* Blanks around a cell dropped in place (spreadsheets pad them). */
static char *trim(char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    s[--n] = '\0';
  return s;
}

/* A header cell's column: trimmed, any case; -1 when unknown. */
static int header_col(char *cell) {
  cell = trim(cell);
  for (int k = 0; k < NCOLS; k++)
    if (strcasecmp(cell, col_names[k]) == 0)
      return k;
  return -1;
}

/* Check one data row into `out`; 0, or 1 after telling every fault. */
static int check_row(const vg_config_t *cfg, const vg_import_opts_t *o,
                     const vg_csv_row_t *r, const int *col,
                     const vg_promoter_row_t *rows, size_t n,
                     vg_promoter_row_t *out) {
  const char *cell[NCOLS] = {NULL, NULL, ""};
  char why[256];
  const char *mwhy = NULL;
  int bad = 0;

  memset(out, 0, sizeof *out);
  for (size_t k = 0; k < r->n; k++)
    cell[col[k]] = trim(r->f[k]);
  if (vg_msisdn_normalize(cell[COL_MSISDN], cfg->country_code, out->msisdn,
                          &mwhy) != 0) {
    vg_import_bad(o, r->line, "malformed number '%s': %s", cell[COL_MSISDN],
                  mwhy);
    bad = 1;
  } else if (!vg_promoter_in_segments(out->msisdn, cfg->country_code,
                                      cfg->number_segments)) {
    vg_import_bad(o, r->line,
                  "number %s is not in the promoter number segments "
                  "([promoters] number_segments)",
                  out->msisdn);
    bad = 1;
  } else {
    for (size_t i = 0; i < n; i++)
      if (strcmp(rows[i].msisdn, out->msisdn) == 0) {
        vg_import_bad(o, r->line, "number %s repeats line %ld", out->msisdn,
                      rows[i].line);
        bad = 1;
        break;
      }
  }
  if (vg_promoter_check_name(cell[COL_NAME], why, sizeof why) != 0) {
    vg_import_bad(o, r->line, "%s", why);
    bad = 1;
  }
  if (vg_promoter_check_outlet(cell[COL_OUTLET], why, sizeof why) != 0) {
    vg_import_bad(o, r->line, "%s", why);
    bad = 1;
  }
  if (bad)
    return 1;
  out->name = vg_strdup(cell[COL_NAME]);
  out->outlet = vg_strdup(cell[COL_OUTLET]);
  out->line = r->line;
  return 0;
}

int vg_promoter_import_parse(const vg_config_t *cfg, const char *buf,
                             size_t len, const vg_import_opts_t *o,
                             vg_promoter_import_t *out, char *err,
                             size_t errsz) {
  memset(out, 0, sizeof *out);
  vg_csv_t p;
  vg_csv_row_t r = {0};
  int col[NCOLS], ncol = 0, bad = 0;
  unsigned have = 0;
  size_t cap = 0;
  int rc = 0;

  vg_csv_init(&p, buf, len);
  if (vg_import_header(&p, &r, o, "msisdn,name,outlet", err, errsz) != 0) {
    rc = VG_EINVAL;
    goto out;
  }
  for (size_t i = 0; i < r.n; i++) {
    int k = header_col(r.f[i]);
    if (k < 0) {
      vg_import_bad(o, r.line,
                    "unknown column '%s' (columns: msisdn, name, outlet)",
                    r.f[i]);
      bad++;
    } else if (have & (1u << k)) {
      vg_import_bad(o, r.line, "column '%s' appears twice", col_names[k]);
      bad++;
    } else if (ncol < NCOLS) {
      col[ncol++] = k;
      have |= 1u << k;
    }
  }
  for (int k = COL_MSISDN; k <= COL_NAME; k++)
    if (!(have & (1u << k))) {
      vg_import_bad(o, r.line, "missing column '%s'", col_names[k]);
      bad++;
    }
  if (bad) {
    snprintf(err, errsz, "bad header; nothing imported");
    rc = VG_EINVAL;
    goto out;
  }
  /* Every row checked, every bad one told, before anything is written. */
  while (vg_import_next_row(&p, &r, (size_t)ncol, o, &out->bad)) {
    if (out->n == cap) {
      cap = cap ? cap * 2 : 64;
      out->rows = vg_realloc(out->rows, cap * sizeof *out->rows);
    }
    if (check_row(cfg, o, &r, col, out->rows, out->n, &out->rows[out->n]))
      out->bad++;
    else
      out->n++;
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

int vg_promoter_import_write(redisContext *rc, const vg_config_t *cfg,
                             const char *approved_text,
                             vg_promoter_import_t *in,
                             const vg_import_opts_t *o, char *err,
                             size_t errsz) {
  long long now = vg_now_ms();
  vg_fcall_t call = VG_FCALL_INIT;
  size_t n = in->n;
  int ret = 0;

  for (size_t done = 0; done < n;) {
    size_t k = n - done < IMPORT_BATCH ? n - done : IMPORT_BATCH;
    vg_fn_promoter_import_t a = {.prefix = cfg->prefix,
                                 .now = now,
                                 .msg_ttl = (long long)cfg->msg_ttl_days * 86400,
                                 .template = approved_text,
                                 .ussd_code = cfg->ussd_service_code};
    vg_fn_promoter_import(&call, &a);
    for (size_t i = done; i < done + k; i++) {
      vg_fn_promoter_import_promoters_t g = {.msisdn = in->rows[i].msisdn,
                                             .name = in->rows[i].name,
                                             .outlet = in->rows[i].outlet};
      vg_fn_promoter_import_promoters(&call, &g);
    }
    char why[512];
    redisReply *r = vg_redis_sync_fcall(rc, &call, why, sizeof why);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != k) {
      snprintf(err, errsz,
               "%s; %zu of %zu promoters written before the failure; "
               "importing the file again is safe",
               r ? "promoter_import: unexpected reply" : why, done, n);
      freeReplyObject(r);
      in->written = done;
      ret = VG_EREDIS;
      break;
    }
    for (size_t i = 0; i < k; i++) {
      redisReply *e = r->element[i];
      int ok = e->type == REDIS_REPLY_ARRAY && e->elements >= 3;
      vg_promoter_row_t *row = &in->rows[done + i];
      row->created = ok && e->element[0]->integer == 1;
      snprintf(row->staff, sizeof row->staff, "%s",
               ok && e->element[2]->str ? e->element[2]->str : "");
      in->added += (size_t)row->created;
    }
    freeReplyObject(r);
    done += k;
  }
  vg_fcall_free(&call);
  if (ret == 0 && in->added > 0) {
    char detail[4096 + 128];
    snprintf(detail, sizeof detail,
             "%s: %zu promoter%s (%zu added, %zu already registered)",
             o->file ? o->file : "?", n, n == 1 ? "" : "s", in->added,
             n - in->added);
    if (vg_oplog_write(rc, cfg->prefix, o->user, "promoter.import", detail,
                       err, errsz) != 0)
      in->not_logged = 1;
  }
  return ret;
}

void vg_promoter_import_free(vg_promoter_import_t *in) {
  for (size_t i = 0; i < in->n; i++) {
    free(in->rows[i].name);
    free(in->rows[i].outlet);
  }
  free(in->rows);
  memset(in, 0, sizeof *in);
}
