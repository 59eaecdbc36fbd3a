/*
 * cli_feed.c — `vasgw feed import FILE.csv`: the operator's billing and care
 * facts (`msisdn,service,event,date`, SPEC.md "Commission ledger") into
 * Redis, where the settlement's audits read them (handlers/feed.h,
 * docs/keys.md "Ledger facts"); `vasgw feed show MSISDN`: the facts about
 * one number, as the audits will see them.
 *
 * All or nothing: every row is read and checked first and each bad one
 * reported as FILE:LINE: reason; a file with a bad row writes nothing (exit
 * 1).  Importing the same file again changes nothing: facts are set members,
 * and the file itself is recorded under the SHA-256 of its bytes, so a
 * second import says when and by whom it was imported (exit 0).
 */
#include "cli/cli.h"
#include "gateway/clock.h"
#include "gateway/csv.h"
#include "gateway/keys.h"
#include "gateway/msisdn.h"
#include "gateway/sha256.h"
#include "gateway/vg.h"
#include "handlers/feed.h"
#include "handlers/oplog.h"
#include "handlers/ledger_date.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Up to this many rows the whole file is one MULTI/EXEC; beyond it the
 * write goes in batches of BATCH_ROWS (see write_facts). */
#define ONE_TRANSACTION_ROWS 100000
#define BATCH_ROWS 10000
/* MSISDNs per SADD to P:facts:index. */
#define INDEX_CHUNK 1000

/* Report one bad row: "FILE:LINE: reason". */
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

/* --- reading and checking ------------------------------------------------------ */

/* Every row of `buf` checked into *facts (malloc'd); the number of bad rows
 * (each reported), 0 when the file is good. */
