/*
 * job.c — see job.h: an MO's job from its start to its one end.
 */
#include "handlers/job.h"
#include "gateway/clock.h"
#include "gateway/ids.h"
#include "gateway/keys.h"
#include "gateway/log.h"
#include "gateway/mt_queue.h"
#include "gateway/vg.h"
#include "handlers/lua/functions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An auto-responder answers within seconds of receiving our reply, every
 * time: five MO in a row, each within 10 s of the delivery receipt of our
 * reply, and the number is left alone for a day (script mo_gate). */
#define LOOP_FAST_MS 10000
#define LOOP_COUNT 5
#define LOOP_BLOCK_MS (24LL * 3600 * 1000)

/* The id of the answer to an MO: handled twice, answered once.  An MO id
 * is digits (P:seq:mo), far from VG_ID_MAX. */
static int reply_id(char out[VG_ID_MAX + 1], const vg_mo_job_t *j) {
  return vg_id_fmt(out, VG_ID_MAX + 1, "re-%s", j->id);
}

static void job_free(vg_mo_job_t *j) {
  j->d->in_progress--;
  free(j->menu);
  free(j->text);
  free(j);
}

static void ack(vg_handlers_t *d, const char *entry) {
  char stream[VG_KEY_MAX];
  vg_key(stream, d->cfg->prefix, "%s", VG_K_MO_STREAM);
  /* XACK then XDEL: handled entries do not accumulate in the stream. */
  vg_redis_command(d->redis, NULL, NULL, "XACK %s %s %s", stream, VG_GROUP,
                   entry);
  vg_redis_command(d->redis, NULL, NULL, "XDEL %s %s", stream, entry);
}

void vg_job_finish(vg_mo_job_t *j) {
  ack(j->d, j->entry);
  j->d->handled++;
  job_free(j);
}

void vg_job_acked(vg_mo_job_t *j) {
  j->d->handled++;
  job_free(j);
}

void vg_job_abandon(vg_mo_job_t *j, const char *why) {
  vg_log_warn("dispatch: MO %s left for a retry: %s", j->id, why);
  job_free(j);
}

static void on_queued(vg_redis_t *r, redisReply *reply, void *data,
                      const char *err) {
  vg_mo_job_t *j = data;
  if (err) {
    vg_job_abandon(j, err);
    return;
  }
  vg_log_info("dispatch: MO %s: answered (MT re-%s)", j->id, j->id);
  vg_job_finish(j);
}

static void on_screen(vg_redis_t *r, redisReply *reply, void *data,
                      const char *err) {
  vg_mo_job_t *j = data;
  if (err) {
    vg_job_abandon(j, err);
    return;
  }
  vg_log_info("dispatch: MO %s: last USSD screen %s (MT re-%s)", j->id,
              reply->type == REDIS_REPLY_STRING ? reply->str : "?", j->id);
  vg_job_acked(j);
}

/* The dialogue's last screen: ussd_show (handlers/lua/ussd.lua) closes the
 * session and queues the text as the screen, or as an SMS when the
 * request waited past its deadline or the text does not fit a screen. */
static void reply_screen(vg_mo_job_t *j, char *text) {
  vg_handlers_t *d = j->d;
  char *by_sms = vg_templates_render(d->templates, VG_TPL_USSD_BY_SMS, NULL, 0);
  vg_fn_ussd_show_t a = {.prefix = d->cfg->prefix,
                         .now = vg_now_ms(),
                         .msisdn = j->from,
                         .mo = j->id,
                         .entry = j->entry,
                         .last = 1,
                         .close = !j->ussd_keep,
                         .session_ttl = d->cfg->ussd_session_timeout,
                         .msg_ttl = (long long)d->cfg->msg_ttl_days * 86400,
                         .text = text,
                         .by_sms = by_sms,
                         .op = j->last.op,
                         .its = j->last.its,
                         .umr = j->last.umr,
                         .expire_at = j->expire_at};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_ussd_show(&call, &a);
  int rc = vg_redis_fcall(d->redis, &call, on_screen, j);
  vg_fcall_free(&call);
  free(by_sms);
  free(text);
  if (rc != 0)
    vg_job_abandon(j, "Redis not connected");
}

