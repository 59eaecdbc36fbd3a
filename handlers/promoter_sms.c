/*
 * promoter_sms.c — the promoter conversation by SMS (docs/promoters.md):
 * ZC registers, TJ recommends, ZS sends a subscriber the knowledge SMS, CX
 * and CX MX query the commission, YW lists the service codes.
 *
 * The MO's source address is a promoter's identity only because the
 * operator's network sets it for its own numbers: every promoter command
 * from a number outside [promoters] number_segments is refused.  ZC is one
 * mo_reply run; the others pass the MO gate first ("proceed") and then read
 * the promoter's record: only an approved promoter may act.  TJ and ZS make
 * their offers with the same script as every other channel
 * (handlers/offers.h), every contact rule applied, and answer the promoter
 * with what was sent and what was refused and why.
 */
#include "gateway/clock.h"
#include "gateway/keys.h"
#include "gateway/log.h"
#include "gateway/msisdn.h"
#include "gateway/vg.h"
#include "handlers/promoter_sms.h"
#include "handlers/catalogue.h"
#include "handlers/offers.h"
#include "handlers/promoters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SVCS VG_CMD_MAX_ARGS

/* What a promoter job carries between its steps. */
typedef struct {
  char staff[16], name[96], status[16];
  char to[VG_MSISDN_MAX]; /* the subscriber of TJ / ZS */
  int nsvc, knowledge;
  char svc[MAX_SVCS][VG_CMD_ARG_MAX];
  char svc_name[MAX_SVCS][VG_SVC_UTF8_BYTES(VG_SVC_NAME_MAX)];
  char *text[MAX_SVCS]; /* each offer's SMS, rendered */
  char month[VG_CMD_ARG_MAX]; /* CX: the month asked for */
  int waiting;          /* catalogue reads outstanding */
  char *answer;         /* the answer so far (TJ: the result) */
} prom_t;

static prom_t *state(vg_mo_job_t *j) { return j->state; }

static void prom_free(vg_mo_job_t *j) {
  prom_t *p = j->state;
  if (p == NULL)
    return;
  for (int i = 0; i < MAX_SVCS; i++)
    free(p->text[i]);
  free(p->answer);
  free(p);
  j->state = NULL;
}

static void abandon(vg_mo_job_t *j, const char *why) {
  prom_free(j);
  vg_job_abandon(j, why);
}

/* Answer with a text rendered here (taken over), ending the job. */
static void reply(vg_mo_job_t *j, char *text) {
  prom_free(j);
  vg_job_reply_text(j, text);
}

static char *render(vg_mo_job_t *j, vg_tpl_id_t id, const vg_tpl_var_t *v,
                    size_t n) {
  return vg_templates_render(j->d->templates, id, v, n);
}

/* A growing text, items joined by the locale's list separator. */
static void append(vg_mo_job_t *j, char **list, char *item) {
  char *sep = render(j, VG_TPL_LIST_SEPARATOR, NULL, 0);
  size_t old = *list ? strlen(*list) : 0;
  *list = vg_realloc(*list, old + strlen(sep) + strlen(item) + 1);
  sprintf(*list + old, "%s%s", old ? sep : "", item);
  free(sep);
  free(item);
}

/* Every answer to a promoter fits two SMS (UCS-2: 134 characters): append
 * `item` to *list only while the answer, template `tpl` with `vars` (the
 * one named "list" gets the list), still does.  0 when it was left out. */
#define MAX_PARTS 2
static int append_fitting(vg_mo_job_t *j, char **list, char *item,
                          vg_tpl_id_t tpl, vg_tpl_var_t *vars, size_t n) {
  char *before = *list ? vg_strdup(*list) : NULL;
  append(j, list, item);
  for (size_t i = 0; i < n; i++)
    if (strcmp(vars[i].name, "list") == 0)
      vars[i].value = *list;
  char *text = render(j, tpl, vars, n);
  size_t parts = vg_templates_parts(text);
  free(text);
  if (parts <= MAX_PARTS || before == NULL) { /* the first item always */
    free(before);
    return 1;
  }
  free(*list);
  *list = before;
  return 0;
}

