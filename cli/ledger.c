/*
 * ledger.c — the commission ledger from the operator's side:
 *
 *   settle YYYY-MM [--dry-run] [--report FILE] [--force]
 *   ledger --promoter MSISDN --month YYYY-MM
 *
 * The settlement itself is the business's (handlers/settle.h): the daemon
 * calls the same function on [commission] settlement_day.  Here: the
 * command line, the totals as text or JSON, and the report file.
 */
#include "cli/cli.h"
#include "gateway/clock.h"
#include "gateway/keys.h"
#include "gateway/msisdn.h"
#include "gateway/mt_queue.h"
#include "gateway/vg.h"
#include "handlers/audit.h"
#include "handlers/feed.h"
#include "handlers/ledger_date.h"
#include "handlers/settle.h"
#include "handlers/settlement.h"
#include "handlers/templates.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void print_totals(cli_t *c, const vg_settlement_t *s,
                         const vg_settle_who_t *p, int settled_before,
                         int dry_run) {
  char y[VG_YUAN_TEXT];
  if (c->json) {
    printf("{\"month\":\"%04d-%02d\",\"state\":\"%s\",\"promoters\":[",
           s->month / 100, s->month % 100,
           settled_before ? "settled" : dry_run ? "dry-run" : "settled-now");
    for (size_t i = 0; i < s->nrows; i++) {
      const vg_settle_row_t *r = &s->rows[i];
      printf("%s{\"promoter\":", i ? "," : "");
      vg_cli_json_str(stdout, r->promoter);
      printf(",\"staff_no\":");
      vg_cli_json_str(stdout, p ? p[i].staff : "");
      printf(",\"valid\":%u,\"invalid\":{", r->valid);
      for (int k = 1; k < VG_AUDIT_RULE_END; k++)
        printf("%s\"%s\":%u", k > 1 ? "," : "", vg_audit_rule_name(k),
               r->invalid[k]);
      printf("},\"amount_fen\":%lld}", (long long)r->amount_fen);
    }
    printf("],\"total\":{\"valid\":%u,\"invalid\":{", s->total.valid);
    for (int k = 1; k < VG_AUDIT_RULE_END; k++)
      printf("%s\"%s\":%u", k > 1 ? "," : "", vg_audit_rule_name(k),
             s->total.invalid[k]);
    printf("},\"amount_fen\":%lld}}\n", (long long)s->total.amount_fen);
    return;
  }
  printf("%04d-%02d: %s\n", s->month / 100, s->month % 100,
         settled_before ? "settled before; nothing changed, nothing sent"
         : dry_run      ? "dry run; nothing written, nothing sent"
                        : "settled now; promoters told by SMS");
  printf("  %-15s %-8s %6s %8s %12s\n", "promoter", "staff", "valid",
         "invalid", "amount");
  for (size_t i = 0; i < s->nrows; i++) {
    const vg_settle_row_t *r = &s->rows[i];
    unsigned inv = 0;
    for (int k = 1; k < VG_AUDIT_RULE_END; k++)
      inv += r->invalid[k];
    vg_fen_to_yuan(r->amount_fen, y, sizeof y);
    printf("  %-15s %-8s %6u %8u %12s\n", r->promoter, p ? p[i].staff : "",
           r->valid, inv, y);
  }
  vg_fen_to_yuan(s->total.amount_fen, y, sizeof y);
  printf("  total: %u valid, %s yuan; invalid:", s->total.valid, y);
  for (int k = 1; k < VG_AUDIT_RULE_END; k++)
    printf(" %s %u", vg_audit_rule_name(k), s->total.invalid[k]);
  printf("\n");
}

static int write_report(const char *path, const char *csv) {
  FILE *out = fopen(path, "w");
  if (out == NULL)
    return vg_cli_fail("%s: cannot write the report", path);
  fputs(csv, out);
  if (fclose(out) != 0)
    return vg_cli_fail("%s: cannot write the report", path);
  return 0;
}

static void warn(void *data, const char *msg) {
  (void)data;
  fprintf(stderr, "vasgw: warning: %s\n", msg);
}

static int settle(cli_t *c, int32_t month, int dry_run, const char *report,
                  int force) {
  char err[1024];
  vg_templates_t *t = vg_templates_load(c->cfg.templates, c->cfg.locale, err,
                                        sizeof err);
  if (t == NULL)
    return vg_cli_fail("%s", err);
  if (vg_cli_connect(c)) {
    vg_templates_free(t);
    return 1;
  }
  vg_settle_opts_t o = {.dry_run = dry_run, .force = force, .warn = warn};
  vg_settle_result_t res;
  int rc = vg_settle_month(c->rc, &c->cfg, t, month, &o, &res, err, sizeof err);
  vg_templates_free(t);
  if (rc == VG_EINVAL && strstr(err, "has not begun") == NULL &&
      strstr(err, "is not over") == NULL)
    return vg_cli_fail("settle: %s", err);
  if (rc == VG_EINVAL)
    return vg_cli_usage_error("settle: %s", err);
  if (rc != 0)
    return vg_cli_fail("settle: %s", err);
  print_totals(c, &res.s, res.who, res.state == VG_SETTLED_BEFORE,
               res.state == VG_SETTLE_DRY_RUN);
  if (report)
    rc = write_report(report, res.csv);
  vg_settle_result_free(&res);
  return rc;
}

