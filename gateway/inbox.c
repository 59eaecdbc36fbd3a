/*
 * inbox.c — see inbox.h.
 */
#include "gateway/inbox.h"
#include "gateway/dlr.h"
#include "gateway/ids.h"
#include "gateway/deliver.h"
#include "gateway/keys.h"
#include "gateway/log.h"
#include "gateway/msisdn.h"
#include "gateway/lua/functions.h"
#include "gateway/text.h"
#include "gateway/vg.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* A receipt waiting for this iteration's dlr run. */
typedef struct receipt_s {
  struct pending_s *p;
  char stat[16], err[VG_DLR_FIELD_MAX + 1], raw[VG_MSGID_KEY_MAX],
      from[VG_MSISDN_MAX];
  char keys[VG_MSGID_MAX_CANDIDATES][VG_MSGID_KEY_MAX];
  struct receipt_s *next;
} receipt_t;

#define RECEIPT_BATCH_MAX 256
#define DEDUP_LEN 40
/* Hashes of MO answered with a temporary error, remembered this long and at
 * most this many: their redelivery is expected. */
#define NACKED_MAX 4096

/* An MO answered ESME_ROK whose answer the SMSC has not yet been seen to
 * read: once it has, its redelivery mark in Redis is dropped. */
typedef struct acked_s {
  vg_smpp_link_t *link;
  uint64_t conn, written;
  char dedup[DEDUP_LEN];
  char owner[VG_ID_MAX + 1]; /* the MO id (or "part") its mark names */
  struct acked_s *next;
} acked_t;

typedef struct {
  char dedup[DEDUP_LEN];
  uint64_t at; /* loop ms */
} nacked_t;

struct vg_inbox_s {
  uv_loop_t *loop;
  const vg_config_t *cfg;
  vg_redis_t *redis;
  long waiting;
  receipt_t *r_head, *r_tail;
  long nreceipts;
  acked_t *a_head, *a_tail;   /* answered, not yet read by the SMSC */
  acked_t *read_head;         /* read by the SMSC: mo_acked this iteration */
  nacked_t nacked[NACKED_MAX]; /* a ring */
  size_t nacked_next;
  long nrefused[2];            /* MO, receipts refused since the last log */
  uint64_t refused_logged_at;  /* 0: not refusing */
  char k_stats[VG_KEY_MAX];
  vg_ussd_guard_t *guard;
};

/* An answer owed to the SMSC, valid only on the connection it came from. */
typedef struct pending_s {
  vg_inbox_t *in;
  vg_smpp_link_t *link;
  uint64_t conn; /* link->disconnects when it arrived */
  uint32_t seq;
  int is_data_sm;
  int is_dlr;
  char dedup[DEDUP_LEN]; /* an MO's, "" for a receipt */
  char owner[VG_ID_MAX + 1]; /* mo_store's answer: whose mark it is */
  char about[192]; /* an MO's "from <masked> to <dest>, ...", for the log */
  uint64_t guard;  /* its USSD wait guard entry, 0: none */
} pending_t;

static void remember_nack(vg_inbox_t *in, const char *dedup) {
  nacked_t *n = &in->nacked[in->nacked_next++ % NACKED_MAX];
  snprintf(n->dedup, sizeof n->dedup, "%s", dedup);
  n->at = uv_now(in->loop);
}

/* Was this MO answered with a temporary error lately? */
static int was_nacked(vg_inbox_t *in, const char *dedup) {
  uint64_t now = uv_now(in->loop);
  for (size_t i = 0; i < NACKED_MAX; i++) {
    const nacked_t *n = &in->nacked[i];
    if (n->dedup[0] && now - n->at < VG_MO_DEDUP_SECONDS * 1000ull &&
        strcmp(n->dedup, dedup) == 0)
      return 1;
  }
  return 0;
}

static void answer(pending_t *p, uint32_t status) {
  vg_smpp_link_t *l = p->link;
  vg_inbox_t *in = p->in;
  if (l->disconnects == p->conn) {
    vg_smpp_session_deliver_resp(l->session, p->seq, status, p->is_data_sm);
    if (p->dedup[0] && status == VG_SMPP_ESME_ROK) {
      acked_t *a = vg_malloc(sizeof *a);
      a->link = l;
      a->conn = p->conn;
      a->written = vg_smpp_session_written(l->session);
      snprintf(a->dedup, sizeof a->dedup, "%s", p->dedup);
      snprintf(a->owner, sizeof a->owner, "%s", p->owner);
      a->next = NULL;
      if (in->a_tail)
        in->a_tail->next = a;
      else
        in->a_head = a;
      in->a_tail = a;
    }
  }
  /* else: that connection is gone; the SMSC delivers it again. */
  if (p->dedup[0] && status != VG_SMPP_ESME_ROK)
    remember_nack(in, p->dedup);
  in->waiting--;
  free(p);
}

