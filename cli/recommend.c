/*
 * recommend.c — `vasgw recommend`: the call-centre seat's button, and the
 * bulk form for operators (one line per subscriber).
 *
 *   recommend MSISDN SVC [SVC ...] [--promoter MSISDN] [--knowledge]
 *   recommend --file FILE [--knowledge]     lines "msisdn,SVC[ SVC...]"
 *
 * Offers made here are the "api" channel: every contact rule applies and
 * quiet hours hold the SMS until the window opens.  The offers are made by
 * the same script as everywhere else (handlers/offers.h).
 */
#include "cli/cli.h"
#include "gateway/csv.h"
#include "gateway/keys.h"
#include "gateway/msisdn.h"
#include "gateway/mt_queue.h"
#include "gateway/redis_sync.h"
#include "gateway/vg.h"
#include "handlers/offers.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SVCS 16

/* A service named on the command line or in the file: its record, read
 * once before any offer is made, and its SMS rendered once. */
typedef struct {
  char code[16];
  redisReply *h;
  char *text;
} svc_t;

typedef struct {
  cli_t *c;
  vg_templates_t *tpl;
  int knowledge;
  svc_t *svc;
  size_t nsvc, capsvc;
} rec_t;

static svc_t *service(rec_t *r, const char *code) {
  for (size_t i = 0; i < r->nsvc; i++)
    if (strcmp(r->svc[i].code, code) == 0)
      return &r->svc[i];
  return NULL;
}

static void want_service(rec_t *r, const char *code) {
  if (service(r, code))
    return;
  if (r->nsvc == r->capsvc) {
    r->capsvc = r->capsvc ? r->capsvc * 2 : 16;
    r->svc = vg_realloc(r->svc, r->capsvc * sizeof *r->svc);
  }
  svc_t *s = &r->svc[r->nsvc++];
  memset(s, 0, sizeof *s);
  snprintf(s->code, sizeof s->code, "%s", code);
}

/* The SMS of a service must fit [gateway] max_parts, the reply code (one
 * digit, put in by offer_create) in its place: else no offer is made.  A
 * service not in the catalogue, or disabled, is refused by offer_create
 * with its rule, its SMS never made: not checked. */
static int check_length(rec_t *r, const svc_t *s) {
  const char *enabled = vg_cli_field(s->h, "enabled");
  if (enabled == NULL || strcmp(enabled, "1") != 0)
    return 0;
  char *t = vg_strdup(s->text), why[VG_MT_WHY_MAX];
  for (char *m = t; (m = strstr(m, VG_OFFER_CODE_MARK)) != NULL; m++)
    *m = '1';
  int nparts, rc = 0;
  if (vg_mt_check_text(t, strlen(t), r->c->cfg.max_parts, &nparts, why) != 0)
    rc = vg_cli_fail("recommend: the %s SMS of %s: %s; no offer made",
                     r->knowledge ? "knowledge" : "recommendation", s->code,
                     why);
  free(t);
  return rc;
}

/*
 * Read every service wanted and render its SMS, before any offer is sent.
 * The offers are pipelined (their replies read later), so no other command
 * may be sent and waited for while they are on the way: a blocking read
 * then takes an offer's reply for its own, and every count after it is
 * wrong.  Reading the services first keeps the two apart.
 */
static int read_services(rec_t *r) {
  char key[VG_KEY_MAX];
  for (size_t i = 0; i < r->nsvc; i++)
    redisAppendCommand(r->c->rc, "HGETALL %s",
                       vg_key(key, r->c->cfg.prefix, VG_K_SVC, r->svc[i].code));
  int rc = 0;
  for (size_t i = 0; i < r->nsvc; i++) {
    redisReply *h = NULL;
    if (redisGetReply(r->c->rc, (void **)&h) != REDIS_OK)
      return vg_cli_fail("Redis: %s", r->c->rc->errstr);
    if (h->type != REDIS_REPLY_ARRAY && rc == 0)
      rc = vg_cli_fail("Redis: HGETALL of service %s: %s", r->svc[i].code,
                       h->type == REDIS_REPLY_ERROR ? h->str
                                                    : "unexpected reply");
    r->svc[i].h = h;
    r->svc[i].text = vg_offer_render(r->tpl, r->knowledge, r->svc[i].code, h);
    if (rc == 0)
      rc = check_length(r, &r->svc[i]);
  }
  return rc;
}