static const char *str(const redisReply *r, size_t i) {
  if (r == NULL || r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
      r->element[i]->type != REDIS_REPLY_STRING)
    return "";
  return r->element[i]->str;
}

/* fen as yuan, integer arithmetic: 1234 -> "12.34". */
static const char *yuan(char out[32], long long fen) {
  snprintf(out, 32, "%lld.%02lld", fen / 100, fen % 100);
  return out;
}

/* --- YW: the service codes ---------------------------------------------------- */

/* Reply of SORT svc:index ALPHA GET # GET ->name GET ->enabled. */
static char *services_text(vg_mo_job_t *j, const redisReply *r) {
  char *list = NULL;
  vg_tpl_var_t all[] = {{"list", ""}};
  for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 2 < r->elements;
       i += 3) {
    if (strcmp(str(r, i + 2), "1") != 0)
      continue;
    vg_tpl_var_t v[] = {{"service_code", str(r, i)},
                        {"service_name", str(r, i + 1)}};
    if (!append_fitting(j, &list, render(j, VG_TPL_YW_ITEM, v, 2), VG_TPL_YW,
                        all, 1))
      break;
  }
  if (list == NULL) /* none enabled: say so, not an empty list */
    return render(j, VG_TPL_NO_SERVICES, NULL, 0);
  vg_tpl_var_t v[] = {{"list", list}};
  char *text = render(j, VG_TPL_YW, v, 1);
  free(list);
  return text;
}

static void on_services(vg_redis_t *r, redisReply *reply_, void *data,
                        const char *err) {
  vg_mo_job_t *j = data;
  if (err) {
    abandon(j, err);
    return;
  }
  char *yw = services_text(j, reply_);
  prom_t *p = state(j);
  if (p->answer) { /* TJ with an unknown code: the result, then the codes */
    char *both = vg_malloc(strlen(p->answer) + strlen(yw) + 2);
    sprintf(both, "%s %s", p->answer, yw);
    free(yw);
    if (vg_templates_parts(both) > MAX_PARTS) {
      /* Too long with the codes: the hint to ask for them instead. */
      char *hint = render(j, VG_TPL_USAGE_RECOMMEND, NULL, 0);
      both = vg_realloc(both, strlen(p->answer) + strlen(hint) + 2);
      sprintf(both, "%s %s", p->answer, hint);
      free(hint);
      if (vg_templates_parts(both) > MAX_PARTS)
        snprintf(both, strlen(p->answer) + 1, "%s", p->answer);
    }
    reply(j, both);
    return;
  }
  reply(j, yw);
}

static void services(vg_mo_job_t *j) {
  const char *P = j->d->cfg->prefix;
  char index[VG_KEY_MAX], svc[VG_KEY_MAX];
  vg_key(index, P, "%s", VG_K_SVC_INDEX);
  vg_key(svc, P, VG_K_SVC, "*"); /* SORT's pattern: each code's hash */
  if (vg_redis_command(j->d->redis, on_services, j,
                       "SORT %s ALPHA GET # GET %s->name GET %s->enabled",
                       index, svc, svc) != 0)
    abandon(j, "Redis not connected");
}

/* --- TJ / ZS <msisdn> <svc>: offers made by a promoter ------------------------- */