void vg_inbox_peer_read(vg_inbox_t *in, vg_smpp_link_t *l, uint64_t upto) {
  /* In the order written; those of a connection that is gone are dropped:
   * the SMSC may not have read them, their marks stay until they lapse. */
  acked_t **pp = &in->a_head, *last = NULL;
  while (*pp) {
    acked_t *a = *pp;
    int gone = a->link->disconnects != a->conn;
    if (gone || (a->link == l && a->written <= upto)) {
      *pp = a->next;
      if (gone) {
        free(a);
      } else {
        a->next = in->read_head;
        in->read_head = a;
      }
      continue;
    }
    last = a;
    pp = &a->next;
  }
  in->a_tail = last;
}

/* A deliver_sm Redis could not take, answered with a temporary error (the
 * SMSC delivers it again).  The first of a run is logged at once; after
 * that one line per REFUSED_LOG_MS says how many more, so that an outage
 * under load is visible without a line per message. */
#define REFUSED_LOG_MS 10000

static void refused(vg_inbox_t *in, int is_dlr, long n, const char *err) {
  uint64_t now = uv_now(in->loop);
  in->nrefused[is_dlr ? 1 : 0] += n;
  if (in->refused_logged_at && now - in->refused_logged_at < REFUSED_LOG_MS)
    return;
  if (in->refused_logged_at == 0)
    vg_log_warn("inbox: cannot store a %s: %s; answering ESME_RX_T_APPN, "
                "the SMSC delivers it again",
                is_dlr ? "receipt" : "MO", err);
  else
    vg_log_warn("inbox: %ld MO and %ld receipts answered ESME_RX_T_APPN in "
                "the last %d s (Redis: %s)",
                in->nrefused[0], in->nrefused[1], REFUSED_LOG_MS / 1000, err);
  in->refused_logged_at = now;
  in->nrefused[0] = in->nrefused[1] = 0;
}

/* Stored again: the run of refusals is over; say how it ended. */
static void stored_again(vg_inbox_t *in) {
  if (in->refused_logged_at == 0)
    return;
  if (in->nrefused[0] || in->nrefused[1])
    vg_log_warn("inbox: %ld MO and %ld receipts more answered ESME_RX_T_APPN",
                in->nrefused[0], in->nrefused[1]);
  vg_log_info("inbox: storing again");
  in->refused_logged_at = 0;
  in->nrefused[0] = in->nrefused[1] = 0;
}

static void on_stored(vg_redis_t *r, redisReply *reply, void *data,
                      const char *err) {
  pending_t *p = data;
  if (err) {
    if (p->guard)
      vg_ussd_guard_stored(p->in->guard, p->guard, NULL);
    refused(p->in, p->is_dlr, 1, err);
    answer(p, VG_SMPP_ESME_RX_T_APPN);
    return;
  }
  stored_again(p->in);
  /* {"stored", id} | {"part", ""} | {"dup", id or "part"}: the mark the
   * SMSC's reading of our answer will clear is the one naming this id. */
  if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
      reply->element[1]->type == REDIS_REPLY_STRING &&
      reply->element[1]->len < sizeof p->owner)
    snprintf(p->owner, sizeof p->owner, "%s",
             reply->element[1]->len ? reply->element[1]->str : "part");
  if (p->guard) {
    /* The guard's entry learns its MO id ("stored", or "dup": the same
     * request stored before): what ussd_late asks about. */
    int has_id = reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
                 reply->element[1]->type == REDIS_REPLY_STRING &&
                 reply->element[1]->len > 0 &&
                 strcmp(reply->element[1]->str, "part") != 0;
    vg_ussd_guard_stored(p->in->guard, p->guard,
                         has_id ? reply->element[1]->str : NULL);
  }
  /* One line per MO at info, with its id and the masked number, so that a
   * subscriber's conversation can be followed with grep (the answer is
   * MT re-<id>, logged by the outbox). */
  if (!p->is_dlr && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
    const char *what = reply->element[0]->str, *id = reply->element[1]->str;
    if (strcmp(what, "stored") == 0)
      vg_log_info("MO %s %s: stored", id, p->about);
    else if (strcmp(what, "part") == 0)
      vg_log_info("MO part %s: stored, waiting for the other parts", p->about);
    else
      vg_log_info("MO %s %s: redelivery of a message stored already, dropped",
                  id, p->about);
  }
  answer(p, VG_SMPP_ESME_ROK);
}

