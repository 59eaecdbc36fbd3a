/*
 * catalogue.c — the service catalogue (ARCHITECTURE.md, handlers/: the
 * business words every offer, knowledge SMS and commission rule refers to).
 *
 * One table below says, per field of the Redis hash, where it lives in
 * vg_service_t and how its text is checked; setting, printing and checking an
 * entry all walk it.  The checks are pure; the three blocking-hiredis
 * functions at the end are the CLI's way to read and write the catalogue
 * (the daemon reads the same hash with its async wrapper).
 */
#include "handlers/catalogue.h"
#include "gateway/mt_queue.h"
#include "gateway/redis_sync.h"
#include "handlers/audit.h"
#include "handlers/lua/functions.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "gateway/keys.h"
#include "gateway/vg.h"
#include "handlers/grammar.h"

/* ---- the field table ------------------------------------------------------- */

typedef enum {
  K_CODE,  /* ^[A-Z][A-Z0-9]{0,7}$, no command keyword */
  K_TEXT,  /* UTF-8 without control characters, min..max characters */
  K_ASCII, /* printable ASCII without blanks, min..max bytes */
  K_FEN,   /* 0..VG_SVC_COMMISSION_MAX, digits only */
  K_BOOL,  /* "1" or "0" */
  K_MS     /* milliseconds since the epoch, digits only */
} kind_t;

typedef struct {
  const char *name;
  kind_t kind;
  size_t off;  /* offset in vg_service_t */
  size_t size; /* of a char[] field */
  size_t min, max;
} field_def_t;

#define STR(m, kind, min, max)                                               \
  kind, offsetof(vg_service_t, m), sizeof(((vg_service_t *)0)->m), min, max
#define NUM(m, kind) kind, offsetof(vg_service_t, m), 0, 0, 0

static const field_def_t fields[VG_SVC_F_COUNT] = {
    [VG_SVC_F_CODE] = {"code", STR(code, K_CODE, 1, VG_SVC_CODE_MAX)},
    [VG_SVC_F_NAME] = {"name", STR(name, K_TEXT, 1, VG_SVC_NAME_MAX)},
    [VG_SVC_F_PRICE] = {"price", STR(price, K_TEXT, 1, VG_SVC_PRICE_MAX)},
    [VG_SVC_F_PROVISION_CODE] = {"provision_code",
                                 STR(provision_code, K_ASCII, 1,
                                     VG_SVC_PROVISION_MAX)},
    [VG_SVC_F_COMMISSION_FEN] = {"commission_fen",
                                 NUM(commission_fen, K_FEN)},
    [VG_SVC_F_KNOWLEDGE] = {"knowledge",
                            STR(knowledge, K_TEXT, 0, VG_SVC_TEXT_MAX)},
    [VG_SVC_F_USAGE] = {"usage", STR(usage, K_TEXT, 0, VG_SVC_TEXT_MAX)},
    [VG_SVC_F_CANCEL] = {"cancel", STR(cancel, K_TEXT, 0, VG_SVC_TEXT_MAX)},
    [VG_SVC_F_ENABLED] = {"enabled", NUM(enabled, K_BOOL)},
    [VG_SVC_F_CREATED] = {"created", NUM(created_ms, K_MS)},
    [VG_SVC_F_UPDATED] = {"updated", NUM(updated_ms, K_MS)},
};

/* The header's map and this table must agree on every name. */
#define XX(id, nm) nm,
static const char *const map_names[] = {VG_SVC_FIELD_MAP(XX)};
#undef XX

const char *vg_service_field_name(vg_svc_field_t f) {
  return (unsigned)f < VG_SVC_F_COUNT ? map_names[f] : NULL;
}

int vg_service_field_lookup(const char *name) {
  for (int i = 0; name != NULL && i < VG_SVC_F_COUNT; i++)
    if (strcmp(map_names[i], name) == 0)
      return i;
  return -1;
}

void vg_service_init(vg_service_t *s) {
  memset(s, 0, sizeof *s);
  s->enabled = 1;
}

static int say(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int say(char *why, size_t whysz, const char *fmt, ...) {
  if (why != NULL && whysz > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whysz, fmt, ap);
    va_end(ap);
  }
  return VG_EINVAL;
}

/* ---- codes ----------------------------------------------------------------- */

