/*
 * cli_ledger.c — the commission ledger from the operator's side:
 *
 *   settle YYYY-MM [--dry-run] [--report FILE] [--force]
 *   ledger --promoter MSISDN --month YYYY-MM
 *
 * Settlement decides every pending development of a month with the audit
 * rules (handlers/audit.h) over the developments and the operator's feed
 * of facts in Redis, counts the month (handlers/settlement.h), and then, in
 * one MULTI/EXEC: each development's state, the promoters' monthly
 * counters, the month's record with its totals and CSV report, and an SMS
 * to each promoter.  A settled month never changes: settling it again
 * reports the same totals and sends nothing.  The daemon runs this same
 * command on [commission] settlement_day for the month before.
 */
#include "gateway/cli.h"
#include "gateway/clock.h"
#include "gateway/keys.h"
#include "gateway/msisdn.h"
#include "gateway/mt_queue.h"
#include "gateway/lua/functions.h"
#include "gateway/redis_sync.h"
#include "gateway/vg.h"
#include "handlers/audit.h"
#include "handlers/feed.h"
#include "handlers/ledger_date.h"
#include "handlers/settlement.h"
#include "handlers/templates.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A development from its hash. */
static void dev_from(vg_dev_t *d, const redisReply *h) {
  memset(d, 0, sizeof *d);
  snprintf(d->id, sizeof d->id, "%s", vg_cli_str(h, "id"));
  snprintf(d->promoter, sizeof d->promoter, "%s", vg_cli_str(h, "promoter"));
  snprintf(d->msisdn, sizeof d->msisdn, "%s", vg_cli_str(h, "msisdn"));
  snprintf(d->service, sizeof d->service, "%s", vg_cli_str(h, "service"));
  d->activated = (int32_t)atol(vg_cli_str(h, "activated"));
  d->amount_fen = atoll(vg_cli_str(h, "amount_fen"));
  const char *st = vg_cli_str(h, "state");
  d->state = strcmp(st, "valid") == 0     ? VG_DEV_VALID
             : strcmp(st, "invalid") == 0 ? VG_DEV_INVALID
                                          : VG_DEV_PENDING;
  d->rule = VG_AUDIT_OK;
  if (d->state == VG_DEV_INVALID && vg_audit_rule_parse(vg_cli_str(h, "rule"), &d->rule))
    d->rule = VG_AUDIT_OK;
}

/* Every development whose id is in `ids` (a reply of ids), pipelined. */
static vg_dev_t *load_devs(cli_t *c, const redisReply *ids, size_t *n) {
  *n = 0;
  vg_dev_t *devs = vg_calloc(ids->elements ? ids->elements : 1, sizeof *devs);
  for (size_t i = 0; i < ids->elements; i++)
    redisAppendCommand(c->rc, "HGETALL %s:dev:%s", c->cfg.prefix,
                       ids->element[i]->str);
  for (size_t i = 0; i < ids->elements; i++) {
    redisReply *h = NULL;
    if (redisGetReply(c->rc, (void **)&h) != REDIS_OK) {
      vg_cli_fail("Redis: %s", c->rc->errstr);
      free(devs);
      return NULL;
    }
    if (h->type == REDIS_REPLY_ARRAY && h->elements)
      dev_from(&devs[(*n)++], h);
    freeReplyObject(h);
  }
  return devs;
}

/* The audit windows of a service: its `audit_windows` field, or defaults. */
static void windows_of(cli_t *c, const char *svc, vg_audit_windows_t *w) {
  vg_audit_windows_default(w);
  redisReply *r = redisCommand(c->rc, "HGET %s:svc:%s audit_windows",
                               c->cfg.prefix, svc);
  char why[128];
  if (r && r->type == REDIS_REPLY_STRING && *r->str &&
      vg_audit_windows_parse(r->str, w, why, sizeof why) != 0) {
    fprintf(stderr, "vasgw: warning: service %s: audit_windows: %s; using "
                    "the defaults\n", svc, why);
    vg_audit_windows_default(w);
  }
  freeReplyObject(r);
}

static int cmp_id(const void *a, const void *b) {
  return strcmp((*(const vg_dev_t *const *)a)->id,
                (*(const vg_dev_t *const *)b)->id);
}

static int cmp_id_key(const void *key, const void *b) {
  return strcmp(key, (*(const vg_dev_t *const *)b)->id);
}

