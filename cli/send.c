/*
 * send.c — `vasgw send` and `vasgw msg show`: queue SMS and look at one.
 *
 * Queueing uses the daemon's own mt_enqueue function (gateway/mt_queue.h),
 * so the CLI never re-implements what the daemon does.
 */
#include "autoconfig.h"
#include "cli/cli.h"
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
  char when[VG_CLI_WHEN_MAX];
  if (ms == NULL || *ms == '\0')
    return;
  printf("  %-12s %s\n", label,
         vg_cli_local(when, strtoll(ms, NULL, 10), VG_CLI_TIME));
}

/* A field of P:msg:<id> that holds a time in ms: "created", "*_at". */
static int time_field(const char *f) {
  size_t n = strlen(f);
  return strcmp(f, "created") == 0 || (n > 3 && strcmp(f + n - 3, "_at") == 0);
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
      if (time_field(h->element[i]->str))
        vg_cli_json_time(stdout, h->element[i]->str,
                         strtoll(h->element[i + 1]->str, NULL, 10));
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
  print_time("held until", vg_cli_field(h, "release_at"));
  print_time("released", vg_cli_field(h, "released_at"));
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

int vg_cli_send(cli_t *c, int nw, const char **words) {
  if (nw == 3 && strcmp(words[1], "--file") == 0)
    return cmd_send_file(c, words[2]);
  if (nw == 3 && words[1][0] != '-')
    return cmd_send(c, words[1], words[2]);
  return vg_cli_usage_error("usage: send MSISDN TEXT | send --file FILE");
}

int vg_cli_msg_show(cli_t *c, int nw, const char **words) {
  if (nw != 3)
    return vg_cli_usage_error("usage: msg show ID");
  return cmd_msg_show(c, words[2]);
}