int vg_service_norm_code(const char *in, char out[VG_SVC_CODE_MAX + 1],
                         char *why, size_t whysz) {
  size_t len, i;

  out[0] = '\0';
  if (in == NULL || in[0] == '\0')
    return say(why, whysz, "code is empty");
  len = strlen(in);
  /* Echo the code in the reason only when it is plain printable ASCII. */
  for (i = 0; i < len; i++)
    if ((unsigned char)in[i] <= 0x20 || (unsigned char)in[i] >= 0x7f)
      return say(why, whysz, "code may hold only letters A-Z and digits");
  if (len > VG_SVC_CODE_MAX)
    return say(why, whysz, "code %.*s... is longer than %d characters",
               VG_SVC_CODE_MAX, in, VG_SVC_CODE_MAX);
  char up[VG_SVC_CODE_MAX + 1];
  for (i = 0; i < len; i++) {
    char c = in[i];
    up[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
  }
  up[len] = '\0';
  if (!(up[0] >= 'A' && up[0] <= 'Z'))
    return say(why, whysz, "code %s must start with a letter A-Z", up);
  for (i = 1; i < len; i++)
    if (!((up[i] >= 'A' && up[i] <= 'Z') || (up[i] >= '0' && up[i] <= '9')))
      return say(why, whysz, "code %s may hold only letters A-Z and digits",
                 up);
  if (vg_command_is_keyword(up))
    return say(why, whysz, "code %s is a command keyword", up);
  memcpy(out, up, len + 1);
  return 0;
}

int vg_service_check_code(const char *code, char *why, size_t whysz) {
  char out[VG_SVC_CODE_MAX + 1];

  return vg_service_norm_code(code, out, why, whysz);
}

/* ---- numbers --------------------------------------------------------------- */

/* Digits only, at least one: 0, VG_EINVAL (malformed) or VG_ERANGE (> max). */
static int parse_digits(const char *t, long long max, long long *out) {
  long long v = 0;

  if (t == NULL || *t == '\0')
    return VG_EINVAL;
  for (; *t; t++) {
    if (*t < '0' || *t > '9')
      return VG_EINVAL;
    if (v > (max - (*t - '0')) / 10)
      return VG_ERANGE;
    v = v * 10 + (*t - '0');
  }
  *out = v;
  return 0;
}

int vg_service_parse_fen(const char *text, long long *fen) {
  return parse_digits(text, VG_SVC_COMMISSION_MAX, fen);
}

/* ---- texts ----------------------------------------------------------------- */

/* C0, DEL, C1 and the Unicode line and paragraph separators: an SMS text
 * is one paragraph, and a terminal or CSV would show them as breaks. */
static int is_control(ucs4_t u) {
  return u < 0x20 || (u >= 0x7f && u <= 0x9f) || u == 0x2028 || u == 0x2029;
}

static int check_text(const field_def_t *d, const char *v, char *why,
                      size_t whysz) {
  size_t len = strlen(v), n;
  const uint8_t *p = (const uint8_t *)v, *e = p + len;

  if (u8_check(p, len) != NULL)
    return say(why, whysz, "%s is not valid UTF-8", d->name);
  for (n = 0; p < e; n++) {
    ucs4_t u;
    int l = u8_mbtouc(&u, p, (size_t)(e - p));
    if (is_control(u))
      return say(why, whysz, "%s holds a control character (U+%04X)%s",
                 d->name, (unsigned)u,
                 u == '\n' || u == '\r' ? ": no line breaks" : "");
    p += l;
  }
  if (n < d->min)
    return say(why, whysz, "%s is empty", d->name);
  if (n > d->max || len >= d->size)
    return say(why, whysz, "%s has %zu characters (at most %zu)", d->name, n,
               d->max);
  return 0;
}

static int check_ascii(const field_def_t *d, const char *v, char *why,
                       size_t whysz) {
  size_t len = strlen(v);

  if (len < d->min)
    return say(why, whysz, "%s is empty", d->name);
  if (len > d->max)
    return say(why, whysz, "%s has %zu characters (at most %zu)", d->name,
               len, d->max);
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
      return say(why, whysz,
                 "%s may hold only printable ASCII without blanks", d->name);
  return 0;
}

/* ---- one field ------------------------------------------------------------- */

int vg_service_set_field(vg_service_t *s, vg_svc_field_t f, const char *value,
                         char *why, size_t whysz) {
  const field_def_t *d;
  long long v;
  int rc;

  if ((unsigned)f >= VG_SVC_F_COUNT)
    return say(why, whysz, "no such field");
  d = &fields[f];
  if (value == NULL)
    value = "";
  switch (d->kind) {
  case K_CODE:
    return vg_service_norm_code(value, (char *)s + d->off, why, whysz);
  case K_TEXT:
  case K_ASCII:
    rc = d->kind == K_TEXT ? check_text(d, value, why, whysz)
                           : check_ascii(d, value, why, whysz);
    if (rc == 0)
      memcpy((char *)s + d->off, value, strlen(value) + 1);
    return rc;
  case K_FEN:
    rc = vg_service_parse_fen(value, &v);
    if (rc == VG_ERANGE)
      return say(why, whysz, "%s %s is more than %lld fen (%lld yuan)",
                 d->name, value, VG_SVC_COMMISSION_MAX,
                 VG_SVC_COMMISSION_MAX / 100);
    if (rc != 0)
      return say(why, whysz,
                 "%s '%s' is not a whole number of fen (digits only; "
                 "5.50 yuan is 550)",
                 d->name, value);
    s->commission_fen = v;
    return 0;
  case K_BOOL:
    if (strcmp(value, "1") != 0 && strcmp(value, "0") != 0)
      return say(why, whysz, "%s '%s' is not 1 or 0", d->name, value);
    s->enabled = value[0] == '1';
    return 0;
  case K_MS:
    if (parse_digits(value, INT64_MAX, &v) != 0)
      return say(why, whysz, "%s '%s' is not a time in ms", d->name, value);
    *(int64_t *)(void *)((char *)s + d->off) = (int64_t)v;
    return 0;
  }
  return say(why, whysz, "no such field");
}

const char *vg_service_field_text(const vg_service_t *s, vg_svc_field_t f,
                                  char *buf, size_t bufsz) {
  const field_def_t *d;

  if (bufsz == 0)
    return buf;
  buf[0] = '\0';
  if ((unsigned)f >= VG_SVC_F_COUNT)
    return buf;
  d = &fields[f];
  switch (d->kind) {
  case K_CODE:
  case K_TEXT:
  case K_ASCII:
    snprintf(buf, bufsz, "%.*s", (int)d->size, (const char *)s + d->off);
    break;
  case K_FEN:
    snprintf(buf, bufsz, "%lld", s->commission_fen);
    break;
  case K_BOOL:
    snprintf(buf, bufsz, "%d", s->enabled ? 1 : 0);
    break;
  case K_MS:
    snprintf(buf, bufsz, "%lld",
             (long long)*(const int64_t *)(const void *)((const char *)s +
                                                         d->off));
    break;
  }
  return buf;
}

/* ---- the whole entry -------------------------------------------------------- */

int vg_service_check(const vg_service_t *s, char *why, size_t whysz) {
  char text[VG_SVC_UTF8_BYTES(VG_SVC_TEXT_MAX) + 1];
  vg_service_t *scratch = vg_calloc(1, sizeof *scratch);
  int rc = 0;

  for (int f = 0; f < VG_SVC_F_COUNT && rc == 0; f++) {
    const field_def_t *d = &fields[f];
    /* A string field must end inside its buffer. */
    if (d->size && memchr((const char *)s + d->off, '\0', d->size) == NULL) {
      rc = say(why, whysz, "%s is not terminated", d->name);
      break;
    }
    vg_service_field_text(s, (vg_svc_field_t)f, text, sizeof text);
    rc = vg_service_set_field(scratch, (vg_svc_field_t)f, text, why, whysz);
  }
  /* The stored form of a code is upper-case; "cl" is only an input. */
  if (rc == 0 && strcmp(scratch->code, s->code) != 0)
    rc = say(why, whysz, "code %s is not upper-case", s->code);
  vg_free(scratch);
  return rc;
}

/* The recommendation or knowledge SMS of `s`, reply code "9"; vg_free. */
static char *render_sms(const vg_templates_t *t, const vg_service_t *s,
                        int knowledge) {
  char *optout = vg_templates_render(t, VG_TPL_OPTOUT_NOTE, NULL, 0);
  const vg_tpl_var_t vars[] = {
      {"service_name", s->name}, {"service_code", s->code},
      {"price", s->price},       {"knowledge", s->knowledge},
      {"usage", s->usage},       {"cancel", s->cancel},
      {"code", "9"},             {"optout", optout},
  };
  char *text = vg_templates_render(
      t, knowledge ? VG_TPL_KNOWLEDGE : VG_TPL_RECOMMEND, vars,
      VG_ARRAY_SIZE(vars));
  vg_free(optout);
  return text;
}

int vg_service_check_sms(const vg_templates_t *t, const vg_service_t *s,
                         int max_parts, char *why, size_t whysz) {
  for (int k = 0; k < 2; k++) {
    char *text = render_sms(t, s, k);
    char w[VG_MT_WHY_MAX];
    int nparts;
    int rc = vg_mt_check_text(text, strlen(text), max_parts, &nparts, w);
    vg_free(text);
    if (rc != 0) {
      snprintf(why, whysz, "the %s SMS: %s",
               k ? "knowledge" : "recommendation", w);
      return rc;
    }
  }
  return 0;
}

size_t vg_service_recommend_parts(const vg_templates_t *t,
                                  const vg_service_t *s) {
  char *optout = vg_templates_render(t, VG_TPL_OPTOUT_NOTE, NULL, 0);
  const vg_tpl_var_t vars[] = {
      {"service_name", s->name}, {"service_code", s->code},
      {"price", s->price},       {"code", "9"},
      {"optout", optout},
  };
  char *text = vg_templates_render(t, VG_TPL_RECOMMEND, vars,
                                   VG_ARRAY_SIZE(vars));
  size_t parts = vg_templates_parts(text);

  vg_free(text);
  vg_free(optout);
  return parts;
}

/* ---- Redis ------------------------------------------------------------------ */

int vg_service_load(redisContext *rc, const char *prefix, const char *code,
                    vg_service_t *out) {
  char key[VG_KEY_MAX];
  redisReply *h;
  int ret = 0;

  vg_service_init(out);
  vg_key(key, prefix, VG_K_SVC, code);
  h = redisCommand(rc, "HGETALL %s", key);
  if (h == NULL)
    return VG_EREDIS;
  if (h->type != REDIS_REPLY_ARRAY)
    ret = VG_EREDIS; /* an error reply: WRONGTYPE and the like */
  else if (h->elements == 0)
    ret = VG_ENOTFOUND;
  for (size_t i = 0; ret == 0 && i + 1 < h->elements; i += 2) {
    const redisReply *k = h->element[i], *v = h->element[i + 1];
    int f;

    if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
        strlen(v->str) != v->len)
      ret = VG_EINVAL;
    else if ((f = vg_service_field_lookup(k->str)) >= 0 &&
             vg_service_set_field(out, (vg_svc_field_t)f, v->str, NULL, 0))
      ret = VG_EINVAL;
  }
  freeReplyObject(h);
  if (ret == 0 && vg_service_check(out, NULL, 0) != 0)
    ret = VG_EINVAL;
  return ret;
}

