/*
 * redis.c — hiredis async on libuv with reconnect, watchdog and the
 * Functions library.
 */
#include "gateway/redis.h"
#include "gateway/functions.h"
#include "gateway/log.h"
#include "gateway/vg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  vg_redis_t *r;
  vg_redis_cb cb;
  void *data;
} call_t;

static void schedule_reconnect(vg_redis_t *r);

/* --- our libuv adapter --------------------------------------------------------
 * hiredis 0.14's adapters/libuv.h returns early when uv_poll reports an
 * error, so a refused connect or a reset socket is never seen and the
 * context hangs.  This adapter hands an error to hiredis as the events it
 * waits for: its read or write then fails, and it disconnects, which calls
 * on_disconnected and so reconnects.
 *
 * Writes are not polled for: hiredis asks for a write after every command
 * (addWrite) and withdraws the request once written (delWrite), and polling
 * for that would restart the uv_poll twice per command (an epoll_ctl DEL
 * and ADD each time).  Instead the commands of one loop iteration are
 * written together from a uv_prepare handle, just before the loop polls;
 * only a write the socket cannot take at once is polled for. */

typedef struct {
  redisAsyncContext *ac;
  uv_poll_t poll;
  uv_prepare_t flush;
  int events;     /* what the poll waits for */
  int want_write; /* hiredis has output */
  int open;       /* handles not yet closed */
} poll_ev_t;

static void on_poll(uv_poll_t *h, int status, int events) {
  poll_ev_t *p = h->data;
  int ev = status < 0 ? p->events | UV_READABLE : events;
  if (p->ac && (ev & UV_READABLE))
    redisAsyncHandleRead(p->ac);
  if (p->ac && (ev & UV_WRITABLE))
    redisAsyncHandleWrite(p->ac);
}

static void poll_set(poll_ev_t *p, int events) {
  if (events == p->events)
    return;
  p->events = events;
  if (events)
    uv_poll_start(&p->poll, events, on_poll);
  else
    uv_poll_stop(&p->poll);
}

static void flush_writes(poll_ev_t *p) {
  uv_prepare_stop(&p->flush);
  if (p->ac && p->want_write)
    redisAsyncHandleWrite(p->ac); /* calls delWrite when all is written */
  /* What the socket did not take waits for it to be writable. */
  if (p->ac && p->want_write)
    poll_set(p, p->events | UV_WRITABLE);
}

static void on_flush(uv_prepare_t *h) { flush_writes(h->data); }

static void ev_add_read(void *d) {
  poll_ev_t *p = d;
  poll_set(p, p->events | UV_READABLE);
}

static void ev_del_read(void *d) {
  poll_ev_t *p = d;
  poll_set(p, p->events & ~UV_READABLE);
}

static void ev_add_write(void *d) {
  poll_ev_t *p = d;
  p->want_write = 1;
  /* A connect in progress is only seen as writability. */
  if (p->ac && !(p->ac->c.flags & REDIS_CONNECTED))
    poll_set(p, p->events | UV_WRITABLE);
  else
    uv_prepare_start(&p->flush, on_flush);
}

static void ev_del_write(void *d) {
  poll_ev_t *p = d;
  p->want_write = 0;
  poll_set(p, p->events & ~UV_WRITABLE);
}

static void on_handle_closed(uv_handle_t *h) {
  poll_ev_t *p = h->data;
  if (--p->open == 0)
    free(p);
}

static void ev_cleanup(void *d) {
  poll_ev_t *p = d;
  p->ac = NULL; /* hiredis is freeing the context */
  uv_close((uv_handle_t *)&p->poll, on_handle_closed);
  uv_close((uv_handle_t *)&p->flush, on_handle_closed);
}

static int attach(redisAsyncContext *ac, uv_loop_t *loop) {
  poll_ev_t *p = vg_calloc(1, sizeof *p);
  if (uv_poll_init(loop, &p->poll, ac->c.fd) != 0) {
    free(p);
    return -1;
  }
  uv_prepare_init(loop, &p->flush);
  p->open = 2;
  p->ac = ac;
  p->poll.data = p;
  p->flush.data = p;
  ac->ev.data = p;
  ac->ev.addRead = ev_add_read;
  ac->ev.delRead = ev_del_read;
  ac->ev.addWrite = ev_add_write;
  ac->ev.delWrite = ev_del_write;
  ac->ev.cleanup = ev_cleanup;
  return 0;
}

/* A TCP connect not completed by then is abandoned (checked every second). */
#define CONNECT_TIMEOUT_MS 2000u

