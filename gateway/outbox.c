/*
 * outbox.c — see outbox.h.
 */
#include "gateway/outbox.h"
#include "gateway/dlr.h"
#include "gateway/ids.h"
#include "gateway/keys.h"
#include "gateway/log.h"
#include "gateway/msisdn.h"
#include "gateway/mt_queue.h"
#include "gateway/lua/functions.h"
#include "gateway/text.h"
#include "gateway/ussd.h"
#include "gateway/vg.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define THROTTLE_PAUSE_MS 1000
/* The bulk lane's pause on a throttle: 2 s, doubled by each further one up
 * to 16 s, back to 2 s once 10 s passed without one.  Longer than the
 * normal lane's, so that an SMSC asking us to slow down gets it from the
 * bulk first and replies go again after a second. */
#define BULK_PAUSE_MIN_MS 2000
#define BULK_PAUSE_MAX_MS 16000
#define BULK_PAUSE_RESET_MS 10000
/* A part's status when it was not sent: it could not be (the text, an
 * address), or its message's expire_at passed before its turn came. */
#define ST_UNSENT -2
#define ST_EXPIRED -3
#define EXPIRED_WHY "expired before it was sent"
/* A bulk part whose fate is unknown: the SMSC may have it.  The bulk lane
 * sends a part at most once (docs/delivery.md, "Lanes"), so it is recorded
 * with why, not sent again. */
#define ST_LOST -4
#define LOST_LINK "the link dropped before the SMSC answered; not sent again"
#define LOST_NODE "a node stopped between its submit_sm and the answer; not sent again"
/* Bulk parts claimed per mt_claim call. */
#define CLAIM_MAX 64
#define NBUCKETS 4096

typedef struct msg_s msg_t;

typedef struct part_s {
  msg_t *msg;
  int idx;          /* 0-based */
  int answered;     /* submit_sm_resp (final status) seen */
  int saved;        /* mt_resp script acknowledged */
  int64_t status;
  int64_t submitted_ms;
  int claimed;          /* bulk: this run's claim to send it is in Redis */
  const char *lost_why; /* ST_LOST: why (a literal) */
  char smscid[VG_MSGID_KEY_MAX];
  struct part_s *qnext; /* send queue or save queue */
} part_t;

struct msg_s {
  /* As read from the stream, whatever their length: an id is refused where
   * it is made when too long (gateway/lua/base.lua), never cut here. */
  char *id;
  char *entry;
  char to[VG_SMPP_ADDR_MAX + 1];  /* refused when longer, not cut */
  char src[VG_SMPP_ADDR_MAX + 1];
  int ussd_op;
  unsigned char its[2];
  int has_its;
  int umr;           /* user_message_reference, -1: none */
  int64_t expire_at; /* ms since the epoch; 0: none */
  int bulk;          /* read from the bulk lane's stream */
  vg_text_mt_t enc;
  char *unsent; /* why it cannot be sent (status -2), NULL when it can */
  int nparts;
  int nsaved;
  part_t *parts;
  msg_t *hnext;
};

struct vg_outbox_s {
  uv_loop_t *loop;
  const vg_config_t *cfg;
  vg_redis_t *redis;
  vg_smpp_link_t *links[2];
  int nlinks;
  part_t *q_head, *q_tail;   /* parts waiting for a token and a slot */
  part_t *bq_head, *bq_tail; /* the bulk lane's: taken when q is empty */
  part_t *s_head, *s_tail;   /* answered parts whose save must be retried */
  part_t *k_head, *k_tail;   /* bulk parts to claim (mt_claim) */
  long claiming;             /* mt_claim and mt_unclaim calls on the way */
  char holder[320];          /* this run: node/pid/started ms */
  part_t *b_head, *b_tail;   /* answered parts to save in this iteration */
  long nbatch;
  long saving; /* mt_resp runs sent, reply not yet seen */
  msg_t *buckets[NBUCKETS];
  long held;      /* messages, both lanes */
  long bulk_held; /* of which the bulk lane's */
  long in_flight;
  long bulk_in_flight;
  long throttled;
  int max_held;      /* the normal lane's messages */
  int max_bulk_held; /* the bulk lane's */
  long bulk_slots;   /* window slots the bulk lane may occupy */
  double tokens;
  double capacity;
  uint64_t last_refill;
  uint64_t paused_until;      /* both lanes (the bulk's is never shorter) */
  uint64_t bulk_paused_until; /* the bulk lane */
  uint64_t bulk_pause_ms;     /* its last pause, 0: none yet */
  uint64_t last_throttle;
  int draining;
  uint8_t concat_ref;
  uv_timer_t timer;      /* next token / end of a throttle pause */
  uv_timer_t save_timer; /* retry failed saves */
  char k_stream[VG_KEY_MAX], k_stats[VG_KEY_MAX];
  void (*want_fn)(void *);
  void *want_data;
  vg_ussd_guard_t *guard;
};

/* --- the set of held messages, by stream entry id ------------------------- */

static unsigned hash_str(const char *s) {
  unsigned h = 2166136261u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h % NBUCKETS;
}

/* An entry id names an entry of one stream: the two lanes' ids may be
 * equal. */
