/*
 * ussd_guard.h — every USSD request gets a screen within seconds, even when
 * Redis or the node is slow (ARCHITECTURE.md: inbox -> handlers -> outbox,
 * and this watch beside them; docs/delivery.md "The USSD wait screen").
 *
 * The network holds a USSD dialogue open for a few seconds only.  For each
 * request the profile ([ussd] profile, gateway/ussd.h) calls a begin or a
 * continue, the inbox arms an entry for the sender: due [ussd]
 * wait_screen_ms later.  The outbox disarms every entry of a number as
 * soon as it writes a USSD MT to it.  When an entry falls due:
 *
 *   - its MO is stored (mo_store answered with the id): ussd_late asks
 *     Redis whether the answer is queued ('answered': nothing more) or
 *     marks the request late ('late': the wait screen goes).  No answer
 *     within 500 ms: the wait screen goes anyway;
 *   - its MO is not stored yet: the wait screen goes at once, and
 *     ussd_late runs once mo_store answers with the id, told the screen
 *     went (it marks the request late whatever is queued; its answer is
 *     not waited for), so the menus know the request is late.
 *
 * The wait screen does not pass Redis (which may be the slow part): it is
 * submitted straight on a bound link, the last screen of the dialogue
 * (vg_ussd_reply(..., last 1)), from service_number.  Its submit_sm_resp is
 * only logged and counted: P:stats ussd_wait_screens (written) and
 * ussd_wait_failed (not written, refused or lost).
 *
 * Memory: one entry per request armed or still in flight (its mo_store or
 * ussd_late call unanswered), one small tag per wait screen on the wire.
 * Owned by the daemon; one loop thread, no locks.
 */
#ifndef VG_USSD_GUARD_H
#define VG_USSD_GUARD_H

#include "gateway/config.h"
#include "gateway/redis.h"
#include "gateway/smpp_link.h"
#include "gateway/ussd.h"

#include <stdint.h>
#include <uv.h>

typedef struct vg_ussd_guard_s vg_ussd_guard_t;

/* The wait screen's text: malloc'd UTF-8 (the guard frees it), or NULL
 * for the built-in VG_USSD_WAIT_TEXT. */
typedef char *(*vg_ussd_wait_text_cb)(void *data);

#define VG_USSD_WAIT_TEXT "Please wait: the result will come by SMS."
/* How long ussd_late may take before the wait screen goes without its
 * answer (ms). */
#define VG_USSD_LATE_WAIT_MS 500
/* How long P:ussd:late:<mo> is kept (s). */
#define VG_USSD_LATE_TTL 600

/* Create; `links` are the binds that may submit (not owned), `text` and
 * `data` the source of the screen's words (text may be NULL). */
vg_ussd_guard_t *vg_ussd_guard_new(uv_loop_t *loop, const vg_config_t *cfg,
                                   vg_redis_t *redis, vg_smpp_link_t **links,
                                   int nlinks, vg_ussd_wait_text_cb text,
                                   void *data);

/*
 * A USSD request from `msisdn` (normalised) has gone to mo_store.  Arms an
 * entry when the profile calls `r` a begin or a continue, and returns its
 * token (> 0) for vg_ussd_guard_stored; 0 when nothing was armed (an abort,
 * another op, the guard full or closing).  An entry armed before for the
 * same number is replaced: the newer request is the one a screen answers.
 */
uint64_t vg_ussd_guard_arm(vg_ussd_guard_t *g, const char *msisdn,
                           const vg_ussd_req_t *r);

/* mo_store answered for the request of `token`: `mo_id` is its MO id, or
 * NULL when it was not stored (an error: the SMSC will deliver it again,
 * and that delivery is guarded anew). */
void vg_ussd_guard_stored(vg_ussd_guard_t *g, uint64_t token,
                          const char *mo_id);

/* The outbox wrote a USSD MT to `msisdn`: its entries need no wait screen. */
void vg_ussd_guard_disarm(vg_ussd_guard_t *g, const char *msisdn);

/* The links' submit_resp: 1 when `tag` was a wait screen's (logged,
 * counted, done), 0 when it is someone else's (the outbox's). */
int vg_ussd_guard_submit_resp(vg_ussd_guard_t *g, void *tag, int64_t status,
                              const char *msgid);

/* Stop sending screens and close the timer; free with vg_ussd_guard_free
 * once the loop has run its close callback (after uv_run returns). */
void vg_ussd_guard_close(vg_ussd_guard_t *g);
void vg_ussd_guard_free(vg_ussd_guard_t *g);

#endif
