/*
 * vasgw.c — the operator's command-line tool (SPEC.md "Programs").
 *
 * A client of the same Redis as the daemons, with blocking hiredis: it works
 * whether or not a daemon runs.  Queueing uses the daemon's own enqueue
 * script (mt_queue.h), so the CLI never re-implements what the daemon does.
 * Exit status: 0 success, 1 runtime failure, 2 usage error.
 */
#include "autoconfig.h"
#include "gateway/cli.h"
#include "gateway/clock.h"
#include "gateway/config.h"
#include "gateway/keys.h"
#include "gateway/msisdn.h"
#include "gateway/mt_queue.h"
#include "gateway/redis_sync.h"
#include "gateway/text.h"
#include "gateway/vg.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* --- send ------------------------------------------------------------------ */

/* Check one message; on error print "WHERE: reason" and return 1. */
static int check_message(cli_t *c, const char *where, const char *msisdn,
                         const char *text, char norm[VG_MSISDN_MAX]) {
  const char *why = NULL;
  if (vg_msisdn_normalize(msisdn, c->cfg.country_code, norm, &why) != 0)
    return vg_cli_fail("%smalformed number '%s': %s", where, msisdn, why);
  vg_text_mt_t enc;
  int rc = vg_text_encode_mt(text, strlen(text), 0, &enc);
  if (rc == VG_ETEXT)
    return vg_cli_fail("%sempty text", where);
  if (rc == VG_EUTF8)
    return vg_cli_fail("%stext is not valid UTF-8", where);
  if (rc == VG_ETOOLONG)
    return vg_cli_fail("%stext too long (more than %d parts)", where,
                VG_TEXT_MAX_PARTS);
  if (rc != 0)
    return vg_cli_fail("%stext cannot be encoded: %s", where, vg_strerror(rc));
  vg_text_mt_free(&enc);
  return 0;
}

/* Queue the batch as one call (pipelined: the reply is read later). */
static void append_batch(cli_t *c, vg_mt_batch_t *b) {
  vg_redis_sync_append(c->rc, &b->call);
}

static vg_mt_t cli_message(const char *id, const char *to, const char *text) {
  vg_mt_t m = {.id = id, .to = to, .text = text, .src = "",
               .ussd_service_op = -1, .its_hex = "", .origin = "cli"};
  return m;
}

static int read_enqueue_reply(cli_t *c) {
  redisReply *r = NULL;
  if (redisGetReply(c->rc, (void **)&r) != REDIS_OK)
    return vg_cli_fail("Redis: %s", c->rc->errstr);
  int rc = 0;
  if (r->type == REDIS_REPLY_ERROR)
    rc = vg_cli_fail("Redis: %s", r->str);
  freeReplyObject(r);
  return rc;
}

static int cmd_send(cli_t *c, const char *msisdn, const char *text) {
  char norm[VG_MSISDN_MAX];
  if (check_message(c, "", msisdn, text, norm))
    return 1;
  if (vg_cli_connect(c))
    return 1;
  char id[VG_MSGID_LEN];
  vg_mt_new_id(id);
  vg_mt_batch_t b;
  vg_mt_batch_init(&b, c->cfg.prefix, c->cfg.msg_ttl_days * 86400, 1);
  vg_mt_t m = cli_message(id, norm, text);
  vg_mt_batch_add(&b, &m);
  append_batch(c, &b);
  vg_mt_batch_free(&b);
  if (read_enqueue_reply(c))
    return 1;
  if (c->json) {
    printf("{\"id\":");
    vg_cli_json_str(stdout, id);
    printf(",\"to\":");
    vg_cli_json_str(stdout, norm);
    printf(",\"state\":\"queued\"}\n");
  } else {
    printf("%s\n", id);
  }
  return 0;
}

typedef struct {
  char to[VG_MSISDN_MAX];
  char *text;
} line_t;

typedef struct {
  cli_t *c;
  const char *path;
  line_t *lines;
  size_t n, cap;
} send_file_t;

static int send_file_line(void *data, long lineno, char *text) {
  send_file_t *sf = data;
  char *comma = strchr(text, ',');
  char where[256];
  snprintf(where, sizeof where, "%s:%ld: ", sf->path, lineno);
  if (comma == NULL) {
    vg_cli_fail("%sexpected 'msisdn,text'", where);
    return 1;
  }
  *comma = '\0';
  if (sf->n == sf->cap) {
    sf->cap *= 2;
    sf->lines = vg_realloc(sf->lines, sf->cap * sizeof *sf->lines);
  }
  if (check_message(sf->c, where, text, comma + 1, sf->lines[sf->n].to))
    return 1;
  sf->lines[sf->n++].text = vg_strdup(comma + 1);
  return 0;
}

