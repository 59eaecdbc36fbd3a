/*
 * promoter.c — `vasgw promoter ...`: the operator's side of the
 * promoters (docs/promoters.md; docs/keys.md, "Promoters"): approving,
 * rejecting and disabling registrations, looking promoters up, and
 * onboarding a whole sales force from a CSV file.
 *
 *   promoter approve MSISDN | reject MSISDN --reason TEXT
 *            | disable MSISDN [--reason TEXT]
 *   promoter list [--status S] [--outlet O] [--limit N]
 *   promoter show MSISDN
 *   promoter import FILE.csv
 *
 * MSISDN may also be a staff number (工号, "10001").  Status changes and
 * imports call the Redis Functions of handlers/lua/promoters.lua (the
 * import through handlers/promoters.h), which write the record and queue
 * the promoter's SMS in one step; the SMS text is the locale's template,
 * passed unrendered and rendered inside the function.
 *
 * Exit status (cli.h): 0 done, also when a status was already what was
 * asked; 1 a runtime failure (Redis, no such promoter, a CSV file with bad
 * rows); 2 a usage error, and a refused value on the command line (a
 * malformed number, a reason too long).
 */
#include "cli/cli.h"
#include "gateway/clock.h"
#include "gateway/csv.h"
#include "gateway/keys.h"
#include "gateway/msisdn.h"
#include "handlers/lua/functions.h"
#include "gateway/vg.h"
#include "handlers/ledger_date.h"
#include "handlers/promoters.h"
#include "handlers/templates.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uniwidth.h>

static const char *const statuses[] = {"pending", "approved", "rejected",
                                       "disabled"};

/* A refused value on the command line: "vasgw: promoter SUB: why", exit 2. */
#define refuse(sub, ...) refuse_in("promoter", sub, __VA_ARGS__)
static int refuse_in(const char *family, const char *sub, const char *fmt,
                     ...) __attribute__((format(printf, 3, 4)));
