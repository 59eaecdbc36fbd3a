/*
 * test_smpp_session.c — gateway/smpp_session.c driven with no socket.
 *
 * The test plays the SMSC: it builds PDUs with Kannel's libgw
 * (smpp_pdu_create / smpp_pdu_pack) and feeds them to the session, and it
 * decodes every byte the session writes (split on the 4-byte
 * command_length, body through smpp_pdu_unpack).  Time is a plain number
 * handed to feed and tick.  Malformed frames that libgw cannot produce
 * (unknown command ids, bad lengths, header-only responses) are built by
 * hand.  Each test gets a fresh session from setup and frees it in teardown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/gwlib_init.h"
#include "gateway/smpp_session.h"
#include "gateway/vg.h"

#include "gw/smsc/smpp_pdu.h"

#define T_RESP 5000u   /* response_timeout_ms */
#define T_ENQ 30000u   /* enquire_link_interval_ms */
#define T_WINDOW 3u
#define MAX_RESP 64

/* ---- fixture: the owner's side of the session ---------------------------- */

typedef struct {
  void *tag;
  int64_t status;
  char msgid[80];
} resp_t;

typedef struct {
  vg_smpp_session_t *s;

  /* Everything the session wrote, and how far next_out() has read. */
  unsigned char *out;
  size_t out_len, out_cap, out_rd;

  int nbound;
  int nbind_failed;
  uint32_t bind_status;
  int nresp;
  resp_t resp[MAX_RESP];
  int nunbound, unbound_by_peer;
  int nfatal;
  char fatal_reason[128];
  size_t out_len_at_fatal; /* to check the nack went out before fatal */
  int nnotice;
  int npeer_read;
  uint64_t peer_read_upto; /* last peer_read: the SMSC read up to this PDU */

  /* Last deliver, copied: the struct is only valid during the callback. */
  int ndeliver;
  uint32_t deliver_seq;
  vg_smpp_deliver_t d;
  char d_source[80], d_dest[80], d_rid[80];
  unsigned char d_sm[512];
  unsigned char d_its[2], d_nec[3];
  int d_has_rid, d_has_its, d_has_nec;

  /* Behaviour switches for the callbacks. */
  int answer_in_deliver; /* deliver_resp(ROK) from inside the callback */
  int reset_in_fatal;    /* vg_smpp_session_reset() from inside fatal */
  int reset_in_deliver;  /* ... from inside deliver */
  int reset_in_unbound;  /* ... from inside unbound, as smpp_link does */

  /* Event transcript, for comparing runs that differ only in framing. */
  char log[4096];
  size_t log_len;
} fx_t;

static void logf_(fx_t *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logf_(fx_t *f, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(f->log + f->log_len, sizeof f->log - f->log_len, fmt, ap);
  va_end(ap);
  assert_true(n >= 0 && (size_t)n < sizeof f->log - f->log_len);
  f->log_len += (size_t)n;
}

static fx_t *fx_of(vg_smpp_session_t *s) { return vg_smpp_session_data(s); }

static void cb_write(vg_smpp_session_t *s, const unsigned char *buf,
                     size_t len) {
  fx_t *f = fx_of(s);
  if (f->out_len + len > f->out_cap) {
    size_t cap = f->out_cap ? f->out_cap : 1024;
    while (cap < f->out_len + len)
      cap *= 2;
    f->out = vg_realloc(f->out, cap);
    f->out_cap = cap;
  }
  memcpy(f->out + f->out_len, buf, len);
  f->out_len += len;
}

static void cb_bound(vg_smpp_session_t *s) {
  fx_t *f = fx_of(s);
  f->nbound++;
  logf_(f, "bound;");
}

static void cb_bind_failed(vg_smpp_session_t *s, uint32_t status) {
  fx_t *f = fx_of(s);
  f->nbind_failed++;
  f->bind_status = status;
  logf_(f, "bind_failed:%u;", status);
}

static void cb_submit_resp(vg_smpp_session_t *s, void *tag, int64_t status,
                           const char *msgid) {
  fx_t *f = fx_of(s);
  assert_true(f->nresp < MAX_RESP);
  assert_non_null(msgid);
  resp_t *r = &f->resp[f->nresp++];
  r->tag = tag;
  r->status = status;
  snprintf(r->msgid, sizeof r->msgid, "%s", msgid);
  logf_(f, "resp:%lu:%lld:%s;", (unsigned long)(uintptr_t)tag,
        (long long)status, msgid);
}

static void cb_deliver(vg_smpp_session_t *s, const vg_smpp_deliver_t *d,
                       uint32_t seq) {
  fx_t *f = fx_of(s);
  f->ndeliver++;
  f->deliver_seq = seq;
  f->d = *d;
  snprintf(f->d_source, sizeof f->d_source, "%s", d->source);
  snprintf(f->d_dest, sizeof f->d_dest, "%s", d->dest);
  assert_true(d->sm_len <= sizeof f->d_sm);
  memcpy(f->d_sm, d->sm, d->sm_len);
  f->d_has_rid = d->receipted_message_id != NULL;
  if (f->d_has_rid)
    snprintf(f->d_rid, sizeof f->d_rid, "%s", d->receipted_message_id);
  f->d_has_its = d->its_session_info != NULL;
  if (f->d_has_its)
    memcpy(f->d_its, d->its_session_info, 2);
  f->d_has_nec = d->network_error_code != NULL;
  if (f->d_has_nec)
    memcpy(f->d_nec, d->network_error_code, 3);
  /* Pointers into the PDU die with the callback; keep only copies. */
  f->d.source = f->d_source;
  f->d.dest = f->d_dest;
  f->d.sm = f->d_sm;
  f->d.receipted_message_id = f->d_has_rid ? f->d_rid : NULL;
  f->d.its_session_info = f->d_has_its ? f->d_its : NULL;
  f->d.network_error_code = f->d_has_nec ? f->d_nec : NULL;
  logf_(f, "deliver:%u:%s:%zu;", seq, f->d_source, d->sm_len);
  if (f->answer_in_deliver)
    vg_smpp_session_deliver_resp(s, seq, VG_SMPP_ESME_ROK, d->is_data_sm);
  if (f->reset_in_deliver)
    vg_smpp_session_reset(s);
}

static void cb_unbound(vg_smpp_session_t *s, int by_peer) {
  fx_t *f = fx_of(s);
  f->nunbound++;
  f->unbound_by_peer = by_peer;
  logf_(f, "unbound:%d;", by_peer);
  if (f->reset_in_unbound)
    vg_smpp_session_reset(s);
}

static void cb_fatal(vg_smpp_session_t *s, const char *reason) {
  fx_t *f = fx_of(s);
  f->nfatal++;
  f->out_len_at_fatal = f->out_len;
  snprintf(f->fatal_reason, sizeof f->fatal_reason, "%s", reason);
  logf_(f, "fatal;");
  if (f->reset_in_fatal)
    vg_smpp_session_reset(s);
}

static void cb_notice(vg_smpp_session_t *s, const char *what) {
  fx_t *f = fx_of(s);
  assert_non_null(what);
  f->nnotice++;
}

static void cb_peer_read(vg_smpp_session_t *s, uint64_t upto) {
  fx_t *f = fx_of(s);
  assert_true(upto > f->peer_read_upto); /* only ever forward */
  f->npeer_read++;
  f->peer_read_upto = upto;
}

static const vg_smpp_session_cb_t callbacks = {
    cb_write,   cb_bound,  cb_bind_failed, cb_submit_resp, cb_deliver,
    cb_unbound, cb_fatal,  cb_notice,      cb_peer_read};

static fx_t *fx_new(vg_smpp_role_t role) {
  fx_t *f = vg_calloc(1, sizeof *f);
  vg_smpp_session_opts_t o = {
      .system_id = "vasgw",
      .password = "secret",
      .system_type = "VMA",
      .role = role,
      .response_timeout_ms = T_RESP,
      .enquire_link_interval_ms = T_ENQ,
      .window = T_WINDOW,
  };
  f->s = vg_smpp_session_new(&o, &callbacks, f);
  assert_non_null(f->s);
  assert_ptr_equal(vg_smpp_session_data(f->s), f);
  return f;
}

static void fx_free(fx_t *f) {
  if (f == NULL)
    return;
  vg_smpp_session_free(f->s);
  vg_free(f->out);
  vg_free(f);
}

static int setup(void **state) {
  *state = fx_new(VG_SMPP_ROLE_TRX);
  return 0;
}

static int teardown(void **state) {
  fx_free(*state);
  return 0;
}

/* ---- the SMSC's side: building and reading PDUs ------------------------- */

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static void put32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* Pack with libgw (length included) and destroy the PDU. */
static Octstr *pack(SMPP_PDU *pdu) {
  assert_non_null(pdu);
  Octstr *os = smpp_pdu_pack(NULL, pdu);
  smpp_pdu_destroy(pdu);
  assert_non_null(os);
  return os;
}

/* Feed a PDU packed by libgw; the PDU is destroyed. */
static void feed_pdu(fx_t *f, SMPP_PDU *pdu, uint64_t now) {
  Octstr *os = pack(pdu);
  vg_smpp_session_feed(f->s, (const unsigned char *)octstr_get_cstr(os),
                       (size_t)octstr_len(os), now);
  octstr_destroy(os);
}

/* A 16-byte header-only PDU, as libgw never packs some of them. */
static void header(unsigned char p[16], uint32_t len, uint32_t id,
                   uint32_t status, uint32_t seq) {
  put32(p, len);
  put32(p + 4, id);
  put32(p + 8, status);
  put32(p + 12, seq);
}

static void feed_header(fx_t *f, uint32_t id, uint32_t status, uint32_t seq,
                        uint64_t now) {
  unsigned char p[16];
  header(p, 16, id, status, seq);
  vg_smpp_session_feed(f->s, p, sizeof p, now);
}

static size_t out_pending(const fx_t *f) { return f->out_len - f->out_rd; }

/*
 * Take the next PDU the session wrote, checking its framing, and decode it
 * with libgw.  `cmd`, `status`, `seq` come from the raw header (libgw does
 * not keep the status of every type in one place).  Caller destroys.
 */
static SMPP_PDU *next_out(fx_t *f, uint32_t *cmd, uint32_t *status,
                          uint32_t *seq) {
  assert_true(out_pending(f) >= 16);
  const unsigned char *p = f->out + f->out_rd;
  uint32_t len = be32(p);
  assert_true(len >= 16);
  assert_true(out_pending(f) >= len);
  if (cmd)
    *cmd = be32(p + 4);
  if (status)
    *status = be32(p + 8);
  if (seq)
    *seq = be32(p + 12);
  Octstr *os = octstr_create_from_data((const char *)p + 4, (long)len - 4);
  SMPP_PDU *pdu = smpp_pdu_unpack(NULL, os);
  octstr_destroy(os);
  assert_non_null(pdu);
  assert_int_equal(pdu->type, be32(p + 4));
  f->out_rd += len;
  return pdu;
}

/* The next PDU must be `cmd` with `status`; returns its seq. */
static uint32_t expect_out(fx_t *f, uint32_t cmd, uint32_t status) {
  uint32_t c, st, seq;
  SMPP_PDU *pdu = next_out(f, &c, &st, &seq);
  smpp_pdu_destroy(pdu);
  assert_int_equal(c, cmd);
  assert_int_equal(st, status);
  return seq;
}

/* Open (bind_transceiver), answer it OK at `now`: the session is BOUND. */
static void bind_ok(fx_t *f, uint64_t now) {
  assert_int_equal(vg_smpp_session_open(f->s, now), 0);
  uint32_t cmd, seq;
  SMPP_PDU *b = next_out(f, &cmd, NULL, &seq);
  smpp_pdu_destroy(b);
  unsigned long resp = cmd == bind_transceiver   ? bind_transceiver_resp
                       : cmd == bind_transmitter ? bind_transmitter_resp
                                                 : bind_receiver_resp;
  SMPP_PDU *r = smpp_pdu_create(resp, seq);
  r->u.bind_transceiver_resp.system_id = octstr_create("SMSC");
  feed_pdu(f, r, now);
  assert_int_equal(f->nbound, 1);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_BOUND);
  assert_int_equal(out_pending(f), 0);
}

