/*
 * segments.c — see segments.h.  A table is an array sorted by prefix; the
 * longest match is found by trying the number's own prefixes, longest
 * first, each with a binary search: at most VG_SEGMENT_PREFIX_MAX searches
 * whatever the size of the table.
 */
#include "handlers/segments.h"
#include "gateway/keys.h"
#include "gateway/vg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistr.h>

typedef struct {
  vg_segment_t seg;
  long line; /* where it was added from (vg_segments_sort's report) */
} entry_t;

struct vg_segments_s {
  entry_t *e;
  size_t n, cap;
  int sorted;
};

vg_segments_t *vg_segments_new(void) {
  vg_segments_t *s = vg_calloc(1, sizeof *s);
  s->sorted = 1;
  return s;
}

void vg_segments_free(vg_segments_t *s) {
  if (s == NULL)
    return;
  free(s->e);
  free(s);
}

size_t vg_segments_count(const vg_segments_t *s) { return s->n; }

const vg_segment_t *vg_segments_at(const vg_segments_t *s, size_t i) {
  return i < s->n ? &s->e[i].seg : NULL;
}

/* `in` without blanks at either end into `out` (outsz bytes): 0, or
 * VG_ETOOLONG. */
static int trim(const char *in, char *out, size_t outsz) {
  size_t len = strlen(in);
  while (len > 0 && (*in == ' ' || *in == '\t'))
    in++, len--;
  while (len > 0 && (in[len - 1] == ' ' || in[len - 1] == '\t'))
    len--;
  if (len >= outsz)
    return VG_ETOOLONG;
  memcpy(out, in, len);
  out[len] = '\0';
  return 0;
}

/* A region or city: min..VG_SEGMENT_NAME_MAX characters on one line. */
static int check_name(const char *what, const char *in, char *out,
                      size_t outsz, size_t min, char *why, size_t whysz) {
  size_t chars = 0;
  if (trim(in, out, outsz) != 0) {
    snprintf(why, whysz, "the %s is longer than %d characters", what,
             VG_SEGMENT_NAME_MAX);
    return VG_EINVAL;
  }
  if (u8_check((const uint8_t *)out, strlen(out)) != NULL) {
    snprintf(why, whysz, "the %s is not valid UTF-8", what);
    return VG_EINVAL;
  }
  for (const uint8_t *p = (const uint8_t *)out; *p; chars++) {
    ucs4_t u;
    p += u8_strmbtouc(&u, p);
    if (u < 0x20 || (u >= 0x7f && u < 0xa0) || u == 0x2028 || u == 0x2029) {
      snprintf(why, whysz, "the %s has a control character", what);
      return VG_EINVAL;
    }
  }
  if (chars < min || chars > VG_SEGMENT_NAME_MAX) {
    snprintf(why, whysz, chars < min ? "the %s is empty"
                                     : "the %s is longer than %d characters",
             what, VG_SEGMENT_NAME_MAX);
    return VG_EINVAL;
  }
  return 0;
}

int vg_segments_add(vg_segments_t *s, const char *prefix, const char *region,
                    const char *city, long line, char *why, size_t whysz) {
  entry_t e = {.line = line};
  char p[64];

  if (trim(prefix, p, sizeof p) != 0 || p[0] == '\0' ||
      strlen(p) > VG_SEGMENT_PREFIX_MAX ||
      strspn(p, "0123456789") != strlen(p)) {
    snprintf(why, whysz, "prefix '%s' is not 1 to %d digits", prefix,
             VG_SEGMENT_PREFIX_MAX);
    return VG_EINVAL;
  }
  snprintf(e.seg.prefix, sizeof e.seg.prefix, "%s", p);
  if (check_name("region", region, e.seg.region, sizeof e.seg.region, 1, why,
                 whysz) != 0 ||
      check_name("city", city ? city : "", e.seg.city, sizeof e.seg.city, 0,
                 why, whysz) != 0)
    return VG_EINVAL;
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 64;
    s->e = vg_realloc(s->e, s->cap * sizeof *s->e);
  }
  s->e[s->n++] = e;
  s->sorted = 0;
  return 0;
}

int vg_segments_is_header(const vg_csv_row_t *r) {
  return (r->n == 2 || r->n == 3) && strcasecmp(r->f[0], "prefix") == 0 &&
         strcasecmp(r->f[1], "region") == 0 &&
         (r->n == 2 || strcasecmp(r->f[2], "city") == 0);
}

int vg_segments_add_row(vg_segments_t *s, const vg_csv_row_t *r, char *why,
                        size_t whysz) {
  if (r->n != 2 && r->n != 3) {
    snprintf(why, whysz, "%zu field%s; expected prefix,region[,city]", r->n,
             r->n == 1 ? "" : "s");
    return VG_EINVAL;
  }
  return vg_segments_add(s, r->f[0], r->f[1], r->n == 3 ? r->f[2] : "",
                         r->line, why, whysz);
}

static int by_prefix(const void *a, const void *b) {
  const entry_t *x = a, *y = b;
  int c = strcmp(x->seg.prefix, y->seg.prefix);
  return c ? c : (x->line > y->line) - (x->line < y->line);
}

size_t vg_segments_sort(vg_segments_t *s,
                        void (*dup)(void *data, const char *prefix,
                                    long first_line, long line),
                        void *data) {
  size_t dups = 0;
  if (s->n == 0)
    return 0; /* an empty table: nothing to sort (qsort of NULL is UB) */
  qsort(s->e, s->n, sizeof *s->e, by_prefix);
  for (size_t i = 1, first = 0; i < s->n; i++) {
    if (strcmp(s->e[i].seg.prefix, s->e[first].seg.prefix) != 0) {
      first = i;
      continue;
    }
    dups++;
    if (dup)
      dup(data, s->e[i].seg.prefix, s->e[first].line, s->e[i].line);
  }
  s->sorted = 1;
  return dups;
}

