/*
 * inbox.h — deliver_sm / data_sm from the SMSC into Redis, then the answer.
 *
 * A delivery receipt updates the message it belongs to (dlr_apply); any
 * other message is decoded (text.h), stored with its USSD fields and, when
 * concatenated, reassembled in Redis (mo_store), and only then answered
 * ESME_ROK.  When Redis cannot take it the answer is ESME_RX_T_APPN, a
 * temporary error, so the SMSC delivers it again.
 *
 * Only what the SMSC can deliver again is recognised as a redelivery
 * (docs/delivery.md, "Redelivered MO"): a message whose ESME_ROK it may not
 * have read (the connection was lost before it answered anything we wrote
 * after it) when it comes back on another connection, and one we answered
 * with a temporary error.  The same text sent again by a person is a new
 * message.  Once the SMSC has read our ESME_ROK (peer_read), the message is
 * forgotten (mo_acked).
 */
#ifndef VG_INBOX_H
#define VG_INBOX_H

#include "gateway/config.h"
#include "gateway/redis.h"
#include "gateway/smpp_link.h"
#include "gateway/ussd_guard.h"

typedef struct vg_inbox_s vg_inbox_t;

vg_inbox_t *vg_inbox_new(uv_loop_t *loop, const vg_config_t *cfg,
                         vg_redis_t *redis);
void vg_inbox_free(vg_inbox_t *in);

/* The USSD wait guard that every USSD request stored is armed in (not
 * owned; NULL: none). */
void vg_inbox_set_guard(vg_inbox_t *in, vg_ussd_guard_t *g);

/* The link's deliver callback forwards here. */
void vg_inbox_deliver(vg_inbox_t *in, vg_smpp_link_t *l,
                      const vg_smpp_deliver_t *d, uint32_t seq);

/* The link's peer_read callback forwards here: the SMSC read our answers up
 * to PDU `upto` on that link. */
void vg_inbox_peer_read(vg_inbox_t *in, vg_smpp_link_t *l, uint64_t upto);

/* Store the receipts of this loop iteration in one script run; call after
 * vg_outbox_flush so that the responses they follow are saved first. */
void vg_inbox_flush(vg_inbox_t *in);

/* Deliver incomplete reassemblies whose wait is over (call every second). */
void vg_inbox_expire(vg_inbox_t *in);

/* 1 when no deliver_sm waits for Redis. */
int vg_inbox_idle(const vg_inbox_t *in);

/* How long a delivered MO whose ESME_ROK the SMSC may not have read is
 * remembered, to recognise its redelivery (s). */
#define VG_MO_DEDUP_SECONDS 120

#endif
