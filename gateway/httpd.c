/*
 * httpd.c — see httpd.h.
 *
 * libmicrohttpd runs with MHD_USE_EPOLL and no thread of its own: every
 * socket it owns is in one epoll set, whose descriptor is watched by a
 * uv_poll_t; when it is readable, or when the timeout libmicrohttpd asks
 * for has passed, MHD_run() does whatever is ready without blocking.
 * Suspended connections (work on the thread pool) are resumed from the
 * loop; the resume wakes libmicrohttpd's own inter-thread channel, which is
 * in the same epoll set, so the answer goes out on the next poll.
 */
#include "autoconfig.h"
#include "gateway/httpd.h"
#include "gateway/log.h"
#include "gateway/vg.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if MHD_VERSION < 0x00097002
#error "libmicrohttpd 0.9.70 or later is needed (enum MHD_Result)"
#endif

typedef struct {
  char *name, *value;
} header_t;

struct vg_httpd_req_s {
  vg_httpd_t *h;
  struct MHD_Connection *conn;
  const char *method, *path; /* libmicrohttpd's, valid for the request */
  char client[64];
  size_t body_max;
  char *body;
  size_t len, cap;
  int too_large;
  int suspended;  /* in vg_httpd_work */
  int in_handler; /* inside the access handler: queue the answer at once */
  int answered;
  /* the answer, kept while the connection is suspended */
  unsigned status;
  struct MHD_Response *resp;
  header_t *headers;
  size_t nheaders;
  void *data;
  uv_work_t work;
  void (*work_fn)(void *);
  void (*done_fn)(void *);
  void *arg;
};

struct vg_httpd_s {
  uv_loop_t *loop;
  struct MHD_Daemon *mhd;
  uv_poll_t poll;
  uv_timer_t timer;
  size_t body_max;
  vg_httpd_head_cb head;
  vg_httpd_request_cb request;
  void *data;
  int port;
  long in_work;   /* requests whose work has not come back */
  int closing, handles_open;
  void (*closed)(void *);
  void *closed_data;
  char *tls_cert, *tls_key;
};

static void run(vg_httpd_t *h);

/* --- the answer ------------------------------------------------------------- */

static void queue_answer(vg_httpd_req_t *r) {
  for (size_t i = 0; i < r->nheaders; i++) {
    MHD_add_response_header(r->resp, r->headers[i].name, r->headers[i].value);
    vg_free(r->headers[i].name);
    vg_free(r->headers[i].value);
  }
  vg_free(r->headers);
  r->headers = NULL;
  r->nheaders = 0;
  if (MHD_queue_response(r->conn, r->status, r->resp) != MHD_YES)
    vg_log_debug("http: could not queue the answer to %s %s", r->method,
                 r->path);
  MHD_destroy_response(r->resp);
  r->resp = NULL;
}

void vg_httpd_respond(vg_httpd_req_t *r, unsigned status, const char *type,
                      char *body, size_t len) {
  if (r->answered) {
    vg_free(body);
    return;
  }
  r->answered = 1;
  r->status = status;
  r->resp = MHD_create_response_from_buffer(len, body ? body : (char *)"",
                                            body ? MHD_RESPMEM_MUST_FREE
                                                 : MHD_RESPMEM_PERSISTENT);
  if (r->resp == NULL)
    vg_log_fatal("http: out of memory for an answer");
  if (type)
    MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  if (r->in_handler) {
    queue_answer(r);
  } else if (r->suspended) {
    /* libmicrohttpd calls the access handler again, which queues it. */
    r->suspended = 0;
    MHD_resume_connection(r->conn);
    run(r->h);
  }
}

void vg_httpd_add_header(vg_httpd_req_t *r, const char *name,
                         const char *value) {
  r->headers = vg_realloc(r->headers, (r->nheaders + 1) * sizeof *r->headers);
  r->headers[r->nheaders].name = vg_strdup(name);
  r->headers[r->nheaders].value = vg_strdup(value);
  r->nheaders++;
}

/* A short plain answer of the server's own (413, 500). */
static void respond_text(vg_httpd_req_t *r, unsigned status, const char *json) {
  vg_httpd_respond(r, status, "application/json", vg_strdup(json),
                   strlen(json));
}