static msg_t *held_find(vg_outbox_t *o, const char *entry, int bulk) {
  for (msg_t *m = o->buckets[hash_str(entry)]; m; m = m->hnext)
    if (m->bulk == bulk && strcmp(m->entry, entry) == 0)
      return m;
  return NULL;
}

static void held_remove(vg_outbox_t *o, msg_t *m) {
  for (msg_t **p = &o->buckets[hash_str(m->entry)]; *p; p = &(*p)->hnext) {
    if (*p == m) {
      *p = m->hnext;
      o->held--;
      o->bulk_held -= m->bulk;
      return;
    }
  }
}

static void msg_free(msg_t *m) {
  free(m->id);
  free(m->entry);
  free(m->unsent);
  vg_text_mt_free(&m->enc);
  free(m->parts);
  free(m);
}

/* --- queues ------------------------------------------------------------------ */

static void q_push_back(part_t **h, part_t **t, part_t *p) {
  p->qnext = NULL;
  if (*t)
    (*t)->qnext = p;
  else
    *h = p;
  *t = p;
}

static void q_push_front(part_t **h, part_t **t, part_t *p) {
  p->qnext = *h;
  *h = p;
  if (*t == NULL)
    *t = p;
}

static part_t *q_pop(part_t **h, part_t **t) {
  part_t *p = *h;
  if (p) {
    *h = p->qnext;
    if (*h == NULL)
      *t = NULL;
    p->qnext = NULL;
  }
  return p;
}

/* --- saving answers ---------------------------------------------------------- */

static void maybe_want(vg_outbox_t *o) {
  if (o->want_fn && (vg_outbox_wants(o) > 0 || vg_outbox_wants_bulk(o) > 0))
    o->want_fn(o->want_data);
}

static void part_saved(vg_outbox_t *o, part_t *p) {
  msg_t *m = p->msg;
  if (p->saved)
    return;
  p->saved = 1;
  if (++m->nsaved == m->nparts) {
    held_remove(o, m);
    msg_free(m);
    maybe_want(o);
  }
}

/*
 * Answers are saved in batches: every part answered during one loop
 * iteration goes into one mt_resp run, flushed by the daemon just before
 * the loop polls again (vg_outbox_flush).  The script's cost is mostly per
 * run.
 */
#define BATCH_MAX 256

typedef struct {
  vg_outbox_t *o;
  size_t n;
  part_t *parts[BATCH_MAX];
} save_ctx_t;

static void on_save_reply(vg_redis_t *r, redisReply *reply, void *data,
                          const char *err) {
  save_ctx_t *c = data;
  vg_outbox_t *o = c->o;
  o->saving--;
  if (err || reply->type != REDIS_REPLY_ARRAY || reply->elements != c->n) {
    /* Outcome unknown (or a script error): the script is idempotent, so
     * run it again until Redis answers. */
    vg_log_warn("outbox: saving %zu answers: %s; will retry", c->n,
                err ? err : "unexpected reply");
    for (size_t i = 0; i < c->n; i++)
      q_push_back(&o->s_head, &o->s_tail, c->parts[i]);
    free(c);
    return;
  }
  for (size_t i = 0; i < c->n; i++) {
    part_t *p = c->parts[i];
    const char *st = reply->element[i]->str ? reply->element[i]->str : "?";
    /* One line per message when its answer decides its state (the last
     * part's), by id and masked number: with the inbox's receipt lines
     * and the dispatcher's, grep follows the message. */
    if (strcmp(st, "partial") != 0) {
      char masked[VG_MSISDN_MAX + 8], nb[16];
      vg_msisdn_mask(p->msg->to, o->cfg->country_code, masked, sizeof masked);
      const char *how = p->msg->unsent              ? "not sent: "
                        : p->status == ST_EXPIRED ? "not sent: "
                        : p->status == ST_LOST    ? "unknown: "
                        : p->status == 0          ? "SMSC id "
                                                  : "refused: ";
      const char *what = p->msg->unsent ? p->msg->unsent
                         : p->status == ST_EXPIRED ? EXPIRED_WHY
                         : p->status == ST_LOST    ? p->lost_why
                         : p->status == 0
                             ? p->smscid
                             : vg_smpp_status_name((uint32_t)p->status, nb);
      vg_log_info("MT %s to %s: %s (%d part%s, %s%s)", p->msg->id, masked, st,
                  p->msg->nparts, p->msg->nparts == 1 ? "" : "s", how, what);
    } else if (vg_log_enabled(VG_LOG_DEBUG)) {
      vg_log_debug("outbox: message %s part %d/%d saved: %s", p->msg->id,
                   p->idx + 1, p->msg->nparts, st);
    }
    part_saved(o, p);
  }
  free(c);
}

/* Queue an answered part for this iteration's batch. */
static void save_part(vg_outbox_t *o, part_t *p) {
  q_push_back(&o->b_head, &o->b_tail, p);
  o->nbatch++;
}

static void flush_claims(vg_outbox_t *o);

