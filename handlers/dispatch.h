/*
 * dispatch.h — what happens to a stored MO: the handlers' entry point.
 *
 * vg_dispatch_mo() takes an MO read from the MO stream and decides who
 * answers it: nobody for a short code or an alphanumeric sender (that is
 * how auto-reply loops between gateways start); the USSD menu for a USSD
 * request; otherwise the MO gate (per-sender rate limit, auto-responder
 * loops) and then the conversation it belongs to (handlers/subscriber.c).
 *
 * The contract for every handler: it works on a job, makes its state
 * changes with idempotent scripts, and ends the job exactly once with
 * vg_dispatch_reply*() or vg_dispatch_finish(), which acknowledge the stream
 * entry.  A reply is queued with the id "re-<MO id>", so an MO handled twice
 * (at-least-once delivery from the stream) is answered once.  When Redis
 * fails mid-way, vg_dispatch_abandon() leaves the entry pending: it is read
 * again after the reconnect.
 */
#ifndef VG_DISPATCH_H
#define VG_DISPATCH_H

#include "gateway/config.h"
#include "gateway/msisdn.h"
#include "gateway/redis.h"
#include "handlers/grammar.h"
#include "handlers/templates.h"

typedef struct {
  const char *entry; /* stream entry id, acknowledged when handled */
  const char *id;    /* MO id */
  const char *from;  /* normalised MSISDN, or the sender as sent */
  const char *to;
  const char *text;  /* UTF-8, reassembled */
  const char *ussd_op; /* "" for SMS */
  const char *its;     /* its_session_info hex, "" if none */
  int complete;
} vg_mo_t;

typedef struct {
  const vg_config_t *cfg;
  vg_redis_t *redis;
  const vg_templates_t *templates;
  long handled;
  long in_progress;
} vg_dispatch_t;

typedef struct vg_mo_job_s vg_mo_job_t;

/* One MO being handled. */
struct vg_mo_job_s {
  vg_dispatch_t *d;
  char entry[48];
  char id[48];
  char from[VG_MSISDN_MAX]; /* normalised */
  char *text;               /* as received */
  vg_command_t cmd;         /* the parsed text */
  int ussd_op;              /* -1 for SMS */
  char its[16];
  int64_t now;
  void *state; /* the handler's own data, freed by the handler */
  void (*then)(vg_mo_job_t *j); /* after vg_dispatch_answer(..."proceed") */
};

/* Handle one stored MO. */
void vg_dispatch_mo(vg_dispatch_t *d, const vg_mo_t *mo);

/*
 * Call mo_reply (handlers/lua/answers.lua) for the job: `kind` is what to do (help,
 * unknown, confirm, code, decline, optout, optin, cancel, unknown_service,
 * say: answer with the template named `code` about `service`), `gate` 1 to
 * pass the MO gate first.  The job ends when the script answers, unless
 * kind is "proceed": then, if the gate lets it through, j->then(j) runs.
 */
void vg_dispatch_answer(vg_mo_job_t *j, const char *kind, const char *code,
                        const char *service, int gate);

/* Free the tables built for vg_dispatch_answer. */
void vg_dispatch_free(vg_dispatch_t *d);

/* Answer with a template, or with a text (taken over), and end the job. */
void vg_dispatch_reply(vg_mo_job_t *j, vg_tpl_id_t tpl,
                       const vg_tpl_var_t *vars, size_t nvars);
void vg_dispatch_reply_text(vg_mo_job_t *j, char *text);
/* End the job without an answer (acknowledges the entry). */
void vg_dispatch_finish(vg_mo_job_t *j);
/* End the job leaving the entry pending (Redis failed: try again later). */
void vg_dispatch_abandon(vg_mo_job_t *j, const char *why);

/* The subscriber conversation (handlers/subscriber.c). */
void vg_subscriber_handle(vg_mo_job_t *j);

/* The promoter conversation (handlers/promoter_sms.c): ZC, TJ, ZS with a
 * number, CX, CX MX, YW. */
void vg_promoter_handle(vg_mo_job_t *j);

#endif
