/*
 * test_http.c — gateway/http.c over real loopback sockets, no mocks.
 *
 * Each test runs a tiny HTTP/1.1 server on 127.0.0.1:0 in the same uv loop
 * as the client, told per test how to answer: at once, with a status and a
 * body; never (hang); by closing the socket; or holding every answer until
 * N requests are in.  The server records what it saw (method, path,
 * Idempotency-Key, Content-Type, body) for the test to check.
 *
 * Teardown closes the client and the server and asserts the loop closes
 * clean, so every test is also a leak check.  A watchdog timer stops a hung
 * test; nothing asserts on elapsed time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <uv.h>

#include "gateway/http.h"
#include "gateway/vg.h"

/* ---- the server ----------------------------------------------------------- */

typedef enum {
  SRV_ANSWER, /* answer each request at once */
  SRV_HANG,   /* read requests, never answer */
  SRV_CLOSE,  /* read a request, close the connection */
  SRV_HOLD,   /* answer nothing until hold_n requests are in, then all */
} srv_mode_t;

typedef struct conn_s conn_t;

typedef struct {
  char method[16];
  char path[128];
  char key[128];
  int has_key;
  char content_type[128];
  char *body;
  size_t body_len;
  conn_t *conn; /* NULL once answered or closed */
} seen_t;

#define MAX_SEEN 16

typedef struct {
  uv_loop_t *loop;
  uv_tcp_t listener;
  int port;
  srv_mode_t mode;
  int status;            /* of answers */
  const char *resp_body; /* NULL: {"key":"<Idempotency-Key>"} */
  size_t resp_len;
  const char *hang_key;  /* requests with this key are never answered */
  int hold_n;
  seen_t seen[MAX_SEEN];
  int nseen;
  int connections; /* accepted in all */
  conn_t *conns;
} server_t;

struct conn_s {
  uv_tcp_t tcp;
  server_t *srv;
  char *buf;
  size_t len, cap;
  conn_t *next;
};

typedef struct {
  uv_write_t w;
  char data[];
} wreq_t;

static void on_conn_closed(uv_handle_t *h) {
  conn_t *c = h->data;
  free(c->buf);
  free(c);
}