void vg_outbox_flush(vg_outbox_t *o) {
  while (o->b_head) {
    if (!vg_redis_ready(o->redis)) {
      /* Keep them for the retry timer. */
      while (o->b_head)
        q_push_back(&o->s_head, &o->s_tail, q_pop(&o->b_head, &o->b_tail));
      o->nbatch = 0;
      return;
    }
    save_ctx_t *c = vg_malloc(sizeof *c);
    c->o = o;
    c->n = 0;
    size_t max = (size_t)o->nbatch < BATCH_MAX ? (size_t)o->nbatch : BATCH_MAX;
    char (*keys)[VG_MSGID_MAX_CANDIDATES][VG_MSGID_KEY_MAX] =
        vg_malloc(max * sizeof *keys);
    char (*names)[24] = vg_malloc(max * sizeof *names);
    vg_fcall_t call = VG_FCALL_INIT;
    vg_fn_mt_resp_t a = {.prefix = o->cfg->prefix,
                         .now = vg_now_ms(),
                         .ttl = (long long)o->cfg->msg_ttl_days * 86400,
                         .group_name = VG_GROUP};
    vg_fn_mt_resp(&call, &a);
    while (o->b_head && c->n < max) {
      part_t *p = q_pop(&o->b_head, &o->b_tail);
      o->nbatch--;
      msg_t *m = p->msg;
      size_t i = c->n;
      c->parts[c->n++] = p;
      int nk = 0;
      if (p->status == 0 && p->smscid[0])
        nk = vg_msgid_keys(p->smscid, strlen(p->smscid), keys[i]);
      for (int k = nk; k < VG_MSGID_MAX_CANDIDATES; k++)
        keys[i][k][0] = '\0';
      vg_fn_mt_resp_parts_t g = {
          .id = m->id,
          .part = p->idx + 1,
          .nparts = m->nparts,
          .status = p->status,
          .status_name =
              p->status == 0    ? "ESME_ROK"
              : p->status == ST_UNSENT ? (m->unsent ? m->unsent : "not sent")
              : p->status == ST_EXPIRED ? EXPIRED_WHY
              : p->status == ST_LOST ? p->lost_why
              : p->status < 0   ? "invalid"
                                : vg_smpp_status_name((uint32_t)p->status, names[i]),
          .smscid = p->smscid,
          .key0 = keys[i][0],
          .entry = m->entry,
          .submitted = p->submitted_ms ? p->submitted_ms : vg_now_ms(),
          .key1 = keys[i][1],
          .key2 = keys[i][2],
          .lane = m->bulk ? "bulk" : ""};
      vg_fn_mt_resp_parts(&call, &g);
    }
    /* hiredis formats (copies) the arguments inside this call. */
    if (vg_redis_fcall(o->redis, &call, on_save_reply, c) == 0) {
      o->saving++;
    } else {
      for (size_t i = 0; i < c->n; i++)
        q_push_back(&o->s_head, &o->s_tail, c->parts[i]);
      free(c);
    }
    vg_fcall_free(&call);
    free(names);
    free(keys);
  }
  flush_claims(o);
}

/* --- the bulk lane's claims -------------------------------------------------- */

typedef struct {
  vg_outbox_t *o;
  int unclaim;
  size_t n;
  part_t *parts[CLAIM_MAX];
} claim_ctx_t;

static void unclaim(vg_outbox_t *o, part_t **parts, size_t n);

static void on_claim_reply(vg_redis_t *r, redisReply *reply, void *data,
                           const char *err) {
  claim_ctx_t *c = data;
  vg_outbox_t *o = c->o;
  o->claiming--;
  if (c->unclaim) {
    if (err)
      vg_log_warn("outbox: releasing %zu bulk claims: %s", c->n, err);
    free(c);
    return;
  }
  if (err || reply->type != REDIS_REPLY_ARRAY || reply->elements != c->n) {
    /* Unknown: claimed or not, this run may claim them again (a claim of
     * its own is "ok"); the save timer tries again. */
    vg_log_warn("outbox: claiming %zu bulk parts: %s; will retry", c->n,
                err ? err : "unexpected reply");
    for (size_t i = 0; i < c->n; i++)
      q_push_back(&o->k_head, &o->k_tail, c->parts[i]);
    free(c);
    return;
  }
  /* Back at the head of the lane, in their order; the ones another run
   * holds, or that are answered already, are left to it. */
  part_t *keep[CLAIM_MAX];
  size_t nk = 0;
  for (size_t i = 0; i < c->n; i++) {
    part_t *p = c->parts[i];
    const char *st = reply->element[i]->str ? reply->element[i]->str : "";
    if (strcmp(st, "ok") == 0 || strcmp(st, "gone") == 0) {
      p->claimed = 1;
      keep[nk++] = p;
    } else {
      vg_log_info("outbox: bulk message %s part %d: %s elsewhere, not sent "
                  "here",
                  p->msg->id, p->idx + 1,
                  strcmp(st, "done") == 0 ? "answered" : "taken");
      p->answered = 1;
      part_saved(o, p);
    }
  }
  if (o->draining) {
    unclaim(o, keep, nk); /* stopping: another run may send them */
  } else {
    for (size_t i = nk; i > 0; i--)
      q_push_front(&o->bq_head, &o->bq_tail, keep[i - 1]);
  }
  free(c);
  vg_outbox_pump(o);
}

