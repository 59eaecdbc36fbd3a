/*
 * subscriber.c — the subscriber conversation (SPEC.md "What people text",
 * subscribers): answers to offers, opt-out and opt-in, QX, ZS, help.
 *
 * Each command is one script run whose answer says what happened, then one
 * reply; the scripts make the state change idempotent, so an MO handled
 * twice changes nothing twice (a second "Y" finds the offer confirmed and
 * is told the order is being processed).  Commands of the promoter side
 * (ZC, TJ, CX, YW, ZS with a number) are answered like unknown text until
 * that side exists.
 */
#include "gateway/clock.h"
#include "gateway/keys.h"
#include "gateway/log.h"
#include "gateway/scripts.h"
#include "gateway/vg.h"
#include "handlers/dispatch.h"
#include "handlers/offers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const redisReply *r, size_t i) {
  if (r == NULL || r->type != REDIS_REPLY_ARRAY || i >= r->elements)
    return "";
  const redisReply *e = r->element[i];
  return e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS
             ? e->str
             : "";
}

static void reply_svc(vg_mo_job_t *j, vg_tpl_id_t tpl, const char *code,
                      const char *name) {
  vg_tpl_var_t v[] = {{"service_code", code},
                      {"service_name", *name ? name : code},
                      {"service_number", j->d->cfg->service_number}};
  vg_dispatch_reply(j, tpl, v, VG_ARRAY_SIZE(v));
}

static void help(vg_mo_job_t *j) {
  vg_tpl_var_t v[] = {{"service_number", j->d->cfg->service_number}};
  vg_dispatch_reply(j, VG_TPL_HELP, v, 1);
}

/* --- unknown text: help, at most once a day per number ------------------- */

static void on_help_once(vg_redis_t *r, redisReply *reply, void *data,
                         const char *err) {
  vg_mo_job_t *j = data;
  if (err) {
    vg_dispatch_abandon(j, err);
    return;
  }
  if (reply->type == REDIS_REPLY_STATUS) /* OK: first today */
    help(j);
  else
    vg_dispatch_finish(j);
}

static void unknown(vg_mo_job_t *j) {
  char key[VG_KEY_MAX];
  vg_key(key, j->d->cfg->prefix, VG_K_SUB ":help", j->from);
  if (vg_redis_command(j->d->redis, on_help_once, j, "SET %s %s NX EX 86400",
                       key, j->id) != 0)
    vg_dispatch_abandon(j, "Redis not connected");
}

/* --- answers to offers ------------------------------------------------------- */

