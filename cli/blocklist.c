/*
 * blocklist.c — `vasgw blocklist ...`: the do-not-contact list
 * (handlers/blocklist.h; the marketing rule `blocklisted`,
 * docs/subscribers.md).
 *
 *   blocklist add MSISDN [--reason TEXT]
 *   blocklist remove MSISDN
 *   blocklist show MSISDN
 *   blocklist list [--limit N]
 *   blocklist import FILE.csv        rows msisdn[,reason]
 *
 * An import reads the file twice with the imports' CSV reader: first every
 * row is checked and each bad one told as FILE:LINE (a file with one writes
 * nothing), then the numbers go to Redis in batches of VG_BLOCKLIST_BATCH,
 * so that a million rows need no more memory than one batch.  Adding a
 * listed number changes nothing, so an import cut short is completed by
 * running it again.
 *
 * Exit status (cli.h): 0 done, also when the number already was (or was
 * not) listed; 1 a runtime failure (Redis, a file with bad rows); 2 a usage
 * error or a refused value (a malformed number, a reason too long).
 */
#include "cli/cli.h"
#include "gateway/clock.h"
#include "gateway/keys.h"
#include "gateway/msisdn.h"
#include "gateway/vg.h"
#include "handlers/blocklist.h"
#include "handlers/oplog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_DEFAULT 50
#define LIST_MAX 100000

/*
 * words[2..]: one positional word into *pos and, when `opt` is not NULL,
 * "OPT VALUE" or "OPT=VALUE" once into *value.  0, or 2 after a usage
 * error naming `usage`.
 */
static int args(int nw, const char **w, const char *usage, int npos,
                const char **pos, const char *opt, const char **value) {
  int got = 0;
  size_t olen = opt ? strlen(opt) : 0;

  for (int i = 2; i < nw; i++) {
    if (opt && strncmp(w[i], opt, olen) == 0 &&
        (w[i][olen] == '\0' || w[i][olen] == '=')) {
      if (*value != NULL)
        return vg_cli_usage_error("%s: %s given twice", usage, opt);
      if (w[i][olen] == '=')
        *value = w[i] + olen + 1;
      else if (i + 1 < nw)
        *value = w[++i];
      else
        return vg_cli_usage_error("%s: %s needs a value", usage, opt);
    } else if (strncmp(w[i], "--", 2) == 0 || got == npos) {
      return vg_cli_usage_error("usage: %s", usage);
    } else {
      *pos = w[i];
      got++;
    }
  }
  return got == npos ? 0 : vg_cli_usage_error("usage: %s", usage);
}

/* The number given, normalised: 0, or 2 after refusing it. */
static int number(cli_t *c, const char *sub, const char *in,
                  char out[VG_MSISDN_MAX]) {
  const char *why = NULL;
  char cmd[32];
  if (vg_msisdn_normalize(in, c->cfg.country_code, out, &why) == 0)
    return 0;
  snprintf(cmd, sizeof cmd, "blocklist %s", sub);
  return vg_cli_refuse(cmd, "malformed number '%s': %s", in, why);
}

/* The commands whose only argument is a number (remove, show): it
 * normalised into `m`, and connected.  0, or the exit status (told). */
static int one_number(cli_t *c, int nw, const char **words, const char *sub,
                      char m[VG_MSISDN_MAX]) {
  const char *who = NULL;
  char usage[64];
  int rc;

  snprintf(usage, sizeof usage, "blocklist %s MSISDN", sub);
  if ((rc = args(nw, words, usage, 1, &who, NULL, NULL)) != 0 ||
      (rc = number(c, sub, who, m)) != 0)
    return rc;
  return vg_cli_connect(c);
}

/* One number: aligned text, or a JSON object whose first members are
 * `head` ("" or `"added":true,`). */
