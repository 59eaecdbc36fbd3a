/*
 * settle.c — see settle.h.
 */
#include "handlers/settle.h"
#include "gateway/clock.h"
#include "gateway/ids.h"
#include "gateway/keys.h"
#include "gateway/lua/functions.h"
#include "gateway/mt_queue.h"
#include "gateway/redis.h"
#include "gateway/redis_sync.h"
#include "gateway/vg.h"
#include "handlers/feed.h"
#include "handlers/ledger_date.h"
#include "handlers/oplog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(char *err, size_t errsz, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errsz, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errsz, fmt, ap);
  va_end(ap);
  return code;
}

static const char *field(const redisReply *h, const char *name) {
  const char *v = vg_reply_field(h, name);
  return v ? v : "";
}

/* A development from its hash: 0, or the name of a field too long for
 * what `credit` writes (a record changed by hand), which is not cut. */
static const char *dev_from(vg_dev_t *d, const redisReply *h) {
  memset(d, 0, sizeof *d);
  if (vg_copy(d->id, sizeof d->id, field(h, "id")))
    return "id";
  if (vg_copy(d->promoter, sizeof d->promoter, field(h, "promoter")))
    return "promoter";
  if (vg_copy(d->msisdn, sizeof d->msisdn, field(h, "msisdn")))
    return "msisdn";
  if (vg_copy(d->service, sizeof d->service, field(h, "service")))
    return "service";
  d->activated = (int32_t)atol(field(h, "activated"));
  d->amount_fen = atoll(field(h, "amount_fen"));
  const char *st = field(h, "state");
  d->state = strcmp(st, "valid") == 0     ? VG_DEV_VALID
             : strcmp(st, "invalid") == 0 ? VG_DEV_INVALID
                                          : VG_DEV_PENDING;
  d->rule = VG_AUDIT_OK;
  if (d->state == VG_DEV_INVALID &&
      vg_audit_rule_parse(field(h, "rule"), &d->rule))
    d->rule = VG_AUDIT_OK;
  return NULL;
}

vg_dev_t *vg_devs_load(redisContext *rc, const char *prefix,
                       const redisReply *ids, size_t *n, char *err,
                       size_t errsz) {
  *n = 0;
  vg_dev_t *devs = vg_calloc(ids->elements ? ids->elements : 1, sizeof *devs);
  char key[VG_KEY_MAX];
  /* Every key first: an id put in an index by hand may be too long for
   * one, and is refused before anything is asked of Redis. */
  for (size_t i = 0; i < ids->elements; i++) {
    if (strlen(ids->element[i]->str) > VG_ID_MAX ||
        vg_key(key, prefix, VG_K_DEV, ids->element[i]->str) == NULL) {
      fail(err, errsz, VG_EINVAL,
           "a development id of %zu bytes in an index: ids are at most %d",
           strlen(ids->element[i]->str), VG_ID_MAX);
      free(devs);
      return NULL;
    }
  }
  for (size_t i = 0; i < ids->elements; i++)
    redisAppendCommand(rc, "HGETALL %s",
                       vg_key(key, prefix, VG_K_DEV, ids->element[i]->str));
  int bad = 0;
  for (size_t i = 0; i < ids->elements; i++) {
    redisReply *h = NULL;
    if (redisGetReply(rc, (void **)&h) != REDIS_OK) {
      fail(err, errsz, VG_EREDIS, "Redis: %s", rc->errstr);
      free(devs);
      return NULL;
    }
    const char *too_long = NULL;
    if (h->type == REDIS_REPLY_ARRAY && h->elements)
      too_long = dev_from(&devs[(*n)++], h);
    else if (h->type == REDIS_REPLY_ERROR)
      bad = 1;
    freeReplyObject(h);
    if (too_long) {
      fail(err, errsz, VG_EINVAL,
           "development %s: field %s is longer than a development's can be",
           ids->element[i]->str, too_long);
      for (size_t k = i + 1; k < ids->elements; k++) {
        redisReply *rest = NULL;
        if (redisGetReply(rc, (void **)&rest) == REDIS_OK)
          freeReplyObject(rest);
      }
      free(devs);
      return NULL;
    }
  }
  if (bad) {
    fail(err, errsz, VG_EREDIS, "Redis: cannot read the developments");
    free(devs);
    return NULL;
  }
  return devs;
}