static int cmd_send_file(cli_t *c, const char *path) {
  send_file_t sf = {.c = c, .path = path, .cap = 1024};
  sf.lines = vg_malloc(sf.cap * sizeof *sf.lines);
  /* Check the whole file first: nothing is queued from a file with errors. */
  int bad = vg_cli_each_line(path, send_file_line, &sf);
  line_t *lines = sf.lines;
  size_t n = sf.n;
  if (bad < 0) {
    free(lines);
    return 1;
  }
  int rc = 0;
  if (bad) {
    rc = vg_cli_fail("%s: %d bad line%s; nothing queued", path, bad,
              bad == 1 ? "" : "s");
    goto out;
  }
  if (vg_cli_connect(c)) {
    rc = 1;
    goto out;
  }
  /* Batches of 100 messages per script run, 10 runs per round trip. */
  char (*ids)[VG_MSGID_LEN] = vg_malloc((n ? n : 1) * sizeof *ids);
  vg_mt_batch_t b;
  vg_mt_batch_init(&b, c->cfg.prefix, c->cfg.msg_ttl_days * 86400, 100);
  size_t done = 0;
  while (done < n && rc == 0) {
    size_t runs = 0;
    for (; runs < 10 && done < n; runs++) {
      vg_mt_batch_reset(&b);
      for (; done < n && b.count < b.max; done++) {
        vg_mt_new_id(ids[done]);
        vg_mt_t m = cli_message(ids[done], lines[done].to, lines[done].text);
        vg_mt_batch_add(&b, &m);
      }
      append_batch(c, &b);
    }
    for (size_t i = 0; i < runs; i++)
      if (read_enqueue_reply(c))
        rc = 1;
  }
  vg_mt_batch_free(&b);
  if (rc == 0) {
    if (c->json) {
      printf("{\"queued\":%zu,\"ids\":[", n);
      for (size_t i = 0; i < n; i++)
        printf("%s\"%s\"", i ? "," : "", ids[i]);
      printf("]}\n");
    } else {
      for (size_t i = 0; i < n; i++)
        printf("%s\n", ids[i]);
    }
    fprintf(stderr, "vasgw: %zu message%s queued\n", n, n == 1 ? "" : "s");
  }
  free(ids);
out:
  for (size_t i = 0; i < n; i++)
    free(lines[i].text);
  free(lines);
  return rc;
}

/* --- msg show -------------------------------------------------------------- */