static int claim_call(vg_outbox_t *o, claim_ctx_t *c) {
  vg_fcall_t call = VG_FCALL_INIT;
  if (c->unclaim) {
    vg_fn_mt_unclaim_t a = {.prefix = o->cfg->prefix, .holder = o->holder};
    vg_fn_mt_unclaim(&call, &a);
    for (size_t i = 0; i < c->n; i++) {
      vg_fn_mt_unclaim_parts_t g = {.id = c->parts[i]->msg->id,
                                    .part = c->parts[i]->idx + 1};
      vg_fn_mt_unclaim_parts(&call, &g);
    }
  } else {
    vg_fn_mt_claim_t a = {.prefix = o->cfg->prefix, .holder = o->holder};
    vg_fn_mt_claim(&call, &a);
    for (size_t i = 0; i < c->n; i++) {
      vg_fn_mt_claim_parts_t g = {.id = c->parts[i]->msg->id,
                                  .part = c->parts[i]->idx + 1};
      vg_fn_mt_claim_parts(&call, &g);
    }
  }
  int rc = vg_redis_fcall(o->redis, &call, on_claim_reply, c);
  vg_fcall_free(&call);
  if (rc == 0)
    o->claiming++;
  return rc;
}

/* Release this run's claims of parts it will not send (it stops). */
static void unclaim(vg_outbox_t *o, part_t **parts, size_t n) {
  for (size_t i = 0; i < n; i += CLAIM_MAX) {
    claim_ctx_t *c = vg_calloc(1, sizeof *c);
    c->o = o;
    c->unclaim = 1;
    for (size_t k = i; k < n && c->n < CLAIM_MAX; k++)
      c->parts[c->n++] = parts[k];
    if (claim_call(o, c) != 0) {
      vg_log_warn("outbox: %zu bulk claims not released: Redis is away; "
                  "those parts will be recorded unknown, not sent",
                  c->n);
      free(c);
    }
  }
}

/* The bulk parts waiting for a claim, in calls of CLAIM_MAX. */
static void flush_claims(vg_outbox_t *o) {
  while (o->k_head && vg_redis_ready(o->redis)) {
    claim_ctx_t *c = vg_calloc(1, sizeof *c);
    c->o = o;
    while (o->k_head && c->n < CLAIM_MAX)
      c->parts[c->n++] = q_pop(&o->k_head, &o->k_tail);
    if (claim_call(o, c) != 0) {
      for (size_t i = c->n; i > 0; i--)
        q_push_front(&o->k_head, &o->k_tail, c->parts[i - 1]);
      free(c);
      return;
    }
  }
}

static void on_save_timer(uv_timer_t *t) {
  vg_outbox_t *o = t->data;
  if (!vg_redis_ready(o->redis))
    return;
  while (o->s_head)
    save_part(o, q_pop(&o->s_head, &o->s_tail));
  vg_outbox_flush(o);
  flush_claims(o);
}

/* --- submitting -------------------------------------------------------------- */

static vg_smpp_link_t *pick_link(vg_outbox_t *o) {
  vg_smpp_link_t *best = NULL;
  uint32_t best_free = 0;
  for (int i = 0; i < o->nlinks; i++) {
    uint32_t f = vg_smpp_session_window_free(o->links[i]->session);
    if (f > best_free) {
      best = o->links[i];
      best_free = f;
    }
  }
  return best;
}

static void on_timer(uv_timer_t *t) { vg_outbox_pump(t->data); }

static void refill(vg_outbox_t *o, uint64_t now) {
  if (o->cfg->tps <= 0)
    return;
  if (now > o->last_refill) {
    o->tokens += (double)(now - o->last_refill) * o->cfg->tps / 1000.0;
    if (o->tokens > o->capacity)
      o->tokens = o->capacity;
    o->last_refill = now;
  }
}

/* The lane's queue of a part. */
static part_t **lane_head(vg_outbox_t *o, const part_t *p) {
  return p->msg->bulk ? &o->bq_head : &o->q_head;
}
static part_t **lane_tail(vg_outbox_t *o, const part_t *p) {
  return p->msg->bulk ? &o->bq_tail : &o->q_tail;
}

/*
 * The normal lane always goes first; a bulk part is taken only when no
 * normal part waits, and only within what keeps a reply from waiting
 * behind it: it leaves a token (it needs 2, takes 1) and a reserve of the
 * window (bulk_slots), and waits out its own, longer, throttle pause.
 */