static int ledger(cli_t *c, const char *promoter, int32_t month) {
  char m[VG_MSISDN_MAX];
  if (vg_msisdn_normalize(promoter, c->cfg.country_code, m, NULL) != 0)
    return vg_cli_usage_error("ledger: '%s' is not a promoter number",
                              promoter);
  if (vg_cli_connect(c))
    return 1;
  char key[VG_KEY_MAX];
  redisReply *ids = redisCommand(
      c->rc, "ZRANGE %s 0 -1", vg_key(key, c->cfg.prefix, VG_K_DEVS_PROMOTER, m));
  if (ids == NULL || ids->type != REDIS_REPLY_ARRAY) {
    freeReplyObject(ids);
    return vg_cli_fail("Redis: cannot read the ledger");
  }
  size_t n = 0;
  char err[256];
  vg_dev_t *devs = vg_devs_load(c->rc, c->cfg.prefix, ids, &n, err, sizeof err);
  freeReplyObject(ids);
  if (devs == NULL)
    return vg_cli_fail("%s", err);
  qsort(devs, n, sizeof *devs, vg_dev_cmp);
  long long total = 0, valid = 0;
  size_t shown = 0;
  if (c->json)
    printf("[");
  else
    printf("%-10s %-15s %-8s %10s  %s\n", "activated", "subscriber",
           "service", "amount", "state");
  for (size_t i = 0; i < n; i++) {
    const vg_dev_t *d = &devs[i];
    if (vg_date_month(d->activated) != month)
      continue;
    char date[VG_DATE_TEXT], y[VG_YUAN_TEXT], st[48];
    vg_date_format(d->activated, date);
    vg_fen_to_yuan(d->amount_fen, y, sizeof y);
    snprintf(st, sizeof st, "%s%s%s",
             d->state == VG_DEV_VALID     ? "valid"
             : d->state == VG_DEV_INVALID ? "invalid:"
                                          : "pending",
             "", d->state == VG_DEV_INVALID ? vg_audit_rule_name(d->rule) : "");
    total += d->amount_fen;
    if (d->state == VG_DEV_VALID)
      valid += d->amount_fen;
    if (c->json) {
      printf("%s{\"order\":", shown ? "," : "");
      vg_cli_json_str(stdout, d->id);
      printf(",\"subscriber\":");
      vg_cli_json_str(stdout, d->msisdn);
      printf(",\"service\":");
      vg_cli_json_str(stdout, d->service);
      printf(",\"activated\":\"%s\",\"amount_fen\":%lld,\"state\":", date,
             (long long)d->amount_fen);
      vg_cli_json_str(stdout, st);
      printf("}");
    } else {
      printf("%-10s %-15s %-8s %10s  %s\n", date, d->msisdn, d->service, y,
             st);
    }
    shown++;
  }
  if (c->json)
    printf("]\n");
  else {
    char a[VG_YUAN_TEXT], b[VG_YUAN_TEXT];
    vg_fen_to_yuan(total, a, sizeof a);
    vg_fen_to_yuan(valid, b, sizeof b);
    printf("%zu developments, %s yuan credited, %s yuan valid\n", shown, a, b);
  }
  free(devs);
  return 0;
}

int vg_cli_settle(cli_t *c, int nw, const char **w) {
  int dry_run = 0, force = 0;
  const char *report = NULL, *month = NULL;
  for (int i = 1; i < nw; i++) {
    if (strcmp(w[i], "--dry-run") == 0)
      dry_run = 1;
    else if (strcmp(w[i], "--force") == 0)
      force = 1;
    else if (strcmp(w[i], "--report") == 0 && i + 1 < nw)
      report = w[++i];
    else if (w[i][0] == '-' || month)
      return vg_cli_usage_error("settle: unexpected '%s'", w[i]);
    else
      month = w[i];
  }
  int32_t m;
  if (month == NULL || vg_month_parse(month, &m) != 0)
    return vg_cli_usage_error(
        "usage: settle YYYY-MM [--dry-run] [--report FILE] [--force]");
  return settle(c, m, dry_run, report, force);
}

int vg_cli_ledger(cli_t *c, int nw, const char **w) {
  const char *promoter = NULL, *month = NULL;
  for (int i = 1; i < nw; i++) {
    if (strcmp(w[i], "--promoter") == 0 && i + 1 < nw)
      promoter = w[++i];
    else if (strcmp(w[i], "--month") == 0 && i + 1 < nw)
      month = w[++i];
    else
      return vg_cli_usage_error("ledger: unexpected '%s'", w[i]);
  }
  int32_t m;
  if (promoter == NULL || month == NULL || vg_month_parse(month, &m) != 0)
    return vg_cli_usage_error(
        "usage: ledger --promoter MSISDN --month YYYY-MM");
  return ledger(c, promoter, m);
}