static void on_offer_reply(vg_redis_t *r, redisReply *reply, void *data,
                           const char *err) {
  vg_mo_job_t *j = data;
  if (err) {
    vg_dispatch_abandon(j, err);
    return;
  }
  const char *st = str(reply, 0), *svc = str(reply, 3), *name = str(reply, 4);
  if (strcmp(st, "confirmed") == 0) {
    vg_log_info("dispatch: MO %s confirms offer %s: order %s", j->id,
                str(reply, 1), str(reply, 2));
    reply_svc(j, VG_TPL_CONFIRM_RECEIVED, svc, name);
  } else if (strcmp(st, "choose") == 0 || strcmp(st, "declined") == 0) {
    /* A list of (code, name) pairs from element 5 on. */
    const vg_templates_t *t = j->d->templates;
    char *sep = vg_templates_render(t, VG_TPL_LIST_SEPARATOR, NULL, 0);
    size_t cap = 256, len = 0;
    char *list = vg_malloc(cap);
    list[0] = '\0';
    for (size_t i = 5; i + 1 < reply->elements; i += 2) {
      vg_tpl_var_t v[] = {{"code", str(reply, i)},
                          {"service_name", str(reply, i + 1)},
                          {"service_code", ""}};
      char *item = strcmp(st, "choose") == 0
                       ? vg_templates_render(t, VG_TPL_CHOOSE_ITEM, v, 3)
                       : vg_strdup(str(reply, i + 1));
      size_t need = len + strlen(sep) + strlen(item) + 1;
      if (need > cap) {
        cap = need * 2;
        list = vg_realloc(list, cap);
      }
      len += (size_t)sprintf(list + len, "%s%s", len ? sep : "", item);
      free(item);
    }
    free(sep);
    if (strcmp(st, "choose") == 0) {
      vg_tpl_var_t v[] = {{"list", list}};
      vg_dispatch_reply(j, VG_TPL_CHOOSE, v, 1);
    } else {
      reply_svc(j, VG_TPL_DECLINED, svc, list);
    }
    free(list);
  } else if (strcmp(st, "expired") == 0) {
    reply_svc(j, VG_TPL_EXPIRED, svc, name);
  } else if (strcmp(st, "active") == 0 || strcmp(st, "order_done") == 0) {
    reply_svc(j, VG_TPL_ALREADY_ACTIVE, svc, name);
  } else if (strncmp(st, "order_", 6) == 0) {
    /* Confirmed before: no second order.  Queued, sending or retrying is
     * "being processed"; a rejected or failed order was answered already,
     * and the same words say it again. */
    if (strcmp(st, "order_failed") == 0)
      reply_svc(j, VG_TPL_ACTIVATION_FAILED, svc, name);
    else if (strcmp(st, "order_rejected") == 0) {
      char *why = vg_templates_render(j->d->templates, VG_TPL_REASON_UNKNOWN,
                                      NULL, 0);
      vg_tpl_var_t v[] = {{"service_code", svc},
                          {"service_name", name},
                          {"reason", why}};
      vg_dispatch_reply(j, VG_TPL_REJECTED, v, 3);
      free(why);
    } else
      reply_svc(j, VG_TPL_PROCESSING, svc, name);
  } else if (strcmp(st, "nomatch") == 0) {
    unknown(j); /* a word shaped like a code that is no offer's */
  } else {
    vg_tpl_var_t v[] = {{"service_number", j->d->cfg->service_number}};
    vg_dispatch_reply(j, VG_TPL_NO_OFFER, v, 1);
  }
}

static void offer_reply(vg_mo_job_t *j, const char *kind, const char *code) {
  char now[24], iso[32];
  snprintf(now, sizeof now, "%lld", (long long)j->now);
  vg_clock_iso(iso, j->now);
  const char *argv[] = {j->d->cfg->prefix, now, j->from, kind, code, j->id,
                        iso};
  if (vg_redis_script(j->d->redis, VG_SCRIPT_OFFER_REPLY, on_offer_reply, j, 0,
                      7, argv, NULL) != 0)
    vg_dispatch_abandon(j, "Redis not connected");
}

/* --- TD / DY -------------------------------------------------------------------- */

static void on_optout(vg_redis_t *r, redisReply *reply, void *data,
                      const char *err) {
  vg_mo_job_t *j = data;
  if (err) {
    vg_dispatch_abandon(j, err);
    return;
  }
  vg_dispatch_reply(j, j->cmd.cmd == VG_CMD_OPTOUT ? VG_TPL_OPTED_OUT
                                                   : VG_TPL_OPTED_IN,
                    NULL, 0);
}

static void optout(vg_mo_job_t *j, int out) {
  char key[VG_KEY_MAX], now[24];
  vg_key(key, j->d->cfg->prefix, VG_K_SUB, j->from);
  snprintf(now, sizeof now, "%lld", (long long)j->now);
  vg_redis_command(j->d->redis, NULL, NULL, "HINCRBY %s:stats %s 1",
                   j->d->cfg->prefix, out ? "optout" : "optin");
  if (vg_redis_command(j->d->redis, on_optout, j, "HSET %s optout %s %s %s",
                       key, out ? "1" : "0", out ? "optout_at" : "optin_at",
                       now) != 0)
    vg_dispatch_abandon(j, "Redis not connected");
}

