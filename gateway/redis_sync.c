/*
 * redis_sync.c — see redis_sync.h.
 */
#include "gateway/redis_sync.h"
#include "gateway/functions.h"

#include <stdio.h>
#include <string.h>

redisContext *vg_redis_sync_connect(const vg_config_t *cfg, char *err,
                                    size_t errsz) {
  struct timeval tv = {3, 0};
  redisContext *rc =
      redisConnectWithTimeout(cfg->redis_host, cfg->redis_port, tv);
  if (rc == NULL || rc->err) {
    snprintf(err, errsz, "cannot connect to Redis at %s:%d: %s",
             cfg->redis_host, cfg->redis_port,
             rc ? rc->errstr : "out of memory");
    redisFree(rc);
    return NULL;
  }
  redisSetTimeout(rc, (struct timeval){10, 0});
  redisReply *r;
  if (cfg->redis_password[0]) {
    r = redisCommand(rc, "AUTH %s", cfg->redis_password);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
      snprintf(err, errsz, "Redis AUTH failed: %s", r ? r->str : rc->errstr);
      freeReplyObject(r);
      redisFree(rc);
      return NULL;
    }
    freeReplyObject(r);
  }
  if (cfg->redis_db) {
    r = redisCommand(rc, "SELECT %d", cfg->redis_db);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
      snprintf(err, errsz, "Redis SELECT %d failed: %s", cfg->redis_db,
               r ? r->str : rc->errstr);
      freeReplyObject(r);
      redisFree(rc);
      return NULL;
    }
    freeReplyObject(r);
  }
  if (vg_lua_ensure(rc, &vg_lua_library, err, errsz) != 0) {
    redisFree(rc);
    return NULL;
  }
  return rc;
}

redisReply *vg_redis_sync_fcall(redisContext *rc, const vg_fcall_t *c,
                                char *err, size_t errsz) {
  redisReply *r = redisCommandArgv(rc, c->argc, c->argv, c->argvlen);
  if (r == NULL) {
    snprintf(err, errsz, "Redis: %s", rc->errstr);
    return NULL;
  }
  if (r->type == REDIS_REPLY_ERROR) {
    char why[1024];
    snprintf(err, errsz, "Redis function %s: %s", vg_fcall_name(c),
             vg_lua_explain(&vg_lua_library, r->str, why, sizeof why));
    freeReplyObject(r);
    return NULL;
  }
  return r;
}

void vg_redis_sync_append(redisContext *rc, const vg_fcall_t *c) {
  redisAppendCommandArgv(rc, c->argc, c->argv, c->argvlen);
}
