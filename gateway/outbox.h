/*
 * outbox.h — MT from the Redis stream to the SMSC: encoding, window, TPS,
 * throttling, and the durable record of every submit_sm_resp.
 *
 * Entries come from the "mt" and "mt:bulk" streams (the daemon's readers),
 * one lane each, queued apart: a bulk part goes only when no normal part
 * waits (docs/delivery.md, "Lanes").  Each message is encoded (text.h)
 * into parts; each part takes a token from a smooth token bucket (`tps`
 * per second, at most max(2, tps/20) at once) and a slot in the bind's
 * window.  A part's submit_sm_resp is written to Redis by the
 * mt_resp script, which acknowledges the stream entry once every part is
 * answered — so a message is never acknowledged before the SMSC took it, and
 * an entry left pending by a node that died is claimed by a live one.
 * ESME_RTHROTTLED / ESME_RMSGQFUL pause sending for a second (the bulk
 * lane 2 to 16 s) and retry the part; a connection lost with parts
 * outstanding resubmits them.
 */
#ifndef VG_OUTBOX_H
#define VG_OUTBOX_H

#include "gateway/config.h"
#include "gateway/redis.h"
#include "gateway/smpp_link.h"
#include "gateway/ussd_guard.h"

#include <uv.h>

typedef struct vg_outbox_s vg_outbox_t;

/* Create; `links` are the binds that may submit (not owned). */
vg_outbox_t *vg_outbox_new(uv_loop_t *loop, const vg_config_t *cfg,
                           vg_redis_t *redis, vg_smpp_link_t **links,
                           int nlinks);
/* Close the outbox's timers; free it with vg_outbox_free once the loop has
 * run their close callbacks (after uv_run returns). */
void vg_outbox_close(vg_outbox_t *o);
void vg_outbox_free(vg_outbox_t *o);

/* The USSD wait guard to tell when a USSD MT is written to a number (not
 * owned; NULL: none). */
void vg_outbox_set_guard(vg_outbox_t *o, vg_ussd_guard_t *g);

/*
 * A stream entry: fields as stored by mt_enqueue (NULL: absent).  `umr` is
 * the user_message_reference to send (decimal), `expire_at` the ms after
 * which the message is not sent but recorded failed.  `recovered` is 1 for
 * an entry read back from the pending list (parts already answered are
 * skipped).  `bulk` is 1 for an entry of the bulk lane's stream.  An entry
 * already held (the same id of the same lane) is ignored.
 */
void vg_outbox_add(vg_outbox_t *o, const char *entry_id, const char *id,
                   const char *to, const char *text, const char *src,
                   const char *ussd_op, const char *its, const char *umr,
                   const char *expire_at, int bulk, int recovered);

/* How many more entries of the normal lane the outbox wants now (0: full
 * or draining); the bulk lane's have their own, smaller, limit. */
int vg_outbox_wants(const vg_outbox_t *o);
int vg_outbox_wants_bulk(const vg_outbox_t *o);

/* Called when a bind comes up or a slot frees: submit what may go. */
void vg_outbox_pump(vg_outbox_t *o);

/* The link's submit_resp callback forwards here. */
void vg_outbox_submit_resp(vg_outbox_t *o, void *tag, int64_t status,
                           const char *msgid);

/* Save the answers of this loop iteration in one script run.  The daemon
 * calls it from a uv_prepare_t, before vg_inbox_flush. */
void vg_outbox_flush(vg_outbox_t *o);

/* Stop taking entries (SIGTERM). */
void vg_outbox_drain(vg_outbox_t *o);
/* 1 when nothing is outstanding on the wire nor waiting to be written. */
int vg_outbox_idle(const vg_outbox_t *o);

/* Messages held in memory (both lanes), parts outstanding, parts
 * throttled so far. */
void vg_outbox_counts(const vg_outbox_t *o, long *held, long *in_flight,
                      long *throttled);
/* The bulk lane's share: messages held, parts waiting to be sent, parts
 * outstanding, and the ms its throttle pause still lasts (0: none). */
void vg_outbox_bulk_counts(const vg_outbox_t *o, long *held, long *queued,
                           long *in_flight, long *paused_ms);

/* Fired when the outbox wants more entries of either lane (the owner
 * kicks the readers). */
void vg_outbox_on_want(vg_outbox_t *o, void (*fn)(void *), void *data);

#endif
