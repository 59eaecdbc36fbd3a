/*
 * provision.h — the activation-order dispatcher (docs/webhook.md): orders read from the orders stream are POSTed to the operator's
 * provisioning webhook through gateway/http (libcurl multi on the loop).
 *
 * Per order: order_attempt counts the call in Redis before it is made;
 * the answer decides: 2xx {"result":"ok"} done; {"result":"rejected"} or
 * 4xx rejected (permanent); 5xx, timeout or refusal retried with
 * exponential back-off and jitter up to [provisioning] max_attempts, then
 * failed.  order_result records the call, the order's state, the
 * subscriber's service and the result SMS in one step and acknowledges the
 * stream entry once the order is final.  Every call carries the order id as
 * Idempotency-Key, so the calls repeated after a restart or a lost answer
 * are one activation to the provisioning system.
 *
 * Mechanism only: the words of the result SMS come from a callback.
 */
#ifndef VG_PROVISION_H
#define VG_PROVISION_H

#include "gateway/config.h"
#include "gateway/redis.h"

#include <uv.h>

typedef enum {
  VG_ORDER_DONE = 0,
  VG_ORDER_REJECTED,
  VG_ORDER_FAILED,
} vg_order_outcome_t;

/* The order's fields as stored (name/value pairs). */
typedef struct {
  size_t n;
  char **name, **value;
} vg_order_fields_t;

const char *vg_order_field(const vg_order_fields_t *f, const char *name);

/* The most of a provisioning system's `reason` that is kept, in bytes of
 * UTF-8 (docs/webhook.md): it is read by a subscriber in an SMS. */
#define VG_PROVISION_REASON_MAX 255

/*
 * `reason` (`len` bytes, as JSON gave it: it may hold a NUL) as vasgw
 * keeps it, in `out`: whole when it is at most VG_PROVISION_REASON_MAX
 * bytes, else cut at the last character boundary within them (never inside
 * a character); a control character other than a line break (a NUL, a
 * tab, ESC, DEL) is written as a space, since the reason is what a
 * subscriber reads and a NUL would end it early.  Returns `len`, which is
 * more than strlen(out) when it was cut.
 */
size_t vg_provision_reason(const char *reason, size_t len,
                           char out[VG_PROVISION_REASON_MAX + 1]);

/* The result SMS (malloc'd UTF-8), or NULL for none.  `reason` is the
 * provisioning system's as kept (vg_provision_reason), "" when it gave
 * none. */
typedef char *(*vg_provision_text_cb)(void *data, const vg_order_fields_t *f,
                                      vg_order_outcome_t outcome,
                                      const char *reason);

typedef struct vg_provision_s vg_provision_t;

vg_provision_t *vg_provision_new(uv_loop_t *loop, const vg_config_t *cfg,
                                 vg_redis_t *redis, vg_provision_text_cb text,
                                 void *data);

/* An entry of the orders stream (its id) naming an order. */
void vg_provision_add(vg_provision_t *p, const char *entry,
                      const char *order_id);

/* How many more orders it takes now (a bound on calls in flight). */
int vg_provision_wants(const vg_provision_t *p);

/* Called when room frees up after vg_provision_wants() reached 0. */
void vg_provision_on_want(vg_provision_t *p, void (*cb)(void *), void *data);

/* Orders in hand (calling, waiting to retry, writing a result). */
size_t vg_provision_active(const vg_provision_t *p);

/* Stop: calls in flight are cancelled (their orders stay "sending" and are
 * called again, with the same key, by the next node to read them). */
void vg_provision_close(vg_provision_t *p);
void vg_provision_free(vg_provision_t *p);

#endif