static const unsigned char udh_text[] = {0x05, 0x00, 0x03, 0x2A, 0x02, 0x01,
                                         'h',  0x00, 0xFF, 'i'};

static vg_smpp_submit_t plain_submit(void) {
  vg_smpp_submit_t m = {
      .source = "106900",
      .source_ton = 0,
      .source_npi = 1,
      .dest = "8613800138000",
      .dest_ton = 1,
      .dest_npi = 1,
      .esm_class = 0,
      .data_coding = 0,
      .registered_delivery = 1,
      .sm = (const unsigned char *)"hello",
      .sm_len = 5,
      .ussd_service_op = -1,
      .its_session_info = NULL,
      .user_message_reference = -1,
  };
  return m;
}

/* Submit and return the seq of the submit_sm written. */
static uint32_t submit(fx_t *f, uintptr_t tag, uint64_t now) {
  vg_smpp_submit_t m = plain_submit();
  assert_int_equal(vg_smpp_session_submit(f->s, &m, (void *)tag, now), 0);
  return expect_out(f, submit_sm, 0);
}

static SMPP_PDU *submit_resp_pdu(uint32_t seq, uint32_t status,
                                 const char *msgid) {
  SMPP_PDU *r = smpp_pdu_create(submit_sm_resp, seq);
  r->u.submit_sm_resp.command_status = status;
  if (msgid)
    r->u.submit_sm_resp.message_id = octstr_create(msgid);
  return r;
}

/* A plain MO deliver_sm with short_message "TD". */
static SMPP_PDU *mo_pdu(uint32_t seq) {
  SMPP_PDU *pdu = smpp_pdu_create(deliver_sm, seq);
  struct deliver_sm *p = &pdu->u.deliver_sm;
  p->source_addr_ton = 1;
  p->source_addr_npi = 1;
  p->source_addr = octstr_create("8613912345678");
  p->destination_addr = octstr_create("106900");
  p->data_coding = 0;
  p->short_message = octstr_create("TD");
  return pdu;
}

static void assert_resp(const fx_t *f, int i, uintptr_t tag, int64_t status,
                        const char *msgid) {
  assert_true(i < f->nresp);
  assert_ptr_equal(f->resp[i].tag, (void *)tag);
  assert_int_equal(f->resp[i].status, status);
  assert_string_equal(f->resp[i].msgid, msgid);
}

/* ---- names and classes --------------------------------------------------- */

static void test_status_names_and_classes(void **state) {
  char buf[16];
  (void)state;

  assert_string_equal(vg_smpp_status_name(0x58, buf), "ESME_RTHROTTLED");
  assert_string_equal(vg_smpp_status_name(0x00, buf), "ESME_ROK");
  assert_string_equal(vg_smpp_status_name(0x14, buf), "ESME_RMSGQFUL");
  assert_string_equal(vg_smpp_status_name(0x0E, buf), "ESME_RINVPASWD");
  assert_string_equal(vg_smpp_status_name(0x0B, buf), "ESME_RINVDSTADR");
  assert_string_equal(vg_smpp_status_name(0x12345678, buf), "0x12345678");
  assert_string_equal(buf, "0x12345678");
  assert_string_equal(vg_smpp_status_name(0x000004AB, buf), "0x000004AB");
  assert_string_equal(vg_smpp_status_name(0xFFFFFFFF, buf), "0xFFFFFFFF");

  assert_int_equal(vg_smpp_status_class(0x58), VG_SMPP_STATUS_THROTTLE);
  assert_int_equal(vg_smpp_status_class(0x14), VG_SMPP_STATUS_THROTTLE);
  assert_int_equal(vg_smpp_status_class(0x0B), VG_SMPP_STATUS_PERMANENT);
  assert_int_equal(vg_smpp_status_class(0x45), VG_SMPP_STATUS_PERMANENT);
  assert_int_equal(vg_smpp_status_class(0x00), VG_SMPP_STATUS_OK);
  assert_int_equal(vg_smpp_status_class(0x12345678),
                   VG_SMPP_STATUS_PERMANENT);

  assert_string_equal(vg_smpp_state_name(VG_SMPP_CLOSED), "closed");
  assert_string_equal(vg_smpp_state_name(VG_SMPP_BOUND), "bound");
  assert_string_equal(vg_smpp_state_name((vg_smpp_state_t)42), "?");
  assert_string_equal(vg_smpp_role_name(VG_SMPP_ROLE_TRX), "transceiver");
  assert_string_equal(vg_smpp_role_name(VG_SMPP_ROLE_RX), "receiver");
}

/* ---- bind ---------------------------------------------------------------- */

