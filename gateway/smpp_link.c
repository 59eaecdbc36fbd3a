/*
 * smpp_link.c — vg_smpp_session_t wired to libuv.
 */
#include "gateway/smpp_link.h"
#include "gateway/log.h"
#include "gateway/vg.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static void start_connect(vg_smpp_link_t *l);
static void drop_transport(vg_smpp_link_t *l, const char *why);

/* --- session callbacks -------------------------------------------------- */

static vg_smpp_link_t *link_of(vg_smpp_session_t *s) {
  return vg_smpp_session_data(s);
}

static void s_write(vg_smpp_session_t *s, const unsigned char *buf,
                    size_t len) {
  vg_smpp_link_t *l = link_of(s);
  if (l->out_len + len > l->out_cap) {
    size_t cap = l->out_cap ? l->out_cap : 16384;
    while (cap < l->out_len + len)
      cap *= 2;
    l->out = vg_realloc(l->out, cap);
    l->out_cap = cap;
  }
  memcpy(l->out + l->out_len, buf, len);
  l->out_len += len;
}

static void s_bound(vg_smpp_session_t *s) {
  vg_smpp_link_t *l = link_of(s);
  l->backoff_ms = 1000;
  l->binds++;
  l->bound = 1;
  vg_log_info("smpp %s %s:%d: bound as %s", l->name, l->host, l->port,
              vg_smpp_role_name(vg_smpp_session_role(s)));
  if (l->cb.bound)
    l->cb.bound(l);
}

static void s_bind_failed(vg_smpp_session_t *s, uint32_t status) {
  vg_smpp_link_t *l = link_of(s);
  char buf[16];
  l->bind_failures++;
  snprintf(l->last_error, sizeof l->last_error, "bind refused: %s",
           vg_smpp_status_name(status, buf));
  vg_log_error("smpp %s %s:%d: bind refused by the SMSC: %s "
               "(check system_id, password, system_type)",
               l->name, l->host, l->port, vg_smpp_status_name(status, buf));
  drop_transport(l, NULL);
}

static void s_submit_resp(vg_smpp_session_t *s, void *tag, int64_t status,
                          const char *msgid) {
  vg_smpp_link_t *l = link_of(s);
  if (l->cb.submit_resp)
    l->cb.submit_resp(l, tag, status, msgid);
}

static void s_deliver(vg_smpp_session_t *s, const vg_smpp_deliver_t *d,
                      uint32_t seq) {
  vg_smpp_link_t *l = link_of(s);
  l->cb.deliver(l, d, seq);
}

static void s_unbound(vg_smpp_session_t *s, int by_peer) {
  vg_smpp_link_t *l = link_of(s);
  vg_log_info("smpp %s %s:%d: unbound (%s)", l->name, l->host, l->port,
              by_peer ? "by the SMSC" : "by us");
  if (by_peer) {
    /* unbind_resp is in the write buffer: flush it before closing. */
    drop_transport(l, "unbind from the SMSC");
  } else {
    drop_transport(l, NULL);
  }
}

static void s_fatal(vg_smpp_session_t *s, const char *reason) {
  vg_smpp_link_t *l = link_of(s);
  vg_log_warn("smpp %s %s:%d: %s; closing the connection", l->name, l->host,
              l->port, reason);
  snprintf(l->last_error, sizeof l->last_error, "%s", reason);
  drop_transport(l, NULL);
}

static void s_notice(vg_smpp_session_t *s, const char *what) {
  vg_smpp_link_t *l = link_of(s);
  vg_log_warn("smpp %s: %s", l->name, what);
}

static void s_peer_read(vg_smpp_session_t *s, uint64_t upto) {
  vg_smpp_link_t *l = link_of(s);
  if (l->cb.peer_read)
    l->cb.peer_read(l, upto);
}

static const vg_smpp_session_cb_t session_cb = {
    s_write,  s_bound, s_bind_failed, s_submit_resp, s_deliver,
    s_unbound, s_fatal, s_notice,     s_peer_read};

/* --- writing ---------------------------------------------------------------- */

typedef struct {
  uv_write_t req;
  uv_buf_t buf;
} wreq_t;

static void on_written(uv_write_t *req, int status) {
  wreq_t *w = vg_container_of(req, wreq_t, req);
  free(w->buf.base);
  free(w);
}

/*
 * Acknowledge what we read now, not up to 40 ms later.
 *
 * An SMSC that leaves Nagle on (node-smpp's server, tests/smsc-sim, many
 * others) holds each small write while any of its data is unacknowledged.
 * Linux delays the ACK of data we read when we have nothing to send back
 * ("pingpong" mode, up to 40 ms on loopback and LANs): after the
 * submit_sm_resp to our answer, which needs no reply, and after a
 * deliver_sm, whose deliver_sm_resp waits for Redis.  The SMSC's next
 * deliver_sm then sat in its kernel until our delayed ACK: MO -> answer
 * p50 22-25 ms, p99 47-53 ms against such a peer, against 1-3 / 4-7 ms
 * against one with TCP_NODELAY (bench/README.md, "Nagle").
 *
 * TCP_QUICKACK sends the pending ACK at once, but Linux does not keep it
 * (the socket re-enters delayed-ACK mode as soon as it exchanges data), so
 * it is set again after every loop iteration that read something and did
 * not write: a write carries the ACK anyway.  One setsockopt per such
 * iteration (about 1 µs) and one bare ACK packet; none when we answered.
 */
