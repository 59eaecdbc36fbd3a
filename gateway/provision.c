/*
 * provision.c — see provision.h.
 */
#include "gateway/provision.h"
#include "gateway/clock.h"
#include "gateway/http.h"
#include "gateway/ids.h"
#include "gateway/keys.h"
#include "gateway/log.h"
#include "gateway/lua/functions.h"
#include "gateway/mt_queue.h"
#include "gateway/text.h"
#include "gateway/vg.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ACTIVE 64         /* orders in hand at once */
#define BACKOFF_BASE_MS 1000  /* first retry after about a second */
#define BACKOFF_CAP_MS 300000 /* never more than 5 minutes apart */
#define REDIS_RETRY_MS 1000   /* a script that failed is run again */

typedef struct job_s job_t;

struct vg_provision_s {
  uv_loop_t *loop;
  const vg_config_t *cfg;
  vg_redis_t *redis;
  vg_http_t *http;
  vg_provision_text_cb text;
  void *text_data;
  void (*want_cb)(void *);
  void *want_data;
  job_t *jobs; /* doubly linked */
  size_t active;
  int closing;
};

struct job_s {
  vg_provision_t *p;
  job_t *prev, *next;
  char entry[48];
  char id[80];
  int attempt;
  vg_order_fields_t f;
  uv_timer_t timer;
  int timer_on;
  int calling;
  /* This attempt's token: order_attempt counts an attempt once per token,
   * so a reply lost on the way does not count it twice.  A new one for
   * each webhook call. */
  char call[24];
  /* The last call's outcome, kept until order_result has recorded it.
   * `detail` holds any of libcurl's messages whole (the order's
   * last_error); the others are short. */
  char outcome[12], detail[VG_HTTP_ERROR_MAX + 1],
      reason[VG_PROVISION_REASON_MAX + 1];
  long duration_ms;
  int64_t next_at;
};

size_t vg_provision_reason(const char *reason, size_t len,
                           char out[VG_PROVISION_REASON_MAX + 1]) {
  size_t keep = vg_text_utf8_prefix(reason, len, VG_PROVISION_REASON_MAX);
  for (size_t i = 0; i < keep; i++) {
    unsigned char c = (unsigned char)reason[i];
    out[i] = (c < 0x20 && c != '\n' && c != '\r') || c == 0x7f ? ' '
                                                               : (char)c;
  }
  out[keep] = '\0';
  return len;
}

const char *vg_order_field(const vg_order_fields_t *f, const char *name) {
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->name[i], name) == 0)
      return f->value[i];
  return "";
}

static void fields_free(vg_order_fields_t *f) {
  for (size_t i = 0; i < f->n; i++) {
    free(f->name[i]);
    free(f->value[i]);
  }
  free(f->name);
  free(f->value);
  memset(f, 0, sizeof *f);
}

static void fields_set(vg_order_fields_t *f, const redisReply *r,
                       size_t first) {
  fields_free(f);
  size_t n = (r->elements - first) / 2;
  f->name = vg_calloc(n ? n : 1, sizeof *f->name);
  f->value = vg_calloc(n ? n : 1, sizeof *f->value);
  for (size_t i = 0; i < n; i++) {
    f->name[i] = vg_strdup(r->element[first + 2 * i]->str);
    f->value[i] = vg_strdup(r->element[first + 2 * i + 1]->str);
  }
  f->n = n;
}

/* --- job lifetime ------------------------------------------------------------- */

static void on_timer_closed(uv_handle_t *h) {
  job_t *j = h->data;
  fields_free(&j->f);
  free(j);
}

static void job_end(job_t *j) {
  vg_provision_t *p = j->p;
  if (j->prev)
    j->prev->next = j->next;
  else
    p->jobs = j->next;
  if (j->next)
    j->next->prev = j->prev;
  int was_full = p->active == MAX_ACTIVE;
  p->active--;
  uv_close((uv_handle_t *)&j->timer, on_timer_closed);
  if (was_full && p->want_cb && !p->closing)
    p->want_cb(p->want_data);
}

static void start(job_t *j);

static void on_timer(uv_timer_t *t) {
  job_t *j = t->data;
  j->timer_on = 0;
  start(j);
}

static void later(job_t *j, uint64_t ms) {
  if (j->p->closing) {
    job_end(j);
    return;
  }
  j->timer_on = 1;
  uv_timer_start(&j->timer, on_timer, ms, 0);
}

