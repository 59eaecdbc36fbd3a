/*
 * http.c — libcurl multi on libuv, the pattern curl documents for event
 * loops (multi-uv): curl tells us which sockets to watch (SOCKETFUNCTION)
 * and when to wake it (TIMERFUNCTION); we tell it what happened with
 * curl_multi_socket_action() and then collect finished transfers.
 *
 * Re-entrancy: user callbacks run only from finish(), never inside a libcurl
 * call, so they may post new requests or close the client.  A close from a
 * callback cleans the multi handle up at once; the loops that were reading
 * it check `closing` before touching it again.
 */
#include "gateway/http.h"
#include "autoconfig.h"
#include "gateway/log.h"
#include "gateway/vg.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* One request: its easy handle, headers and the body read so far. */
typedef struct req_s {
  vg_http_t *h;
  CURL *easy;
  struct curl_slist *headers;
  vg_http_cb cb;
  void *data;
  uint64_t started_ns;
  char *body; /* NUL-terminated; grows up to VG_HTTP_BODY_MAX */
  size_t body_len;
  size_t body_cap;
  int truncated;
  char errbuf[CURL_ERROR_SIZE];
  struct req_s *prev, *next;
} req_t;

/* One socket curl asked us to watch. */
typedef struct sock_s {
  vg_http_t *h;
  curl_socket_t fd;
  uv_poll_t poll;
  struct sock_s *prev, *next;
} sock_t;

struct vg_http_s {
  uv_loop_t *loop;
  CURLM *multi;       /* NULL once closed */
  uv_timer_t timer;   /* curl's single timeout */
  req_t *reqs;        /* in flight */
  size_t in_flight;
  sock_t *socks;      /* polls not yet closing */
  unsigned open_handles; /* uv handles not yet closed: timer and polls */
  int closing;
  int closed;         /* every handle closed */
  int free_pending;   /* vg_http_free() waits for the handles */
  void (*on_closed)(void *);
  void *on_closed_arg;
};

/* --- lists -------------------------------------------------------------- */

#define LIST_ADD(head, x)                                                    \
  do {                                                                       \
    (x)->prev = NULL;                                                        \
    (x)->next = (head);                                                      \
    if (head)                                                                \
      (head)->prev = (x);                                                    \
    (head) = (x);                                                            \
  } while (0)

#define LIST_DEL(head, x)                                                    \
  do {                                                                       \
    if ((x)->prev)                                                           \
      (x)->prev->next = (x)->next;                                           \
    else                                                                     \
      (head) = (x)->next;                                                    \
    if ((x)->next)                                                           \
      (x)->next->prev = (x)->prev;                                           \
    (x)->prev = (x)->next = NULL;                                            \
  } while (0)

/* --- handle bookkeeping: on_closed fires when the last one is closed ------ */

static void really_free(vg_http_t *h) {
  vg_free(h);
  curl_global_cleanup();
}

static void handle_closed(vg_http_t *h) {
  if (--h->open_handles > 0 || !h->closing)
    return;
  h->closed = 1;
  /* Read before on_closed, which may free h. */
  int free_pending = h->free_pending;
  void (*on_closed)(void *) = h->on_closed;
  void *arg = h->on_closed_arg;
  if (on_closed)
    on_closed(arg);
  if (free_pending)
    really_free(h);
}

static void on_timer_closed(uv_handle_t *t) {
  handle_closed(vg_container_of(t, vg_http_t, timer));
}

static void on_poll_closed(uv_handle_t *p) {
  sock_t *s = vg_container_of(p, sock_t, poll);
  vg_http_t *h = s->h;
  vg_free(s);
  handle_closed(h);
}

static void sock_close(sock_t *s) {
  LIST_DEL(s->h->socks, s);
  uv_close((uv_handle_t *)&s->poll, on_poll_closed);
}

/* --- finishing a request -------------------------------------------------- */

_Static_assert(CURL_ERROR_SIZE <= VG_HTTP_ERROR_MAX + 1,
               "curl's error text must fit VG_HTTP_ERROR_MAX");

/* Short reason for a transfer that got no complete HTTP answer. */
static const char *failure_text(req_t *r, CURLcode rc) {
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return "timeout";
  long os_errno = 0;
  if (rc == CURLE_COULDNT_CONNECT &&
      curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK &&
      os_errno == ECONNREFUSED)
    return "connection refused";
  return r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
}

/*
 * The single exit of every accepted request: detach it from the multi
 * handle, call back exactly once, free it.  `rc` is curl's result, or -1 for
 * a cancellation.
 */