static void conn_close(conn_t *c) {
  server_t *s = c->srv;
  for (conn_t **p = &s->conns; *p; p = &(*p)->next)
    if (*p == c) {
      *p = c->next;
      break;
    }
  for (int i = 0; i < s->nseen; i++)
    if (s->seen[i].conn == c)
      s->seen[i].conn = NULL;
  uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void on_written(uv_write_t *w, int status) { free(w); }

static const char *reason(int status) {
  return status == 200 ? "OK" : status == 503 ? "Service Unavailable" : "X";
}

static void answer(server_t *s, seen_t *r) {
  char echo[256];
  const char *body = s->resp_body;
  size_t blen = s->resp_len;
  if (body == NULL) {
    snprintf(echo, sizeof echo, "{\"key\":\"%s\"}", r->key);
    body = echo;
    blen = strlen(echo);
  }
  char head[256];
  int hlen = snprintf(head, sizeof head,
                      "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      s->status, reason(s->status), blen);
  wreq_t *w = malloc(sizeof *w + (size_t)hlen + blen);
  assert_non_null(w);
  memcpy(w->data, head, (size_t)hlen);
  memcpy(w->data + hlen, body, blen);
  uv_buf_t b = uv_buf_init(w->data, (unsigned)((size_t)hlen + blen));
  assert_int_equal(uv_write(&w->w, (uv_stream_t *)&r->conn->tcp, &b, 1,
                            on_written),
                   0);
  r->conn = NULL;
}

static void header_value(const char *line, const char *end, char *out,
                         size_t outsz) {
  const char *v = strchr(line, ':') + 1;
  while (v < end && *v == ' ')
    v++;
  size_t n = (size_t)(end - v) < outsz - 1 ? (size_t)(end - v) : outsz - 1;
  memcpy(out, v, n);
  out[n] = '\0';
}

static char *find(char *hay, size_t n, const char *needle) {
  size_t k = strlen(needle);
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(hay + i, needle, k) == 0)
      return hay + i;
  return NULL;
}

/* Parse one complete request at the start of c->buf; 0 if incomplete. */
static size_t parse_request(conn_t *c, seen_t *r) {
  char *hend = find(c->buf, c->len, "\r\n\r\n");
  if (hend == NULL)
    return 0;
  size_t head_len = (size_t)(hend - c->buf) + 4;
  size_t content_length = 0;
  memset(r, 0, sizeof *r);
  char *line = c->buf;
  char *eol = find(line, head_len, "\r\n");
  assert_int_equal(sscanf(line, "%15s %127s", r->method, r->path), 2);
  for (line = eol + 2; line < hend; line = eol + 2) {
    eol = find(line, (size_t)(hend + 2 - line), "\r\n");
    char tmp[32];
    if (strncasecmp(line, "Idempotency-Key:", 16) == 0) {
      header_value(line, eol, r->key, sizeof r->key);
      r->has_key = 1;
    } else if (strncasecmp(line, "Content-Type:", 13) == 0) {
      header_value(line, eol, r->content_type, sizeof r->content_type);
    } else if (strncasecmp(line, "Content-Length:", 15) == 0) {
      header_value(line, eol, tmp, sizeof tmp);
      content_length = strtoul(tmp, NULL, 10);
    }
  }
  if (c->len < head_len + content_length)
    return 0;
  r->body = malloc(content_length + 1);
  assert_non_null(r->body);
  memcpy(r->body, c->buf + head_len, content_length);
  r->body[content_length] = '\0';
  r->body_len = content_length;
  return head_len + content_length;
}

static void handle_request(conn_t *c, seen_t *r) {
  server_t *s = c->srv;
  r->conn = c;
  if (s->hang_key && strcmp(r->key, s->hang_key) == 0)
    return;
  switch (s->mode) {
  case SRV_ANSWER:
    answer(s, r);
    break;
  case SRV_HANG:
    break;
  case SRV_CLOSE:
    conn_close(c);
    break;
  case SRV_HOLD:
    if (s->nseen == s->hold_n)
      for (int i = 0; i < s->nseen; i++)
        if (s->seen[i].conn)
          answer(s, &s->seen[i]);
    break;
  }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b) {
  conn_t *c = h->data;
  if (c->cap - c->len < 4096) {
    c->cap = c->cap ? c->cap * 2 : 8192;
    c->buf = realloc(c->buf, c->cap);
    assert_non_null(c->buf);
  }
  *b = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b) {
  conn_t *c = st->data;
  server_t *s = c->srv;
  if (n < 0) {
    conn_close(c);
    return;
  }
  c->len += (size_t)n;
  for (;;) {
    assert_true(s->nseen < MAX_SEEN);
    seen_t *r = &s->seen[s->nseen];
    size_t used = parse_request(c, r);
    if (used == 0)
      return;
    memmove(c->buf, c->buf + used, c->len - used);
    c->len -= used;
    s->nseen++;
    handle_request(c, r);
    if (s->mode == SRV_CLOSE)
      return; /* c is closing */
  }
}

static void on_connection(uv_stream_t *l, int status) {
  server_t *s = l->data;
  assert_int_equal(status, 0);
  conn_t *c = calloc(1, sizeof *c);
  assert_non_null(c);
  c->srv = s;
  c->tcp.data = c;
  uv_tcp_init(s->loop, &c->tcp);
  assert_int_equal(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
  c->next = s->conns;
  s->conns = c;
  s->connections++;
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void server_start(uv_loop_t *loop, server_t *s) {
  struct sockaddr_in addr;
  struct sockaddr_storage bound;
  int len = sizeof bound;
  memset(s, 0, sizeof *s);
  s->loop = loop;
  s->status = 200;
  assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &addr), 0);
  assert_int_equal(uv_tcp_init(loop, &s->listener), 0);
  s->listener.data = s;
  assert_int_equal(
      uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t *)&s->listener, 16, on_connection),
                   0);
  assert_int_equal(uv_tcp_getsockname(&s->listener,
                                      (struct sockaddr *)&bound, &len),
                   0);
  s->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

