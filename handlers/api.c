/*
 * api.c — see api.h: routing, tokens and roles, the error shape, the
 * Idempotency-Key, the audit log of writes, and the pool of blocking Redis
 * connections the endpoints use on the thread pool.
 */
#include "autoconfig.h"
#include "handlers/api.h"
#include "handlers/api_static.h"
#include "handlers/lua/functions.h"
#include "handlers/oplog.h"
#include "handlers/tokens.h"
#include "gateway/httpd.h"
#include "gateway/keys.h"
#include "gateway/log.h"
#include "gateway/redis_sync.h"
#include "gateway/sha256.h"
#include "gateway/vg.h"

#include <pthread.h>
#include <unistr.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *method, *path;
  unsigned roles;
  int (*fn)(vg_api_call_t *c);
  const char *action;
} route_t;

static const route_t routes[] = {
#define VG_API_ROUTE(m, p, r, f, a) {m, p, r, f, a},
#include "handlers/api_routes.def"
};

/* Refusals (401, 403) are logged, at most this many a minute. */
#define REFUSALS_LOGGED_PER_MIN 20

struct vg_api_s {
  uv_loop_t *loop;
  const vg_config_t *cfg;
  const vg_templates_t *tpl;
  vg_api_hooks_t hooks;
  vg_httpd_t *httpd;
  vg_api_static_t *files;
  /* blocking connections for the thread pool, taken and given back */
  pthread_mutex_t lock;
  redisContext **idle;
  size_t nidle, capidle;
  /* the refusals logged this minute */
  uint64_t refusal_minute;
  unsigned refusals_logged, refusals_unlogged;
};

/* One request on its way through the thread pool. */
typedef struct {
  vg_api_t *api;
  vg_httpd_req_t *req;
  const route_t *route;
  vg_api_call_t c;
  char *path_copy; /* the parameters point into it */
  const char *auth, *idem, *ctype;
  int refused;     /* 401 or 403: logged on the loop */
  int replayed;    /* the answer is an Idempotency-Key's first */
} job_t;

/* --- answers ----------------------------------------------------------------- */

void vg_api_ok(vg_api_call_t *c, unsigned status, json_t *out) {
  c->status = status;
  if (c->out)
    json_decref(c->out);
  c->out = out;
}

int vg_api_error(vg_api_call_t *c, unsigned status, const char *code,
                 const char *field, const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_t *e = json_pack("{s:s, s:s}", "code", code, "message", msg);
  if (field)
    json_object_set_new(e, "field", json_string(field));
  vg_api_ok(c, status, json_pack("{s:o}", "error", e));
  return -1;
}

int vg_api_redis_error(vg_api_call_t *c, const redisReply *r) {
  const char *why = r && r->type == REDIS_REPLY_ERROR ? r->str
                    : c->rc && c->rc->err          ? c->rc->errstr
                                                   : "unexpected reply";
  return vg_api_error(c, 503, "redis", NULL, "Redis: %s", why);
}

const char *vg_api_query(const vg_api_call_t *c, const char *name) {
  for (size_t i = 0; i < c->nquery; i++)
    if (strcmp(c->qname[i], name) == 0)
      return c->qvalue[i];
  return NULL;
}

int vg_api_str(vg_api_call_t *c, const char *name, int required,
               const char **out) {
  json_t *v = c->body ? json_object_get(c->body, name) : NULL;
  *out = NULL;
  if (v == NULL || json_is_null(v)) {
    if (!required)
      return 0;
    return vg_api_error(c, 400, "missing_field", name, "'%s' is required",
                        name);
  }
  if (!json_is_string(v))
    return vg_api_error(c, 400, "bad_field", name, "'%s' must be a string",
                        name);
  if (strlen(json_string_value(v)) != json_string_length(v))
    return vg_api_error(c, 400, "bad_field", name,
                        "'%s' holds a NUL character", name);
  *out = json_string_value(v);
  return 0;
}