static int read_rows(cli_t *c, const char *path, const char *buf, size_t len,
                     vg_fact_t **facts, size_t *nfacts) {
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
      vg_cli_bad_row(path, r.line, "%s", why);
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
        vg_cli_bad_row(path, r.line, "%s", why);
        bad++;
      }
      if (h != 0)
        continue;
    }
    if (r.n != VG_FEED_COLUMNS) {
      vg_cli_bad_row(path, r.line, "%zu field%s; expected %d: msisdn,service,event,"
              "date", r.n, r.n == 1 ? "" : "s", VG_FEED_COLUMNS);
      bad++;
      continue;
    }
    if (n == cap) {
      cap = cap ? cap * 2 : 1024;
      f = vg_realloc(f, cap * sizeof *f);
    }
    if (vg_feed_parse_row(r.f[0], r.f[1], r.f[2], r.f[3], c->cfg.country_code,
                          today, &f[n], why, sizeof why) != 0) {
      vg_cli_bad_row(path, r.line, "%s", why);
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

/* --- writing ------------------------------------------------------------------- */

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
static void append_facts(cli_t *c, const vg_fact_t *f, size_t from, size_t to,
                         char (*members)[VG_FEED_MEMBER_MAX],
                         const char **argv) {
  char key[VG_KEY_MAX];
  int argc = 2;

  vg_key(key, c->cfg.prefix, VG_K_FACTS, f[from].msisdn);
  argv[0] = "SADD";
  argv[1] = key;
  for (size_t i = from; i < to; i++)
    argv[argc++] = vg_feed_member(&f[i], members[i - from]);
  append(c->rc, argc, argv);
}

/*
 * One MULTI/EXEC over the facts [from, to) (whole numbers only), with the
 * file's record when `rec` is not NULL.  Adds the facts that were new to
 * *added.  0; VG_EBUSY when a WATCHed key changed (nothing written); else
 * 1 after saying why.
 */
static int write_batch(cli_t *c, const vg_fact_t *f, size_t from, size_t to,
                       const record_t *rec, long long *added) {
  char index[VG_KEY_MAX];
  size_t maxrun = 0, nfacts_cmds = 0, commands = 0;

  vg_key(index, c->cfg.prefix, "%s", VG_K_FACTS_INDEX);
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
  append(c->rc, 1, multi);
  for (size_t i = from, j; i < to; i = j) {
    for (j = i + 1; j < to && strcmp(f[j].msisdn, f[i].msisdn) == 0; j++)
      ;
    append_facts(c, f, i, j, members, argv);
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
      append(c->rc, argc, argv);
      commands++;
      argc = 2;
    }
  }
  if (argc > 2) {
    append(c->rc, argc, argv);
    commands++;
  }
  if (rec != NULL) {
    char rows[24], at[24];
    snprintf(rows, sizeof rows, "%zu", rec->rows);
    snprintf(at, sizeof at, "%lld", rec->at);
    const char *hset[] = {"HSET", rec->key_feed, "file", rec->file,
                          "rows", rows, "imported_at", at, "user", rec->user};
    append(c->rc, (int)VG_ARRAY_SIZE(hset), hset);
    commands++;
  }
  append(c->rc, 1, exec);
  free(argv);
  free(members);

  /* Read every reply, even after a failure, so the pipeline is drained. */
  int ret = 0;
  for (size_t i = 0; i < commands + 2; i++) {
    redisReply *r = NULL;
    if (redisGetReply(c->rc, (void **)&r) != REDIS_OK)
      return vg_cli_fail("Redis: %s", c->rc->errstr);
    if (i + 1 < commands + 2) {
      if (r->type == REDIS_REPLY_ERROR && ret == 0)
        ret = vg_cli_fail("Redis: %s; nothing written", r->str);
    } else if (ret != 0) {
      /* EXECABORT: nothing was written, the first error is reported */
    } else if (r->type == REDIS_REPLY_NIL) {
      ret = VG_EBUSY;
    } else if (r->type != REDIS_REPLY_ARRAY || r->elements != commands) {
      ret = vg_cli_fail("Redis: EXEC: %s", r->type == REDIS_REPLY_ERROR
                                               ? r->str : "unexpected reply");
    } else {
      for (size_t k = 0; k < r->elements; k++) {
        const redisReply *e = r->element[k];
        if (e->type == REDIS_REPLY_ERROR && ret == 0)
          ret = vg_cli_fail("Redis: %s (the write may be partial; importing "
                            "the file again completes it)", e->str);
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
static int write_facts(cli_t *c, const vg_fact_t *f, size_t n,
                       const record_t *rec, long long *added) {
  size_t from = 0;
  int rc;

  *added = 0;
  if (n <= ONE_TRANSACTION_ROWS)
    return write_batch(c, f, 0, n, rec, added);
  freeReplyObject(redisCommand(c->rc, "UNWATCH"));
  while (from < n) {
    size_t to = from + BATCH_ROWS < n ? from + BATCH_ROWS : n;
    while (to < n && strcmp(f[to].msisdn, f[to - 1].msisdn) == 0)
      to++;
    rc = write_batch(c, f, from, to, to == n ? rec : NULL, added);
    if (rc != 0)
      return rc;
    from = to;
  }
  return 0;
}

/* --- output -------------------------------------------------------------------- */

/* "2026-11-22 21:40", local. */
static const char *local_minute(char out[48], long long ms) {
  return vg_cli_local(out, ms, "%Y-%m-%d %H:%M");
}

/* The file was imported before: say when and by whom. */
static int print_known(cli_t *c, const char *path, const char *sha,
                       const redisReply *h) {
  const char *at = vg_cli_field(h, "imported_at");
  const char *user = vg_cli_field(h, "user");
  const char *rows = vg_cli_field(h, "rows");
  long long ms = at ? strtoll(at, NULL, 10) : 0;
  char when[48];

  if (c->json) {
    printf("{\"file\":");
    vg_cli_json_str(stdout, path);
    printf(",\"sha256\":\"%s\",\"rows\":%lld,\"new_facts\":0,"
           "\"already_imported\":true,\"imported_at\":%lld,\"user\":",
           sha, rows ? strtoll(rows, NULL, 10) : 0, ms);
    vg_cli_json_str(stdout, user ? user : "");
    printf("}\n");
  } else {
    printf("%s: already imported on %s by %s; 0 new facts\n", path,
           ms ? local_minute(when, ms) : "?", user ? user : "?");
  }
  return 0;
}

/* P:feed:<sha> as a hash, or NULL (reported) when Redis failed; an empty
 * array when the file was never imported. */
static redisReply *load_record(cli_t *c, const char *key) {
  redisReply *h = redisCommand(c->rc, "HGETALL %s", key);
  if (h == NULL || h->type != REDIS_REPLY_ARRAY) {
    vg_cli_fail("Redis: %s", h ? (h->str ? h->str : "unexpected reply")
                               : c->rc->errstr);
    freeReplyObject(h);
    return NULL;
  }
  return h;
}

/* --- feed import ----------------------------------------------------------------- */

int vg_cli_feed_import(cli_t *c, int nw, const char **words) {
  if (nw != 3 || (strncmp(words[2], "--", 2) == 0))
    return vg_cli_usage_error("usage: feed import FILE.csv");
  const char *path = words[2];
  size_t len = 0, n = 0;
  char *buf = vg_cli_read_file(path, &len);
  if (buf == NULL)
    return vg_cli_fail("%s: cannot read: %s", path, strerror(errno));

  char sha[VG_SHA256_HEX], key[VG_KEY_MAX], user[300], abs[4096];
  vg_fact_t *f = NULL;
  redisReply *h = NULL;
  long long added = 0;
  int rc = 0;

  vg_sha256_hex(buf, len, sha);
  int bad = read_rows(c, path, buf, len, &f, &n);
  if (bad) {
    rc = vg_cli_fail("%s: %d bad row%s; nothing imported", path, bad,
                     bad == 1 ? "" : "s");
    goto out;
  }
  qsort(f, n, sizeof *f, by_number);
  size_t repeated = 0;
  for (size_t i = 1; i < n; i++)
    repeated += same_fact(&f[i], &f[i - 1]);

  if (vg_cli_connect(c)) {
    rc = 1;
    goto out;
  }
  vg_key(key, c->cfg.prefix, VG_K_FEED, sha);
  record_t rec = {key, vg_cli_abspath(path, abs, sizeof abs),
                  vg_oplog_user(user, sizeof user), n, 0};
  for (int attempt = 0;; attempt++) {
    freeReplyObject(redisCommand(c->rc, "WATCH %s", key));
    if ((h = load_record(c, key)) == NULL) {
      rc = 1;
      goto out;
    }
    if (h->elements > 0) {
      freeReplyObject(redisCommand(c->rc, "UNWATCH"));
      rc = print_known(c, path, sha, h);
      goto out;
    }
    freeReplyObject(h);
    h = NULL;
    rec.at = vg_now_ms();
    rc = write_facts(c, f, n, &rec, &added);
    if (rc != VG_EBUSY)
      break;
    if (attempt == 2) { /* the record keeps changing: give up */
      rc = vg_cli_fail("%s: the record of this file keeps changing; nothing "
                       "written, try again", path);
      goto out;
    }
  }
  if (rc != 0)
    goto out;
  /* The count is known only now; the record has everything else already. */
  char added_s[24];
  snprintf(added_s, sizeof added_s, "%lld", added);
  const char *hset[] = {"HSET", key, "new_facts", added_s};
  freeReplyObject(redisCommandArgv(c->rc, 4, hset, NULL));

  rc = vg_cli_audit(c, "feed.import", "%s: %zu row%s, %lld new fact%s, "
                    "sha256 %s", rec.file, n, n == 1 ? "" : "s", added,
                    added == 1 ? "" : "s", sha);
  long long known = (long long)(n - repeated) - added;
  if (c->json) {
    printf("{\"file\":");
    vg_cli_json_str(stdout, path);
    printf(",\"sha256\":\"%s\",\"rows\":%zu,\"new_facts\":%lld,"
           "\"already_known\":%lld,\"repeated\":%zu,"
           "\"already_imported\":false}\n",
           sha, n, added, known, repeated);
  } else {
    printf("%s: %zu row%s, %lld new fact%s (%lld already known", path, n,
           n == 1 ? "" : "s", added, added == 1 ? "" : "s", known);
    if (repeated)
      printf(", %zu repeated in the file", repeated);
    printf(")\n");
  }
out:
  freeReplyObject(h);
  free(f);
  free(buf);
  return rc;
}

/* --- feed show ------------------------------------------------------------------- */

/* What the audits will see of one number: vg_feed_load(), as the settlement
 * calls it. */
int vg_cli_feed_show(cli_t *c, int nw, const char **words) {
  char norm[VG_MSISDN_MAX], date[VG_DATE_TEXT];
  const char *why = NULL;
  vg_fact_t *f;
  size_t n;

  if (nw != 3 || strncmp(words[2], "--", 2) == 0)
    return vg_cli_usage_error("usage: feed show MSISDN");
  if (vg_msisdn_normalize(words[2], c->cfg.country_code, norm, &why) != 0)
    return vg_cli_usage_error("feed show: malformed number '%s': %s",
                              words[2], why);
  if (vg_cli_connect(c))
    return 1;
  int rc = vg_feed_load(c->rc, c->cfg.prefix, norm, &f, &n);
  if (rc == VG_EINVAL)
    return vg_cli_fail("%s: a stored fact is malformed", norm);
  if (rc != 0)
    return vg_cli_fail("Redis: %s", c->rc->err ? c->rc->errstr
                                               : "cannot read the facts");
  if (c->json)
    printf("{\"msisdn\":\"%s\",\"facts\":[", norm);
  else if (n == 0)
    printf("(no facts about %s)\n", norm);
  for (size_t i = 0; i < n; i++) {
    vg_date_format(f[i].date, date);
    if (c->json)
      printf("%s{\"date\":\"%s\",\"service\":\"%s\",\"event\":\"%s\"}",
             i ? "," : "", date, f[i].service, vg_feed_event_name(f[i].event));
    else
      printf("%s  %-8s  %s\n", date, f[i].service[0] ? f[i].service : "-",
             vg_feed_event_name(f[i].event));
  }
  if (c->json)
    printf("]}\n");
  free(f);
  return 0;
}