void vg_job_reply_text(vg_mo_job_t *j, char *text) {
  vg_handlers_t *d = j->d;
  if (j->ussd) {
    reply_screen(j, text);
    return;
  }
  char id[VG_ID_MAX + 1];
  if (reply_id(id, j) != 0) {
    free(text);
    vg_job_abandon(j, "MO id too long for a reply id");
    return;
  }
  vg_mt_t m = {.id = id,
               .to = j->from,
               .text = text,
               .src = "",
               .ussd_service_op = -1,
               .its_hex = "",
               .origin = "reply",
               .lane = "",
               .tally = ""};
  vg_mt_batch_t b;
  vg_mt_batch_init(&b, d->cfg->prefix, d->cfg->msg_ttl_days * 86400, 1);
  vg_mt_batch_add(&b, &m);
  int rc = vg_redis_fcall(d->redis, &b.call, on_queued, j);
  vg_mt_batch_free(&b);
  free(text);
  if (rc != 0)
    vg_job_abandon(j, "Redis not connected");
}

void vg_job_reply(vg_mo_job_t *j, vg_tpl_id_t tpl,
                       const vg_tpl_var_t *vars, size_t nvars) {
  vg_job_reply_text(j,
                         vg_templates_render(j->d->templates, tpl, vars, nvars));
}

/* The templates mo_reply may answer with. */
static const vg_tpl_id_t answer_templates[] = {
    VG_TPL_HELP,           VG_TPL_UNREADABLE,
    VG_TPL_USAGE_CANCEL,   VG_TPL_USAGE_KNOWLEDGE,
    VG_TPL_UNKNOWN_SERVICE, VG_TPL_NO_SERVICES,
    VG_TPL_OPTED_OUT,       VG_TPL_OPTED_IN,
    VG_TPL_CANCEL_RECEIVED, VG_TPL_PROCESSING,       VG_TPL_CANCEL_NOT_ACTIVE,
    VG_TPL_CONFIRM_RECEIVED, VG_TPL_CHOOSE,          VG_TPL_CHOOSE_ITEM,
    VG_TPL_LIST_SEPARATOR, VG_TPL_DECLINED,          VG_TPL_EXPIRED,
    VG_TPL_ALREADY_ACTIVE, VG_TPL_ACTIVATION_FAILED, VG_TPL_REJECTED,
    VG_TPL_REASON_UNKNOWN, VG_TPL_NO_OFFER,
    /* the promoter side's answers that need no more than one script */
    VG_TPL_PROMOTER_PENDING, VG_TPL_PROMOTER_APPROVED, VG_TPL_PROMOTER_ALREADY,
    VG_TPL_WORDS_STATUS, VG_TPL_PROMOTER_NOT_IN_SEGMENT, VG_TPL_USAGE_REGISTER,
    VG_TPL_USAGE_RECOMMEND, VG_TPL_USAGE_PROMOTER_KNOWLEDGE, VG_TPL_USAGE_QUERY};


/* Answers too long for a USSD screen, and the form a screen takes. */
static const vg_tpl_id_t ussd_forms[][2] = {
    {VG_TPL_PROMOTER_APPROVED, VG_TPL_USSD_PROMOTER_APPROVED}};

static void on_answer(vg_redis_t *r, redisReply *reply, void *data,
                      const char *err) {
  vg_mo_job_t *j = data;
  if (err) {
    vg_job_abandon(j, err);
    return;
  }
  const char *what = reply->type == REDIS_REPLY_ARRAY && reply->elements > 1
                         ? reply->element[1]->str
                         : "";
  const char *outcome = reply->type == REDIS_REPLY_ARRAY && reply->elements
                            ? reply->element[0]->str
                            : "";
  if (strcmp(outcome, "proceed") == 0) {
    j->then(j);
    return;
  }
  /* One line per MO handled, by its id: with the inbox's "MO <id> from
   * ...: stored" and the outbox's lines for MT re-<id>, grep by id follows
   * the conversation. */
  if (strcmp(outcome, "silent") == 0) {
    /* Stored, counted, not answered. */
    char masked[VG_MSISDN_MAX + 8];
    vg_msisdn_mask(j->from, j->d->cfg->country_code, masked, sizeof masked);
    const char *why = strcmp(what, "rate") == 0   ? "over mo_rate_limit_per_min"
                      : strcmp(what, "loop") == 0 ? "auto-responder loop"
                      : strcmp(what, "help_sent_today") == 0
                          ? "help sent already today"
                      : strcmp(what, "answered_before") == 0
                          ? "answered before (read again)"
                          : what;
    vg_log_info("dispatch: MO %s from %s not answered: %s", j->id, masked,
                why);
  } else if (strcmp(outcome, "answered") == 0 && reply->elements >= 4) {
    const char *offer = reply->element[2]->str, *order = reply->element[3]->str;
    const char *mt = j->reply[0] ? j->reply : NULL;
    char re[VG_ID_MAX + 1];
    if (mt == NULL)
      mt = reply_id(re, j) == 0 ? re : "?";
    vg_log_info("dispatch: MO %s: answered %s (MT %s%s%s%s%s)", j->id, what, mt,
                *offer ? ", offer " : "", offer, *order ? ", order " : "",
                order);
  }
  vg_job_acked(j); /* the script acknowledged the entry */
}

