/*
 * ussd_guard.c — see ussd_guard.h.
 *
 * Entries live in one list in the order armed; one uv timer is set to the
 * earliest deadline.  Requests in flight are few (each lasts seconds), so
 * a walk of the list per event costs less than any index would.
 */
#include "gateway/ussd_guard.h"
#include "gateway/ids.h"
#include "gateway/keys.h"
#include "gateway/log.h"
#include "gateway/msisdn.h"
#include "gateway/lua/functions.h"
#include "gateway/text.h"
#include "gateway/vg.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* A bound on entries, far above what one bind's USSD traffic holds in a
 * few seconds: past it, a request is simply not guarded. */
#define GUARD_MAX 20000

typedef enum {
  E_ARMED,  /* waiting for a screen until `due` */
  E_ASKING, /* due: ussd_late asked, its answer awaited until `due` */
  E_DONE    /* decided; kept until its calls are answered */
} estate_t;

typedef struct entry_s {
  vg_ussd_guard_t *g;
  struct entry_s *next;
  uint64_t token;
  estate_t state;
  uint64_t due;          /* loop ms */
  int inbox_waiting;     /* mo_store not answered yet */
  int asking;            /* a ussd_late call not answered yet */
  int late_after_store;  /* the screen went before the MO was stored */
  char msisdn[VG_MSISDN_MAX];
  char mo[VG_ID_MAX + 1]; /* "" until stored */
  int op;
  char its[8], umr[8];
} entry_t;

/* A wait screen on the wire: the tag of its submit. */
typedef struct wait_s {
  struct wait_s *next;
  char about[VG_ID_MAX + VG_MSISDN_MAX + 32];
} wait_t;

struct vg_ussd_guard_s {
  uv_loop_t *loop;
  const vg_config_t *cfg;
  const vg_ussd_profile_t *profile;
  vg_redis_t *redis;
  vg_smpp_link_t *links[2];
  int nlinks;
  vg_ussd_wait_text_cb text;
  void *data;
  entry_t *head;
  long n;
  uint64_t next_token;
  wait_t *waits;
  int closing;
  uv_timer_t timer;
  char k_stats[VG_KEY_MAX];
};

/* --- entries ------------------------------------------------------------- */

static void maybe_free(vg_ussd_guard_t *g, entry_t *e) {
  if (e->state != E_DONE || e->inbox_waiting || e->asking)
    return;
  for (entry_t **pp = &g->head; *pp; pp = &(*pp)->next) {
    if (*pp == e) {
      *pp = e->next;
      g->n--;
      free(e);
      return;
    }
  }
}

static entry_t *find_token(vg_ussd_guard_t *g, uint64_t token) {
  for (entry_t *e = g->head; e; e = e->next)
    if (e->token == token)
      return e;
  return NULL;
}

static void on_timer(uv_timer_t *t);

/* The timer at the earliest deadline of what still waits, or stopped. */
static void reschedule(vg_ussd_guard_t *g) {
  uint64_t first = 0;
  for (entry_t *e = g->head; e; e = e->next)
    if (e->state != E_DONE && (first == 0 || e->due < first))
      first = e->due;
  if (first == 0 || g->closing) {
    uv_timer_stop(&g->timer);
    return;
  }
  uint64_t now = uv_now(g->loop);
  uv_timer_start(&g->timer, on_timer, first > now ? first - now : 0, 0);
}

/* --- the wait screen --------------------------------------------------------- */

static void count(vg_ussd_guard_t *g, const char *field) {
  const char *argv[] = {"HINCRBY", g->k_stats, field, "1"};
  vg_redis_command_argv(g->redis, NULL, NULL, 4, argv, NULL);
}

static vg_smpp_link_t *pick_link(vg_ussd_guard_t *g) {
  for (int i = 0; i < g->nlinks; i++)
    if (vg_smpp_session_window_free(g->links[i]->session) > 0)
      return g->links[i];
  return NULL;
}

/* The screen's words: the hook's when they fit one screen, else ours. */
static int wait_text(vg_ussd_guard_t *g, vg_text_mt_t *enc) {
  size_t units;
  char *t = g->text ? g->text(g->data) : NULL;
  if (t) {
    int rc = vg_text_encode_one(t, strlen(t), VG_USSD_GSM_MAX,
                                VG_USSD_UCS2_MAX, enc, &units);
    if (rc == 0) {
      free(t);
      return 0;
    }
    vg_log_warn("USSD wait screen: the text given does not fit one screen "
                "(%s, %zu characters): sending the built-in one",
                vg_strerror(rc), units);
    free(t);
  }
  return vg_text_encode_one(VG_USSD_WAIT_TEXT, strlen(VG_USSD_WAIT_TEXT),
                            VG_USSD_GSM_MAX, VG_USSD_UCS2_MAX, enc, &units);
}

static int hexbyte(const char *s) {
  unsigned v;
  return sscanf(s, "%2x", &v) == 1 ? (int)v : -1;
}

