/*
 * redis_server.c — see redis_server.h.
 */
#include "tests/unit/redis_server.h"
#include "gateway/functions.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("redis_server: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

/* A port nothing listens on now (redis-server may still lose a race for
 * it: start() then tries another). */
static int pick_port(void) {
  for (int i = 0; i < 200; i++) {
    int p = 20000 + (int)((unsigned)rand() % 12000);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)p),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int free_ = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    if (free_)
      return p;
  }
  die("no free port");
  return 0;
}

static int try_start(vg_test_redis_t *t) {
  t->port = pick_port();
  char port[16], log[200];
  snprintf(port, sizeof port, "%d", t->port);
  snprintf(log, sizeof log, "%s/redis.log", t->dir);
  t->pid = fork();
  if (t->pid < 0)
    die("fork: %s", strerror(errno));
  if (t->pid == 0) {
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execlp("redis-server", "redis-server", "--port", port, "--bind",
           "127.0.0.1", "--dir", t->dir, "--save", "", "--appendonly", "no",
           (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 200; i++) {
    struct timespec ms10 = {0, 10 * 1000 * 1000};
    nanosleep(&ms10, NULL);
    int status;
    if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
      t->pid = 0;
      return -1; /* exited: the port was taken meanwhile, or no binary */
    }
    struct timeval tv = {1, 0};
    t->rc = redisConnectWithTimeout("127.0.0.1", t->port, tv);
    if (t->rc && !t->rc->err)
      return 0;
    redisFree(t->rc);
    t->rc = NULL;
  }
  return -1;
}

void vg_test_redis_start(vg_test_redis_t *t) {
  memset(t, 0, sizeof *t);
  srand((unsigned)time(NULL) ^ (unsigned)getpid());
  snprintf(t->dir, sizeof t->dir, "/tmp/vasgw-test-redis-XXXXXX");
  if (mkdtemp(t->dir) == NULL)
    die("mkdtemp: %s", strerror(errno));
  for (int i = 0; i < 5 && try_start(t) != 0; i++)
    if (t->pid > 0) {
      kill(t->pid, SIGKILL);
      waitpid(t->pid, NULL, 0);
      t->pid = 0;
    }
  if (t->rc == NULL)
    die("redis-server did not start (see %s/redis.log)", t->dir);
  char err[1024];
  if (vg_lua_ensure(t->rc, &vg_lua_library, err, sizeof err) != 0)
    die("%s", err);
}

void vg_test_redis_stop(vg_test_redis_t *t) {
  if (t->rc) {
    redisReply *r = redisCommand(t->rc, "SHUTDOWN NOSAVE");
    freeReplyObject(r);
    redisFree(t->rc);
    t->rc = NULL;
  }
  if (t->pid > 0) {
    int status;
    for (int i = 0; i < 300 && waitpid(t->pid, &status, WNOHANG) == 0; i++) {
      struct timespec ms10 = {0, 10 * 1000 * 1000};
      nanosleep(&ms10, NULL);
    }
    kill(t->pid, SIGKILL);
    waitpid(t->pid, NULL, 0);
    t->pid = 0;
  }
  char log[200];
  snprintf(log, sizeof log, "%s/redis.log", t->dir);
  unlink(log);
  rmdir(t->dir);
}

void vg_test_redis_reset(vg_test_redis_t *t) {
  char *r = vg_test_run(t, "FLUSHALL");
  if (strcmp(r, "+OK") != 0)
    die("FLUSHALL: %s", r);
  free(r);
}

/* --- rendering ------------------------------------------------------------- */

typedef struct {
  char *p;
  size_t len, cap;
} buf_t;

static void put(buf_t *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->p = realloc(b->p, b->cap);
    if (b->p == NULL)
      die("out of memory");
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void puts_(buf_t *b, const char *s) { put(b, s, strlen(s)); }

static void render(buf_t *b, const redisReply *r) {
  char num[32];
  if (r == NULL) {
    puts_(b, "(lost)");
    return;
  }
  switch (r->type) {
  case REDIS_REPLY_STRING:
    puts_(b, "\"");
    put(b, r->str, r->len);
    puts_(b, "\"");
    break;
  case REDIS_REPLY_INTEGER:
    snprintf(num, sizeof num, "%lld", r->integer);
    puts_(b, num);
    break;
  case REDIS_REPLY_NIL:
    puts_(b, "nil");
    break;
  case REDIS_REPLY_STATUS:
    puts_(b, "+");
    put(b, r->str, r->len);
    break;
  case REDIS_REPLY_ERROR:
    puts_(b, "!");
    put(b, r->str, r->len);
    break;
  case REDIS_REPLY_ARRAY:
    puts_(b, "[");
    for (size_t i = 0; i < r->elements; i++) {
      if (i)
        puts_(b, ",");
      render(b, r->element[i]);
    }
    puts_(b, "]");
    break;
  default:
    puts_(b, "?");
  }
}

char *vg_test_render(const redisReply *r) {
  buf_t b = {0};
  puts_(&b, "");
  render(&b, r);
  return b.p;
}

/* --- commands -------------------------------------------------------------- */

static redisReply *command_line(vg_test_redis_t *t, const char *line) {
  const char *argv[64];
  size_t argvlen[64];
  char *copy = strdup(line), *p = copy;
  int argc = 0;
  while (*p && argc < 64) {
    while (*p == ' ')
      p++;
    if (!*p)
      break;
    if (*p == '"') {
      char *e = strchr(p + 1, '"');
      if (e == NULL)
        die("unterminated quote in: %s", line);
      argv[argc] = p + 1;
      argvlen[argc++] = (size_t)(e - p - 1);
      p = e + 1;
    } else {
      char *e = p + strcspn(p, " ");
      argv[argc] = p;
      argvlen[argc++] = (size_t)(e - p);
      p = e;
    }
  }
  redisReply *r = redisCommandArgv(t->rc, argc, argv, argvlen);
  free(copy);
  if (r == NULL)
    die("Redis: %s (running: %s)", t->rc->errstr, line);
  return r;
}

char *vg_test_run(vg_test_redis_t *t, const char *line) {
  redisReply *r = command_line(t, line);
  char *s = vg_test_render(r);
  freeReplyObject(r);
  return s;
}

void vg_test_setup(vg_test_redis_t *t, const char *const *lines) {
  for (; lines && *lines; lines++) {
    redisReply *r = command_line(t, *lines);
    if (r->type == REDIS_REPLY_ERROR)
      die("setup: %s: %s", *lines, r->str);
    freeReplyObject(r);
  }
}

char *vg_test_fcall(vg_test_redis_t *t, const vg_fcall_t *c) {
  redisReply *r = redisCommandArgv(t->rc, c->argc, c->argv, c->argvlen);
  if (r == NULL)
    die("Redis: %s", t->rc->errstr);
  char *s = vg_test_render(r);
  freeReplyObject(r);
  return s;
}

/* --- snapshots ------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ignored(const char *f, const char *const *list) {
  for (; list && *list; list++)
    if (strcmp(f, *list) == 0)
      return 1;
  return 0;
}

/* name/value pairs of a flat reply, sorted by name, into b. */
static void pairs(buf_t *b, const redisReply *r, const char *const *skip) {
  size_t n = r->elements / 2;
  char **items = calloc(n ? n : 1, sizeof *items);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const redisReply *f = r->element[2 * i], *v = r->element[2 * i + 1];
    if (ignored(f->str, skip))
      continue;
    buf_t e = {0};
    put(&e, f->str, f->len);
    puts_(&e, "=");
    if (v->type == REDIS_REPLY_STRING)
      put(&e, v->str, v->len);
    items[k++] = e.p;
  }
  qsort(items, k, sizeof *items, cmp_str);
  for (size_t i = 0; i < k; i++) {
    puts_(b, " ");
    puts_(b, items[i]);
    free(items[i]);
  }
  free(items);
}

char *vg_test_snapshot(vg_test_redis_t *t, const char *const *counters) {
  redisReply *keys = redisCommand(t->rc, "KEYS *");
  char **names = calloc(keys->elements ? keys->elements : 1, sizeof *names);
  for (size_t i = 0; i < keys->elements; i++)
    names[i] = strdup(keys->element[i]->str);
  size_t n = keys->elements;
  freeReplyObject(keys);
  qsort(names, n, sizeof *names, cmp_str);
  buf_t b = {0};
  puts_(&b, "");
  for (size_t i = 0; i < n; i++) {
    const char *k = names[i];
    redisReply *ty = redisCommand(t->rc, "TYPE %s", k);
    redisReply *ttl = redisCommand(t->rc, "PTTL %s", k);
    puts_(&b, k);
    puts_(&b, ttl->integer > 0 ? " (ttl) " : " ");
    puts_(&b, ty->str);
    puts_(&b, ":");
    redisReply *v = NULL;
    const char *const *skip =
        strcmp(k, "vasgw:stats") == 0 ? counters : NULL;
    if (strcmp(ty->str, "string") == 0) {
      v = redisCommand(t->rc, "GET %s", k);
      puts_(&b, " ");
      put(&b, v->str, v->len);
    } else if (strcmp(ty->str, "hash") == 0) {
      v = redisCommand(t->rc, "HGETALL %s", k);
      pairs(&b, v, skip);
    } else if (strcmp(ty->str, "set") == 0) {
      v = redisCommand(t->rc, "SORT %s ALPHA", k);
      char *s = vg_test_render(v);
      puts_(&b, " ");
      puts_(&b, s);
      free(s);
    } else {
      if (strcmp(ty->str, "zset") == 0)
        v = redisCommand(t->rc, "ZRANGE %s 0 -1 WITHSCORES", k);
      else if (strcmp(ty->str, "list") == 0)
        v = redisCommand(t->rc, "LRANGE %s 0 -1", k);
      else if (strcmp(ty->str, "stream") == 0)
        v = redisCommand(t->rc, "XRANGE %s - +", k);
      char *s = vg_test_render(v);
      puts_(&b, " ");
      puts_(&b, s);
      free(s);
      if (strcmp(ty->str, "stream") == 0) {
        /* what the consumer groups have read and not acknowledged */
        redisReply *g = redisCommand(t->rc, "XINFO GROUPS %s", k);
        for (size_t i = 0; g && g->type == REDIS_REPLY_ARRAY && i < g->elements;
             i++) {
          redisReply *p = redisCommand(t->rc, "XPENDING %s %s", k,
                                       g->element[i]->element[1]->str);
          char *ps = vg_test_render(p);
          puts_(&b, " pending ");
          puts_(&b, ps);
          free(ps);
          freeReplyObject(p);
        }
        freeReplyObject(g);
      }
    }
    puts_(&b, "\n");
    freeReplyObject(v);
    freeReplyObject(ty);
    freeReplyObject(ttl);
    free(names[i]);
  }
  free(names);
  return b.p;
}