static void check_bind(vg_smpp_role_t role, unsigned long want_cmd) {
  fx_t *f = fx_new(role);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_CLOSED);
  assert_int_equal(vg_smpp_session_role(f->s), role);
  assert_int_equal(vg_smpp_session_open(f->s, 1000), 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_BINDING);
  assert_int_equal(vg_smpp_session_open(f->s, 1000), VG_EBUSY);

  uint32_t cmd, st, seq;
  SMPP_PDU *b = next_out(f, &cmd, &st, &seq);
  assert_int_equal(cmd, want_cmd);
  assert_int_equal(st, 0);
  assert_int_equal(seq, 1);
  /* The three bind PDUs share one layout in libgw's table. */
  struct bind_transceiver *p = &b->u.bind_transceiver;
  assert_string_equal(octstr_get_cstr(p->system_id), "vasgw");
  assert_string_equal(octstr_get_cstr(p->password), "secret");
  assert_string_equal(octstr_get_cstr(p->system_type), "VMA");
  assert_int_equal(p->interface_version, 0x34);
  smpp_pdu_destroy(b);
  assert_int_equal(out_pending(f), 0);

  /* Nothing can be submitted or received while binding. */
  vg_smpp_submit_t m = plain_submit();
  assert_int_equal(vg_smpp_session_submit(f->s, &m, NULL, 1000),
                   VG_ENOTCONN);
  assert_int_equal(vg_smpp_session_can_submit(f->s), 0);
  assert_int_equal(vg_smpp_session_can_receive(f->s), 0);

  SMPP_PDU *r = smpp_pdu_create(want_cmd | 0x80000000u, seq);
  r->u.bind_transceiver_resp.system_id = octstr_create("SMSC");
  feed_pdu(f, r, 1100);
  assert_int_equal(f->nbound, 1);
  assert_int_equal(f->nbind_failed, 0);
  assert_int_equal(f->nfatal, 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_BOUND);
  assert_int_equal(vg_smpp_session_can_submit(f->s),
                   role != VG_SMPP_ROLE_RX);
  assert_int_equal(vg_smpp_session_can_receive(f->s),
                   role != VG_SMPP_ROLE_TX);
  assert_int_equal(vg_smpp_session_window_free(f->s),
                   role == VG_SMPP_ROLE_RX ? 0 : T_WINDOW);
  if (role == VG_SMPP_ROLE_RX)
    assert_int_equal(vg_smpp_session_submit(f->s, &m, NULL, 1100),
                     VG_ENOTCONN);
  assert_int_equal(out_pending(f), 0);
  fx_free(f);
}

static void test_bind_transceiver(void **state) {
  (void)state;
  check_bind(VG_SMPP_ROLE_TRX, bind_transceiver);
}

static void test_bind_transmitter(void **state) {
  (void)state;
  check_bind(VG_SMPP_ROLE_TX, bind_transmitter);
}

static void test_bind_receiver(void **state) {
  (void)state;
  check_bind(VG_SMPP_ROLE_RX, bind_receiver);
}

static void test_bind_refused(void **state) {
  fx_t *f = *state;

  assert_int_equal(vg_smpp_session_open(f->s, 0), 0);
  uint32_t seq = expect_out(f, bind_transceiver, 0);
  SMPP_PDU *r = smpp_pdu_create(bind_transceiver_resp, seq);
  r->u.bind_transceiver_resp.command_status = 0x0E; /* ESME_RINVPASWD */
  feed_pdu(f, r, 10);
  assert_int_equal(f->nbind_failed, 1);
  assert_int_equal(f->bind_status, 0x0E);
  assert_int_equal(f->nbound, 0);
  assert_int_equal(f->nfatal, 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_CLOSED);
  assert_int_equal(out_pending(f), 0);

  /* CLOSED ignores input and time, and may be opened again. */
  vg_smpp_session_tick(f->s, 1000000);
  assert_int_equal(f->nfatal, 0);
  assert_int_equal(out_pending(f), 0);
  assert_int_equal(vg_smpp_session_open(f->s, 20), 0);
  expect_out(f, bind_transceiver, 0);
}

static void test_bind_refused_header_only(void **state) {
  fx_t *f = *state;

  assert_int_equal(vg_smpp_session_open(f->s, 0), 0);
  uint32_t seq = expect_out(f, bind_transceiver, 0);
  feed_header(f, 0x80000009u, 0x0D, seq, 10); /* ESME_RBINDFAIL, no body */
  assert_int_equal(f->nbind_failed, 1);
  assert_int_equal(f->bind_status, 0x0D);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_CLOSED);
}

static void test_bind_timeout(void **state) {
  fx_t *f = *state;

  assert_int_equal(vg_smpp_session_open(f->s, 1000), 0);
  expect_out(f, bind_transceiver, 0);
  vg_smpp_session_tick(f->s, 1000 + T_RESP - 1);
  assert_int_equal(f->nfatal, 0);
  vg_smpp_session_tick(f->s, 1000 + T_RESP);
  assert_int_equal(f->nfatal, 1);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_CLOSED);
  assert_int_equal(f->nbound + f->nbind_failed, 0);
}

/* ---- submit -------------------------------------------------------------- */

static void test_submit_fields(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  vg_smpp_submit_t m = plain_submit();
  m.source = "VasGW";
  m.source_ton = 5;
  m.source_npi = 0;
  m.dest = "8613800138000";
  m.dest_ton = 1;
  m.dest_npi = 1;
  m.esm_class = 0x40;
  m.data_coding = 8;
  m.registered_delivery = 1;
  m.sm = udh_text;
  m.sm_len = sizeof udh_text;
  assert_int_equal(vg_smpp_session_submit(f->s, &m, (void *)7, 100), 0);
  assert_int_equal(vg_smpp_session_in_flight(f->s), 1);

  uint32_t cmd, st, seq;
  SMPP_PDU *pdu = next_out(f, &cmd, &st, &seq);
  assert_int_equal(cmd, submit_sm);
  assert_int_equal(st, 0);
  assert_int_equal(seq, 2); /* 1 went to the bind */
  struct submit_sm *p = &pdu->u.submit_sm;
  assert_int_equal(p->source_addr_ton, 5);
  assert_int_equal(p->source_addr_npi, 0);
  assert_string_equal(octstr_get_cstr(p->source_addr), "VasGW");
  assert_int_equal(p->dest_addr_ton, 1);
  assert_int_equal(p->dest_addr_npi, 1);
  assert_string_equal(octstr_get_cstr(p->destination_addr), "8613800138000");
  assert_int_equal(p->esm_class, 0x40);
  assert_int_equal(p->data_coding, 8);
  assert_int_equal(p->registered_delivery, 1);
  assert_int_equal(p->sm_length, sizeof udh_text);
  assert_int_equal(octstr_len(p->short_message), sizeof udh_text);
  assert_memory_equal(octstr_get_cstr(p->short_message), udh_text,
                      sizeof udh_text);
  assert_null(p->message_payload);
  assert_null(p->ussd_service_op);
  assert_null(p->its_session_info);
  assert_int_equal(p->user_message_reference, -1);
  smpp_pdu_destroy(pdu);
  assert_int_equal(out_pending(f), 0);
}

/* sm_len 254 still fits short_message; 255 and more go to message_payload. */
static void check_long_submit(fx_t *f, size_t n, int want_payload) {
  unsigned char *body = vg_malloc(n);
  for (size_t i = 0; i < n; i++)
    body[i] = (unsigned char)(i * 7 + 3);
  vg_smpp_submit_t m = plain_submit();
  m.data_coding = 4;
  m.sm = body;
  m.sm_len = n;
  assert_int_equal(vg_smpp_session_submit(f->s, &m, (void *)n, 100), 0);
  SMPP_PDU *pdu = next_out(f, NULL, NULL, NULL);
  struct submit_sm *p = &pdu->u.submit_sm;
  Octstr *got = want_payload ? p->message_payload : p->short_message;
  assert_non_null(got);
  assert_int_equal(octstr_len(got), n);
  assert_memory_equal(octstr_get_cstr(got), body, n);
  if (want_payload) {
    assert_int_equal(p->sm_length, 0);
    assert_int_equal(octstr_len(p->short_message), 0);
  } else {
    assert_int_equal(p->sm_length, n);
    assert_null(p->message_payload);
  }
  smpp_pdu_destroy(pdu);
  vg_free(body);
}

static void test_submit_long_goes_to_payload(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);
  check_long_submit(f, 254, 0);
  check_long_submit(f, 255, 1);
  check_long_submit(f, 1200, 1);
}

static void test_submit_ussd_tlvs(void **state) {
  fx_t *f = *state;
  static const unsigned char its[2] = {0x12, 0x35};
  bind_ok(f, 0);

  vg_smpp_submit_t m = plain_submit();
  m.ussd_service_op = 2; /* USSR request */
  m.its_session_info = its;
  m.user_message_reference = 4242;
  assert_int_equal(vg_smpp_session_submit(f->s, &m, NULL, 100), 0);
  SMPP_PDU *pdu = next_out(f, NULL, NULL, NULL);
  struct submit_sm *p = &pdu->u.submit_sm;
  assert_non_null(p->ussd_service_op);
  assert_int_equal(octstr_len(p->ussd_service_op), 1);
  assert_int_equal(octstr_get_char(p->ussd_service_op, 0), 2);
  assert_non_null(p->its_session_info);
  assert_int_equal(octstr_len(p->its_session_info), 2);
  assert_memory_equal(octstr_get_cstr(p->its_session_info), its, 2);
  assert_int_equal(p->user_message_reference, 4242);
  smpp_pdu_destroy(pdu);

  /* ussd_service_op 0 (PSSD indication) is a value, not "absent". */
  m.ussd_service_op = 0;
  m.its_session_info = NULL;
  assert_int_equal(vg_smpp_session_submit(f->s, &m, NULL, 100), 0);
  pdu = next_out(f, NULL, NULL, NULL);
  assert_non_null(pdu->u.submit_sm.ussd_service_op);
  assert_int_equal(octstr_get_char(pdu->u.submit_sm.ussd_service_op, 0), 0);
  assert_null(pdu->u.submit_sm.its_session_info);
  smpp_pdu_destroy(pdu);
}

