/*
 * offers.c — see offers.h.
 */
#include "handlers/offers.h"
#include "gateway/clock.h"
#include "gateway/redis.h"
#include "gateway/vg.h"
#include "handlers/ledger_date.h"
#include "handlers/lua/functions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* A copy of `s` that lives as long as the call. */
static const char *keep(vg_offer_args_t *a, const char *s) {
  if (a->nown == a->capown) {
    a->capown = a->capown ? a->capown * 2 : 16;
    a->own = vg_realloc(a->own, (size_t)a->capown * sizeof *a->own);
  }
  return a->own[a->nown++] = vg_strdup(s ? s : "");
}

void vg_offer_complaint_since(const vg_config_t *cfg, int64_t now,
                              char out[12]) {
  /* complaint_block_days: a complaint bars marketing on its day and the
   * days-1 after it, counted in local days from today (the feed dates its
   * facts by local day, not by time). */
  out[0] = '\0';
  if (cfg->complaint_block_days > 0) {
    char day[12];
    int32_t today = (int32_t)atol(vg_clock_day(day, now));
    int32_t since = vg_date_add_days(today, 1 - cfg->complaint_block_days);
    if (since > 0)
      snprintf(out, 12, "%08ld", (long)since);
  }
}

void vg_offer_args_init(vg_offer_args_t *a, const vg_config_t *cfg,
                        const vg_offer_contact_t *c, int64_t now) {
  memset(a, 0, sizeof *a);
  int64_t release = 0;
  if (c->hold_quiet) {
    release = vg_clock_quiet_until(cfg->quiet_hours, now);
    if (release < 0)
      release = 0;
  }
  /* YYYYMM: the month the promoter's counters go to (the recommendation
   * is made now) */
  vg_clock_day(a->day, now);
  snprintf(a->month, sizeof a->month, "%.6s", a->day);
  vg_offer_complaint_since(cfg, now, a->complaint_since);
  /* The day the contact counts on: a held offer's SMS goes at release. */
  if (release > 0)
    vg_clock_day(a->day, release);
  vg_fn_offer_create_t f = {
      .prefix = cfg->prefix,
      .now = now,
      .msisdn = keep(a, c->msisdn),
      .source = keep(a, c->source),
      .channel = keep(a, c->channel),
      .promoter = keep(a, c->promoter),
      .campaign = keep(a, c->campaign),
      .offer_ttl = (long long)cfg->offer_ttl_hours * 3600000,
      /* The record outlives the offer by a week, so that a late "Y" is
       * told the offer lapsed rather than that there is none. */
      .keep = 7LL * 86400000,
      .interval = (long long)cfg->marketing_interval_days * 86400000,
      .cancel_block = (long long)cfg->cancel_block_days * 86400000,
      .max_per_day = cfg->max_marketing_per_day,
      .day = a->day,
      .marketing = c->marketing,
      .release = release,
      .msg_ttl = (long long)cfg->msg_ttl_days * 86400,
      .src = "",
      .month = a->month,
      .complaint_since = a->complaint_since};
  vg_fn_offer_create(&a->call, &f);
}

void vg_offer_args_add(vg_offer_args_t *a, const char *id, const char *service,
                       const char *text, const char *kind) {
  vg_fn_offer_create_offers_t g = {.id = keep(a, id),
                                   .service = keep(a, service),
                                   .text = keep(a, text),
                                   .kind = keep(a, kind)};
  vg_fn_offer_create_offers(&a->call, &g);
}

void vg_offer_args_free(vg_offer_args_t *a) {
  for (int i = 0; i < a->nown; i++)
    free(a->own[i]);
  free(a->own);
  vg_fcall_free(&a->call);
  memset(a, 0, sizeof *a);
}

/* A field of the library's answer: 0, or VG_ETOOLONG (never cut: the
 * library makes ids of at most VG_ID_MAX bytes, so it is not its answer). */
static int copy(char *dst, size_t sz, const redisReply *r) {
  return vg_copy(dst, sz,
                 r && (r->type == REDIS_REPLY_STRING ||
                       r->type == REDIS_REPLY_STATUS)
                     ? r->str
                     : "");
}