static void server_close(server_t *s) {
  while (s->conns)
    conn_close(s->conns);
  uv_close((uv_handle_t *)&s->listener, NULL);
  for (int i = 0; i < s->nseen; i++)
    free(s->seen[i].body);
}

/* A port nothing listens on: bind one, note it, close it. */
static int dead_port(uv_loop_t *loop) {
  uv_tcp_t t;
  struct sockaddr_in addr;
  struct sockaddr_storage bound;
  int len = sizeof bound;
  uv_tcp_init(loop, &t);
  uv_ip4_addr("127.0.0.1", 0, &addr);
  assert_int_equal(uv_tcp_bind(&t, (const struct sockaddr *)&addr, 0), 0);
  assert_int_equal(uv_tcp_getsockname(&t, (struct sockaddr *)&bound, &len),
                   0);
  uv_close((uv_handle_t *)&t, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  return ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

/* ---- the fixture ---------------------------------------------------------- */

typedef struct fx_s fx_t;

typedef struct {
  fx_t *fx;
  int posted; /* vg_http_post_json accepted the call (post()) */
  int calls;
  long status;
  int timed_out, cancelled, truncated;
  char error[256];
  char *body;
  size_t body_len;
  void (*then)(fx_t *fx); /* run inside the callback */
} res_t;

#define MAX_RES 8

struct fx_s {
  uv_loop_t loop;
  server_t srv;
  vg_http_t *http;
  uv_timer_t watchdog;
  int watchdog_fired;
  int done;
  int closed;
  res_t res[MAX_RES];
  char url[64];
};

static void on_watchdog(uv_timer_t *t) {
  fx_t *fx = t->data;
  fx->watchdog_fired = 1;
}

static int setup(void **state) {
  fx_t *fx = calloc(1, sizeof *fx);
  assert_non_null(fx);
  assert_int_equal(uv_loop_init(&fx->loop), 0);
  server_start(&fx->loop, &fx->srv);
  fx->http = vg_http_new(&fx->loop);
  snprintf(fx->url, sizeof fx->url, "http://127.0.0.1:%d/activate",
           fx->srv.port);
  uv_timer_init(&fx->loop, &fx->watchdog);
  fx->watchdog.data = fx;
  uv_timer_start(&fx->watchdog, on_watchdog, 20000, 0);
  for (int i = 0; i < MAX_RES; i++)
    fx->res[i].fx = fx;
  *state = fx;
  return 0;
}

static void on_http_closed(void *arg) {
  fx_t *fx = arg;
  fx->closed++;
}

static int teardown(void **state) {
  fx_t *fx = *state;
  /* A second close (after a test closed it) must do nothing. */
  vg_http_close(fx->http, on_http_closed, fx);
  server_close(&fx->srv);
  uv_close((uv_handle_t *)&fx->watchdog, NULL);
  assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(fx->closed, 1);
  vg_http_free(fx->http);
  for (int i = 0; i < MAX_RES; i++) {
    /* A call accepted is called back exactly once (answered, failed or
     * cancelled by the close), one refused or never made not at all. */
    assert_int_equal(fx->res[i].calls, fx->res[i].posted);
    free(fx->res[i].body);
  }
  assert_int_equal(uv_loop_close(&fx->loop), 0);
  free(fx);
  return 0;
}

static void on_result(void *data, const vg_http_result_t *res) {
  res_t *r = data;
  r->calls++;
  r->fx->done++;
  r->status = res->status;
  r->timed_out = res->timed_out;
  r->cancelled = res->cancelled;
  r->truncated = res->truncated;
  assert_non_null(res->error);
  assert_non_null(res->body);
  assert_int_equal(res->body[res->body_len], '\0');
  snprintf(r->error, sizeof r->error, "%s", res->error);
  free(r->body);
  r->body = malloc(res->body_len + 1);
  assert_non_null(r->body);
  memcpy(r->body, res->body, res->body_len + 1);
  r->body_len = res->body_len;
  if (r->then)
    r->then(r->fx);
}

static void post(fx_t *fx, int i, const char *key, const char *json,
                 long timeout_ms) {
  assert_int_equal(fx->res[i].posted, 0); /* one call per result slot */
  assert_int_equal(vg_http_post_json(fx->http, fx->url, key, json, timeout_ms,
                                     on_result, &fx->res[i]),
                   0);
  fx->res[i].posted = 1;
}

static void run_until_done(fx_t *fx, int n) {
  while (fx->done < n && !fx->watchdog_fired)
    uv_run(&fx->loop, UV_RUN_ONCE);
  assert_false(fx->watchdog_fired);
}

static void run_until_seen(fx_t *fx, int n) {
  while (fx->srv.nseen < n && !fx->watchdog_fired)
    uv_run(&fx->loop, UV_RUN_ONCE);
  assert_false(fx->watchdog_fired);
}

#define ORDER_JSON                                                           \
  "{\"order\":\"o-1\",\"msisdn\":\"8613800138000\",\"service\":\"CL\","      \
  "\"action\":\"activate\"}"

/* ---- tests ---------------------------------------------------------------- */

static void test_post_ok(void **state) {
  fx_t *fx = *state;
  fx->srv.resp_body = "{\"result\":\"ok\"}";
  fx->srv.resp_len = strlen(fx->srv.resp_body);

  post(fx, 0, "order-1", ORDER_JSON, 5000);
  assert_int_equal(vg_http_in_flight(fx->http), 1);
  assert_int_equal(fx->res[0].calls, 0); /* never from inside the call */
  run_until_done(fx, 1);

  res_t *r = &fx->res[0];
  assert_int_equal(r->calls, 1);
  assert_int_equal(r->status, 200);
  assert_string_equal(r->error, "");
  assert_false(r->timed_out);
  assert_false(r->cancelled);
  assert_false(r->truncated);
  assert_string_equal(r->body, "{\"result\":\"ok\"}");
  assert_int_equal(r->body_len, strlen("{\"result\":\"ok\"}"));
  assert_int_equal(vg_http_in_flight(fx->http), 0);

  seen_t *s = &fx->srv.seen[0];
  assert_int_equal(fx->srv.nseen, 1);
  assert_string_equal(s->method, "POST");
  assert_string_equal(s->path, "/activate");
  assert_true(s->has_key);
  assert_string_equal(s->key, "order-1");
  assert_string_equal(s->content_type, "application/json");
  assert_int_equal(s->body_len, strlen(ORDER_JSON));
  assert_string_equal(s->body, ORDER_JSON);
}

static void test_no_key_no_header(void **state) {
  fx_t *fx = *state;
  post(fx, 0, NULL, "{}", 5000);
  run_until_done(fx, 1);
  assert_int_equal(fx->res[0].status, 200);
  assert_false(fx->srv.seen[0].has_key);
  assert_string_equal(fx->srv.seen[0].body, "{}");
}

static void test_status_503(void **state) {
  fx_t *fx = *state;
  fx->srv.status = 503;
  fx->srv.resp_body = "{\"result\":\"error\"}";
  fx->srv.resp_len = strlen(fx->srv.resp_body);
  post(fx, 0, "order-2", ORDER_JSON, 5000);
  run_until_done(fx, 1);
  res_t *r = &fx->res[0];
  assert_int_equal(r->status, 503);
  assert_string_equal(r->error, ""); /* an HTTP answer, however bad */
  assert_false(r->timed_out);
  assert_string_equal(r->body, "{\"result\":\"error\"}");
}

static void test_server_never_answers(void **state) {
  fx_t *fx = *state;
  fx->srv.mode = SRV_HANG;
  post(fx, 0, "order-3", ORDER_JSON, 300);
  run_until_done(fx, 1);
  res_t *r = &fx->res[0];
  assert_int_equal(fx->srv.nseen, 1); /* it got there, no answer came */
  assert_int_equal(r->calls, 1);
  assert_true(r->timed_out);
  assert_false(r->cancelled);
  assert_int_equal(r->status, 0);
  assert_string_equal(r->error, "timeout");
  assert_int_equal(r->body_len, 0);
}

static void test_nothing_listening(void **state) {
  fx_t *fx = *state;
  snprintf(fx->url, sizeof fx->url, "http://127.0.0.1:%d/activate",
           dead_port(&fx->loop));
  post(fx, 0, "order-4", ORDER_JSON, 5000);
  run_until_done(fx, 1);
  res_t *r = &fx->res[0];
  assert_int_equal(r->status, 0);
  assert_false(r->timed_out);
  assert_false(r->cancelled);
  assert_string_equal(r->error, "connection refused");
}

static void test_server_closes(void **state) {
  fx_t *fx = *state;
  fx->srv.mode = SRV_CLOSE;
  post(fx, 0, "order-5", ORDER_JSON, 5000);
  run_until_done(fx, 1);
  res_t *r = &fx->res[0];
  assert_int_equal(r->status, 0);
  assert_false(r->timed_out);
  assert_true(strlen(r->error) > 0);
}

/* The server answers none until all four are in: they are in flight at once. */
static void test_many_in_flight(void **state) {
  fx_t *fx = *state;
  char key[16];
  fx->srv.mode = SRV_HOLD;
  fx->srv.hold_n = 4;
  for (int i = 0; i < 4; i++) {
    snprintf(key, sizeof key, "k%d", i);
    post(fx, i, key, ORDER_JSON, 5000);
  }
  assert_int_equal(vg_http_in_flight(fx->http), 4);
  run_until_done(fx, 4);
  assert_int_equal(fx->srv.nseen, 4);
  for (int i = 0; i < 4; i++) {
    char want[32];
    snprintf(want, sizeof want, "{\"key\":\"k%d\"}", i);
    assert_int_equal(fx->res[i].calls, 1);
    assert_int_equal(fx->res[i].status, 200);
    assert_string_equal(fx->res[i].body, want);
  }
  assert_int_equal(vg_http_in_flight(fx->http), 0);
}

/* Keep-alive: a second request to the same server reuses the connection. */
static void test_connection_reused(void **state) {
  fx_t *fx = *state;
  post(fx, 0, "a", "{}", 5000);
  run_until_done(fx, 1);
  post(fx, 1, "b", "{}", 5000);
  run_until_done(fx, 2);
  assert_int_equal(fx->res[1].status, 200);
  assert_string_equal(fx->res[1].body, "{\"key\":\"b\"}");
  assert_int_equal(fx->srv.nseen, 2);
  assert_int_equal(fx->srv.connections, 1);
}

static void test_long_body_truncated(void **state) {
  fx_t *fx = *state;
  size_t n = 100000;
  char *big = malloc(n);
  assert_non_null(big);
  memset(big, 'x', n);
  fx->srv.resp_body = big;
  fx->srv.resp_len = n;
  post(fx, 0, "big", "{}", 5000);
  run_until_done(fx, 1);
  free(big);
  assert_int_equal(fx->res[0].status, 200);
  assert_true(fx->res[0].truncated);
  assert_int_equal(fx->res[0].body_len, VG_HTTP_BODY_MAX);
}

static void test_close_with_one_in_flight(void **state) {
  fx_t *fx = *state;
  fx->srv.mode = SRV_HANG;
  post(fx, 0, "order-6", ORDER_JSON, 10000);
  run_until_seen(fx, 1);
  assert_int_equal(fx->res[0].calls, 0);

  vg_http_close(fx->http, on_http_closed, fx);
  res_t *r = &fx->res[0];
  assert_int_equal(r->calls, 1);
  assert_true(r->cancelled);
  assert_false(r->timed_out);
  assert_int_equal(r->status, 0);
  assert_string_equal(r->error, "cancelled");
  assert_int_equal(vg_http_in_flight(fx->http), 0);
  assert_int_equal(fx->closed, 0); /* handles close from the loop */

  /* Closed: refused at once, and that callback never fires. */
  assert_int_equal(vg_http_post_json(fx->http, fx->url, "late", "{}", 1000,
                                     on_result, &fx->res[1]),
                   VG_ENOTCONN);
  uv_run(&fx->loop, UV_RUN_NOWAIT);
  assert_int_equal(fx->res[1].calls, 0);
  assert_int_equal(r->calls, 1);
  /* teardown: the loop closes clean and on_closed fired once */
}

static void close_client(fx_t *fx) {
  vg_http_close(fx->http, on_http_closed, fx);
}

/* Closing from inside a callback cancels the rest, each exactly once. */
static void test_close_from_callback(void **state) {
  fx_t *fx = *state;
  fx->srv.hang_key = "slow";
  post(fx, 1, "slow", "{}", 10000);
  run_until_seen(fx, 1);
  fx->res[0].then = close_client;
  post(fx, 0, "fast", "{}", 10000);
  run_until_done(fx, 2);
  assert_int_equal(fx->res[0].calls, 1);
  assert_int_equal(fx->res[0].status, 200);
  assert_int_equal(fx->res[1].calls, 1);
  assert_true(fx->res[1].cancelled);
  assert_int_equal(vg_http_in_flight(fx->http), 0);
}

static void post_next(fx_t *fx) { post(fx, 1, "second", "{\"n\":2}", 5000); }

static void test_post_from_callback(void **state) {
  fx_t *fx = *state;
  fx->res[0].then = post_next;
  post(fx, 0, "first", "{\"n\":1}", 5000);
  run_until_done(fx, 2);
  assert_int_equal(fx->res[1].status, 200);
  assert_string_equal(fx->res[1].body, "{\"key\":\"second\"}");
  assert_string_equal(fx->srv.seen[1].body, "{\"n\":2}");
}

/* A call refused at once never calls back. */
static void test_bad_arguments(void **state) {
  fx_t *fx = *state;
  vg_http_t *h = fx->http;
  res_t *r = &fx->res[0];
  assert_int_equal(vg_http_post_json(h, NULL, "k", "{}", 1000, on_result, r),
                   VG_EINVAL);
  assert_int_equal(vg_http_post_json(h, "", "k", "{}", 1000, on_result, r),
                   VG_EINVAL);
  assert_int_equal(
      vg_http_post_json(h, fx->url, "k", NULL, 1000, on_result, r), VG_EINVAL);
  assert_int_equal(vg_http_post_json(h, fx->url, "k", "{}", 1000, NULL, r),
                   VG_EINVAL);
  assert_int_equal(vg_http_post_json(h, fx->url, "k", "{}", 0, on_result, r),
                   VG_EINVAL);
  assert_int_equal(vg_http_post_json(h, fx->url, "k\r\nX-Evil: 1", "{}", 1000,
                                     on_result, r),
                   VG_EINVAL);
  assert_int_equal(vg_http_in_flight(h), 0);
  uv_run(&fx->loop, UV_RUN_NOWAIT);
  assert_int_equal(r->calls, 0);
  assert_int_equal(fx->srv.connections, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_post_ok),
      T(test_no_key_no_header),
      T(test_status_503),
      T(test_server_never_answers),
      T(test_nothing_listening),
      T(test_server_closes),
      T(test_many_in_flight),
      T(test_connection_reused),
      T(test_long_body_truncated),
      T(test_close_with_one_in_flight),
      T(test_close_from_callback),
      T(test_post_from_callback),
      T(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
