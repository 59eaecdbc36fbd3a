/*
 * segment.c — `vasgw segment ...`: the number segments and their regions
 * (handlers/segments.h).
 *
 *   segment import FILE.csv     rows prefix,region[,city]; replaces the table
 *   segment list
 *   segment show MSISDN         the longest matching prefix, or none
 *
 * An import is checked whole (each bad row, and each prefix given twice,
 * told as FILE:LINE) and refused whole; a good one replaces P:segments in
 * one step, so a campaign choosing its audience never sees half a table.
 *
 * Exit status (cli.h): 0 done, also for a number in no segment; 1 a
 * runtime failure (Redis, a file with bad rows); 2 a usage error or a
 * malformed number.
 */
#include "cli/cli.h"
#include "gateway/msisdn.h"
#include "gateway/vg.h"
#include "handlers/segments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *path;
  vg_segments_t *s;
} import_t;

static int import_row(void *data, size_t nth, const vg_csv_row_t *r) {
  import_t *im = data;
  char why[256];
  if (nth == 0 && vg_segments_is_header(r))
    return 0;
  if (vg_segments_add_row(im->s, r, why, sizeof why) != 0) {
    vg_cli_bad_row(im->path, r->line, "%s", why);
    return 1;
  }
  return 0;
}

static void dup_row(void *data, const char *prefix, long first, long line) {
  vg_cli_bad_row(data, line, "prefix %s given twice (first on line %ld)",
                 prefix, first);
}

int vg_cli_segment_import(cli_t *c, int nw, const char **words) {
  char err[512], abs[4096];
  if (nw != 3 || strncmp(words[2], "--", 2) == 0)
    return vg_cli_usage_error("usage: segment import FILE.csv");
  import_t im = {.path = words[2], .s = vg_segments_new()};
  int rc = 0, bad = vg_cli_each_record(im.path, import_row, &im);
  if (bad >= 0)
    bad += (int)vg_segments_sort(im.s, dup_row, (void *)im.path);
  if (bad < 0) {
    rc = 1;
  } else if (bad > 0) {
    rc = vg_cli_fail("%s: %d bad row%s; nothing imported", im.path, bad,
                     bad == 1 ? "" : "s");
  } else if (vg_segments_count(im.s) == 0) {
    rc = vg_cli_fail("%s: no segments; nothing imported", im.path);
  } else if (vg_cli_connect(c)) {
    rc = 1;
  } else if (vg_segments_store(c->rc, c->cfg.prefix, im.s, err,
                               sizeof err) != 0) {
    rc = vg_cli_fail("%s: %s; the table is as it was", im.path, err);
  } else {
    size_t n = vg_segments_count(im.s);
    if (c->json) {
      printf("{\"file\":");
      vg_cli_json_str(stdout, im.path);
      printf(",\"segments\":%zu}\n", n);
    } else {
      printf("%s: %zu segment%s; the table replaced\n", im.path, n,
             n == 1 ? "" : "s");
    }
    rc = vg_cli_audit(c, "segment.import", "%s: %zu segments",
                      vg_cli_abspath(im.path, abs, sizeof abs), n);
  }
  vg_segments_free(im.s);
  return rc;
}

/* One segment: a JSON object, or aligned columns. */
static void print_segment(const cli_t *c, const vg_segment_t *g, size_t wr) {
  if (c->json) {
    printf("{\"prefix\":\"%s\",\"region\":", g->prefix);
    vg_cli_json_str(stdout, g->region);
    printf(",\"city\":");
    vg_cli_json_str(stdout, g->city);
    printf("}");
    return;
  }
  vg_cli_cell(g->prefix, VG_SEGMENT_PREFIX_MAX, 0, "  ");
  vg_cli_cell(g->region, wr, 0, "  ");
  vg_cli_cell(*g->city ? g->city : "-", 0, 0, "\n");
}

/* The table, loaded: 0, or 1 (told). */
static int load(cli_t *c, vg_segments_t **s) {
  char err[512];
  if (vg_cli_connect(c))
    return 1;
  if (vg_segments_load(c->rc, c->cfg.prefix, s, err, sizeof err) != 0)
    return vg_cli_fail("%s", err);
  return 0;
}

int vg_cli_segment_list(cli_t *c, int nw, const char **words) {
  vg_segments_t *s;
  (void)words;
  if (nw != 2)
    return vg_cli_usage_error("usage: segment list");
  if (load(c, &s))
    return 1;
  size_t n = vg_segments_count(s), wr = strlen("REGION");
  for (size_t i = 0; i < n; i++)
    if (vg_cli_width(vg_segments_at(s, i)->region) > wr)
      wr = vg_cli_width(vg_segments_at(s, i)->region);
  if (c->json) {
    printf("[");
  } else {
    vg_cli_cell("PREFIX", VG_SEGMENT_PREFIX_MAX, 0, "  ");
    vg_cli_cell("REGION", wr, 0, "  ");
    vg_cli_cell("CITY", 0, 0, "\n");
  }
  for (size_t i = 0; i < n; i++) {
    if (c->json && i)
      printf(",");
    print_segment(c, vg_segments_at(s, i), wr);
  }
  if (c->json)
    printf("]\n");
  else
    printf("%zu segment%s\n", n, n == 1 ? "" : "s");
  vg_segments_free(s);
  return 0;
}

int vg_cli_segment_show(cli_t *c, int nw, const char **words) {
  char m[VG_MSISDN_MAX];
  const char *why = NULL;
  vg_segments_t *s;

  if (nw != 3 || strncmp(words[2], "--", 2) == 0)
    return vg_cli_usage_error("usage: segment show MSISDN");
  if (vg_msisdn_normalize(words[2], c->cfg.country_code, m, &why) != 0)
    return vg_cli_refuse("segment show", "malformed number '%s': %s",
                         words[2], why);
  if (load(c, &s))
    return 1;
  const vg_segment_t *g = vg_segments_find(s, m, c->cfg.country_code);
  if (c->json) {
    printf("{\"msisdn\":\"%s\",\"segment\":", m);
    if (g)
      print_segment(c, g, 0);
    else
      printf("null");
    printf("}\n");
  } else if (g == NULL) {
    printf("%s  no segment\n", m);
  } else {
    printf("%s  segment %s  %s%s%s\n", m, g->prefix, g->region,
           *g->city ? "  " : "", g->city);
  }
  vg_segments_free(s);
  return 0;
}