static void on_offers(vg_redis_t *r, redisReply *rep, void *data,
                      const char *err) {
  vg_mo_job_t *j = data;
  prom_t *p = state(j);
  if (err) {
    abandon(j, err);
    return;
  }
  vg_offer_result_t res[MAX_SVCS];
  size_t n = vg_offer_results(rep, res, MAX_SVCS);
  char *list = NULL;
  int unknown = 0;
  char national[VG_MSISDN_MAX];
  const char *cc = j->d->cfg->country_code;
  snprintf(national, sizeof national, "%s",
           strncmp(p->to, cc, strlen(cc)) == 0 ? p->to + strlen(cc) : p->to);
  vg_tpl_var_t all[] = {
      {"staff_no", p->staff}, {"msisdn", national}, {"list", ""}};
  for (size_t i = 0; i < n; i++) {
    char reason[VG_TPL_WORD_MAX + 1];
    if (strcmp(res[i].status, "refused") == 0) {
      unknown |= strcmp(res[i].detail, "unknown_service") == 0;
      vg_templates_word(j->d->templates, VG_TPL_WORDS_RULES, res[i].detail,
                        reason, sizeof reason);
      vg_tpl_var_t v[] = {{"service_code", p->svc[i]},
                          {"service_name", p->svc[i]},
                          {"reason", reason}};
      append_fitting(j, &list, render(j, VG_TPL_TJ_REFUSED_ITEM, v, 3),
                     VG_TPL_TJ_RESULT, all, 3);
    } else {
      vg_tpl_var_t v[] = {{"service_code", p->svc[i]},
                          {"service_name", p->svc_name[i]},
                          {"code", res[i].code}};
      append_fitting(j, &list, render(j, VG_TPL_TJ_SENT_ITEM, v, 3),
                     VG_TPL_TJ_RESULT, all, 3);
    }
  }
  all[2].value = list ? list : "";
  p->answer = render(j, VG_TPL_TJ_RESULT, all, 3);
  free(list);
  vg_log_info("dispatch: MO %s: promoter %s recommends %d service(s)", j->id,
              p->staff, p->nsvc);
  if (unknown)
    services(j); /* list the valid codes after the result */
  else {
    char *a = p->answer;
    p->answer = NULL;
    reply(j, a);
  }
}

static void make_offers(vg_mo_job_t *j) {
  prom_t *p = state(j);
  vg_offer_contact_t ct = {.msisdn = p->to,
                           .source = "promoter",
                           .channel = j->ussd ? "ussd" : "sms",
                           .promoter = j->from,
                           .campaign = "",
                           .marketing = 1,
                           .hold_quiet = 0}; /* face to face: at once */
  vg_offer_args_t a;
  vg_offer_args_init(&a, j->d->cfg, &ct, j->now);
  for (int i = 0; i < p->nsvc; i++) {
    char id[VG_OFFER_ID_MAX];
    /* Derived from the MO: handled twice, the same offers. */
    if (vg_id_fmt(id, sizeof id, "t%s-%d", j->id, i + 1) != 0) {
      vg_offer_args_free(&a);
      abandon(j, "MO id too long for an offer id");
      return;
    }
    vg_offer_args_add(&a, id, p->svc[i], p->text[i],
                      p->knowledge ? "knowledge" : "recommend");
  }
  int rc = vg_redis_fcall(j->d->redis, &a.call, on_offers, j);
  vg_offer_args_free(&a);
  if (rc != 0)
    abandon(j, "Redis not connected");
}

typedef struct {
  vg_mo_job_t *j;
  int i;
} svc_read_t;

static void on_service(vg_redis_t *r, redisReply *rep, void *data,
                       const char *err) {
  svc_read_t *s = data;
  vg_mo_job_t *j = s->j;
  prom_t *p = state(j);
  if (!err) {
    p->text[s->i] = vg_offer_render(j->d->templates, p->knowledge,
                                    p->svc[s->i], rep);
    const char *name = vg_reply_field(rep, "name");
    /* A name longer than the catalogue takes (a record changed by hand)
     * is not cut: the code stands for it. */
    if (vg_copy(p->svc_name[s->i], sizeof p->svc_name[s->i],
                name ? name : p->svc[s->i]) != 0) {
      vg_log_warn("promoter: service %s: its name is longer than %d "
                  "characters; the code is shown instead",
                  p->svc[s->i], VG_SVC_NAME_MAX);
      vg_copy(p->svc_name[s->i], sizeof p->svc_name[s->i], p->svc[s->i]);
    }
  }
  free(s);
  if (--p->waiting > 0)
    return;
  for (int i = 0; i < p->nsvc; i++)
    if (p->text[i] == NULL) {
      abandon(j, "catalogue read failed");
      return;
    }
  make_offers(j);
}

