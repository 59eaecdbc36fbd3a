/*
 * campaign_runner.h — vasgwd sends the running campaigns (docs/campaigns.md,
 * "Sending").  Every node runs one; they share each campaign's rate and
 * its list in Redis (campaign_send in handlers/lua/campaigns.lua takes the
 * next recipients atomically), so a node that dies leaves nothing half
 * done: what it took is an offer and an SMS in the bulk lane already,
 * which the other nodes' outboxes deliver.
 *
 * Each running campaign is called every vg_campaign_every() ms for its
 * rate, unless quiet hours or its window close it (vg_campaign_gate), with
 * at most one call per campaign on the way.  The list of running campaigns is read again
 * once a second, from the daemon's tick, which also says the node may work.
 */
#ifndef VG_HANDLERS_CAMPAIGN_RUNNER_H
#define VG_HANDLERS_CAMPAIGN_RUNNER_H

#include "gateway/config.h"
#include "gateway/redis.h"

#include <uv.h>

/* The runner's timer: the shortest interval between two calls. */
#define VG_CAMPAIGN_TICK_MS 5

typedef struct vg_campaign_runner_s vg_campaign_runner_t;

vg_campaign_runner_t *vg_campaign_runner_new(uv_loop_t *loop,
                                             const vg_config_t *cfg,
                                             vg_redis_t *redis);
/* Once a second while the node runs (the daemon's tick). */
void vg_campaign_runner_tick(vg_campaign_runner_t *r);
/* The daemon stops: no more calls; its timer closes. */
void vg_campaign_runner_stop(vg_campaign_runner_t *r);
/* After the loop has ended. */
void vg_campaign_runner_free(vg_campaign_runner_t *r);

#endif
