/*
 * cli.c — see cli.h.
 */
#include "cli/cli.h"
#include "gateway/clock.h"
#include "gateway/csv.h"
#include "gateway/ids.h"
#include "gateway/keys.h"
#include "gateway/redis.h"
#include "gateway/redis_sync.h"
#include "handlers/oplog.h"
#include "handlers/settlement.h"
#include "gateway/vg.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <uniwidth.h>

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

void vg_cli_json_member(const char *name, const char *value, int first) {
  printf("%s", first ? "" : ",");
  vg_cli_json_str(stdout, name);
  putchar(':');
  vg_cli_json_str(stdout, value);
}

int vg_cli_connect(cli_t *c) {
  char err[1024];
  c->rc = vg_redis_sync_connect(&c->cfg, err, sizeof err);
  if (c->rc == NULL)
    return vg_cli_fail("%s", err);
  return 0;
}

redisReply *vg_cli_fcall(cli_t *c, const vg_fcall_t *call) {
  char err[1024];
  redisReply *r = vg_redis_sync_fcall(c->rc, call, err, sizeof err);
  if (r == NULL)
    vg_cli_fail("%s", err);
  return r;
}

const char *vg_cli_field(const redisReply *h, const char *name) {
  return vg_reply_field(h, name);
}

const char *vg_cli_str(const redisReply *h, const char *name) {
  const char *v = vg_reply_field(h, name);
  return v ? v : "";
}

long long vg_cli_num(const redisReply *h, const char *name) {
  return strtoll(vg_cli_str(h, name), NULL, 10);
}

int vg_cli_is_header(const vg_csv_row_t *r, const char *second) {
  if (r->n != 2 || strcasecmp(r->f[0], "msisdn") != 0)
    return 0;
  size_t fl = strlen(r->f[1]);
  for (const char *p = second;; p++) {
    size_t n = strcspn(p, "|");
    if (n == fl && strncasecmp(p, r->f[1], n) == 0)
      return 1;
    p += n;
    if (*p == '\0')
      return 0;
  }
}

/* How much of the file is read at a time: a list of millions of numbers
 * is read in constant memory. */
#define CHUNK (1 << 20)

int vg_cli_each_record(const char *path,
                       int (*row)(void *data, size_t nth,
                                  const vg_csv_row_t *r),
                       void *data) {
  return vg_cli_each_record_or_bad(path, row, NULL, data);
}

int vg_cli_each_record_or_bad(const char *path,
                              int (*row)(void *data, size_t nth,
                                         const vg_csv_row_t *r),
                              void (*bad_record)(void *data, long line,
                                                 const char *why),
                              void *data) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (f == NULL) {
    vg_cli_fail("%s: cannot read: %s", path, strerror(errno));
    return -1;
  }
  size_t cap = CHUNK * 2, len = 0;
  char *buf = vg_malloc(cap);
  vg_csv_row_t r = {0};
  char why[256];
  int bad = 0, first = 1, at_end = 0;
  size_t nth = 0;
  long line = 1;
  while (!at_end) {
    if (cap - len < CHUNK) {
      cap *= 2; /* one record longer than a chunk: rare, and bounded by it */
      buf = vg_realloc(buf, cap);
    }
    size_t got = fread(buf + len, 1, CHUNK, f);
    len += got;
    if (got == 0) {
      if (ferror(f)) {
        vg_cli_fail("%s: cannot read: %s", path, strerror(errno));
        bad = -1;
        break;
      }
      at_end = 1;
    }
    /* The records read whole: one that reaches the end of what is read
     * so far may go on in what is not (a quoted field across the cut, a
     * last line without its end yet) and waits for the next read, unless
     * the file has ended. */
    vg_csv_t p;
    vg_csv_init(&p, buf, len);
    if (!first)
      p.pos = 0; /* a byte order mark only begins the file */
    p.line = line;
    p.comments = 1;
    first = 0;
    size_t done = p.pos; /* after a byte order mark */
    long done_line = p.line;
    int n;
    while ((n = vg_csv_next(&p, &r, why, sizeof why)) != 0) {
      /* Unfinished: read on.  A quoted field open for more than a chunk
       * is a stray quote, not a record: taken as the parser made it (its
       * own line, malformed), so that memory and work stay bounded. */
      if (!at_end && ((p.partial && len - done <= CHUNK) ||
                      (!p.partial && p.pos >= len && buf[len - 1] != '\n')))
        break;
      done = p.pos;
      done_line = p.line;
      if (n < 0) {
        if (bad_record)
          bad_record(data, r.line, why);
        else
          vg_cli_bad_row(path, r.line, "%s", why);
        bad++;
        nth++;
      } else if (!vg_csv_row_blank(&r)) {
        bad += row(data, nth++, &r) != 0;
      }
    }
    if (n == 0) {
      done = p.pos; /* comment lines at the end */
      done_line = p.line;
    }
    line = done_line;
    memmove(buf, buf + done, len - done);
    len -= done;
  }
  vg_csv_row_free(&r);
  free(buf);
  if (f != stdin)
    fclose(f);
  return bad;
}