void vg_outbox_pump(vg_outbox_t *o) {
  /* Draining (SIGTERM): only the window in flight finishes.  A part sent now
   * would likely be cut off unanswered by the unbind and sent again after
   * the restart; left queued, its stream entry stays pending instead. */
  if (o->draining)
    return;
  uint64_t now = uv_now(o->loop);
  for (;;) {
    int bulk;
    if (o->q_head) {
      if (now < o->paused_until) {
        uv_timer_start(&o->timer, on_timer, o->paused_until - now, 0);
        return;
      }
      bulk = 0;
    } else if (o->bq_head) {
      if (now < o->bulk_paused_until) {
        uv_timer_start(&o->timer, on_timer, o->bulk_paused_until - now, 0);
        return;
      }
      if (o->bulk_in_flight >= o->bulk_slots)
        return; /* its share of the window is full: a response will pump */
      if (!o->bq_head->claimed) {
        /* Claimed first, so that no two runs send it (mt_claim): the
         * claims go with this iteration's flush, the parts come back to
         * the head of the lane with them. */
        /* No more than the lane's free window slots: a part claimed is
         * one a crash would leave unknown, so none is claimed far ahead
         * of its turn. */
        long room = o->bulk_slots - o->bulk_in_flight;
        if (room > CLAIM_MAX)
          room = CLAIM_MAX;
        for (long n = 0; n < room && o->bq_head && !o->bq_head->claimed; n++)
          q_push_back(&o->k_head, &o->k_tail, q_pop(&o->bq_head, &o->bq_tail));
        return;
      }
      bulk = 1;
    } else {
      return;
    }
    vg_smpp_link_t *l = pick_link(o);
    if (l == NULL)
      return; /* no bind, or the window is full: a response will pump */
    if (o->cfg->tps > 0) {
      double need = bulk ? 2.0 : 1.0;
      refill(o, now);
      if (o->tokens < need) {
        uint64_t wait =
            (uint64_t)((need - o->tokens) * 1000.0 / o->cfg->tps) + 1;
        uv_timer_start(&o->timer, on_timer, wait, 0);
        return;
      }
    }
    part_t *p = bulk ? q_pop(&o->bq_head, &o->bq_tail)
                     : q_pop(&o->q_head, &o->q_tail);
    msg_t *m = p->msg;
    if (m->expire_at > 0 && vg_now_ms() > m->expire_at) {
      /* Its deadline passed while it waited (a restart, a long stall, a
       * bind down): a USSD screen now would reach a phone that no longer
       * waits for it.  Recorded failed with the reason, never sent. */
      p->answered = 1;
      p->status = ST_EXPIRED;
      save_part(o, p);
      continue;
    }
    vg_smpp_submit_t sub;
    memset(&sub, 0, sizeof sub);
    sub.source = m->src[0] ? m->src : o->cfg->service_number;
    sub.source_ton = 0; /* short code: unknown TON, as SMSCs expect */
    sub.source_npi = 0;
    sub.dest = m->to;
    sub.dest_ton = 1; /* international */
    sub.dest_npi = 1; /* E.164 */
    sub.esm_class = m->enc.udhi ? 0x40 : 0;
    sub.data_coding = m->enc.dcs;
    sub.registered_delivery = 1;
    sub.sm = m->enc.parts[p->idx].data;
    sub.sm_len = m->enc.parts[p->idx].len;
    sub.ussd_service_op = m->ussd_op;
    sub.its_session_info = m->has_its ? m->its : NULL;
    sub.user_message_reference = m->umr;
    int rc = vg_smpp_session_submit(l->session, &sub, p, now);
    if (rc == VG_EBUSY || rc == VG_ENOTCONN) {
      q_push_front(lane_head(o, p), lane_tail(o, p), p);
      return;
    }
    if (rc != 0) {
      /* libgw refused the fields: nothing an SMSC would take either. */
      p->answered = 1;
      p->status = ST_UNSENT;
      save_part(o, p);
      continue;
    }
    if (o->cfg->tps > 0)
      o->tokens -= 1.0;
    o->in_flight++;
    o->bulk_in_flight += bulk;
    p->submitted_ms = vg_now_ms();
    if (m->ussd_op >= 0 && o->guard)
      vg_ussd_guard_disarm(o->guard, m->to); /* a screen is on its way */
  }
}

/*
 * The SMSC asked us to slow down (a bind's signal, whichever lane the part
 * was of): both lanes pause, the normal one a second, the bulk one longer.
 * The answers to parts written before the pause began come in a burst:
 * they extend nothing; a throttle after the bulk lane's pause ended, within
 * BULK_PAUSE_RESET_MS of the last, doubles its pause.
 */
static void throttle(vg_outbox_t *o, const part_t *p, int64_t status) {
  uint64_t now = uv_now(o->loop);
  int fresh = now >= o->bulk_paused_until;
  if (fresh) {
    if (o->bulk_pause_ms == 0 || now - o->last_throttle >= BULK_PAUSE_RESET_MS)
      o->bulk_pause_ms = BULK_PAUSE_MIN_MS;
    else if (o->bulk_pause_ms < BULK_PAUSE_MAX_MS)
      o->bulk_pause_ms *= 2;
    o->bulk_paused_until = now + o->bulk_pause_ms;
    o->paused_until = now + THROTTLE_PAUSE_MS;
  } else if (now >= o->paused_until) {
    o->paused_until = now + THROTTLE_PAUSE_MS;
  }
  o->last_throttle = now;
  char nb[16];
  vg_log_info("outbox: %s for %smessage %s part %d: pausing %d ms, the bulk "
              "lane %" PRIu64 " ms",
              vg_smpp_status_name((uint32_t)status, nb),
              p->msg->bulk ? "bulk " : "", p->msg->id, p->idx + 1,
              THROTTLE_PAUSE_MS, o->bulk_paused_until - now);
}