static void print_entry(const cli_t *c, const vg_blocklist_entry_t *e,
                        int listed, const char *head) {
  char when[VG_CLI_WHEN_MAX];
  if (c->json) {
    printf("{%s\"msisdn\":\"%s\",\"listed\":%s", head, e->msisdn,
           listed ? "true" : "false");
    if (listed) {
      printf(",\"at\":%lld", e->at);
      vg_cli_json_time(stdout, "at", e->at);
      printf(",\"user\":");
      vg_cli_json_str(stdout, e->user);
      printf(",\"reason\":");
      vg_cli_json_str(stdout, e->reason);
    }
    printf("}\n");
  } else if (!listed) {
    printf("%s  not on the do-not-contact list\n", e->msisdn);
  } else {
    printf("%s  on the do-not-contact list\n", e->msisdn);
    printf("  since   %s\n", vg_cli_local(when, e->at, VG_CLI_TIME));
    printf("  by      %s\n", *e->user ? e->user : "-");
    printf("  reason  %s\n", *e->reason ? e->reason : "-");
  }
}

/* --- add, remove, show ---------------------------------------------------- */

int vg_cli_blocklist_add(cli_t *c, int nw, const char **words) {
  const char *who = NULL, *reason = NULL;
  char m[VG_MSISDN_MAX], why[256], err[512], user[128];
  int rc;

  if ((rc = args(nw, words, "blocklist add MSISDN [--reason TEXT]", 1, &who,
                 "--reason", &reason)) != 0)
    return rc;
  if ((rc = number(c, "add", who, m)) != 0)
    return rc;
  if (reason == NULL)
    reason = "";
  if (vg_blocklist_check_reason(reason, why, sizeof why) != 0)
    return vg_cli_refuse("blocklist add", "%s", why);
  if (vg_cli_connect(c))
    return 1;
  vg_blocklist_batch_t b;
  vg_blocklist_batch_init(&b, c->rc, c->cfg.prefix, vg_now_ms(),
                          vg_oplog_user(user, sizeof user));
  rc = vg_blocklist_batch_add(&b, m, reason, err, sizeof err);
  if (rc == 0)
    rc = vg_blocklist_batch_flush(&b, err, sizeof err);
  long long added = b.added;
  vg_blocklist_batch_free(&b);
  if (rc != 0)
    return vg_cli_fail("%s", err);
  vg_blocklist_entry_t e;
  if (vg_blocklist_get(c->rc, c->cfg.prefix, m, &e, err, sizeof err) < 0)
    return vg_cli_fail("%s", err);
  if (!c->json)
    printf(added ? "added: " : "already listed: ");
  print_entry(c, &e, 1, added ? "\"added\":true," : "\"added\":false,");
  /* A number listed before changed nothing: nothing to record. */
  return added ? vg_cli_audit(c, "blocklist.add", "%s%s%s", m,
                              *reason ? " reason: " : "", reason)
               : 0;
}

int vg_cli_blocklist_remove(cli_t *c, int nw, const char **words) {
  char m[VG_MSISDN_MAX], err[512];
  int rc;

  if ((rc = one_number(c, nw, words, "remove", m)) != 0)
    return rc;
  vg_blocklist_entry_t was;
  if (vg_blocklist_get(c->rc, c->cfg.prefix, m, &was, err, sizeof err) < 0)
    return vg_cli_fail("%s", err);
  int removed = vg_blocklist_remove(c->rc, c->cfg.prefix, m, err, sizeof err);
  if (removed < 0)
    return vg_cli_fail("%s", err);
  if (c->json)
    printf("{\"msisdn\":\"%s\",\"removed\":%s}\n", m,
           removed ? "true" : "false");
  else
    printf(removed ? "%s: removed from the do-not-contact list\n"
                   : "%s: not on the do-not-contact list; nothing to do\n",
           m);
  if (!removed)
    return 0;
  char when[VG_CLI_WHEN_MAX];
  return vg_cli_audit(c, "blocklist.remove", "%s (listed %s by %s%s%s)", m,
                      vg_cli_local(when, was.at, VG_CLI_TIME),
                      *was.user ? was.user : "?",
                      *was.reason ? ": " : "", was.reason);
}

int vg_cli_blocklist_show(cli_t *c, int nw, const char **words) {
  char m[VG_MSISDN_MAX], err[512];
  int rc;

  if ((rc = one_number(c, nw, words, "show", m)) != 0)
    return rc;
  vg_blocklist_entry_t e;
  int listed = vg_blocklist_get(c->rc, c->cfg.prefix, m, &e, err, sizeof err);
  if (listed < 0)
    return vg_cli_fail("%s", err);
  print_entry(c, &e, listed, "");
  return 0;
}

