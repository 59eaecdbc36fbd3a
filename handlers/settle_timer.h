/*
 * settle_timer.h — the daemon settles each month by itself: on [commission]
 * settlement_day of month M+1 (or any later day of it, when no daemon ran
 * that day), outside quiet hours, month M is settled by vg_settle_month()
 * (handlers/settle.h), the same function `vasgw settle` calls.  Every node
 * tries; the month's lock in Redis lets one settle and the others find the
 * month done.  A run that failed is tried again an hour later.
 *
 * The settlement blocks on its own Redis connection, so it runs in a
 * libuv worker thread; the loop (SMPP, the daemon's Redis work) never
 * waits for it, and what it has to say is logged from the loop.
 */
#ifndef VG_HANDLERS_SETTLE_TIMER_H
#define VG_HANDLERS_SETTLE_TIMER_H

#include "gateway/config.h"
#include "handlers/templates.h"

#include <uv.h>

typedef struct vg_settle_timer_s vg_settle_timer_t;

vg_settle_timer_t *vg_settle_timer_new(uv_loop_t *loop, const vg_config_t *cfg,
                                       const vg_templates_t *t);
/* Once a second from the daemon's housekeeping (checks once a minute). */
void vg_settle_timer_tick(vg_settle_timer_t *s);
/* After the loop has ended (a run under way keeps the loop alive until it
 * is done: it is one transaction). */
void vg_settle_timer_free(vg_settle_timer_t *s);

#endif
