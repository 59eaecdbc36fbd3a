/*
 * cli.c — see cli.h.
 */
#include "gateway/cli.h"
#include "gateway/redis.h"
#include "gateway/scripts.h"
#include "gateway/vg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int vg_cli_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("vasgw: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

int vg_cli_usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("vasgw: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputs(" (try 'vasgw --help')\n", stderr);
  va_end(ap);
  return 2;
}

void vg_cli_json_str(FILE *out, const char *s) {
  fputc('"', out);
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(out, "\\%c", c);
    else if (c == '\n')
      fputs("\\n", out);
    else if (c == '\r')
      fputs("\\r", out);
    else if (c == '\t')
      fputs("\\t", out);
    else if (c < 0x20)
      fprintf(out, "\\u%04x", c);
    else
      fputc(c, out);
  }
  fputc('"', out);
}

int vg_cli_connect(cli_t *c) {
  struct timeval tv = {3, 0};
  c->rc = redisConnectWithTimeout(c->cfg.redis_host, c->cfg.redis_port, tv);
  if (c->rc == NULL || c->rc->err)
    return vg_cli_fail("cannot connect to Redis at %s:%d: %s", c->cfg.redis_host,
                c->cfg.redis_port, c->rc ? c->rc->errstr : "out of memory");
  redisSetTimeout(c->rc, (struct timeval){10, 0});
  redisReply *r;
  if (c->cfg.redis_password[0]) {
    r = redisCommand(c->rc, "AUTH %s", c->cfg.redis_password);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
      int rc = vg_cli_fail("Redis AUTH failed: %s", r ? r->str : c->rc->errstr);
      freeReplyObject(r);
      return rc;
    }
    freeReplyObject(r);
  }
  if (c->cfg.redis_db) {
    r = redisCommand(c->rc, "SELECT %d", c->cfg.redis_db);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
      int rc = vg_cli_fail("Redis SELECT %d failed: %s", c->cfg.redis_db,
                    r ? r->str : c->rc->errstr);
      freeReplyObject(r);
      return rc;
    }
    freeReplyObject(r);
  }
  /* Every script, so that each command can simply EVALSHA. */
  for (int id = 0; id < VG_SCRIPT_COUNT; id++) {
    r = redisCommand(c->rc, "SCRIPT LOAD %s", vg_script_body(id));
    if (r == NULL || r->type != REDIS_REPLY_STRING) {
      int rc = vg_cli_fail("Redis SCRIPT LOAD %s failed: %s",
                           vg_script_name(id), r ? r->str : c->rc->errstr);
      freeReplyObject(r);
      return rc;
    }
    vg_script_set_sha(id, r->str);
    freeReplyObject(r);
  }
  return 0;
}

redisReply *vg_cli_script(cli_t *c, int script, int nkeys, int argc,
                          const char **argv, const size_t *argvlen) {
  const char **av = vg_malloc((size_t)(argc + 3) * sizeof *av);
  size_t *al = vg_malloc((size_t)(argc + 3) * sizeof *al);
  char nk[16];
  snprintf(nk, sizeof nk, "%d", nkeys);
  av[0] = "EVALSHA";
  av[1] = vg_script_sha(script);
  av[2] = nk;
  for (int i = 0; i < 3; i++)
    al[i] = strlen(av[i]);
  for (int i = 0; i < argc; i++) {
    av[i + 3] = argv[i];
    al[i + 3] = argvlen ? argvlen[i] : strlen(argv[i]);
  }
  redisReply *r = redisCommandArgv(c->rc, argc + 3, av, al);
  vg_free(av);
  vg_free(al);
  if (r == NULL) {
    vg_cli_fail("Redis: %s", c->rc->errstr);
    return NULL;
  }
  if (r->type == REDIS_REPLY_ERROR) {
    vg_cli_fail("Redis script %s: %s", vg_script_name(script), r->str);
    freeReplyObject(r);
    return NULL;
  }
  return r;
}

const char *vg_cli_field(const redisReply *h, const char *name) {
  return vg_reply_field(h, name);
}

int vg_cli_each_line(const char *path,
                     int (*line)(void *data, long lineno, char *text),
                     void *data) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
  if (f == NULL) {
    vg_cli_fail("%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  char *buf = NULL;
  size_t bufcap = 0;
  ssize_t len;
  long lineno = 0;
  int bad = 0;
  while ((len = getline(&buf, &bufcap, f)) >= 0) {
    lineno++;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
      buf[--len] = '\0';
    if (len == 0 || buf[0] == '#')
      continue;
    if (line(data, lineno, buf) != 0)
      bad++;
  }
  free(buf);
  if (f != stdin)
    fclose(f);
  return bad;
}

const char *vg_cli_time(char out[32], long long ms) {
  if (ms <= 0) {
    snprintf(out, 32, "-");
    return out;
  }
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}