void vg_outbox_submit_resp(vg_outbox_t *o, void *tag, int64_t status,
                           const char *msgid) {
  part_t *p = tag;
  o->in_flight--;
  o->bulk_in_flight -= p->msg->bulk;
  if (status < 0 && p->msg->bulk) {
    /* The connection ended before the answer: the SMSC may or may not have
     * the part.  The bulk lane sends nothing twice: recorded unknown. */
    p->answered = 1;
    p->status = ST_LOST;
    p->lost_why = LOST_LINK;
    save_part(o, p);
  } else if (status < 0) {
    /* The same for a reply: resubmitted (at-least-once; docs/delivery.md),
     * since a person waits for it. */
    q_push_front(lane_head(o, p), lane_tail(o, p), p);
  } else if (vg_smpp_status_class((uint32_t)status) ==
             VG_SMPP_STATUS_THROTTLE) {
    o->throttled++;
    throttle(o, p, status);
    q_push_front(lane_head(o, p), lane_tail(o, p), p);
  } else {
    p->answered = 1;
    p->status = status;
    snprintf(p->smscid, sizeof p->smscid, "%s", msgid ? msgid : "");
    if (status != 0) {
      char nb[16];
      vg_log_warn("outbox: message %s part %d refused: %s", p->msg->id,
                  p->idx + 1, vg_smpp_status_name((uint32_t)status, nb));
    }
    save_part(o, p);
  }
  vg_outbox_pump(o);
}

/* --- taking entries ------------------------------------------------------------ */

static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static void on_record(vg_redis_t *r, redisReply *reply, void *data,
                      const char *err);

/* user_message_reference as the entry spells it: 0..65535 in decimal, else
 * none (-1): a value that is not one is not sent at all rather than
 * guessed. */
static int umr_value(const char *s) {
  if (s == NULL || *s < '0' || *s > '9' || strlen(s) > 5)
    return -1;
  char *end;
  long v = strtol(s, &end, 10);
  return *end == '\0' && v >= 0 && v <= 0xffff ? (int)v : -1;
}

typedef struct {
  vg_outbox_t *o;
  msg_t *m;
} check_ctx_t;

static void queue_parts(vg_outbox_t *o, msg_t *m) {
  for (int i = 0; i < m->nparts; i++)
    if (!m->parts[i].answered)
      q_push_back(lane_head(o, &m->parts[i]), lane_tail(o, &m->parts[i]),
                  &m->parts[i]);
}

/*
 * A USSD screen is one submit_sm without UDH (a phone shows no
 * concatenated screen): GSM 7-bit up to 182 septets, else UCS-2 up to 80
 * units (SMPP 3.4's ussd limit, gateway/ussd.h).  A longer text is not cut
 * and not split: `why` says so, and it is recorded unsent.
 */
static void encode_ussd(vg_outbox_t *o, msg_t *m, const char *text,
                        char why[VG_MT_WHY_MAX]) {
  size_t units;
  int rc = vg_text_encode_one(text ? text : "", text ? strlen(text) : 0,
                              VG_USSD_GSM_MAX, VG_USSD_UCS2_MAX, &m->enc,
                              &units);
  if (rc == VG_ETOOLONG) {
    int gsm = m->enc.dcs == VG_DCS_GSM;
    snprintf(why, VG_MT_WHY_MAX,
             "text too long for one USSD screen: %zu %s characters, at most "
             "%d (SMPP 3.4 USSD limit)",
             units, gsm ? "GSM 7-bit" : "UCS-2",
             gsm ? VG_USSD_GSM_MAX : VG_USSD_UCS2_MAX);
  } else {
    vg_mt_text_verdict(rc, 1, o->cfg->max_parts, why);
  }
}

