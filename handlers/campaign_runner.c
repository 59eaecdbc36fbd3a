/*
 * campaign_runner.c — see campaign_runner.h.
 */
#include "handlers/campaign_runner.h"
#include "gateway/clock.h"
#include "gateway/keys.h"
#include "gateway/log.h"
#include "gateway/vg.h"
#include "handlers/campaign.h"
#include "handlers/lua/functions.h"
#include "handlers/offers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most campaigns one node sends at once; more are sent as others end
 * (the set is read in Redis's order, which a daemon does not choose). */
#define MAX_RUNNING 64
/* Recipients at most per call: one call stays a short script. */
#define MAX_PER_CALL 500

typedef struct {
  char id[VG_ID_MAX + 1];
  char window[16];
  int64_t end;
  int every;          /* ms between its calls, from its rate */
  uint64_t last_call; /* uv_now of its last call */
  int known;  /* window and end read: not sent before (a window unknown
               * is not a window open) */
  int busy;   /* a call on the way */
  int seen;   /* still in the set at the last read */
  char last[16]; /* what the last call answered: running, completed ... */
  char waiting[16];
} camp_t;

struct vg_campaign_runner_s {
  uv_loop_t *loop;
  const vg_config_t *cfg;
  vg_redis_t *redis;
  uv_timer_t timer;
  camp_t camps[MAX_RUNNING];
  int n;
  int listing;
  int stopped;
  uint64_t live_until; /* the node may work until then (the tick renews it) */
};

typedef struct {
  vg_campaign_runner_t *r;
  char id[VG_ID_MAX + 1];
} call_t;

static camp_t *find(vg_campaign_runner_t *r, const char *id) {
  for (int i = 0; i < r->n; i++)
    if (strcmp(r->camps[i].id, id) == 0)
      return &r->camps[i];
  return NULL;
}

static void on_send(vg_redis_t *rd, redisReply *reply, void *data,
                    const char *err) {
  call_t *c = data;
  camp_t *k = find(c->r, c->id);
  if (k == NULL) {
    free(c);
    return;
  }
  k->busy = 0;
  if (err) {
    /* Nothing taken, or everything taken is an offer and an SMS already
     * (one script): the next call goes on. */
    vg_log_warn("campaign %s: %s", k->id, err);
  } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 5) {
    const char *st = reply->element[0]->str ? reply->element[0]->str : "";
    const char *w = reply->element[4]->str ? reply->element[4]->str : "";
    if (strcmp(st, k->last) != 0 && strcmp(st, "running") != 0)
      vg_log_info("campaign %s: %s", k->id, st);
    if (strcmp(w, k->waiting) != 0)
      vg_log_info("campaign %s: %s%s", k->id, w[0] ? "waiting: " : "",
                  w[0] ? w : "sending");
    snprintf(k->last, sizeof k->last, "%s", st);
    snprintf(k->waiting, sizeof k->waiting, "%s", w);
  }
  free(c);
}

static void send_one(vg_campaign_runner_t *r, camp_t *k, int64_t now) {
  const vg_config_t *cfg = r->cfg;
  int64_t until, expire_at;
  const char *closed = vg_campaign_gate(cfg->quiet_hours, k->window, k->end,
                                        now, &until, &expire_at);
  char day[12], month[8], since[12];
  vg_clock_day(day, now);
  vg_offer_complaint_since(cfg, now, since);
  snprintf(month, sizeof month, "%.6s", day);
  /* The bulk lane holds about two seconds of the bind's rate, and a few
   * windows: more would only wait (and fail at its deadline when quiet
   * hours or the window's end came first).  A bind without a TPS cap
   * holds no more than its windows' worth: a stalled SMSC then stops the
   * campaign within a few dozen SMS, instead of the whole list. */
  long long backlog = (cfg->tps > 0 ? (long long)cfg->tps * 2 : 0) +
                      (long long)cfg->window * 4 + 16;
  vg_fn_campaign_send_t a = {
      .prefix = cfg->prefix,
      .id = k->id,
      .now = now,
      .every = k->every,
      .max = MAX_PER_CALL,
      .backlog = backlog,
      .closed = closed,
      .until_at = until,
      .expire_at = expire_at,
      .day = day,
      .month = month,
      .offer_ttl = (long long)cfg->offer_ttl_hours * 3600000,
      .keep = 7LL * 86400000,
      .interval = (long long)cfg->marketing_interval_days * 86400000,
      .cancel_block = (long long)cfg->cancel_block_days * 86400000,
      .max_per_day = cfg->max_marketing_per_day,
      .complaint_since = since,
      .msg_ttl = (long long)cfg->msg_ttl_days * 86400,
      .src = "",
      .fates_ttl = (long long)cfg->campaign_keep_days * 86400000};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_campaign_send(&call, &a);
  call_t *c = vg_malloc(sizeof *c);
  c->r = r;
  snprintf(c->id, sizeof c->id, "%s", k->id);
  if (vg_redis_fcall(r->redis, &call, on_send, c) == 0) {
    k->busy = 1;
    k->last_call = uv_now(r->loop);
  }
  else
    free(c);
  vg_fcall_free(&call);
}