int vg_api_only(vg_api_call_t *c, const char *const *known) {
  const char *key;
  json_t *v;
  if (c->body == NULL)
    return 0;
  json_object_foreach(c->body, key, v) {
    size_t i = 0;
    while (known[i] && strcmp(known[i], key) != 0)
      i++;
    if (known[i] == NULL)
      return vg_api_error(c, 400, "unknown_field", key,
                          "'%s' is not a field of this request", key);
  }
  return 0;
}

/* --- the connection pool ------------------------------------------------------ */

static redisContext *pool_take(vg_api_t *a, char *err, size_t errsz) {
  pthread_mutex_lock(&a->lock);
  redisContext *rc = a->nidle ? a->idle[--a->nidle] : NULL;
  pthread_mutex_unlock(&a->lock);
  if (rc)
    return rc;
  return vg_redis_sync_connect(a->cfg, err, errsz);
}

static void pool_give(vg_api_t *a, redisContext *rc) {
  if (rc == NULL)
    return;
  if (rc->err) {
    redisFree(rc); /* broken: the next request connects anew */
    return;
  }
  pthread_mutex_lock(&a->lock);
  if (a->nidle == a->capidle) {
    a->capidle = a->capidle ? 2 * a->capidle : 8;
    a->idle = vg_realloc(a->idle, a->capidle * sizeof *a->idle);
  }
  a->idle[a->nidle++] = rc;
  pthread_mutex_unlock(&a->lock);
}

/* --- routing ---------------------------------------------------------------------- */

/* Does `path` fit the route's pattern?  Its parameters point into `copy`
 * (a copy of path the caller owns, cut at each '/'). */
static int route_match(const char *pattern, char *copy,
                       const char *param[VG_API_MAX_PARAMS]) {
  const char *p = pattern;
  char *s = copy;
  int np = 0;
  while (*p && *s) {
    if (*p != '/' || *s != '/')
      return 0;
    p++;
    s++;
    const char *pe = strchr(p, '/');
    size_t plen = pe ? (size_t)(pe - p) : strlen(p);
    char *se = strchr(s, '/');
    size_t slen = se ? (size_t)(se - s) : strlen(s);
    if (plen > 0 && p[0] == '{') {
      if (slen == 0 || np == VG_API_MAX_PARAMS)
        return 0;
      param[np++] = s;
    } else if (plen != slen || strncmp(p, s, plen) != 0) {
      return 0;
    }
    p += plen;
    s += slen;
  }
  if (*p || *s)
    return 0;
  /* cut the parameters out of the copy */
  for (int i = 0; i < np; i++) {
    char *end = strchr((char *)param[i], '/');
    if (end)
      *end = '\0';
  }
  return 1;
}

/* The route for method and path: NULL, with *path_known set when another
 * method has it (405). */
static const route_t *route_find(const char *method, const char *path,
                                 char **copy, const char *param[],
                                 int *path_known, char *allow, size_t allowsz) {
  *path_known = 0;
  allow[0] = '\0';
  const route_t *found = NULL;
  for (size_t i = 0; i < VG_ARRAY_SIZE(routes); i++) {
    char *cp = vg_strdup(path);
    const char *pr[VG_API_MAX_PARAMS] = {0};
    if (route_match(routes[i].path, cp, pr)) {
      if (strcmp(routes[i].method, method) == 0 && found == NULL) {
        found = &routes[i];
        *copy = cp;
        memcpy(param, pr, sizeof pr);
        continue;
      }
      *path_known = 1;
      size_t n = strlen(allow);
      snprintf(allow + n, allowsz - n, "%s%s", n ? ", " : "", routes[i].method);
    }
    vg_free(cp);
  }
  return found;
}

void vg_api_print_routes(FILE *out) {
  static const char *const names[] = {"admin", "marketing", "finance", "seat",
                                      "viewer"};
  for (size_t i = 0; i < VG_ARRAY_SIZE(routes); i++) {
    fprintf(out, "%s %s ", routes[i].method, routes[i].path);
    if (routes[i].roles == VG_ROLE_PUBLIC) {
      fprintf(out, "public");
    } else {
      int first = 1;
      for (int b = 0; b < 5; b++)
        if (routes[i].roles & (1u << b)) {
          fprintf(out, "%s%s", first ? "" : ",", names[b]);
          first = 0;
        }
    }
    fprintf(out, "\n");
  }
}