static void ack(job_t *j) {
  char stream[VG_KEY_MAX];
  vg_key(stream, j->p->cfg->prefix, "%s", VG_K_ORDER_STREAM);
  vg_redis_command(j->p->redis, NULL, NULL, "XACK %s %s %s", stream, VG_GROUP,
                   j->entry);
  vg_redis_command(j->p->redis, NULL, NULL, "XDEL %s %s", stream, j->entry);
}

/* --- the result ------------------------------------------------------------------- */

static void on_result(vg_redis_t *r, redisReply *reply, void *data,
                      const char *err) {
  job_t *j = data;
  if (err) {
    vg_log_warn("provision: order %s: cannot record the call: %s", j->id,
                err);
    later(j, REDIS_RETRY_MS); /* the order is called again: same key */
    return;
  }
  const char *st = reply->type == REDIS_REPLY_STRING ? reply->str : "";
  if (strcmp(st, "retrying") == 0) {
    int64_t wait = j->next_at - vg_now_ms();
    later(j, wait > 0 ? (uint64_t)wait : 0);
    return;
  }
  vg_log_info("provision: order %s %s after %d call%s", j->id, st, j->attempt,
              j->attempt == 1 ? "" : "s");
  job_end(j);
}

/* Exponential back-off with jitter: base * 2^(n-1), times 0.5..1.0. */
static uint64_t backoff_ms(const vg_config_t *cfg, int attempt) {
  uint64_t d = BACKOFF_BASE_MS;
  for (int i = 1; i < attempt && d < BACKOFF_CAP_MS; i++)
    d *= 2;
  /* Never so long that another node takes the idle entry meanwhile. */
  uint64_t cap = (uint64_t)cfg->claim_idle * 1000 / 2;
  if (cap > BACKOFF_CAP_MS)
    cap = BACKOFF_CAP_MS;
  if (d > cap)
    d = cap;
  return d / 2 + (uint64_t)rand() % (d / 2 + 1);
}

static void record(job_t *j) {
  vg_provision_t *p = j->p;
  char *sms = NULL;
  char msgid[VG_ID_MAX + 1] = "";
  if (strcmp(j->outcome, "retry") != 0) {
    vg_order_outcome_t o = strcmp(j->outcome, "ok") == 0 ? VG_ORDER_DONE
                           : strcmp(j->outcome, "rejected") == 0
                               ? VG_ORDER_REJECTED
                               : VG_ORDER_FAILED;
    sms = p->text ? p->text(p->text_data, &j->f, o, j->reason) : NULL;
    if (sms && vg_id_fmt(msgid, sizeof msgid, "or-%s", j->id) != 0) {
      /* Order ids are made short enough (gateway/ids.h): this is a bug. */
      vg_log_error("provision: order %s: id too long for its result SMS's; "
                   "the result is recorded without an SMS",
                   j->id);
      free(sms);
      sms = NULL;
    }
  }
  /* The local day and month: a development is credited to the month it
   * was activated in, at the commission rule of that day. */
  char day[12], month[12];
  int64_t now = vg_now_ms();
  vg_clock_day(day, now);
  snprintf(month, sizeof month, "%.6s", day);
  vg_fn_order_result_t a = {.prefix = p->cfg->prefix,
                            .now = now,
                            .order = j->id,
                            .outcome = j->outcome,
                            .attempt = j->attempt,
                            .detail = j->detail,
                            .reason = j->reason,
                            .next_at = j->next_at,
                            .duration = j->duration_ms,
                            .msg_id = msgid,
                            .msg_text = sms ? sms : "",
                            .msg_ttl = (long long)p->cfg->msg_ttl_days * 86400,
                            .src = "",
                            .entry = j->entry,
                            .month = month,
                            .day = day};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_order_result(&call, &a);
  if (vg_redis_fcall(p->redis, &call, on_result, j) != 0)
    later(j, REDIS_RETRY_MS);
  vg_fcall_free(&call);
  free(sms);
}

/* --- the call ------------------------------------------------------------------- */

