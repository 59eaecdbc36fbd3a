/*
 * daemon.h — vasgwd's mechanisms on one libuv loop: the SMPP binds, the
 * Redis connections, the outbox and inbox, the stream readers and the
 * activation dispatcher (ARCHITECTURE.md's picture, docs/delivery.md).
 *
 * The daemon knows no business: what an MO means, what an order's result
 * SMS says and what runs on a timer come from the hooks its main gives it
 * (handlers/vasgwd.c).  Create it, take its loop and Redis connection for
 * the business's own objects, then run it:
 *
 *   vg_daemon_t *d = vg_daemon_new(&cfg);
 *   ... vg_daemon_loop(d), vg_daemon_redis(d) ...
 *   vg_daemon_set_hooks(d, &hooks);
 *   return vg_daemon_run(d);
 */
#ifndef VG_DAEMON_H
#define VG_DAEMON_H

#include "gateway/config.h"
#include "gateway/provision.h"
#include "gateway/redis.h"

#include <uv.h>

/* One stored MO, as read from the MO stream (gateway/lua/mo.lua).  The
 * strings live only during the hook's call: copy what you keep. */
typedef struct {
  const char *entry;   /* stream entry id: acknowledge it once handled */
  const char *id;      /* MO id */
  const char *from;    /* normalised MSISDN, or the sender as sent */
  const char *to;
  const char *text;    /* UTF-8, reassembled */
  const char *ussd_op; /* "" for SMS */
  const char *its;     /* its_session_info hex, "" if none */
  const char *umr;     /* user_message_reference in decimal, "" if none */
  int complete;        /* 0: parts never came (docs/encoding.md) */
  const char *error;   /* "undecodable": `text` is the octets in hex, not
                          text to read a command in; "" otherwise */
} vg_mo_t;

typedef struct {
  /* An MO to handle.  The handler acknowledges its stream entry when done;
   * an entry it leaves pending is read again after a reconnect, or claimed
   * by another node after [gateway] claim_idle. */
  void (*mo)(void *data, const vg_mo_t *mo);
  /* The result SMS of an order (gateway/provision.h), or NULL for none. */
  vg_provision_text_cb order_text;
  /* Once a second while running (not while stopping). */
  void (*tick)(void *data);
  /* The daemon stops taking work (SIGTERM, a fatal error): the business
   * stops its own timers and closes its handles, so that the loop ends. */
  void (*stop)(void *data);
  /* MO handled so far, for the node's status in `vasgw stats`. */
  long (*mo_handled)(void *data);
  /* The USSD wait screen's text (gateway/ussd_guard.h): malloc'd UTF-8,
   * freed by the daemon; NULL (or a NULL hook) for the built-in English
   * VG_USSD_WAIT_TEXT.  Called on the loop when a screen is due: it must
   * not wait for Redis. */
  char *(*ussd_wait_text)(void *data);
  void *data;
} vg_daemon_hooks_t;

typedef struct vg_daemon_s vg_daemon_t;

/* Everything set up, nothing started yet. */
vg_daemon_t *vg_daemon_new(const vg_config_t *cfg);
uv_loop_t *vg_daemon_loop(vg_daemon_t *d);
/* The connection for writes and function calls (gateway/redis.h). */
vg_redis_t *vg_daemon_redis(vg_daemon_t *d);
/* Before vg_daemon_run; `h` is copied. */
void vg_daemon_set_hooks(vg_daemon_t *d, const vg_daemon_hooks_t *h);

/* What /readyz and the metrics read of the node, on the loop. */
typedef struct {
  int redis_ready; /* the write connection is up */
  int stopping;
  int nbinds;
  struct {
    const char *role, *state; /* "trx", "bound" ... */
    int bound;
    unsigned in_flight;
    unsigned long long binds, disconnects;
  } bind[2];
} vg_daemon_state_t;
void vg_daemon_state(vg_daemon_t *d, vg_daemon_state_t *out);

/*
 * Run until SIGTERM/SIGINT: then stop taking work, wait (bounded) for the
 * window to drain and the answers to reach Redis, unbind, disconnect.
 * Frees the daemon.  Returns the process exit status: 0, or 1 when Redis
 * refused the Functions library.
 */
int vg_daemon_run(vg_daemon_t *d);

#endif
