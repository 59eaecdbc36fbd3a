/*
 * api.h — the operator's HTTP API inside vasgwd (docs/api.md): the routes of
 * handlers/api_routes.def served by gateway/httpd.h, behind bearer tokens
 * and roles (handlers/tokens.h), with one error shape and Idempotency-Key
 * replay on every POST.
 *
 * Every endpoint runs on libuv's thread pool with a blocking Redis
 * connection of its own (a small pool), and calls the same functions as
 * the CLI: the Redis Functions, and the handlers' C around them.  Only
 * /healthz, /readyz and the dashboard's files are answered on the loop.
 *
 * The endpoints themselves are in handlers/api_*.c; this header is what
 * they share: the call they get, and how they answer.
 */
#ifndef VG_HANDLERS_API_H
#define VG_HANDLERS_API_H

#include "gateway/config.h"
#include "gateway/daemon.h"
#include "handlers/templates.h"
#include "handlers/tokens.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <uv.h>

typedef struct vg_api_s vg_api_t;

/* What the API reads of the node it runs in, on the loop. */
typedef struct {
  void (*state)(void *data, vg_daemon_state_t *out);
  void *data;
} vg_api_hooks_t;

/*
 * Listen on [http] listen.  NULL with the reason in `err` when it cannot.
 * `cfg` and `tpl` must outlive the API.
 */
vg_api_t *vg_api_new(uv_loop_t *loop, const vg_config_t *cfg,
                     const vg_templates_t *tpl, const vg_api_hooks_t *hooks,
                     char *err, size_t errsz);
/* The port it listens on. */
int vg_api_port(const vg_api_t *a);
/* Stop taking requests; the handles close once the work in flight is back. */
void vg_api_close(vg_api_t *a);

/* Print every route, "METHOD PATH ROLES" one a line (vasgwd --routes). */
void vg_api_print_routes(FILE *out);

/* --- what an endpoint gets --------------------------------------------------- */

#define VG_API_MAX_PARAMS 3
#define VG_API_MAX_QUERY 16

typedef struct {
  const vg_config_t *cfg;
  const vg_templates_t *tpl;
  redisContext *rc;
  const char *method, *path, *client;
  /* the {names} of the route's path, in order */
  const char *param[VG_API_MAX_PARAMS];
  /* the query string */
  const char *qname[VG_API_MAX_QUERY], *qvalue[VG_API_MAX_QUERY];
  size_t nquery;
  json_t *body;         /* a POST's JSON object, NULL otherwise */
  const char *raw;      /* the body as sent */
  size_t raw_len;
  char token[65];       /* the token's name ("" for a public route) */
  unsigned role;        /* its role */
  vg_daemon_state_t node; /* the node's state when the request came */
  /* the answer */
  unsigned status;
  json_t *out;          /* the JSON body, taken */
  char *text;           /* or a text body (metrics), malloc'd */
  const char *type;     /* its Content-Type */
  char audit[512];      /* a write's detail for the audit log */
} vg_api_call_t;

/* A query argument, or NULL. */
const char *vg_api_query(const vg_api_call_t *c, const char *name);

/* Answer `status` with `out` (taken). */
void vg_api_ok(vg_api_call_t *c, unsigned status, json_t *out);

/*
 * Answer with the one error shape:
 *   {"error":{"code":"bad_field","message":"...","field":"to"}}
 * `field` is NULL when the error is about no field.  Returns -1, for
 * `return vg_api_error(...)`.
 */
int vg_api_error(vg_api_call_t *c, unsigned status, const char *code,
                 const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The Redis error of the connection or of a reply: 503, "redis". */
int vg_api_redis_error(vg_api_call_t *c, const redisReply *r);

/*
 * The body's member `name` as a string: 0 with *out set (NULL when absent
 * and not `required`), or -1 after answering 400 naming the field.
 */
int vg_api_str(vg_api_call_t *c, const char *name, int required,
               const char **out);

/* 400 naming the first member of the body not in `known` (NULL-ended);
 * 0 when there is none. */
int vg_api_only(vg_api_call_t *c, const char *const *known);

/* Every endpoint: 0 after answering (vg_api_ok or vg_api_error). */
#define VG_API_ROUTE(method, path, roles, fn, action) \
  int fn(vg_api_call_t *c);
#include "handlers/api_routes.def"

#endif