/* --- work on the thread pool ------------------------------------------------ */

static void work_cb(uv_work_t *w) {
  vg_httpd_req_t *r = w->data;
  r->work_fn(r->arg);
}

static void after_work_cb(uv_work_t *w, int status) {
  vg_httpd_req_t *r = w->data;
  vg_httpd_t *h = r->h;
  h->in_work--;
  r->done_fn(r->arg);
  if (!r->answered)
    respond_text(r, 500, "{\"error\":{\"code\":\"internal\",\"message\":"
                         "\"the request was not answered\"}}");
  if (h->closing)
    vg_httpd_close(h, h->closed, h->closed_data);
}

int vg_httpd_work(vg_httpd_req_t *r, void (*work)(void *), void (*done)(void *),
                  void *arg) {
  r->work_fn = work;
  r->done_fn = done;
  r->arg = arg;
  r->work.data = r;
  int rc = uv_queue_work(r->h->loop, &r->work, work_cb, after_work_cb);
  if (rc != 0)
    return rc;
  r->h->in_work++;
  if (r->in_handler) {
    r->suspended = 1;
    MHD_suspend_connection(r->conn);
  }
  return 0;
}

/* --- libmicrohttpd's callbacks ------------------------------------------------ */

static void client_name(vg_httpd_req_t *r) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  vg_copy(r->client, sizeof r->client, "?");
  if (ci == NULL || ci->client_addr == NULL)
    return;
  if (ci->client_addr->sa_family == AF_INET)
    uv_ip4_name((const struct sockaddr_in *)ci->client_addr, r->client,
                sizeof r->client);
  else if (ci->client_addr->sa_family == AF_INET6)
    uv_ip6_name((const struct sockaddr_in6 *)ci->client_addr, r->client,
                sizeof r->client);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls) {
  vg_httpd_t *h = cls;
  vg_httpd_req_t *r = *con_cls;
  if (r == NULL) {
    /* The head: a new request. */
    r = vg_calloc(1, sizeof *r);
    r->h = h;
    r->conn = conn;
    r->method = method;
    r->path = url;
    r->body_max = h->body_max;
    client_name(r);
    *con_cls = r;
    r->in_handler = 1;
    if (h->head)
      h->head(h->data, r);
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!r->answered && cl && strtoull(cl, NULL, 10) > r->body_max)
      respond_text(r, 413, "{\"error\":{\"code\":\"too_large\",\"message\":"
                           "\"the body is larger than this request allows\"}}");
    r->in_handler = 0;
    return MHD_YES;
  }
  r->in_handler = 1;
  if (r->resp) {
    /* Resumed after its work: the answer is ready. */
    queue_answer(r);
    r->in_handler = 0;
    return MHD_YES;
  }
  if (*upload_size > 0) {
    /* A body without Content-Length (chunked) is bounded here. */
    if (!r->too_large && !r->answered) {
      if (r->len + *upload_size > r->body_max) {
        r->too_large = 1;
        vg_free(r->body);
        r->body = NULL;
        r->len = r->cap = 0;
      } else {
        if (r->len + *upload_size + 1 > r->cap) {
          r->cap = (r->len + *upload_size + 1) * 2;
          if (r->cap > r->body_max + 1)
            r->cap = r->body_max + 1;
          r->body = vg_realloc(r->body, r->cap);
        }
        memcpy(r->body + r->len, upload, *upload_size);
        r->len += *upload_size;
        r->body[r->len] = '\0';
      }
    }
    *upload_size = 0;
    r->in_handler = 0;
    return MHD_YES;
  }
  if (!r->answered) {
    if (r->too_large)
      respond_text(r, 413, "{\"error\":{\"code\":\"too_large\",\"message\":"
                           "\"the body is larger than this request allows\"}}");
    else
      h->request(h->data, r);
  }
  r->in_handler = 0;
  return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode why) {
  vg_httpd_req_t *r = *con_cls;
  if (r == NULL)
    return;
  *con_cls = NULL;
  if (r->resp)
    MHD_destroy_response(r->resp);
  for (size_t i = 0; i < r->nheaders; i++) {
    vg_free(r->headers[i].name);
    vg_free(r->headers[i].value);
  }
  vg_free(r->headers);
  vg_free(r->body);
  vg_free(r);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
  char line[512];
  vsnprintf(line, sizeof line, fmt, ap);
  size_t n = strlen(line);
  while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    line[--n] = '\0';
  vg_log_debug("http: %s", line);
}