static int refuse_in(const char *family, const char *sub, const char *fmt,
                     ...) {
  char cmd[32], why[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  snprintf(cmd, sizeof cmd, "%s %s", family, sub);
  return vg_cli_refuse(cmd, "%s", why);
}

/* --- command-line options ------------------------------------------------- */

/* Parse words[2..] of `promoter SUB` (cli.h, vg_cli_options). */
static int parse(const char *sub, int nw, const char **w, vg_cli_opt_t *opts,
                 size_t nopts, const char **pos, int maxpos, int *npos) {
  char cmd[32];
  snprintf(cmd, sizeof cmd, "promoter %s", sub);
  return vg_cli_options(cmd, nw, w, 2, opts, nopts, pos, maxpos, npos);
}

/* A staff number as promoter_register gives them: digits from 10001 on,
 * shorter than any MSISDN (8 digits at least). */
static int is_staff_no(const char *s) {
  size_t n = strspn(s, "0123456789");
  return s[n] == '\0' && n >= 5 && n <= 7;
}

/* Check a number or staff number given on the command line (no Redis):
 * 0, or 2 after saying why. */
static int check_who(cli_t *c, const char *sub, const char *who,
                     char msisdn[VG_MSISDN_MAX]) {
  const char *why = NULL;

  if (is_staff_no(who)) {
    msisdn[0] = '\0';
    return 0;
  }
  if (vg_msisdn_normalize(who, c->cfg.country_code, msisdn, &why) != 0)
    return refuse(sub, "malformed number '%s': %s", who, why);
  return 0;
}

/* The MSISDN of a staff number (connected): 0, or 1 after saying why. */
static int resolve_staff(cli_t *c, const char *staff,
                         char msisdn[VG_MSISDN_MAX]) {
  char key[VG_KEY_MAX];
  vg_key(key, c->cfg.prefix, VG_K_STAFF, staff);
  redisReply *r = redisCommand(c->rc, "GET %s", key);
  int rc = 0;
  if (r == NULL || r->type == REDIS_REPLY_ERROR)
    rc = vg_cli_fail("Redis: %s", r ? r->str : c->rc->errstr);
  else if (r->type != REDIS_REPLY_STRING || r->len >= VG_MSISDN_MAX)
    rc = vg_cli_fail("no promoter with staff no. %s", staff);
  else
    snprintf(msisdn, VG_MSISDN_MAX, "%s", r->str);
  freeReplyObject(r);
  return rc;
}

/* --- approve, reject, disable --------------------------------------------- */

/* The text the scripts render: the raw template, and the status word. */
typedef struct {
  vg_templates_t *t;
  const char *tpl;
  char word[128];
} texts_t;

static int load_texts(cli_t *c, vg_tpl_id_t id, const char *status,
                      texts_t *x) {
  char err[512];
  x->t = vg_templates_load(c->cfg.templates, c->cfg.locale, err, sizeof err);
  if (x->t == NULL)
    return vg_cli_fail("%s", err);
  x->tpl = vg_templates_raw(x->t, id);
  if (status != NULL)
    vg_templates_word(x->t, VG_TPL_WORDS_STATUS, status, x->word,
                      sizeof x->word);
  else
    x->word[0] = '\0';
  return 0;
}

int vg_cli_promoter_status(cli_t *c, int nw, const char **words) {
  const char *sub = words[1], *status, *pos[1];
  vg_tpl_id_t id;
  int npos, rc;
  vg_cli_opt_t opts[] = {{"--reason", 0, NULL}};
  size_t nopts = 1;

  if (strcmp(sub, "approve") == 0) {
    status = "approved", id = VG_TPL_PROMOTER_APPROVED, nopts = 0;
  } else if (strcmp(sub, "reject") == 0) {
    status = "rejected", id = VG_TPL_PROMOTER_REJECTED;
  } else {
    status = "disabled", id = VG_TPL_PROMOTER_DISABLED;
  }
  if ((rc = parse(sub, nw, words, opts, nopts, pos, 1, &npos)) != 0)
    return rc;
  if (npos != 1)
    return vg_cli_usage_error("usage: promoter %s MSISDN%s", sub,
                              id == VG_TPL_PROMOTER_REJECTED ? " --reason TEXT"
                              : id == VG_TPL_PROMOTER_DISABLED
                                  ? " [--reason TEXT]"
                                  : "");
  if (id == VG_TPL_PROMOTER_REJECTED && opts[0].value == NULL)
    return vg_cli_usage_error("promoter reject: missing --reason (the "
                              "promoter reads it in the SMS)");
  char msisdn[VG_MSISDN_MAX], why[256];
  if ((rc = check_who(c, sub, pos[0], msisdn)) != 0)
    return rc;
  const char *reason = nopts ? opts[0].value : NULL;
  if (reason != NULL && vg_promoter_check_reason(reason, why, sizeof why))
    return refuse(sub, "%s", why);

  texts_t x;
  if (load_texts(c, id, status, &x))
    return 1;
  /* The SMS of a disabling says why; without a reason it says that none
   * was given rather than leave the sentence empty. */
  char *fallback = NULL;
  if (reason == NULL && id == VG_TPL_PROMOTER_DISABLED)
    reason = fallback =
        vg_templates_render(x.t, VG_TPL_REASON_UNKNOWN, NULL, 0);
  if (reason == NULL)
    reason = "";
  rc = 1;
  if (vg_cli_connect(c) || (!msisdn[0] && resolve_staff(c, pos[0], msisdn)))
    goto out;

  vg_fn_promoter_status_t a = {.prefix = c->cfg.prefix,
                               .now = vg_now_ms(),
                               .msisdn = msisdn,
                               .status = status,
                               .reason = reason,
                               .msg_ttl = (long long)c->cfg.msg_ttl_days * 86400,
                               .template = x.tpl,
                               .status_word = x.word,
                               .ussd_code = c->cfg.ussd_service_code};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_promoter_status(&call, &a);
  redisReply *r = vg_cli_fcall(c, &call);
  vg_fcall_free(&call);
  if (r == NULL)
    goto out;
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 5) {
    vg_cli_fail("Redis function promoter_status: unexpected reply");
    freeReplyObject(r);
    goto out;
  }
  const char *outcome = r->element[0]->str, *old = r->element[1]->str,
             *name = r->element[2]->str, *staff = r->element[3]->str,
             *sms = r->element[4]->str;
  if (strcmp(outcome, "missing") == 0) {
    vg_cli_fail("no promoter %s (see 'vasgw promoter list')", msisdn);
    freeReplyObject(r);
    goto out;
  }
  int changed = strcmp(outcome, "changed") == 0;
  rc = 0;
  if (changed) {
    char action[32];
    snprintf(action, sizeof action, "promoter.%s", sub);
    rc = vg_cli_audit(c, action, "%s (staff no. %s, %s): %s -> %s%s%s", msisdn,
                      staff, name, old, status, *reason ? "; reason: " : "",
                      reason);
  }
  if (c->json) {
    printf("{\"msisdn\":");
    vg_cli_json_str(stdout, msisdn);
    printf(",\"staff_no\":");
    vg_cli_json_str(stdout, staff);
    printf(",\"name\":");
    vg_cli_json_str(stdout, name);
    printf(",\"from\":");
    vg_cli_json_str(stdout, old);
    printf(",\"status\":");
    vg_cli_json_str(stdout, status);
    printf(",\"reason\":");
    vg_cli_json_str(stdout, changed ? reason : "");
    printf(",\"changed\":%s,\"sms_queued\":%s,\"message\":",
           changed ? "true" : "false", changed ? "true" : "false");
    vg_cli_json_str(stdout, sms);
    printf("}\n");
  } else if (changed) {
    printf("promoter %s (staff no. %s, %s): %s -> %s; SMS %s queued\n",
           msisdn, staff, name, old, status, sms);
  } else {
    printf("promoter %s (staff no. %s, %s) is already %s; nothing changed, "
           "no SMS sent\n", msisdn, staff, name, status);
  }
  freeReplyObject(r);
out:
  free(fallback);
  vg_templates_free(x.t);
  return rc;
}