static void read_services(vg_mo_job_t *j) {
  prom_t *p = state(j);
  p->waiting = p->nsvc;
  for (int i = 0; i < p->nsvc; i++) {
    svc_read_t *s = vg_malloc(sizeof *s);
    s->j = j;
    s->i = i;
    char key[VG_KEY_MAX];
    vg_key(key, j->d->cfg->prefix, VG_K_SVC, p->svc[i]);
    if (vg_redis_command(j->d->redis, on_service, s, "HGETALL %s", key) != 0) {
      free(s);
      p->waiting -= p->nsvc - i;
      if (p->waiting == 0)
        abandon(j, "Redis not connected");
      return;
    }
  }
}

static void on_daily(vg_redis_t *r, redisReply *rep, void *data,
                     const char *err) {
  vg_mo_job_t *j = data;
  prom_t *p = state(j);
  if (err) {
    abandon(j, err);
    return;
  }
  long long used = rep->type == REDIS_REPLY_INTEGER ? rep->integer : 0;
  int limit = j->d->cfg->daily_recommend_limit;
  if (used > limit) {
    /* Over the limit: give the count back, say so. */
    char day[12], key[VG_KEY_MAX], lim[16];
    vg_clock_day(day, j->now);
    vg_key(key, j->d->cfg->prefix, VG_K_PROMOTER_TJ, j->from, day);
    vg_redis_command(j->d->redis, NULL, NULL, "DECRBY %s %d", key, p->nsvc);
    snprintf(lim, sizeof lim, "%d", limit);
    vg_tpl_var_t v[] = {{"staff_no", p->staff}, {"limit", lim}};
    reply(j, render(j, VG_TPL_TJ_LIMIT, v, 2));
    return;
  }
  read_services(j);
}

static void recommend(vg_mo_job_t *j, int knowledge) {
  prom_t *p = state(j);
  const vg_command_t *c = &j->cmd;
  if (c->err != VG_CMD_ERR_NONE ||
      vg_msisdn_normalize(c->argv[0], j->d->cfg->country_code, p->to, NULL) !=
          0) {
    reply(j, render(j, knowledge ? VG_TPL_USAGE_PROMOTER_KNOWLEDGE
                                 : VG_TPL_USAGE_RECOMMEND,
                    NULL, 0));
    return;
  }
  if (strcmp(p->to, j->from) == 0) {
    vg_tpl_var_t v[] = {{"staff_no", p->staff}};
    reply(j, render(j, VG_TPL_TJ_SELF, v, 1));
    return;
  }
  p->knowledge = knowledge;
  for (int i = 1; i < c->argc && p->nsvc < MAX_SVCS; i++) {
    /* The same code twice is one offer. */
    int dup = 0;
    for (int k = 0; k < p->nsvc; k++)
      dup |= strcmp(p->svc[k], c->argv[i]) == 0;
    if (!dup)
      snprintf(p->svc[p->nsvc++], VG_CMD_ARG_MAX, "%s", c->argv[i]);
  }
  /* daily_recommend_limit counts the services recommended today. */
  char day[12], key[VG_KEY_MAX];
  vg_clock_day(day, j->now);
  vg_key(key, j->d->cfg->prefix, VG_K_PROMOTER_TJ, j->from, day);
  if (vg_redis_command(j->d->redis, on_daily, j, "INCRBY %s %d", key,
                       p->nsvc) != 0) {
    abandon(j, "Redis not connected");
    return;
  }
  vg_redis_command(j->d->redis, NULL, NULL, "EXPIRE %s 172800", key);
}

/* --- CX, CX MX ------------------------------------------------------------------ */