static void send_screen(vg_ussd_guard_t *g, entry_t *e) {
  if (g->closing)
    return;
  char masked[VG_MSISDN_MAX + 8];
  vg_msisdn_mask(e->msisdn, g->cfg->country_code, masked, sizeof masked);
  const char *mo = e->mo[0] ? e->mo : "(not stored yet)";
  vg_smpp_link_t *l = pick_link(g);
  vg_text_mt_t enc;
  if (l == NULL || wait_text(g, &enc) != 0) {
    vg_log_warn("USSD MO %s from %s: no screen within %d ms, and no bind "
                "free to send the wait screen",
                mo, masked, g->cfg->ussd_wait_screen_ms);
    count(g, "ussd_wait_failed");
    return;
  }
  vg_ussd_req_t r = {.op = e->op, .its = e->its, .umr = e->umr};
  vg_ussd_reply_t rep;
  vg_ussd_reply(g->profile, &r, 1, &rep);
  unsigned char its[2];
  int has_its = strlen(rep.its) == 4 && hexbyte(rep.its) >= 0 &&
                hexbyte(rep.its + 2) >= 0;
  if (has_its) {
    its[0] = (unsigned char)hexbyte(rep.its);
    its[1] = (unsigned char)hexbyte(rep.its + 2);
  }
  vg_smpp_submit_t sub = {
      .source = g->cfg->service_number,
      .dest = e->msisdn,
      .dest_ton = 1,
      .dest_npi = 1,
      .data_coding = enc.dcs,
      /* No receipt: the screen has no record to put it on. */
      .registered_delivery = 0,
      .sm = enc.parts[0].data,
      .sm_len = enc.parts[0].len,
      .ussd_service_op = rep.op,
      .its_session_info = has_its ? its : NULL,
      .user_message_reference = rep.umr[0] ? atoi(rep.umr) : -1};
  wait_t *w = vg_malloc(sizeof *w);
  snprintf(w->about, sizeof w->about, "USSD MO %s from %s", mo, masked);
  int rc = vg_smpp_session_submit(l->session, &sub, w, uv_now(g->loop));
  vg_text_mt_free(&enc);
  if (rc != 0) {
    vg_log_warn("%s: no screen within %d ms; the wait screen could not be "
                "sent: %s",
                w->about, g->cfg->ussd_wait_screen_ms, vg_strerror(rc));
    free(w);
    count(g, "ussd_wait_failed");
    return;
  }
  w->next = g->waits;
  g->waits = w;
  count(g, "ussd_wait_screens");
  vg_log_info("%s: no screen within %d ms: wait screen sent", w->about,
              g->cfg->ussd_wait_screen_ms);
}

int vg_ussd_guard_submit_resp(vg_ussd_guard_t *g, void *tag, int64_t status,
                              const char *msgid) {
  for (wait_t **pp = &g->waits; *pp; pp = &(*pp)->next) {
    wait_t *w = *pp;
    if (w != tag)
      continue;
    *pp = w->next;
    if (status != 0) {
      char nb[16];
      vg_log_warn("%s: wait screen %s", w->about,
                  status < 0 ? "lost with the connection"
                             : vg_smpp_status_name((uint32_t)status, nb));
      count(g, "ussd_wait_failed");
    } else {
      vg_log_debug("%s: wait screen accepted (SMSC id %s)", w->about,
                   msgid ? msgid : "");
    }
    free(w);
    return 1;
  }
  return 0;
}

/* --- asking Redis ------------------------------------------------------------ */

static void on_late(vg_redis_t *r, redisReply *reply, void *data,
                    const char *err) {
  entry_t *e = data;
  vg_ussd_guard_t *g = e->g;
  e->asking = 0;
  if (e->state == E_ASKING) {
    /* Answered in time: a queued answer is on its way; anything else
     * (late, an error) gets the wait screen now. */
    int answered = !err && reply && reply->type == REDIS_REPLY_STRING &&
                   strcmp(reply->str, "answered") == 0;
    e->state = E_DONE;
    if (!answered)
      send_screen(g, e);
    reschedule(g);
  }
  maybe_free(g, e);
}

/* ussd_late for `e` (`sent`: its wait screen went already); 0 when sent
 * (on_late will fire). */
static int ask_late(vg_ussd_guard_t *g, entry_t *e, int sent) {
  vg_fn_ussd_late_t a = {.prefix = g->cfg->prefix,
                         .mo = e->mo,
                         .ttl = VG_USSD_LATE_TTL,
                         .sent = sent};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_ussd_late(&call, &a);
  int rc = vg_redis_fcall(g->redis, &call, on_late, e);
  vg_fcall_free(&call);
  if (rc == 0)
    e->asking = 1;
  return rc;
}

/* --- falling due ---------------------------------------------------------- */

static void fall_due(vg_ussd_guard_t *g, entry_t *e, uint64_t now) {
  if (e->state == E_ASKING) {
    /* ussd_late has not answered in time: Redis is slow; the subscriber
     * is not kept waiting for it. */
    e->state = E_DONE;
    send_screen(g, e);
  } else if (e->mo[0]) {
    if (ask_late(g, e, 0) == 0) {
      e->state = E_ASKING;
      e->due = now + VG_USSD_LATE_WAIT_MS;
    } else {
      e->state = E_DONE;
      send_screen(g, e);
    }
  } else {
    /* Not even stored yet: the screen now, the mark once it is. */
    e->state = E_DONE;
    e->late_after_store = 1;
    send_screen(g, e);
  }
}