static void upcase(char *s) {
  for (; *s; s++)
    *s = (char)toupper((unsigned char)*s);
}

/* Queue one subscriber's offers (pipelined: the reply is read later). */
static void append_offers(rec_t *r, const char *msisdn, char svcs[][16],
                          int n, const char *promoter, int64_t now) {
  vg_offer_contact_t ct = {.msisdn = msisdn,
                           .source = promoter && *promoter ? "promoter" : "api",
                           .channel = "api",
                           .promoter = promoter,
                           .campaign = "",
                           .marketing = 1,
                           .hold_quiet = 1};
  vg_offer_args_t a;
  vg_offer_args_init(&a, &r->c->cfg, &ct, now);
  for (int i = 0; i < n; i++) {
    char id[VG_OFFER_ID_MAX];
    vg_offer_new_id(id, now);
    vg_offer_args_add(&a, id, svcs[i], service(r, svcs[i])->text,
                      r->knowledge ? "knowledge" : "recommend");
  }
  vg_redis_sync_append(r->c->rc, &a.call);
  vg_offer_args_free(&a);
}

/*
 * The reply to one subscriber's offer_create: exactly one result per
 * service asked for, in order, or the call failed (reported, 1).  A reply
 * that does not match its request is never counted.
 */
static int read_results(rec_t *r, const char *where, int n,
                        vg_offer_result_t res[MAX_SVCS]) {
  redisReply *rep = NULL;
  if (redisGetReply(r->c->rc, (void **)&rep) != REDIS_OK)
    return vg_cli_fail("%sRedis: %s", where, r->c->rc->errstr);
  int rc = 0;
  if (rep->type == REDIS_REPLY_ERROR)
    rc = vg_cli_fail("%sRedis function offer_create: %s", where, rep->str);
  else if (rep->type != REDIS_REPLY_ARRAY || rep->elements != (size_t)n ||
           vg_offer_results(rep, res, MAX_SVCS) != (size_t)n)
    rc = vg_cli_fail("%soffer_create answered %zu results for %d offers",
                     where, rep->type == REDIS_REPLY_ARRAY ? rep->elements : 0,
                     n);
  freeReplyObject(rep);
  return rc;
}

static int load(rec_t *r) {
  char err[512];
  r->tpl = vg_templates_load(r->c->cfg.templates, r->c->cfg.locale, err,
                             sizeof err);
  if (r->tpl == NULL)
    return vg_cli_fail("%s", err);
  if (vg_cli_connect(r->c))
    return 1;
  return read_services(r);
}

static void release(rec_t *r) {
  for (size_t i = 0; i < r->nsvc; i++) {
    freeReplyObject(r->svc[i].h);
    free(r->svc[i].text);
  }
  free(r->svc);
  vg_templates_free(r->tpl);
}