static void on_month(vg_redis_t *r, redisReply *h, void *data,
                     const char *err) {
  vg_mo_job_t *j = data;
  prom_t *p = state(j);
  if (err) {
    abandon(j, err);
    return;
  }
  static const char *const names[] = {"recommended", "confirmed", "activated",
                                      "valid", "invalid"};
  char nums[5][24], pending[32], settled[32], month[16];
  for (int i = 0; i < 5; i++) {
    const char *v = vg_reply_field(h, names[i]);
    snprintf(nums[i], sizeof nums[i], "%s", v ? v : "0");
  }
  const char *pf = vg_reply_field(h, "pending_fen");
  const char *sf = vg_reply_field(h, "settled_fen");
  yuan(pending, pf ? atoll(pf) : 0);
  yuan(settled, sf ? atoll(sf) : 0);
  snprintf(month, sizeof month, "%.15s", p->month);
  vg_tpl_var_t v[] = {{"staff_no", p->staff},    {"month", month},
                      {"recommended", nums[0]}, {"confirmed", nums[1]},
                      {"activated", nums[2]},   {"valid", nums[3]},
                      {"invalid", nums[4]},     {"pending", pending},
                      {"settled", settled}};
  reply(j, render(j, VG_TPL_CX_MONTH, v, VG_ARRAY_SIZE(v)));
}

static void query_month(vg_mo_job_t *j) {
  prom_t *p = state(j);
  char day[12];
  if (j->cmd.argc == 1 && j->cmd.err == VG_CMD_ERR_NONE)
    snprintf(p->month, sizeof p->month, "%s", j->cmd.argv[0]);
  else if (j->cmd.err != VG_CMD_ERR_NONE) {
    reply(j, render(j, VG_TPL_USAGE_QUERY, NULL, 0));
    return;
  } else
    snprintf(p->month, sizeof p->month, "%.6s", vg_clock_day(day, j->now));
  char key[VG_KEY_MAX];
  vg_key(key, j->d->cfg->prefix, VG_K_PROMOTER_MONTH, j->from, p->month);
  if (vg_redis_command(j->d->redis, on_month, j, "HGETALL %s", key) != 0)
    abandon(j, "Redis not connected");
}

/* Reply of SORT devs:promoter:<m> BY activation DESC LIMIT 0 5 GET ...: six
 * fields per development. */
static void on_details(vg_redis_t *r, redisReply *rep, void *data,
                       const char *err) {
  vg_mo_job_t *j = data;
  prom_t *p = state(j);
  if (err) {
    abandon(j, err);
    return;
  }
  char *list = NULL;
  for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i + 5 < rep->elements;
       i += 6) {
    const char *day = str(rep, i), *msisdn = str(rep, i + 1);
    const char *st = str(rep, i + 4), *rule = str(rep, i + 5);
    char date[8], masked[VG_MSISDN_MAX + 8], word[VG_TPL_WORD_MAX + 1];
    snprintf(date, sizeof date, "%.2s-%.2s", strlen(day) == 8 ? day + 4 : "",
             strlen(day) == 8 ? day + 6 : "");
    vg_msisdn_mask(msisdn, j->d->cfg->country_code, masked, sizeof masked);
    vg_templates_word(j->d->templates, VG_TPL_WORDS_DEV,
                      strcmp(st, "invalid") == 0 ? rule : st, word,
                      sizeof word);
    vg_tpl_var_t v[] = {{"date", date},
                        {"msisdn", masked},
                        {"service_code", str(rep, i + 2)},
                        {"service_name", str(rep, i + 3)},
                        {"state", word}};
    vg_tpl_var_t all[] = {{"staff_no", p->staff}, {"list", ""}};
    if (!append_fitting(j, &list, render(j, VG_TPL_CX_DETAIL_ITEM, v, 5),
                        VG_TPL_CX_DETAIL, all, 2))
      break;
  }
  if (list == NULL) {
    vg_tpl_var_t v[] = {{"staff_no", p->staff}};
    reply(j, render(j, VG_TPL_CX_NONE, v, 1));
    return;
  }
  vg_tpl_var_t v[] = {{"staff_no", p->staff}, {"list", list}};
  char *text = render(j, VG_TPL_CX_DETAIL, v, 2);
  free(list);
  reply(j, text);
}