static void test_submit_invalid(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  vg_smpp_submit_t m = plain_submit();
  m.dest = "123456789012345678901"; /* 21 digits: no room for the NUL */
  assert_int_equal(vg_smpp_session_submit(f->s, &m, NULL, 100), VG_EINVAL);
  m = plain_submit();
  m.source = "ABCDEFGHIJKLMNOPQRSTU";
  assert_int_equal(vg_smpp_session_submit(f->s, &m, NULL, 100), VG_EINVAL);
  assert_int_equal(out_pending(f), 0);
  assert_int_equal(vg_smpp_session_in_flight(f->s), 0);
}

static void test_submit_window(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  assert_int_equal(vg_smpp_session_window_free(f->s), 3);
  uint32_t s1 = submit(f, 1, 100);
  assert_int_equal(vg_smpp_session_window_free(f->s), 2);
  submit(f, 2, 100);
  assert_int_equal(vg_smpp_session_window_free(f->s), 1);
  uint32_t s3 = submit(f, 3, 100);
  assert_int_equal(vg_smpp_session_window_free(f->s), 0);
  assert_int_equal(vg_smpp_session_in_flight(f->s), 3);

  vg_smpp_submit_t m = plain_submit();
  assert_int_equal(vg_smpp_session_submit(f->s, &m, (void *)4, 100),
                   VG_EBUSY);
  assert_int_equal(out_pending(f), 0); /* nothing written */
  assert_int_equal(f->nresp, 0);       /* and no callback */

  feed_pdu(f, submit_resp_pdu(s3, 0, "m3"), 200);
  assert_int_equal(f->nresp, 1);
  assert_resp(f, 0, 3, 0, "m3");
  assert_int_equal(vg_smpp_session_window_free(f->s), 1);
  assert_int_equal(vg_smpp_session_in_flight(f->s), 2);
  submit(f, 4, 200);
  assert_int_equal(vg_smpp_session_window_free(f->s), 0);
  assert_int_equal(vg_smpp_session_submit(f->s, &m, (void *)5, 100),
                   VG_EBUSY);

  /* A response to an unknown seq frees nothing and is only a notice. */
  feed_pdu(f, submit_resp_pdu(0x1234, 0, "x"), 300);
  assert_int_equal(f->nresp, 1);
  assert_int_equal(f->nnotice, 1);
  assert_int_equal(vg_smpp_session_window_free(f->s), 0);
  /* ... and a duplicate response to an answered seq likewise. */
  feed_pdu(f, submit_resp_pdu(s3, 0, "m3"), 300);
  assert_int_equal(f->nresp, 1);

  feed_pdu(f, submit_resp_pdu(s1, 0, "m1"), 300);
  assert_resp(f, 1, 1, 0, "m1");
  assert_int_equal(vg_smpp_session_window_free(f->s), 1);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_BOUND);
}

static void test_submit_responses(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  /* OK with a message id. */
  uint32_t seq = submit(f, 11, 100);
  feed_pdu(f, submit_resp_pdu(seq, 0, "0A1B2C3D4E"), 110);
  assert_int_equal(f->nresp, 1);
  assert_resp(f, 0, 11, 0, "0A1B2C3D4E");

  /* Error with a body (the message id in it does not count). */
  seq = submit(f, 12, 120);
  feed_pdu(f, submit_resp_pdu(seq, 0x45, "ignored"), 130);
  assert_resp(f, 1, 12, 0x45, "");

  /* Error with a body holding just the NUL of an empty message id. */
  seq = submit(f, 13, 140);
  feed_pdu(f, submit_resp_pdu(seq, 0x0B, NULL), 150);
  assert_resp(f, 2, 13, 0x0B, "");

  /* Error without a body: header only, 16 bytes. */
  seq = submit(f, 14, 160);
  feed_header(f, 0x80000004u, VG_SMPP_ESME_RTHROTTLED, seq, 170);
  assert_resp(f, 3, 14, 0x58, "");

  /* OK without a body: accepted, no message id. */
  seq = submit(f, 15, 180);
  feed_header(f, 0x80000004u, 0, seq, 190);
  assert_resp(f, 4, 15, 0, "");

  /* generic_nack for a submit's seq carries the status. */
  seq = submit(f, 16, 200);
  SMPP_PDU *n = smpp_pdu_create(generic_nack, seq);
  n->u.generic_nack.command_status = VG_SMPP_ESME_RMSGQFUL;
  feed_pdu(f, n, 210);
  assert_resp(f, 5, 16, 0x14, "");

  /* generic_nack with status 0 is still an error. */
  seq = submit(f, 17, 220);
  feed_header(f, 0x80000000u, 0, seq, 230);
  assert_resp(f, 6, 17, VG_SMPP_ESME_RINVCMDID, "");

  assert_int_equal(f->nresp, 7);
  assert_int_equal(vg_smpp_session_in_flight(f->s), 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_BOUND);
  assert_int_equal(f->nfatal, 0);
  assert_int_equal(out_pending(f), 0); /* no response is ever answered */
}

/* ---- sequence numbers ---------------------------------------------------- */

static void test_seq_wrap(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  vg_smpp_session_set_next_seq(f->s, 0x7FFFFFFE);
  assert_int_equal(vg_smpp_session_next_seq(f->s), 0x7FFFFFFE);
  assert_int_equal(submit(f, 1, 10), 0x7FFFFFFE);
  assert_int_equal(submit(f, 2, 10), 0x7FFFFFFF);
  assert_int_equal(submit(f, 3, 10), 1);
  assert_int_equal(vg_smpp_session_next_seq(f->s), 2);

  /* Responses find their submits across the wrap. */
  feed_pdu(f, submit_resp_pdu(0x7FFFFFFF, 0, "b"), 20);
  feed_pdu(f, submit_resp_pdu(1, 0, "c"), 20);
  feed_pdu(f, submit_resp_pdu(0x7FFFFFFE, 0, "a"), 20);
  assert_resp(f, 0, 2, 0, "b");
  assert_resp(f, 1, 3, 0, "c");
  assert_resp(f, 2, 1, 0, "a");

  /* Out of range values are clamped to 1, never 0 or above 0x7FFFFFFF. */
  vg_smpp_session_set_next_seq(f->s, 0);
  assert_int_equal(vg_smpp_session_next_seq(f->s), 1);
  vg_smpp_session_set_next_seq(f->s, 0x80000000u);
  assert_int_equal(vg_smpp_session_next_seq(f->s), 1);
  vg_smpp_session_set_next_seq(f->s, 0xFFFFFFFFu);
  assert_int_equal(vg_smpp_session_next_seq(f->s), 1);
}

static void test_seq_wrap_mixed_pdus(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  /* Every kind of request we originate takes from the same counter. */
  vg_smpp_session_set_next_seq(f->s, 0x7FFFFFFE);
  assert_int_equal(submit(f, 1, T_ENQ - 10), 0x7FFFFFFE);
  vg_smpp_session_tick(f->s, T_ENQ); /* no input since 0: enquire_link */
  assert_int_equal(expect_out(f, enquire_link, 0), 0x7FFFFFFF);
  assert_int_equal(vg_smpp_session_unbind(f->s, T_ENQ), 0);
  assert_int_equal(expect_out(f, unbind, 0), 1);
}

static void test_seq_skips_outstanding(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  uint32_t s1 = submit(f, 1, 10);
  assert_int_equal(s1, 2);
  vg_smpp_session_set_next_seq(f->s, s1); /* would collide: skipped */
  assert_int_equal(submit(f, 2, 10), 3);

  /* And at the wrap: 1 still outstanding is not reused. */
  vg_smpp_session_set_next_seq(f->s, 0x7FFFFFFF);
  feed_pdu(f, submit_resp_pdu(s1, 0, "x"), 20);
  assert_int_equal(submit(f, 3, 20), 0x7FFFFFFF);
  vg_smpp_session_set_next_seq(f->s, 3); /* 3 is outstanding */
  assert_int_equal(submit(f, 4, 20), 4);
}

/* ---- enquire_link -------------------------------------------------------- */

static void test_enquire_link_from_smsc(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  feed_pdu(f, smpp_pdu_create(enquire_link, 0x00ABCDEF), 100);
  assert_int_equal(expect_out(f, enquire_link_resp, 0), 0x00ABCDEF);
  feed_pdu(f, smpp_pdu_create(enquire_link, 0x7FFFFFFF), 100);
  assert_int_equal(expect_out(f, enquire_link_resp, 0), 0x7FFFFFFF);
  assert_int_equal(out_pending(f), 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_BOUND);

  /* The SMSC's traffic counts as activity: no enquire_link of our own. */
  vg_smpp_session_tick(f->s, 100 + T_ENQ - 1);
  assert_int_equal(out_pending(f), 0);
}