/* --- list, show ----------------------------------------------------------- */

/* The fields of the record, as stored; the times are numbers. */
static const char *const text_fields[] = {"msisdn", "staff_no", "name",
                                          "outlet", "status",   "reason",
                                          "source"};

static void print_record_json(const redisReply *h) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(text_fields); i++) {
    printf("%s\"%s\":", i ? "," : "", text_fields[i]);
    vg_cli_json_str(stdout, vg_cli_str(h, text_fields[i]));
  }
  printf(",\"registered_at\":%lld", vg_cli_num(h, "registered_at"));
  vg_cli_json_time(stdout, "registered_at", vg_cli_num(h, "registered_at"));
  printf(",\"updated_at\":%lld", vg_cli_num(h, "updated_at"));
  vg_cli_json_time(stdout, "updated_at", vg_cli_num(h, "updated_at"));
}

static void print_table(redisReply **h, size_t n) {
  static const char *const head[] = {"MSISDN", "STAFF NO.", "NAME",
                                     "OUTLET", "STATUS",    "REGISTERED"};
  static const char *const col[] = {"msisdn", "staff_no", "name", "outlet",
                                    "status"};
  size_t w[6];
  char d[VG_CLI_WHEN_MAX];

  for (int k = 0; k < 6; k++)
    w[k] = strlen(head[k]);
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < 5; k++)
      if (vg_cli_width(vg_cli_str(h[i], col[k])) > w[k])
        w[k] = vg_cli_width(vg_cli_str(h[i], col[k]));
  for (int k = 0; k < 6; k++)
    vg_cli_cell(head[k], w[k], 0, k < 5 ? "  " : "\n");
  for (size_t i = 0; i < n; i++) {
    for (int k = 0; k < 5; k++)
      vg_cli_cell(vg_cli_str(h[i], col[k]), w[k], 0, "  ");
    vg_cli_cell(vg_cli_local(d, vg_cli_num(h[i], "registered_at"), VG_CLI_DAY),
                w[5], 0, "\n");
  }
}