static int recommend_one(rec_t *r, const char *msisdn, char svcs[][16],
                         int n, const char *promoter) {
  append_offers(r, msisdn, svcs, n, promoter, vg_now_ms());
  vg_offer_result_t res[MAX_SVCS];
  if (read_results(r, "", n, res))
    return 1;
  int any = 0;
  if (r->c->json) {
    printf("{\"msisdn\":");
    vg_cli_json_str(stdout, msisdn);
    printf(",\"offers\":[");
  }
  for (int i = 0; i < n; i++) {
    int refused = strcmp(res[i].status, "refused") == 0;
    int exists = strcmp(res[i].status, "exists") == 0;
    any |= !refused;
    if (r->c->json) {
      printf("%s{\"service\":", i ? "," : "");
      vg_cli_json_str(stdout, svcs[i]);
      printf(",\"offer\":");
      vg_cli_json_str(stdout, res[i].id);
      printf(",\"status\":");
      vg_cli_json_str(stdout, res[i].status);
      printf(",\"code\":");
      vg_cli_json_str(stdout, res[i].code);
      if (refused) {
        printf(",\"rule\":");
        vg_cli_json_str(stdout, res[i].detail);
        printf(",\"reason\":");
        vg_cli_json_str(stdout, vg_offer_rule_text(res[i].detail));
      } else if (!exists) {
        printf(",\"message\":");
        vg_cli_json_str(stdout, res[i].detail);
      }
      printf("}");
    } else if (refused) {
      printf("%-8s refused  %s: %s\n", svcs[i], res[i].detail,
             vg_offer_rule_text(res[i].detail));
    } else {
      printf("%-8s %-8s reply code %s, offer %s, message %s\n", svcs[i],
             res[i].status, res[i].code, res[i].id,
             exists ? "-" : res[i].detail);
    }
  }
  if (r->c->json)
    printf("]}\n");
  return any ? 0 : 1;
}

/* --- recommend --file ----------------------------------------------------- */

/*
 * One line of the file and what became of each of its offers: an index
 * into the outcomes seen ("sent", "refused:opted_out"), so that a file of
 * 100,000 lines keeps 16 bytes a line.  The totals are counted from these,
 * and from nothing else.
 */
typedef struct {
  long line;
  char to[VG_MSISDN_MAX];
  char svcs[MAX_SVCS][16];
  int n;
  unsigned char outcome[MAX_SVCS];
} line_t;

typedef struct {
  char name[64];
} outcome_t;

typedef struct {
  rec_t *r;
  const char *path;
  line_t *lines;
  size_t n, cap;
  outcome_t *outcomes; /* at most 256: the statuses and the rules */
  size_t noutcomes;
} file_t;

/* The codes of one field: separated by blanks, commas or semicolons. */
static int add_svcs(char *s, line_t *l) {
  for (char *w = strtok(s, " \t,;"); w; w = strtok(NULL, " \t,;")) {
    if (l->n == MAX_SVCS || strlen(w) > 8)
      return -1;
    snprintf(l->svcs[l->n++], 16, "%s", w);
    upcase(l->svcs[l->n - 1]);
  }
  return 0;
}

/* One record "msisdn,SVC[ SVC...]" (the codes may also be in further
 * fields): 0, or 1 when it is bad (told). */
static int file_row(file_t *f, const vg_csv_row_t *row) {
  if (f->n == f->cap) {
    f->cap = f->cap ? f->cap * 2 : 1024;
    f->lines = vg_realloc(f->lines, f->cap * sizeof *f->lines);
  }
  line_t *l = &f->lines[f->n];
  memset(l, 0, sizeof *l);
  l->line = row->line;
  const char *why = NULL, *bad_number = NULL;
  if (row->n < 2)
    why = "expected 'msisdn,SERVICE[ SERVICE...]'";
  else if (vg_msisdn_normalize(row->f[0], f->r->c->cfg.country_code, l->to,
                               &bad_number) != 0)
    why = "malformed number";
  else
    for (size_t i = 1; i < row->n && !why; i++)
      if (add_svcs(row->f[i], l) != 0)
        why = "expected 1 to 16 service codes of at most 8 characters";
  if (!why && l->n == 0)
    why = "expected 1 to 16 service codes of at most 8 characters";
  if (why && bad_number) {
    vg_cli_bad_row(f->path, row->line, "%s '%s': %s", why, row->f[0],
                   bad_number);
    return 1;
  }
  if (why) {
    vg_cli_bad_row(f->path, row->line, "%s", why);
    return 1;
  }
  for (int i = 0; i < l->n; i++)
    want_service(f->r, l->svcs[i]);
  f->n++;
  return 0;
}

