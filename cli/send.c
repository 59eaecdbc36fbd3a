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
#include "gateway/csv.h"
#include "gateway/keys.h"
#include "gateway/msisdn.h"
#include "gateway/mt_queue.h"
#include "gateway/redis_sync.h"
#include "gateway/text.h"
#include "gateway/vg.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <limits.h>
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
  char refused[VG_MT_WHY_MAX];
  int nparts;
  if (vg_mt_check_text(text, strlen(text), c->cfg.max_parts, &nparts,
                       refused) != 0)
    return vg_cli_fail("%s%s", where, refused);
  return 0;
}

/* Queue the batch as one call (pipelined: the reply is read later). */
static void append_batch(cli_t *c, vg_mt_batch_t *b) {
  vg_redis_sync_append(c->rc, &b->call);
}

static vg_mt_t cli_message(const char *id, const char *to, const char *text) {
  vg_mt_t m = {.id = id, .to = to, .text = text, .src = "",
               .ussd_service_op = -1, .its_hex = "", .origin = "cli",
               .lane = "", .tally = ""};
  return m;
}

/* The reply of one mt_enqueue call: how many of its messages were new
 * (an id already queued is not queued again), or -1 (reported). */
static long long read_enqueue_reply(cli_t *c) {
  redisReply *r = NULL;
  if (redisGetReply(c->rc, (void **)&r) != REDIS_OK) {
    vg_cli_fail("Redis: %s", c->rc->errstr);
    return -1;
  }
  long long n = -1;
  if (r->type == REDIS_REPLY_INTEGER)
    n = r->integer;
  else
    vg_cli_fail("Redis: %s", r->type == REDIS_REPLY_ERROR ? r->str
                                                          : "unexpected reply");
  freeReplyObject(r);
  return n;
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
  long long queued = read_enqueue_reply(c);
  if (queued < 0)
    return 1;
  if (queued != 1)
    return vg_cli_fail("message %s was not queued: the id exists", id);
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

/*
 * send --file: "msisdn,text" records, read by the RFC 4180 reader of every
 * other import (gateway/csv.h): a byte order mark (Excel's) is skipped, a
 * text holding a comma, a quote or a line break is in double quotes, CRLF
 * or LF.  A first record "msisdn,text" is a header.  An unquoted text may
 * still hold commas, as before: its fields are joined again.
 */
typedef struct {
  long line;
  char to[VG_MSISDN_MAX];
  char *text;
  char id[VG_MSGID_LEN];
} line_t;

typedef struct {
  cli_t *c;
  const char *path;
  line_t *lines;
  size_t n, cap;
} send_file_t;

/* One record: 0, or 1 when it is bad (told as FILE:LINE: reason). */
static int send_file_row(send_file_t *sf, const vg_csv_row_t *r) {
  char where[PATH_MAX + 32]; /* the file was read: its name fits */
  snprintf(where, sizeof where, "%s:%ld: ", sf->path, r->line);
  if (r->n < 2)
    return vg_cli_fail("%sexpected 'msisdn,text'", where);
  if (r->n > 2 && r->quoted)
    return vg_cli_fail("%s%zu fields; expected 'msisdn,text' (quote the "
                       "whole text when it holds a comma: "
                       "13800138000,\"a, b\")", where, r->n);
  /* An unquoted text with commas: the fields after the number, joined. */
  size_t len = 0;
  for (size_t i = 1; i < r->n; i++)
    len += strlen(r->f[i]) + 1;
  char *text = vg_malloc(len);
  text[0] = '\0';
  for (size_t i = 1; i < r->n; i++) {
    if (i > 1)
      strcat(text, ",");
    strcat(text, r->f[i]);
  }
  if (sf->n == sf->cap) {
    sf->cap = sf->cap ? sf->cap * 2 : 1024;
    sf->lines = vg_realloc(sf->lines, sf->cap * sizeof *sf->lines);
  }
  line_t *l = &sf->lines[sf->n];
  if (check_message(sf->c, where, r->f[0], text, l->to)) {
    free(text);
    return 1;
  }
  l->line = r->line;
  l->text = text;
  sf->n++;
  return 0;
}

/* One record of the file; the first may be the header. */
static int send_file_record(void *data, size_t nth, const vg_csv_row_t *r) {
  return nth == 0 && vg_cli_is_header(r, "text") ? 0 : send_file_row(data, r);
}

/* Queue every line, 100 messages a call and 10 calls a round trip; the
 * count of messages queued is what the calls answered, line by line of
 * the batches. */
static int send_file_queue(send_file_t *sf, size_t *queued) {
  cli_t *c = sf->c;
  vg_mt_batch_t b;
  vg_mt_batch_init(&b, c->cfg.prefix, c->cfg.msg_ttl_days * 86400, 100);
  size_t done = 0;
  int rc = 0;
  *queued = 0;
  while (done < sf->n && rc == 0) {
    size_t runs = 0, sizes[10];
    for (; runs < 10 && done < sf->n; runs++) {
      vg_mt_batch_reset(&b);
      for (; done < sf->n && b.count < b.max; done++) {
        line_t *l = &sf->lines[done];
        vg_mt_new_id(l->id);
        vg_mt_t m = cli_message(l->id, l->to, l->text);
        vg_mt_batch_add(&b, &m);
      }
      sizes[runs] = b.count;
      append_batch(c, &b);
    }
    for (size_t i = 0; i < runs; i++) {
      long long n = read_enqueue_reply(c);
      if (n < 0)
        rc = 1;
      else if ((size_t)n != sizes[i])
        rc = vg_cli_fail("%s: %zu messages sent to Redis in one call, %lld "
                         "queued", sf->path, sizes[i], n);
      else
        *queued += (size_t)n;
    }
  }
  vg_mt_batch_free(&b);
  return rc;
}

static int cmd_send_file(cli_t *c, const char *path) {
  send_file_t sf = {.c = c, .path = path};
  /* Check the whole file first: nothing is queued from a file with errors. */
  int bad = vg_cli_each_record(path, send_file_record, &sf), rc = 0;
  size_t queued = 0;
  if (bad < 0)
    rc = 1;
  else if (bad)
    rc = vg_cli_fail("%s: %d bad line%s; nothing queued", path, bad,
                     bad == 1 ? "" : "s");
  else if (vg_cli_connect(c) || send_file_queue(&sf, &queued))
    rc = 1;
  if (rc == 0) {
    if (c->json) {
      printf("{\"lines\":%zu,\"queued\":%zu,\"ids\":[", sf.n, queued);
      for (size_t i = 0; i < sf.n; i++)
        printf("%s\"%s\"", i ? "," : "", sf.lines[i].id);
      printf("]}\n");
    } else {
      for (size_t i = 0; i < sf.n; i++)
        printf("%s\n", sf.lines[i].id);
    }
    fprintf(stderr, "vasgw: %zu message%s queued\n", queued,
            queued == 1 ? "" : "s");
  }
  for (size_t i = 0; i < sf.n; i++)
    free(sf.lines[i].text);
  free(sf.lines);
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
  /* The coding the text goes in: the outbox encodes it the same way. */
  const char *text = vg_cli_field(h, "text");
  const char *coding = "-";
  int dcs = -1;
  vg_text_mt_t enc;
  if (text && vg_text_encode_mt(text, strlen(text), 0, &enc) == 0) {
    dcs = enc.dcs;
    coding = enc.dcs == VG_DCS_UCS2 ? "ucs2" : "gsm7";
    vg_text_mt_free(&enc);
  }
  if (c->json) {
    /* Every field as stored, times as numbers (ms) with their RFC 3339
     * form beside them, then the coding. */
    printf("{");
    for (size_t i = 0; i + 1 < h->elements; i += 2) {
      const char *f = h->element[i]->str, *v = h->element[i + 1]->str;
      if (i)
        printf(",");
      vg_cli_json_str(stdout, f);
      printf(":");
      if (time_field(f) && *v && strspn(v, "0123456789") == strlen(v)) {
        printf("%s", v);
        vg_cli_json_time(stdout, f, strtoll(v, NULL, 10));
      } else {
        vg_cli_json_str(stdout, v);
      }
    }
    printf(",\"encoding\":\"%s\"", coding);
    if (dcs >= 0)
      printf(",\"data_coding\":%d", dcs);
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
  if (dcs >= 0)
    printf("  %-12s %s (data_coding %d)\n", "encoding",
           dcs == VG_DCS_UCS2 ? "UCS-2" : "GSM 7-bit", dcs);
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
  int rc = vg_cli_check_id("msg show", "message", words[2]);
  return rc != 0 ? rc : cmd_msg_show(c, words[2]);
}