static void test_enquire_link_idle(void **state) {
  fx_t *f = *state;
  bind_ok(f, 1000); /* last input at 1000 */

  vg_smpp_session_tick(f->s, 1000 + T_ENQ - 1);
  assert_int_equal(out_pending(f), 0);
  vg_smpp_session_tick(f->s, 1000 + T_ENQ);
  uint32_t seq = expect_out(f, enquire_link, 0);
  assert_int_equal(out_pending(f), 0);

  /* Only one outstanding at a time. */
  vg_smpp_session_tick(f->s, 1000 + T_ENQ + 250);
  assert_int_equal(out_pending(f), 0);

  /* Answered: no fatal, and the idle clock restarts from the answer. */
  uint64_t t = 1000 + T_ENQ + 300;
  feed_pdu(f, smpp_pdu_create(enquire_link_resp, seq), t);
  vg_smpp_session_tick(f->s, t + T_RESP + 10);
  assert_int_equal(f->nfatal, 0);
  assert_int_equal(out_pending(f), 0);
  vg_smpp_session_tick(f->s, t + T_ENQ);
  uint32_t seq2 = expect_out(f, enquire_link, 0);
  assert_true(seq2 != seq);
  assert_int_equal(f->nresp, 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_BOUND);
}

static void test_enquire_link_unanswered(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  vg_smpp_session_tick(f->s, T_ENQ);
  expect_out(f, enquire_link, 0);
  vg_smpp_session_tick(f->s, T_ENQ + T_RESP - 1);
  assert_int_equal(f->nfatal, 0);
  vg_smpp_session_tick(f->s, T_ENQ + T_RESP);
  assert_int_equal(f->nfatal, 1);
  assert_non_null(strstr(f->fatal_reason, "enquire_link"));
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_CLOSED);
  assert_int_equal(out_pending(f), 0);

  /* CLOSED: a late answer and more time change nothing. */
  feed_pdu(f, smpp_pdu_create(enquire_link, 5), T_ENQ + T_RESP + 1);
  vg_smpp_session_tick(f->s, 10 * T_ENQ);
  assert_int_equal(f->nfatal, 1);
  assert_int_equal(out_pending(f), 0);
}

/* ---- timeouts and reset -------------------------------------------------- */

static void test_submit_timeout(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  submit(f, 21, 1000);
  submit(f, 22, 2000);
  vg_smpp_session_tick(f->s, 1000 + T_RESP - 1);
  assert_int_equal(f->nfatal, 0);
  vg_smpp_session_tick(f->s, 1000 + T_RESP);
  assert_int_equal(f->nfatal, 1);
  assert_non_null(strstr(f->fatal_reason, "submit_sm"));
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_CLOSED);
  /* Both parts are handed back with an unknown fate, after the fatal. */
  assert_int_equal(f->nresp, 2);
  assert_string_equal(f->log, "bound;fatal;resp:21:-1:;resp:22:-1:;");
  assert_int_equal(vg_smpp_session_in_flight(f->s), 0);
}

static void test_submit_timeout_reset_in_fatal(void **state) {
  fx_t *f = *state;
  f->reset_in_fatal = 1;
  bind_ok(f, 0);

  submit(f, 31, 1000);
  vg_smpp_session_tick(f->s, 1000 + T_RESP);
  assert_int_equal(f->nfatal, 1);
  assert_int_equal(f->nresp, 1); /* once, not twice */
  assert_resp(f, 0, 31, -1, "");
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_CLOSED);
}

static void test_reset_hands_back_submits(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  submit(f, 41, 10);
  uint32_t s2 = submit(f, 42, 10);
  submit(f, 43, 10);
  feed_pdu(f, submit_resp_pdu(s2, 0, "ok2"), 20);
  /* A partial PDU is pending in the input buffer. */
  unsigned char part[16];
  header(part, 16, enquire_link, 0, 99);
  vg_smpp_session_feed(f->s, part, 10, 30);

  vg_smpp_session_reset(f->s);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_CLOSED);
  assert_int_equal(f->nresp, 3);
  int seen41 = 0, seen43 = 0;
  for (int i = 1; i < 3; i++) {
    assert_int_equal(f->resp[i].status, -1);
    assert_string_equal(f->resp[i].msgid, "");
    seen41 += f->resp[i].tag == (void *)41;
    seen43 += f->resp[i].tag == (void *)43;
  }
  assert_int_equal(seen41, 1);
  assert_int_equal(seen43, 1);
  assert_int_equal(vg_smpp_session_in_flight(f->s), 0);
  assert_int_equal(f->nfatal, 0);

  /* Reset twice is harmless; a new bind starts from a clean buffer. */
  vg_smpp_session_reset(f->s);
  assert_int_equal(f->nresp, 3);
  assert_int_equal(vg_smpp_session_open(f->s, 100), 0);
  uint32_t seq = expect_out(f, bind_transceiver, 0);
  SMPP_PDU *r = smpp_pdu_create(bind_transceiver_resp, seq);
  feed_pdu(f, r, 110);
  assert_int_equal(f->nbound, 2);
  assert_int_equal(f->nfatal, 0);
  assert_int_equal(out_pending(f), 0);
  assert_int_equal(vg_smpp_session_window_free(f->s), T_WINDOW);
}

/*
 * The owner resets from inside a callback while more PDUs sit in the same
 * feed: the rest of the input is dropped, nothing is touched after reset.
 */
static void test_reset_from_callbacks(void **state) {
  fx_t *f = *state;
  f->reset_in_deliver = 1;
  f->answer_in_deliver = 1;
  bind_ok(f, 0);
  uint32_t seq = submit(f, 71, 10);

  Octstr *stream = pack(mo_pdu(0x91));
  Octstr *more = pack(submit_resp_pdu(seq, 0, "late"));
  octstr_append(stream, more);
  octstr_destroy(more);
  vg_smpp_session_feed(f->s, (const unsigned char *)octstr_get_cstr(stream),
                       (size_t)octstr_len(stream), 20);
  octstr_destroy(stream);
  assert_string_equal(f->log, "bound;deliver:145:8613912345678:2;"
                              "resp:71:-1:;");
  assert_int_equal(expect_out(f, deliver_sm_resp, 0), 0x91);
  assert_int_equal(out_pending(f), 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_CLOSED);

  /* Bound again; the peer unbinds and the owner resets in unbound. */
  f->reset_in_deliver = 0;
  f->reset_in_unbound = 1;
  f->nbound = 0;
  bind_ok(f, 100);
  stream = pack(smpp_pdu_create(unbind, 0x92));
  more = pack(smpp_pdu_create(enquire_link, 0x93));
  octstr_append(stream, more);
  octstr_destroy(more);
  vg_smpp_session_feed(f->s, (const unsigned char *)octstr_get_cstr(stream),
                       (size_t)octstr_len(stream), 120);
  octstr_destroy(stream);
  assert_int_equal(expect_out(f, unbind_resp, 0), 0x92);
  assert_int_equal(out_pending(f), 0); /* the enquire_link was dropped */
  assert_int_equal(f->nunbound, 1);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_CLOSED);

  /* Our unbind answered, reset in unbound. */
  f->nbound = 0;
  bind_ok(f, 200);
  assert_int_equal(vg_smpp_session_unbind(f->s, 210), 0);
  seq = expect_out(f, unbind, 0);
  feed_pdu(f, smpp_pdu_create(unbind_resp, seq), 220);
  assert_int_equal(f->nunbound, 2);
  assert_int_equal(f->unbound_by_peer, 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_CLOSED);
  assert_int_equal(f->nfatal, 0);
}

/* ---- unbind -------------------------------------------------------------- */

static void test_unbind_from_smsc(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  submit(f, 51, 10);
  feed_pdu(f, smpp_pdu_create(unbind, 0x55), 20);
  assert_int_equal(expect_out(f, unbind_resp, 0), 0x55);
  assert_int_equal(f->nunbound, 1);
  assert_int_equal(f->unbound_by_peer, 1);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_UNBINDING);

  vg_smpp_submit_t m = plain_submit();
  assert_int_equal(vg_smpp_session_submit(f->s, &m, NULL, 30), VG_ENOTCONN);
  assert_int_equal(vg_smpp_session_can_submit(f->s), 0);
  assert_int_equal(vg_smpp_session_window_free(f->s), 0);
  assert_int_equal(vg_smpp_session_unbind(f->s, 30), VG_ENOTCONN);
  assert_int_equal(out_pending(f), 0);

  /* The owner closes the transport: the outstanding submit comes back. */
  vg_smpp_session_reset(f->s);
  assert_int_equal(f->nresp, 1);
  assert_resp(f, 0, 51, -1, "");
}

static void test_unbind_ours(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  assert_int_equal(vg_smpp_session_unbind(f->s, 100), 0);
  uint32_t seq = expect_out(f, unbind, 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_UNBINDING);
  vg_smpp_submit_t m = plain_submit();
  assert_int_equal(vg_smpp_session_submit(f->s, &m, NULL, 100), VG_ENOTCONN);
  assert_int_equal(f->nunbound, 0);

  feed_pdu(f, smpp_pdu_create(unbind_resp, seq), 200);
  assert_int_equal(f->nunbound, 1);
  assert_int_equal(f->unbound_by_peer, 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_CLOSED);
  assert_int_equal(f->nfatal, 0);
  assert_int_equal(out_pending(f), 0);
}

