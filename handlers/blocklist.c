/*
 * blocklist.c — see blocklist.h.  The checks of a listing and the writes
 * and reads of P:blocklist and P:blocklist:info.
 */
#include "handlers/blocklist.h"
#include "gateway/keys.h"
#include "gateway/vg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistr.h>

static int say(char *why, size_t whysz, const char *what, const char *detail) {
  snprintf(why, whysz, "%s%s", what, detail ? detail : "");
  return VG_EINVAL;
}

int vg_blocklist_check_reason(const char *reason, char *why, size_t whysz) {
  size_t len = strlen(reason), chars = 0;
  const uint8_t *p = (const uint8_t *)reason, *e = p + len;

  if (u8_check(p, len) != NULL)
    return say(why, whysz, "the reason is not valid UTF-8", NULL);
  while (p < e) {
    ucs4_t u;
    p += u8_mbtouc(&u, p, (size_t)(e - p));
    /* C0, DEL, C1 and the line and paragraph separators: one line. */
    if (u < 0x20 || (u >= 0x7f && u < 0xa0) || u == 0x2028 || u == 0x2029)
      return say(why, whysz, "the reason has a control character", NULL);
    chars++;
  }
  if (chars > VG_BLOCKLIST_REASON_MAX) {
    snprintf(why, whysz, "the reason has %zu characters, at most %d", chars,
             VG_BLOCKLIST_REASON_MAX);
    return VG_EINVAL;
  }
  return 0;
}

int vg_blocklist_is_header(const vg_csv_row_t *r) {
  if (r->n < 1 || r->n > 2 || strcasecmp(r->f[0], "msisdn") != 0)
    return 0;
  return r->n == 1 || strcasecmp(r->f[1], "reason") == 0;
}

int vg_blocklist_parse_row(const vg_csv_row_t *r, const char *country_code,
                           char msisdn[VG_MSISDN_MAX], const char **reason,
                           char *why, size_t whysz) {
  const char *mwhy = NULL;

  if (r->n < 1 || r->n > 2) {
    snprintf(why, whysz, "%zu fields; expected msisdn[,reason]", r->n);
    return VG_EINVAL;
  }
  if (vg_msisdn_normalize(r->f[0], country_code, msisdn, &mwhy) != 0) {
    snprintf(why, whysz, "malformed number '%s': %s", r->f[0],
             mwhy ? mwhy : "invalid");
    return VG_EINVAL;
  }
  *reason = r->n == 2 ? r->f[1] : "";
  return vg_blocklist_check_reason(*reason, why, whysz);
}

int vg_blocklist_parse_info(const char *value, vg_blocklist_entry_t *out) {
  const char *bar1 = strchr(value, '|');
  const char *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
  char *end;

  out->at = 0;
  out->user[0] = out->reason[0] = '\0';
  if (bar2 == NULL)
    return VG_EINVAL;
  long long at = strtoll(value, &end, 10);
  if (end != bar1 || at <= 0)
    return VG_EINVAL;
  out->at = at;
  snprintf(out->user, sizeof out->user, "%.*s", (int)(bar2 - bar1 - 1),
           bar1 + 1);
  snprintf(out->reason, sizeof out->reason, "%s", bar2 + 1);
  return 0;
}

/* --- writes --------------------------------------------------------------------- */

void vg_blocklist_batch_init(vg_blocklist_batch_t *b, redisContext *rc,
                             const char *prefix, long long at,
                             const char *user) {
  memset(b, 0, sizeof *b);
  b->rc = rc;
  b->prefix = prefix;
  b->at = at;
  b->user = user;
}

void vg_blocklist_batch_free(vg_blocklist_batch_t *b) {
  for (size_t i = 0; i < b->n; i++)
    free(b->reason[i]);
  free(b->reason);
  free(b->msisdn);
  memset(b, 0, sizeof *b);
}

int vg_blocklist_batch_add(vg_blocklist_batch_t *b, const char *msisdn,
                           const char *reason, char *err, size_t errsz) {
  if (b->n == b->cap) {
    b->cap = b->cap ? b->cap * 2 : 256;
    if (b->cap > VG_BLOCKLIST_BATCH)
      b->cap = VG_BLOCKLIST_BATCH;
    b->msisdn = vg_realloc(b->msisdn, b->cap * sizeof *b->msisdn);
    b->reason = vg_realloc(b->reason, b->cap * sizeof *b->reason);
  }
  snprintf(b->msisdn[b->n], VG_MSISDN_MAX, "%s", msisdn);
  size_t len = strlen(b->user) + strlen(reason) + 32;
  b->reason[b->n] = vg_malloc(len);
  /* The stored record itself: "at_ms|user|reason". */
  snprintf(b->reason[b->n], len, "%lld|%s|%s", b->at, b->user, reason);
  b->n++;
  return b->n == VG_BLOCKLIST_BATCH ? vg_blocklist_batch_flush(b, err, errsz)
                                    : 0;
}

/* The reply of one pipelined command, freed; VG_EREDIS when it is an error
 * or missing (said in `err`).  *r keeps the reply when `keep`. */