static int redis_err(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int redis_err(char *err, size_t errsz, const char *fmt, ...) {
  if (err != NULL && errsz > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
  }
  return VG_EREDIS;
}

/* Append one command of `argc` strings (NUL-terminated) to the pipeline. */
static void append(redisContext *rc, int argc, const char **argv) {
  size_t len[2 + 2 * VG_SVC_F_COUNT];

  for (int i = 0; i < argc; i++)
    len[i] = strlen(argv[i]);
  redisAppendCommandArgv(rc, argc, argv, len);
}

int vg_service_save(redisContext *rc, const char *prefix,
                    const vg_service_t *s, size_t n, unsigned overwrite,
                    size_t *added, char *err, size_t errsz) {
  char index[VG_KEY_MAX];
  size_t nover = 0, commands = 2, stride;
  int ret = 0;

  if (added)
    *added = 0;
  overwrite &= VG_SVC_ALL;
  for (int f = 0; f < VG_SVC_F_COUNT; f++)
    nover += (overwrite >> f) & 1u;
  /* Per entry: one HSET (when any), one HSETNX per other field, one SADD. */
  stride = (nover ? 1 : 0) + (VG_SVC_F_COUNT - nover) + 1;
  vg_key(index, prefix, "%s", VG_K_SVC_INDEX);

  const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"};
  append(rc, 1, multi);
  for (size_t i = 0; i < n; i++) {
    char key[VG_KEY_MAX];
    char val[VG_SVC_F_COUNT][VG_SVC_UTF8_BYTES(VG_SVC_TEXT_MAX) + 1];
    const char *argv[2 + 2 * VG_SVC_F_COUNT];
    int argc = 2;

    vg_key(key, prefix, VG_K_SVC, s[i].code);
    argv[0] = "HSET";
    argv[1] = key;
    for (int f = 0; f < VG_SVC_F_COUNT; f++) {
      vg_service_field_text(&s[i], (vg_svc_field_t)f, val[f], sizeof val[f]);
      if (overwrite & (1u << f)) {
        argv[argc++] = fields[f].name;
        argv[argc++] = val[f];
      }
    }
    if (nover)
      append(rc, argc, argv);
    for (int f = 0; f < VG_SVC_F_COUNT; f++) {
      if (overwrite & (1u << f))
        continue;
      const char *nx[] = {"HSETNX", key, fields[f].name, val[f]};
      append(rc, 4, nx);
    }
    const char *sadd[] = {"SADD", index, s[i].code};
    append(rc, 3, sadd);
    commands += stride;
  }
  append(rc, 1, exec);

  /* Read every reply, even after a failure, so the pipeline is drained. */
  for (size_t i = 0; i < commands; i++) {
    redisReply *r = NULL;

    if (redisGetReply(rc, (void **)&r) != REDIS_OK)
      return redis_err(err, errsz, "%s", rc->errstr);
    if (i + 1 < commands) {
      if (r->type == REDIS_REPLY_ERROR && ret == 0)
        ret = redis_err(err, errsz, "%s", r->str);
    } else if (ret != 0) {
      /* EXEC answers EXECABORT: nothing was written; keep the first error */
    } else if (r->type == REDIS_REPLY_NIL) {
      ret = VG_EBUSY; /* a WATCHed key changed */
    } else if (r->type != REDIS_REPLY_ARRAY || r->elements != commands - 2) {
      ret = redis_err(err, errsz, "EXEC: %s",
                      r->type == REDIS_REPLY_ERROR ? r->str
                                                   : "unexpected reply");
    } else {
      for (size_t k = 0; k < r->elements; k++) {
        const redisReply *e = r->element[k];
        if (e->type == REDIS_REPLY_ERROR && ret == 0)
          ret = redis_err(err, errsz, "%s (the write may be partial)",
                          e->str);
        else if (k % stride == stride - 1 && e->type == REDIS_REPLY_INTEGER &&
                 added)
          *added += (size_t)e->integer;
      }
    }
    freeReplyObject(r);
  }
  return ret;
}

static int cmp_code(const void *a, const void *b) {
  return strcmp((const char *)a, (const char *)b);
}

int vg_service_codes(redisContext *rc, const char *prefix,
                     vg_service_code_t **codes, size_t *n, char *err,
                     size_t errsz) {
  char index[VG_KEY_MAX];
  redisReply *r;

  *codes = NULL;
  *n = 0;
  vg_key(index, prefix, "%s", VG_K_SVC_INDEX);
  r = redisCommand(rc, "SMEMBERS %s", index);
  if (r == NULL)
    return redis_err(err, errsz, "%s", rc->errstr);
  if (r->type != REDIS_REPLY_ARRAY) {
    int ret = redis_err(err, errsz, "SMEMBERS %s: %s", index,
                        r->type == REDIS_REPLY_ERROR ? r->str
                                                     : "unexpected reply");
    freeReplyObject(r);
    return ret;
  }
  *codes = vg_malloc((r->elements ? r->elements : 1) * sizeof **codes);
  for (size_t i = 0; i < r->elements; i++) {
    const redisReply *e = r->element[i];
    /* A member that cannot be a code was not written by vasgw: skip it. */
    if (e->type == REDIS_REPLY_STRING && e->len >= 1 &&
        e->len <= VG_SVC_CODE_MAX)
      memcpy((*codes)[(*n)++], e->str, e->len + 1);
  }
  freeReplyObject(r);
  qsort(*codes, *n, sizeof **codes, cmp_code);
  return 0;
}

int vg_service_terms(redisContext *rc, const char *prefix, const char *code,
                     int32_t day, long long fen, long long before,
                     const char *windows, char *err, size_t errsz) {
  vg_audit_windows_t d;
  char defaults[VG_AUDIT_WINDOWS_TEXT];
  vg_audit_windows_default(&d);
  vg_audit_windows_format(&d, defaults, sizeof defaults);
  vg_fn_service_terms_t a = {.prefix = prefix,
                             .code = code,
                             .day = day,
                             .fen = fen,
                             .before = before,
                             .windows = windows ? windows : "",
                             .windows_default = defaults};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_service_terms(&call, &a);
  redisReply *r = vg_redis_sync_fcall(rc, &call, err, errsz);
  vg_fcall_free(&call);
  if (r == NULL)
    return VG_EREDIS;
  freeReplyObject(r);
  return 0;
}
