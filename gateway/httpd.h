/*
 * httpd.h — an HTTP/1.1 server on the daemon's libuv loop: libmicrohttpd in
 * its external-event-loop mode (its epoll descriptor watched by one
 * uv_poll_t, its timeout by one uv_timer_t), no thread per request and no
 * second loop.
 *
 * It is a mechanism: it knows no route, no token and no JSON.  For each
 * request it reads the head, bounds and collects the body, and hands the
 * whole request to one handler, on the loop.  The handler answers at once
 * (vg_httpd_respond), or moves the work off the loop (vg_httpd_work: the
 * connection is suspended, the work runs on libuv's thread pool, and the
 * answer is given from its `done` callback, on the loop).  A blocking
 * Redis call therefore never holds the loop, and the SMPP and Redis work
 * of the daemon never waits on HTTP.
 *
 * Slow clients: a connection idle for `timeout_s` is closed by
 * libmicrohttpd; the number of connections, and of connections per client
 * address, is bounded; a body larger than its limit is refused with 413
 * before it is read.
 */
#ifndef VG_HTTPD_H
#define VG_HTTPD_H

#include <stddef.h>
#include <uv.h>

typedef struct vg_httpd_s vg_httpd_t;
typedef struct vg_httpd_req_s vg_httpd_req_t;

typedef struct {
  const char *listen;   /* "127.0.0.1:8080", "[::1]:8080" or ":8080" */
  const char *tls_cert; /* PEM files; both or neither ("" for none) */
  const char *tls_key;
  size_t body_max;      /* the largest body a handler's limit may allow */
  unsigned timeout_s;   /* idle connection timeout */
  unsigned max_conns;   /* connections in all */
  unsigned max_per_ip;  /* connections from one address */
} vg_httpd_opts_t;

/*
 * The head of a request has come: the handler may set the request's body
 * limit (vg_httpd_set_body_max) before the body is read.  Called on the
 * loop; may be NULL.
 */
typedef void (*vg_httpd_head_cb)(void *data, vg_httpd_req_t *req);
/* The whole request has come: answer it (now or after vg_httpd_work). */
typedef void (*vg_httpd_request_cb)(void *data, vg_httpd_req_t *req);

/*
 * Listen as `o` says.  NULL with the reason in `err` (a bad address, a port
 * in use, unreadable TLS files).
 */
vg_httpd_t *vg_httpd_new(uv_loop_t *loop, const vg_httpd_opts_t *o,
                         vg_httpd_head_cb head, vg_httpd_request_cb request,
                         void *data, char *err, size_t errsz);

/*
 * Stop listening and close every connection once the work in flight has
 * come back (its answers are still given).  `done` (may be NULL) fires on
 * the loop when every handle is closed; the server is freed then.
 */
void vg_httpd_close(vg_httpd_t *h, void (*done)(void *data), void *data);

/* "HOST:PORT" -> an address: 0, or -1 with the reason in `err`. */
struct sockaddr_storage;
int vg_httpd_parse_listen(const char *s, struct sockaddr_storage *ss,
                          char *err, size_t errsz);

/* The port it listens on (the one the system chose for port 0). */
int vg_httpd_port(const vg_httpd_t *h);

/* --- one request ------------------------------------------------------------ */

const char *vg_httpd_method(const vg_httpd_req_t *r); /* "GET" */
const char *vg_httpd_path(const vg_httpd_req_t *r);   /* "/v1/messages" */
/* A header's value (any case), or NULL. */
const char *vg_httpd_header(const vg_httpd_req_t *r, const char *name);
/* A query-string argument, decoded, or NULL. */
const char *vg_httpd_query(const vg_httpd_req_t *r, const char *name);
/* The query-string arguments, at most `max`, into names[] and values[]
 * (libmicrohttpd's strings, valid for the request): how many. */
size_t vg_httpd_queries(const vg_httpd_req_t *r, const char **names,
                        const char **values, size_t max);
/* The body, NUL-terminated (the NUL not counted); "" when none. */
const char *vg_httpd_body(const vg_httpd_req_t *r, size_t *len);
/* The client's address, "127.0.0.1" or "::1". */
const char *vg_httpd_client(const vg_httpd_req_t *r);

/* The most this request's body may hold (at most the server's body_max);
 * from the head callback. */
void vg_httpd_set_body_max(vg_httpd_req_t *r, size_t max);

/* The handler's own pointer, kept with the request (freed by nobody). */
void vg_httpd_set_data(vg_httpd_req_t *r, void *p);
void *vg_httpd_data(const vg_httpd_req_t *r);

/*
 * Add a header to the answer (before vg_httpd_respond); both copied.
 */
void vg_httpd_add_header(vg_httpd_req_t *r, const char *name,
                         const char *value);

/*
 * Answer the request: `status`, `type` (Content-Type) and `body` (`len`
 * bytes, malloc'd: taken, freed by the server).  On the loop, once per
 * request; the request is freed by the server after the answer is sent.
 */
void vg_httpd_respond(vg_httpd_req_t *r, unsigned status, const char *type,
                      char *body, size_t len);

/*
 * Run `work(arg)` on libuv's thread pool, then `done(arg)` on the loop,
 * which answers the request.  `work` must not touch the loop nor the
 * request, except for reading it (its strings stay valid).  0, or a libuv
 * error (the request is then still the caller's to answer).
 */
int vg_httpd_work(vg_httpd_req_t *r, void (*work)(void *arg),
                  void (*done)(void *arg), void *arg);

#endif