int vg_cli_refuse(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "vasgw: %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 2;
}

int vg_cli_check_id(const char *cmd, const char *kind, const char *id) {
  size_t n = strlen(id);
  if (n == 0)
    return vg_cli_refuse(cmd, "the %s id is empty", kind);
  if (n > VG_ID_MAX)
    return vg_cli_refuse(cmd, "%s ids are at most %d bytes; this one has %zu",
                         kind, VG_ID_MAX, n);
  return 0;
}

const char *vg_cli_yuan(char out[32], long long fen) {
  vg_fen_to_yuan(fen, out, 32);
  return out;
}

size_t vg_cli_width(const char *s) {
  int w = u8_width((const uint8_t *)s, strlen(s), "UTF-8");
  return w > 0 ? (size_t)w : 0;
}

void vg_cli_cell(const char *s, size_t w, int right, const char *after) {
  size_t have = vg_cli_width(s);
  int pad = *after == '\n' && !right ? 0 : (int)(w > have ? w - have : 0);
  if (right)
    printf("%*s%s%s", pad, "", s, after);
  else
    printf("%s%*s%s", s, pad, "", after);
}

const char *vg_cli_local(char out[VG_CLI_WHEN_MAX], long long ms,
                         vg_cli_when_t how) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  if (ms <= 0 || localtime_r(&t, &tm) == NULL)
    return strcpy(out, "-");
  if (how == VG_CLI_RFC3339)
    return vg_clock_iso(out, ms); /* the webhook's form too */
  if (how == VG_CLI_DAY) {
    strftime(out, VG_CLI_WHEN_MAX, "%Y-%m-%d", &tm);
    return out;
  }
  /* strftime's %z has no colon ("+0800"): the offset is written here. */
  long off = tm.tm_gmtoff / 60;
  char sign = off < 0 ? '-' : '+';
  if (off < 0)
    off = -off;
  size_t n = strftime(out, VG_CLI_WHEN_MAX, "%Y-%m-%d %H:%M:%S", &tm);
  snprintf(out + n, VG_CLI_WHEN_MAX - n, " %c%02ld:%02ld", sign, off / 60,
           off % 60);
  return out;
}

void vg_cli_json_time(FILE *out, const char *field, long long ms) {
  size_t n = strlen(field);
  if (n >= 2 && strcmp(field + n - 2, "at") == 0 &&
      (n == 2 || field[n - 3] == '_'))
    n = n == 2 ? 0 : n - 3;
  fprintf(out, ",\"%.*s%stime\":", (int)n, field, n ? "_" : "");
  char when[VG_CLI_WHEN_MAX];
  if (ms <= 0)
    fputs("null", out);
  else
    vg_cli_json_str(out, vg_cli_local(when, ms, VG_CLI_RFC3339));
}

/* n digits at s: their value, or -1. */
static int digits_at(const char *s, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

long long vg_cli_rfc3339_ms(const char *s) {
  /* RFC 3339 section 5.6: date "T" time, fractions of a second allowed,
   * "Z" or an offset; "t" and "z" as well (its note on case). */
  if (s == NULL || strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
    return -1;
  int y = digits_at(s, 4), mo = digits_at(s + 5, 2), d = digits_at(s + 8, 2),
      h = digits_at(s + 11, 2), mi = digits_at(s + 14, 2),
      sec = digits_at(s + 17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
      mi < 0 || mi > 59 || sec < 0 || sec > 60)
    return -1;
  const char *p = s + 19;
  long long ms = 0;
  if (*p == '.') {
    int n = 0;
    for (p++; *p >= '0' && *p <= '9'; p++, n++)
      if (n < 3)
        ms = ms * 10 + (*p - '0');
    if (n == 0)
      return -1;
    for (; n < 3; n++)
      ms *= 10;
  }
  long long off = 0;
  if (*p == 'Z' || *p == 'z') {
    if (p[1] != '\0')
      return -1;
  } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
    int oh = digits_at(p + 1, 2), om = digits_at(p + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59)
      return -1;
    off = (oh * 60LL + om) * 60 * (*p == '-' ? -1 : 1);
  } else {
    return -1;
  }
  struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                  .tm_hour = h, .tm_min = mi, .tm_sec = sec > 59 ? 59 : sec};
  time_t t = timegm(&tm);
  struct tm back;
  /* timegm rolls 2026-11-31 over to December: a day that is not one. */
  if (gmtime_r(&t, &back) == NULL || back.tm_mday != d || back.tm_mon != mo - 1)
    return -1;
  return ((long long)t - off) * 1000 + ms;
}

