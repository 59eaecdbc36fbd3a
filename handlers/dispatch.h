/*
 * dispatch.h — what happens to a stored MO: the handlers' entry point.
 *
 * In this first version the dispatcher answers every message from a
 * subscriber number with the help text (a USSD request gets the promoter
 * menu as a USSD response on the same session).  The subscriber and promoter
 * conversations replace the body of vg_dispatch_mo; the contract stays: a
 * reply is queued with an id derived from the MO id, so handling the same MO
 * twice (at-least-once delivery from the stream) never sends two replies.
 */
#ifndef VG_DISPATCH_H
#define VG_DISPATCH_H

#include "gateway/config.h"
#include "gateway/redis.h"
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

/* Handle one stored MO: queue the answer, then XACK the entry. */
void vg_dispatch_mo(vg_dispatch_t *d, const vg_mo_t *mo);

#endif
