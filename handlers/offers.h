/*
 * offers.h — making offers: the one way every channel (the CLI's
 * `recommend`, a subscriber's ZS, promoters' TJ/ZS, campaigns) creates an
 * offer and sends its SMS.
 *
 * An offer's SMS carries a reply code that only the offer_create script
 * knows (the lowest free 1-9 for that subscriber), so the text is rendered
 * here with VG_OFFER_CODE_MARK where the code goes and the script puts the
 * code in: the offer, the contact counters and the SMS are one atomic step.
 */
#ifndef VG_HANDLERS_OFFERS_H
#define VG_HANDLERS_OFFERS_H

#include "gateway/config.h"
#include "gateway/fcall.h"
#include "gateway/ids.h"
#include "handlers/templates.h"

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#define VG_OFFER_CODE_MARK "\x1a" /* replaced by the reply code */
#define VG_OFFER_ID_MAX (VG_OFFER_ID_LEN + 1) /* gateway/ids.h */

/* One contact with one subscriber: the offers it makes share it. */
typedef struct {
  const char *msisdn;   /* normalised */
  const char *source;   /* promoter | campaign | api | subscriber */
  const char *channel;  /* sms | ussd | campaign | api (the webhook's) */
  const char *promoter; /* MSISDN or "" */
  const char *campaign; /* id or "" */
  int marketing;        /* 1: contact rules apply; 0: the subscriber asked */
  int hold_quiet;       /* 1: quiet hours hold the SMS (campaign, api) */
} vg_offer_contact_t;

/* One call of offer_create (handlers/lua/offers.lua): send `call` with
 * vg_redis_fcall() or vg_redis_sync_fcall().  Every string given is copied. */
typedef struct {
  vg_fcall_t call;
  char day[12], month[8];
  char complaint_since[12]; /* YYYYMMDD, or "" when the rule is off */
  char **own; /* the copies */
  int nown, capown;
} vg_offer_args_t;

void vg_offer_args_init(vg_offer_args_t *a, const vg_config_t *cfg,
                        const vg_offer_contact_t *c, int64_t now_ms);
/* `text` as rendered by vg_offer_render (copied); kind "recommend" or
 * "knowledge". */
void vg_offer_args_add(vg_offer_args_t *a, const char *id, const char *service,
                       const char *text, const char *kind);
void vg_offer_args_free(vg_offer_args_t *a);

/* What the script answered for one offer. */
typedef struct {
  char id[VG_OFFER_ID_MAX];
  char status[16]; /* sent | held | refused | exists */
  char detail[VG_ID_MAX + 1]; /* message id when sent or held; the rule when
                              * refused */
  char code[8];    /* the reply code */
} vg_offer_result_t;

/* The first local day (YYYYMMDD) a complaint in the care feed still bars
 * marketing from, [policy] complaint_block_days before today; "" when the
 * rule is off. */
void vg_offer_complaint_since(const vg_config_t *cfg, int64_t now,
                              char out[12]);

/* Parse the script's reply; returns how many results (at most `max`). */
size_t vg_offer_results(const redisReply *r, vg_offer_result_t *out,
                        size_t max);

/* A refusal rule in plain words for operators ("opted_out" -> "the
 * subscriber opted out of marketing (TD)"). */
const char *vg_offer_rule_text(const char *rule);

/*
 * The offer SMS of a service: VG_TPL_KNOWLEDGE when `knowledge`, else
 * VG_TPL_RECOMMEND, from the service's HGETALL reply; "" when the reply is
 * NULL or empty (no such service: offer_create refuses it as
 * unknown_service before it reads the text).  malloc'd.
 */
char *vg_offer_render(const vg_templates_t *t, int knowledge,
                      const char *service, const redisReply *svc);

/* A new offer id: "<ms in base 36><8 random hex>", sortable by time. */
void vg_offer_new_id(char out[VG_OFFER_ID_MAX], int64_t now_ms);

#endif