char *vg_cli_read_file(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  size_t cap = 65536, n = 0, got;
  char *buf;

  if (f == NULL)
    return NULL;
  buf = vg_malloc(cap);
  while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap)
      buf = vg_realloc(buf, cap *= 2);
  }
  int bad = ferror(f), saved = errno;
  if (f != stdin)
    fclose(f);
  if (bad) {
    free(buf);
    errno = saved ? saved : EIO;
    return NULL;
  }
  buf[n] = '\0'; /* n < cap: the buffer grows as soon as it is full */
  *len = n;
  return buf;
}

const char *vg_cli_abspath(const char *path, char *out, size_t outsz) {
  char *abs = strcmp(path, "-") == 0 ? NULL : realpath(path, NULL);

  snprintf(out, outsz, "%s", strcmp(path, "-") == 0 ? "stdin"
                             : abs ? abs : path);
  free(abs);
  return out;
}

int vg_cli_audit(cli_t *c, const char *action, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *detail = vg_malloc(len > 0 ? (size_t)len + 1 : 1);
  detail[0] = '\0';
  va_start(ap, fmt);
  if (len > 0)
    vsnprintf(detail, (size_t)len + 1, fmt, ap);
  va_end(ap);
  if (c->rc == NULL && vg_cli_connect(c) != 0) {
    free(detail);
    return vg_cli_fail("%s done, but not recorded in the audit log", action);
  }
  char err[512];
  int rc = 0;
  if (vg_oplog_write(c->rc, c->cfg.prefix, NULL, action, detail, err,
                     sizeof err) != 0)
    rc = vg_cli_fail("%s done, but not recorded in the audit log: %s", action,
                     err);
  free(detail);
  return rc;
}

void vg_cli_bad_row(const char *path, long line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "vasgw: %s:%ld: ", path, line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* --- times and options given on the command line ------------------------- */

static int digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return 0;
  return 1;
}

/* mktime would roll 2026-02-30 over to March: the fields are compared
 * after it. */
int vg_cli_parse_local(const char *s, long long *ms) {
  size_t len = strlen(s);
  struct tm tm;

  memset(&tm, 0, sizeof tm);
  if (len != 10 && len != 16)
    return -1;
  if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
      !digits(s + 8, 2))
    return -1;
  tm.tm_year = atoi(s) - 1900;
  tm.tm_mon = atoi(s + 5) - 1;
  tm.tm_mday = atoi(s + 8);
  if (len == 16) {
    if ((s[10] != ' ' && s[10] != 'T') || !digits(s + 11, 2) ||
        s[13] != ':' || !digits(s + 14, 2))
      return -1;
    tm.tm_hour = atoi(s + 11);
    tm.tm_min = atoi(s + 14);
    if (tm.tm_hour > 23 || tm.tm_min > 59)
      return -1;
  }
  tm.tm_isdst = -1;
  struct tm want = tm;
  time_t t = mktime(&tm);
  if (t == (time_t)-1 || tm.tm_year != want.tm_year ||
      tm.tm_mon != want.tm_mon || tm.tm_mday != want.tm_mday)
    return -1;
  *ms = (long long)t * 1000;
  return 0;
}


int vg_cli_options(const char *cmd, int nw, const char **w, int from,
                   vg_cli_opt_t *opts, size_t nopts, const char **pos,
                   int maxpos, int *npos) {
  *npos = 0;
  for (int i = from; i < nw; i++) {
    if (strncmp(w[i], "--", 2) != 0) {
      if (*npos == maxpos)
        return vg_cli_usage_error("%s: unexpected argument '%s'", cmd, w[i]);
      pos[(*npos)++] = w[i];
      continue;
    }
    const char *eq = strchr(w[i], '=');
    size_t len = eq ? (size_t)(eq - w[i]) : strlen(w[i]);
    size_t k = 0;
    while (k < nopts && !(strlen(opts[k].name) == len &&
                          strncmp(opts[k].name, w[i], len) == 0))
      k++;
    if (k == nopts)
      return vg_cli_usage_error("%s: unknown option '%.*s'", cmd, (int)len,
                                w[i]);
    if (opts[k].value != NULL)
      return vg_cli_usage_error("%s: option '%s' given twice", cmd,
                                opts[k].name);
    if (opts[k].flag) {
      if (eq != NULL)
        return vg_cli_usage_error("%s: option '%s' takes no value", cmd,
                                  opts[k].name);
      opts[k].value = "";
    } else if (eq != NULL) {
      opts[k].value = eq + 1;
    } else if (i + 1 < nw) {
      opts[k].value = w[++i];
    } else {
      return vg_cli_usage_error("%s: option '%s' needs a value", cmd,
                                opts[k].name);
    }
  }
  return 0;
}