void vg_redis_init(uv_loop_t *loop, vg_redis_t *r, const char *name,
                   const char *host, int port, const char *password, int db) {
  memset(r, 0, sizeof *r);
  r->loop = loop;
  r->name = name;
  snprintf(r->host, sizeof r->host, "%s", host);
  r->port = port;
  snprintf(r->password, sizeof r->password, "%s", password ? password : "");
  r->db = db;
  r->backoff_ms = 200;
  r->backoff_max_ms = 5000;
  r->command_timeout_ms = 10000;
  r->library = 1;
  uv_timer_init(loop, &r->timer);
  r->timer.data = r;
}

int vg_redis_ready(const vg_redis_t *r) { return r->state == VG_REDIS_READY; }

static void on_reply(redisAsyncContext *ac, void *replyp, void *privdata) {
  call_t *c = privdata;
  vg_redis_t *r = c->r;
  redisReply *reply = replyp;
  if (r->pending)
    r->pending--;
  r->last_progress_ms = uv_now(r->loop);
  const char *err = NULL;
  char why[1024];
  if (reply == NULL)
    err = ac->errstr[0] ? ac->errstr : "connection lost";
  else if (reply->type == REDIS_REPLY_ERROR) {
    err = vg_lua_explain(&vg_lua_library, reply->str, why, sizeof why);
    /* Someone ran FUNCTION FLUSH or DELETE: reconnecting loads it again. */
    if (strncmp(reply->str, "ERR Function not found", 22) == 0 &&
        !r->reloading && r->state == VG_REDIS_READY) {
      r->reloading = 1;
      vg_log_warn("%s %s:%d: %s: reconnecting to load library %s again",
                  r->name, r->host, r->port, reply->str, vg_lua_library.name);
      redisAsyncDisconnect(ac);
    }
  }
  if (c->cb)
    c->cb(r, reply, c->data, err);
  free(c);
}

static int send_argv(vg_redis_t *r, vg_redis_cb cb, void *data, int argc,
                     const char **argv, const size_t *argvlen) {
  call_t *c = vg_malloc(sizeof *c);
  c->r = r;
  c->cb = cb;
  c->data = data;
  if (redisAsyncCommandArgv(r->ac, on_reply, c, argc, argv, argvlen) !=
      REDIS_OK) {
    free(c);
    return VG_ENOTCONN;
  }
  if (r->pending++ == 0)
    r->last_progress_ms = uv_now(r->loop);
  return 0;
}

int vg_redis_command_argv(vg_redis_t *r, vg_redis_cb cb, void *data, int argc,
                          const char **argv, const size_t *argvlen) {
  if (r->state != VG_REDIS_READY)
    return VG_ENOTCONN;
  return send_argv(r, cb, data, argc, argv, argvlen);
}

int vg_redis_command(vg_redis_t *r, vg_redis_cb cb, void *data,
                     const char *fmt, ...) {
  if (r->state != VG_REDIS_READY)
    return VG_ENOTCONN;
  call_t *c = vg_malloc(sizeof *c);
  c->r = r;
  c->cb = cb;
  c->data = data;
  va_list ap;
  va_start(ap, fmt);
  int rc = redisvAsyncCommand(r->ac, on_reply, c, fmt, ap);
  va_end(ap);
  if (rc != REDIS_OK) {
    free(c);
    return VG_ENOTCONN;
  }
  if (r->pending++ == 0)
    r->last_progress_ms = uv_now(r->loop);
  return 0;
}

int vg_redis_fcall(vg_redis_t *r, const vg_fcall_t *c, vg_redis_cb cb,
                   void *data) {
  if (r->state != VG_REDIS_READY)
    return VG_ENOTCONN;
  return send_argv(r, cb, data, c->argc, c->argv, c->argvlen);
}

/* --- connect sequence: TCP, AUTH, SELECT, the library, then ready ------- */

static void setup_failed(vg_redis_t *r, const char *what, const char *err) {
  snprintf(r->last_error, sizeof r->last_error, "%s: %s", what, err);
  vg_log_error("%s %s:%d: %s", r->name, r->host, r->port, r->last_error);
  if (r->ac)
    redisAsyncDisconnect(r->ac);
}

static void ready(vg_redis_t *r) {
  if (r->state != VG_REDIS_CONNECTING)
    return;
  r->state = VG_REDIS_READY;
  r->backoff_ms = 200;
  r->reloading = 0;
  vg_log_info("%s %s:%d: ready", r->name, r->host, r->port);
  if (r->on_connect)
    r->on_connect(r);
}

/* Errors that say Redis cannot take the library yet, not that it refuses
 * it: still loading its dataset after a restart (a FUNCTION LIST is
 * answered then, the LOAD is not), a script running too long, a replica
 * (until Sentinel or the operator points us at the master). */
static int not_yet(const char *err) {
  static const char *const codes[] = {"LOADING ", "BUSY ", "READONLY ",
                                      "MASTERDOWN ", "TRYAGAIN "};
  for (size_t i = 0; err && i < VG_ARRAY_SIZE(codes); i++)
    if (strncmp(err, codes[i], strlen(codes[i])) == 0)
      return 1;
  return 0;
}

