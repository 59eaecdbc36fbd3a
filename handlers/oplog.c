/*
 * oplog.c — see oplog.h.
 */
#include "handlers/oplog.h"
#include "gateway/keys.h"
#include "gateway/vg.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The effective user's name into me, and the sudo user (NULL when none,
 * or the same); 1 when the effective user is root. */
static int who(char me[128], const char **sudo) {
  uid_t uid = geteuid();
  struct passwd *pw = getpwuid(uid);
  if (pw != NULL && pw->pw_name != NULL)
    snprintf(me, 128, "%s", pw->pw_name);
  else
    snprintf(me, 128, "uid %ld", (long)uid);
  *sudo = getenv("SUDO_USER");
  if (*sudo != NULL && (**sudo == '\0' || strcmp(*sudo, me) == 0))
    *sudo = NULL;
  return uid == 0;
}

const char *vg_oplog_user(char *out, size_t outsz) {
  char me[128];
  const char *sudo;
  who(me, &sudo);
  /* sudo keeps the person who typed the command; record both. */
  if (sudo)
    snprintf(out, outsz, "%s (sudo by %s)", me, sudo);
  else
    snprintf(out, outsz, "%s", me);
  return out;
}

const char *vg_oplog_people(char *out, size_t outsz) {
  char me[128];
  const char *sudo;
  int root = who(me, &sudo);
  if (sudo == NULL)
    snprintf(out, outsz, "%s", me);
  else if (root)
    snprintf(out, outsz, "%s", sudo);
  else
    snprintf(out, outsz, "%s,%s", me, sudo);
  return out;
}

/* The entry's XADD arguments; the strings live in `b`. */
typedef struct {
  char key[VG_KEY_MAX], at[24], user[300], host[256];
} entry_t;

static int entry(entry_t *b, const char *prefix, const char *user,
                 const char **argv, const char *action, const char *detail) {
  snprintf(b->at, sizeof b->at, "%lld", (long long)vg_now_ms());
  if (user)
    snprintf(b->user, sizeof b->user, "%s", user);
  else
    vg_oplog_user(b->user, sizeof b->user);
  if (gethostname(b->host, sizeof b->host) != 0)
    snprintf(b->host, sizeof b->host, "?");
  b->host[sizeof b->host - 1] = '\0';
  vg_key(b->key, prefix, "%s", VG_K_AUDIT);
  const char *v[] = {"XADD", b->key,  "*",      "at",     b->at,
                     "user", b->user, "host",   b->host,  "action",
                     action, "detail", detail ? detail : ""};
  memcpy(argv, v, sizeof v);
  return (int)VG_ARRAY_SIZE(v);
}

void vg_oplog_append(redisContext *rc, const char *prefix, const char *user,
                     const char *action, const char *detail) {
  entry_t b;
  const char *argv[13];
  int argc = entry(&b, prefix, user, argv, action, detail);
  redisAppendCommandArgv(rc, argc, argv, NULL);
}

int vg_oplog_write(redisContext *rc, const char *prefix, const char *user,
                   const char *action, const char *detail, char *err,
                   size_t errsz) {
  entry_t b;
  const char *argv[13];
  int argc = entry(&b, prefix, user, argv, action, detail);
  redisReply *r = redisCommandArgv(rc, argc, argv, NULL);
  int rc_ = 0;
  if (r == NULL || r->type == REDIS_REPLY_ERROR) {
    snprintf(err, errsz, "Redis: %s", r ? r->str : rc->errstr);
    rc_ = -1;
  }
  freeReplyObject(r);
  return rc_;
}