void vg_outbox_add(vg_outbox_t *o, const char *entry_id, const char *id,
                   const char *to, const char *text, const char *src,
                   const char *ussd_op, const char *its, const char *umr,
                   const char *expire_at, int bulk, int recovered) {
  bulk = bulk != 0;
  if (held_find(o, entry_id, bulk))
    return;
  msg_t *m = vg_calloc(1, sizeof *m);
  m->bulk = bulk;
  m->entry = vg_strdup(entry_id);
  m->id = vg_strdup(id ? id : "");
  m->ussd_op = ussd_op && *ussd_op ? atoi(ussd_op) : -1;
  m->umr = umr_value(umr);
  m->expire_at = expire_at ? strtoll(expire_at, NULL, 10) : 0;
  if (its && strlen(its) == 4) {
    int a = hexval(its[0]), b = hexval(its[1]), c = hexval(its[2]),
        d = hexval(its[3]);
    if (a >= 0 && b >= 0 && c >= 0 && d >= 0) {
      m->its[0] = (unsigned char)(a << 4 | b);
      m->its[1] = (unsigned char)(c << 4 | d);
      m->has_its = 1;
    }
  }
  unsigned b = hash_str(m->entry);
  m->hnext = o->buckets[b];
  o->buckets[b] = m;
  o->held++;
  o->bulk_held += bulk;

  /* Every MT passes here, whoever made it (a reply rendered inside Redis,
   * an offer, an order's result, a promoter's or the settlement's SMS, or
   * an entry any client of the Redis wrote): what cannot go out as it
   * stands is not sent at all, never cut — an id or an address too long,
   * a text over [gateway] max_parts. */
  char why[VG_MT_WHY_MAX];
  int rc = VG_EINVAL; /* m->enc holds nothing */
  if (m->id[0] == '\0')
    snprintf(why, sizeof why, "no message id");
  else if (strlen(m->id) > VG_ID_MAX)
    snprintf(why, sizeof why, "message id longer than %d bytes", VG_ID_MAX);
  else if (vg_copy(m->to, sizeof m->to, to ? to : "") != 0)
    snprintf(why, sizeof why, "destination address longer than %d characters",
             VG_SMPP_ADDR_MAX);
  else if (vg_copy(m->src, sizeof m->src, src ? src : "") != 0)
    snprintf(why, sizeof why, "source address longer than %d characters",
             VG_SMPP_ADDR_MAX);
  else if (m->ussd_op >= 0)
    encode_ussd(o, m, text, why);
  else {
    rc = vg_text_encode_mt(text ? text : "", text ? strlen(text) : 0,
                           o->concat_ref++, &m->enc);
    vg_mt_text_verdict(rc, rc == 0 ? m->enc.nparts : 0, o->cfg->max_parts,
                       why);
  }
  if (why[0] != '\0') {
    /* Cannot be sent as it stands: record it failed, unsent (one
     * pseudo-part), with why. */
    vg_log_warn("outbox: message %s not sent: %s", m->id, why);
    m->unsent = vg_strdup(why);
    vg_text_mt_free(&m->enc); /* what an encoder made before the verdict */
    m->nparts = 1;
    m->parts = vg_calloc(1, sizeof *m->parts);
    m->parts[0].msg = m;
    m->parts[0].answered = 1;
    m->parts[0].status = ST_UNSENT;
    save_part(o, &m->parts[0]);
    return;
  }
  m->nparts = (int)m->enc.nparts;
  m->parts = vg_calloc((size_t)m->nparts, sizeof *m->parts);
  for (int i = 0; i < m->nparts; i++) {
    m->parts[i].msg = m;
    m->parts[i].idx = i;
  }
  if (!recovered) {
    queue_parts(o, m);
    return;
  }
  /* Read back which parts the SMSC already answered: never send them twice. */
  check_ctx_t *c = vg_malloc(sizeof *c);
  c->o = o;
  c->m = m;
  char msgkey[VG_KEY_MAX];
  vg_key(msgkey, o->cfg->prefix, VG_K_MSG, m->id);
  if (vg_redis_command(o->redis, on_record, c, "HGETALL %s", msgkey) != 0) {
    free(c);
    queue_parts(o, m);
  }
}

static void on_record(vg_redis_t *r, redisReply *reply, void *data,
                      const char *err) {
  check_ctx_t *c = data;
  vg_outbox_t *o = c->o;
  msg_t *m = c->m;
  free(c);
  if (!err && reply && reply->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
      const char *f = reply->element[i]->str;
      int idx;
      char tail[16];
      if (f && sscanf(f, "p%d.%15s", &idx, tail) == 2 &&
          strcmp(tail, "status") == 0 && idx >= 1 && idx <= m->nparts) {
        part_t *p = &m->parts[idx - 1];
        p->answered = 1;
        p->status = strtoll(reply->element[i + 1]->str, NULL, 10);
        p->lost_why = NULL;
      } else if (m->bulk && f && sscanf(f, "p%d.%15s", &idx, tail) == 2 &&
                 strcmp(tail, "sending") == 0 && idx >= 1 &&
                 idx <= m->nparts && !m->parts[idx - 1].answered) {
        /* Claimed by a run that stopped before its answer was written
         * (it may have sent it): not sent again.  A status later in the
         * record wins (above). */
        part_t *p = &m->parts[idx - 1];
        p->answered = 1;
        p->status = ST_LOST;
        p->lost_why = LOST_NODE;
      }
    }
  }
  if (m->bulk && !err && reply && reply->type == REDIS_REPLY_ARRAY &&
      reply->elements == 0) {
    /* The record lapsed ([gateway] msg_ttl_days): a bulk message that old
     * is not sent now, and whether it was is not known; the entry is
     * finished (mt_resp acknowledges an entry whose record is gone). */
    for (int i = 0; i < m->nparts; i++) {
      m->parts[i].answered = 1;
      m->parts[i].status = ST_EXPIRED;
    }
  }
  /* A part found lost (above) has its status in memory only: it is
   * written, or the entry would never be finished.  A part answered in
   * Redis needs nothing more. */
  int pending = 0, lost = 0;
  for (int i = 0; i < m->nparts; i++) {
    pending += !m->parts[i].answered;
    lost += m->parts[i].answered && m->parts[i].lost_why != NULL;
  }
  if (pending == 0) {
    /* Every part answered before the node stopped: finish the entry (by
     * its first part's save when no part is to be written). */
    for (int i = 0; i < m->nparts; i++) {
      part_t *p = &m->parts[i];
      if (p->lost_why != NULL || (lost == 0 && i == 0))
        save_part(o, p);
      else
        part_saved(o, p);
    }
    return;
  }
  for (int i = 0; i < m->nparts; i++) {
    part_t *p = &m->parts[i];
    if (p->answered && p->lost_why != NULL)
      save_part(o, p);
    else if (p->answered)
      part_saved(o, p);
  }
  queue_parts(o, m);
  vg_outbox_pump(o);
}

