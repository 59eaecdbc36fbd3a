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
#include "gateway/keys.h"
#include "gateway/msisdn.h"
#include "gateway/redis_sync.h"
#include "gateway/vg.h"
#include "handlers/offers.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SVCS 16

typedef struct {
  cli_t *c;
  vg_templates_t *tpl;
  int knowledge;
  /* Service hashes already read, by code: a file names few services. */
  struct {
    char code[16];
    redisReply *h;
  } svc[64];
  int nsvc;
} rec_t;

static const redisReply *service_hash(rec_t *r, const char *code) {
  for (int i = 0; i < r->nsvc; i++)
    if (strcmp(r->svc[i].code, code) == 0)
      return r->svc[i].h;
  char key[VG_KEY_MAX];
  redisReply *h = redisCommand(r->c->rc, "HGETALL %s",
                               vg_key(key, r->c->cfg.prefix, VG_K_SVC, code));
  if (r->nsvc < (int)VG_ARRAY_SIZE(r->svc)) {
    snprintf(r->svc[r->nsvc].code, sizeof r->svc[r->nsvc].code, "%s", code);
    r->svc[r->nsvc++].h = h;
  }
  return h;
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
    const redisReply *h = service_hash(r, svcs[i]);
    char *text = vg_offer_render(r->tpl, r->knowledge, svcs[i], h);
    vg_offer_args_add(&a, id, svcs[i], text,
                      r->knowledge ? "knowledge" : "recommend");
    free(text);
  }
  vg_redis_sync_append(r->c->rc, &a.call);
  vg_offer_args_free(&a);
}

static int load(rec_t *r) {
  char err[512];
  r->tpl = vg_templates_load(r->c->cfg.templates, r->c->cfg.locale, err,
                             sizeof err);
  if (r->tpl == NULL)
    return vg_cli_fail("%s", err);
  return vg_cli_connect(r->c);
}

static void release(rec_t *r) {
  for (int i = 0; i < r->nsvc; i++)
    freeReplyObject(r->svc[i].h);
  vg_templates_free(r->tpl);
}

static int recommend_one(rec_t *r, const char *msisdn, char svcs[][16],
                         int n, const char *promoter) {
  append_offers(r, msisdn, svcs, n, promoter, vg_now_ms());
  redisReply *rep = NULL;
  if (redisGetReply(r->c->rc, (void **)&rep) != REDIS_OK)
    return vg_cli_fail("Redis: %s", r->c->rc->errstr);
  if (rep->type == REDIS_REPLY_ERROR) {
    int rc = vg_cli_fail("Redis function offer_create: %s", rep->str);
    freeReplyObject(rep);
    return rc;
  }
  vg_offer_result_t res[MAX_SVCS];
  size_t k = vg_offer_results(rep, res, MAX_SVCS);
  freeReplyObject(rep);
  int any = 0;
  if (r->c->json) {
    printf("{\"msisdn\":");
    vg_cli_json_str(stdout, msisdn);
    printf(",\"offers\":[");
  }
  for (size_t i = 0; i < k; i++) {
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

/* "msisdn,SVC[ SVC...]" lines; every line is checked before any offer. */
typedef struct {
  char to[VG_MSISDN_MAX];
  char svcs[MAX_SVCS][16];
  int n;
} line_t;

static int parse_svcs(char *s, char svcs[][16], int *n) {
  *n = 0;
  for (char *w = strtok(s, " ,;"); w; w = strtok(NULL, " ,;")) {
    if (*n == MAX_SVCS || strlen(w) > 8)
      return -1;
    snprintf(svcs[(*n)++], 16, "%s", w);
    upcase(svcs[*n - 1]);
  }
  return *n ? 0 : -1;
}

typedef struct {
  rec_t *r;
  const char *path;
  line_t *lines;
  size_t n, cap;
} file_t;

static int file_line(void *data, long lineno, char *text) {
  file_t *f = data;
  if (f->n == f->cap) {
    f->cap *= 2;
    f->lines = vg_realloc(f->lines, f->cap * sizeof *f->lines);
  }
  line_t *l = &f->lines[f->n];
  char *comma = strchr(text, ',');
  const char *why = NULL;
  if (comma == NULL)
    why = "expected 'msisdn,SERVICE[ SERVICE...]'";
  else {
    *comma = '\0';
    if (vg_msisdn_normalize(text, f->r->c->cfg.country_code, l->to, NULL) != 0)
      why = "malformed MSISDN";
    else if (parse_svcs(comma + 1, l->svcs, &l->n) != 0)
      why = "expected 1 to 16 service codes of at most 8 characters";
  }
  if (why) {
    vg_cli_fail("%s:%ld: %s", f->path, lineno, why);
    return 1;
  }
  f->n++;
  return 0;
}

static int recommend_file(rec_t *r, const char *path) {
  file_t fl = {.r = r, .path = path, .cap = 1024};
  fl.lines = vg_malloc(fl.cap * sizeof *fl.lines);
  int bad = vg_cli_each_line(path, file_line, &fl);
  line_t *lines = fl.lines;
  size_t n = fl.n;
  if (bad < 0) {
    free(lines);
    return 1;
  }
  int rc = 0;
  if (bad) {
    rc = vg_cli_fail("%s: %d bad line%s; no offer made", path, bad,
                     bad == 1 ? "" : "s");
    goto out;
  }
  if ((rc = load(r)) != 0)
    goto out;
  /* Counts by status and by refusal rule. */
  struct {
    char name[48];
    long n;
  } counts[32];
  int ncounts = 0;
  size_t done = 0;
  while (done < n && rc == 0) {
    size_t batch = n - done < 200 ? n - done : 200;
    int64_t now = vg_now_ms();
    for (size_t i = 0; i < batch; i++)
      append_offers(r, lines[done + i].to, lines[done + i].svcs,
                    lines[done + i].n, "", now);
    for (size_t i = 0; i < batch; i++) {
      redisReply *rep = NULL;
      if (redisGetReply(r->c->rc, (void **)&rep) != REDIS_OK) {
        rc = vg_cli_fail("Redis: %s (after %zu lines)", r->c->rc->errstr,
                         done + i);
        break;
      }
      vg_offer_result_t res[MAX_SVCS];
      size_t k = vg_offer_results(rep, res, MAX_SVCS);
      if (rep->type == REDIS_REPLY_ERROR)
        rc = vg_cli_fail("Redis function offer_create: %s", rep->str);
      freeReplyObject(rep);
      for (size_t j = 0; j < k; j++) {
        char key[48];
        if (strcmp(res[j].status, "refused") == 0)
          snprintf(key, sizeof key, "refused:%s", res[j].detail);
        else
          snprintf(key, sizeof key, "%s", res[j].status);
        int x = 0;
        while (x < ncounts && strcmp(counts[x].name, key) != 0)
          x++;
        if (x == ncounts && ncounts < (int)VG_ARRAY_SIZE(counts)) {
          snprintf(counts[ncounts].name, sizeof counts[ncounts].name, "%s",
                   key);
          counts[ncounts++].n = 0;
        }
        if (x < ncounts)
          counts[x].n++;
      }
    }
    done += batch;
  }
  if (r->c->json) {
    printf("{\"lines\":%zu", done);
    for (int i = 0; i < ncounts; i++) {
      printf(",");
      vg_cli_json_str(stdout, counts[i].name);
      printf(":%ld", counts[i].n);
    }
    printf("}\n");
  } else {
    printf("%zu subscribers\n", done);
    for (int i = 0; i < ncounts; i++)
      printf("  %-32s %ld\n", counts[i].name, counts[i].n);
  }
out:
  free(lines);
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
