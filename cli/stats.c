/*
 * stats.c — `vasgw stats`: the counters, the MT queue and every daemon's
 * live status (docs/keys.md: P:stats, P:node:<node>).
 */
#include "cli/cli.h"
#include "gateway/keys.h"
#include "gateway/vg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fields of P:node:<node> (gateway/daemon.c), and of each bind bN. */
static const char *const node_numbers[] = {
    "window",      "in_flight",   "held",           "throttled",
    "mo_handled",  "bulk_held",   "bulk_queued",    "bulk_in_flight",
    "bulk_paused_ms"};
static const char *const bind_texts[] = {"role", "state", "last_error"};
static const char *const bind_numbers[] = {"in_flight", "connects",
                                           "disconnects"};

/* A counter of P:stats that the list below does not name (one added since,
 * by a newer daemon): shown after the others rather than left out.  The
 * refusals per rule have their own place. */
static int other(const char *name, const char *const *known, size_t n) {
  if (strncmp(name, "offer_refused:", 14) == 0 ||
      strncmp(name, "offer_withdrawn:", 16) == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (strcmp(name, known[i]) == 0)
      return 0;
  return 1;
}

/* The rates: P:stats against the newest copy in P:stats:history
 * (stats_snapshot, every 10 s) at least a minute old, or the oldest there
 * is when none is (a daemon that started less than a minute ago).  `old`
 * is that copy's field list (NULL: no copy 10 s old or more), `window_ms`
 * how long ago it was taken. */
typedef struct {
  redisReply *reply; /* XREVRANGE's, owned */
  const redisReply *old;
  long long window_ms;
} rates_t;

static void rates_read(cli_t *c, rates_t *r) {
  memset(r, 0, sizeof *r);
  char key[VG_KEY_MAX];
  vg_key(key, c->cfg.prefix, "%s", VG_K_STATS_HISTORY);
  redisReply *t = redisCommand(c->rc, "TIME");
  long long now = 0;
  if (t && t->type == REDIS_REPLY_ARRAY && t->elements == 2)
    now = strtoll(t->element[0]->str, NULL, 10) * 1000 +
          strtoll(t->element[1]->str, NULL, 10) / 1000;
  freeReplyObject(t);
  r->reply = redisCommand(c->rc, "XREVRANGE %s + - COUNT 13", key);
  if (now == 0 || r->reply == NULL || r->reply->type != REDIS_REPLY_ARRAY)
    return;
  for (size_t i = 0; i < r->reply->elements; i++) {
    const redisReply *e = r->reply->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
      continue;
    long long at = strtoll(e->element[0]->str, NULL, 10);
    if (now - at < 10000)
      continue; /* too recent for a rate */
    r->old = e->element[1];
    r->window_ms = now - at;
    if (r->window_ms >= 60000)
      break;
  }
}

/* Counter `name` per minute over the window, rounded; -1 without one. */
static long long rate(const rates_t *r, const redisReply *h, const char *name) {
  if (r->old == NULL)
    return -1;
  long long d = vg_cli_num(h, name) - vg_cli_num(r->old, name);
  if (d < 0)
    d = 0; /* counters reset by hand */
  return (d * 60000 + r->window_ms / 2) / r->window_ms;
}

/* The counters named `prefix`<rule> as one JSON object by rule. */
static void print_by_rule_json(const redisReply *h, const char *prefix) {
  size_t pl = strlen(prefix);
  int first = 1;
  printf("{");
  for (size_t i = 0; i + 1 < h->elements; i += 2)
    if (strncmp(h->element[i]->str, prefix, pl) == 0) {
      printf("%s", first ? "" : ",");
      vg_cli_json_str(stdout, h->element[i]->str + pl);
      printf(":%lld", strtoll(h->element[i + 1]->str, NULL, 10));
      first = 0;
    }
  printf("}");
}

/* The same, one line each: "  offer refused: <rule>   N". */
static void print_by_rule(const redisReply *h, const char *prefix,
                          const char *label) {
  size_t pl = strlen(prefix);
  for (size_t i = 0; i + 1 < h->elements; i += 2)
    if (strncmp(h->element[i]->str, prefix, pl) == 0)
      printf("  %s %-*s %s\n", label, (int)(38 - strlen(label)),
             h->element[i]->str + pl, h->element[i + 1]->str);
}

/* One node as an object: numbers as numbers, its binds an array. */
static void print_node_json(const redisReply *n) {
  printf("{");
  vg_cli_json_member("node", vg_cli_str(n, "node"), 1);
  vg_cli_json_member("redis", vg_cli_str(n, "redis"), 0);
  printf(",\"updated\":%lld", vg_cli_num(n, "updated"));
  vg_cli_json_time(stdout, "updated", vg_cli_num(n, "updated"));
  for (size_t k = 0; k < VG_ARRAY_SIZE(node_numbers); k++)
    printf(",\"%s\":%lld", node_numbers[k], vg_cli_num(n, node_numbers[k]));
  printf(",\"binds\":[");
  for (long long b = 0; b < vg_cli_num(n, "binds"); b++) {
    char f[32];
    printf("%s{", b ? "," : "");
    for (size_t k = 0; k < VG_ARRAY_SIZE(bind_texts); k++) {
      snprintf(f, sizeof f, "b%lld.%s", b, bind_texts[k]);
      vg_cli_json_member(bind_texts[k], vg_cli_str(n, f), k == 0);
    }
    for (size_t k = 0; k < VG_ARRAY_SIZE(bind_numbers); k++) {
      snprintf(f, sizeof f, "b%lld.%s", b, bind_numbers[k]);
      printf(",\"%s\":%lld", bind_numbers[k], vg_cli_num(n, f));
    }
    printf("}");
  }
  printf("]}");
}

/* Queue depth of MT stream `key`: entries not yet read by the group
 * (`lag`) and entries read and not answered (`pending`). */
static void queue_depth(cli_t *c, const char *key, long long *lag,
                        long long *pending) {
  long long length = 0;
  *lag = *pending = 0;
  redisReply *x = redisCommand(c->rc, "XLEN %s", key);
  if (x && x->type == REDIS_REPLY_INTEGER)
    length = x->integer;
  freeReplyObject(x);
  x = redisCommand(c->rc, "XINFO GROUPS %s", key);
  int have_group = 0;
  if (x && x->type == REDIS_REPLY_ARRAY) {
    for (size_t g = 0; g < x->elements; g++) {
      redisReply *e = x->element[g];
      const char *name = NULL;
      for (size_t i = 0; i + 1 < e->elements; i += 2) {
        const char *k = e->element[i]->str;
        redisReply *v = e->element[i + 1];
        if (strcmp(k, "name") == 0)
          name = v->str;
        else if (strcmp(k, "pending") == 0)
          *pending = v->integer;
        else if (strcmp(k, "lag") == 0 && v->type == REDIS_REPLY_INTEGER)
          *lag = v->integer;
      }
      if (name && strcmp(name, VG_GROUP) == 0) {
        have_group = 1;
        break;
      }
    }
  }
  freeReplyObject(x);
  if (!have_group) {
    *lag = length; /* no daemon has read the stream yet */
    *pending = 0;
  }
}

static int cmd_stats(cli_t *c) {
  if (vg_cli_connect(c))
    return 1;
  char stats[VG_KEY_MAX], mt[VG_KEY_MAX], bulk[VG_KEY_MAX],
      pattern[VG_KEY_MAX];
  vg_key(stats, c->cfg.prefix, "%s", VG_K_STATS);
  vg_key(mt, c->cfg.prefix, "%s", VG_K_MT_STREAM);
  vg_key(bulk, c->cfg.prefix, "%s", VG_K_MT_BULK_STREAM);
  vg_key(pattern, c->cfg.prefix, VG_K_NODE, "*");
  redisReply *h = redisCommand(c->rc, "HGETALL %s", stats);
  if (h == NULL || h->type == REDIS_REPLY_ERROR) {
    int rc = vg_cli_fail("Redis: %s", h ? h->str : c->rc->errstr);
    freeReplyObject(h);
    return rc;
  }
  /* Queue depth of each lane's stream. */
  long long lag, pending, blag, bpending;
  queue_depth(c, mt, &lag, &pending);
  queue_depth(c, bulk, &blag, &bpending);
  /* Each daemon's live status (written every second, expires after 10). */
  redisReply *nodes = redisCommand(c->rc, "KEYS %s", pattern);
  static const char *const counters[] = {
      "queued", "submitted", "unsent", "mt_expired", "mt_unknown", "accepted", "rejected", "delivered",
      "failed", "mo", "mo_duplicate", "mo_incomplete", "dlr_received", "dlr",
      "dlr_unmatched", "dlr_late_matched", "dlr_duplicate", "dlr_replaced",
      "dlr_malformed", "ussd_wait_screens", "ussd_wait_failed",
      /* the USSD menus (docs/ussd.md) */
      "ussd_screens", "ussd_late_sms", "ussd_late_dropped", "ussd_aborts",
      /* the subscriber side */
      "scheduled", "offer_sent", "offer_held", "offer_exists",
      "offer_confirmed", "offer_declined", "orders_activate",
      "orders_deactivate", "orders_done", "orders_rejected", "orders_failed",
      "optout", "optin", "mo_rate_limited", "mo_loop",
      /* promoters and the ledger */
      "promoters_registered", "promoters_approved", "promoters_rejected",
      "promoters_disabled", "developments"};
  /* Refused offers are counted per rule: "offer_refused:<rule>", and
   * held offers withdrawn at their release "offer_withdrawn:<rule>". */
  static const char refused[] = "offer_refused:";
  static const char withdrawn[] = "offer_withdrawn:";
  rates_t rt;
  rates_read(c, &rt);
  /* Each node's hash, fetched once for both output forms. */
  size_t nn = nodes && nodes->type == REDIS_REPLY_ARRAY ? nodes->elements : 0;
  redisReply **nh = vg_calloc(nn ? nn : 1, sizeof *nh);
  for (size_t i = 0; i < nn; i++)
    nh[i] = redisCommand(c->rc, "HGETALL %s", nodes->element[i]->str);
  if (c->json) {
    printf("{\"queue\":{\"waiting\":%lld,\"pending\":%lld},"
           "\"bulk_queue\":{\"waiting\":%lld,\"pending\":%lld},\"counters\":{",
           lag, pending, blag, bpending);
    for (size_t i = 0; i < VG_ARRAY_SIZE(counters); i++)
      printf("%s\"%s\":%lld", i ? "," : "", counters[i],
             vg_cli_num(h, counters[i]));
    for (size_t i = 0; i + 1 < h->elements; i += 2)
      if (other(h->element[i]->str, counters, VG_ARRAY_SIZE(counters))) {
        printf(",");
        vg_cli_json_str(stdout, h->element[i]->str);
        printf(":%lld", strtoll(h->element[i + 1]->str, NULL, 10));
      }
    printf("},\"offers_refused\":");
    print_by_rule_json(h, refused);
    printf(",\"offers_withdrawn\":");
    print_by_rule_json(h, withdrawn);
    printf(",\"per_minute\":");
    if (rt.old == NULL) {
      printf("null");
    } else {
      printf("{\"window_s\":%lld", (rt.window_ms + 500) / 1000);
      for (size_t i = 0; i < VG_ARRAY_SIZE(counters); i++)
        printf(",\"%s\":%lld", counters[i], rate(&rt, h, counters[i]));
      printf("}");
    }
    printf(",\"nodes\":[");
    int first = 1;
    for (size_t i = 0; i < nn; i++) {
      if (nh[i] == NULL || nh[i]->type != REDIS_REPLY_ARRAY ||
          nh[i]->elements == 0)
        continue; /* lapsed between KEYS and HGETALL */
      printf("%s", first ? "" : ",");
      print_node_json(nh[i]);
      first = 0;
    }
    printf("]}\n");
  } else {
    printf("queue: %lld waiting, %lld read and not yet answered\n", lag,
           pending);
    printf("bulk queue: %lld waiting, %lld read and not yet answered\n",
           blag, bpending);
    if (rt.old)
      printf("counters:               lifetime  per minute (over the last "
             "%lld s)\n",
             (rt.window_ms + 500) / 1000);
    else
      printf("counters:               lifetime  (per minute: no copy of "
             "the counters 10 s old yet; a daemon writes one every 10 s)\n");
    for (size_t i = 0; i < VG_ARRAY_SIZE(counters); i++) {
      printf("  %-21s %9lld", counters[i], vg_cli_num(h, counters[i]));
      if (rt.old)
        printf("  %10lld", rate(&rt, h, counters[i]));
      printf("\n");
    }
    for (size_t i = 0; i + 1 < h->elements; i += 2)
      if (other(h->element[i]->str, counters, VG_ARRAY_SIZE(counters)))
        printf("  %-21s %s\n", h->element[i]->str, h->element[i + 1]->str);
    print_by_rule(h, refused, "offer refused:");
    print_by_rule(h, withdrawn, "offer withdrawn:");
    printf("nodes:\n");
    if (nn == 0)
      printf("  (no daemon has reported in the last 10 seconds)\n");
    for (size_t i = 0; i < nn; i++) {
      redisReply *n = nh[i];
      if (n == NULL || n->type != REDIS_REPLY_ARRAY)
        continue;
      const char *node = vg_cli_field(n, "node");
      printf("  %s: redis %s, window %lld, %lld in flight, %lld held "
             "(%lld bulk), %lld throttled, %lld MO handled\n",
             node ? node : "?", vg_cli_field(n, "redis") ? vg_cli_field(n, "redis") : "?",
             vg_cli_num(n, "window"), vg_cli_num(n, "in_flight"),
             vg_cli_num(n, "held"), vg_cli_num(n, "bulk_held"),
             vg_cli_num(n, "throttled"), vg_cli_num(n, "mo_handled"));
      if (vg_cli_num(n, "bulk_paused_ms") > 0)
        printf("    bulk lane paused for %lld ms more (the SMSC throttled)\n",
               vg_cli_num(n, "bulk_paused_ms"));
      for (long long b = 0; b < vg_cli_num(n, "binds"); b++) {
        char f[6][24];
        static const char *const names[] = {"role", "state", "in_flight",
                                            "connects", "disconnects",
                                            "last_error"};
        for (int k = 0; k < 6; k++)
          snprintf(f[k], sizeof f[k], "b%lld.%s", b, names[k]);
        const char *err = vg_cli_field(n, f[5]);
        printf("    %-12s %-9s %lld in flight, %lld binds, %lld disconnects%s%s\n",
               vg_cli_field(n, f[0]) ? vg_cli_field(n, f[0]) : "?",
               vg_cli_field(n, f[1]) ? vg_cli_field(n, f[1]) : "?", vg_cli_num(n, f[2]),
               vg_cli_num(n, f[3]), vg_cli_num(n, f[4]),
               err && *err ? ", last error: " : "", err && *err ? err : "");
      }
    }
  }
  for (size_t i = 0; i < nn; i++)
    freeReplyObject(nh[i]);
  free(nh);
  freeReplyObject(nodes);
  freeReplyObject(rt.reply);
  freeReplyObject(h);
  return 0;
}

int vg_cli_stats(cli_t *c, int nw, const char **words) {
  (void)words;
  if (nw != 1)
    return vg_cli_usage_error("usage: stats");
  return cmd_stats(c);
}
