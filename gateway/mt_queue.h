/*
 * mt_queue.h — putting MT messages on the queue, the same way from the CLI
 * (blocking hiredis, a file in batches) and from the daemon's handlers.
 *
 * A message gets its record (state "queued") and a stream entry in one
 * script run, keyed by its id, so repeating the call never queues it twice.
 * Several messages go in one run: the script's cost is mostly per run.
 */
#ifndef VG_MT_QUEUE_H
#define VG_MT_QUEUE_H

#include "gateway/fcall.h"
#include "gateway/text.h"

#include <stddef.h>

#define VG_MSGID_LEN 24

/*
 * Can `len` bytes of `text` go out as an SMS of at most `max_parts` parts
 * ([gateway] max_parts)?  The check of every producer, made where the
 * message is made (the CLI refuses it; the daemon's outbox, which every MT
 * passes, records it unsent): a text is sent whole or not at all, never
 * cut.  0 with *nparts set; else VG_ETOOLONG (*nparts the parts it takes,
 * 0 beyond VG_TEXT_MAX_PARTS), VG_EUTF8 or VG_ETEXT (empty), with `why` in
 * words: "text too long: 11 parts, at most 10 ([gateway] max_parts)".
 */
#define VG_MT_WHY_MAX 96
int vg_mt_check_text(const char *text, size_t len, int max_parts, int *nparts,
                     char why[VG_MT_WHY_MAX]);
/* The same verdict on what vg_text_encode_mt() returned (`encoded`) and the
 * parts it made, for a caller that keeps the encoding (the outbox). */
int vg_mt_text_verdict(int encoded, size_t nparts, int max_parts,
                       char why[VG_MT_WHY_MAX]);

/* A new message id: 16 random hex digits. */
void vg_mt_new_id(char out[VG_MSGID_LEN]);

typedef struct {
  const char *id;      /* message id (vg_mt_new_id, or derived for replies) */
  const char *to;      /* normalised MSISDN */
  const char *text;    /* UTF-8 */
  const char *src;     /* source address; "" = service_number */
  int ussd_service_op; /* -1: plain SMS */
  const char *its_hex; /* its_session_info as 4 hex digits, or "" */
  const char *origin;  /* "cli", "reply", "api" ... */
  const char *umr;     /* user_message_reference in decimal; NULL or "":
                        * none (a USSD screen echoes the request's) */
  int64_t expire_at;   /* ms since the epoch after which it is not sent
                        * (recorded failed instead); 0: none */
  const char *lane;    /* NULL or "": the normal lane; "bulk": the lane
                        * sent only when nothing of the normal one waits */
  const char *tally;   /* NULL or "": none; else the key (after the
                        * prefix) of the hash counting its transitions */
} vg_mt_t;

/*
 * One call of the mt_enqueue function (gateway/lua/mt.lua) for up to `max`
 * messages.  The strings of each vg_mt_t added must outlive the batch's
 * use; send `call` with vg_redis_fcall() or vg_redis_sync_fcall().
 */
typedef struct {
  vg_fcall_t call;
  size_t count, max;
  const char *prefix;
  int ttl_s;
} vg_mt_batch_t;

/* Room for `max` messages. */
void vg_mt_batch_init(vg_mt_batch_t *b, const char *prefix, int ttl_s,
                      size_t max);
/* Add one; returns 0, or VG_EBUSY when the batch is full. */
int vg_mt_batch_add(vg_mt_batch_t *b, const vg_mt_t *m);
/* Empty it for reuse (keeps prefix and ttl; takes a new created time). */
void vg_mt_batch_reset(vg_mt_batch_t *b);
void vg_mt_batch_free(vg_mt_batch_t *b);

#endif