int vg_cli_promoter_list(cli_t *c, int nw, const char **words) {
  vg_cli_opt_t opts[] = {
      {"--status", 0, NULL}, {"--outlet", 0, NULL}, {"--limit", 0, NULL}};
  const char *status, *outlet;
  long limit = 50;
  int npos, rc;

  if ((rc = parse("list", nw, words, opts, 3, NULL, 0, &npos)) != 0)
    return rc;
  status = opts[0].value;
  outlet = opts[1].value;
  if (status != NULL) {
    size_t k = 0;
    while (k < VG_ARRAY_SIZE(statuses) && strcmp(statuses[k], status) != 0)
      k++;
    if (k == VG_ARRAY_SIZE(statuses))
      return vg_cli_usage_error("promoter list: --status is one of pending, "
                                "approved, rejected, disabled");
  }
  if (opts[2].value != NULL) {
    char *end;
    errno = 0;
    limit = strtol(opts[2].value, &end, 10);
    if (errno || *end || end == opts[2].value || limit < 1 || limit > 100000)
      return vg_cli_usage_error("promoter list: --limit is 1 to 100000");
  }
  if (vg_cli_connect(c))
    return 1;

  /* Newest first, a page of the index at a time, one round trip each. */
  char index[VG_KEY_MAX], key[VG_KEY_MAX];
  vg_key(index, c->cfg.prefix, "%s", VG_K_PROMOTERS);
  redisReply **shown = vg_malloc((size_t)limit * sizeof *shown);
  size_t n = 0;
  const long page = 500;
  rc = 0;
  for (long start = 0; rc == 0 && n < (size_t)limit; start += page) {
    redisReply *ids = redisCommand(c->rc, "ZREVRANGE %s %ld %ld", index, start,
                                   start + page - 1);
    if (ids == NULL || ids->type != REDIS_REPLY_ARRAY) {
      rc = vg_cli_fail("Redis: %s", ids ? ids->str : c->rc->errstr);
      freeReplyObject(ids);
      break;
    }
    for (size_t i = 0; i < ids->elements; i++) {
      vg_key(key, c->cfg.prefix, VG_K_PROMOTER, ids->element[i]->str);
      redisAppendCommand(c->rc, "HGETALL %s", key);
    }
    for (size_t i = 0; i < ids->elements; i++) {
      redisReply *h = NULL;
      if (redisGetReply(c->rc, (void **)&h) != REDIS_OK) {
        rc = vg_cli_fail("Redis: %s", c->rc->errstr);
        break;
      }
      /* A record removed by hand stays out; so do the filtered. */
      if (rc == 0 && n < (size_t)limit && h->type == REDIS_REPLY_ARRAY &&
          h->elements > 0 && (!status || strcmp(vg_cli_str(h, "status"), status) == 0) &&
          (!outlet || strstr(vg_cli_str(h, "outlet"), outlet) != NULL))
        shown[n++] = h;
      else
        freeReplyObject(h);
    }
    int last = ids->elements < (size_t)page;
    freeReplyObject(ids);
    if (last)
      break;
  }
  if (rc == 0) {
    if (c->json) {
      printf("[");
      for (size_t i = 0; i < n; i++) {
        printf(i ? ",{" : "{");
        print_record_json(shown[i]);
        printf("}");
      }
      printf("]\n");
    } else if (n == 0) {
      printf(status || outlet ? "(no promoter matches)\n" : "(no promoters)\n");
    } else {
      print_table(shown, n);
    }
  }
  for (size_t i = 0; i < n; i++)
    freeReplyObject(shown[i]);
  free(shown);
  return rc;
}

