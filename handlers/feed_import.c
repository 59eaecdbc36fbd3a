/*
 * feed_import.c — see feed.h, vg_feed_import(): the operator's billing and
 * care facts from a CSV file into Redis, all or nothing, and each file
 * once.
 */
#include "handlers/feed.h"
#include "handlers/lua/functions.h"
#include "gateway/redis_sync.h"
#include "gateway/clock.h"
#include "gateway/csv.h"
#include "gateway/keys.h"
#include "gateway/redis.h"
#include "gateway/sha256.h"
#include "gateway/vg.h"
#include "handlers/oplog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Up to this many rows the whole file is one MULTI/EXEC; beyond it the
 * write goes in batches of BATCH_ROWS (see write_facts). */
#define ONE_TRANSACTION_ROWS 100000
#define BATCH_ROWS 10000
/* MSISDNs per SADD to P:facts:index. */
#define INDEX_CHUNK 1000

static int fail(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errsz, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errsz, fmt, ap);
  va_end(ap);
  return VG_EREDIS;
}

/* By number, then the fact: a number's facts side by side, and a fact
 * repeated in the file next to itself. */
static int by_number(const void *a, const void *b) {
  const vg_fact_t *x = a, *y = b;
  int c = strcmp(x->msisdn, y->msisdn);
  if (c == 0)
    c = strcmp(x->service, y->service);
  if (c == 0)
    c = (int)x->event - (int)y->event;
  if (c == 0)
    c = x->date < y->date ? -1 : x->date > y->date;
  return c;
}

static int same_fact(const vg_fact_t *x, const vg_fact_t *y) {
  return by_number(x, y) == 0;
}

/* Every row of `buf` checked into *facts (malloc'd); the number of bad rows
 * (each told to o->bad_row), 0 when the file is good. */
static int read_rows(const vg_config_t *cfg, const vg_feed_import_opts_t *o,
                     const char *buf, size_t len, vg_fact_t **facts,
                     size_t *nfacts) {
  vg_csv_t p;
  vg_csv_row_t r = {0};
  char why[512], day[12];
  int bad = 0, got, first = 1;
  size_t n = 0, cap = 0;
  vg_fact_t *f = NULL;
  int32_t today = (int32_t)atol(vg_clock_day(day, vg_now_ms()));

  vg_csv_init(&p, buf, len);
  p.comments = 1;
  while ((got = vg_csv_next(&p, &r, why, sizeof why)) != 0) {
    if (got < 0) {
      vg_import_bad(o, r.line, "%s", why);
      bad++;
      first = 0;
      continue;
    }
    if (vg_csv_row_blank(&r))
      continue;
    if (first) {
      first = 0;
      int h = vg_feed_header(r.f, r.n, why, sizeof why);
      if (h < 0) {
        vg_import_bad(o, r.line, "%s", why);
        bad++;
      }
      if (h != 0)
        continue;
    }
    if (r.n != VG_FEED_COLUMNS) {
      vg_import_bad(o, r.line, "%zu field%s; expected %d: msisdn,service,event,date",
              r.n, r.n == 1 ? "" : "s", VG_FEED_COLUMNS);
      bad++;
      continue;
    }
    if (n == cap) {
      cap = cap ? cap * 2 : 1024;
      f = vg_realloc(f, cap * sizeof *f);
    }
    if (vg_feed_parse_row(r.f[0], r.f[1], r.f[2], r.f[3], cfg->country_code,
                          today, &f[n], why, sizeof why) != 0) {
      vg_import_bad(o, r.line, "%s", why);
      bad++;
      continue;
    }
    n++;
  }
  vg_csv_row_free(&r);
  *facts = f;
  *nfacts = n;
  return bad;
}

typedef struct {
  const char *key_feed; /* P:feed:<sha256> */
  const char *file;     /* the absolute path, for the record */
  const char *user;
  size_t rows;
  long long at;
} record_t;

static void append(redisContext *rc, int argc, const char **argv) {
  redisAppendCommandArgv(rc, argc, argv, NULL);
}