/* The audit windows of a service: its `audit_windows` field, or defaults. */
static void windows_of(redisContext *rc, const char *prefix, const char *svc,
                       const vg_settle_opts_t *o, vg_audit_windows_t *w) {
  vg_audit_windows_default(w);
  char key[VG_KEY_MAX];
  redisReply *r = redisCommand(rc, "HGET %s audit_windows",
                               vg_key(key, prefix, VG_K_SVC, svc));
  char why[128];
  if (r && r->type == REDIS_REPLY_STRING && *r->str &&
      vg_audit_windows_parse(r->str, w, why, sizeof why) != 0) {
    if (o->warn) {
      char msg[256];
      snprintf(msg, sizeof msg,
               "service %s: audit_windows: %s; using the defaults", svc, why);
      o->warn(o->data, msg);
    }
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
static int audit_month(redisContext *rc, const char *prefix, vg_dev_t *devs,
                       size_t n, int32_t month, const vg_settle_opts_t *o,
                       char *err, size_t errsz) {
  /* The month's developments by id, for the answers decided in this run. */
  const vg_dev_t **by_id = vg_calloc(n ? n : 1, sizeof *by_id);
  for (size_t i = 0; i < n; i++)
    by_id[i] = &devs[i];
  qsort(by_id, n, sizeof *by_id, cmp_id);
  int rc_ = 0;
  for (size_t i = 0; i < n && rc_ == 0; i++) {
    vg_dev_t *d = &devs[i];
    if (d->state != VG_DEV_PENDING || vg_date_month(d->activated) != month)
      continue;
    /* The subscriber's whole history (the rules look back 6 months), with
     * the answers decided so far in this run put in. */
    char key[VG_KEY_MAX];
    redisReply *ids = redisCommand(rc, "ZRANGE %s 0 -1",
                                   vg_key(key, prefix, VG_K_DEVS_SUB, d->msisdn));
    if (ids == NULL || ids->type != REDIS_REPLY_ARRAY) {
      freeReplyObject(ids);
      rc_ = fail(err, errsz, VG_EREDIS, "Redis: cannot read %s's developments",
                 d->msisdn);
      break;
    }
    size_t no = 0;
    vg_dev_t *others = vg_devs_load(rc, prefix, ids, &no, err, errsz);
    freeReplyObject(ids);
    if (others == NULL) {
      rc_ = VG_EREDIS;
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
    if (vg_feed_load(rc, prefix, d->msisdn, &facts, &nf) != 0) {
      free(others);
      rc_ = fail(err, errsz, VG_EREDIS, "Redis: cannot read the facts of %s",
                 d->msisdn);
      break;
    }
    vg_audit_windows_t w;
    windows_of(rc, prefix, d->service, o, &w);
    int rule = vg_audit(d, others, no, facts, nf, &w);
    free(others);
    free(facts);
    if (rule < 0) {
      rc_ = fail(err, errsz, VG_EINVAL,
                 "development %s: cannot be audited (activated %d)", d->id,
                 (int)d->activated);
      break;
    }
    d->state = rule == VG_AUDIT_OK ? VG_DEV_VALID : VG_DEV_INVALID;
    d->rule = rule;
  }
  free(by_id);
  return rc_;
}

/* Who holds a month's lock: this host and process. */
static void holder(char *out, size_t outsz) {
  char host[256];
  if (gethostname(host, sizeof host) != 0)
    snprintf(host, sizeof host, "?");
  host[sizeof host - 1] = '\0';
  snprintf(out, outsz, "%s:%d", host, (int)getpid());
}

/* The month's writes in one MULTI/EXEC (settle.h).  0, VG_EBUSY when the
 * WATCHed month record changed meanwhile (nothing written), VG_EREDIS. */
static int write_month(redisContext *rc, const vg_config_t *cfg,
                       const vg_templates_t *t, int32_t month,
                       const vg_dev_t *devs, size_t n,
                       const vg_settle_result_t *res, const char *user,
                       char *err, size_t errsz) {
  const char *P = cfg->prefix;
  char now[24], monthtxt[16], ym[8], key[VG_KEY_MAX];
  snprintf(now, sizeof now, "%lld", (long long)vg_now_ms());
  snprintf(monthtxt, sizeof monthtxt, "%04d-%02d", month / 100, month % 100);
  snprintf(ym, sizeof ym, "%06d", (int)month);
  vg_key(key, P, VG_K_SETTLE, ym);
  const vg_settlement_t *s = &res->s;
  /* Every SMS id fits (gateway/ids.h), checked before anything is sent. */
  for (size_t i = 0; i < s->nrows; i++) {
    char id[VG_ID_MAX + 1];
    if (vg_id_fmt(id, sizeof id, "st-%s-%s", ym, s->rows[i].promoter) != 0)
      return fail(err, errsz, VG_EINVAL,
                  "promoter %s: too long for the settlement SMS's id",
                  s->rows[i].promoter);
  }
  redisAppendCommand(rc, "MULTI");
  int cmds = 1;
  for (size_t i = 0; i < n; i++) {
    const vg_dev_t *d = &devs[i];
    if (vg_date_month(d->activated) != month)
      continue;
    int valid = d->state == VG_DEV_VALID;
    char dk[VG_KEY_MAX], ck[VG_KEY_MAX];
    redisAppendCommand(rc, "HSET %s state %s rule %s settled %s",
                       vg_key(dk, P, VG_K_DEV, d->id),
                       valid ? "valid" : "invalid",
                       valid ? "" : vg_audit_rule_name(d->rule), ym);
    vg_key(ck, P, VG_K_PROMOTER_MONTH, d->promoter, ym);
    redisAppendCommand(rc, "HINCRBY %s %s 1", ck, valid ? "valid" : "invalid");
    redisAppendCommand(rc, "HINCRBY %s pending_fen %lld", ck,
                       -(long long)d->amount_fen);
    cmds += 3;
    if (valid) {
      redisAppendCommand(rc, "HINCRBY %s settled_fen %lld", ck,
                         (long long)d->amount_fen);
      cmds++;
    }
  }
  /* Each promoter's SMS: one message id per month and promoter. */
  for (size_t i = 0; i < s->nrows; i++) {
    const vg_settle_row_t *r = &s->rows[i];
    unsigned inv = 0;
    for (int k = 1; k < VG_AUDIT_RULE_END; k++)
      inv += r->invalid[k];
    char valid[16], invalid[16], amount[VG_YUAN_TEXT], id[VG_ID_MAX + 1];
    snprintf(valid, sizeof valid, "%u", r->valid);
    snprintf(invalid, sizeof invalid, "%u", inv);
    vg_fen_to_yuan(r->amount_fen, amount, sizeof amount);
    vg_tpl_var_t v[] = {{"staff_no", res->who[i].staff},
                        {"month", monthtxt},
                        {"valid", valid},
                        {"invalid", invalid},
                        {"amount", amount}};
    char *text = vg_templates_render(t, VG_TPL_SETTLED, v, 5);
    vg_id_fmt(id, sizeof id, "st-%s-%s", ym, r->promoter); /* checked */
    vg_mt_batch_t b;
    vg_mt_batch_init(&b, P, cfg->msg_ttl_days * 86400, 1);
    vg_mt_t m = {.id = id,
                 .to = r->promoter,
                 .text = text,
                 .src = "",
                 .ussd_service_op = -1,
                 .its_hex = "",
                 .origin = "settlement",
                 .lane = "",
                 .tally = ""};
    vg_mt_batch_add(&b, &m);
    vg_redis_sync_append(rc, &b.call);
    cmds++;
    vg_mt_batch_free(&b);
    free(text);
  }
  char valid[16], amount[32], detail[160];
  snprintf(valid, sizeof valid, "%u", s->total.valid);
  snprintf(amount, sizeof amount, "%lld", (long long)s->total.amount_fen);
  const char *argv[] = {"HSET",       key,    "state", "done",
                        "settled_at", now,    "valid", valid,
                        "amount_fen", amount, "csv",   res->csv};
  redisAppendCommandArgv(rc, 12, argv, NULL);
  snprintf(detail, sizeof detail, "%s: %u valid, %lld fen, %zu promoters",
           monthtxt, s->total.valid, (long long)s->total.amount_fen,
           s->nrows);
  vg_oplog_append(rc, P, user, "settle", detail);
  redisAppendCommand(rc, "EXEC");
  cmds += 3;
  int rc_ = 0;
  for (int k = 0; k < cmds; k++) {
    redisReply *r = NULL;
    if (redisGetReply(rc, (void **)&r) != REDIS_OK)
      return fail(err, errsz, VG_EREDIS,
                  "Redis: %s (whether the month was written is not known: "
                  "settle it again, it is written once)",
                  rc->errstr);
    if (k == cmds - 1) {
      if (r->type != REDIS_REPLY_ARRAY)
        rc_ = fail(err, errsz, VG_EBUSY,
                   "%s was settled meanwhile; nothing written", monthtxt);
      else
        for (size_t e = 0; e < r->elements; e++)
          if (r->element[e]->type == REDIS_REPLY_ERROR && rc_ == 0)
            rc_ = fail(err, errsz, VG_EREDIS,
                       "a write failed (%s); the month is recorded, check "
                       "it with vasgw ledger",
                       r->element[e]->str);
    }
    freeReplyObject(r);
  }
  return rc_;
}

/* The promoters' records, one per row: 0, or VG_EINVAL when a field is
 * longer than a promoter's can be (a record changed by hand: the report
 * does not show it cut). */
static int load_who(redisContext *rc, const char *prefix,
                    vg_settle_result_t *res, char *err, size_t errsz) {
  res->who = vg_calloc(res->s.nrows ? res->s.nrows : 1, sizeof *res->who);
  for (size_t i = 0; i < res->s.nrows; i++) {
    char key[VG_KEY_MAX];
    redisReply *h = redisCommand(
        rc, "HGETALL %s", vg_key(key, prefix, VG_K_PROMOTER, res->s.rows[i].promoter));
    vg_settle_who_t *w = &res->who[i];
    const char *bad = vg_copy(w->msisdn, sizeof w->msisdn,
                              res->s.rows[i].promoter)          ? "msisdn"
                      : vg_copy(w->staff, sizeof w->staff,
                                field(h, "staff_no"))           ? "staff_no"
                      : vg_copy(w->name, sizeof w->name,
                                field(h, "name"))               ? "name"
                      : vg_copy(w->outlet, sizeof w->outlet,
                                field(h, "outlet"))             ? "outlet"
                                                                : NULL;
    freeReplyObject(h);
    if (bad)
      return fail(err, errsz, VG_EINVAL,
                  "promoter %s: field %s is longer than a promoter's can be",
                  res->s.rows[i].promoter, bad);
  }
  return 0;
}

static char *report_csv(const vg_settle_result_t *res) {
  vg_settle_promoter_t *sp =
      vg_calloc(res->s.nrows ? res->s.nrows : 1, sizeof *sp);
  for (size_t i = 0; i < res->s.nrows; i++)
    sp[i] = (vg_settle_promoter_t){res->who[i].msisdn, res->who[i].staff,
                                   res->who[i].name, res->who[i].outlet};
  char *csv = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&csv, &len);
  vg_settlement_write_csv(&res->s, sp, res->s.nrows, mem);
  fclose(mem);
  free(sp);
  return csv;
}

int vg_settle_done(redisContext *rc, const char *prefix, int32_t month) {
  char ym[8], key[VG_KEY_MAX];
  snprintf(ym, sizeof ym, "%06d", (int)month);
  redisReply *r = redisCommand(rc, "HGET %s state",
                               vg_key(key, prefix, VG_K_SETTLE, ym));
  int done = r == NULL || r->type == REDIS_REPLY_ERROR ? -1
             : r->type == REDIS_REPLY_STRING && strcmp(r->str, "done") == 0
                 ? 1
                 : 0;
  freeReplyObject(r);
  return done;
}

int vg_settle_month(redisContext *rc, const vg_config_t *cfg,
                    const vg_templates_t *t, int32_t month,
                    const vg_settle_opts_t *o, vg_settle_result_t *out,
                    char *err, size_t errsz) {
  const char *P = cfg->prefix;
  memset(out, 0, sizeof *out);
  char today[12];
  vg_clock_day(today, vg_now_ms());
  int32_t this_month = vg_date_month((int32_t)atol(today));
  if (month > this_month)
    return fail(err, errsz, VG_EINVAL, "%04d-%02d has not begun", month / 100,
                month % 100);
  if (month == this_month && !o->force)
    return fail(err, errsz, VG_EINVAL,
                "%04d-%02d is not over (its developments may still come); "
                "--force to settle it anyway",
                month / 100, month % 100);
  char ym[8], key[VG_KEY_MAX], lock[VG_KEY_MAX], me[300];
  snprintf(ym, sizeof ym, "%06d", (int)month);
  vg_key(key, P, VG_K_SETTLE, ym);
  vg_key(lock, P, VG_K_SETTLE_LOCK, ym);
  holder(me, sizeof me);
  /* One settlement of a month at a time, whichever node or operator. */
  if (!o->dry_run) {
    redisReply *l = redisCommand(rc, "SET %s %s NX EX 3600", lock, me);
    int taken = l && l->type == REDIS_REPLY_STATUS;
    freeReplyObject(l);
    if (!taken)
      return fail(err, errsz, VG_EBUSY, "%04d-%02d is being settled elsewhere",
                  month / 100, month % 100);
  }
  int rc_ = 0;
  /* Watched from before it is read: should the month be settled by anyone
   * else meanwhile (a lock that expired), our EXEC writes nothing. */
  if (!o->dry_run)
    freeReplyObject(redisCommand(rc, "WATCH %s", key));
  int before = vg_settle_done(rc, P, month);
  char mk[VG_KEY_MAX];
  redisReply *ids = redisCommand(rc, "ZRANGE %s 0 -1",
                                 vg_key(mk, P, VG_K_DEVS_MONTH, ym));
  size_t n = 0;
  vg_dev_t *devs = ids && ids->type == REDIS_REPLY_ARRAY
                       ? vg_devs_load(rc, P, ids, &n, err, errsz)
                       : NULL;
  freeReplyObject(ids);
  if (devs == NULL || before < 0) {
    rc_ = fail(err, errsz, VG_EREDIS,
               "Redis: cannot read the developments of %s", ym);
    goto out;
  }
  out->state = before ? VG_SETTLED_BEFORE
               : o->dry_run ? VG_SETTLE_DRY_RUN
                            : VG_SETTLED_NOW;
  qsort(devs, n, sizeof *devs, vg_dev_cmp);
  if (!before && (rc_ = audit_month(rc, P, devs, n, month, o, err, errsz)) != 0)
    goto out;
  out->rows_ = vg_calloc(n ? n : 1, sizeof *out->rows_);
  vg_settlement_init(&out->s, month, out->rows_, n ? n : 1);
  char why[256];
  for (size_t i = 0; i < n; i++)
    if (devs[i].state != VG_DEV_PENDING &&
        vg_settlement_add(&out->s, &devs[i], why, sizeof why) != 0) {
      rc_ = fail(err, errsz, VG_EINVAL, "%s", why);
      goto out;
    }
  if ((rc_ = load_who(rc, P, out, err, errsz)) != 0)
    goto out;
  out->csv = report_csv(out);
  if (before) {
    /* The stored report is the settled one; totals are recounted from the
     * developments' stored states, which never change once settled. */
    redisReply *stored = redisCommand(rc, "HGET %s csv", key);
    if (stored && stored->type == REDIS_REPLY_STRING) {
      free(out->csv);
      out->csv = vg_strdup(stored->str);
    }
    freeReplyObject(stored);
  } else if (!o->dry_run) {
    rc_ = write_month(rc, cfg, t, month, devs, n, out, o->user, err, errsz);
  }
out:
  free(devs);
  if (!o->dry_run) {
    freeReplyObject(redisCommand(rc, "UNWATCH"));
    /* Ours only: a lock that expired may be someone else's by now. */
    char name[VG_KEY_MAX];
    snprintf(name, sizeof name, VG_K_SETTLE_LOCK, ym);
    vg_fn_lock_release_t a = {.prefix = P, .name = name, .holder = me};
    vg_fcall_t call = VG_FCALL_INIT;
    vg_fn_lock_release(&call, &a);
    char e2[256];
    freeReplyObject(vg_redis_sync_fcall(rc, &call, e2, sizeof e2));
    vg_fcall_free(&call);
  }
  if (rc_ != 0)
    vg_settle_result_free(out);
  return rc_;
}

void vg_settle_result_free(vg_settle_result_t *r) {
  free(r->rows_);
  free(r->who);
  free(r->csv);
  memset(r, 0, sizeof *r);
}
