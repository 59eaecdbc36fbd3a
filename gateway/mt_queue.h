/*
 * mt_queue.h — putting an MT message on the queue, the same way from the
 * CLI (blocking hiredis) and from the daemon's handlers (async).
 *
 * A message gets its record (state "queued") and a stream entry in one
 * script run, keyed by its id, so repeating the call never queues it twice.
 */
#ifndef VG_MT_QUEUE_H
#define VG_MT_QUEUE_H

#include <stddef.h>

#define VG_MSGID_LEN 24

/* A new message id: 16 random hex digits. */
void vg_mt_new_id(char out[VG_MSGID_LEN]);

typedef struct {
  const char *id;     /* message id (vg_mt_new_id, or derived for replies) */
  const char *to;     /* normalised MSISDN */
  const char *text;   /* UTF-8 */
  const char *src;    /* source address; "" = service_number */
  int ussd_service_op; /* -1: plain SMS */
  const char *its_hex; /* its_session_info as 4 hex digits, or "" */
  const char *origin;  /* "cli", "reply", "api" ... */
} vg_mt_t;

#define VG_MT_ENQUEUE_ARGC 12 /* 3 keys + 9 args */

/*
 * Fill argv/argvlen for VG_SCRIPT_MT_ENQUEUE (3 keys).  `bufs` holds the
 * formatted keys and numbers and must live as long as argv is used.
 */
typedef struct {
  char msgkey[192], stream[192], stats[192], created[24], ttl[24], ussd[16];
} vg_mt_argbuf_t;

void vg_mt_enqueue_args(const vg_mt_t *m, const char *prefix, int ttl_s,
                        vg_mt_argbuf_t *bufs, const char **argv,
                        size_t *argvlen);

#endif