static void on_timer(uv_timer_t *t) {
  vg_ussd_guard_t *g = t->data;
  uint64_t now = uv_now(g->loop);
  for (entry_t *e = g->head, *next; e; e = next) {
    next = e->next;
    if (e->state != E_DONE && e->due <= now) {
      fall_due(g, e, now);
      maybe_free(g, e);
    }
  }
  reschedule(g);
}

uint64_t vg_ussd_guard_arm(vg_ussd_guard_t *g, const char *msisdn,
                           const vg_ussd_req_t *r) {
  char sid[VG_USSD_SID_MAX];
  vg_ussd_event_t ev = vg_ussd_classify(g->profile, r, sid);
  if (g->closing || (ev != VG_USSD_BEGIN && ev != VG_USSD_CONTINUE))
    return 0;
  if (g->n >= GUARD_MAX) {
    vg_log_warn("USSD wait guard: %d requests in flight: this one from "
                "%.4s... is not guarded",
                GUARD_MAX, msisdn);
    return 0;
  }
  entry_t *e = vg_calloc(1, sizeof *e);
  if (vg_copy(e->msisdn, sizeof e->msisdn, msisdn) ||
      vg_copy(e->its, sizeof e->its, r->its ? r->its : "") ||
      vg_copy(e->umr, sizeof e->umr, r->umr ? r->umr : "")) {
    free(e);
    return 0;
  }
  /* The newer request is the one a screen answers now. */
  for (entry_t *o = g->head, *next; o; o = next) {
    next = o->next;
    if (o->state == E_ARMED && strcmp(o->msisdn, msisdn) == 0) {
      o->state = E_DONE;
      maybe_free(g, o);
    }
  }
  e->g = g;
  e->op = r->op;
  e->token = ++g->next_token;
  e->state = E_ARMED;
  e->inbox_waiting = 1;
  e->due = uv_now(g->loop) + (uint64_t)g->cfg->ussd_wait_screen_ms;
  entry_t **pp = &g->head;
  while (*pp)
    pp = &(*pp)->next;
  *pp = e;
  g->n++;
  reschedule(g);
  return e->token;
}

void vg_ussd_guard_stored(vg_ussd_guard_t *g, uint64_t token,
                          const char *mo_id) {
  entry_t *e = token ? find_token(g, token) : NULL;
  if (e == NULL)
    return;
  e->inbox_waiting = 0;
  if (mo_id == NULL || vg_copy(e->mo, sizeof e->mo, mo_id) != 0) {
    /* Not stored: the SMSC delivers it again, guarded anew. */
    e->mo[0] = '\0';
    if (e->state != E_DONE) {
      e->state = E_DONE;
      reschedule(g);
    }
  } else if (e->late_after_store && !g->closing) {
    /* The wait screen went before the MO was stored: mark it late now,
     * even if an answer was queued meanwhile (e->state is E_DONE: on_late
     * only frees). */
    ask_late(g, e, 1);
  }
  maybe_free(g, e);
}

void vg_ussd_guard_disarm(vg_ussd_guard_t *g, const char *msisdn) {
  int changed = 0;
  for (entry_t *e = g->head, *next; e; e = next) {
    next = e->next;
    if (e->state != E_DONE && strcmp(e->msisdn, msisdn) == 0) {
      e->state = E_DONE;
      changed = 1;
      maybe_free(g, e);
    }
  }
  if (changed)
    reschedule(g);
}

/* --- life -------------------------------------------------------------------------- */

vg_ussd_guard_t *vg_ussd_guard_new(uv_loop_t *loop, const vg_config_t *cfg,
                                   vg_redis_t *redis, vg_smpp_link_t **links,
                                   int nlinks, vg_ussd_wait_text_cb text,
                                   void *data) {
  vg_ussd_guard_t *g = vg_calloc(1, sizeof *g);
  g->loop = loop;
  g->cfg = cfg;
  g->profile = vg_ussd_profile_at((size_t)cfg->ussd_profile);
  if (g->profile == NULL)
    g->profile = vg_ussd_profile_at(0);
  g->redis = redis;
  g->nlinks = nlinks > 2 ? 2 : nlinks;
  for (int i = 0; i < g->nlinks; i++)
    g->links[i] = links[i];
  g->text = text;
  g->data = data;
  vg_key(g->k_stats, cfg->prefix, "%s", VG_K_STATS);
  uv_timer_init(loop, &g->timer);
  g->timer.data = g;
  return g;
}

void vg_ussd_guard_close(vg_ussd_guard_t *g) {
  g->closing = 1;
  uv_close((uv_handle_t *)&g->timer, NULL);
}

void vg_ussd_guard_free(vg_ussd_guard_t *g) {
  while (g->head) {
    entry_t *e = g->head;
    g->head = e->next;
    free(e);
  }
  while (g->waits) {
    wait_t *w = g->waits;
    g->waits = w->next;
    free(w);
  }
  free(g);
}