static void on_receipt(vg_inbox_t *in, pending_t *p,
                       const vg_smpp_deliver_t *d) {
  vg_receipt_t rd;
  vg_receipt_read(d, &rd);
  const char *rid = rd.id;
  char keys[VG_MSGID_MAX_CANDIDATES][VG_MSGID_KEY_MAX];
  int nk = rid ? vg_msgid_keys(rid, strlen(rid), keys) : 0;
  if (rd.text_rc == VG_ETOOLONG)
    vg_log_warn("inbox: receipt text with a field too long to read whole (an "
                "id over %zu bytes, another over %d): not read%s",
                sizeof rd.text.id - 1, VG_DLR_FIELD_MAX,
                nk ? "; its TLVs are" : "");
  if (nk == 0) {
    vg_log_warn("inbox: receipt without a usable message id from %s; "
                "acknowledged and counted",
                "the SMSC");
    const char *argv[] = {"HINCRBY", in->k_stats, "dlr_malformed", "1"};
    vg_redis_command_argv(in->redis, NULL, NULL, 4, argv, NULL);
    const char *recv[] = {"HINCRBY", in->k_stats, "dlr_received", "1"};
    vg_redis_command_argv(in->redis, NULL, NULL, 4, recv, NULL);
    answer(p, VG_SMPP_ESME_ROK);
    return;
  }
  receipt_t *rc = vg_calloc(1, sizeof *rc);
  rc->p = p;
  snprintf(rc->stat, sizeof rc->stat, "%s", vg_dlr_stat_name(rd.stat));
  snprintf(rc->err, sizeof rc->err, "%s", rd.err);
  snprintf(rc->raw, sizeof rc->raw, "%s", rid);
  /* The receipt comes from the subscriber the message went to. */
  if (vg_msisdn_normalize(d->source, in->cfg->country_code, rc->from, NULL) !=
      0)
    rc->from[0] = '\0';
  memcpy(rc->keys, keys, sizeof keys);
  for (int i = nk; i < VG_MSGID_MAX_CANDIDATES; i++)
    rc->keys[i][0] = '\0';
  /* Saved with the others of this loop iteration, after the outbox has
   * saved the responses that came with them (vg_inbox_flush). */
  if (in->r_tail)
    in->r_tail->next = rc;
  else
    in->r_head = rc;
  in->r_tail = rc;
  in->nreceipts++;
}

typedef struct {
  size_t n;
  receipt_t *r[RECEIPT_BATCH_MAX];
} receipt_batch_t;

/* One line per receipt: by the MT's id for one that matched (with the
 * outbox's lines for that id, grep follows the message), by the SMSC's id
 * for one kept unmatched. */
static void log_receipt(const receipt_t *rc, const redisReply *e) {
  if (e->type != REDIS_REPLY_ARRAY || e->elements != 3)
    return;
  const char *res = e->element[0]->str, *id = e->element[1]->str,
             *state = e->element[2]->str;
  if (strcmp(res, "matched") == 0)
    vg_log_info("MT %s: receipt %s%s%s (SMSC id %s): %s", id, rc->stat,
                rc->err[0] ? " err " : "", rc->err, rc->raw, state);
  else if (strcmp(res, "unmatched") == 0)
    vg_log_info("receipt %s for SMSC id %s matches no message yet: kept "
                "(dlr_unmatched)",
                rc->stat, rc->raw);
  else
    vg_log_debug("receipt %s for SMSC id %s (MT %s): a duplicate", rc->stat,
                 rc->raw, id[0] ? id : "?");
}

static void on_receipts_stored(vg_redis_t *r, redisReply *reply, void *data,
                               const char *err) {
  receipt_batch_t *b = data;
  vg_inbox_t *in = b->r[0]->p->in; /* a batch is never empty */
  int ok = !err && reply->type == REDIS_REPLY_ARRAY && reply->elements == b->n;
  if (!ok)
    refused(in, 1, (long)b->n, err ? err : "unexpected reply");
  else
    stored_again(in);
  for (size_t i = 0; i < b->n; i++) {
    if (ok)
      log_receipt(b->r[i], reply->element[i]);
    answer(b->r[i]->p, ok ? VG_SMPP_ESME_ROK : VG_SMPP_ESME_RX_T_APPN);
    free(b->r[i]);
  }
  free(b);
}

/* Forget the MO whose answers the SMSC has read: one call per iteration
 * (a write lost with the connection only leaves marks that lapse). */