static void ack_now(vg_smpp_link_t *l) {
  l->read_unacked = 0;
#ifdef TCP_QUICKACK
  uv_os_fd_t fd;
  int one = 1;
  if (uv_fileno((const uv_handle_t *)&l->tcp, &fd) == 0 &&
      setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one) == 0)
    l->quickacks++;
#endif
}

static void flush_out(vg_smpp_link_t *l) {
  if (!l->tcp_open || l->connecting) {
    l->out_len = 0;
    l->read_unacked = 0;
    return;
  }
  if (l->out_len == 0) {
    if (l->read_unacked)
      ack_now(l);
    return;
  }
  uv_buf_t b = uv_buf_init((char *)l->out, (unsigned)l->out_len);
  int n = uv_try_write((uv_stream_t *)&l->tcp, &b, 1);
  size_t done = n > 0 ? (size_t)n : 0;
  if (done > 0)
    l->read_unacked = 0; /* the segment carries the ACK */
  else if (l->read_unacked)
    ack_now(l);
  if (done < l->out_len) {
    wreq_t *w = vg_malloc(sizeof *w);
    size_t rest = l->out_len - done;
    w->buf = uv_buf_init(vg_malloc(rest), (unsigned)rest);
    memcpy(w->buf.base, l->out + done, rest);
    if (uv_write(&w->req, (uv_stream_t *)&l->tcp, &w->buf, 1, on_written) !=
        0) {
      free(w->buf.base);
      free(w);
    }
  }
  l->out_len = 0;
}

static void on_prepare(uv_prepare_t *p) { flush_out(p->data); }

/* --- transport ---------------------------------------------------------------- */

static void on_tcp_closed(uv_handle_t *h) {
  vg_smpp_link_t *l = h->data;
  l->closing_handles--;
  if (l->stopping && l->closing_handles == 0 && l->cb.closed &&
      uv_is_closing((uv_handle_t *)&l->tick))
    l->cb.closed(l);
}

/* The retry timer's data is the link (set in vg_smpp_link_init). */
static void on_retry(uv_timer_t *t) { start_connect(t->data); }

static void schedule_retry(vg_smpp_link_t *l) {
  if (l->stopping)
    return;
  /* Exponential back-off with +-25% jitter, never a tight loop. */
  uint32_t b = l->backoff_ms;
  uint32_t delay = b - b / 4 + (uint32_t)rand() % (b / 2 + 1);
  l->backoff_ms = b * 2 > l->reconnect_max_ms ? l->reconnect_max_ms : b * 2;
  vg_log_info("smpp %s: reconnecting in %u ms", l->name, delay);
  uv_timer_start(&l->retry, on_retry, delay, 0);
}

/*
 * Close the socket (after flushing what the session queued, e.g. an
 * unbind_resp), reset the session so outstanding submits are handed back,
 * and schedule a reconnect.
 */
static void drop_transport(vg_smpp_link_t *l, const char *why) {
  /* The session may already be CLOSED (our unbind answered), so the link
   * remembers whether it owes its owner a 'down'. */
  int was_bound = l->bound;
  l->bound = 0;
  if (why)
    snprintf(l->last_error, sizeof l->last_error, "%s", why);
  if (l->tcp_open) {
    flush_out(l);
    uv_read_stop((uv_stream_t *)&l->tcp);
    l->tcp_open = 0;
    l->closing_handles++;
    uv_close((uv_handle_t *)&l->tcp, on_tcp_closed);
    l->disconnects++;
  }
  l->out_len = 0;
  vg_smpp_session_reset(l->session);
  if (was_bound && l->cb.down)
    l->cb.down(l);
  schedule_retry(l);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  static char slab[65536]; /* one loop thread: one read at a time */
  (void)h;
  (void)hint;
  *buf = uv_buf_init(slab, sizeof slab);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  vg_smpp_link_t *l = st->data;
  if (n > 0) {
    l->read_unacked = 1; /* acknowledged at the next flush (ack_now) */
    vg_smpp_session_feed(l->session, (const unsigned char *)buf->base,
                         (size_t)n, uv_now(l->loop));
    return;
  }
  if (n < 0) {
    vg_log_warn("smpp %s %s:%d: connection lost: %s", l->name, l->host,
                l->port, n == UV_EOF ? "closed by the SMSC" : uv_strerror((int)n));
    drop_transport(l, n == UV_EOF ? "closed by the SMSC" : uv_strerror((int)n));
  }
}