static void on_timer(uv_timer_t *t) {
  vg_campaign_runner_t *r = t->data;
  if (r->stopped || uv_now(r->loop) > r->live_until ||
      !vg_redis_ready(r->redis))
    return;
  int64_t now = vg_now_ms();
  uint64_t at = uv_now(r->loop);
  for (int i = 0; i < r->n; i++) {
    camp_t *k = &r->camps[i];
    if (!k->busy && k->known && at - k->last_call >= (uint64_t)k->every)
      send_one(r, k, now);
  }
}

static void on_window(vg_redis_t *rd, redisReply *reply, void *data,
                      const char *err) {
  call_t *c = data;
  camp_t *k = find(c->r, c->id);
  if (k && !err && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3) {
    const redisReply *w = reply->element[0], *e = reply->element[1],
                     *tps = reply->element[2];
    snprintf(k->window, sizeof k->window, "%s",
             w->type == REDIS_REPLY_STRING ? w->str : "");
    k->end = e->type == REDIS_REPLY_STRING ? strtoll(e->str, NULL, 10) : 0;
    k->every = vg_campaign_every(
        tps->type == REDIS_REPLY_STRING ? atoi(tps->str) : 0);
    k->known = 1;
  }
  free(c);
}

static void on_list(vg_redis_t *rd, redisReply *reply, void *data,
                    const char *err) {
  vg_campaign_runner_t *r = data;
  r->listing = 0;
  if (err || reply->type != REDIS_REPLY_ARRAY || r->stopped)
    return;
  for (int i = 0; i < r->n; i++)
    r->camps[i].seen = 0;
  for (size_t i = 0; i < reply->elements; i++) {
    const char *id = reply->element[i]->str;
    if (id == NULL || strlen(id) > VG_ID_MAX)
      continue;
    camp_t *k = find(r, id);
    if (k == NULL && r->n < MAX_RUNNING) {
      k = &r->camps[r->n++];
      memset(k, 0, sizeof *k);
      snprintf(k->id, sizeof k->id, "%s", id);
      vg_log_info("campaign %s: running", id);
    }
    if (k == NULL)
      continue;
    k->seen = 1;
    /* Its window and end, read again each second (an operator may change
     * them): the gate, and its SMS's deadline. */
    char key[VG_KEY_MAX];
    call_t *c = vg_malloc(sizeof *c);
    c->r = r;
    snprintf(c->id, sizeof c->id, "%s", id);
    if (vg_redis_command(r->redis, on_window, c, "HMGET %s window end tps",
                         vg_key(key, r->cfg->prefix, VG_K_CAMPAIGN, id)) != 0)
      free(c);
  }
  /* Gone from the set (paused, cancelled, completed): dropped, even with
   * a call on the way (its answer finds nothing, and is only freed). */
  int j = 0;
  for (int i = 0; i < r->n; i++)
    if (r->camps[i].seen)
      r->camps[j++] = r->camps[i];
  r->n = j;
  if (r->n > 0 && !uv_is_active((uv_handle_t *)&r->timer))
    uv_timer_start(&r->timer, on_timer, 0, VG_CAMPAIGN_TICK_MS);
  else if (r->n == 0)
    uv_timer_stop(&r->timer);
}

void vg_campaign_runner_tick(vg_campaign_runner_t *r) {
  if (r->stopped)
    return;
  r->live_until = uv_now(r->loop) + 2500;
  if (r->listing || !vg_redis_ready(r->redis))
    return;
  char key[VG_KEY_MAX];
  if (vg_redis_command(r->redis, on_list, r, "SMEMBERS %s",
                       vg_key(key, r->cfg->prefix, "%s",
                              VG_K_CAMPAIGNS_RUNNING)) == 0)
    r->listing = 1;
}

vg_campaign_runner_t *vg_campaign_runner_new(uv_loop_t *loop,
                                             const vg_config_t *cfg,
                                             vg_redis_t *redis) {
  vg_campaign_runner_t *r = vg_calloc(1, sizeof *r);
  r->loop = loop;
  r->cfg = cfg;
  r->redis = redis;
  uv_timer_init(loop, &r->timer);
  r->timer.data = r;
  return r;
}

void vg_campaign_runner_stop(vg_campaign_runner_t *r) {
  if (r->stopped)
    return;
  r->stopped = 1;
  uv_close((uv_handle_t *)&r->timer, NULL);
}

void vg_campaign_runner_free(vg_campaign_runner_t *r) { free(r); }