static void test_unbind_ours_unanswered(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  assert_int_equal(vg_smpp_session_unbind(f->s, 100), 0);
  expect_out(f, unbind, 0);
  vg_smpp_session_tick(f->s, 100 + T_RESP);
  assert_int_equal(f->nfatal, 1);
  assert_int_equal(f->nunbound, 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_CLOSED);
}

/* ---- what the SMSC should not send ---------------------------------------- */

static void test_unknown_command_id(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  feed_header(f, 0x000000FF, 0, 0x1234, 10);
  assert_int_equal(expect_out(f, generic_nack, VG_SMPP_ESME_RINVCMDID),
                   0x1234);
  /* With a body that must be skipped as a whole. */
  unsigned char p[24];
  header(p, sizeof p, 0x00001234, 0, 0x7FFFFFF0);
  memset(p + 16, 0xEE, 8);
  vg_smpp_session_feed(f->s, p, sizeof p, 20);
  assert_int_equal(expect_out(f, generic_nack, VG_SMPP_ESME_RINVCMDID),
                   0x7FFFFFF0);
  /* A request an ESME does not serve. */
  SMPP_PDU *sm = smpp_pdu_create(submit_sm, 77);
  sm->u.submit_sm.source_addr = octstr_create("1");
  sm->u.submit_sm.destination_addr = octstr_create("2");
  feed_pdu(f, sm, 30);
  assert_int_equal(expect_out(f, generic_nack, VG_SMPP_ESME_RINVCMDID), 77);

  assert_int_equal(out_pending(f), 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_BOUND);
  assert_int_equal(f->nfatal, 0);

  /* And the stream is still aligned. */
  feed_pdu(f, smpp_pdu_create(enquire_link, 88), 40);
  assert_int_equal(expect_out(f, enquire_link_resp, 0), 88);
}

/* A bad command_length, the 16 bytes fed `first` then the rest: the same
 * nack however the bytes come.  A frame claiming under 16 bytes has no
 * sequence number (0), and is judged once the bytes it claims are in (at
 * least the 4 of the length); a too long one is judged once its 16-byte
 * header is in, and the nack carries its sequence number. */
static void check_bad_length_split(uint32_t len, size_t first) {
  fx_t *f = fx_new(VG_SMPP_ROLE_TRX);
  bind_ok(f, 0);
  submit(f, 61, 10);

  unsigned char p[16];
  header(p, len, enquire_link, 0, 0x4242);
  size_t judged = len < 16 ? (len < 4 ? 4 : len) : 16;
  vg_smpp_session_feed(f->s, p, first, 20);
  if (first < judged) {
    assert_int_equal(out_pending(f), 0);
    assert_int_equal(f->nfatal, 0);
    vg_smpp_session_feed(f->s, p + first, sizeof p - first, 21);
  }
  assert_int_equal(expect_out(f, generic_nack, VG_SMPP_ESME_RINVCMDLEN),
                   len < 16 ? 0 : 0x4242);
  assert_int_equal(f->nfatal, 1);
  assert_non_null(strstr(f->fatal_reason, "command_length"));
  assert_int_equal(f->out_len_at_fatal, f->out_len); /* nack, then fatal */
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_CLOSED);
  assert_int_equal(f->nresp, 1);
  assert_resp(f, 0, 61, -1, "");
  assert_int_equal(out_pending(f), 0);
  fx_free(f);
}

static void check_bad_length(uint32_t len) {
  for (size_t first = 1; first <= 16; first++)
    check_bad_length_split(len, first);
}

static void test_bad_command_length(void **state) {
  (void)state;
  check_bad_length(0);
  check_bad_length(8);
  check_bad_length(15);
  check_bad_length(VG_SMPP_MAX_PDU + 1);
  check_bad_length(0xFFFFFFFFu);
}

/* The largest legal frame is accepted whole, even if its body is junk. */
static void test_max_command_length(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  unsigned char *p = vg_calloc(1, VG_SMPP_MAX_PDU);
  header(p, VG_SMPP_MAX_PDU, 0x00000999, 0, 5);
  vg_smpp_session_feed(f->s, p, VG_SMPP_MAX_PDU - 1, 10);
  assert_int_equal(out_pending(f), 0);
  vg_smpp_session_feed(f->s, p + VG_SMPP_MAX_PDU - 1, 1, 10);
  vg_free(p);
  assert_int_equal(expect_out(f, generic_nack, VG_SMPP_ESME_RINVCMDID), 5);
  assert_int_equal(f->nfatal, 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_BOUND);
}

/* A deliver_sm cut to `keep` bytes of body, length field fixed up. */
static void feed_truncated_deliver(fx_t *f, uint32_t seq, size_t keep,
                                   uint64_t now) {
  Octstr *os = pack(mo_pdu(seq));
  assert_true((size_t)octstr_len(os) > 16 + keep);
  unsigned char buf[64];
  memcpy(buf, octstr_get_cstr(os), 16 + keep);
  octstr_destroy(os);
  put32(buf, (uint32_t)(16 + keep));
  vg_smpp_session_feed(f->s, buf, 16 + keep, now);
}

static void test_truncated_deliver(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  /* Header only; then service_type and source_addr_ton but no more. */
  feed_truncated_deliver(f, 0x21, 0, 10);
  assert_int_equal(expect_out(f, generic_nack, VG_SMPP_ESME_RINVCMDLEN),
                   0x21);
  feed_truncated_deliver(f, 0x22, 2, 10);
  assert_int_equal(expect_out(f, generic_nack, VG_SMPP_ESME_RINVCMDLEN),
                   0x22);
  assert_int_equal(f->ndeliver, 0);
  assert_int_equal(f->nfatal, 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_BOUND);

  /* The next PDU is handled normally. */
  feed_pdu(f, mo_pdu(0x23), 20);
  assert_int_equal(f->ndeliver, 1);
  assert_int_equal(f->deliver_seq, 0x23);
  assert_string_equal(f->d_source, "8613912345678");
  assert_int_equal(out_pending(f), 0);
}

/* short_message says 10 octets, the frame holds fewer: refused, not fatal. */
static void test_deliver_sm_length_overrun(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  Octstr *os = pack(mo_pdu(0x31));
  size_t n = (size_t)octstr_len(os);
  unsigned char buf[128];
  assert_true(n <= sizeof buf);
  memcpy(buf, octstr_get_cstr(os), n);
  octstr_destroy(os);
  /* sm_length is the octet before the 2-octet short_message "TD". */
  assert_int_equal(buf[n - 3], 2);
  buf[n - 3] = 10;
  vg_smpp_session_feed(f->s, buf, n, 10);
  assert_int_equal(expect_out(f, generic_nack, VG_SMPP_ESME_RINVCMDLEN),
                   0x31);
  assert_int_equal(f->ndeliver, 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_BOUND);
}

/* ---- framing: split and coalesced input ----------------------------------- */

/*
 * One stream from the SMSC, fed in chunks of `chunk` bytes (0: all at
 * once).  Returns through the fixture: the event log and the bytes written
 * after binding.
 */
static void run_stream(fx_t *f, size_t chunk) {
  f->answer_in_deliver = 1;
  bind_ok(f, 0);
  uint32_t s1 = submit(f, 1, 10);
  uint32_t s2 = submit(f, 2, 10);
  uint32_t s3 = submit(f, 3, 10);
  size_t mark = f->out_rd;

  Octstr *stream = octstr_create("");
  SMPP_PDU *pdus[8];
  int n = 0;
  pdus[n++] = submit_resp_pdu(s1, 0, "id-one");
  pdus[n++] = smpp_pdu_create(enquire_link, 500);
  pdus[n++] = mo_pdu(501);
  pdus[n++] = submit_resp_pdu(s2, VG_SMPP_ESME_RTHROTTLED, NULL);
  {
    SMPP_PDU *d = smpp_pdu_create(data_sm, 502);
    d->u.data_sm.source_addr = octstr_create("8613700000000");
    d->u.data_sm.destination_addr = octstr_create("106900");
    d->u.data_sm.message_payload = octstr_create("data!");
    pdus[n++] = d;
  }
  pdus[n++] = submit_resp_pdu(s3, 0, "id-three");
  for (int i = 0; i < n; i++) {
    Octstr *os = pack(pdus[i]);
    octstr_append(stream, os);
    octstr_destroy(os);
  }
  /* Plus a 16-byte header-only error response and an unknown command. */
  unsigned char raw[32];
  header(raw, 16, generic_nack, 0, 0x3333); /* unknown seq: ignored */
  header(raw + 16, 16, 0x0000FFFF, 0, 503);
  octstr_append_data(stream, (const char *)raw, sizeof raw);

  const unsigned char *b = (const unsigned char *)octstr_get_cstr(stream);
  size_t len = (size_t)octstr_len(stream);
  size_t step = chunk ? chunk : len;
  for (size_t off = 0; off < len; off += step) {
    size_t k = len - off < step ? len - off : step;
    vg_smpp_session_feed(f->s, b + off, k, 20);
  }
  octstr_destroy(stream);

  /* What must have happened, however the bytes were cut. */
  assert_string_equal(f->log,
                      "bound;resp:1:0:id-one;deliver:501:8613912345678:2;"
                      "resp:2:88:;deliver:502:8613700000000:5;"
                      "resp:3:0:id-three;");
  f->out_rd = mark;
  assert_int_equal(expect_out(f, enquire_link_resp, 0), 500);
  assert_int_equal(expect_out(f, deliver_sm_resp, 0), 501);
  assert_int_equal(expect_out(f, data_sm_resp, 0), 502);
  assert_int_equal(expect_out(f, generic_nack, VG_SMPP_ESME_RINVCMDID), 503);
  assert_int_equal(out_pending(f), 0);
  assert_int_equal(f->nfatal, 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_BOUND);
  assert_int_equal(vg_smpp_session_in_flight(f->s), 0);
}

