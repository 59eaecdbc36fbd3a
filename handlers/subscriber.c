/*
 * subscriber.c — the subscriber conversation (docs/texting.md): answers to offers, opt-out and opt-in, QX, ZS, help.
 *
 * Most commands are one mo_reply run (vg_job_answer): the state
 * change and its answer in one step, idempotent, so an MO handled twice
 * changes nothing twice (a second "Y" finds the offer confirmed and is told
 * the order is being processed).  ZS takes more: the catalogue entry is
 * read and the knowledge SMS made as an offer the subscriber asked for.
 * Commands of the promoter side (ZC, TJ, CX, YW, ZS with a number) are
 * routed to handlers/promoter_sms.c by the dispatcher.
 */
#include "gateway/keys.h"
#include "gateway/log.h"
#include "gateway/vg.h"
#include "handlers/subscriber.h"
#include "handlers/offers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- ZS <svc>: the knowledge SMS, as an offer the subscriber asked for ----- */

static void on_knowledge_offer(vg_redis_t *r, redisReply *reply, void *data,
                               const char *err) {
  vg_mo_job_t *j = data;
  if (err) {
    vg_job_abandon(j, err);
    return;
  }
  const char *svc = j->cmd.argv[0];
  vg_offer_result_t res;
  if (vg_offer_results(reply, &res, 1) == 1 &&
      strcmp(res.status, "refused") == 0) {
    j->reply[0] = '\0'; /* no knowledge SMS: the answer says why */
    if (strcmp(res.detail, "unknown_service") == 0 ||
        strcmp(res.detail, "service_disabled") == 0)
      vg_job_answer(j, "unknown_service", "", svc, 0);
    else if (strcmp(res.detail, "order_in_progress") == 0)
      vg_job_answer(j, "say", "processing", svc, 0);
    else if (strcmp(res.detail, "already_subscribed") == 0)
      vg_job_answer(j, "say", "already_active", svc, 0);
    else /* nine offers open, no code left: the list of commands */
      vg_job_answer(j, "help", "", "", 0);
    return;
  }
  /* The knowledge SMS (queued by the script) is the answer. */
  vg_job_finish(j);
}

static void on_knowledge_svc(vg_redis_t *r, redisReply *reply, void *data,
                             const char *err) {
  vg_mo_job_t *j = data;
  if (err) {
    vg_job_abandon(j, err);
    return;
  }
  const char *svc = j->cmd.argv[0];
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
    vg_job_answer(j, "unknown_service", "", svc, 0);
    return;
  }
  vg_offer_contact_t ct = {.msisdn = j->from,
                           .source = "subscriber",
                           .channel = "sms",
                           .promoter = "",
                           .campaign = "",
                           .marketing = 0,
                           .hold_quiet = 0};
  vg_offer_args_t a;
  vg_offer_args_init(&a, j->d->cfg, &ct, j->now);
  char id[VG_OFFER_ID_MAX];
  if (vg_id_fmt(id, sizeof id, "k%s", j->id) != 0) { /* handled twice: one offer */
    vg_job_abandon(j, "MO id too long for an offer id");
    return;
  }
  char *text = vg_offer_render(j->d->templates, 1, svc, reply);
  vg_offer_args_add(&a, id, svc, text, "knowledge");
  free(text);
  int rc = vg_redis_fcall(j->d->redis, &a.call, on_knowledge_offer, j);
  vg_offer_args_free(&a);
  if (rc != 0)
    vg_job_abandon(j, "Redis not connected");
}

/* Past the MO gate: read the catalogue entry. */
static void knowledge(vg_mo_job_t *j) {
  char key[VG_KEY_MAX];
  vg_key(key, j->d->cfg->prefix, VG_K_SVC, j->cmd.argv[0]);
  if (vg_redis_command(j->d->redis, on_knowledge_svc, j, "HGETALL %s", key) !=
      0)
    vg_job_abandon(j, "Redis not connected");
}

/* --- routing ------------------------------------------------------------------- */

void vg_subscriber_handle(vg_mo_job_t *j) {
  const vg_command_t *c = &j->cmd;
  switch (c->cmd) {
  case VG_CMD_CONFIRM:
    vg_job_answer(j, "confirm", c->code, "", 1);
    return;
  case VG_CMD_CODE:
    vg_job_answer(j, "code", c->code, "", 1);
    return;
  case VG_CMD_DECLINE:
    vg_job_answer(j, "decline", "", "", 1);
    return;
  case VG_CMD_OPTOUT:
    vg_job_answer(j, "optout", "", "", 1);
    return;
  case VG_CMD_OPTIN:
    vg_job_answer(j, "optin", "", "", 1);
    return;
  case VG_CMD_CANCEL:
    if (c->err != VG_CMD_ERR_NONE)
      vg_job_answer(j, "say", "usage_cancel", "", 1);
    else
      vg_job_answer(j, "cancel", "", c->argv[0], 1);
    return;
  case VG_CMD_KNOWLEDGE:
    if (c->err == VG_CMD_ERR_NONE && c->argc == 1) {
      j->then = knowledge;
      /* The knowledge SMS is the answer (its offer id: see knowledge). */
      if (vg_id_fmt(j->reply, sizeof j->reply, "of-k%s", j->id) != 0) {
        vg_log_warn("dispatch: MO %s: its id is too long for a knowledge "
                    "offer's: not answered",
                    j->id);
        vg_job_finish(j);
        return;
      }
      vg_job_answer(j, "proceed", "", "", 1);
      return;
    }
    vg_job_answer(j, "say", "usage_knowledge", "", 1);
    return;
  case VG_CMD_HELP:
    vg_job_answer(j, "help", "", "", 1);
    return;
  default:
    break;
  }
  vg_job_answer(j, "unknown", "", "", 1);
}