static void finish(req_t *r, int rc) {
  vg_http_t *h = r->h;
  vg_http_result_t res;
  memset(&res, 0, sizeof res);
  if (rc == CURLE_OK)
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
  if (h->multi)
    curl_multi_remove_handle(h->multi, r->easy);
  LIST_DEL(h->reqs, r);
  h->in_flight--;

  res.cancelled = rc < 0;
  res.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
  res.error = rc == CURLE_OK ? ""
              : rc < 0       ? "cancelled"
                             : failure_text(r, (CURLcode)rc);
  res.body = r->body ? r->body : "";
  res.body_len = r->body_len;
  res.truncated = r->truncated;
  res.total_ms = (double)(uv_hrtime() - r->started_ns) / 1e6;

  if (vg_log_enabled(VG_LOG_DEBUG)) {
    const char *url = NULL;
    curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &url);
    vg_log_debug("http POST %s: %ld%s%s (%.1f ms)", url ? url : "?",
                 res.status, res.error[0] ? " " : "", res.error,
                 res.total_ms);
  }
  r->cb(r->data, &res);

  curl_easy_cleanup(r->easy);
  curl_slist_free_all(r->headers);
  vg_free(r->body);
  vg_free(r);
}

/* Hand every transfer curl has finished to finish(). */
static void check_multi_info(vg_http_t *h) {
  CURLMsg *msg;
  int left;
  /* A callback may close the client, which cleans the multi handle up. */
  while (!h->closing && (msg = curl_multi_info_read(h->multi, &left))) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    char *priv = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
    finish((req_t *)priv, msg->data.result);
  }
}

/* --- curl asks: watch a socket, set a timer ------------------------------- */

static void on_poll(uv_poll_t *p, int status, int events) {
  sock_t *s = vg_container_of(p, sock_t, poll);
  vg_http_t *h = s->h;
  int flags = 0;
  /* An error (a reset, a refused connect) goes to curl as such: it then
   * reads the socket's error and fails or retries the connection. */
  if (status < 0)
    flags = CURL_CSELECT_ERR;
  else {
    if (events & UV_READABLE)
      flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
      flags |= CURL_CSELECT_OUT;
  }
  int running;
  /* s may be closed (not yet freed) by curl inside this call: use h. */
  curl_multi_socket_action(h->multi, s->fd, flags, &running);
  check_multi_info(h);
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
                          void *socketp) {
  vg_http_t *h = userp;
  sock_t *s = socketp;
  if (what == CURL_POLL_REMOVE) {
    if (s) {
      /* During curl_multi_cleanup() the multi handle is being torn down. */
      if (!h->closing)
        curl_multi_assign(h->multi, fd, NULL);
      uv_poll_stop(&s->poll);
      sock_close(s);
    }
    return 0;
  }
  if (s == NULL) {
    s = vg_calloc(1, sizeof *s);
    s->h = h;
    s->fd = fd;
    if (uv_poll_init_socket(h->loop, &s->poll, fd) != 0) {
      vg_log_error("http: cannot watch socket %d", (int)fd);
      vg_free(s);
      return -1; /* curl fails the transfer */
    }
    h->open_handles++;
    LIST_ADD(h->socks, s);
    curl_multi_assign(h->multi, fd, s);
  }
  int events = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
    events |= UV_READABLE;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
    events |= UV_WRITABLE;
  uv_poll_start(&s->poll, events, on_poll);
  return 0;
}

static void on_timer(uv_timer_t *t) {
  vg_http_t *h = vg_container_of(t, vg_http_t, timer);
  int running;
  curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_multi_info(h);
}

/* curl must not be re-entered from here: a 0 ms timeout fires on the next
 * loop iteration, which is also why a request never completes inside
 * vg_http_post_json(). */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp) {
  vg_http_t *h = userp;
  if (h->closing)
    return 0;
  if (timeout_ms < 0)
    uv_timer_stop(&h->timer);
  else
    uv_timer_start(&h->timer, on_timer, (uint64_t)timeout_ms, 0);
  return 0;
}

/* --- the client ----------------------------------------------------------- */

vg_http_t *vg_http_new(uv_loop_t *loop) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    vg_log_error("http: curl_global_init failed");
    abort();
  }
  vg_http_t *h = vg_calloc(1, sizeof *h);
  h->loop = loop;
  h->multi = curl_multi_init();
  if (h->multi == NULL) {
    vg_log_error("http: curl_multi_init failed");
    abort();
  }
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
  uv_timer_init(loop, &h->timer);
  h->open_handles = 1;
  return h;
}

size_t vg_http_in_flight(const vg_http_t *h) { return h->in_flight; }

