/*
 * settle_timer.c — see settle_timer.h.
 */
#include "handlers/settle_timer.h"
#include "gateway/clock.h"
#include "gateway/log.h"
#include "gateway/redis_sync.h"
#include "gateway/vg.h"
#include "handlers/settle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_EVERY_MS 60000
#define RETRY_AFTER_MS (3600 * 1000)

struct vg_settle_timer_s {
  uv_loop_t *loop;
  const vg_config_t *cfg;
  const vg_templates_t *t;
  uint64_t last_check;
  int32_t done_month;    /* known settled: nothing to do until the next */
  int32_t failed_month;  /* the month whose run failed ... */
  uint64_t failed_at;    /* ... and when (loop ms) */
  int running;
  uv_work_t work;
  /* The run's month and outcome, written by the worker thread. */
  int32_t month;
  int rc, settled_before;
  char err[512], user[128], warnings[1024];
  unsigned valid;
  long long amount_fen;
  size_t promoters;
};

static void collect_warning(void *data, const char *msg) {
  vg_settle_timer_t *s = data;
  size_t len = strlen(s->warnings);
  snprintf(s->warnings + len, sizeof s->warnings - len, "%s%s",
           len ? "; " : "", msg);
}

/* In the worker thread: nothing here touches the loop or the log. */
static void run(uv_work_t *w) {
  vg_settle_timer_t *s = w->data;
  redisContext *rc = vg_redis_sync_connect(s->cfg, s->err, sizeof s->err);
  if (rc == NULL) {
    s->rc = VG_EREDIS;
    return;
  }
  s->settled_before = vg_settle_done(rc, s->cfg->prefix, s->month) == 1;
  if (!s->settled_before) {
    vg_settle_opts_t o = {.user = s->user, .warn = collect_warning, .data = s};
    vg_settle_result_t res;
    s->rc = vg_settle_month(rc, s->cfg, s->t, s->month, &o, &res, s->err,
                            sizeof s->err);
    if (s->rc == 0) {
      s->settled_before = res.state == VG_SETTLED_BEFORE;
      s->valid = res.s.total.valid;
      s->amount_fen = (long long)res.s.total.amount_fen;
      s->promoters = res.s.nrows;
      vg_settle_result_free(&res);
    }
  }
  redisFree(rc);
}

static void done(uv_work_t *w, int status) {
  vg_settle_timer_t *s = w->data;
  s->running = 0;
  int m = (int)s->month;
  if (s->warnings[0])
    vg_log_warn("settlement of %04d-%02d: %s", m / 100, m % 100, s->warnings);
  if (status == 0 && s->rc == 0) {
    s->done_month = s->month;
    if (!s->settled_before)
      vg_log_info("settlement of %04d-%02d: done: %u valid, %lld fen, %zu "
                  "promoters told by SMS",
                  m / 100, m % 100, s->valid, s->amount_fen, s->promoters);
    return;
  }
  if (s->rc == VG_EBUSY) {
    /* Another node is at it, or was just done: look again next minute. */
    vg_log_info("settlement of %04d-%02d: %s", m / 100, m % 100, s->err);
    return;
  }
  s->failed_month = s->month;
  s->failed_at = uv_now(s->loop);
  vg_log_warn("settlement of %04d-%02d: %s; tried again in an hour", m / 100,
              m % 100, status ? uv_strerror(status) : s->err);
}

vg_settle_timer_t *vg_settle_timer_new(uv_loop_t *loop, const vg_config_t *cfg,
                                       const vg_templates_t *t) {
  vg_settle_timer_t *s = vg_calloc(1, sizeof *s);
  s->loop = loop;
  s->cfg = cfg;
  s->t = t;
  s->work.data = s;
  snprintf(s->user, sizeof s->user, "vasgwd (node %s)", cfg->node);
  return s;
}

void vg_settle_timer_tick(vg_settle_timer_t *s) {
  uint64_t now = uv_now(s->loop);
  if (s->running || (s->last_check && now - s->last_check < CHECK_EVERY_MS))
    return;
  s->last_check = now;
  char day[12];
  vg_clock_day(day, vg_now_ms());
  int y = atoi(day) / 10000, m = atoi(day) / 100 % 100, dd = atoi(day) % 100;
  /* ...and not at night: the promoters' SMS go out with the settlement. */
  if (dd < s->cfg->settlement_day ||
      vg_clock_quiet_until(s->cfg->quiet_hours, vg_now_ms()) > 0)
    return;
  if (--m == 0) {
    m = 12;
    y--;
  }
  int32_t month = (int32_t)(y * 100 + m);
  if (month == s->done_month ||
      (month == s->failed_month && now - s->failed_at < RETRY_AFTER_MS))
    return;
  s->month = month;
  s->rc = 0;
  s->settled_before = 0;
  s->err[0] = s->warnings[0] = '\0';
  int rc = uv_queue_work(s->loop, &s->work, run, done);
  if (rc != 0) {
    vg_log_error("settlement of %04d-%02d: cannot start: %s", y, m,
                 uv_strerror(rc));
    return;
  }
  s->running = 1;
}

void vg_settle_timer_free(vg_settle_timer_t *s) { free(s); }