/* --- the work of one request, on the thread pool -------------------------------- */

static int authenticate(job_t *j) {
  vg_api_call_t *c = &j->c;
  const char *auth = j->auth;
  if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0 || !auth[7]) {
    j->refused = 1;
    return vg_api_error(c, 401, "unauthenticated", NULL,
                        "this needs a token: Authorization: Bearer <token> "
                        "(vasgw token create)");
  }
  const char *tok = auth + 7;
  while (*tok == ' ')
    tok++;
  unsigned role;
  vg_token_found_t f = vg_token_find(c->rc, c->cfg->prefix, tok, c->token,
                                     &role);
  if (f == VG_TOKEN_REDIS)
    return vg_api_error(c, 503, "redis", NULL, "Redis: %s", c->token);
  if (f != VG_TOKEN_OK) {
    j->refused = 1;
    c->token[0] = '\0';
    return vg_api_error(c, 401, "bad_token", NULL, "%s",
                        f == VG_TOKEN_REVOKED ? "this token was revoked"
                                              : "no such token");
  }
  c->role = role;
  if ((role & j->route->roles) == 0) {
    j->refused = 1;
    return vg_api_error(c, 403, "forbidden", NULL,
                        "token '%s' has a role that may not %s %s", c->token,
                        j->route->method, j->route->path);
  }
  return 0;
}

static int parse_body(job_t *j) {
  vg_api_call_t *c = &j->c;
  if (strcmp(c->method, "POST") != 0 || strcmp(c->path, "/v1/campaigns") == 0)
    return 0;
  if (c->raw_len == 0) {
    c->body = json_object();
    return 0;
  }
  if (j->ctype && strncasecmp(j->ctype, "application/json", 16) != 0)
    return vg_api_error(c, 415, "bad_type", NULL,
                        "the body must be JSON (Content-Type: "
                        "application/json), not %s",
                        j->ctype);
  const uint8_t *bad = u8_check((const uint8_t *)c->raw, c->raw_len);
  if (bad)
    return vg_api_error(c, 400, "bad_json", NULL,
                        "the body is not UTF-8: byte %zu is 0x%02x",
                        (size_t)(bad - (const uint8_t *)c->raw) + 1, *bad);
  json_error_t e;
  json_t *v = json_loadb(c->raw, c->raw_len, JSON_REJECT_DUPLICATES, &e);
  if (v == NULL)
    return vg_api_error(c, 400, "bad_json", NULL,
                        "the body is not JSON (line %d, column %d): %s",
                        e.line, e.column, e.text);
  if (!json_is_object(v)) {
    json_decref(v);
    return vg_api_error(c, 400, "bad_json", NULL,
                        "the body must be a JSON object");
  }
  c->body = v;
  return 0;
}

/* The Idempotency-Key's Redis key and the request's fingerprint. */
static void idem_keys(job_t *j, char key[VG_SHA256_HEX], char fp[VG_SHA256_HEX]) {
  vg_api_call_t *c = &j->c;
  size_t n = strlen(c->token) + strlen(j->idem) + 2;
  char *k = vg_malloc(n);
  snprintf(k, n, "%s\n%s", c->token, j->idem);
  vg_sha256_hex(k, n - 1, key);
  vg_free(k);
  size_t m = strlen(c->method) + strlen(c->path) + c->raw_len + 3;
  char *f = vg_malloc(m);
  int h = snprintf(f, m, "%s\n%s\n", c->method, c->path);
  memcpy(f + h, c->raw, c->raw_len);
  vg_sha256_hex(f, (size_t)h + c->raw_len, fp);
  vg_free(f);
}