/* --- the loop ------------------------------------------------------------------ */

static void on_timer(uv_timer_t *t) { run(t->data); }

static void on_poll(uv_poll_t *p, int status, int events) { run(p->data); }

/* Let libmicrohttpd do what is ready, then wait as long as it asks. */
static void run(vg_httpd_t *h) {
  if (h->mhd == NULL)
    return;
  MHD_run(h->mhd);
  MHD_UNSIGNED_LONG_LONG ms = 0;
  if (MHD_get_timeout(h->mhd, &ms) == MHD_YES)
    uv_timer_start(&h->timer, on_timer, ms > 60000 ? 60000 : ms, 0);
  else
    uv_timer_start(&h->timer, on_timer, 1000, 0);
}

/* --- start and stop ---------------------------------------------------------------- */

int vg_httpd_parse_listen(const char *s, struct sockaddr_storage *ss,
                          char *err, size_t errsz) {
  char host[128];
  const char *colon = strrchr(s, ':');
  if (colon == NULL || colon[1] == '\0') {
    snprintf(err, errsz, "'%s' is not HOST:PORT", s);
    return -1;
  }
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port < 0 || port > 65535) {
    snprintf(err, errsz, "'%s': the port is not 0 to 65535", s);
    return -1;
  }
  size_t hl = (size_t)(colon - s);
  if (hl >= sizeof host) {
    snprintf(err, errsz, "'%s': the host is too long", s);
    return -1;
  }
  memcpy(host, s, hl);
  host[hl] = '\0';
  if (hl == 0)
    vg_copy(host, sizeof host, "0.0.0.0");
  memset(ss, 0, sizeof *ss);
  if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
    host[hl - 1] = '\0';
    if (uv_ip6_addr(host + 1, (int)port, (struct sockaddr_in6 *)ss) == 0)
      return 0;
  } else if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) == 0) {
    return 0;
  }
  snprintf(err, errsz,
           "'%s': the host must be an IP address "
           "(127.0.0.1, [::1], or nothing before ':' for every address)",
           s);
  return -1;
}

static char *read_pem(const char *path, char *err, size_t errsz) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    snprintf(err, errsz, "[http] cannot read %s: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 4096, n = 0;
  char *buf = vg_malloc(cap);
  size_t k;
  while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += k;
    if (n + 1 == cap) {
      if (cap >= (1u << 20))
        break;
      cap *= 2;
      buf = vg_realloc(buf, cap);
    }
  }
  fclose(f);
  buf[n] = '\0';
  return buf;
}