static void classify(job_t *j, const vg_http_result_t *res) {
  int max = j->p->cfg->provisioning_max_attempts;
  j->reason[0] = '\0';
  j->duration_ms = (long)res->total_ms;
  if (res->status == 0) {
    snprintf(j->detail, sizeof j->detail, "%s", res->error);
  } else {
    snprintf(j->detail, sizeof j->detail, "HTTP %ld", res->status);
  }
  const char *result = NULL, *reason = NULL;
  json_t *body = NULL, *reason_json = NULL;
  if (res->status) {
    /* JSON_ALLOW_NUL: "\u0000" is valid JSON, and a body holding it is
     * still an answer (refusing it made an activation look unanswered,
     * retried until it failed). */
    body = json_loadb(res->body, res->body_len, JSON_ALLOW_NUL, NULL);
    if (json_is_object(body)) {
      json_t *r = json_object_get(body, "result");
      result = json_string_value(r);
      if (result && strlen(result) != json_string_length(r))
        result = NULL; /* "ok\u0000..." is not "ok" */
      reason_json = json_object_get(body, "reason");
      reason = json_string_value(reason_json);
    }
  }
  if (reason) {
    size_t len = vg_provision_reason(reason, json_string_length(reason_json),
                                     j->reason);
    if (len > strlen(j->reason))
      vg_log_warn("provision: order %s: the reason is %zu bytes, more than "
                  "the %d kept: cut to %zu bytes, after its last whole "
                  "character (docs/webhook.md)",
                  j->id, len, VG_PROVISION_REASON_MAX, strlen(j->reason));
  }
  if (res->status >= 200 && res->status < 300 && result &&
      strcmp(result, "ok") == 0) {
    snprintf(j->outcome, sizeof j->outcome, "ok");
  } else if ((res->status >= 200 && res->status < 300 && result &&
              strcmp(result, "rejected") == 0) ||
             (res->status >= 400 && res->status < 500)) {
    snprintf(j->outcome, sizeof j->outcome, "rejected");
  } else {
    /* 5xx, no answer, or a 2xx that says neither: the outcome is unknown
     * and the call is repeated with the same key. */
    if (res->status >= 200 && res->status < 300)
      snprintf(j->detail, sizeof j->detail, "HTTP %ld without a result",
               res->status);
    if (j->attempt >= max) {
      snprintf(j->outcome, sizeof j->outcome, "failed");
    } else {
      snprintf(j->outcome, sizeof j->outcome, "retry");
      j->next_at = vg_now_ms() + (int64_t)backoff_ms(j->p->cfg, j->attempt);
    }
  }
  json_decref(body);
}

static void on_http(void *data, const vg_http_result_t *res) {
  job_t *j = data;
  j->calling = 0;
  j->call[0] = '\0'; /* the call was made: another is another attempt */
  if (res->cancelled) {
    job_end(j);
    return;
  }
  classify(j, res);
  vg_log_info("provision: order %s call %d: %s%s%s -> %s", j->id, j->attempt,
              j->detail, *j->reason ? ": " : "", j->reason, j->outcome);
  record(j);
}

static void call(job_t *j) {
  const vg_order_fields_t *f = &j->f;
  json_t *o = json_object();
  static const char *const keys[][2] = {
      {"order_id", "id"},       {"action", "action"},
      {"msisdn", "msisdn"},     {"service", "service"},
      {"provision_code", "provision_code"},
      {"channel", "channel"},   {"promoter", "promoter"},
      {"offer_id", "offer"},    {"requested_at", "requested_at"}};
  for (size_t i = 0; i < VG_ARRAY_SIZE(keys); i++)
    json_object_set_new(o, keys[i][0],
                        json_string(vg_order_field(f, keys[i][1])));
  char *body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
  j->calling = 1;
  int rc = vg_http_post_json(j->p->http, j->p->cfg->provisioning_url, j->id,
                             body ? body : "{}",
                             j->p->cfg->provisioning_timeout_ms, on_http, j);
  free(body);
  if (rc != 0) {
    j->calling = 0;
    vg_log_error("provision: order %s: cannot start the call (%d)", j->id, rc);
    later(j, REDIS_RETRY_MS);
  }
}