/* --- list -------------------------------------------------------------------- */

static int by_msisdn(const void *a, const void *b) {
  return strcmp(((const vg_blocklist_entry_t *)a)->msisdn,
                ((const vg_blocklist_entry_t *)b)->msisdn);
}

int vg_cli_blocklist_list(cli_t *c, int nw, const char **words) {
  const char *lim = NULL, *none = NULL;
  char set[VG_KEY_MAX], info[VG_KEY_MAX], *end;
  long long limit = LIST_DEFAULT;
  int rc;

  if ((rc = args(nw, words, "blocklist list [--limit N]", 0, &none, "--limit",
                 &lim)) != 0)
    return rc;
  if (lim != NULL) {
    limit = strtoll(lim, &end, 10);
    if (*lim == '\0' || *end != '\0' || limit < 1 || limit > LIST_MAX)
      return vg_cli_usage_error("blocklist list: --limit '%s' is not a number "
                                "from 1 to %d", lim, LIST_MAX);
  }
  if (vg_cli_connect(c))
    return 1;
  vg_key(set, c->cfg.prefix, "%s", VG_K_BLOCKLIST);
  vg_key(info, c->cfg.prefix, "%s", VG_K_BLOCKLIST_INFO);
  redisReply *card = redisCommand(c->rc, "SCARD %s", set);
  if (card == NULL || card->type != REDIS_REPLY_INTEGER) {
    rc = vg_cli_fail("Redis: %s", card && card->type == REDIS_REPLY_ERROR
                                      ? card->str : c->rc->errstr);
    freeReplyObject(card);
    return rc;
  }
  long long total = card->integer;
  freeReplyObject(card);
  /* SSCAN: a list of millions is read a page at a time, and only as far as
   * the limit; which numbers come first is the set's order. */
  size_t n = 0, cap = (size_t)(limit < total ? limit : total);
  vg_blocklist_entry_t *e = vg_calloc(cap ? cap : 1, sizeof *e);
  char cursor[32] = "0";
  do {
    redisReply *r = redisCommand(c->rc, "SSCAN %s %s COUNT 1000", set, cursor);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
      rc = vg_cli_fail("Redis: %s", r && r->type == REDIS_REPLY_ERROR
                                        ? r->str : c->rc->errstr);
      freeReplyObject(r);
      free(e);
      return rc;
    }
    snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
    const redisReply *m = r->element[1];
    for (size_t i = 0; i < m->elements && n < cap; i++)
      snprintf(e[n++].msisdn, sizeof e->msisdn, "%s", m->element[i]->str);
    freeReplyObject(r);
  } while (strcmp(cursor, "0") != 0 && n < cap);
  for (size_t i = 0; i < n; i++)
    redisAppendCommand(c->rc, "HGET %s %s", info, e[i].msisdn);
  for (size_t i = 0; i < n; i++) {
    void *v = NULL;
    if (redisGetReply(c->rc, &v) != REDIS_OK) {
      free(e);
      return vg_cli_fail("Redis: %s", c->rc->errstr);
    }
    redisReply *r = v;
    if (r->type == REDIS_REPLY_STRING)
      vg_blocklist_parse_info(r->str, &e[i]);
    freeReplyObject(r);
  }
  qsort(e, n, sizeof *e, by_msisdn);

  char when[VG_CLI_WHEN_MAX];
  if (c->json) {
    printf("{\"total\":%lld,\"numbers\":[", total);
    for (size_t i = 0; i < n; i++) {
      printf("%s{\"msisdn\":\"%s\",\"at\":%lld", i ? "," : "", e[i].msisdn,
             e[i].at);
      vg_cli_json_time(stdout, "at", e[i].at);
      printf(",\"user\":");
      vg_cli_json_str(stdout, e[i].user);
      printf(",\"reason\":");
      vg_cli_json_str(stdout, e[i].reason);
      printf("}");
    }
    printf("]}\n");
  } else {
    size_t wu = strlen("BY");
    for (size_t i = 0; i < n; i++)
      if (vg_cli_width(e[i].user) > wu)
        wu = vg_cli_width(e[i].user);
    vg_cli_cell("MSISDN", 15, 0, "  ");
    vg_cli_cell("SINCE", 26, 0, "  ");
    vg_cli_cell("BY", wu, 0, "  ");
    vg_cli_cell("REASON", 0, 0, "\n");
    for (size_t i = 0; i < n; i++) {
      vg_cli_cell(e[i].msisdn, 15, 0, "  ");
      vg_cli_cell(vg_cli_local(when, e[i].at, VG_CLI_TIME), 26, 0, "  ");
      vg_cli_cell(*e[i].user ? e[i].user : "-", wu, 0, "  ");
      vg_cli_cell(*e[i].reason ? e[i].reason : "-", 0, 0, "\n");
    }
    printf("%zu of %lld number%s listed\n", n, total, total == 1 ? "" : "s");
  }
  free(e);
  return 0;
}