/* The entry whose prefix is exactly p[0..len), or NULL. */
static const entry_t *exact(const vg_segments_t *s, const char *p,
                            size_t len) {
  size_t lo = 0, hi = s->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const char *q = s->e[mid].seg.prefix;
    int c = strncmp(q, p, len);
    if (c == 0 && q[len] != '\0')
      c = 1; /* q is longer: after p in the order */
    if (c == 0)
      return &s->e[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

const vg_segment_t *vg_segments_find(const vg_segments_t *s,
                                     const char *msisdn_normalised,
                                     const char *country_code) {
  size_t cc = strlen(country_code);
  if (s == NULL || !s->sorted ||
      strncmp(msisdn_normalised, country_code, cc) != 0)
    return NULL; /* another country's number */
  const char *national = msisdn_normalised + cc;
  size_t len = strlen(national);
  if (len > VG_SEGMENT_PREFIX_MAX)
    len = VG_SEGMENT_PREFIX_MAX;
  for (; len > 0; len--) {
    const entry_t *e = exact(s, national, len);
    if (e != NULL)
      return &e->seg;
  }
  return NULL;
}

/* --- Redis ------------------------------------------------------------------------ */

int vg_segments_load(redisContext *rc, const char *prefix,
                     vg_segments_t **out, char *err, size_t errsz) {
  char key[VG_KEY_MAX], why[256];
  int ret = 0;

  *out = NULL;
  vg_key(key, prefix, "%s", VG_K_SEGMENTS);
  redisReply *r = redisCommand(rc, "HGETALL %s", key);
  if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
    snprintf(err, errsz, "Redis: %s",
             r && r->type == REDIS_REPLY_ERROR ? r->str : rc->errstr);
    freeReplyObject(r);
    return VG_EREDIS;
  }
  vg_segments_t *s = vg_segments_new();
  for (size_t i = 0; i + 1 < r->elements && ret == 0; i += 2) {
    const char *v = r->element[i + 1]->str, *tab = strchr(v, '\t');
    char region[sizeof ((vg_segment_t *)0)->region];
    size_t rlen = tab ? (size_t)(tab - v) : strlen(v);
    if (rlen >= sizeof region)
      rlen = sizeof region - 1; /* too long: add() refuses it anyway */
    memcpy(region, v, rlen);
    region[rlen] = '\0';
    if (vg_segments_add(s, r->element[i]->str, region, tab ? tab + 1 : "",
                        0, why, sizeof why) != 0) {
      snprintf(err, errsz, "%s: stored segment '%s': %s", key,
               r->element[i]->str, why);
      ret = VG_EINVAL;
    }
  }
  freeReplyObject(r);
  /* A hash has each field once: no repeats to tell. */
  if (ret == 0)
    vg_segments_sort(s, NULL, NULL);
  if (ret != 0)
    vg_segments_free(s);
  else
    *out = s;
  return ret;
}

/* Entries per HSET of the new table. */
#define STORE_CHUNK 1000

int vg_segments_store(redisContext *rc, const char *prefix,
                      const vg_segments_t *s, char *err, size_t errsz) {
  char key[VG_KEY_MAX], tmp[VG_KEY_MAX];
  size_t cmds = 0;
  int ret = 0;

  if (s->n == 0) {
    snprintf(err, errsz, "no segments");
    return VG_EINVAL;
  }
  vg_key(key, prefix, "%s", VG_K_SEGMENTS);
  vg_key(tmp, prefix, "%s:new", VG_K_SEGMENTS);
  const char **argv = vg_malloc((2 + 2 * STORE_CHUNK) * sizeof *argv);
  char(*val)[sizeof s->e->seg.region + sizeof s->e->seg.city + 1] =
      vg_malloc(STORE_CHUNK * sizeof *val);
  redisAppendCommand(rc, "MULTI");
  /* A P:segments:new left by an import that died is no part of this one. */
  redisAppendCommand(rc, "DEL %s", tmp);
  cmds += 2;
  for (size_t i = 0; i < s->n;) {
    int argc = 2;
    argv[0] = "HSET";
    argv[1] = tmp;
    for (size_t k = 0; k < STORE_CHUNK && i < s->n; k++, i++) {
      snprintf(val[k], sizeof val[k], "%s\t%s", s->e[i].seg.region,
               s->e[i].seg.city);
      argv[argc++] = s->e[i].seg.prefix;
      argv[argc++] = val[k];
    }
    redisAppendCommandArgv(rc, argc, argv, NULL);
    cmds++;
  }
  redisAppendCommand(rc, "RENAME %s %s", tmp, key);
  redisAppendCommand(rc, "EXEC");
  cmds += 2;
  free(argv);
  free(val);
  /* Read every reply; the last, EXEC's, says whether it was done. */
  for (size_t i = 0; i < cmds; i++) {
    void *v = NULL;
    if (redisGetReply(rc, &v) != REDIS_OK || v == NULL) {
      snprintf(err, errsz, "Redis: %s", rc->errstr);
      return VG_EREDIS;
    }
    redisReply *r = v;
    if (ret == 0 && (r->type == REDIS_REPLY_ERROR ||
                     (i == cmds - 1 && r->type != REDIS_REPLY_ARRAY))) {
      snprintf(err, errsz, "Redis: %s",
               r->type == REDIS_REPLY_ERROR ? r->str : "not written");
      ret = VG_EREDIS;
    }
    freeReplyObject(r);
  }
  return ret;
}
