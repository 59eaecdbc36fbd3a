/*
 * order.c — `vasgw order show ID` and `vasgw order list [--state S]
 * [--limit N]`: activation and deactivation orders with each webhook call
 * they took (docs/keys.md, "Offers and orders").
 */
#include "cli/cli.h"
#include "gateway/ids.h"
#include "gateway/keys.h"
#include "gateway/vg.h"

#include <stdlib.h>
#include <string.h>

/* One attempt as order_result logs it: "n|at|duration|outcome|detail|reason". */
typedef struct {
  char *v[6];
} attempt_t;

static void split_attempt(char *s, attempt_t *a) {
  for (int i = 0; i < 6; i++) {
    a->v[i] = s ? s : (char *)"";
    char *bar = s ? strchr(s, '|') : NULL;
    if (bar)
      *bar = '\0';
    s = bar ? bar + 1 : NULL;
  }
}

static const char *const fields[] = {
    "id",      "action",   "state",          "msisdn",
    "service", "channel",  "promoter",       "offer",
    "provision_code",      "requested_at",   "reason", "last_error"};

static int order_show(cli_t *c, const char *id) {
  char key[VG_KEY_MAX];
  redisReply *h = redisCommand(c->rc, "HGETALL %s",
                               vg_key(key, c->cfg.prefix, VG_K_ORDER, id));
  if (h == NULL)
    return vg_cli_fail("Redis: %s", c->rc->errstr);
  if (h->type != REDIS_REPLY_ARRAY || h->elements == 0) {
    freeReplyObject(h);
    return vg_cli_fail("no order %s", id);
  }
  redisReply *at = redisCommand(
      c->rc, "LRANGE %s 0 -1", vg_key(key, c->cfg.prefix, VG_K_ORDER_ATTEMPTS, id));
  if (at == NULL) {
    freeReplyObject(h);
    return vg_cli_fail("Redis: %s", c->rc->errstr);
  }
  char t1[VG_CLI_WHEN_MAX], t2[VG_CLI_WHEN_MAX];
  if (c->json) {
    printf("{");
    for (size_t i = 0; i < VG_ARRAY_SIZE(fields); i++) {
      printf("%s", i ? "," : "");
      vg_cli_json_str(stdout, fields[i]);
      printf(":");
      vg_cli_json_str(stdout, vg_cli_str(h, fields[i]));
    }
    printf(",\"attempts\":%lld,\"created\":%lld", vg_cli_num(h, "attempts"),
           vg_cli_num(h, "created"));
    vg_cli_json_time(stdout, "created", vg_cli_num(h, "created"));
    printf(",\"done_at\":%lld", vg_cli_num(h, "done_at"));
    vg_cli_json_time(stdout, "done_at", vg_cli_num(h, "done_at"));
    printf(",\"calls\":[");
  } else {
    printf("order %s\n", id);
    for (size_t i = 1; i < VG_ARRAY_SIZE(fields); i++) {
      const char *v = vg_cli_str(h, fields[i]);
      /* requested_at is stored as the webhook sent it, RFC 3339. */
      if (strcmp(fields[i], "requested_at") == 0 && vg_cli_rfc3339_ms(v) > 0)
        v = vg_cli_local(t1, vg_cli_rfc3339_ms(v), VG_CLI_TIME);
      if (*v)
        printf("  %-15s %s\n", fields[i], v);
    }
    printf("  %-15s %lld\n", "attempts", vg_cli_num(h, "attempts"));
    printf("  %-15s %s\n", "created",
           vg_cli_local(t1, vg_cli_num(h, "created"), VG_CLI_TIME));
    if (vg_cli_num(h, "done_at"))
      printf("  %-15s %s\n", "done",
             vg_cli_local(t2, vg_cli_num(h, "done_at"), VG_CLI_TIME));
    if (at->elements)
      printf("  calls:\n");
  }
  for (size_t i = 0; i < at->elements; i++) {
    attempt_t a;
    char *copy = vg_strdup(at->element[i]->str);
    split_attempt(copy, &a);
    if (c->json) {
      printf("%s{\"attempt\":%s,\"at\":%s", i ? "," : "", a.v[0],
             *a.v[1] ? a.v[1] : "0");
      vg_cli_json_time(stdout, "at", strtoll(a.v[1], NULL, 10));
      printf(",\"duration_ms\":%s,\"outcome\":", *a.v[2] ? a.v[2] : "0");
      vg_cli_json_str(stdout, a.v[3]);
      printf(",\"detail\":");
      vg_cli_json_str(stdout, a.v[4]);
      printf(",\"reason\":");
      vg_cli_json_str(stdout, a.v[5]);
      printf("}");
    } else {
      printf("    #%-3s %s  %6s ms  %-8s %s%s%s\n", a.v[0],
             vg_cli_local(t1, strtoll(a.v[1], NULL, 10), VG_CLI_TIME), a.v[2],
             a.v[3],
             a.v[4], *a.v[5] ? "  " : "", a.v[5]);
    }
    free(copy);
  }
  if (c->json)
    printf("]}\n");
  freeReplyObject(at);
  freeReplyObject(h);
  return 0;
}