static void on_connected(uv_connect_t *req, int status) {
  vg_smpp_link_t *l = req->data;
  l->connecting = 0;
  if (status != 0) {
    vg_log_warn("smpp %s %s:%d: cannot connect: %s", l->name, l->host,
                l->port, uv_strerror(status));
    snprintf(l->last_error, sizeof l->last_error, "connect: %s",
             uv_strerror(status));
    if (l->tcp_open) {
      l->tcp_open = 0;
      l->closing_handles++;
      uv_close((uv_handle_t *)&l->tcp, on_tcp_closed);
    }
    schedule_retry(l);
    return;
  }
  if (l->stopping) {
    drop_transport(l, NULL);
    return;
  }
  uv_tcp_nodelay(&l->tcp, 1);
  uv_tcp_keepalive(&l->tcp, 1, 60);
  uv_read_start((uv_stream_t *)&l->tcp, on_alloc, on_read);
  vg_smpp_session_open(l->session, uv_now(l->loop));
}

static void on_resolved(uv_getaddrinfo_t *req, int status,
                        struct addrinfo *res) {
  vg_smpp_link_t *l = req->data;
  if (status != 0 || res == NULL) {
    vg_log_error("smpp %s: cannot resolve %s: %s", l->name, l->host,
                 uv_strerror(status));
    snprintf(l->last_error, sizeof l->last_error, "resolve: %s",
             uv_strerror(status));
    l->connecting = 0;
    if (res)
      uv_freeaddrinfo(res);
    schedule_retry(l);
    return;
  }
  uv_tcp_init(l->loop, &l->tcp);
  l->tcp.data = l;
  l->tcp_open = 1;
  l->connect_req.data = l;
  int rc = uv_tcp_connect(&l->connect_req, &l->tcp, res->ai_addr,
                          on_connected);
  uv_freeaddrinfo(res);
  if (rc != 0)
    on_connected(&l->connect_req, rc);
}

static void start_connect(vg_smpp_link_t *l) {
  if (l->stopping || l->connecting || l->tcp_open)
    return;
  l->connecting = 1;
  char port[16];
  snprintf(port, sizeof port, "%d", l->port);
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  l->gai.data = l;
  int rc = uv_getaddrinfo(l->loop, &l->gai, on_resolved, l->host, port,
                          &hints);
  if (rc != 0)
    on_resolved(&l->gai, rc, NULL);
}

static void on_tick(uv_timer_t *t) {
  vg_smpp_link_t *l = t->data;
  vg_smpp_session_tick(l->session, uv_now(l->loop));
}

void vg_smpp_link_init(uv_loop_t *loop, vg_smpp_link_t *l, const char *name,
                       const char *host, int port,
                       const vg_smpp_session_opts_t *opts,
                       uint32_t reconnect_max_ms, const vg_smpp_link_cb_t *cb,
                       void *data) {
  memset(l, 0, sizeof *l);
  l->loop = loop;
  l->name = name;
  snprintf(l->host, sizeof l->host, "%s", host);
  l->port = port;
  l->reconnect_max_ms = reconnect_max_ms < 1000 ? 1000 : reconnect_max_ms;
  l->backoff_ms = 1000;
  l->cb = *cb;
  l->data = data;
  l->session = vg_smpp_session_new(opts, &session_cb, l);
  uv_timer_init(loop, &l->tick);
  uv_timer_init(loop, &l->retry);
  uv_prepare_init(loop, &l->flush);
  l->tick.data = l->retry.data = l->flush.data = l;
}

void vg_smpp_link_start(vg_smpp_link_t *l) {
  uv_timer_start(&l->tick, on_tick, 250, 250);
  uv_prepare_start(&l->flush, on_prepare);
  start_connect(l);
}

void vg_smpp_link_stop(vg_smpp_link_t *l) {
  l->stopping = 1;
  uv_timer_stop(&l->retry);
  if (vg_smpp_session_unbind(l->session, uv_now(l->loop)) == 0) {
    flush_out(l);
    return; /* s_unbound or the response timeout closes the socket */
  }
  if (l->tcp_open && !l->connecting)
    drop_transport(l, NULL);
}

void vg_smpp_link_pause(vg_smpp_link_t *l) {
  if (l->paused)
    return;
  l->paused = 1;
  vg_smpp_link_stop(l);
}

void vg_smpp_link_resume(vg_smpp_link_t *l) {
  if (!l->paused)
    return;
  l->paused = 0;
  l->stopping = 0;
  l->backoff_ms = 1000;
  /* Still closing after the unbind: the close schedules the reconnect. */
  start_connect(l);
}

int vg_smpp_link_is_down(const vg_smpp_link_t *l) {
  return !l->tcp_open && !l->connecting;
}

void vg_smpp_link_close(vg_smpp_link_t *l) {
  l->stopping = 1;
  if (l->tcp_open) {
    uv_read_stop((uv_stream_t *)&l->tcp);
    l->tcp_open = 0;
    l->closing_handles++;
    uv_close((uv_handle_t *)&l->tcp, on_tcp_closed);
  }
  vg_smpp_session_reset(l->session);
  uv_close((uv_handle_t *)&l->retry, NULL);
  uv_close((uv_handle_t *)&l->flush, NULL);
  l->closing_handles++;
  uv_close((uv_handle_t *)&l->tick, on_tcp_closed);
}

void vg_smpp_link_free(vg_smpp_link_t *l) {
  vg_smpp_session_free(l->session);
  l->session = NULL;
  free(l->out);
  l->out = NULL;
}
