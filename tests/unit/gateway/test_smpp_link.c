/*
 * test_smpp_link.c — gateway/smpp_link.c on a real loopback socket.
 *
 * The test plays an SMSC inside the same libuv loop: a uv_tcp_t server on
 * 127.0.0.1 that answers the bind, sends enquire_link and deliver_sm, and
 * reads what the link writes.  It checks the ACK side of the link (the
 * comment above ack_now in smpp_link.c): what the link reads and does not
 * answer in the same loop iteration is acknowledged at once with
 * TCP_QUICKACK, so an SMSC with Nagle on is not left waiting for Linux's
 * delayed ACK (40 ms) before its next PDU; what it answers is acknowledged
 * by the answer, with no setsockopt.  "Acknowledged" is read from the
 * SMSC's side of the socket: TCP_INFO's tcpi_unacked, the segments it sent
 * that are not yet ACKed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "gateway/gwlib_init.h"
#include "gateway/log.h"
#include "gateway/smpp_link.h"
#include "gateway/vg.h"

#include "gw/smsc/smpp_pdu.h"

typedef struct {
  uv_loop_t loop;
  uv_tcp_t server, smsc; /* the listener and the SMSC's end of the link */
  int accepted;
  unsigned char in[65536];
  size_t in_len;
  int binds, enquire_resps, deliver_resps;
  uint32_t smsc_seq;
  vg_smpp_link_t link;
  int bound, ndeliver, closed;
  uint32_t deliver_seq;
} fx_t;

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static void smsc_write(fx_t *f, const unsigned char *p, size_t n) {
  uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
  assert_int_equal(uv_try_write((uv_stream_t *)&f->smsc, &b, 1), (int)n);
}

static void smsc_send_pdu(fx_t *f, SMPP_PDU *pdu) {
  Octstr *os = smpp_pdu_pack(NULL, pdu);
  smpp_pdu_destroy(pdu);
  assert_non_null(os);
  smsc_write(f, (const unsigned char *)octstr_get_cstr(os),
             (size_t)octstr_len(os));
  octstr_destroy(os);
}

/* --- the SMSC ---------------------------------------------------------------- */

static void smsc_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  fx_t *f = h->data;
  (void)hint;
  *buf = uv_buf_init((char *)f->in + f->in_len,
                     (unsigned)(sizeof f->in - f->in_len));
}

static void smsc_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  fx_t *f = st->data;
  (void)buf;
  if (n <= 0)
    return;
  f->in_len += (size_t)n;
  size_t off = 0;
  while (f->in_len - off >= 16 && f->in_len - off >= be32(f->in + off)) {
    const unsigned char *p = f->in + off;
    uint32_t len = be32(p), id = be32(p + 4), seq = be32(p + 12);
    if (id == 0x00000009u) { /* bind_transceiver */
      SMPP_PDU *r = smpp_pdu_create(bind_transceiver_resp, seq);
      r->u.bind_transceiver_resp.system_id = octstr_create("smsc");
      smsc_send_pdu(f, r);
      f->binds++;
    } else if (id == 0x80000015u) {
      f->enquire_resps++;
    } else if (id == 0x80000005u) {
      f->deliver_resps++;
    }
    off += len;
  }
  memmove(f->in, f->in + off, f->in_len - off);
  f->in_len -= off;
}

static void smsc_accept(uv_stream_t *server, int status) {
  fx_t *f = server->data;
  assert_int_equal(status, 0);
  uv_tcp_init(&f->loop, &f->smsc);
  f->smsc.data = f;
  assert_int_equal(uv_accept(server, (uv_stream_t *)&f->smsc), 0);
  /* An SMSC that leaves Nagle on, as node-smpp's server does. */
  uv_tcp_nodelay(&f->smsc, 0);
  uv_read_start((uv_stream_t *)&f->smsc, smsc_alloc, smsc_read);
  f->accepted = 1;
}

/* Segments the SMSC sent that the link has not acknowledged. */
static unsigned smsc_unacked(fx_t *f) {
  uv_os_fd_t fd;
  struct tcp_info ti;
  socklen_t len = sizeof ti;
  assert_int_equal(uv_fileno((uv_handle_t *)&f->smsc, &fd), 0);
  assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
  return ti.tcpi_unacked;
}

/* --- the link's owner ---------------------------------------------------------- */

static void on_bound(vg_smpp_link_t *l) { ((fx_t *)l->data)->bound = 1; }

static void on_deliver(vg_smpp_link_t *l, const vg_smpp_deliver_t *d,
                       uint32_t seq) {
  fx_t *f = l->data;
  (void)d;
  f->ndeliver++;
  f->deliver_seq = seq; /* answered later, as after a Redis round trip */
}

static void on_closed(vg_smpp_link_t *l) { ((fx_t *)l->data)->closed = 1; }