static void flush_read(vg_inbox_t *in) {
  if (in->read_head == NULL || !vg_redis_ready(in->redis))
    return;
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_mo_acked_t a = {.prefix = in->cfg->prefix};
  vg_fn_mo_acked(&call, &a);
  for (acked_t *r = in->read_head; r; r = r->next) {
    vg_fn_mo_acked_marks_t g = {.dedup = r->dedup, .owner = r->owner};
    vg_fn_mo_acked_marks(&call, &g);
  }
  vg_redis_fcall(in->redis, &call, NULL, NULL); /* copies the arguments */
  vg_fcall_free(&call);
  while (in->read_head) {
    acked_t *r = in->read_head;
    in->read_head = r->next;
    free(r);
  }
}

void vg_inbox_flush(vg_inbox_t *in) {
  flush_read(in);
  while (in->r_head) {
    receipt_batch_t *b = vg_malloc(sizeof *b);
    b->n = 0;
    while (in->r_head && b->n < RECEIPT_BATCH_MAX) {
      receipt_t *rc = in->r_head;
      in->r_head = rc->next;
      b->r[b->n++] = rc;
    }
    if (in->r_head == NULL)
      in->r_tail = NULL;
    in->nreceipts -= (long)b->n;
    vg_fcall_t call = VG_FCALL_INIT;
    vg_fn_dlr_t a = {.prefix = in->cfg->prefix,
                     .now = vg_now_ms(),
                     .ttl = (long long)in->cfg->msg_ttl_days * 86400};
    vg_fn_dlr(&call, &a);
    for (size_t i = 0; i < b->n; i++) {
      receipt_t *rc = b->r[i];
      vg_fn_dlr_receipts_t g = {.stat = rc->stat,
                                .err = rc->err,
                                .raw = rc->raw,
                                .from = rc->from,
                                .key0 = rc->keys[0],
                                .key1 = rc->keys[1],
                                .key2 = rc->keys[2]};
      vg_fn_dlr_receipts(&call, &g);
    }
    if (vg_redis_fcall(in->redis, &call, on_receipts_stored, b) != 0) {
      refused(in, 1, (long)b->n, "not connected");
      for (size_t i = 0; i < b->n; i++) {
        answer(b->r[i]->p, VG_SMPP_ESME_RX_T_APPN);
        free(b->r[i]);
      }
      free(b);
    }
    vg_fcall_free(&call);
  }
}

