/*
 * smpp_session.c — the SMPP 3.4 ESME state machine, fed bytes and time.
 *
 * Framing is done here (the 4-byte command_length, checked against 16 and
 * VG_SMPP_MAX_PDU before anything else), the body is unpacked by libgw's
 * smpp_pdu_unpack, and every PDU we send is packed by smpp_pdu_pack.  No
 * sockets, no timers, no logging: the owner gets callbacks.
 *
 * Outstanding requests live in a small hash keyed by sequence number, each
 * with its deadline; vg_smpp_session_tick() fails the session when one is
 * overdue.  Sequence numbers run 1..0x7FFFFFFF and wrap explicitly to 1,
 * skipping any still outstanding.
 */
#include "gateway/smpp_session.h"
#include "gateway/vg.h"

#include "gw/smsc/smpp_pdu.h"
#include "gwlib/gwlib.h"

#include <stdio.h>
#include <string.h>

#define SEQ_MAX 0x7FFFFFFFu
#define NBUCKETS 1024u

typedef enum { REQ_BIND, REQ_SUBMIT, REQ_ENQUIRE, REQ_UNBIND } req_kind_t;

typedef struct req_s {
  uint32_t seq;
  req_kind_t kind;
  void *tag;
  uint64_t deadline;
  uint64_t written; /* its number among the PDUs written (s->written) */
  struct req_s *next;
} req_t;

struct vg_smpp_session_s {
  vg_smpp_session_opts_t opts;
  char *system_id, *password, *system_type;
  vg_smpp_session_cb_t cb;
  void *data;
  vg_smpp_state_t state;
  uint32_t next_seq;
  unsigned char *in;
  size_t in_len, in_cap;
  req_t *buckets[NBUCKETS];
  req_t *free_reqs;
  uint32_t nsubmit;
  int enquire_outstanding;
  uint64_t written;   /* PDUs written so far */
  uint64_t peer_read; /* the SMSC has read up to this one */
  int proof_wanted;   /* an answer ESME_ROK was written after the last request */
  uint64_t last_rx_ms;
  unsigned generation; /* bumped by reset: feed stops using stale input */
};

/* --- names and classes ------------------------------------------------- */

static const char *const state_names[] = {"closed", "binding", "bound",
                                          "unbinding"};
static const char *const role_names[] = {"transceiver", "transmitter",
                                         "receiver"};