/* 1: the key is ours to answer; 0: answered (replayed or refused). */
static int idem_begin(job_t *j, const char *key, const char *fp) {
  vg_api_call_t *c = &j->c;
  vg_fn_idem_begin_t a = {.prefix = c->cfg->prefix,
                          .key = key,
                          .fp = fp,
                          .ttl = (long long)c->cfg->http_idempotency_hours *
                                 3600000LL};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_idem_begin(&call, &a);
  char err[300];
  redisReply *r = vg_redis_sync_fcall(c->rc, &call, err, sizeof err);
  vg_fcall_free(&call);
  if (r == NULL) {
    vg_api_error(c, 503, "redis", NULL, "%s", err);
    return 0;
  }
  int ours = 0;
  const char *what = r->type == REDIS_REPLY_ARRAY && r->elements > 0
                         ? r->element[0]->str
                         : "";
  if (strcmp(what, "new") == 0) {
    ours = 1;
  } else if (strcmp(what, "pending") == 0) {
    vg_api_error(c, 409, "in_progress", NULL,
                 "a request with this Idempotency-Key is being answered; "
                 "ask again later");
  } else if (strcmp(what, "conflict") == 0) {
    vg_api_error(c, 409, "idempotency_conflict", NULL,
                 "this Idempotency-Key was used for a different request");
  } else if (strcmp(what, "done") == 0 && r->elements == 3) {
    json_t *body = json_loads(r->element[2]->str, 0, NULL);
    vg_api_ok(c, (unsigned)atoi(r->element[1]->str),
              body ? body : json_object());
    j->replayed = 1;
  } else {
    vg_api_redis_error(c, NULL);
  }
  freeReplyObject(r);
  return ours;
}

static void idem_end(job_t *j, const char *key, const char *fp,
                     const char *body) {
  vg_api_call_t *c = &j->c;
  vg_fn_idem_end_t a = {.prefix = c->cfg->prefix,
                        .key = key,
                        .fp = fp,
                        .keep = c->status < 300,
                        .status = c->status,
                        .body = body,
                        .ttl = (long long)c->cfg->http_idempotency_hours *
                               3600000LL};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_idem_end(&call, &a);
  char err[300];
  redisReply *r = vg_redis_sync_fcall(c->rc, &call, err, sizeof err);
  vg_fcall_free(&call);
  if (r == NULL)
    vg_log_warn("api: the answer to Idempotency-Key of token %s was not "
                "kept: %s",
                c->token, err);
  freeReplyObject(r);
}

static void audit(job_t *j) {
  vg_api_call_t *c = &j->c;
  char user[128], detail[700], err[300];
  snprintf(user, sizeof user, "api:%s", c->token);
  snprintf(detail, sizeof detail, "from %s: %s", c->client, c->audit);
  if (vg_oplog_write(c->rc, c->cfg->prefix, user, j->route->action, detail,
                     err, sizeof err) != 0)
    vg_log_warn("api: %s by %s was done but not recorded in the audit log: "
                "%s",
                j->route->action, user, err);
}

static void work(void *arg) {
  job_t *j = arg;
  vg_api_call_t *c = &j->c;
  char err[300];
  c->rc = pool_take(j->api, err, sizeof err);
  if (c->rc == NULL) {
    vg_api_error(c, 503, "redis", NULL, "%s", err);
    return;
  }
  if (j->route->roles != VG_ROLE_PUBLIC && authenticate(j) != 0)
    goto out;
  int is_post = strcmp(c->method, "POST") == 0;
  char key[VG_SHA256_HEX], fp[VG_SHA256_HEX];
  int idem = 0;
  if (is_post && j->idem) {
    size_t n = strlen(j->idem);
    if (n == 0 || n > 255) {
      vg_api_error(c, 400, "bad_idempotency_key", NULL,
                   "an Idempotency-Key has 1 to 255 characters; this one "
                   "has %zu",
                   n);
      goto out;
    }
    idem_keys(j, key, fp);
    if (!idem_begin(j, key, fp))
      goto out;
    idem = 1;
  }
  if (parse_body(j) == 0 && j->route->fn(c) == 0 && j->route->action &&
      c->status < 300)
    audit(j);
  if (c->status == 0)
    vg_api_error(c, 500, "internal", NULL, "the endpoint gave no answer");
  if (idem) {
    char *body = c->out ? json_dumps(c->out, JSON_COMPACT) : NULL;
    idem_end(j, key, fp, body ? body : "");
    free(body);
  }
out:
  pool_give(j->api, c->rc);
  c->rc = NULL;
}

/* --- on the loop -------------------------------------------------------------------- */