/* Decide the pending developments of the month, in place. */
static int audit_month(cli_t *c, vg_dev_t *devs, size_t n, int32_t month) {
  /* The month's developments by id, for the answers decided in this run. */
  const vg_dev_t **by_id = vg_calloc(n ? n : 1, sizeof *by_id);
  for (size_t i = 0; i < n; i++)
    by_id[i] = &devs[i];
  qsort(by_id, n, sizeof *by_id, cmp_id);
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    vg_dev_t *d = &devs[i];
    if (d->state != VG_DEV_PENDING || vg_date_month(d->activated) != month)
      continue;
    /* The subscriber's whole history (the rules look back 6 months), with
     * the answers decided so far in this run put in. */
    redisReply *ids = redisCommand(c->rc, "ZRANGE %s:devs:sub:{%s} 0 -1",
                                   c->cfg.prefix, d->msisdn);
    if (ids == NULL || ids->type != REDIS_REPLY_ARRAY) {
      freeReplyObject(ids);
      rc = vg_cli_fail("Redis: cannot read %s's developments", d->msisdn);
      break;
    }
    size_t no = 0;
    vg_dev_t *others = load_devs(c, ids, &no);
    freeReplyObject(ids);
    if (others == NULL) {
      rc = 1;
      break;
    }
    for (size_t k = 0; k < no; k++) {
      const vg_dev_t *const *hit =
          bsearch(others[k].id, by_id, n, sizeof *by_id, cmp_id_key);
      if (hit)
        others[k] = **hit;
    }
    size_t nf = 0;
    vg_fact_t *facts = NULL;
    if (vg_feed_load(c->rc, c->cfg.prefix, d->msisdn, &facts, &nf) != 0) {
      free(others);
      rc = vg_cli_fail("Redis: cannot read the facts of %s", d->msisdn);
      break;
    }
    vg_audit_windows_t w;
    windows_of(c, d->service, &w);
    int rule = vg_audit(d, others, no, facts, nf, &w);
    free(others);
    free(facts);
    if (rule < 0) {
      rc = vg_cli_fail("development %s: cannot be audited (activated %d)",
                       d->id, (int)d->activated);
      break;
    }
    d->state = rule == VG_AUDIT_OK ? VG_DEV_VALID : VG_DEV_INVALID;
    d->rule = rule;
  }
  free(by_id);
  return rc;
}

/* Promoter records for the report and the SMS. */
typedef struct {
  char msisdn[VG_MSISDN_MAX], staff[16], name[96], outlet[128];
} prom_rec_t;