/* A library Redis will not take does not get better by reconnecting; a
 * Redis that cannot take it yet does (not_yet): connect again later. */
static void library_failed(vg_redis_t *r, const char *err) {
  if (not_yet(err)) {
    snprintf(r->last_error, sizeof r->last_error, "%s", err);
    vg_log_warn("%s %s:%d: Redis cannot take the Functions library yet (%s): "
                "trying again", r->name, r->host, r->port, err);
    if (r->ac)
      redisAsyncDisconnect(r->ac);
    return;
  }
  char why[1024], msg[1200];
  snprintf(msg, sizeof msg, "cannot load the Redis Functions library %s: %s",
           vg_lua_library.name,
           vg_lua_explain(&vg_lua_library, err, why, sizeof why));
  /* The status field keeps the start; the log has it all. */
  snprintf(r->last_error, sizeof r->last_error, "%.*s",
           (int)sizeof r->last_error - 1, msg);
  if (r->on_fatal) {
    vg_log_fatal("%s %s:%d: %s", r->name, r->host, r->port, msg);
    r->on_fatal(r, msg);
    vg_redis_stop(r);
  } else {
    vg_log_error("%s %s:%d: %s", r->name, r->host, r->port, msg);
    if (r->ac)
      redisAsyncDisconnect(r->ac);
  }
}

static void on_library_loaded(vg_redis_t *r, redisReply *reply, void *data,
                              const char *err) {
  if (err) {
    if (reply)
      library_failed(r, reply->str);
    return;
  }
  vg_log_info("%s %s:%d: Redis Functions library %s loaded", r->name, r->host,
              r->port, vg_lua_library.name);
  ready(r);
}

static void on_library_listed(vg_redis_t *r, redisReply *reply, void *data,
                              const char *err) {
  if (err) {
    if (reply)
      library_failed(r, reply->str);
    return;
  }
  int need = vg_lua_needs_load(&vg_lua_library, reply);
  if (need == 0) {
    ready(r);
    return;
  }
  if (need == 2)
    vg_log_warn("%s %s:%d: library %s in Redis is another build's; replacing "
                "it with this build's",
                r->name, r->host, r->port, vg_lua_library.name);
  const char *argv[] = {"FUNCTION", "LOAD", "REPLACE", vg_lua_library.code};
  size_t argvlen[] = {8, 4, 7, vg_lua_library.len};
  send_argv(r, on_library_loaded, NULL, 4, argv, argvlen);
}

static void on_setup_done(vg_redis_t *r, redisReply *reply, void *data,
                          const char *err) {
  if (!err)
    ready(r);
}

static void on_setup_reply(vg_redis_t *r, redisReply *reply, void *data,
                           const char *err) {
  if (err && reply)
    setup_failed(r, (const char *)data, err);
}

static void on_connected(const redisAsyncContext *ac, int status) {
  vg_redis_t *r = ac->data;
  if (status != REDIS_OK) {
    /* hiredis frees the context after this callback. */
    snprintf(r->last_error, sizeof r->last_error, "%s", ac->errstr);
    vg_log_warn("%s %s:%d: cannot connect: %s", r->name, r->host, r->port,
                ac->errstr);
    r->ac = NULL;
    r->state = VG_REDIS_CLOSED;
    if (r->on_close)
      r->on_close(r, r->last_error);
    schedule_reconnect(r);
    return;
  }
  if (r->password[0]) {
    const char *av[] = {"AUTH", r->password};
    send_argv(r, on_setup_reply, "AUTH", 2, av, NULL);
  }
  if (r->db) {
    char db[16];
    snprintf(db, sizeof db, "%d", r->db);
    const char *av[] = {"SELECT", db};
    send_argv(r, on_setup_reply, "SELECT", 2, av, NULL);
  }
  const char *av[] = {"FUNCTION", "LIST", "LIBRARYNAME",
                      vg_lua_library.name, "WITHCODE"};
  if (r->library)
    send_argv(r, on_library_listed, NULL, 5, av, NULL);
  else
    send_argv(r, on_setup_done, NULL, 1, (const char *[]){"PING"}, NULL);
}

static void on_disconnected(const redisAsyncContext *ac, int status) {
  vg_redis_t *r = ac->data;
  r->ac = NULL;
  r->pending = 0;
  if (r->state == VG_REDIS_STOPPED)
    return;
  const char *why = status == REDIS_OK ? "closed" : ac->errstr;
  if (r->last_error[0] == '\0' || status != REDIS_OK)
    snprintf(r->last_error, sizeof r->last_error, "%s", why);
  vg_log_warn("%s %s:%d: connection lost: %s", r->name, r->host, r->port,
              r->last_error);
  r->state = VG_REDIS_CLOSED;
  if (r->on_close)
    r->on_close(r, r->last_error);
  schedule_reconnect(r);
}