static int order_list(cli_t *c, const char *state, long limit) {
  /* Newest first; with a state filter, look through the newest 100,000. */
  long scan = state ? 100000 : limit;
  char key[VG_KEY_MAX];
  redisReply *ids = redisCommand(c->rc, "ZREVRANGE %s 0 %ld",
                                 vg_key(key, c->cfg.prefix, "%s", VG_K_ORDER_INDEX),
                                 scan - 1);
  if (ids == NULL)
    return vg_cli_fail("Redis: %s", c->rc->errstr);
  if (c->json)
    printf("[");
  else
    printf("%-28s %-10s %-9s %-15s %-8s %-8s %s\n", "order", "action",
           "state", "msisdn", "service", "attempts", "created");
  long shown = 0;
  for (size_t i = 0; i < ids->elements && shown < limit; i++) {
    if (vg_key(key, c->cfg.prefix, VG_K_ORDER, ids->element[i]->str) == NULL) {
      /* put in the index by hand: longer than an order id can be */
      fprintf(stderr, "vasgw: order list: skipped a member of %s:%s of %zu "
              "bytes: order ids are at most %d\n", c->cfg.prefix,
              VG_K_ORDER_INDEX, strlen(ids->element[i]->str), VG_ID_MAX);
      continue;
    }
    redisReply *h = redisCommand(c->rc, "HGETALL %s", key);
    if (h == NULL)
      break;
    if (h->type == REDIS_REPLY_ARRAY && h->elements &&
        (!state || strcmp(vg_cli_str(h, "state"), state) == 0)) {
      char t[VG_CLI_WHEN_MAX];
      if (c->json) {
        printf("%s{", shown ? "," : "");
        for (size_t k = 0; k < VG_ARRAY_SIZE(fields); k++) {
          printf("%s", k ? "," : "");
          vg_cli_json_str(stdout, fields[k]);
          printf(":");
          vg_cli_json_str(stdout, vg_cli_str(h, fields[k]));
        }
        printf(",\"attempts\":%lld,\"created\":%lld", vg_cli_num(h, "attempts"),
               vg_cli_num(h, "created"));
        vg_cli_json_time(stdout, "created", vg_cli_num(h, "created"));
        printf("}");
      } else {
        printf("%-28s %-10s %-9s %-15s %-8s %-8s %s\n", vg_cli_str(h, "id"),
               vg_cli_str(h, "action"), vg_cli_str(h, "state"), vg_cli_str(h, "msisdn"),
               vg_cli_str(h, "service"), vg_cli_str(h, "attempts"),
               vg_cli_local(t, vg_cli_num(h, "created"), VG_CLI_TIME));
      }
      shown++;
    }
    freeReplyObject(h);
  }
  if (c->json)
    printf("]\n");
  freeReplyObject(ids);
  return 0;
}

int vg_cli_order_show(cli_t *c, int nw, const char **w) {
  if (nw != 3)
    return vg_cli_usage_error("usage: order show ID");
  int rc = vg_cli_check_id("order show", "order", w[2]);
  if (rc != 0)
    return rc;
  return vg_cli_connect(c) ? 1 : order_show(c, w[2]);
}

int vg_cli_order_list(cli_t *c, int nw, const char **w) {
  static const char *const states[] = {"queued", "sending", "retrying",
                                       "done", "rejected", "failed"};
  const char *state = NULL;
  long limit = 50;
  for (int i = 2; i < nw; i++) {
    if (strcmp(w[i], "--state") == 0 && i + 1 < nw) {
      state = w[++i];
      size_t k = 0;
      while (k < VG_ARRAY_SIZE(states) && strcmp(states[k], state) != 0)
        k++;
      if (k == VG_ARRAY_SIZE(states))
        return vg_cli_usage_error(
            "order list: --state is one of queued, sending, retrying, "
            "done, rejected, failed");
    } else if (strcmp(w[i], "--limit") == 0 && i + 1 < nw) {
      char *end;
      limit = strtol(w[++i], &end, 10);
      if (*end || limit < 1 || limit > 100000)
        return vg_cli_usage_error("order list: --limit is 1 to 100000");
    } else
      return vg_cli_usage_error("order list: unknown argument '%s'", w[i]);
  }
  return vg_cli_connect(c) ? 1 : order_list(c, state, limit);
}