/* A first record "msisdn,service" (or "msisdn,services") is a header, as
 * for send --file. */
static int file_record(void *data, size_t nth, const vg_csv_row_t *r) {
  return nth == 0 && vg_cli_is_header(r, "service|services")
             ? 0
             : file_row(data, r);
}

/* The index of outcome `name`, added when new; -1 past 256 (the statuses
 * and the rules are far fewer: reported as a failure, never folded). */
static int outcome(file_t *f, const char *name) {
  for (size_t i = 0; i < f->noutcomes; i++)
    if (strcmp(f->outcomes[i].name, name) == 0)
      return (int)i;
  if (f->noutcomes == 256)
    return -1;
  f->outcomes = vg_realloc(f->outcomes,
                           (f->noutcomes + 1) * sizeof *f->outcomes);
  snprintf(f->outcomes[f->noutcomes].name, sizeof f->outcomes->name, "%s",
           name);
  return (int)f->noutcomes++;
}

/* Every line's offers, 200 lines a round trip; each line's outcomes kept. */
static int make_offers(file_t *f) {
  size_t done = 0;
  while (done < f->n) {
    size_t batch = f->n - done < 200 ? f->n - done : 200;
    int64_t now = vg_now_ms();
    for (size_t i = 0; i < batch; i++) {
      line_t *l = &f->lines[done + i];
      append_offers(f->r, l->to, l->svcs, l->n, "", now);
    }
    int rc = 0;
    for (size_t i = 0; i < batch; i++) {
      line_t *l = &f->lines[done + i];
      vg_offer_result_t res[MAX_SVCS];
      char where[PATH_MAX + 32]; /* the file was read: its name fits */
      snprintf(where, sizeof where, "%s:%ld: ", f->path, l->line);
      if (rc == 0 && read_results(f->r, where, l->n, res) != 0) {
        /* What the lines after it got is not known: nothing is counted. */
        rc = vg_cli_fail("%s: stopped at line %ld; the lines before it got "
                         "their offers", f->path, l->line);
        continue;
      }
      if (rc != 0) {
        redisReply *skip = NULL;
        if (redisGetReply(f->r->c->rc, (void **)&skip) == REDIS_OK)
          freeReplyObject(skip);
        continue;
      }
      for (int k = 0; k < l->n && rc == 0; k++) {
        char name[64];
        if (strcmp(res[k].status, "refused") == 0)
          snprintf(name, sizeof name, "refused:%s", res[k].detail);
        else
          snprintf(name, sizeof name, "%s", res[k].status);
        int x = outcome(f, name);
        if (x < 0)
          rc = vg_cli_fail("%s:%ld: more than 256 kinds of outcome", f->path,
                           l->line);
        else
          l->outcome[k] = (unsigned char)x;
      }
    }
    if (rc)
      return rc;
    done += batch;
  }
  return 0;
}

/* The totals, counted from the lines' outcomes: lines, offers, and a
 * count per outcome in the order first seen. */
static void print_totals(const file_t *f, int json) {
  long *count = vg_calloc(f->noutcomes ? f->noutcomes : 1, sizeof *count);
  size_t offers = 0;
  for (size_t i = 0; i < f->n; i++)
    for (int k = 0; k < f->lines[i].n; k++, offers++)
      count[f->lines[i].outcome[k]]++;
  if (json) {
    printf("{\"lines\":%zu,\"offers\":%zu", f->n, offers);
    for (size_t i = 0; i < f->noutcomes; i++) {
      printf(",");
      vg_cli_json_str(stdout, f->outcomes[i].name);
      printf(":%ld", count[i]);
    }
    printf("}\n");
  } else {
    printf("%zu subscriber%s, %zu offer%s\n", f->n, f->n == 1 ? "" : "s",
           offers, offers == 1 ? "" : "s");
    for (size_t i = 0; i < f->noutcomes; i++)
      printf("  %-32s %ld\n", f->outcomes[i].name, count[i]);
  }
  free(count);
}