static const vg_smpp_link_cb_t link_cb = {
    .bound = on_bound, .deliver = on_deliver, .closed = on_closed};

/* --- helpers ------------------------------------------------------------------ */

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Run the loop until *flag reaches want (5 s at most), then one iteration
 * more: the link's flush (a uv_prepare_t) runs at the start of the next
 * iteration after the read. */
static void run_until(fx_t *f, const int *flag, int want) {
  uint64_t end = now_ms() + 5000;
  while (*flag < want && now_ms() < end)
    uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_int_equal(*flag, want);
  uv_run(&f->loop, UV_RUN_NOWAIT);
}

/* Wait up to ms for the SMSC's data to be acknowledged; the unacked count.
 * Linux's delayed ACK is 40 ms at the least. */
static unsigned unacked_after(fx_t *f, unsigned ms) {
  uint64_t end = now_ms() + ms;
  unsigned u;
  while ((u = smsc_unacked(f)) != 0 && now_ms() < end)
    ;
  return u;
}

static int setup(void **state) {
  fx_t *f = vg_calloc(1, sizeof *f);
  assert_int_equal(uv_loop_init(&f->loop), 0);
  uv_tcp_init(&f->loop, &f->server);
  f->server.data = f;
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  assert_int_equal(uv_tcp_bind(&f->server, (const struct sockaddr *)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t *)&f->server, 4, smsc_accept), 0);
  struct sockaddr_storage ss;
  int sl = sizeof ss;
  uv_tcp_getsockname(&f->server, (struct sockaddr *)&ss, &sl);
  int port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
  vg_smpp_session_opts_t o = {.system_id = "vasgw",
                              .password = "secret",
                              .system_type = "VMA",
                              .role = VG_SMPP_ROLE_TRX,
                              .response_timeout_ms = 5000,
                              .enquire_link_interval_ms = 30000,
                              .window = 10};
  vg_smpp_link_init(&f->loop, &f->link, "trx", "127.0.0.1", port, &o, 1000,
                    &link_cb, f);
  vg_smpp_link_start(&f->link);
  f->smsc_seq = 1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  vg_smpp_link_close(&f->link);
  if (f->accepted)
    uv_close((uv_handle_t *)&f->smsc, NULL);
  uv_close((uv_handle_t *)&f->server, NULL);
  uint64_t end = now_ms() + 5000;
  while (!f->closed && now_ms() < end)
    uv_run(&f->loop, UV_RUN_NOWAIT);
  uv_run(&f->loop, UV_RUN_DEFAULT); /* the remaining close callbacks */
  assert_int_equal(f->closed, 1);
  vg_smpp_link_free(&f->link);
  assert_int_equal(uv_loop_close(&f->loop), 0);
  vg_free(f);
  return 0;
}

/* --- tests -------------------------------------------------------------------- */

static void test_quickack(void **state) {
  fx_t *f = *state;
  run_until(f, &f->bound, 1);
  assert_int_equal(f->binds, 1);
  /* The bind_resp needs no answer: acknowledged with TCP_QUICKACK. */
  assert_int_equal(f->link.quickacks, 1);
  assert_int_equal(unacked_after(f, 10), 0);

  /* Requests the link answers at once: the answer carries the ACK.  (They
   * also put the link's socket in Linux's interactive, delayed-ACK mode:
   * data read just after data sent.) */
  for (int i = 1; i <= 3; i++) {
    smsc_send_pdu(f, smpp_pdu_create(enquire_link, ++f->smsc_seq));
    run_until(f, &f->enquire_resps, i);
  }
  assert_int_equal(f->link.quickacks, 1);
  assert_int_equal(unacked_after(f, 10), 0);

  /* An MO the owner answers later (after Redis): the ACK may not wait for
   * the deliver_sm_resp, nor for Linux's delayed-ACK timer. */
  SMPP_PDU *d = smpp_pdu_create(deliver_sm, ++f->smsc_seq);
  d->u.deliver_sm.source_addr_ton = 1;
  d->u.deliver_sm.source_addr_npi = 1;
  d->u.deliver_sm.source_addr = octstr_create("8613900000000");
  d->u.deliver_sm.destination_addr = octstr_create("10658000");
  d->u.deliver_sm.short_message = octstr_create("BZ");
  smsc_send_pdu(f, d);
  run_until(f, &f->ndeliver, 1);
  assert_int_equal(f->link.quickacks, 2);
  assert_int_equal(unacked_after(f, 10), 0);

  /* Its answer goes out with no setsockopt of its own. */
  vg_smpp_session_deliver_resp(f->link.session, f->deliver_seq, 0, 0);
  run_until(f, &f->deliver_resps, 1);
  assert_int_equal(f->link.quickacks, 2);
}

int main(void) {
  vg_gwlib_init();
  vg_log_open(NULL, VG_LOG_WARN); /* not "bound as transceiver" */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_quickack, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