static void log_refusal(vg_api_t *a, job_t *j) {
  uint64_t minute = uv_now(a->loop) / 60000;
  if (minute != a->refusal_minute) {
    if (a->refusals_unlogged)
      vg_log_warn("api: %u more refused requests not logged in the last "
                  "minute",
                  a->refusals_unlogged);
    a->refusal_minute = minute;
    a->refusals_logged = a->refusals_unlogged = 0;
  }
  if (a->refusals_logged++ >= REFUSALS_LOGGED_PER_MIN) {
    a->refusals_unlogged++;
    return;
  }
  vg_log_warn("api: %u %s %s from %s%s%s", j->c.status, j->c.method,
              j->c.path, j->c.client, j->c.token[0] ? " token " : "",
              j->c.token);
}

static void done(void *arg) {
  job_t *j = arg;
  vg_api_call_t *c = &j->c;
  if (j->refused)
    log_refusal(j->api, j);
  if (j->replayed)
    vg_httpd_add_header(j->req, "Idempotent-Replayed", "true");
  if (c->text) {
    vg_httpd_respond(j->req, c->status, c->type ? c->type : "text/plain",
                     c->text, strlen(c->text));
    c->text = NULL;
  } else {
    char *body = c->out ? json_dumps(c->out, JSON_COMPACT) : NULL;
    size_t n = body ? strlen(body) : 0;
    char *copy = vg_malloc(n + 2);
    memcpy(copy, body ? body : "", n);
    copy[n] = '\n';
    copy[n + 1] = '\0';
    free(body);
    vg_httpd_respond(j->req, c->status, "application/json; charset=utf-8",
                     copy, n + 1);
  }
  if (c->out)
    json_decref(c->out);
  if (c->body)
    json_decref(c->body);
  vg_free(j->path_copy);
  vg_free(j);
}

static void respond_json(vg_httpd_req_t *req, unsigned status, json_t *v) {
  char *s = json_dumps(v, JSON_COMPACT);
  json_decref(v);
  size_t n = strlen(s);
  char *copy = vg_malloc(n + 2);
  memcpy(copy, s, n);
  copy[n] = '\n';
  copy[n + 1] = '\0';
  free(s);
  vg_httpd_respond(req, status, "application/json; charset=utf-8", copy,
                   n + 1);
}

static void respond_error(vg_httpd_req_t *req, unsigned status,
                          const char *code, const char *msg) {
  respond_json(req, status, json_pack("{s:{s:s,s:s}}", "error", "code", code,
                                      "message", msg));
}

int vg_api_healthz(vg_api_call_t *c) {
  vg_api_ok(c, 200, json_pack("{s:s}", "status", "alive"));
  return 0;
}

int vg_api_readyz(vg_api_call_t *c) {
  const vg_daemon_state_t *s = &c->node;
  json_t *binds = json_array();
  int bound = 0;
  for (int i = 0; i < s->nbinds && i < 2; i++) {
    json_array_append_new(binds, json_pack("{s:s,s:s}", "role",
                                           s->bind[i].role, "state",
                                           s->bind[i].state));
    bound += s->bind[i].bound;
  }
  int ready = !s->stopping && s->redis_ready && s->nbinds > 0 &&
              bound == s->nbinds;
  const char *why = s->stopping        ? "stopping"
                    : !s->redis_ready  ? "Redis is not answering"
                    : bound < s->nbinds ? "not bound to the SMSC"
                                        : "";
  json_t *o = json_pack("{s:s,s:s,s:o}", "status", ready ? "ready" : "not_ready",
                        "redis", s->redis_ready ? "ready" : "down", "binds",
                        binds);
  if (!ready)
    json_object_set_new(o, "why", json_string(why));
  vg_api_ok(c, ready ? 200 : 503, o);
  return 0;
}

static void on_head(void *data, vg_httpd_req_t *req) {
  vg_api_t *a = data;
  size_t max = (size_t)a->cfg->http_body_max_kb * 1024;
  if (strcmp(vg_httpd_method(req), "POST") == 0 &&
      strcmp(vg_httpd_path(req), "/v1/campaigns") == 0)
    max = (size_t)a->cfg->http_upload_max_mb << 20;
  vg_httpd_set_body_max(req, max);
}

