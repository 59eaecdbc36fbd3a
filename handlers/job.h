/*
 * job.h — one MO being handled, from the dispatcher (handlers/dispatch.h)
 * through the conversation it belongs to (handlers/subscriber.h,
 * handlers/promoter_sms.h), and how every job ends.
 *
 * The contract for every handler: it works on a job, makes its state
 * changes with idempotent Redis Functions, and ends the job exactly once:
 * with vg_job_answer() (one mo_reply call: the gate, the state change and
 * the answer, handlers/lua/answers.lua), vg_job_reply*() or
 * vg_job_finish(), which acknowledge the stream entry; or, when Redis
 * failed mid-way, vg_job_abandon(), which leaves the entry pending so that
 * it is read again.  A reply is queued with the id "re-<MO id>", so an MO
 * handled twice (the stream delivers at least once) is answered once.
 */
#ifndef VG_HANDLERS_JOB_H
#define VG_HANDLERS_JOB_H

#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/ids.h"
#include "gateway/msisdn.h"
#include "gateway/redis.h"
#include "gateway/ussd.h"
#include "handlers/grammar.h"
#include "handlers/templates.h"

#include <stdint.h>

/* What every handler shares: set up once by the daemon's main. */
typedef struct {
  const vg_config_t *cfg;
  vg_redis_t *redis;
  const vg_templates_t *templates;
  long handled;     /* jobs ended, for the node's status */
  long in_progress; /* jobs begun and not ended */
} vg_handlers_t;

typedef struct vg_mo_job_s vg_mo_job_t;

/* One MO being handled. */
struct vg_mo_job_s {
  vg_handlers_t *d;
  char entry[VG_ENTRY_ID_MAX];
  char id[VG_ID_MAX + 1];
  char from[VG_MSISDN_MAX]; /* normalised */
  char *text;               /* as received */
  vg_command_t cmd;         /* the parsed text */
  int ussd_op;              /* -1 for SMS */
  char its[16];
  char umr[8];              /* user_message_reference, "" none */
  /* A USSD request (handlers/ussd.c): every answer is a screen of the
   * dialogue, the last one with `last`'s fields, not sent after
   * expire_at; the actions it runs are the SMS commands' own, with
   * channel "ussd" and no MO gate (a dialogue is many answers a minute). */
  int ussd;
  vg_ussd_reply_t last;
  int64_t expire_at;
  int ussd_keep; /* the last screen leaves the session: another dialogue's */
  void *menu; /* handlers/ussd.c's own data (freed with the job) */
  int64_t now;
  /* The id our answer will have when it is not "re-<MO id>" (a ZS is
   * answered by its knowledge SMS): mo_reply's gate and its "answered
   * before" check look at that message.  "" for re-<MO id>. */
  char reply[VG_ID_MAX + 1];
  void *state; /* the handler's own data, freed by the handler */
  void (*then)(vg_mo_job_t *j); /* after vg_job_answer(..."proceed") */
};

/* A job for `mo` from `from` (normalised), time now; NULL when the entry's
 * id, MO id or USSD session field is longer than mo_store makes them (an
 * entry not written by vasgw): it is not handled with a cut id. */
vg_mo_job_t *vg_job_new(vg_handlers_t *h, const vg_mo_t *mo,
                        const char *from);

/*
 * Call mo_reply for the job: `kind` is what to do (help, unknown,
 * unreadable, confirm, code, decline, optout, optin, cancel,
 * unknown_service, say: answer with the template named `code` about
 * `service`, register, register_auto),
 * `gate` 1 to pass the MO gate first.  The job ends when the function
 * answers, unless kind is "proceed": then, if the gate lets it through,
 * j->then(j) runs.
 */
void vg_job_answer(vg_mo_job_t *j, const char *kind, const char *code,
                   const char *service, int gate);

/* Answer with a template, or with a text (taken over), and end the job. */
void vg_job_reply(vg_mo_job_t *j, vg_tpl_id_t tpl, const vg_tpl_var_t *vars,
                  size_t nvars);
void vg_job_reply_text(vg_mo_job_t *j, char *text);
/* End the job without an answer (acknowledges the entry). */
void vg_job_finish(vg_mo_job_t *j);
/* End the job whose entry a script acknowledged already. */
void vg_job_acked(vg_mo_job_t *j);
/* End the job leaving the entry pending (Redis failed: try again later). */
void vg_job_abandon(vg_mo_job_t *j, const char *why);
/* Acknowledge an MO no job was made for, counted as handled. */
void vg_job_ack(vg_handlers_t *h, const char *entry);

#endif