const char *vg_smpp_state_name(vg_smpp_state_t s) {
  return (unsigned)s < VG_ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

const char *vg_smpp_role_name(vg_smpp_role_t r) {
  return (unsigned)r < VG_ARRAY_SIZE(role_names) ? role_names[r] : "?";
}

const char *vg_smpp_status_name(uint32_t status, char buf[16]) {
  switch (status) {
#define STATUS(name, value, class)                                           \
  case value:                                                                \
    return #name;
#include "gateway/smpp_status.def"
  default:
    snprintf(buf, 16, "0x%08X", status);
    return buf;
  }
}

vg_smpp_status_class_t vg_smpp_status_class(uint32_t status) {
  switch (status) {
#define STATUS(name, value, class)                                           \
  case value:                                                                \
    return VG_SMPP_STATUS_##class;
#include "gateway/smpp_status.def"
  default:
    return VG_SMPP_STATUS_PERMANENT;
  }
}

/* Command ids libgw knows, from its own table. */
static int known_command(uint32_t id) {
  switch (id) {
#define OPTIONAL_BEGIN
#define TLV_INTEGER(name, max_len)
#define TLV_NULTERMINATED(name, max_len)
#define TLV_OCTETS(name, min_len, max_len)
#define OPTIONAL_END
#define INTEGER(name, octets)
#define NULTERMINATED(name, max_octets)
#define OCTETS(name, field_giving_octets)
#define PDU(name, id, fields)                                                \
  case id:                                                                   \
    return 1;
#include "gw/smsc/smpp_pdu.def"
  default:
    return 0;
  }
}

/* --- outstanding requests ------------------------------------------------ */

static req_t *req_add(vg_smpp_session_t *s, uint32_t seq, req_kind_t kind,
                      void *tag, uint64_t now) {
  req_t *r = s->free_reqs;
  if (r)
    s->free_reqs = r->next;
  else
    r = vg_malloc(sizeof *r);
  r->seq = seq;
  r->kind = kind;
  r->tag = tag;
  r->deadline = now + s->opts.response_timeout_ms;
  req_t **b = &s->buckets[seq % NBUCKETS];
  r->next = *b;
  *b = r;
  if (kind == REQ_SUBMIT)
    s->nsubmit++;
  return r;
}

static req_t *req_find(vg_smpp_session_t *s, uint32_t seq) {
  for (req_t *r = s->buckets[seq % NBUCKETS]; r; r = r->next)
    if (r->seq == seq)
      return r;
  return NULL;
}

/* Unlink `seq` and return its entry (caller puts it back with req_release). */
static req_t *req_take(vg_smpp_session_t *s, uint32_t seq) {
  for (req_t **p = &s->buckets[seq % NBUCKETS]; *p; p = &(*p)->next) {
    if ((*p)->seq == seq) {
      req_t *r = *p;
      *p = r->next;
      if (r->kind == REQ_SUBMIT)
        s->nsubmit--;
      return r;
    }
  }
  return NULL;
}

static void req_release(vg_smpp_session_t *s, req_t *r) {
  r->next = s->free_reqs;
  s->free_reqs = r;
}

static uint32_t take_seq(vg_smpp_session_t *s) {
  for (;;) {
    uint32_t seq = s->next_seq;
    s->next_seq = seq >= SEQ_MAX ? 1 : seq + 1;
    if (req_find(s, seq) == NULL)
      return seq;
  }
}

/* --- sending ---------------------------------------------------------------- */

/* Pack and write; 1 when written (counted in s->written). */
static int send_pdu(vg_smpp_session_t *s, SMPP_PDU *pdu) {
  Octstr *os = smpp_pdu_pack(NULL, pdu);
  smpp_pdu_destroy(pdu);
  if (os == NULL)
    return 0;
  s->cb.write(s, (const unsigned char *)octstr_get_cstr(os),
              (size_t)octstr_len(os));
  octstr_destroy(os);
  s->written++;
  return 1;
}

/* Write a request: its number is noted, so that its answer proves the SMSC
 * read what came before it; a request is proof enough for the answers
 * written before it. */
static void send_request(vg_smpp_session_t *s, SMPP_PDU *pdu, req_t *r) {
  if (send_pdu(s, pdu))
    s->proof_wanted = 0;
  r->written = s->written;
}

/* A header-only PDU (generic_nack, *_resp without body) built by hand is
 * still packed by libgw: create, set status, pack. */
static void send_simple(vg_smpp_session_t *s, unsigned long type,
                        uint32_t seq, uint32_t status) {
  SMPP_PDU *pdu = smpp_pdu_create(type, seq);
  switch (type) {
  case generic_nack:
    pdu->u.generic_nack.command_status = status;
    break;
  case deliver_sm_resp:
    pdu->u.deliver_sm_resp.command_status = status;
    break;
  case data_sm_resp:
    pdu->u.data_sm_resp.command_status = status;
    break;
  default:
    break;
  }
  send_pdu(s, pdu);
}

/* --- lifecycle ------------------------------------------------------------------ */

vg_smpp_session_t *vg_smpp_session_new(const vg_smpp_session_opts_t *opts,
                                       const vg_smpp_session_cb_t *cb,
                                       void *data) {
  vg_smpp_session_t *s = vg_calloc(1, sizeof *s);
  s->opts = *opts;
  if ((unsigned)s->opts.role > VG_SMPP_ROLE_RX)
    s->opts.role = VG_SMPP_ROLE_TRX;
  s->system_id = vg_strdup(opts->system_id ? opts->system_id : "");
  s->password = vg_strdup(opts->password ? opts->password : "");
  s->system_type = vg_strdup(opts->system_type ? opts->system_type : "");
  s->cb = *cb;
  s->data = data;
  s->next_seq = 1;
  if (s->opts.window == 0)
    s->opts.window = 1;
  return s;
}

static void drop_requests(vg_smpp_session_t *s) {
  for (unsigned i = 0; i < NBUCKETS; i++) {
    while (s->buckets[i]) {
      req_t *r = s->buckets[i];
      s->buckets[i] = r->next;
      if (r->kind == REQ_SUBMIT) {
        s->nsubmit--;
        void *tag = r->tag;
        req_release(s, r);
        if (s->cb.submit_resp)
          s->cb.submit_resp(s, tag, -1, "");
      } else {
        req_release(s, r);
      }
    }
  }
}

void vg_smpp_session_free(vg_smpp_session_t *s) {
  if (s == NULL)
    return;
  s->cb.submit_resp = NULL; /* nobody left to tell */
  drop_requests(s);
  while (s->free_reqs) {
    req_t *r = s->free_reqs;
    s->free_reqs = r->next;
    vg_free(r);
  }
  vg_free(s->in);
  vg_free(s->system_id);
  vg_free(s->password);
  vg_free(s->system_type);
  vg_free(s);
}

void *vg_smpp_session_data(vg_smpp_session_t *s) { return s->data; }

int vg_smpp_session_open(vg_smpp_session_t *s, uint64_t now_ms) {
  if (s->state != VG_SMPP_CLOSED)
    return VG_EBUSY;
  static const unsigned long types[] = {bind_transceiver, bind_transmitter,
                                        bind_receiver};
  uint32_t seq = take_seq(s);
  SMPP_PDU *pdu = smpp_pdu_create(types[s->opts.role], seq);
  /* The three bind PDUs share one layout in libgw's table. */
  struct bind_transceiver *b = &pdu->u.bind_transceiver;
  b->system_id = octstr_create(s->system_id);
  b->password = octstr_create(s->password);
  b->system_type = octstr_create(s->system_type);
  b->interface_version = 0x34;
  b->addr_ton = 0;
  b->addr_npi = 0;
  b->address_range = octstr_create("");
  s->state = VG_SMPP_BINDING;
  s->in_len = 0;
  s->last_rx_ms = now_ms;
  s->enquire_outstanding = 0;
  send_request(s, pdu, req_add(s, seq, REQ_BIND, NULL, now_ms));
  return 0;
}

void vg_smpp_session_reset(vg_smpp_session_t *s) {
  s->state = VG_SMPP_CLOSED;
  s->in_len = 0;
  s->enquire_outstanding = 0;
  s->proof_wanted = 0; /* what was not proven read, the SMSC delivers again */
  s->generation++;
  drop_requests(s);
}

/* --- inbound ---------------------------------------------------------------------- */

static void fail(vg_smpp_session_t *s, const char *reason) {
  unsigned gen = s->generation;
  if (s->cb.fatal)
    s->cb.fatal(s, reason);
  if (s->generation == gen)
    vg_smpp_session_reset(s);
}

static void notice(vg_smpp_session_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void notice(vg_smpp_session_t *s, const char *fmt, ...) {
  if (s->cb.notice == NULL)
    return;
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  s->cb.notice(s, buf);
}

static const char *ostr(Octstr *o) { return o ? octstr_get_cstr(o) : ""; }

static void on_deliver(vg_smpp_session_t *s, SMPP_PDU *pdu, uint32_t seq) {
  vg_smpp_deliver_t d;
  memset(&d, 0, sizeof d);
  Octstr *payload, *ussd, *its, *nec, *rid;
  long mstate, umr;
  if (pdu->type == deliver_sm) {
    struct deliver_sm *m = &pdu->u.deliver_sm;
    d.source = ostr(m->source_addr);
    d.source_ton = (int)m->source_addr_ton;
    d.source_npi = (int)m->source_addr_npi;
    d.dest = ostr(m->destination_addr);
    d.esm_class = (int)m->esm_class;
    d.data_coding = (int)m->data_coding;
    payload = m->message_payload ? m->message_payload : m->short_message;
    ussd = m->ussd_service_op;
    its = m->its_session_info;
    nec = m->network_error_code;
    rid = m->receipted_message_id;
    mstate = m->message_state;
    umr = m->user_message_reference;
  } else {
    struct data_sm *m = &pdu->u.data_sm;
    d.is_data_sm = 1;
    d.source = ostr(m->source_addr);
    d.source_ton = (int)m->source_addr_ton;
    d.source_npi = (int)m->source_addr_npi;
    d.dest = ostr(m->destination_addr);
    d.esm_class = (int)m->esm_class;
    d.data_coding = (int)m->data_coding;
    payload = m->message_payload;
    ussd = m->ussd_service_op;
    its = m->its_session_info;
    nec = m->network_error_code;
    rid = m->receipted_message_id;
    mstate = m->message_state;
    umr = m->user_message_reference;
  }
  d.sm = payload ? (const unsigned char *)octstr_get_cstr(payload)
                 : (const unsigned char *)"";
  d.sm_len = payload ? (size_t)octstr_len(payload) : 0;
  d.receipted_message_id = rid ? octstr_get_cstr(rid) : NULL;
  d.message_state = rid || mstate >= 0 ? (int)mstate : -1;
  if (mstate < 0)
    d.message_state = -1;
  d.ussd_service_op =
      ussd && octstr_len(ussd) >= 1 ? octstr_get_char(ussd, 0) : -1;
  d.its_session_info = its && octstr_len(its) == 2
                           ? (const unsigned char *)octstr_get_cstr(its)
                           : NULL;
  /* libgw leaves -1 when the TLV is absent. */
  d.user_message_reference = umr >= 0 && umr <= 0xffff ? (int)umr : -1;
  d.network_error_code = nec && octstr_len(nec) == 3
                             ? (const unsigned char *)octstr_get_cstr(nec)
                             : NULL;
  if (s->cb.deliver)
    s->cb.deliver(s, &d, seq);
  else
    vg_smpp_session_deliver_resp(s, seq, VG_SMPP_ESME_RX_T_APPN,
                                 d.is_data_sm);
}

/* A response: match it to our request by sequence number. */
static void on_response(vg_smpp_session_t *s, uint32_t id, uint32_t status,
                        uint32_t seq, const unsigned char *body,
                        size_t len) {
  req_t *r = req_find(s, seq);
  if (r == NULL) {
    notice(s, "response 0x%08X to unknown sequence %u ignored", id, seq);
    return;
  }
  /* The answer must be to the request of that sequence number (or a
   * generic_nack); anything else is the SMSC's confusion, not an answer. */
  static const uint32_t bind_resp_ids[] = {0x80000009u, 0x80000002u,
                                           0x80000001u};
  uint32_t want = r->kind == REQ_BIND     ? bind_resp_ids[s->opts.role]
                  : r->kind == REQ_SUBMIT ? 0x80000004u
                  : r->kind == REQ_ENQUIRE ? 0x80000015u
                                           : 0x80000006u;
  if (id != want && id != 0x80000000u) {
    notice(s, "response 0x%08X to sequence %u, which awaits 0x%08X: ignored",
           id, seq, want);
    return;
  }
  r = req_take(s, seq);
  req_kind_t kind = r->kind;
  void *tag = r->tag;
  uint64_t upto = r->written;
  req_release(s, r);
  /* An answer to a request means the SMSC read everything before it. */
  if (upto > s->peer_read) {
    s->peer_read = upto;
    unsigned gen = s->generation;
    if (s->cb.peer_read)
      s->cb.peer_read(s, upto);
    if (s->generation != gen)
      return;
  }

  switch (kind) {
  case REQ_BIND:
    if (status == 0 && id != 0x80000000u) {
      s->state = VG_SMPP_BOUND;
      if (s->cb.bound)
        s->cb.bound(s);
    } else {
      unsigned gen = s->generation;
      s->state = VG_SMPP_CLOSED;
      if (s->cb.bind_failed)
        s->cb.bind_failed(s, status ? status : VG_SMPP_ESME_RINVCMDID);
      if (s->generation == gen)
        vg_smpp_session_reset(s);
    }
    break;
  case REQ_SUBMIT: {
    /* message_id only matters on success; an error response may or may
     * not carry a body (SMPP 3.4 says not, many SMSCs send one). */
    char msgid[72] = "";
    if (status == 0 && id == 0x80000004u && len > 0) {
      Octstr *os = octstr_create_from_data((const char *)body, (long)len);
      SMPP_PDU *pdu = smpp_pdu_unpack(NULL, os);
      octstr_destroy(os);
      if (pdu && pdu->type == submit_sm_resp && pdu->u.submit_sm_resp.message_id)
        snprintf(msgid, sizeof msgid, "%s",
                 octstr_get_cstr(pdu->u.submit_sm_resp.message_id));
      else if (pdu == NULL)
        notice(s, "submit_sm_resp seq %u: body not decodable, no message id",
               seq);
      if (pdu)
        smpp_pdu_destroy(pdu);
    }
    if (id == 0x80000000u && status == 0)
      status = VG_SMPP_ESME_RINVCMDID; /* generic_nack must carry an error */
    if (s->cb.submit_resp)
      s->cb.submit_resp(s, tag, status, msgid);
    break;
  }
  case REQ_ENQUIRE:
    s->enquire_outstanding = 0;
    break;
  case REQ_UNBIND:
    s->state = VG_SMPP_CLOSED;
    if (s->cb.unbound)
      s->cb.unbound(s, 0);
    break;
  }
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* One complete PDU of `len` bytes (length field included). */
static void on_pdu(vg_smpp_session_t *s, const unsigned char *p, size_t len,
                   uint64_t now) {
  uint32_t id = be32(p + 4), status = be32(p + 8), seq = be32(p + 12);
  s->last_rx_ms = now;

  if (!known_command(id)) {
    notice(s, "unknown command_id 0x%08X seq %u: generic_nack", id, seq);
    send_simple(s, generic_nack, seq, VG_SMPP_ESME_RINVCMDID);
    return;
  }
  if (id & 0x80000000u) {
    on_response(s, id, status, seq, p + 4, len - 4);
    return;
  }

  Octstr *os = octstr_create_from_data((const char *)p + 4, (long)len - 4);
  SMPP_PDU *pdu = smpp_pdu_unpack(NULL, os);
  octstr_destroy(os);
  if (pdu == NULL) {
    /* The frame was well delimited, so the stream is still aligned: refuse
     * this PDU and carry on. */
    notice(s, "undecodable command 0x%08X seq %u: generic_nack", id, seq);
    send_simple(s, generic_nack, seq, VG_SMPP_ESME_RINVCMDLEN);
    return;
  }

  switch (pdu->type) {
  case enquire_link: {
    SMPP_PDU *resp = smpp_pdu_create(enquire_link_resp, seq);
    send_pdu(s, resp);
    break;
  }
  case unbind: {
    SMPP_PDU *resp = smpp_pdu_create(unbind_resp, seq);
    send_pdu(s, resp);
    s->state = VG_SMPP_UNBINDING;
    if (s->cb.unbound)
      s->cb.unbound(s, 1);
    break;
  }
  case deliver_sm:
  case data_sm:
    if (s->state != VG_SMPP_BOUND) {
      send_simple(s, pdu->type == deliver_sm ? deliver_sm_resp : data_sm_resp,
                  seq, VG_SMPP_ESME_RINVBNDSTS);
    } else if (s->opts.role == VG_SMPP_ROLE_TX && pdu->type == deliver_sm) {
      send_simple(s, deliver_sm_resp, seq, VG_SMPP_ESME_RINVBNDSTS);
    } else {
      on_deliver(s, pdu, seq);
    }
    break;
  case alert_notification:
  case outbind:
    notice(s, "%s ignored", pdu->type_name);
    break;
  default:
    /* A request an ESME does not serve (submit_sm from the SMSC, ...). */
    notice(s, "%s from the SMSC is not served: generic_nack",
           pdu->type_name);
    send_simple(s, generic_nack, seq, VG_SMPP_ESME_RINVCMDID);
    break;
  }
  smpp_pdu_destroy(pdu);
}

void vg_smpp_session_feed(vg_smpp_session_t *s, const unsigned char *buf,
                          size_t len, uint64_t now_ms) {
  /* Nothing new cannot complete a PDU; and memcpy from a NULL buffer (an
   * empty read before any input was buffered) is undefined. */
  if (s->state == VG_SMPP_CLOSED || len == 0)
    return;
  if (s->in_len + len > s->in_cap) {
    size_t cap = s->in_cap ? s->in_cap : 4096;
    while (cap < s->in_len + len)
      cap *= 2;
    s->in = vg_realloc(s->in, cap);
    s->in_cap = cap;
  }
  memcpy(s->in + s->in_len, buf, len);
  s->in_len += len;

  unsigned gen = s->generation;
  size_t off = 0;
  while (s->in_len - off >= 4) {
    const unsigned char *p = s->in + off;
    size_t avail = s->in_len - off;
    uint32_t plen = be32(p);
    if (plen < 16 || plen > VG_SMPP_MAX_PDU) {
      /* A stream misaligned by a bad length cannot be trusted: refuse it
       * and drop the connection rather than hunt for the next frame.  The
       * nack is judged on the same bytes however TCP cut the stream: a
       * frame claiming under 16 bytes has no sequence number, judged once
       * it is all in; a too long one carries its header's, judged once
       * the 16-byte header is in. */
      if (avail < (plen < 16 ? (plen < 4 ? 4 : plen) : 16))
        break;
      uint32_t seq = plen < 16 ? 0 : be32(p + 12);
      send_simple(s, generic_nack, seq, VG_SMPP_ESME_RINVCMDLEN);
      char why[96];
      snprintf(why, sizeof why, "invalid command_length %u", plen);
      fail(s, why);
      return;
    }
    if (s->in_len - off < plen)
      break;
    on_pdu(s, p, plen, now_ms);
    if (s->generation != gen || s->state == VG_SMPP_CLOSED)
      return; /* reset from a callback: the buffer is gone */
    off += plen;
  }
  if (off > 0) {
    memmove(s->in, s->in + off, s->in_len - off);
    s->in_len -= off;
  }
}

void vg_smpp_session_tick(vg_smpp_session_t *s, uint64_t now_ms) {
  if (s->state == VG_SMPP_CLOSED)
    return;
  for (unsigned i = 0; i < NBUCKETS; i++) {
    for (req_t *r = s->buckets[i]; r; r = r->next) {
      if (now_ms >= r->deadline) {
        static const char *const kinds[] = {"bind", "submit_sm",
                                            "enquire_link", "unbind"};
        char why[96];
        snprintf(why, sizeof why, "no response to %s seq %u within %u ms",
                 kinds[r->kind], r->seq, s->opts.response_timeout_ms);
        fail(s, why);
        return;
      }
    }
  }
  /* An enquire_link when the link has been quiet, or to learn that the
   * SMSC read our answers to its messages (peer_read). */
  if (s->state == VG_SMPP_BOUND && !s->enquire_outstanding &&
      (s->proof_wanted ||
       now_ms - s->last_rx_ms >= s->opts.enquire_link_interval_ms)) {
    uint32_t seq = take_seq(s);
    s->enquire_outstanding = 1;
    send_request(s, smpp_pdu_create(enquire_link, seq),
                 req_add(s, seq, REQ_ENQUIRE, NULL, now_ms));
  }
}

/* --- outbound ---------------------------------------------------------------------- */

int vg_smpp_session_submit(vg_smpp_session_t *s, const vg_smpp_submit_t *m,
                           void *tag, uint64_t now_ms) {
  if (!vg_smpp_session_can_submit(s))
    return VG_ENOTCONN;
  if (s->nsubmit >= s->opts.window)
    return VG_EBUSY;
  if (m->sm_len > 65536 || strlen(m->source) > 20 || strlen(m->dest) > 20)
    return VG_EINVAL;
  uint32_t seq = take_seq(s);
  SMPP_PDU *pdu = smpp_pdu_create(submit_sm, seq);
  struct submit_sm *p = &pdu->u.submit_sm;
  p->source_addr_ton = (unsigned long)m->source_ton;
  p->source_addr_npi = (unsigned long)m->source_npi;
  p->source_addr = octstr_create(m->source);
  p->dest_addr_ton = (unsigned long)m->dest_ton;
  p->dest_addr_npi = (unsigned long)m->dest_npi;
  p->destination_addr = octstr_create(m->dest);
  p->esm_class = (unsigned long)m->esm_class;
  p->registered_delivery = (unsigned long)m->registered_delivery;
  p->data_coding = (unsigned long)m->data_coding;
  Octstr *body = octstr_create_from_data((const char *)m->sm, (long)m->sm_len);
  if (m->sm_len > 254) {
    p->message_payload = body; /* short_message holds at most 254 octets */
    p->sm_length = 0;
  } else {
    p->short_message = body;
    p->sm_length = (unsigned long)m->sm_len;
  }
  if (m->ussd_service_op >= 0) {
    unsigned char op = (unsigned char)m->ussd_service_op;
    p->ussd_service_op = octstr_create_from_data((const char *)&op, 1);
  }
  if (m->its_session_info)
    p->its_session_info =
        octstr_create_from_data((const char *)m->its_session_info, 2);
  if (m->user_message_reference >= 0)
    p->user_message_reference = (long)(m->user_message_reference & 0xffff);
  send_request(s, pdu, req_add(s, seq, REQ_SUBMIT, tag, now_ms));
  return 0;
}

void vg_smpp_session_deliver_resp(vg_smpp_session_t *s, uint32_t seq,
                                  uint32_t status, int is_data_sm) {
  if (s->state == VG_SMPP_CLOSED)
    return; /* the connection is gone; the SMSC will redeliver */
  send_simple(s, is_data_sm ? data_sm_resp : deliver_sm_resp, seq, status);
  if (status == VG_SMPP_ESME_ROK)
    s->proof_wanted = 1;
}

uint64_t vg_smpp_session_written(const vg_smpp_session_t *s) {
  return s->written;
}

int vg_smpp_session_unbind(vg_smpp_session_t *s, uint64_t now_ms) {
  if (s->state != VG_SMPP_BOUND)
    return VG_ENOTCONN;
  uint32_t seq = take_seq(s);
  s->state = VG_SMPP_UNBINDING;
  send_request(s, smpp_pdu_create(unbind, seq),
               req_add(s, seq, REQ_UNBIND, NULL, now_ms));
  return 0;
}

vg_smpp_state_t vg_smpp_session_state(const vg_smpp_session_t *s) {
  return s->state;
}
vg_smpp_role_t vg_smpp_session_role(const vg_smpp_session_t *s) {
  return s->opts.role;
}
uint32_t vg_smpp_session_in_flight(const vg_smpp_session_t *s) {
  return s->nsubmit;
}
uint32_t vg_smpp_session_window_free(const vg_smpp_session_t *s) {
  if (!vg_smpp_session_can_submit(s) || s->nsubmit >= s->opts.window)
    return 0;
  return s->opts.window - s->nsubmit;
}
int vg_smpp_session_can_submit(const vg_smpp_session_t *s) {
  return s->state == VG_SMPP_BOUND && s->opts.role != VG_SMPP_ROLE_RX;
}
int vg_smpp_session_can_receive(const vg_smpp_session_t *s) {
  return s->state == VG_SMPP_BOUND && s->opts.role != VG_SMPP_ROLE_TX;
}
void vg_smpp_session_set_next_seq(vg_smpp_session_t *s, uint32_t seq) {
  s->next_seq = seq == 0 || seq > SEQ_MAX ? 1 : seq;
}
uint32_t vg_smpp_session_next_seq(const vg_smpp_session_t *s) {
  return s->next_seq;
}
