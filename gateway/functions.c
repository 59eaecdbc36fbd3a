/*
 * functions.c — see functions.h.
 */
#include "gateway/functions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The source line of library line `n`: "path:line", or "line n". */
static void where(const vg_lua_library_t *lib, long n, char *out,
                  size_t outsz) {
  for (size_t i = 0; i < lib->nfiles; i++)
    /* (Lua reports an unfinished last file at the line after its end.) */
    if (n >= lib->files[i].first &&
        (n <= lib->files[i].last ||
         (i + 1 == lib->nfiles && n == lib->files[i].last + 1))) {
      snprintf(out, outsz, "%s:%ld", lib->files[i].path,
               n - lib->files[i].first + 1);
      return;
    }
  snprintf(out, outsz, "%s line %ld", lib->name, n);
}

const char *vg_lua_explain(const vg_lua_library_t *lib, const char *err,
                           char *out, size_t outsz) {
  static const char tag[] = "user_function:";
  size_t len = 0;
  if (outsz == 0)
    return out;
  out[0] = '\0';
  const char *p = err ? err : "";
  while (*p && len + 1 < outsz) {
    const char *hit = strstr(p, tag);
    size_t take = hit ? (size_t)(hit - p) : strlen(p);
    if (take > outsz - 1 - len)
      take = outsz - 1 - len;
    memcpy(out + len, p, take);
    len += take;
    out[len] = '\0';
    if (!hit)
      break;
    char *end;
    long n = strtol(hit + sizeof tag - 1, &end, 10);
    char loc[256];
    where(lib, n, loc, sizeof loc);
    int w = snprintf(out + len, outsz - len, "%s", loc);
    len += w > 0 && (size_t)w < outsz - len ? (size_t)w : outsz - 1 - len;
    p = end;
  }
  return out;
}

int vg_lua_needs_load(const vg_lua_library_t *lib, const redisReply *reply) {
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
      reply->elements == 0)
    return 1;
  /* One library: name/value pairs, "library_code" among them. */
  const redisReply *l = reply->element[0];
  for (size_t i = 0; l->type == REDIS_REPLY_ARRAY && i + 1 < l->elements;
       i += 2)
    if (l->element[i]->type == REDIS_REPLY_STRING &&
        strcmp(l->element[i]->str, "library_code") == 0) {
      const redisReply *c = l->element[i + 1];
      return c->type == REDIS_REPLY_STRING && c->len == lib->len &&
                     memcmp(c->str, lib->code, lib->len) == 0
                 ? 0
                 : 2;
    }
  return 2;
}

int vg_lua_ensure(redisContext *rc, const vg_lua_library_t *lib, char *err,
                  size_t errsz) {
  redisReply *r = redisCommand(rc, "FUNCTION LIST LIBRARYNAME %s WITHCODE",
                               lib->name);
  if (r == NULL) {
    snprintf(err, errsz, "Redis: %s", rc->errstr);
    return -1;
  }
  if (r->type == REDIS_REPLY_ERROR) {
    snprintf(err, errsz, "Redis FUNCTION LIST: %s (vasgw needs Redis 7.0 or "
             "later)", r->str);
    freeReplyObject(r);
    return -1;
  }
  int need = vg_lua_needs_load(lib, r);
  freeReplyObject(r);
  if (need == 0)
    return 0;
  const char *argv[] = {"FUNCTION", "LOAD", "REPLACE", lib->code};
  size_t argvlen[] = {8, 4, 7, lib->len};
  r = redisCommandArgv(rc, 4, argv, argvlen);
  if (r == NULL) {
    snprintf(err, errsz, "Redis: %s", rc->errstr);
    return -1;
  }
  int rc_ = 0;
  if (r->type == REDIS_REPLY_ERROR) {
    char why[1024];
    snprintf(err, errsz, "cannot load the Redis Functions library %s: %s",
             lib->name, vg_lua_explain(lib, r->str, why, sizeof why));
    rc_ = -1;
  }
  freeReplyObject(r);
  return rc_;
}