static void print_totals(cli_t *c, const vg_settlement_t *s,
                         const prom_rec_t *p, int settled_before,
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

static int settle(cli_t *c, int32_t month, int dry_run, const char *report,
                  int force) {
  const char *P = c->cfg.prefix;
  char today[12];
  vg_clock_day(today, vg_now_ms());
  int32_t this_month = vg_date_month((int32_t)atol(today));
  if (month > this_month)
    return vg_cli_usage_error("settle: %04d-%02d has not begun", month / 100,
                              month % 100);
  if (month == this_month && !force)
    return vg_cli_usage_error("settle: %04d-%02d is not over (its "
                              "developments may still come); --force to "
                              "settle it anyway",
                              month / 100, month % 100);
  if (vg_cli_connect(c))
    return 1;
  char key[VG_KEY_MAX];
  snprintf(key, sizeof key, "%s:settle:%06d", P, (int)month);
  /* One settlement of a month at a time, whichever node or operator. */
  redisReply *lock = NULL;
  if (!dry_run) {
    char holder[128], host[64] = "?";
    gethostname(host, sizeof host);
    snprintf(holder, sizeof holder, "%s:%d", host, (int)getpid());
    lock = redisCommand(c->rc, "SET %s:lock %s NX EX 3600", key, holder);
    if (lock == NULL || lock->type != REDIS_REPLY_STATUS) {
      freeReplyObject(lock);
      return vg_cli_fail("settle: %04d-%02d is being settled elsewhere",
                         month / 100, month % 100);
    }
    freeReplyObject(lock);
  }
  int rc = 0;
  /* Watched from before it is read: should the month be settled by anyone
   * else meanwhile (a lock that expired), our EXEC writes nothing. */
  if (!dry_run)
    freeReplyObject(redisCommand(c->rc, "WATCH %s", key));
  redisReply *done = redisCommand(c->rc, "HGET %s state", key);
  int settled_before = done && done->type == REDIS_REPLY_STRING &&
                       strcmp(done->str, "done") == 0;
  freeReplyObject(done);
  redisReply *ids = redisCommand(c->rc, "ZRANGE %s:devs:month:%06d 0 -1", P,
                                 (int)month);
  size_t n = 0;
  vg_dev_t *devs = ids && ids->type == REDIS_REPLY_ARRAY
                       ? load_devs(c, ids, &n)
                       : NULL;
  freeReplyObject(ids);
  if (devs == NULL) {
    rc = vg_cli_fail("Redis: cannot read the developments of %06d",
                     (int)month);
    goto out;
  }
  qsort(devs, n, sizeof *devs, vg_dev_cmp);
  if (!settled_before && (rc = audit_month(c, devs, n, month)) != 0)
    goto out_devs;
  vg_settle_row_t *rows = vg_calloc(n ? n : 1, sizeof *rows);
  vg_settlement_t s;
  vg_settlement_init(&s, month, rows, n ? n : 1);
  char why[256];
  for (size_t i = 0; i < n; i++)
    if (devs[i].state != VG_DEV_PENDING &&
        vg_settlement_add(&s, &devs[i], why, sizeof why) != 0) {
      rc = vg_cli_fail("settle: %s", why);
      goto out_rows;
    }
  /* The promoters' records, row by row. */
  prom_rec_t *pr = vg_calloc(s.nrows ? s.nrows : 1, sizeof *pr);
  vg_settle_promoter_t *sp = vg_calloc(s.nrows ? s.nrows : 1, sizeof *sp);
  for (size_t i = 0; i < s.nrows; i++) {
    redisReply *h = redisCommand(c->rc, "HGETALL %s:promoter:%s", P,
                                 s.rows[i].promoter);
    snprintf(pr[i].msisdn, sizeof pr[i].msisdn, "%s", s.rows[i].promoter);
    snprintf(pr[i].staff, sizeof pr[i].staff, "%s", vg_cli_str(h, "staff_no"));
    snprintf(pr[i].name, sizeof pr[i].name, "%s", vg_cli_str(h, "name"));
    snprintf(pr[i].outlet, sizeof pr[i].outlet, "%s", vg_cli_str(h, "outlet"));
    freeReplyObject(h);
    sp[i] = (vg_settle_promoter_t){pr[i].msisdn, pr[i].staff, pr[i].name,
                                   pr[i].outlet};
  }
  char *csv = NULL;
  size_t csvlen = 0;
  FILE *mem = open_memstream(&csv, &csvlen);
  vg_settlement_write_csv(&s, sp, s.nrows, mem);
  fclose(mem);
  if (settled_before) {
    /* The stored report is the settled one; totals are recounted from the
     * developments' stored states, which never change once settled. */
    redisReply *stored = redisCommand(c->rc, "HGET %s csv", key);
    if (stored && stored->type == REDIS_REPLY_STRING) {
      free(csv);
      csv = vg_strdup(stored->str);
    }
    freeReplyObject(stored);
  } else if (!dry_run) {
    vg_templates_t *t = vg_templates_load(c->cfg.templates, c->cfg.locale, why,
                                          sizeof why);
    if (t == NULL) {
      rc = vg_cli_fail("%s", why);
      goto out_csv;
    }
    char now[24], monthtxt[16], ym[8];
    snprintf(now, sizeof now, "%lld", (long long)vg_now_ms());
    snprintf(monthtxt, sizeof monthtxt, "%04d-%02d", month / 100, month % 100);
    snprintf(ym, sizeof ym, "%06d", (int)month);
    redisAppendCommand(c->rc, "MULTI");
    int cmds = 1;
    for (size_t i = 0; i < n; i++) {
      vg_dev_t *d = &devs[i];
      if (vg_date_month(d->activated) != month)
        continue;
      int valid = d->state == VG_DEV_VALID;
      redisAppendCommand(c->rc, "HSET %s:dev:%s state %s rule %s settled %s",
                         P, d->id, valid ? "valid" : "invalid",
                         valid ? "" : vg_audit_rule_name(d->rule), ym);
      char ck[VG_KEY_MAX];
      snprintf(ck, sizeof ck, "%s:promoter:%s:month:%s", P, d->promoter, ym);
      redisAppendCommand(c->rc, "HINCRBY %s %s 1", ck,
                         valid ? "valid" : "invalid");
      redisAppendCommand(c->rc, "HINCRBY %s pending_fen %lld", ck,
                         -(long long)d->amount_fen);
      cmds += 3;
      if (valid) {
        redisAppendCommand(c->rc, "HINCRBY %s settled_fen %lld", ck,
                           (long long)d->amount_fen);
        cmds++;
      }
    }
    /* Each promoter's SMS: one message id per month and promoter. */
    for (size_t i = 0; i < s.nrows; i++) {
      const vg_settle_row_t *r = &s.rows[i];
      unsigned inv = 0;
      for (int k = 1; k < VG_AUDIT_RULE_END; k++)
        inv += r->invalid[k];
      char valid[16], invalid[16], amount[VG_YUAN_TEXT], id[64];
      snprintf(valid, sizeof valid, "%u", r->valid);
      snprintf(invalid, sizeof invalid, "%u", inv);
      vg_fen_to_yuan(r->amount_fen, amount, sizeof amount);
      vg_tpl_var_t v[] = {{"staff_no", pr[i].staff}, {"month", monthtxt},
                          {"valid", valid},          {"invalid", invalid},
                          {"amount", amount}};
      char *text = vg_templates_render(t, VG_TPL_SETTLED, v, 5);
      snprintf(id, sizeof id, "st-%s-%s", ym, r->promoter);
      vg_mt_batch_t b;
      vg_mt_batch_init(&b, P, c->cfg.msg_ttl_days * 86400, 1);
      vg_mt_t m = {.id = id, .to = r->promoter, .text = text, .src = "",
                   .ussd_service_op = -1, .its_hex = "", .origin = "settlement"};
      vg_mt_batch_add(&b, &m);
      vg_redis_sync_append(c->rc, &b.call);
      cmds++;
      vg_mt_batch_free(&b);
      free(text);
    }
    char valid[16], amount[32];
    snprintf(valid, sizeof valid, "%u", s.total.valid);
    snprintf(amount, sizeof amount, "%lld", (long long)s.total.amount_fen);
    const char *argv[] = {"HSET", key,   "state",      "done",
                          "settled_at", now, "valid",  valid,
                          "amount_fen", amount, "csv", csv};
    redisAppendCommandArgv(c->rc, 12, argv, NULL);
    redisAppendCommand(c->rc, "EXEC");
    cmds += 2;
    for (int k = 0; k < cmds; k++) {
      redisReply *r = NULL;
      if (redisGetReply(c->rc, (void **)&r) != REDIS_OK) {
        rc = vg_cli_fail("Redis: %s (the month may be half written: run "
                         "settle again)", c->rc->errstr);
        break;
      }
      if (k == cmds - 1) {
        if (r->type != REDIS_REPLY_ARRAY)
          rc = vg_cli_fail("settle: %04d-%02d was settled meanwhile; "
                           "nothing written",
                           month / 100, month % 100);
        else
          for (size_t e = 0; e < r->elements; e++)
            if (r->element[e]->type == REDIS_REPLY_ERROR && rc == 0)
              rc = vg_cli_fail("settle: a write failed (%s); the month is "
                               "recorded, check it with vasgw ledger",
                               r->element[e]->str);
      }
      freeReplyObject(r);
    }
    vg_templates_free(t);
    if (rc == 0)
      rc = vg_cli_audit(c, "settle", "%s: %u valid, %lld fen, %zu promoters",
                        monthtxt, s.total.valid,
                        (long long)s.total.amount_fen, s.nrows);
  }
  if (rc == 0) {
    print_totals(c, &s, pr, settled_before, dry_run);
    if (report)
      rc = write_report(report, csv);
  }
out_csv:
  free(csv);
  free(pr);
  free(sp);
out_rows:
  free(rows);
out_devs:
  free(devs);
out:
  if (!dry_run) {
    /* Ours only: a lock that expired may be someone else's by now. */
    char holder[128], host[64] = "?", lk[VG_KEY_MAX + 8];
    gethostname(host, sizeof host);
    snprintf(holder, sizeof holder, "%s:%d", host, (int)getpid());
    snprintf(lk, sizeof lk, "settle:%06d:lock", (int)month);
    vg_fn_lock_release_t a = {.prefix = P, .name = lk, .holder = holder};
    vg_fcall_t call = VG_FCALL_INIT;
    vg_fn_lock_release(&call, &a);
    freeReplyObject(vg_cli_fcall(c, &call));
    vg_fcall_free(&call);
  }
  return rc;
}

static int ledger(cli_t *c, const char *promoter, int32_t month) {
  char m[VG_MSISDN_MAX];
  if (vg_msisdn_normalize(promoter, c->cfg.country_code, m, NULL) != 0)
    return vg_cli_usage_error("ledger: '%s' is not a promoter number",
                              promoter);
  if (vg_cli_connect(c))
    return 1;
  redisReply *ids = redisCommand(c->rc, "ZRANGE %s:devs:promoter:%s 0 -1",
                                 c->cfg.prefix, m);
  if (ids == NULL || ids->type != REDIS_REPLY_ARRAY) {
    freeReplyObject(ids);
    return vg_cli_fail("Redis: cannot read the ledger");
  }
  size_t n = 0;
  vg_dev_t *devs = load_devs(c, ids, &n);
  freeReplyObject(ids);
  if (devs == NULL)
    return 1;
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