static int read_reply(redisContext *rc, redisReply **keep, char *err,
                      size_t errsz) {
  void *v = NULL;
  if (redisGetReply(rc, &v) != REDIS_OK || v == NULL) {
    snprintf(err, errsz, "Redis: %s", rc->errstr[0] ? rc->errstr : "no reply");
    return VG_EREDIS;
  }
  redisReply *r = v;
  if (r->type == REDIS_REPLY_ERROR) {
    snprintf(err, errsz, "Redis: %s", r->str);
    freeReplyObject(r);
    return VG_EREDIS;
  }
  if (keep != NULL)
    *keep = r;
  else
    freeReplyObject(r);
  return 0;
}

int vg_blocklist_batch_flush(vg_blocklist_batch_t *b, char *err,
                             size_t errsz) {
  char set[VG_KEY_MAX], info[VG_KEY_MAX];
  int rc = 0;

  if (b->n == 0)
    return 0;
  vg_key(set, b->prefix, "%s", VG_K_BLOCKLIST);
  vg_key(info, b->prefix, "%s", VG_K_BLOCKLIST_INFO);
  const char **argv = vg_malloc((b->n + 2) * sizeof *argv);
  argv[0] = "SADD";
  argv[1] = set;
  for (size_t i = 0; i < b->n; i++)
    argv[i + 2] = b->msisdn[i];
  /* One step: the set and the records agree after every batch.  HSETNX,
   * not HSET: a number listed before keeps its first listing. */
  redisAppendCommand(b->rc, "MULTI");
  redisAppendCommandArgv(b->rc, (int)b->n + 2, argv, NULL);
  for (size_t i = 0; i < b->n; i++)
    redisAppendCommand(b->rc, "HSETNX %s %s %s", info, b->msisdn[i],
                       b->reason[i]);
  redisAppendCommand(b->rc, "EXEC");
  free(argv);
  /* MULTI, then QUEUED for each command, then EXEC's array. */
  for (size_t i = 0; i < b->n + 2 && rc == 0; i++)
    rc = read_reply(b->rc, NULL, err, errsz);
  redisReply *exec = NULL;
  if (rc == 0 && (rc = read_reply(b->rc, &exec, err, errsz)) == 0) {
    if (exec->type != REDIS_REPLY_ARRAY || exec->elements != b->n + 1 ||
        exec->element[0]->type != REDIS_REPLY_INTEGER) {
      snprintf(err, errsz, "Redis: the batch was not written");
      rc = VG_EREDIS;
    } else {
      b->added += exec->element[0]->integer;
    }
    freeReplyObject(exec);
  }
  for (size_t i = 0; i < b->n; i++)
    free(b->reason[i]);
  b->n = 0;
  return rc;
}

int vg_blocklist_remove(redisContext *rc, const char *prefix,
                        const char *msisdn, char *err, size_t errsz) {
  char set[VG_KEY_MAX], info[VG_KEY_MAX];
  redisReply *exec = NULL;
  int ret;

  vg_key(set, prefix, "%s", VG_K_BLOCKLIST);
  vg_key(info, prefix, "%s", VG_K_BLOCKLIST_INFO);
  redisAppendCommand(rc, "MULTI");
  redisAppendCommand(rc, "SREM %s %s", set, msisdn);
  redisAppendCommand(rc, "HDEL %s %s", info, msisdn);
  redisAppendCommand(rc, "EXEC");
  for (int i = 0; i < 3; i++)
    if ((ret = read_reply(rc, NULL, err, errsz)) != 0)
      return ret;
  if ((ret = read_reply(rc, &exec, err, errsz)) != 0)
    return ret;
  ret = exec->type == REDIS_REPLY_ARRAY && exec->elements == 2 &&
                exec->element[0]->type == REDIS_REPLY_INTEGER
            ? exec->element[0]->integer > 0
            : VG_EREDIS;
  if (ret == VG_EREDIS)
    snprintf(err, errsz, "Redis: the removal was not written");
  freeReplyObject(exec);
  return ret;
}

/* --- reads ----------------------------------------------------------------------- */

int vg_blocklist_get(redisContext *rc, const char *prefix, const char *msisdn,
                     vg_blocklist_entry_t *out, char *err, size_t errsz) {
  char set[VG_KEY_MAX], info[VG_KEY_MAX];
  redisReply *is = NULL, *rec = NULL;
  int ret;

  memset(out, 0, sizeof *out);
  snprintf(out->msisdn, sizeof out->msisdn, "%s", msisdn);
  vg_key(set, prefix, "%s", VG_K_BLOCKLIST);
  vg_key(info, prefix, "%s", VG_K_BLOCKLIST_INFO);
  redisAppendCommand(rc, "SISMEMBER %s %s", set, msisdn);
  redisAppendCommand(rc, "HGET %s %s", info, msisdn);
  if ((ret = read_reply(rc, &is, err, errsz)) != 0)
    return ret;
  if ((ret = read_reply(rc, &rec, err, errsz)) != 0) {
    freeReplyObject(is);
    return ret;
  }
  /* The set decides (it is what the rule asks); the record only tells. */
  ret = is->type == REDIS_REPLY_INTEGER && is->integer == 1;
  if (ret && rec->type == REDIS_REPLY_STRING)
    vg_blocklist_parse_info(rec->str, out);
  freeReplyObject(is);
  freeReplyObject(rec);
  return ret;
}