static void test_stream_one_feed(void **state) { run_stream(*state, 0); }
static void test_stream_byte_by_byte(void **state) { run_stream(*state, 1); }
static void test_stream_odd_chunks(void **state) {
  (void)state;
  static const size_t chunks[] = {2, 3, 5, 7, 15, 16, 17, 31, 64};
  for (size_t i = 0; i < VG_ARRAY_SIZE(chunks); i++) {
    fx_t *f = fx_new(VG_SMPP_ROLE_TRX);
    run_stream(f, chunks[i]);
    fx_free(f);
  }
}

/* Every split point of one deliver_sm: two feeds, the same result. */
static void test_split_at_every_boundary(void **state) {
  (void)state;
  Octstr *os = pack(mo_pdu(9));
  size_t len = (size_t)octstr_len(os);
  const unsigned char *b = (const unsigned char *)octstr_get_cstr(os);
  for (size_t cut = 0; cut <= len; cut++) {
    fx_t *f = fx_new(VG_SMPP_ROLE_TRX);
    bind_ok(f, 0);
    vg_smpp_session_feed(f->s, b, cut, 10);
    assert_int_equal(f->ndeliver, cut == len);
    vg_smpp_session_feed(f->s, b + cut, len - cut, 10);
    assert_int_equal(f->ndeliver, 1);
    assert_int_equal(f->deliver_seq, 9);
    assert_int_equal(f->d.sm_len, 2);
    assert_memory_equal(f->d_sm, "TD", 2);
    assert_int_equal(out_pending(f), 0);
    fx_free(f);
  }
  octstr_destroy(os);
}

/* Empty reads are harmless, before and after any input was buffered. */
static void test_feed_nothing(void **state) {
  fx_t *f = *state;

  assert_int_equal(vg_smpp_session_open(f->s, 0), 0);
  uint32_t seq = expect_out(f, bind_transceiver, 0);
  vg_smpp_session_feed(f->s, NULL, 0, 1);
  Octstr *os = pack(smpp_pdu_create(bind_transceiver_resp, seq));
  vg_smpp_session_feed(f->s, (const unsigned char *)octstr_get_cstr(os), 5,
                       2);
  vg_smpp_session_feed(f->s, NULL, 0, 3);
  vg_smpp_session_feed(f->s, (const unsigned char *)octstr_get_cstr(os) + 5,
                       (size_t)octstr_len(os) - 5, 4);
  octstr_destroy(os);
  vg_smpp_session_feed(f->s, NULL, 0, 5);
  assert_int_equal(f->nbound, 1);
  assert_int_equal(out_pending(f), 0);
}

/* ---- inbound messages ---------------------------------------------------- */

static void test_deliver_sm_fields(void **state) {
  fx_t *f = *state;
  static const unsigned char text[] = {0x00, 'H', 0x00, 'i', 0x4F, 0x60};
  static const unsigned char its[2] = {0x01, 0x02};
  static const unsigned char nec[3] = {0x03, 0x00, 0x0B};
  bind_ok(f, 0);

  SMPP_PDU *pdu = smpp_pdu_create(deliver_sm, 0x600D);
  struct deliver_sm *p = &pdu->u.deliver_sm;
  p->source_addr_ton = 1;
  p->source_addr_npi = 1;
  p->source_addr = octstr_create("8613912345678");
  p->dest_addr_ton = 0;
  p->dest_addr_npi = 1;
  p->destination_addr = octstr_create("10690001");
  p->esm_class = 0x04;
  p->data_coding = 8;
  p->short_message = octstr_create_from_data((const char *)text, sizeof text);
  p->receipted_message_id = octstr_create("0A1B2C3D4E");
  p->message_state = 2; /* DELIVERED */
  p->ussd_service_op = octstr_create_from_data("\x12", 1);
  p->its_session_info = octstr_create_from_data((const char *)its, 2);
  p->user_message_reference = 65535;
  p->network_error_code = octstr_create_from_data((const char *)nec, 3);
  feed_pdu(f, pdu, 10);

  assert_int_equal(f->ndeliver, 1);
  assert_int_equal(f->deliver_seq, 0x600D);
  assert_int_equal(f->d.is_data_sm, 0);
  assert_string_equal(f->d.source, "8613912345678");
  assert_int_equal(f->d.source_ton, 1);
  assert_int_equal(f->d.source_npi, 1);
  assert_string_equal(f->d.dest, "10690001");
  assert_int_equal(f->d.esm_class, 0x04);
  assert_int_equal(f->d.data_coding, 8);
  assert_int_equal(f->d.sm_len, sizeof text);
  assert_memory_equal(f->d.sm, text, sizeof text);
  assert_non_null(f->d.receipted_message_id);
  assert_string_equal(f->d.receipted_message_id, "0A1B2C3D4E");
  assert_int_equal(f->d.message_state, 2);
  assert_int_equal(f->d.ussd_service_op, 0x12);
  assert_non_null(f->d.its_session_info);
  assert_memory_equal(f->d.its_session_info, its, 2);
  assert_int_equal(f->d.user_message_reference, 65535);
  assert_non_null(f->d.network_error_code);
  assert_memory_equal(f->d.network_error_code, nec, 3);

  /* Not answered until the owner says so. */
  assert_int_equal(out_pending(f), 0);
  vg_smpp_session_deliver_resp(f->s, 0x600D, VG_SMPP_ESME_ROK, 0);
  assert_int_equal(expect_out(f, deliver_sm_resp, 0), 0x600D);
  vg_smpp_session_deliver_resp(f->s, 0x600E, VG_SMPP_ESME_RX_T_APPN, 0);
  assert_int_equal(expect_out(f, deliver_sm_resp, VG_SMPP_ESME_RX_T_APPN),
                   0x600E);
  assert_int_equal(out_pending(f), 0);
}

static void test_deliver_sm_absent_tlvs(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  feed_pdu(f, mo_pdu(70), 10);
  assert_int_equal(f->ndeliver, 1);
  assert_null(f->d.receipted_message_id);
  assert_int_equal(f->d.message_state, -1);
  assert_int_equal(f->d.ussd_service_op, -1);
  assert_null(f->d.its_session_info);
  assert_int_equal(f->d.user_message_reference, -1);
  assert_null(f->d.network_error_code);
  assert_string_equal(f->d.source, "8613912345678");
  assert_string_equal(f->d.dest, "106900");

  /* message_payload wins over short_message. */
  SMPP_PDU *pdu = mo_pdu(71);
  unsigned char big[300];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = (unsigned char)i;
  octstr_destroy(pdu->u.deliver_sm.short_message);
  pdu->u.deliver_sm.short_message = NULL;
  pdu->u.deliver_sm.message_payload =
      octstr_create_from_data((const char *)big, sizeof big);
  feed_pdu(f, pdu, 20);
  assert_int_equal(f->ndeliver, 2);
  assert_int_equal(f->d.sm_len, sizeof big);
  assert_memory_equal(f->d_sm, big, sizeof big);
}