size_t vg_offer_results(const redisReply *r, vg_offer_result_t *out,
                        size_t max) {
  size_t n = 0;
  if (r == NULL || r->type != REDIS_REPLY_ARRAY)
    return 0;
  for (size_t i = 0; i < r->elements && n < max; i++) {
    const redisReply *e = r->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 4)
      continue;
    if (copy(out[n].id, sizeof out[n].id, e->element[0]) |
        copy(out[n].status, sizeof out[n].status, e->element[1]) |
        copy(out[n].detail, sizeof out[n].detail, e->element[2]) |
        copy(out[n].code, sizeof out[n].code, e->element[3])) {
      /* Not the library's answer: said so, not shown cut. */
      snprintf(out[n].status, sizeof out[n].status, "error");
      snprintf(out[n].detail, sizeof out[n].detail, "unexpected answer");
    }
    n++;
  }
  return n;
}

const char *vg_offer_rule_text(const char *rule) {
  static const char *const rules[][2] = {
      {"unknown_service", "no such service in the catalogue"},
      {"service_disabled", "the service is disabled"},
      {"already_subscribed", "the subscriber already has the service"},
      {"order_in_progress", "an activation of the service is under way"},
      {"offer_pending",
       "an offer of the service to the subscriber is still open"},
      {"cancelled_recently",
       "the subscriber cancelled the service within cancel_block_days"},
      {"opted_out", "the subscriber opted out of marketing (TD)"},
      {"blocklisted", "the number is on the do-not-contact list"},
      {"complained",
       "the subscriber complained about the service (or the number's "
       "service) within complaint_block_days"},
      {"contacted_recently",
       "the subscriber had a marketing SMS within marketing_interval_days"},
      {"daily_limit", "max_marketing_per_day reached for the subscriber"},
      {"too_many_offers", "the subscriber has 9 offers pending"},
  };
  for (size_t i = 0; i < VG_ARRAY_SIZE(rules); i++)
    if (strcmp(rules[i][0], rule) == 0)
      return rules[i][1];
  return rule;
}

char *vg_offer_render(const vg_templates_t *t, int knowledge,
                      const char *service, const redisReply *svc) {
  /* No entry: offer_create refuses the service before it looks at the
   * text, so there is nothing to word (and no SMS with a gap for a price). */
  if (svc == NULL || svc->type != REDIS_REPLY_ARRAY || svc->elements == 0)
    return vg_strdup("");
  const char *name = vg_reply_field(svc, "name");
  char *optout = vg_templates_render(t, VG_TPL_OPTOUT_NOTE, NULL, 0);
  vg_tpl_var_t vars[] = {
      {"service_name", name ? name : service},
      {"service_code", service},
      {"price", vg_reply_field(svc, "price") ? vg_reply_field(svc, "price") : ""},
      {"knowledge", vg_reply_field(svc, "knowledge") ? vg_reply_field(svc, "knowledge") : ""},
      {"usage", vg_reply_field(svc, "usage") ? vg_reply_field(svc, "usage") : ""},
      {"cancel", vg_reply_field(svc, "cancel") ? vg_reply_field(svc, "cancel") : ""},
      {"code", VG_OFFER_CODE_MARK},
      {"optout", optout},
  };
  char *text = vg_templates_render(
      t, knowledge ? VG_TPL_KNOWLEDGE : VG_TPL_RECOMMEND, vars,
      VG_ARRAY_SIZE(vars));
  free(optout);
  return text;
}

void vg_offer_new_id(char out[VG_OFFER_ID_MAX], int64_t now_ms) {
  static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  char b36[16];
  int n = 0;
  unsigned long long v = (unsigned long long)now_ms;
  do {
    b36[n++] = digits[v % 36];
    v /= 36;
  } while (v && n < 15);
  uint32_t r;
  if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
    r = (uint32_t)rand() ^ (uint32_t)now_ms;
  char rnd[16];
  snprintf(rnd, sizeof rnd, "%08x", r);
  int k = 0;
  while (n > 0)
    out[k++] = b36[--n];
  snprintf(out + k, VG_OFFER_ID_MAX - (size_t)k, "%s", rnd);
}