vg_httpd_t *vg_httpd_new(uv_loop_t *loop, const vg_httpd_opts_t *o,
                         vg_httpd_head_cb head, vg_httpd_request_cb request,
                         void *data, char *err, size_t errsz) {
  struct sockaddr_storage ss;
  char why[200];
  if (vg_httpd_parse_listen(o->listen, &ss, why, sizeof why) != 0) {
    snprintf(err, errsz, "[http] listen %s", why);
    return NULL;
  }
  if (!o->tls_cert[0] != !o->tls_key[0]) {
    snprintf(err, errsz, "[http] tls_cert and tls_key go together: set both "
                         "or neither");
    return NULL;
  }
  vg_httpd_t *h = vg_calloc(1, sizeof *h);
  h->loop = loop;
  h->body_max = o->body_max;
  h->head = head;
  h->request = request;
  h->data = data;
  unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                   MHD_USE_ERROR_LOG | MHD_USE_TURBO;
  if (ss.ss_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  int tls = o->tls_cert && o->tls_cert[0];
  if (tls) {
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
      snprintf(err, errsz, "[http] TLS: this libmicrohttpd has no TLS");
      vg_free(h);
      return NULL;
    }
    if ((h->tls_cert = read_pem(o->tls_cert, err, errsz)) == NULL ||
        (h->tls_key = read_pem(o->tls_key, err, errsz)) == NULL) {
      vg_free(h->tls_cert);
      vg_free(h);
      return NULL;
    }
    flags |= MHD_USE_TLS;
  }
  struct MHD_OptionItem tls_opts[] = {
      {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, h->tls_cert},
      {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, h->tls_key},
      {MHD_OPTION_END, 0, NULL}};
  h->mhd = MHD_start_daemon(
      flags, 0, NULL, NULL, on_access, h, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned int)o->timeout_s, MHD_OPTION_CONNECTION_LIMIT,
      (unsigned int)o->max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      (unsigned int)o->max_per_ip, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
      h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h, MHD_OPTION_ARRAY,
      tls_opts, MHD_OPTION_END);
  if (h->mhd == NULL) {
    snprintf(err, errsz,
             "[http] cannot listen on %s (in use, not an address of this "
             "machine, or the TLS files are not a certificate and its key)",
             o->listen);
    vg_free(h->tls_cert);
    vg_free(h->tls_key);
    vg_free(h);
    return NULL;
  }
  const union MHD_DaemonInfo *di =
      MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
  const union MHD_DaemonInfo *pi =
      MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
  h->port = pi ? pi->port : 0;
  uv_poll_init(loop, &h->poll, di->epoll_fd);
  h->poll.data = h;
  uv_timer_init(loop, &h->timer);
  h->timer.data = h;
  h->handles_open = 2;
  uv_poll_start(&h->poll, UV_READABLE, on_poll);
  run(h);
  return h;
}

int vg_httpd_port(const vg_httpd_t *h) { return h->port; }

static void on_handle_closed(uv_handle_t *hd) {
  vg_httpd_t *h = hd->data;
  if (--h->handles_open > 0)
    return;
  if (h->closed)
    h->closed(h->closed_data);
  vg_free(h->tls_cert);
  vg_free(h->tls_key);
  vg_free(h);
}

void vg_httpd_close(vg_httpd_t *h, void (*done)(void *), void *data) {
  if (h->mhd == NULL)
    return; /* already closed */
  h->closing = 1;
  h->closed = done;
  h->closed_data = data;
  if (h->in_work > 0) {
    /* Stop taking connections now; close once the work is back. */
    MHD_quiesce_daemon(h->mhd);
    return;
  }
  MHD_stop_daemon(h->mhd);
  h->mhd = NULL;
  uv_poll_stop(&h->poll);
  uv_timer_stop(&h->timer);
  uv_close((uv_handle_t *)&h->poll, on_handle_closed);
  uv_close((uv_handle_t *)&h->timer, on_handle_closed);
}

/* --- reading the request -------------------------------------------------------- */

const char *vg_httpd_method(const vg_httpd_req_t *r) { return r->method; }
const char *vg_httpd_path(const vg_httpd_req_t *r) { return r->path; }
const char *vg_httpd_client(const vg_httpd_req_t *r) { return r->client; }

const char *vg_httpd_header(const vg_httpd_req_t *r, const char *name) {
  return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *vg_httpd_query(const vg_httpd_req_t *r, const char *name) {
  return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

typedef struct {
  const char **names, **values;
  size_t n, max;
} queries_t;

static enum MHD_Result one_query(void *cls, enum MHD_ValueKind kind,
                                 const char *key, const char *value) {
  queries_t *q = cls;
  if (q->n == q->max)
    return MHD_NO;
  q->names[q->n] = key;
  q->values[q->n] = value ? value : "";
  q->n++;
  return MHD_YES;
}

size_t vg_httpd_queries(const vg_httpd_req_t *r, const char **names,
                        const char **values, size_t max) {
  queries_t q = {names, values, 0, max};
  MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, one_query, &q);
  return q.n;
}

const char *vg_httpd_body(const vg_httpd_req_t *r, size_t *len) {
  if (len)
    *len = r->len;
  return r->body ? r->body : "";
}

void vg_httpd_set_body_max(vg_httpd_req_t *r, size_t max) {
  r->body_max = max < r->h->body_max ? max : r->h->body_max;
}

void vg_httpd_set_data(vg_httpd_req_t *r, void *p) { r->data = p; }
void *vg_httpd_data(const vg_httpd_req_t *r) { return r->data; }