static void test_data_sm(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  SMPP_PDU *pdu = smpp_pdu_create(data_sm, 0x0D);
  struct data_sm *p = &pdu->u.data_sm;
  p->source_addr_ton = 1;
  p->source_addr_npi = 1;
  p->source_addr = octstr_create("8613700000000");
  p->destination_addr = octstr_create("*123#");
  p->data_coding = 0x0F;
  p->message_payload = octstr_create("menu 1");
  p->receipted_message_id = octstr_create("r-9");
  p->message_state = 5; /* UNDELIVERABLE */
  p->ussd_service_op = octstr_create_from_data("\x11", 1);
  p->its_session_info = octstr_create_from_data("\x7F\x01", 2);
  p->user_message_reference = 0; /* a value, not "absent" */
  feed_pdu(f, pdu, 10);

  assert_int_equal(f->ndeliver, 1);
  assert_int_equal(f->deliver_seq, 0x0D);
  assert_int_equal(f->d.is_data_sm, 1);
  assert_string_equal(f->d.source, "8613700000000");
  assert_string_equal(f->d.dest, "*123#");
  assert_int_equal(f->d.data_coding, 0x0F);
  assert_int_equal(f->d.sm_len, 6);
  assert_memory_equal(f->d.sm, "menu 1", 6);
  assert_string_equal(f->d.receipted_message_id, "r-9");
  assert_int_equal(f->d.message_state, 5);
  assert_int_equal(f->d.ussd_service_op, 0x11);
  assert_memory_equal(f->d.its_session_info, "\x7F\x01", 2);
  assert_int_equal(f->d.user_message_reference, 0);

  vg_smpp_session_deliver_resp(f->s, 0x0D, VG_SMPP_ESME_ROK, 1);
  assert_int_equal(expect_out(f, data_sm_resp, 0), 0x0D);
  assert_int_equal(out_pending(f), 0);
}

static void test_deliver_before_bound(void **state) {
  fx_t *f = *state;

  assert_int_equal(vg_smpp_session_open(f->s, 0), 0);
  uint32_t bseq = expect_out(f, bind_transceiver, 0);
  feed_pdu(f, mo_pdu(0x44), 10);
  assert_int_equal(expect_out(f, deliver_sm_resp, VG_SMPP_ESME_RINVBNDSTS),
                   0x44);
  SMPP_PDU *d = smpp_pdu_create(data_sm, 0x45);
  d->u.data_sm.source_addr = octstr_create("1");
  d->u.data_sm.destination_addr = octstr_create("2");
  feed_pdu(f, d, 10);
  assert_int_equal(expect_out(f, data_sm_resp, VG_SMPP_ESME_RINVBNDSTS),
                   0x45);
  assert_int_equal(f->ndeliver, 0);
  assert_int_equal(vg_smpp_session_state(f->s), VG_SMPP_BINDING);

  /* The bind still completes. */
  feed_pdu(f, smpp_pdu_create(bind_transceiver_resp, bseq), 20);
  assert_int_equal(f->nbound, 1);
  assert_int_equal(out_pending(f), 0);
}

static void test_deliver_to_transmitter(void **state) {
  (void)state;
  fx_t *f = fx_new(VG_SMPP_ROLE_TX);
  bind_ok(f, 0);
  feed_pdu(f, mo_pdu(0x46), 10);
  assert_int_equal(expect_out(f, deliver_sm_resp, VG_SMPP_ESME_RINVBNDSTS),
                   0x46);
  assert_int_equal(f->ndeliver, 0);
  fx_free(f);
}

/*
 * An ESME_ROK to an MO is only known to have reached the SMSC when it
 * answers something we wrote after it (it reads in order).  With nothing
 * else to send, the next tick asks with an enquire_link.
 */
static void test_peer_read_by_enquire_link(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);
  assert_int_equal(f->npeer_read, 1); /* the bind, answered */
  uint64_t bind_no = f->peer_read_upto;

  feed_pdu(f, mo_pdu(0x47), 10);
  vg_smpp_session_deliver_resp(f->s, 0x47, VG_SMPP_ESME_ROK, 0);
  uint64_t answer_no = vg_smpp_session_written(f->s);
  assert_true(answer_no > bind_no);
  assert_int_equal(expect_out(f, deliver_sm_resp, 0), 0x47);
  assert_int_equal(f->npeer_read, 1);

  /* Long before the idle interval: the proof is asked for at once. */
  vg_smpp_session_tick(f->s, 11);
  uint32_t seq = expect_out(f, enquire_link, 0);
  assert_int_equal(out_pending(f), 0);
  assert_int_equal(f->npeer_read, 1); /* not yet answered */
  vg_smpp_session_tick(f->s, 12);
  assert_int_equal(out_pending(f), 0); /* one at a time */

  feed_pdu(f, smpp_pdu_create(enquire_link_resp, seq), 20);
  assert_int_equal(f->npeer_read, 2);
  assert_true(f->peer_read_upto > answer_no);
  assert_int_equal(f->peer_read_upto, vg_smpp_session_written(f->s));

  /* Proven: nothing more until the link is idle. */
  vg_smpp_session_tick(f->s, 21);
  assert_int_equal(out_pending(f), 0);
  vg_smpp_session_tick(f->s, 20 + T_ENQ);
  expect_out(f, enquire_link, 0);
}

/* A submit_sm written after the answer is proof enough: no enquire_link. */
static void test_peer_read_by_submit(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);
  feed_pdu(f, mo_pdu(0x50), 10);
  vg_smpp_session_deliver_resp(f->s, 0x50, VG_SMPP_ESME_ROK, 0);
  uint64_t answer_no = vg_smpp_session_written(f->s);
  expect_out(f, deliver_sm_resp, 0);
  uint32_t seq = submit(f, 7, 11);
  vg_smpp_session_tick(f->s, 12);
  assert_int_equal(out_pending(f), 0);

  feed_pdu(f, submit_resp_pdu(seq, 0, "M1"), 30);
  assert_int_equal(f->npeer_read, 2);
  assert_true(f->peer_read_upto > answer_no);
  assert_resp(f, 0, 7, 0, "M1");
}

/*
 * An answer the SMSC may not have read: the temporary error (it delivers
 * again anyway) asks for no proof, and after a reset nothing from the old
 * connection is proven by the new one's answers.
 */
static void test_peer_read_not_wanted(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);
  feed_pdu(f, mo_pdu(0x51), 10);
  vg_smpp_session_deliver_resp(f->s, 0x51, VG_SMPP_ESME_RX_T_APPN, 0);
  expect_out(f, deliver_sm_resp, VG_SMPP_ESME_RX_T_APPN);
  vg_smpp_session_tick(f->s, 11);
  assert_int_equal(out_pending(f), 0);

  feed_pdu(f, mo_pdu(0x52), 20);
  vg_smpp_session_deliver_resp(f->s, 0x52, VG_SMPP_ESME_ROK, 0);
  expect_out(f, deliver_sm_resp, 0);
  vg_smpp_session_tick(f->s, 21);
  uint32_t seq = expect_out(f, enquire_link, 0);
  vg_smpp_session_reset(f->s);
  /* The answer to the lost enquire_link, late: it proves nothing. */
  feed_pdu(f, smpp_pdu_create(enquire_link_resp, seq), 22);
  assert_int_equal(f->npeer_read, 1);
  vg_smpp_session_tick(f->s, 23);
  assert_int_equal(out_pending(f), 0); /* closed: nothing written */
}

static void test_deliver_resp_after_close(void **state) {
  fx_t *f = *state;
  bind_ok(f, 0);

  feed_pdu(f, mo_pdu(0x47), 10);
  assert_int_equal(f->ndeliver, 1);
  vg_smpp_session_reset(f->s);
  vg_smpp_session_deliver_resp(f->s, 0x47, VG_SMPP_ESME_ROK, 0);
  assert_int_equal(out_pending(f), 0); /* the SMSC will redeliver */
}

/* ---- main ---------------------------------------------------------------- */

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
  vg_gwlib_init();
  const struct CMUnitTest tests[] = {
      T(test_status_names_and_classes),
      T(test_bind_transceiver),
      T(test_bind_transmitter),
      T(test_bind_receiver),
      T(test_bind_refused),
      T(test_bind_refused_header_only),
      T(test_bind_timeout),
      T(test_submit_fields),
      T(test_submit_long_goes_to_payload),
      T(test_submit_ussd_tlvs),
      T(test_submit_invalid),
      T(test_submit_window),
      T(test_submit_responses),
      T(test_seq_wrap),
      T(test_seq_wrap_mixed_pdus),
      T(test_seq_skips_outstanding),
      T(test_enquire_link_from_smsc),
      T(test_enquire_link_idle),
      T(test_enquire_link_unanswered),
      T(test_submit_timeout),
      T(test_submit_timeout_reset_in_fatal),
      T(test_reset_hands_back_submits),
      T(test_reset_from_callbacks),
      T(test_unbind_from_smsc),
      T(test_unbind_ours),
      T(test_unbind_ours_unanswered),
      T(test_unknown_command_id),
      T(test_bad_command_length),
      T(test_max_command_length),
      T(test_truncated_deliver),
      T(test_deliver_sm_length_overrun),
      T(test_stream_one_feed),
      T(test_stream_byte_by_byte),
      T(test_stream_odd_chunks),
      T(test_split_at_every_boundary),
      T(test_feed_nothing),
      T(test_deliver_sm_fields),
      T(test_deliver_sm_absent_tlvs),
      T(test_data_sm),
      T(test_deliver_before_bound),
      T(test_deliver_to_transmitter),
      T(test_deliver_resp_after_close),
      T(test_peer_read_by_enquire_link),
      T(test_peer_read_by_submit),
      T(test_peer_read_not_wanted),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  gwlib_shutdown();
  return rc;
}