static int recommend_file(rec_t *r, const char *path) {
  file_t f = {.r = r, .path = path};
  int bad = vg_cli_each_record(path, file_record, &f), rc = 0;
  if (bad < 0)
    rc = 1;
  else if (bad)
    rc = vg_cli_fail("%s: %d bad line%s; no offer made", path, bad,
                     bad == 1 ? "" : "s");
  else if ((rc = load(r)) == 0 && (rc = make_offers(&f)) == 0)
    print_totals(&f, r->c->json);
  free(f.lines);
  free(f.outcomes);
  return rc;
}

int vg_cli_recommend(cli_t *c, int nw, const char **w) {
  rec_t r = {.c = c};
  const char *promoter = "", *file = NULL, *msisdn = NULL;
  char svcs[MAX_SVCS][16];
  int n = 0;
  char prom[VG_MSISDN_MAX] = "";
  for (int i = 1; i < nw; i++) {
    if (strcmp(w[i], "--knowledge") == 0)
      r.knowledge = 1;
    else if (strcmp(w[i], "--promoter") == 0 && i + 1 < nw)
      promoter = w[++i];
    else if (strcmp(w[i], "--file") == 0 && i + 1 < nw)
      file = w[++i];
    else if (w[i][0] == '-' && w[i][1] == '-')
      return vg_cli_usage_error("recommend: unknown option '%s'", w[i]);
    else if (msisdn == NULL && file == NULL)
      msisdn = w[i];
    else if (n < MAX_SVCS && strlen(w[i]) <= 8) {
      snprintf(svcs[n++], 16, "%s", w[i]);
      upcase(svcs[n - 1]);
    } else
      return vg_cli_usage_error("recommend: bad service code '%s'", w[i]);
  }
  if (file) {
    if (msisdn || n || *promoter)
      return vg_cli_usage_error("usage: recommend --file FILE [--knowledge]");
    int rc = recommend_file(&r, file);
    release(&r);
    return rc;
  }
  if (msisdn == NULL || n == 0)
    return vg_cli_usage_error("usage: recommend MSISDN SERVICE [SERVICE...] "
                              "[--promoter MSISDN] [--knowledge]");
  char to[VG_MSISDN_MAX];
  if (vg_msisdn_normalize(msisdn, c->cfg.country_code, to, NULL) != 0)
    return vg_cli_usage_error("recommend: '%s' is not a subscriber number",
                              msisdn);
  if (*promoter) {
    if (vg_msisdn_normalize(promoter, c->cfg.country_code, prom, NULL) != 0)
      return vg_cli_usage_error("recommend: '%s' is not a promoter number",
                                promoter);
    if (strcmp(prom, to) == 0)
      return vg_cli_usage_error(
          "recommend: a promoter cannot recommend to their own number");
  }
  for (int i = 0; i < n; i++)
    want_service(&r, svcs[i]);
  int rc = load(&r);
  if (rc == 0 && *prom) {
    /* Credit goes to approved promoters only. */
    char key[VG_KEY_MAX];
    redisReply *st = redisCommand(
        c->rc, "HGET %s status", vg_key(key, c->cfg.prefix, VG_K_PROMOTER, prom));
    if (st == NULL || st->type != REDIS_REPLY_STRING ||
        strcmp(st->str, "approved") != 0)
      rc = vg_cli_fail("recommend: %s is not an approved promoter (%s)",
                       prom,
                       st && st->type == REDIS_REPLY_STRING ? st->str
                                                            : "not registered");
    freeReplyObject(st);
  }
  if (rc == 0)
    rc = recommend_one(&r, to, svcs, n, prom);
  release(&r);
  return rc;
}