/* --- unknown service codes: the answer lists the valid ones ------------------ */

typedef struct {
  char code[VG_CMD_ARG_MAX];
  char name[96];
} svc_state_t;

static void on_codes(vg_redis_t *r, redisReply *reply, void *data,
                     const char *err) {
  vg_mo_job_t *j = data;
  svc_state_t *s = j->state;
  if (err) {
    free(s);
    j->state = NULL;
    vg_dispatch_abandon(j, err);
    return;
  }
  size_t cap = 64, len = 0;
  char *codes = vg_malloc(cap);
  codes[0] = '\0';
  for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements;
       i++) {
    size_t need = len + strlen(reply->element[i]->str) + 2;
    if (need > cap) {
      cap = need * 2;
      codes = vg_realloc(codes, cap);
    }
    len += (size_t)sprintf(codes + len, "%s%s", len ? " " : "",
                           reply->element[i]->str);
  }
  j->state = NULL;
  vg_tpl_var_t v[] = {{"service_code", s->code}, {"codes", codes}};
  vg_dispatch_reply(j, VG_TPL_UNKNOWN_SERVICE, v, 2);
  free(s);
  free(codes);
}

static void unknown_service(vg_mo_job_t *j, const char *code) {
  svc_state_t *s = vg_calloc(1, sizeof *s);
  snprintf(s->code, sizeof s->code, "%s", code);
  j->state = s;
  char key[VG_KEY_MAX];
  vg_key(key, j->d->cfg->prefix, "%s", VG_K_SVC_INDEX);
  if (vg_redis_command(j->d->redis, on_codes, j, "SORT %s ALPHA", key) != 0) {
    free(s);
    vg_dispatch_abandon(j, "Redis not connected");
  }
}

/* --- QX <svc> ------------------------------------------------------------------ */

static void on_cancel(vg_redis_t *r, redisReply *reply, void *data,
                      const char *err) {
  vg_mo_job_t *j = data;
  if (err) {
    vg_dispatch_abandon(j, err);
    return;
  }
  const char *st = str(reply, 0), *svc = str(reply, 2), *name = str(reply, 3);
  if (strcmp(st, "ordered") == 0)
    reply_svc(j, VG_TPL_CANCEL_RECEIVED, svc, name);
  else if (strcmp(st, "processing") == 0)
    reply_svc(j, VG_TPL_PROCESSING, svc, name);
  else if (strcmp(st, "not_active") == 0)
    reply_svc(j, VG_TPL_CANCEL_NOT_ACTIVE, svc, name);
  else
    unknown_service(j, svc);
}

static void cancel(vg_mo_job_t *j) {
  char now[24], iso[32];
  snprintf(now, sizeof now, "%lld", (long long)j->now);
  vg_clock_iso(iso, j->now);
  const char *argv[] = {j->d->cfg->prefix, now, j->from, j->cmd.argv[0],
                        j->id, iso};
  if (vg_redis_script(j->d->redis, VG_SCRIPT_ORDER_CANCEL, on_cancel, j, 0, 6,
                      argv, NULL) != 0)
    vg_dispatch_abandon(j, "Redis not connected");
}

/* --- ZS <svc>: the knowledge SMS, as an offer the subscriber asked for ----- */

static void on_knowledge_offer(vg_redis_t *r, redisReply *reply, void *data,
                               const char *err) {
  vg_mo_job_t *j = data;
  if (err) {
    free(j->state);
    vg_dispatch_abandon(j, err);
    return;
  }
  svc_state_t s = *(svc_state_t *)j->state;
  free(j->state);
  j->state = NULL;
  vg_offer_result_t res;
  if (vg_offer_results(reply, &res, 1) == 1 &&
      strcmp(res.status, "refused") == 0) {
    if (strcmp(res.detail, "unknown_service") == 0 ||
        strcmp(res.detail, "service_disabled") == 0) {
      unknown_service(j, s.code);
      return;
    }
    /* Already held or being ordered: say so instead of offering it. */
    reply_svc(j,
              strcmp(res.detail, "order_in_progress") == 0
                  ? VG_TPL_PROCESSING
                  : VG_TPL_ALREADY_ACTIVE,
              s.code, s.name);
    return;
  }
  /* The knowledge SMS (queued by the script) is the answer. */
  vg_dispatch_finish(j);
}