int vg_outbox_wants(const vg_outbox_t *o) {
  if (o->draining)
    return 0;
  long room = o->max_held - (o->held - o->bulk_held);
  return room > 0 ? (int)room : 0;
}

int vg_outbox_wants_bulk(const vg_outbox_t *o) {
  if (o->draining)
    return 0;
  long room = o->max_bulk_held - o->bulk_held;
  return room > 0 ? (int)room : 0;
}

void vg_outbox_drain(vg_outbox_t *o) {
  o->draining = 1;
  /* Bulk parts claimed and not sent: released, so that the next run (or
   * another node) sends them instead of recording them unknown. */
  part_t *claimed[CLAIM_MAX];
  size_t n = 0;
  for (part_t *p = o->bq_head; p; p = p->qnext) {
    if (!p->claimed)
      continue;
    p->claimed = 0;
    claimed[n++] = p;
    if (n == CLAIM_MAX) {
      unclaim(o, claimed, n);
      n = 0;
    }
  }
  unclaim(o, claimed, n);
}

int vg_outbox_idle(const vg_outbox_t *o) {
  /* Nothing on the wire, and every answer written: an answer not yet in
   * Redis at exit would have its part sent again after the restart. */
  return o->in_flight == 0 && o->s_head == NULL && o->b_head == NULL &&
         o->saving == 0 && o->claiming == 0;
}

void vg_outbox_counts(const vg_outbox_t *o, long *held, long *in_flight,
                      long *throttled) {
  *held = o->held;
  *in_flight = o->in_flight;
  *throttled = o->throttled;
}

void vg_outbox_bulk_counts(const vg_outbox_t *o, long *held, long *queued,
                           long *in_flight, long *paused_ms) {
  *held = o->bulk_held;
  *in_flight = o->bulk_in_flight;
  long n = 0;
  for (const part_t *p = o->bq_head; p; p = p->qnext)
    n++;
  *queued = n;
  uint64_t now = uv_now(o->loop);
  *paused_ms = now < o->bulk_paused_until ? (long)(o->bulk_paused_until - now)
                                          : 0;
}

void vg_outbox_set_guard(vg_outbox_t *o, vg_ussd_guard_t *g) { o->guard = g; }

void vg_outbox_on_want(vg_outbox_t *o, void (*fn)(void *), void *data) {
  o->want_fn = fn;
  o->want_data = data;
}

vg_outbox_t *vg_outbox_new(uv_loop_t *loop, const vg_config_t *cfg,
                           vg_redis_t *redis, vg_smpp_link_t **links,
                           int nlinks) {
  vg_outbox_t *o = vg_calloc(1, sizeof *o);
  o->loop = loop;
  o->cfg = cfg;
  o->redis = redis;
  o->nlinks = nlinks > 2 ? 2 : nlinks;
  for (int i = 0; i < o->nlinks; i++)
    o->links[i] = links[i];
  /* Hold enough to keep the window full, but not so much that entries sit
   * idle long enough for another node to claim them. */
  o->max_held = cfg->window * 4 + 256;
  if (cfg->tps > 0 && o->max_held > cfg->tps * 5 + cfg->window)
    o->max_held = cfg->tps * 5 + cfg->window;
  /* The bulk lane waits behind the normal one, so what it holds may wait
   * long: about 2 s of sending, so that no entry sits read and idle long
   * enough for another node to claim it ([gateway] claim_idle). */
  o->max_bulk_held = o->max_held;
  if (cfg->tps > 0 && o->max_bulk_held > cfg->tps * 2 + cfg->window)
    o->max_bulk_held = cfg->tps * 2 + cfg->window;
  /* A reserve of the window for the normal lane: window/8, at least 1 (a
   * window of 1 has no room for a reserve: bulk then takes it too). */
  long reserve = cfg->window / 8 > 1 ? cfg->window / 8 : 1;
  o->bulk_slots = cfg->window - reserve > 1 ? cfg->window - reserve : 1;
  /* At least 2: a bulk part takes a token only when it leaves one. */
  o->capacity = cfg->tps > 40 ? cfg->tps / 20.0 : 2.0;
  o->tokens = o->capacity;
  o->last_refill = uv_now(loop);
  vg_key(o->k_stream, cfg->prefix, "%s", VG_K_MT_STREAM);
  vg_key(o->k_stats, cfg->prefix, "%s", VG_K_STATS);
  snprintf(o->holder, sizeof o->holder, "%s/%ld/%lld", cfg->node,
           (long)getpid(), (long long)vg_now_ms());
  uv_timer_init(loop, &o->timer);
  o->timer.data = o;
  uv_timer_init(loop, &o->save_timer);
  o->save_timer.data = o;
  uv_timer_start(&o->save_timer, on_save_timer, 500, 500);
  return o;
}

void vg_outbox_close(vg_outbox_t *o) {
  uv_close((uv_handle_t *)&o->timer, NULL);
  uv_close((uv_handle_t *)&o->save_timer, NULL);
}

void vg_outbox_free(vg_outbox_t *o) {
  for (unsigned i = 0; i < NBUCKETS; i++) {
    while (o->buckets[i]) {
      msg_t *m = o->buckets[i];
      o->buckets[i] = m->hnext;
      msg_free(m);
    }
  }
  free(o);
}