/* Keep at most VG_HTTP_BODY_MAX bytes; swallow the rest so the transfer
 * still completes (a long error page is still an answer). */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userp) {
  req_t *r = userp;
  size_t n = size * nmemb;
  size_t room = VG_HTTP_BODY_MAX - r->body_len;
  size_t take = n < room ? n : room;
  if (take < n)
    r->truncated = 1;
  if (take == 0)
    return n;
  if (r->body_len + take + 1 > r->body_cap) {
    size_t cap = r->body_cap ? r->body_cap : 1024;
    while (cap < r->body_len + take + 1)
      cap *= 2;
    if (cap > VG_HTTP_BODY_MAX + 1)
      cap = VG_HTTP_BODY_MAX + 1;
    r->body = vg_realloc(r->body, cap);
    r->body_cap = cap;
  }
  memcpy(r->body + r->body_len, ptr, take);
  r->body_len += take;
  r->body[r->body_len] = '\0';
  return n;
}

/* A header value must not smuggle in another header. */
static int header_value_ok(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return 0;
  return 1;
}

static struct curl_slist *build_headers(const char *idempotency_key) {
  struct curl_slist *l = NULL;
  l = curl_slist_append(l, "Content-Type: application/json");
  l = curl_slist_append(l, "Accept: application/json");
  /* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
  l = curl_slist_append(l, "Expect:");
  if (idempotency_key) {
    size_t n = strlen(idempotency_key) + sizeof "Idempotency-Key: ";
    char *line = vg_malloc(n);
    snprintf(line, n, "Idempotency-Key: %s", idempotency_key);
    l = curl_slist_append(l, line);
    vg_free(line);
  }
  return l;
}

static int setup_easy(req_t *r, const char *url, const char *json,
                      long timeout_ms) {
  CURL *e = r->easy;
  long connect_ms = timeout_ms < VG_HTTP_CONNECT_TIMEOUT_MS
                        ? timeout_ms
                        : VG_HTTP_CONNECT_TIMEOUT_MS;
  int bad = 0;
  bad |= curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
  /* Request/response: Nagle would hold the body back for a delayed ACK. */
  bad |= curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK;
  /* "*": no proxy for any host, whatever http_proxy says. */
  bad |= curl_easy_setopt(e, CURLOPT_NOPROXY, "*") != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "vasgw/" PACKAGE_VERSION) !=
         CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                          (curl_off_t)strlen(json)) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, json) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, r) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, r) != CURLE_OK;
  return bad ? VG_EIO : 0;
}

static void req_free(req_t *r) {
  if (r->easy)
    curl_easy_cleanup(r->easy);
  curl_slist_free_all(r->headers);
  vg_free(r);
}

int vg_http_post_json(vg_http_t *h, const char *url,
                      const char *idempotency_key, const char *json,
                      long timeout_ms, vg_http_cb cb, void *data) {
  if (url == NULL || url[0] == '\0' || json == NULL || cb == NULL ||
      timeout_ms <= 0 ||
      (idempotency_key && !header_value_ok(idempotency_key)))
    return VG_EINVAL;
  if (h->closing)
    return VG_ENOTCONN;
  req_t *r = vg_calloc(1, sizeof *r);
  r->h = h;
  r->cb = cb;
  r->data = data;
  r->started_ns = uv_hrtime();
  r->easy = curl_easy_init();
  if (r->easy == NULL) {
    req_free(r);
    return VG_EIO;
  }
  r->headers = build_headers(idempotency_key);
  int rc = setup_easy(r, url, json, timeout_ms);
  if (rc == 0 && curl_multi_add_handle(h->multi, r->easy) != CURLM_OK)
    rc = VG_EIO;
  if (rc != 0) {
    vg_log_warn("http: cannot start a POST to %s", url);
    req_free(r);
    return rc;
  }
  LIST_ADD(h->reqs, r);
  h->in_flight++;
  return 0;
}

void vg_http_close(vg_http_t *h, void (*on_closed)(void *), void *arg) {
  if (h->closing)
    return;
  h->closing = 1;
  h->on_closed = on_closed;
  h->on_closed_arg = arg;
  /* Posting is refused from here on, so the list only shrinks. */
  while (h->reqs)
    finish(h->reqs, -1);
  /* Closes the kept-alive connections; curl may still call on_curl_socket
   * with CURL_POLL_REMOVE for them, which closes their polls. */
  curl_multi_cleanup(h->multi);
  h->multi = NULL;
  while (h->socks)
    sock_close(h->socks);
  uv_close((uv_handle_t *)&h->timer, on_timer_closed);
}

void vg_http_free(vg_http_t *h) {
  if (h == NULL)
    return;
  if (!h->closing)
    vg_http_close(h, NULL, NULL);
  if (!h->closed) {
    h->free_pending = 1; /* the last handle's close callback frees it */
    return;
  }
  really_free(h);
}