/* The monthly counters (docs/keys.md, "Promoters"), as stored. */
static const char *const counters[] = {"recommended", "confirmed",
                                       "activated",   "valid",
                                       "invalid",     "pending_fen",
                                       "settled_fen"};

/* Fen as yuan with two decimals, integer arithmetic only. */

int vg_cli_promoter_show(cli_t *c, int nw, const char **words) {
  const char *pos[1];
  char msisdn[VG_MSISDN_MAX], key[VG_KEY_MAX];
  int npos, rc;

  if ((rc = parse("show", nw, words, NULL, 0, pos, 1, &npos)) != 0)
    return rc;
  if (npos != 1)
    return vg_cli_usage_error("usage: promoter show MSISDN|STAFF_NO");
  if ((rc = check_who(c, "show", pos[0], msisdn)) != 0)
    return rc;
  if (vg_cli_connect(c) || (!msisdn[0] && resolve_staff(c, pos[0], msisdn)))
    return 1;

  /* This month and the last, local time ([gateway] timezone). */
  char month[2][16], today[12];
  int32_t day = (int32_t)atol(vg_clock_day(today, vg_now_ms()));
  snprintf(month[0], sizeof month[0], "%d", (int)vg_date_month(day));
  snprintf(month[1], sizeof month[1], "%d",
           (int)vg_date_month(vg_date_add_months(day, -1)));

  vg_key(key, c->cfg.prefix, VG_K_PROMOTER, msisdn);
  redisAppendCommand(c->rc, "HGETALL %s", key);
  for (int i = 0; i < 2; i++) {
    vg_key(key, c->cfg.prefix, VG_K_PROMOTER_MONTH, msisdn, month[i]);
    redisAppendCommand(c->rc, "HGETALL %s", key);
  }
  redisReply *h[3] = {NULL, NULL, NULL};
  rc = 0;
  for (int i = 0; i < 3; i++)
    if (redisGetReply(c->rc, (void **)&h[i]) != REDIS_OK) {
      rc = vg_cli_fail("Redis: %s", c->rc->errstr);
      break;
    } else if (rc == 0 && h[i]->type != REDIS_REPLY_ARRAY) {
      rc = vg_cli_fail("Redis: %s", h[i]->type == REDIS_REPLY_ERROR
                                        ? h[i]->str
                                        : "unexpected reply");
    }
  if (rc == 0 && h[0]->elements == 0)
    rc = vg_cli_fail("no promoter %s (see 'vasgw promoter list')", msisdn);
  if (rc != 0)
    goto out;

  char t1[VG_CLI_WHEN_MAX], t2[VG_CLI_WHEN_MAX], y1[32], y2[32];
  if (c->json) {
    printf("{");
    print_record_json(h[0]);
    printf(",\"months\":[");
    for (int i = 0; i < 2; i++) {
      printf("%s{\"month\":\"%s\"", i ? "," : "", month[i]);
      for (size_t k = 0; k < VG_ARRAY_SIZE(counters); k++)
        printf(",\"%s\":%lld", counters[k], vg_cli_num(h[i + 1], counters[k]));
      printf("}");
    }
    printf("]}\n");
    goto out;
  }
  printf("promoter %s\n", msisdn);
  printf("  %-12s %s\n", "staff no.", vg_cli_str(h[0], "staff_no"));
  printf("  %-12s %s\n", "name", vg_cli_str(h[0], "name"));
  printf("  %-12s %s\n", "outlet",
         *vg_cli_str(h[0], "outlet") ? vg_cli_str(h[0], "outlet") : "-");
  printf("  %-12s %s\n", "status", vg_cli_str(h[0], "status"));
  if (*vg_cli_str(h[0], "reason"))
    printf("  %-12s %s\n", "reason", vg_cli_str(h[0], "reason"));
  printf("  %-12s %s\n", "source", vg_cli_str(h[0], "source"));
  printf("  %-12s %s\n", "registered",
         vg_cli_local(t1, vg_cli_num(h[0], "registered_at"), VG_CLI_TIME));
  printf("  %-12s %s\n", "updated",
         vg_cli_local(t2, vg_cli_num(h[0], "updated_at"), VG_CLI_TIME));
  printf("  %-8s %11s %9s %9s %5s %7s %14s %14s\n", "month", "recommended",
         "confirmed", "activated", "valid", "invalid", "pending (yuan)",
         "settled (yuan)");
  for (int i = 0; i < 2; i++) {
    const redisReply *mh = h[i + 1];
    printf("  %.4s-%.2s  %11lld %9lld %9lld %5lld %7lld %14s %14s\n",
           month[i], month[i] + 4, vg_cli_num(mh, "recommended"),
           vg_cli_num(mh, "confirmed"), vg_cli_num(mh, "activated"), vg_cli_num(mh, "valid"),
           vg_cli_num(mh, "invalid"), vg_cli_yuan(y1, vg_cli_num(mh, "pending_fen")),
           vg_cli_yuan(y2, vg_cli_num(mh, "settled_fen")));
  }
out:
  for (int i = 0; i < 3; i++)
    freeReplyObject(h[i]);
  return rc;
}