static void print_time(const char *label, const char *ms) {
  if (ms == NULL || *ms == '\0')
    return;
  time_t t = (time_t)(strtoll(ms, NULL, 10) / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  printf("  %-12s %s\n", label, buf);
}

static int cmd_msg_show(cli_t *c, const char *id) {
  if (vg_cli_connect(c))
    return 1;
  char key[VG_KEY_MAX];
  vg_key(key, c->cfg.prefix, VG_K_MSG, id);
  redisReply *h = redisCommand(c->rc, "HGETALL %s", key);
  if (h == NULL)
    return vg_cli_fail("Redis: %s", c->rc->errstr);
  if (h->type != REDIS_REPLY_ARRAY || h->elements == 0) {
    freeReplyObject(h);
    return vg_cli_fail("no message '%s' (records are kept %d days)", id,
                c->cfg.msg_ttl_days);
  }
  if (c->json) {
    /* Every field as stored, parts grouped. */
    printf("{");
    for (size_t i = 0; i + 1 < h->elements; i += 2) {
      if (i)
        printf(",");
      vg_cli_json_str(stdout, h->element[i]->str);
      printf(":");
      vg_cli_json_str(stdout, h->element[i + 1]->str);
    }
    printf("}\n");
    freeReplyObject(h);
    return 0;
  }
  const char *parts = vg_cli_field(h, "parts");
  printf("message %s\n", id);
  printf("  %-12s %s\n", "to", vg_cli_field(h, "to") ? vg_cli_field(h, "to") : "");
  printf("  %-12s %s\n", "state", vg_cli_field(h, "state") ? vg_cli_field(h, "state") : "");
  if (vg_cli_field(h, "error") && *vg_cli_field(h, "error"))
    printf("  %-12s %s\n", "error", vg_cli_field(h, "error"));
  printf("  %-12s %s\n", "parts", parts ? parts : "(not yet encoded)");
  print_time("created", vg_cli_field(h, "created"));
  print_time("submitted", vg_cli_field(h, "submitted_at"));
  print_time("accepted", vg_cli_field(h, "accepted_at"));
  print_time("done", vg_cli_field(h, "done_at"));
  int np = parts ? atoi(parts) : 0;
  for (int i = 1; i <= np; i++) {
    char f[32];
    const char *v[5];
    static const char *const names[] = {"status", "error", "smscid", "dlr",
                                        "dlr_err"};
    for (int k = 0; k < 5; k++) {
      snprintf(f, sizeof f, "p%d.%s", i, names[k]);
      v[k] = vg_cli_field(h, f);
    }
    printf("  part %d/%d: smsc id %s, submit %s%s%s, receipt %s%s%s\n", i, np,
           v[2] && *v[2] ? v[2] : "-",
           v[0] ? (strcmp(v[0], "0") == 0 ? "ok" : "refused") : "pending",
           v[1] ? " " : "", v[1] ? v[1] : "", v[3] ? v[3] : "none",
           v[4] && *v[4] ? " err:" : "", v[4] && *v[4] ? v[4] : "");
  }
  printf("  %-12s %s\n", "text", vg_cli_field(h, "text") ? vg_cli_field(h, "text") : "");
  freeReplyObject(h);
  return 0;
}

/* --- stats ------------------------------------------------------------------ */


static int cmd_stats(cli_t *c) {
  if (vg_cli_connect(c))
    return 1;
  char stats[VG_KEY_MAX], mt[VG_KEY_MAX], pattern[VG_KEY_MAX];
  vg_key(stats, c->cfg.prefix, "%s", VG_K_STATS);
  vg_key(mt, c->cfg.prefix, "%s", VG_K_MT_STREAM);
  vg_key(pattern, c->cfg.prefix, VG_K_NODE, "*");
  redisReply *h = redisCommand(c->rc, "HGETALL %s", stats);
  if (h == NULL || h->type == REDIS_REPLY_ERROR) {
    int rc = vg_cli_fail("Redis: %s", h ? h->str : c->rc->errstr);
    freeReplyObject(h);
    return rc;
  }
  /* Queue depth: entries not yet read plus entries read and not answered. */
  long long lag = 0, pending = 0, length = 0;
  redisReply *x = redisCommand(c->rc, "XLEN %s", mt);
  if (x && x->type == REDIS_REPLY_INTEGER)
    length = x->integer;
  freeReplyObject(x);
  x = redisCommand(c->rc, "XINFO GROUPS %s", mt);
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
          pending = v->integer;
        else if (strcmp(k, "lag") == 0 && v->type == REDIS_REPLY_INTEGER)
          lag = v->integer;
      }
      if (name && strcmp(name, VG_GROUP) == 0) {
        have_group = 1;
        break;
      }
    }
  }
  freeReplyObject(x);
  if (!have_group)
    lag = length; /* no daemon has read the stream yet */
  /* Each daemon's live status (written every second, expires after 10). */
  redisReply *nodes = redisCommand(c->rc, "KEYS %s", pattern);
  static const char *const counters[] = {
      "queued", "submitted", "accepted", "delivered", "failed", "mo",
      "mo_duplicate", "mo_incomplete", "dlr", "dlr_unmatched",
      "dlr_late_matched", "dlr_duplicate", "dlr_malformed",
      /* the subscriber side */
      "scheduled", "offer_sent", "offer_held", "offer_exists",
      "offer_confirmed", "offer_declined", "orders_activate",
      "orders_deactivate", "orders_done", "orders_rejected", "orders_failed",
      "optout", "optin", "mo_rate_limited", "mo_loop",
      /* promoters and the ledger */
      "promoters_registered", "promoters_approved", "promoters_rejected",
      "promoters_disabled", "developments"};
  /* Refused offers are counted per rule: "offer_refused:<rule>". */
  static const char refused[] = "offer_refused:";
  /* Each node's hash, fetched once for both output forms. */
  size_t nn = nodes && nodes->type == REDIS_REPLY_ARRAY ? nodes->elements : 0;
  redisReply **nh = vg_calloc(nn ? nn : 1, sizeof *nh);
  for (size_t i = 0; i < nn; i++)
    nh[i] = redisCommand(c->rc, "HGETALL %s", nodes->element[i]->str);
  if (c->json) {
    printf("{\"queue\":{\"waiting\":%lld,\"pending\":%lld},\"counters\":{",
           lag, pending);
    for (size_t i = 0; i < VG_ARRAY_SIZE(counters); i++)
      printf("%s\"%s\":%lld", i ? "," : "", counters[i],
             vg_cli_num(h, counters[i]));
    printf("},\"offers_refused\":{");
    int first = 1;
    for (size_t i = 0; i + 1 < h->elements; i += 2)
      if (strncmp(h->element[i]->str, refused, sizeof refused - 1) == 0) {
        printf("%s", first ? "" : ",");
        vg_cli_json_str(stdout, h->element[i]->str + sizeof refused - 1);
        printf(":%s", h->element[i + 1]->str);
        first = 0;
      }
    printf("},\"nodes\":[");
    for (size_t i = 0; i < nn; i++) {
      if (nh[i] == NULL || nh[i]->type != REDIS_REPLY_ARRAY)
        continue;
      printf("%s{", i ? "," : "");
      for (size_t k = 0; k + 1 < nh[i]->elements; k += 2) {
        if (k)
          printf(",");
        vg_cli_json_str(stdout, nh[i]->element[k]->str);
        printf(":");
        vg_cli_json_str(stdout, nh[i]->element[k + 1]->str);
      }
      printf("}");
    }
    printf("]}\n");
  } else {
    printf("queue: %lld waiting, %lld read and not yet answered\n", lag,
           pending);
    printf("counters:\n");
    for (size_t i = 0; i < VG_ARRAY_SIZE(counters); i++)
      printf("  %-21s %lld\n", counters[i], vg_cli_num(h, counters[i]));
    for (size_t i = 0; i + 1 < h->elements; i += 2)
      if (strncmp(h->element[i]->str, refused, sizeof refused - 1) == 0)
        printf("  offer refused: %-24s %s\n",
               h->element[i]->str + sizeof refused - 1, h->element[i + 1]->str);
    printf("nodes:\n");
    if (nn == 0)
      printf("  (no daemon has reported in the last 10 seconds)\n");
    for (size_t i = 0; i < nn; i++) {
      redisReply *n = nh[i];
      if (n == NULL || n->type != REDIS_REPLY_ARRAY)
        continue;
      const char *node = vg_cli_field(n, "node");
      printf("  %s: redis %s, window %lld, %lld in flight, %lld held, "
             "%lld throttled, %lld MO handled\n",
             node ? node : "?", vg_cli_field(n, "redis") ? vg_cli_field(n, "redis") : "?",
             vg_cli_num(n, "window"), vg_cli_num(n, "in_flight"),
             vg_cli_num(n, "held"), vg_cli_num(n, "throttled"),
             vg_cli_num(n, "mo_handled"));
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
  freeReplyObject(h);
  return 0;
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: vasgw [-c FILE] [--json] COMMAND\n"
          "commands:\n"
          "  send MSISDN TEXT     queue one SMS, print its message id\n"
          "  send --file FILE     queue one SMS per line 'msisdn,text'\n"
          "  msg show ID          state, parts, SMSC ids and receipts of a message\n"
          "  stats                link state per bind, window, queue, counters\n"
          "  service add CODE --name N --price P --provision-code X\n"
          "      --commission-fen F [--knowledge T] [--usage T] [--cancel T]\n"
          "                       add a service to the catalogue\n"
          "  service set CODE [any of those options] [--enable]\n"
          "      [--effective DATE] [--audit-windows duplicate_months=3,...]\n"
          "                       change a service (a commission from DATE)\n"
          "  service show CODE    one service\n"
          "  service list [--all] the enabled (or all) services\n"
          "  service disable CODE refuse new offers of a service\n"
          "  service import FILE.csv\n"
          "                       add or update services from a CSV file\n"
          "  recommend MSISDN SVC [SVC...] [--promoter MSISDN] [--knowledge]\n"
          "                       offer services (recommendation or knowledge SMS\n"
          "                       with a reply code), within the contact rules\n"
          "  recommend --file FILE [--knowledge]\n"
          "                       the same, one line 'msisdn,SVC[ SVC...]' each\n"
          "  order show ID        an activation order and its webhook calls\n"
          "  order list [--state S] [--limit N]\n"
          "                       the newest orders (S: queued, sending, retrying,\n"
          "                       done, rejected, failed)\n"
          "  promoter approve MSISDN | promoter reject MSISDN --reason TEXT\n"
          "  promoter disable MSISDN [--reason TEXT]\n"
          "                       change a promoter's status (MSISDN or staff\n"
          "                       no.; enable again = approve); SMS the promoter\n"
          "  promoter list [--status S] [--outlet O] [--limit N]\n"
          "                       the newest promoters (S: pending, approved,\n"
          "                       rejected, disabled; O: outlet containing O)\n"
          "  promoter show MSISDN|STAFF_NO\n"
          "                       a promoter, this and last month's counters\n"
          "  promoter import FILE.csv\n"
          "                       onboard promoters 'msisdn,name[,outlet]', approved\n"
          "  feed import FILE.csv load billing and care facts 'msisdn,service,\n"
          "                       event,date' for the commission audits\n"
          "  feed show MSISDN     the facts about one number\n"
          "  audit-log [--since DATE] [--limit N]\n"
          "                       who did what: the operator actions since DATE\n"
          "                       (YYYY-MM-DD or 'YYYY-MM-DD HH:MM', local)\n"
          "  settle YYYY-MM [--dry-run] [--report FILE] [--force]\n"
          "                       audit and settle a month's developments, SMS\n"
          "                       each promoter (a settled month never changes)\n"
          "  ledger --promoter MSISDN --month YYYY-MM\n"
          "                       a promoter's developments and their states\n"
          "options:\n"
          "  -c FILE    configuration (default: $VASGW_CONF or %s)\n"
          "  --json     machine-readable output\n"
          "  --help, --version\n",
          vg_config_default_path());
}