static void connect_now(vg_redis_t *r) {
  if (r->state == VG_REDIS_STOPPED)
    return;
  r->last_error[0] = '\0';
  redisAsyncContext *ac = redisAsyncConnect(r->host, r->port);
  if (ac == NULL || ac->err) {
    vg_log_warn("%s %s:%d: cannot connect: %s", r->name, r->host, r->port,
                ac ? ac->errstr : "out of memory");
    if (ac)
      redisAsyncFree(ac);
    schedule_reconnect(r);
    return;
  }
  ac->data = r;
  r->ac = ac;
  r->state = VG_REDIS_CONNECTING;
  r->pending = 0;
  r->last_progress_ms = uv_now(r->loop);
  if (attach(ac, r->loop) != 0) {
    r->ac = NULL;
    r->state = VG_REDIS_CLOSED;
    redisAsyncFree(ac);
    schedule_reconnect(r);
    return;
  }
  redisAsyncSetConnectCallback(ac, on_connected);
  redisAsyncSetDisconnectCallback(ac, on_disconnected);
}

/* The timer does two jobs: reconnect delay when CLOSED, watchdog otherwise. */
static void on_timer(uv_timer_t *t) {
  vg_redis_t *r = t->data;
  if (r->state == VG_REDIS_CLOSED) {
    connect_now(r);
    return;
  }
  uint64_t now = uv_now(r->loop);
  if (r->state == VG_REDIS_CONNECTING && r->ac &&
      !(r->ac->c.flags & REDIS_CONNECTED) &&
      now - r->last_progress_ms >= CONNECT_TIMEOUT_MS) {
    /* hiredis 0.14's libuv adapter drops poll errors, so a refused connect
     * is never reported; and a context that never connected gets no
     * disconnect callback.  Give up on it here and reconnect ourselves. */
    redisAsyncContext *ac = r->ac;
    r->ac = NULL;
    r->state = VG_REDIS_CLOSED;
    snprintf(r->last_error, sizeof r->last_error,
             "not connected within %u ms", CONNECT_TIMEOUT_MS);
    vg_log_warn("%s %s:%d: cannot connect: %s", r->name, r->host, r->port,
                r->last_error);
    redisAsyncFree(ac);
    if (r->on_close)
      r->on_close(r, r->last_error);
    schedule_reconnect(r);
    return;
  }
  if ((r->pending > 0 || r->state == VG_REDIS_CONNECTING) &&
      now - r->last_progress_ms > r->command_timeout_ms && r->ac) {
    snprintf(r->last_error, sizeof r->last_error,
             "no reply within %u ms", r->command_timeout_ms);
    /* Not redisAsyncDisconnect: with replies pending it waits for them,
     * i.e. forever on a dead link.  Free fails the pending callbacks with
     * NULL and calls on_disconnected, which reconnects. */
    redisAsyncFree(r->ac);
  }
}

static void schedule_reconnect(vg_redis_t *r) {
  if (r->state == VG_REDIS_STOPPED)
    return;
  /* Exponential back-off with jitter, so nodes do not reconnect in step. */
  uint32_t delay = r->backoff_ms / 2 + (uint32_t)rand() % (r->backoff_ms / 2 + 1);
  r->backoff_ms = r->backoff_ms * 2 > r->backoff_max_ms ? r->backoff_max_ms
                                                        : r->backoff_ms * 2;
  uv_timer_start(&r->timer, on_timer, delay, 1000);
}

void vg_redis_start(vg_redis_t *r) {
  connect_now(r);
  if (r->state != VG_REDIS_CLOSED)
    uv_timer_start(&r->timer, on_timer, 1000, 1000);
}

void vg_redis_stop(vg_redis_t *r) {
  r->state = VG_REDIS_STOPPED;
  if (r->ac) {
    redisAsyncContext *ac = r->ac;
    r->ac = NULL;
    redisAsyncDisconnect(ac);
  }
  if (!uv_is_closing((uv_handle_t *)&r->timer))
    uv_close((uv_handle_t *)&r->timer, NULL);
}

const char *vg_reply_field(const redisReply *h, const char *name) {
  if (h == NULL || h->type != REDIS_REPLY_ARRAY)
    return NULL;
  for (size_t i = 0; i + 1 < h->elements; i += 2)
    if (h->element[i]->str && strcmp(h->element[i]->str, name) == 0)
      return h->element[i + 1]->str;
  return NULL;
}

void vg_redis_flush(vg_redis_t *r) {
  if (r->ac && r->ac->ev.data)
    flush_writes(r->ac->ev.data);
}