/* --- import ------------------------------------------------------------------ */

typedef struct {
  cli_t *c;
  const char *path;
  vg_blocklist_batch_t b; /* the second pass: where the rows go */
  int write;
  size_t rows;
  char err[512];
  int failed; /* a batch was not written: the rest is skipped */
} import_t;

static int import_row(void *data, size_t nth, const vg_csv_row_t *r) {
  import_t *im = data;
  char m[VG_MSISDN_MAX], why[256];
  const char *reason;

  if (nth == 0 && vg_blocklist_is_header(r))
    return 0;
  if (vg_blocklist_parse_row(r, im->c->cfg.country_code, m, &reason, why,
                             sizeof why) != 0) {
    vg_cli_bad_row(im->path, r->line, "%s", why);
    return 1;
  }
  im->rows++;
  if (im->write && !im->failed &&
      vg_blocklist_batch_add(&im->b, m, reason, im->err, sizeof im->err) != 0)
    im->failed = 1;
  return 0;
}

int vg_cli_blocklist_import(cli_t *c, int nw, const char **words) {
  const char *path = NULL;
  char user[128], abs[4096];
  int rc;

  if ((rc = args(nw, words, "blocklist import FILE.csv", 1, &path, NULL,
                 NULL)) != 0)
    return rc;
  import_t im = {.c = c, .path = path};
  /* First every row is checked, before Redis is asked anything. */
  int bad = vg_cli_each_record(path, import_row, &im);
  if (bad < 0)
    return 1;
  if (bad > 0)
    return vg_cli_fail("%s: %d bad row%s; nothing imported", path, bad,
                       bad == 1 ? "" : "s");
  if (vg_cli_connect(c))
    return 1;
  im.rows = 0;
  im.write = 1;
  vg_blocklist_batch_init(&im.b, c->rc, c->cfg.prefix, vg_now_ms(),
                          vg_oplog_user(user, sizeof user));
  bad = vg_cli_each_record(path, import_row, &im);
  if (bad == 0 && !im.failed &&
      vg_blocklist_batch_flush(&im.b, im.err, sizeof im.err) != 0)
    im.failed = 1;
  long long added = im.b.added;
  vg_blocklist_batch_free(&im.b);
  if (bad != 0) /* the file changed between the two readings */
    return vg_cli_fail("%s: changed while it was imported; %lld numbers "
                       "added; import it again", path, added);
  if (im.failed)
    return vg_cli_fail("%s: %s; %lld numbers added before; import it again "
                       "to complete it", path, im.err, added);
  if (c->json) {
    printf("{\"file\":");
    vg_cli_json_str(stdout, path);
    printf(",\"rows\":%zu,\"added\":%lld,\"already_listed\":%lld}\n",
           im.rows, added, (long long)im.rows - added);
  } else
    printf("%s: %zu row%s, %lld number%s added (%lld already listed or "
           "repeated)\n",
           path, im.rows, im.rows == 1 ? "" : "s", added,
           added == 1 ? "" : "s", (long long)im.rows - added);
  if (added == 0)
    return 0;
  return vg_cli_audit(c, "blocklist.import", "%s: %zu rows, %lld added",
                      vg_cli_abspath(path, abs, sizeof abs), im.rows, added);
}