int main(int argc, char **argv) {
  static cli_t c;
  const char *path = vg_config_default_path();
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
      path = argv[++i];
    else if (strcmp(argv[i], "--json") == 0)
      c.json = 1;
    else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(argv[i], "--version") == 0) {
      printf("vasgw %s\n", PACKAGE_VERSION);
      return 0;
    } else
      return vg_cli_usage_error("unknown option '%s'", argv[i]);
  }
  if (i >= argc)
    return vg_cli_usage_error("no command given");
  /* Options may also follow the command words. */
  const char *words[64];
  int nw = 0;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      c.json = 1;
    else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
      path = argv[++i];
    else if (nw < 64)
      words[nw++] = argv[i];
    else
      return vg_cli_usage_error("too many arguments");
  }
  char err[512];
  if (vg_config_load(path, &c.cfg, err, sizeof err) != 0)
    return vg_cli_fail("%s", err);
  vg_clock_setup(c.cfg.timezone);
  int rc;
  if (strcmp(words[0], "send") == 0) {
    if (nw == 3 && strcmp(words[1], "--file") == 0)
      rc = cmd_send_file(&c, words[2]);
    else if (nw == 3)
      rc = cmd_send(&c, words[1], words[2]);
    else
      return vg_cli_usage_error("usage: send MSISDN TEXT | send --file FILE");
  } else if (strcmp(words[0], "msg") == 0) {
    if (nw == 3 && strcmp(words[1], "show") == 0)
      rc = cmd_msg_show(&c, words[2]);
    else
      return vg_cli_usage_error("usage: msg show ID");
  } else if (strcmp(words[0], "stats") == 0) {
    if (nw != 1)
      return vg_cli_usage_error("usage: stats");
    rc = cmd_stats(&c);
  } else if (strcmp(words[0], "service") == 0) {
    rc = vg_cli_service(&c, nw, words);
  } else if (strcmp(words[0], "recommend") == 0) {
    rc = vg_cli_recommend(&c, nw, words);
  } else if (strcmp(words[0], "order") == 0) {
    rc = vg_cli_order(&c, nw, words);
  } else if (strcmp(words[0], "promoter") == 0) {
    rc = vg_cli_promoter(&c, nw, words);
  } else if (strcmp(words[0], "feed") == 0) {
    rc = vg_cli_feed(&c, nw, words);
  } else if (strcmp(words[0], "audit-log") == 0) {
    rc = vg_cli_audit_log(&c, nw, words);
  } else if (strcmp(words[0], "settle") == 0) {
    rc = vg_cli_settle(&c, nw, words);
  } else if (strcmp(words[0], "ledger") == 0) {
    rc = vg_cli_ledger(&c, nw, words);
  } else {
    return vg_cli_usage_error("unknown command '%s'", words[0]);
  }
  if (c.rc)
    redisFree(c.rc);
  return rc;
}