static void on_request(void *data, vg_httpd_req_t *req) {
  vg_api_t *a = data;
  const char *method = vg_httpd_method(req), *path = vg_httpd_path(req);
  if (strcmp(method, "GET") == 0 && strncmp(path, "/v1/", 4) != 0 &&
      vg_api_static_serve(a->files, req))
    return;
  char *copy = NULL, allow[64];
  const char *param[VG_API_MAX_PARAMS] = {0};
  int known;
  const route_t *rt = route_find(method, path, &copy, param, &known, allow,
                                 sizeof allow);
  if (rt == NULL) {
    if (known) {
      vg_httpd_add_header(req, "Allow", allow);
      respond_error(req, 405, "method_not_allowed",
                    "this path takes another method (see Allow)");
    } else {
      respond_error(req, 404, "not_found", "no such path (docs/api.md)");
    }
    return;
  }
  job_t *j = vg_calloc(1, sizeof *j);
  j->api = a;
  j->req = req;
  j->route = rt;
  j->path_copy = copy;
  vg_api_call_t *c = &j->c;
  c->cfg = a->cfg;
  c->tpl = a->tpl;
  c->method = method;
  c->path = path;
  c->client = vg_httpd_client(req);
  memcpy(c->param, param, sizeof c->param);
  c->nquery = vg_httpd_queries(req, c->qname, c->qvalue, VG_API_MAX_QUERY);
  c->raw = vg_httpd_body(req, &c->raw_len);
  j->auth = vg_httpd_header(req, "Authorization");
  j->idem = vg_httpd_header(req, "Idempotency-Key");
  j->ctype = vg_httpd_header(req, "Content-Type");
  if (a->hooks.state)
    a->hooks.state(a->hooks.data, &c->node);
  if (rt->fn == vg_api_healthz || rt->fn == vg_api_readyz) {
    rt->fn(c); /* on the loop: no Redis, no token */
    done(j);
    return;
  }
  if (vg_httpd_work(req, work, done, j) != 0) {
    vg_free(j->path_copy);
    vg_free(j);
    respond_error(req, 503, "busy", "the server cannot take work now");
  }
}

vg_api_t *vg_api_new(uv_loop_t *loop, const vg_config_t *cfg,
                     const vg_templates_t *tpl, const vg_api_hooks_t *hooks,
                     char *err, size_t errsz) {
  vg_api_t *a = vg_calloc(1, sizeof *a);
  a->loop = loop;
  a->cfg = cfg;
  a->tpl = tpl;
  if (hooks)
    a->hooks = *hooks;
  pthread_mutex_init(&a->lock, NULL);
  a->files = vg_api_static_load(cfg->http_dashboard);
  size_t body = (size_t)cfg->http_body_max_kb * 1024,
         upload = (size_t)cfg->http_upload_max_mb << 20;
  vg_httpd_opts_t o = {.listen = cfg->http_listen,
                       .tls_cert = cfg->http_tls_cert,
                       .tls_key = cfg->http_tls_key,
                       .body_max = body > upload ? body : upload,
                       .timeout_s = (unsigned)cfg->http_timeout_s,
                       .max_conns = (unsigned)cfg->http_max_connections,
                       .max_per_ip = (unsigned)cfg->http_max_per_ip};
  a->httpd = vg_httpd_new(loop, &o, on_head, on_request, a, err, errsz);
  if (a->httpd == NULL) {
    vg_api_static_free(a->files);
    pthread_mutex_destroy(&a->lock);
    vg_free(a);
    return NULL;
  }
  return a;
}

int vg_api_port(const vg_api_t *a) { return vg_httpd_port(a->httpd); }

static void closed(void *data) {
  vg_api_t *a = data;
  for (size_t i = 0; i < a->nidle; i++)
    redisFree(a->idle[i]);
  vg_free(a->idle);
  vg_api_static_free(a->files);
  pthread_mutex_destroy(&a->lock);
  vg_free(a);
}

void vg_api_close(vg_api_t *a) {
  if (a)
    vg_httpd_close(a->httpd, closed, a);
}