/* Append SADD P:facts:{M} for the facts [from, to) of one number. */
static void append_facts(redisContext *rc, const char *prefix,
                         const vg_fact_t *f, size_t from, size_t to,
                         char (*members)[VG_FEED_MEMBER_MAX],
                         const char **argv) {
  char key[VG_KEY_MAX];
  int argc = 2;

  vg_key(key, prefix, VG_K_FACTS, f[from].msisdn);
  argv[0] = "SADD";
  argv[1] = key;
  for (size_t i = from; i < to; i++)
    argv[argc++] = vg_feed_member(&f[i], members[i - from]);
  append(rc, argc, argv);
}

/*
 * One MULTI/EXEC over the facts [from, to) (whole numbers only), with the
 * file's record when `rec` is not NULL.  Adds the facts that were new to
 * *added.  0; VG_EBUSY when a WATCHed key changed (nothing written); else
 * VG_EREDIS with the reason in `err`.
 */
static int write_batch(redisContext *rc, const char *prefix, const vg_fact_t *f,
                       size_t from, size_t to, const record_t *rec,
                       long long *added, char *err, size_t errsz) {
  char index[VG_KEY_MAX];
  size_t maxrun = 0, nfacts_cmds = 0, commands = 0;

  vg_key(index, prefix, "%s", VG_K_FACTS_INDEX);
  for (size_t i = from, j; i < to; i = j) {
    for (j = i + 1; j < to && strcmp(f[j].msisdn, f[i].msisdn) == 0; j++)
      ;
    if (j - i > maxrun)
      maxrun = j - i;
  }
  size_t argmax = (maxrun > INDEX_CHUNK ? maxrun : INDEX_CHUNK) + 2;
  const char **argv = vg_malloc(argmax * sizeof *argv);
  char (*members)[VG_FEED_MEMBER_MAX] =
      vg_malloc((maxrun ? maxrun : 1) * sizeof *members);

  const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"};
  append(rc, 1, multi);
  for (size_t i = from, j; i < to; i = j) {
    for (j = i + 1; j < to && strcmp(f[j].msisdn, f[i].msisdn) == 0; j++)
      ;
    append_facts(rc, prefix, f, i, j, members, argv);
    nfacts_cmds++;
  }
  commands = nfacts_cmds;
  /* The index, in chunks of numbers. */
  int argc = 2;
  argv[0] = "SADD";
  argv[1] = index;
  for (size_t i = from; i < to; i++) {
    if (i > from && strcmp(f[i].msisdn, f[i - 1].msisdn) == 0)
      continue;
    argv[argc++] = f[i].msisdn;
    if (argc == INDEX_CHUNK + 2) {
      append(rc, argc, argv);
      commands++;
      argc = 2;
    }
  }
  if (argc > 2) {
    append(rc, argc, argv);
    commands++;
  }
  if (rec != NULL) {
    char rows[24], at[24];
    snprintf(rows, sizeof rows, "%zu", rec->rows);
    snprintf(at, sizeof at, "%lld", rec->at);
    const char *hset[] = {"HSET", rec->key_feed, "file", rec->file,
                          "rows", rows, "imported_at", at, "user", rec->user};
    append(rc, (int)VG_ARRAY_SIZE(hset), hset);
    commands++;
  }
  append(rc, 1, exec);
  free(argv);
  free(members);

  /* Read every reply, even after a failure, so the pipeline is drained. */
  int ret = 0;
  for (size_t i = 0; i < commands + 2; i++) {
    redisReply *r = NULL;
    if (redisGetReply(rc, (void **)&r) != REDIS_OK)
      return fail(err, errsz, "Redis: %s", rc->errstr);
    if (i + 1 < commands + 2) {
      if (r->type == REDIS_REPLY_ERROR && ret == 0)
        ret = fail(err, errsz, "Redis: %s; nothing written", r->str);
    } else if (ret != 0) {
      /* EXECABORT: nothing was written, the first error is reported */
    } else if (r->type == REDIS_REPLY_NIL) {
      ret = VG_EBUSY;
    } else if (r->type != REDIS_REPLY_ARRAY || r->elements != commands) {
      ret = fail(err, errsz, "Redis: EXEC: %s",
                 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    } else {
      for (size_t k = 0; k < r->elements; k++) {
        const redisReply *e = r->element[k];
        if (e->type == REDIS_REPLY_ERROR && ret == 0)
          ret = fail(err, errsz,
                     "Redis: %s (the write may be partial; importing the "
                     "file again completes it)",
                     e->str);
        else if (k < nfacts_cmds && e->type == REDIS_REPLY_INTEGER)
          *added += e->integer;
      }
    }
    freeReplyObject(r);
  }
  return ret;
}

/*
 * Write the checked facts (sorted by number) and the file's record.
 *
 * Up to ONE_TRANSACTION_ROWS rows: one MULTI/EXEC, all or nothing, with
 * P:feed:<sha256> WATCHed so that two people importing the same file at
 * once write it once (the loser gets VG_EBUSY and reports "already
 * imported").  A larger file would make one transaction hold Redis for too
 * long, so it degrades to one MULTI/EXEC per BATCH_ROWS rows (a number's
 * facts never split), the record in the last: a failure or crash half-way
 * leaves some facts written and no record, and importing the file again
 * converges — SADD of a known fact changes nothing — only its "new facts"
 * count then misses those written the first time.
 */
static int write_facts(redisContext *rc, const char *prefix, const vg_fact_t *f,
                       size_t n, const record_t *rec, long long *added,
                       char *err, size_t errsz) {
  size_t from = 0;

  *added = 0;
  if (n <= ONE_TRANSACTION_ROWS)
    return write_batch(rc, prefix, f, 0, n, rec, added, err, errsz);
  freeReplyObject(redisCommand(rc, "UNWATCH"));
  while (from < n) {
    size_t to = from + BATCH_ROWS < n ? from + BATCH_ROWS : n;
    while (to < n && strcmp(f[to].msisdn, f[to - 1].msisdn) == 0)
      to++;
    int r = write_batch(rc, prefix, f, from, to, to == n ? rec : NULL, added,
                        err, errsz);
    if (r != 0)
      return r;
    from = to;
  }
  return 0;
}

/*
 * The `charged` facts for the campaigns (campaign_charged in handlers/lua/
 * campaigns.lua): a messaged recipient or one held out, charged for the
 * campaign's service since it started, counts once towards its lift.  Run
 * after the facts are written; a fact seen again counts nothing.
 */
static int count_for_campaigns(redisContext *rc, const char *prefix,
                               const vg_fact_t *f, size_t n, char *err,
                               size_t errsz) {
  char key[VG_KEY_MAX];
  redisReply *e = redisCommand(rc, "EXISTS %s",
                               vg_key(key, prefix, "%s", VG_K_CAMPAIGNS));
  int any = e && e->type == REDIS_REPLY_INTEGER && e->integer > 0;
  freeReplyObject(e);
  size_t i = 0;
  while (any && i < n) {
    vg_fcall_t call = VG_FCALL_INIT;
    vg_fn_campaign_charged_t a = {.prefix = prefix};
    vg_fn_campaign_charged(&call, &a);
    char days[500][12];
    int k = 0;
    for (; i < n && k < 500; i++) {
      if (f[i].event != VG_FACT_CHARGED)
        continue;
      snprintf(days[k], sizeof days[k], "%08ld", (long)f[i].date);
      vg_fn_campaign_charged_rows_t g = {
          .msisdn = f[i].msisdn, .service = f[i].service, .day = days[k]};
      vg_fn_campaign_charged_rows(&call, &g);
      k++;
    }
    int ret = 0;
    if (k > 0) {
      char why[512];
      redisReply *r = vg_redis_sync_fcall(rc, &call, why, sizeof why);
      if (r == NULL)
        ret = fail(err, errsz, "the campaigns' billing counts: %s", why);
      freeReplyObject(r);
    }
    vg_fcall_free(&call);
    if (ret)
      return ret;
  }
  return 0;
}

int vg_feed_check(const vg_config_t *cfg, const char *buf, size_t len,
                  const vg_feed_import_opts_t *o,
                  vg_feed_import_result_t *out) {
  memset(out, 0, sizeof *out);
  vg_fact_t *f = NULL;
  out->bad = read_rows(cfg, o, buf, len, &f, &out->rows);
  free(f);
  return out->bad ? VG_EINVAL : 0;
}

int vg_feed_import(redisContext *rc, const vg_config_t *cfg, const char *buf,
                   size_t len, const vg_feed_import_opts_t *o,
                   vg_feed_import_result_t *out, char *err, size_t errsz) {
  memset(out, 0, sizeof *out);
  vg_sha256_hex(buf, len, out->sha256);
  vg_fact_t *f = NULL;
  size_t n = 0;
  out->bad = read_rows(cfg, o, buf, len, &f, &n);
  if (out->bad) {
    free(f);
    snprintf(err, errsz, "%d bad row%s; nothing imported", out->bad,
             out->bad == 1 ? "" : "s");
    return VG_EINVAL;
  }
  qsort(f, n, sizeof *f, by_number);
  for (size_t i = 1; i < n; i++)
    out->repeated += same_fact(&f[i], &f[i - 1]);
  out->rows = n;

  char key[VG_KEY_MAX], user[300];
  vg_key(key, cfg->prefix, VG_K_FEED, out->sha256);
  if (o->user)
    snprintf(user, sizeof user, "%s", o->user);
  else
    vg_oplog_user(user, sizeof user);
  record_t rec = {key, o->file, user, n, 0};
  int ret = 0;
  for (int attempt = 0;; attempt++) {
    freeReplyObject(redisCommand(rc, "WATCH %s", key));
    redisReply *h = redisCommand(rc, "HGETALL %s", key);
    if (h == NULL || h->type != REDIS_REPLY_ARRAY) {
      ret = fail(err, errsz, "Redis: %s",
                 h ? (h->str ? h->str : "unexpected reply") : rc->errstr);
      freeReplyObject(h);
      goto out;
    }
    if (h->elements > 0) {
      /* Imported before: say when and by whom. */
      freeReplyObject(redisCommand(rc, "UNWATCH"));
      const char *at = vg_reply_field(h, "imported_at");
      const char *who = vg_reply_field(h, "user");
      const char *rows = vg_reply_field(h, "rows");
      out->already = 1;
      /* A run stopped between the facts and the campaigns' counts left
       * some uncounted: counted now (campaign_charged counts a recipient
       * once, so the rest changes nothing). */
      if ((ret = count_for_campaigns(rc, cfg->prefix, f, n, err, errsz)) != 0) {
        freeReplyObject(h);
        goto out;
      }
      out->imported_at = at ? strtoll(at, NULL, 10) : 0;
      out->previous_rows = rows ? strtoll(rows, NULL, 10) : 0;
      snprintf(out->imported_by, sizeof out->imported_by, "%s",
               who ? who : "");
      freeReplyObject(h);
      goto out;
    }
    freeReplyObject(h);
    rec.at = vg_now_ms();
    ret = write_facts(rc, cfg->prefix, f, n, &rec, &out->added, err, errsz);
    if (ret != VG_EBUSY)
      break;
    if (attempt == 2) { /* the record keeps changing: give up */
      fail(err, errsz, "the record of this file keeps changing; nothing "
                       "written, try again");
      ret = VG_EBUSY;
      goto out;
    }
  }
  if (ret != 0)
    goto out;
  out->known = (long long)(n - out->repeated) - out->added;
  if ((ret = count_for_campaigns(rc, cfg->prefix, f, n, err, errsz)) != 0)
    goto out;
  /* The count is known only now; the record has everything else already. */
  char added[24];
  snprintf(added, sizeof added, "%lld", out->added);
  const char *hset[] = {"HSET", key, "new_facts", added};
  freeReplyObject(redisCommandArgv(rc, 4, hset, NULL));
  char detail[4096 + 128];
  snprintf(detail, sizeof detail, "%s: %zu row%s, %lld new fact%s, sha256 %s",
           o->file, n, n == 1 ? "" : "s", out->added,
           out->added == 1 ? "" : "s", out->sha256);
  if (vg_oplog_write(rc, cfg->prefix, user, "feed.import", detail, err,
                     errsz) != 0) {
    out->not_logged = 1;
  }
out:
  free(f);
  return ret;
}