/* --- import --------------------------------------------------------------- */

static void bad_row(void *data, long line, const char *why) {
  vg_cli_bad_row(data, line, "%s", why);
}

int vg_cli_promoter_import(cli_t *c, int nw, const char **words) {
  const char *pos[1];
  int npos, rc;

  if ((rc = parse("import", nw, words, NULL, 0, pos, 1, &npos)) != 0)
    return rc;
  if (npos != 1)
    return vg_cli_usage_error("usage: promoter import FILE.csv");
  const char *path = pos[0];
  size_t len = 0;
  char *buf = vg_cli_read_file(path, &len);
  if (buf == NULL)
    return vg_cli_fail("%s: cannot read: %s", path, strerror(errno));
  char abs[4096], err[1024];
  vg_import_opts_t o = {.bad_row = bad_row,
                        .data = (void *)path,
                        .file = vg_cli_abspath(path, abs, sizeof abs)};
  vg_promoter_import_t in;
  texts_t x = {0};
  rc = 0;
  if (vg_promoter_import_parse(&c->cfg, buf, len, &o, &in, err, sizeof err)) {
    rc = vg_cli_fail("%s: %s", path, err);
    goto out;
  }
  if (load_texts(c, VG_TPL_PROMOTER_APPROVED, NULL, &x) || vg_cli_connect(c)) {
    rc = 1;
    goto out;
  }
  if (vg_promoter_import_write(c->rc, &c->cfg, x.tpl, &in, &o, err,
                               sizeof err) != 0) {
    rc = vg_cli_fail("%s", err);
    goto out;
  }
  if (in.not_logged)
    rc = vg_cli_fail("promoter.import done, but not recorded in the audit "
                     "log: %s",
                     err);
  size_t n = in.n, added = in.added;
  if (c->json) {
    printf("{\"file\":");
    vg_cli_json_str(stdout, path);
    printf(",\"promoters\":%zu,\"added\":%zu,\"already_registered\":%zu,"
           "\"rows\":[", n, added, n - added);
    for (size_t i = 0; i < n; i++) {
      printf("%s{\"line\":%ld,\"msisdn\":", i ? "," : "", in.rows[i].line);
      vg_cli_json_str(stdout, in.rows[i].msisdn);
      printf(",\"staff_no\":");
      vg_cli_json_str(stdout, in.rows[i].staff);
      printf(",\"added\":%s}", in.rows[i].created ? "true" : "false");
    }
    printf("]}\n");
  } else {
    printf("%s: %zu promoter%s: %zu added (approved, SMS queued), %zu "
           "already registered\n", path, n, n == 1 ? "" : "s", added,
           n - added);
  }
out:
  vg_promoter_import_free(&in);
  vg_templates_free(x.t);
  free(buf);
  return rc;
}
