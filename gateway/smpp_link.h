/*
 * smpp_link.h — one SMPP bind on a uv_tcp_t: resolve, connect, bind, and
 * reconnect with exponential back-off and jitter up to reconnect_max.
 *
 * The protocol is vg_smpp_session_t's; this file owns the socket, the
 * 250 ms tick that drives response timeouts and enquire_link, and the
 * write buffer, which is flushed once per loop iteration (from a
 * uv_prepare_t) so a burst of PDUs leaves in one write.  TCP_NODELAY is set:
 * SMPP is request/response and Nagle would stall it on delayed ACKs.  For
 * the same reason, seen from the other side, what was read is acknowledged
 * at once (TCP_QUICKACK, set again after each loop iteration that read and
 * did not write): an SMSC with Nagle on waits for that ACK before it sends
 * its next PDU (smpp_link.c, ack_now).
 */
#ifndef VG_SMPP_LINK_H
#define VG_SMPP_LINK_H

#include "gateway/smpp_session.h"

#include <uv.h>

typedef struct vg_smpp_link_s vg_smpp_link_t;

typedef struct {
  void (*bound)(vg_smpp_link_t *l);
  void (*down)(vg_smpp_link_t *l); /* was bound, no longer */
  void (*submit_resp)(vg_smpp_link_t *l, void *tag, int64_t status,
                      const char *msgid);
  void (*deliver)(vg_smpp_link_t *l, const vg_smpp_deliver_t *d,
                  uint32_t seq);
  void (*closed)(vg_smpp_link_t *l); /* after vg_smpp_link_close */
  /* The SMSC read every PDU up to number `upto` (smpp_session.h,
   * peer_read); may be NULL. */
  void (*peer_read)(vg_smpp_link_t *l, uint64_t upto);
} vg_smpp_link_cb_t;

struct vg_smpp_link_s {
  uv_loop_t *loop;
  const char *name; /* "trx", "tx", "rx" */
  char host[256];
  int port;
  uint32_t reconnect_max_ms;
  uint32_t backoff_ms;
  vg_smpp_session_t *session;
  vg_smpp_link_cb_t cb;
  uv_tcp_t tcp;
  uv_connect_t connect_req;
  uv_getaddrinfo_t gai;
  uv_timer_t tick;
  uv_timer_t retry;
  uv_prepare_t flush;
  unsigned char *out;
  size_t out_len, out_cap;
  int tcp_open;     /* tcp handle initialised and not yet closed */
  int connecting;
  int stopping;     /* no reconnect: shutting down, or paused */
  int paused;       /* stopped by vg_smpp_link_pause, until resumed */
  int closing_handles;
  int bound;        /* bound since the last connect: 'down' is owed */
  int read_unacked; /* read since the last write: the ACK is owed now */
  uint64_t binds, bind_failures, disconnects;
  uint64_t quickacks; /* TCP_QUICKACK set (ACKs sent without a write) */
  char last_error[160];
  void *data;
};

/* Set up (not connected).  `opts` strings are copied by the session. */
void vg_smpp_link_init(uv_loop_t *loop, vg_smpp_link_t *l, const char *name,
                       const char *host, int port,
                       const vg_smpp_session_opts_t *opts,
                       uint32_t reconnect_max_ms, const vg_smpp_link_cb_t *cb,
                       void *data);

/* Connect now, and keep reconnecting until vg_smpp_link_stop(). */
void vg_smpp_link_start(vg_smpp_link_t *l);

/* Stop reconnecting; unbind when bound (the socket closes on unbind_resp or
 * timeout), close otherwise. */
void vg_smpp_link_stop(vg_smpp_link_t *l);

/* Unbind as vg_smpp_link_stop does, and stay down until
 * vg_smpp_link_resume: the owner cannot take messages for a while. */
void vg_smpp_link_pause(vg_smpp_link_t *l);

/* Connect and bind again after vg_smpp_link_pause (nothing otherwise). */
void vg_smpp_link_resume(vg_smpp_link_t *l);

/* Release every handle; cb.closed fires when all are closed. */
void vg_smpp_link_close(vg_smpp_link_t *l);

/* Free the session and buffers, once the close callbacks have run. */
void vg_smpp_link_free(vg_smpp_link_t *l);

/* 1 when the transport is gone and no reconnect is coming. */
int vg_smpp_link_is_down(const vg_smpp_link_t *l);

#endif