static void on_attempt(vg_redis_t *r, redisReply *reply, void *data,
                       const char *err) {
  job_t *j = data;
  if (err) {
    later(j, REDIS_RETRY_MS);
    return;
  }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1) {
    job_end(j);
    return;
  }
  const char *st = reply->element[0]->str;
  if (strcmp(st, "go") == 0 && reply->elements >= 2) {
    j->attempt = atoi(reply->element[1]->str);
    fields_set(&j->f, reply, 2);
    call(j);
  } else if (strcmp(st, "wait") == 0 && reply->elements >= 2) {
    int64_t wait = strtoll(reply->element[1]->str, NULL, 10) - vg_now_ms();
    later(j, wait > 0 ? (uint64_t)wait : 0);
  } else if (strcmp(st, "exhausted") == 0) {
    /* Recovered after the last allowed call was answered: fail it now. */
    j->attempt = reply->elements >= 2 ? atoi(reply->element[1]->str) : 0;
    snprintf(j->outcome, sizeof j->outcome, "failed");
    snprintf(j->detail, sizeof j->detail, "max_attempts reached");
    j->reason[0] = '\0';
    fields_set(&j->f, reply, 2);
    record(j);
  } else {
    /* final or missing: nothing to call; drop the entry. */
    ack(j);
    job_end(j);
  }
}

static void start(job_t *j) {
  vg_provision_t *p = j->p;
  if (p->closing) {
    job_end(j);
    return;
  }
  if (j->call[0] == '\0')
    vg_mt_new_id(j->call);
  vg_fn_order_attempt_t a = {.prefix = p->cfg->prefix,
                             .now = vg_now_ms(),
                             .order = j->id,
                             .entry = j->entry,
                             .node = p->cfg->node,
                             .max_attempts = p->cfg->provisioning_max_attempts,
                             .call = j->call};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_order_attempt(&call, &a);
  int rc = vg_redis_fcall(p->redis, &call, on_attempt, j);
  vg_fcall_free(&call);
  if (rc != 0)
    later(j, REDIS_RETRY_MS);
}

/* --- public --------------------------------------------------------------------- */

vg_provision_t *vg_provision_new(uv_loop_t *loop, const vg_config_t *cfg,
                                 vg_redis_t *redis, vg_provision_text_cb text,
                                 void *data) {
  vg_provision_t *p = vg_calloc(1, sizeof *p);
  p->loop = loop;
  p->cfg = cfg;
  p->redis = redis;
  p->text = text;
  p->text_data = data;
  p->http = vg_http_new(loop);
  /* A call still running when its order has been idle for claim_idle may
   * be taken and made again by another node: harmless with the key, but
   * worth saying. */
  if ((long)cfg->provisioning_timeout_ms >= (long)cfg->claim_idle * 1000 / 2)
    vg_log_warn("provision: [provisioning] timeout_ms %d is not under half "
                "of [gateway] claim_idle (%d s): another node may repeat a "
                "slow call",
                cfg->provisioning_timeout_ms, cfg->claim_idle);
  return p;
}

void vg_provision_on_want(vg_provision_t *p, void (*cb)(void *), void *data) {
  p->want_cb = cb;
  p->want_data = data;
}

void vg_provision_add(vg_provision_t *p, const char *entry,
                      const char *order_id) {
  if (p->closing || order_id == NULL || *order_id == '\0')
    return;
  /* Read again (our pending list after a reconnect, or claimed): the job
   * in hand carries on. */
  for (job_t *j = p->jobs; j; j = j->next)
    if (strcmp(j->id, order_id) == 0)
      return;
  job_t *j = vg_calloc(1, sizeof *j);
  j->p = p;
  snprintf(j->entry, sizeof j->entry, "%s", entry);
  snprintf(j->id, sizeof j->id, "%s", order_id);
  uv_timer_init(p->loop, &j->timer);
  j->timer.data = j;
  j->next = p->jobs;
  if (p->jobs)
    p->jobs->prev = j;
  p->jobs = j;
  p->active++;
  start(j);
}

int vg_provision_wants(const vg_provision_t *p) {
  return p->closing ? 0 : MAX_ACTIVE - (int)p->active;
}

size_t vg_provision_active(const vg_provision_t *p) { return p->active; }

void vg_provision_close(vg_provision_t *p) {
  if (p->closing)
    return;
  p->closing = 1;
  /* Jobs waiting on a timer end now; those in a call end from their
   * cancelled callback; those waiting on Redis end when it answers. */
  for (job_t *j = p->jobs, *next; j; j = next) {
    next = j->next;
    if (j->timer_on) {
      uv_timer_stop(&j->timer);
      j->timer_on = 0;
      job_end(j);
    }
  }
  vg_http_close(p->http, NULL, NULL);
}

void vg_provision_free(vg_provision_t *p) {
  if (p == NULL)
    return;
  vg_http_free(p->http);
  free(p);
}