static void query_detail(vg_mo_job_t *j) {
  const char *P = j->d->cfg->prefix;
  char key[VG_KEY_MAX], dev[VG_KEY_MAX];
  vg_key(key, P, VG_K_DEVS_PROMOTER, j->from);
  vg_key(dev, P, VG_K_DEV, "*"); /* SORT's pattern: each development */
  /* The newest five (scores are activation times), six fields each. */
  if (vg_redis_command(j->d->redis, on_details, j,
                       "SORT %s BY %s->activated_at DESC LIMIT 0 5 "
                       "GET %s->activated GET %s->msisdn GET %s->service "
                       "GET %s->service_name GET %s->state GET %s->rule",
                       key, dev, dev, dev, dev, dev, dev, dev) != 0)
    abandon(j, "Redis not connected");
}

/* --- the promoter's record, then the command ------------------------------------ */

char *vg_promoter_refusal(const vg_templates_t *t, const char *status,
                          const char *staff_no) {
  /* Never registered: nothing to quote, how to register instead.  (A "-"
   * for the staff number and the status read "工号-，-".) */
  if (*status == '\0')
    return vg_templates_render(t, VG_TPL_PROMOTER_UNREGISTERED, NULL, 0);
  char word[VG_TPL_WORD_MAX + 1];
  vg_templates_word(t, VG_TPL_WORDS_STATUS, status, word, sizeof word);
  vg_tpl_var_t v[] = {{"staff_no", staff_no}, {"status", word}};
  return vg_templates_render(t, VG_TPL_PROMOTER_ONLY, v, 2);
}

static void on_promoter(vg_redis_t *r, redisReply *rep, void *data,
                        const char *err) {
  vg_mo_job_t *j = data;
  prom_t *p = state(j);
  if (err) {
    abandon(j, err);
    return;
  }
  snprintf(p->status, sizeof p->status, "%s", str(rep, 0));
  snprintf(p->staff, sizeof p->staff, "%s", str(rep, 1));
  snprintf(p->name, sizeof p->name, "%s", str(rep, 2));
  if (j->cmd.cmd == VG_CMD_SERVICES) {
    services(j); /* the codes are no secret: any number of the segments */
    return;
  }
  if (strcmp(p->status, "approved") != 0) {
    reply(j, vg_promoter_refusal(j->d->templates, p->status, p->staff));
    return;
  }
  switch (j->cmd.cmd) {
  case VG_CMD_RECOMMEND:
    recommend(j, 0);
    return;
  case VG_CMD_KNOWLEDGE:
    recommend(j, 1);
    return;
  case VG_CMD_QUERY:
    query_month(j);
    return;
  default:
    query_detail(j);
    return;
  }
}

static void read_promoter(vg_mo_job_t *j) {
  j->state = vg_calloc(1, sizeof(prom_t));
  char key[VG_KEY_MAX];
  vg_key(key, j->d->cfg->prefix, VG_K_PROMOTER, j->from);
  if (vg_redis_command(j->d->redis, on_promoter, j,
                       "HMGET %s status staff_no name", key) != 0)
    abandon(j, "Redis not connected");
}

void vg_promoter_handle(vg_mo_job_t *j) {
  const vg_config_t *cfg = j->d->cfg;
  const vg_command_t *c = &j->cmd;
  if (!vg_promoter_in_segments(j->from, cfg->country_code,
                               cfg->number_segments)) {
    vg_job_answer(j, "say", "promoter_not_in_segment", "", 1);
    return;
  }
  if (c->cmd == VG_CMD_REGISTER) {
    char why[128];
    if (c->err != VG_CMD_ERR_NONE ||
        vg_promoter_check_name(c->argv[0], why, sizeof why) != 0 ||
        (c->argc > 1 &&
         vg_promoter_check_outlet(c->argv[1], why, sizeof why) != 0)) {
      vg_job_answer(j, "say", "usage_register", "", 1);
      return;
    }
    vg_job_answer(j, cfg->auto_approve ? "register_auto" : "register",
                       c->argv[0], c->argc > 1 ? c->argv[1] : "", 1);
    return;
  }
  if (c->cmd == VG_CMD_RECOMMEND && c->err == VG_CMD_ERR_MISSING_MSISDN) {
    vg_job_answer(j, "say", "usage_recommend", "", 1);
    return;
  }
  j->then = read_promoter;
  vg_job_answer(j, "proceed", "", "", 1);
}
