/*
 * audit_log.c — `vasgw audit-log [--since DATE] [--limit N]`: who did what
 * and when, from the operator audit log that every writing command appends
 * to with vg_cli_audit() (the stream P:audit, docs/keys.md "Audit log").
 *
 * DATE is a local day "YYYY-MM-DD" or a local time "YYYY-MM-DD HH:MM" in
 * [gateway] timezone (main has set TZ, so mktime() is local).  The newest
 * N entries from then on (default 1000) are shown oldest first, so the last
 * line is the latest action.  Exit status (cli.h): 0, 1 (Redis), 2 (usage).
 */
#include "cli/cli.h"
#include "gateway/keys.h"
#include "gateway/vg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIMIT_DEFAULT 1000
#define LIMIT_MAX 100000

/* One stream entry's field, or "" (entries are written by vg_cli_audit, but
 * a hand-written one may lack a field). */
static const char *entry_field(const redisReply *fields, const char *name) {
  const char *v = fields && fields->type == REDIS_REPLY_ARRAY
                      ? vg_cli_field(fields, name)
                      : NULL;
  return v ? v : "";
}

/* The entry's time: its `at`, else the ms of its stream id. */
static long long entry_ms(const redisReply *e) {
  const char *at = entry_field(e->element[1], "at");
  return *at ? strtoll(at, NULL, 10) : strtoll(e->element[0]->str, NULL, 10);
}

static void print_json(const redisReply *r) {
  printf("[");
  for (size_t k = r->elements; k-- > 0;) {
    const redisReply *e = r->element[k];
    const redisReply *f = e->element[1];
    long long ms = entry_ms(e);
    printf("%s{\"id\":", k + 1 == r->elements ? "" : ",");
    vg_cli_json_str(stdout, e->element[0]->str);
    printf(",\"at\":%lld", ms);
    vg_cli_json_time(stdout, "at", ms);
    static const char *const names[] = {"user", "host", "action", "detail"};
    for (size_t i = 0; i < VG_ARRAY_SIZE(names); i++) {
      printf(",\"%s\":", names[i]);
      vg_cli_json_str(stdout, entry_field(f, names[i]));
    }
    printf("}");
  }
  printf("]\n");
}

static void print_text(const redisReply *r, const char *since) {
  char when[VG_CLI_WHEN_MAX];

  if (r->elements == 0) {
    if (since)
      printf("(no audit log entries since %s)\n", since);
    else
      printf("(the audit log is empty)\n");
    return;
  }
  for (size_t k = r->elements; k-- > 0;) {
    const redisReply *e = r->element[k];
    const redisReply *f = e->element[1];
    printf("%s  %s  %s  %s\n", vg_cli_local(when, entry_ms(e), VG_CLI_TIME),
           entry_field(f, "user"), entry_field(f, "action"),
           entry_field(f, "detail"));
  }
}

int vg_cli_audit_log(cli_t *c, int nw, const char **words) {
  const char *since = NULL;
  long long since_ms = 0, limit = LIMIT_DEFAULT;
  int have_limit = 0;

  for (int i = 1; i < nw; i++) {
    const char *w = words[i], *v = NULL;
    const char *eq = strchr(w, '=');
    size_t len = eq ? (size_t)(eq - w) : strlen(w);
    int is_since = len == 7 && strncmp(w, "--since", 7) == 0;
    int is_limit = len == 7 && strncmp(w, "--limit", 7) == 0;

    if (!is_since && !is_limit) {
      if (strncmp(w, "--", 2) == 0)
        return vg_cli_usage_error("audit-log: unknown option '%.*s'",
                                  (int)len, w);
      return vg_cli_usage_error("audit-log: unexpected argument '%s'", w);
    }
    if (eq != NULL)
      v = eq + 1;
    else if (i + 1 < nw)
      v = words[++i];
    else
      return vg_cli_usage_error("audit-log: option '%s' needs a value", w);
    if (is_since) {
      if (since != NULL)
        return vg_cli_usage_error("audit-log: --since given twice");
      if (vg_cli_parse_local(v, &since_ms) != 0)
        return vg_cli_usage_error("audit-log: --since '%s' is not a date "
                                  "YYYY-MM-DD or a time 'YYYY-MM-DD HH:MM'",
                                  v);
      since = v;
    } else {
      char *end;
      if (have_limit)
        return vg_cli_usage_error("audit-log: --limit given twice");
      limit = strtoll(v, &end, 10);
      if (*v < '0' || *v > '9' || *end != '\0' || limit < 1 ||
          limit > LIMIT_MAX)
        return vg_cli_usage_error("audit-log: --limit '%s' is not a number "
                                  "from 1 to %d", v, LIMIT_MAX);
      have_limit = 1;
    }
  }

  if (vg_cli_connect(c))
    return 1;
  char key[VG_KEY_MAX], start[32], count[24];
  vg_key(key, c->cfg.prefix, "%s", VG_K_AUDIT);
  /* The stream id is Redis's time of the XADD, a few ms after `at`. */
  if (since)
    snprintf(start, sizeof start, "%lld", since_ms);
  else
    snprintf(start, sizeof start, "-");
  snprintf(count, sizeof count, "%lld", limit);
  /* Newest first, so that COUNT keeps the latest; printed in reverse. */
  const char *argv[] = {"XREVRANGE", key, "+", start, "COUNT", count};
  redisReply *r = redisCommandArgv(c->rc, 6, argv, NULL);
  if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
    int rc = vg_cli_fail("Redis: %s", r ? (r->str ? r->str : "unexpected "
                                           "reply") : c->rc->errstr);
    freeReplyObject(r);
    return rc;
  }
  for (size_t k = 0; k < r->elements; k++) {
    const redisReply *e = r->element[k];
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING) {
      freeReplyObject(r);
      return vg_cli_fail("Redis: %s is not an audit log stream", key);
    }
  }
  if (c->json)
    print_json(r);
  else
    print_text(r, since);
  freeReplyObject(r);
  return 0;
}