/* FNV-1a 64 over what identifies a redelivery: addresses, coding, bytes. */
static uint64_t fnv(uint64_t h, const void *b, size_t n) {
  const unsigned char *p = b;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

static void on_mo(vg_inbox_t *in, pending_t *p, const vg_smpp_deliver_t *d) {
  const char *why = NULL, *from = d->source;
  char norm[VG_MSISDN_MAX];
  /* Alphanumeric or short-code senders are kept as sent, whole (SMPP
   * allows 64 characters in a data_sm). */
  if (d->source_ton != 5 &&
      vg_msisdn_normalize(d->source, in->cfg->country_code, norm, &why) == 0)
    from = norm;

  vg_mo_read_t mr;
  vg_mo_read(d, &mr);
  vg_concat_t concat = mr.concat;
  char *text = mr.text;
  size_t tlen = mr.len;
  const char *error = mr.error;
  uint64_t h = 1469598103934665603ull;
  h = fnv(h, d->source, strlen(d->source) + 1);
  h = fnv(h, d->dest, strlen(d->dest) + 1);
  unsigned char meta[2] = {(unsigned char)d->esm_class,
                           (unsigned char)d->data_coding};
  h = fnv(h, meta, 2);
  h = fnv(h, d->sm, d->sm_len);
  char dedup[DEDUP_LEN], ussd[16], its[8], umr[16], conn[128];
  snprintf(dedup, sizeof dedup, "%016" PRIx64 ".%zu", h, d->sm_len);
  snprintf(p->dedup, sizeof p->dedup, "%s", dedup);
  /* The connection it came on: a redelivery comes on another one. */
  snprintf(conn, sizeof conn, "%s/%s/%" PRIu64, in->cfg->node,
           p->link->name, p->conn);
  if (d->ussd_service_op >= 0)
    snprintf(ussd, sizeof ussd, "%d", d->ussd_service_op);
  else
    ussd[0] = '\0';
  if (d->its_session_info)
    vg_hex(d->its_session_info, 2, its);
  else
    its[0] = '\0';
  if (d->user_message_reference >= 0)
    snprintf(umr, sizeof umr, "%d", d->user_message_reference);
  else
    umr[0] = '\0';
  int64_t t = vg_now_ms();
  vg_fn_mo_store_t a = {
      .prefix = in->cfg->prefix,
      .dedup = dedup,
      .from = from,
      .to = d->dest,
      .text = {text, tlen},
      .dcs = d->data_coding,
      .esm = d->esm_class,
      .ussd_op = ussd,
      .its = its,
      .umr = umr,
      .received = t,
      .ttl = (long long)in->cfg->msg_ttl_days * 86400,
      .ref = concat.present ? concat.ref : 0,
      .total = concat.present ? concat.total : 1,
      .seq = concat.present ? concat.seq : 1,
      .deadline = t + (int64_t)in->cfg->mo_reassembly_wait * 1000,
      .dedup_ttl = VG_MO_DEDUP_SECONDS,
      .error = error,
      .conn = conn,
      .redelivery = was_nacked(in, dedup)};
  char masked[VG_MSISDN_MAX + 8];
  vg_msisdn_mask(from, in->cfg->country_code, masked, sizeof masked);
  int n = snprintf(p->about, sizeof p->about,
                   "from %s to %.24s, %zu bytes dcs %d%s%s", masked, d->dest,
                   d->sm_len, d->data_coding, error[0] ? ", " : "", error);
  if (a.total > 1 && n > 0 && (size_t)n < sizeof p->about)
    snprintf(p->about + n, sizeof p->about - (size_t)n, ", part %lld/%lld",
             a.seq, a.total);
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_mo_store(&call, &a);
  if (vg_redis_fcall(in->redis, &call, on_stored, p) != 0) {
    refused(in, 0, 1, "not connected");
    answer(p, VG_SMPP_ESME_RX_T_APPN);
  } else if (in->guard && d->ussd_service_op >= 0 && from == norm) {
    /* A screen is owed within [ussd] wait_screen_ms, whatever Redis does
     * with the store: the guard watches for it. */
    vg_ussd_req_t req = {.op = d->ussd_service_op, .its = its, .umr = umr};
    p->guard = vg_ussd_guard_arm(in->guard, from, &req);
  }
  vg_fcall_free(&call);
  free(text);
}

void vg_inbox_deliver(vg_inbox_t *in, vg_smpp_link_t *l,
                      const vg_smpp_deliver_t *d, uint32_t seq) {
  pending_t *p = vg_malloc(sizeof *p);
  p->in = in;
  p->link = l;
  p->dedup[0] = '\0';
  p->owner[0] = '\0';
  p->about[0] = '\0';
  p->guard = 0;
  p->conn = l->disconnects;
  p->seq = seq;
  p->is_data_sm = d->is_data_sm;
  p->is_dlr = (d->esm_class & 0x04) != 0 || d->receipted_message_id != NULL;
  in->waiting++;
  if (!vg_redis_ready(in->redis)) {
    /* Nothing is acknowledged that is not stored: ask for it again later,
     * and say so (the first refusal, then a count every 10 s). */
    refused(in, p->is_dlr, 1,
            in->redis->last_error[0] ? in->redis->last_error
                                     : "Redis is not connected");
    answer(p, VG_SMPP_ESME_RX_T_APPN);
    return;
  }
  if (p->is_dlr)
    on_receipt(in, p, d);
  else
    on_mo(in, p, d);
}

void vg_inbox_expire(vg_inbox_t *in) {
  if (!vg_redis_ready(in->redis))
    return;
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_mo_expire_t a = {.prefix = in->cfg->prefix,
                         .now = vg_now_ms(),
                         .ttl = (long long)in->cfg->msg_ttl_days * 86400};
  vg_fn_mo_expire(&call, &a);
  vg_redis_fcall(in->redis, &call, NULL, NULL);
  vg_fcall_free(&call);
}

int vg_inbox_idle(const vg_inbox_t *in) { return in->waiting == 0; }

vg_inbox_t *vg_inbox_new(uv_loop_t *loop, const vg_config_t *cfg,
                         vg_redis_t *redis) {
  vg_inbox_t *in = vg_calloc(1, sizeof *in);
  in->loop = loop;
  in->cfg = cfg;
  in->redis = redis;
  vg_key(in->k_stats, cfg->prefix, "%s", VG_K_STATS);
  return in;
}

void vg_inbox_set_guard(vg_inbox_t *in, vg_ussd_guard_t *g) { in->guard = g; }

void vg_inbox_free(vg_inbox_t *in) {
  while (in->a_head) {
    acked_t *a = in->a_head;
    in->a_head = a->next;
    free(a);
  }
  while (in->read_head) {
    acked_t *a = in->read_head;
    in->read_head = a->next;
    free(a);
  }
  free(in);
}