void vg_job_answer(vg_mo_job_t *j, const char *kind, const char *code,
                        const char *service, int gate) {
  vg_handlers_t *d = j->d;
  char iso[32];
  vg_clock_iso(iso, j->now);
  vg_fn_mo_reply_t a = {.prefix = d->cfg->prefix,
                        .now = j->now,
                        .msisdn = j->from,
                        .mo = j->id,
                        .entry = j->entry,
                        .reply = j->reply,
                        .kind = kind,
                        .code = code,
                        .service = service,
                        .requested_at = iso,
                        .gate = gate && !j->ussd,
                        .limit = d->cfg->mo_rate_limit_per_min,
                        .fast = LOOP_FAST_MS,
                        .loop_n = LOOP_COUNT,
                        .block = LOOP_BLOCK_MS,
                        .msg_ttl = (long long)d->cfg->msg_ttl_days * 86400,
                        .service_number = d->cfg->service_number,
                        .ussd_code = d->cfg->ussd_service_code,
                        .channel = j->ussd ? "ussd" : "sms",
                        .ussd_op = j->ussd ? j->last.op : -1,
                        .its = j->ussd ? j->last.its : "",
                        .umr = j->ussd ? j->last.umr : "",
                        .expire_at = j->ussd ? j->expire_at : 0};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_mo_reply(&call, &a);
  for (size_t i = 0; i < VG_ARRAY_SIZE(answer_templates); i++) {
    vg_tpl_id_t id = answer_templates[i];
    /* A USSD screen takes the short form of an answer that has one. */
    for (size_t k = 0; j->ussd && k < VG_ARRAY_SIZE(ussd_forms); k++)
      if (ussd_forms[k][0] == id)
        id = ussd_forms[k][1];
    vg_fn_mo_reply_templates_t t = {
        .name = vg_templates_name(answer_templates[i]),
        .text = vg_templates_raw(d->templates, id)};
    vg_fn_mo_reply_templates(&call, &t);
  }
  if (j->ussd) {
    vg_fn_mo_reply_templates_t t = {
        .name = vg_templates_name(VG_TPL_USSD_BY_SMS),
        .text = vg_templates_raw(d->templates, VG_TPL_USSD_BY_SMS)};
    vg_fn_mo_reply_templates(&call, &t);
  }
  int rc = vg_redis_fcall(d->redis, &call, on_answer, j);
  vg_fcall_free(&call);
  if (rc != 0)
    vg_job_abandon(j, "Redis not connected");
}

vg_mo_job_t *vg_job_new(vg_handlers_t *h, const vg_mo_t *mo,
                        const char *from) {
  vg_mo_job_t *j = vg_calloc(1, sizeof *j);
  if (vg_copy(j->entry, sizeof j->entry, mo->entry) ||
      vg_copy(j->id, sizeof j->id, mo->id) ||
      vg_copy(j->from, sizeof j->from, from) ||
      vg_copy(j->its, sizeof j->its, mo->its ? mo->its : "") ||
      vg_copy(j->umr, sizeof j->umr, mo->umr ? mo->umr : "")) {
    free(j);
    return NULL;
  }
  h->in_progress++;
  j->d = h;
  j->text = vg_strdup(mo->text ? mo->text : "");
  j->ussd_op = mo->ussd_op && *mo->ussd_op ? atoi(mo->ussd_op) : -1;
  j->now = vg_now_ms();
  return j;
}

void vg_job_ack(vg_handlers_t *h, const char *entry) {
  ack(h, entry);
  h->handled++;
}