static void on_knowledge_svc(vg_redis_t *r, redisReply *reply, void *data,
                             const char *err) {
  vg_mo_job_t *j = data;
  if (err) {
    vg_dispatch_abandon(j, err);
    return;
  }
  const char *svc = j->cmd.argv[0];
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
    unknown_service(j, svc);
    return;
  }
  vg_offer_contact_t ct = {.msisdn = j->from,
                           .source = "subscriber",
                           .channel = "sms",
                           .promoter = "",
                           .campaign = "",
                           .marketing = 0,
                           .hold_quiet = 0};
  svc_state_t *st = vg_calloc(1, sizeof *st);
  snprintf(st->code, sizeof st->code, "%s", svc);
  const char *name = vg_reply_field(reply, "name");
  snprintf(st->name, sizeof st->name, "%s", name ? name : svc);
  j->state = st;
  vg_offer_args_t a;
  vg_offer_args_init(&a, j->d->cfg, &ct, j->now);
  char id[64];
  snprintf(id, sizeof id, "k%s", j->id); /* handled twice: one offer */
  char *text = vg_offer_render(j->d->templates, 1, svc, reply);
  vg_offer_args_add(&a, id, svc, text, "knowledge");
  free(text);
  int rc = vg_redis_script(j->d->redis, VG_SCRIPT_OFFER_CREATE,
                           on_knowledge_offer, j, 0, a.argc,
                           (const char **)a.argv, NULL);
  vg_offer_args_free(&a);
  if (rc != 0) {
    free(j->state);
    vg_dispatch_abandon(j, "Redis not connected");
  }
}

static void knowledge(vg_mo_job_t *j) {
  char key[VG_KEY_MAX];
  vg_key(key, j->d->cfg->prefix, VG_K_SVC, j->cmd.argv[0]);
  if (vg_redis_command(j->d->redis, on_knowledge_svc, j, "HGETALL %s", key) !=
      0)
    vg_dispatch_abandon(j, "Redis not connected");
}

/* --- routing ------------------------------------------------------------------- */

void vg_subscriber_handle(vg_mo_job_t *j) {
  const vg_command_t *c = &j->cmd;
  switch (c->cmd) {
  case VG_CMD_CONFIRM:
    offer_reply(j, "confirm", c->code);
    return;
  case VG_CMD_CODE:
    offer_reply(j, "code", c->code);
    return;
  case VG_CMD_DECLINE:
    offer_reply(j, "decline", "");
    return;
  case VG_CMD_OPTOUT:
  case VG_CMD_OPTIN:
    optout(j, c->cmd == VG_CMD_OPTOUT);
    return;
  case VG_CMD_CANCEL:
    if (c->err != VG_CMD_ERR_NONE)
      vg_dispatch_reply(j, VG_TPL_USAGE_CANCEL, NULL, 0);
    else
      cancel(j);
    return;
  case VG_CMD_KNOWLEDGE:
    if (c->err == VG_CMD_ERR_NONE && c->argc == 1) {
      knowledge(j);
      return;
    }
    if (c->argc < 2) {
      vg_dispatch_reply(j, VG_TPL_USAGE_KNOWLEDGE, NULL, 0);
      return;
    }
    break; /* a promoter's "ZS <msisdn> <svc>" */
  case VG_CMD_HELP:
    help(j);
    return;
  default:
    break;
  }
  unknown(j);
}
