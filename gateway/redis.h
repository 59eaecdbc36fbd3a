/*
 * redis.h — the daemon's Redis connection: hiredis async on the libuv loop.
 *
 * In the shape of h2o's wrapper: an explicit state, reconnect with
 * exponential back-off, a command watchdog (hiredis 0.14 has no command
 * timeout of its own), on_connect / on_close hooks, and one reply callback
 * (reply, data, errstr).  The reply is freed when the callback returns: copy
 * what you keep.  When the connection is lost every pending callback fires
 * with reply NULL and errstr set: the command's outcome is unknown, which is
 * why every write vasgw makes is idempotent and can be repeated.
 *
 * On every connect, before on_connect fires, the Redis Functions library
 * (gateway/functions.h) is checked and loaded if missing, so vg_redis_fcall()
 * can call any function.  A library Redis refuses is fatal: on_fatal fires
 * (the daemon stops) rather than reconnecting forever.
 */
#ifndef VG_REDIS_H
#define VG_REDIS_H

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <uv.h>

#include "gateway/fcall.h"

typedef enum {
  VG_REDIS_CLOSED = 0,
  VG_REDIS_CONNECTING, /* TCP connect, AUTH, SELECT, the library's check */
  VG_REDIS_READY,      /* commands may be sent */
  VG_REDIS_STOPPED,    /* vg_redis_stop() was called; no reconnect */
} vg_redis_state_t;

typedef struct vg_redis_s vg_redis_t;

/*
 * Reply callback.  `reply` is NULL when the connection was lost (errstr
 * says so); an error reply comes with both `reply` and `errstr` set.
 */
typedef void (*vg_redis_cb)(vg_redis_t *r, redisReply *reply, void *data,
                            const char *errstr);

struct vg_redis_s {
  uv_loop_t *loop;
  redisAsyncContext *ac;
  vg_redis_state_t state;
  char host[256];
  int port;
  char password[256];
  int db;
  const char *name;       /* for logs: "redis", "redis-reader" */
  uint32_t backoff_ms;    /* next reconnect delay */
  uint32_t backoff_max_ms;
  uint32_t command_timeout_ms; /* a reply later than this drops the link */
  uint32_t pending;       /* commands sent, reply not yet seen */
  uint64_t last_progress_ms;
  int reloading; /* reconnecting to load the library again */
  int library;   /* check the library on connect (default 1) */
  char last_error[128];
  uv_timer_t timer; /* reconnect delay and watchdog */
  void (*on_connect)(vg_redis_t *r);
  void (*on_close)(vg_redis_t *r, const char *why);
  /* The library cannot be loaded (the message names file and line): the
   * connection is stopped; NULL: logged, and reconnecting keeps failing. */
  void (*on_fatal)(vg_redis_t *r, const char *why);
  void *data;
};

/* Set up (CLOSED).  Call vg_redis_start() to connect. */
void vg_redis_init(uv_loop_t *loop, vg_redis_t *r, const char *name,
                   const char *host, int port, const char *password, int db);

/* Connect now and keep reconnecting with back-off until vg_redis_stop(). */
void vg_redis_start(vg_redis_t *r);

/* Disconnect (pending callbacks fire with NULL), close the timer. */
void vg_redis_stop(vg_redis_t *r);

/* 1 when commands may be sent. */
int vg_redis_ready(const vg_redis_t *r);

/*
 * Send a command.  Returns 0, or VG_ENOTCONN when not READY (the callback
 * then never fires).  `cb` may be NULL (fire and forget).
 */
int vg_redis_command(vg_redis_t *r, vg_redis_cb cb, void *data,
                     const char *fmt, ...);
int vg_redis_command_argv(vg_redis_t *r, vg_redis_cb cb, void *data, int argc,
                          const char **argv, const size_t *argvlen);

/*
 * Send a Redis Function call built with gateway/fcall.h (the arguments are
 * copied: `c` may be reused or freed on return).  Same return and callback
 * rules as vg_redis_command; an error reply's errstr names the Lua source
 * file and line (gateway/functions.h).
 */
int vg_redis_fcall(vg_redis_t *r, const vg_fcall_t *c, vg_redis_cb cb,
                   void *data);

/*
 * Write the commands sent so far now.  Commands are written together once
 * per loop iteration, from a uv_prepare handle; a caller that sends
 * commands from its own uv_prepare callback (which may run after ours)
 * calls this at its end, or they would wait for the next wake-up.
 */
void vg_redis_flush(vg_redis_t *r);

/* The value of field `name` in an HGETALL reply (name/value pairs), or
 * NULL.  For the daemon's and the CLI's replies alike. */
const char *vg_reply_field(const redisReply *h, const char *name);

#endif
