/*
 * mo.c — `vasgw mo show ID`: one received SMS (MO), as stored before the
 * SMSC was answered (P:mo:<id>, docs/keys.md "Messages and MO"), with the
 * answer the daemon made to it, when there is one: the MT re-<id>, or for
 * a subscriber's "ZS <code>" the knowledge offer's SMS of-k<id>.  The
 * counterpart of `msg show` for what came in: "the subscriber says they
 * texted Y" is answered by the record.
 */
#include "cli/cli.h"
#include "gateway/keys.h"
#include "gateway/vg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* MO ids are P:seq:mo's numbers: anything else would name another key
 * under P:mo: (a reassembly, a redelivery mark). */
static int mo_id(const char *s) {
  if (*s == '\0' || strlen(s) > 20)
    return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return 0;
  return 1;
}

/* The fields of the record, as mo_store writes them. */
static const char *const fields[] = {"id",    "from",    "to",  "text",
                                     "dcs",   "ussd_op", "its", "umr",
                                     "complete", "parts", "missing", "error"};

static void print_json(const redisReply *h, const redisReply *ans,
                       const char *reply_id) {
  printf("{");
  for (size_t i = 0; i < VG_ARRAY_SIZE(fields); i++)
    vg_cli_json_member(fields[i], vg_cli_str(h, fields[i]), i == 0);
  printf(",\"received_at\":%lld", vg_cli_num(h, "received_at"));
  vg_cli_json_time(stdout, "received_at", vg_cli_num(h, "received_at"));
  printf(",\"answer\":");
  if (ans->elements == 0) {
    printf("null");
  } else {
    printf("{");
    vg_cli_json_member("id", reply_id, 1);
    vg_cli_json_member("state", vg_cli_str(ans, "state"), 0);
    vg_cli_json_member("error", vg_cli_str(ans, "error"), 0);
    printf(",\"created\":%lld", vg_cli_num(ans, "created"));
    vg_cli_json_time(stdout, "created", vg_cli_num(ans, "created"));
    printf("}");
  }
  printf("}\n");
}

static void print_text(const redisReply *h, const redisReply *ans,
                       const char *reply_id) {
  char when[VG_CLI_WHEN_MAX];
  printf("mo %s\n", vg_cli_str(h, "id"));
  printf("  %-12s %s\n", "from", vg_cli_str(h, "from"));
  printf("  %-12s %s\n", "to", vg_cli_str(h, "to"));
  printf("  %-12s %s\n", "received",
         vg_cli_local(when, vg_cli_num(h, "received_at"), VG_CLI_TIME));
  printf("  %-12s %s\n", "dcs", vg_cli_str(h, "dcs"));
  if (*vg_cli_str(h, "ussd_op"))
    printf("  %-12s %s (session %s%s%s)\n", "ussd_op", vg_cli_str(h, "ussd_op"),
           *vg_cli_str(h, "its") ? vg_cli_str(h, "its") : "-",
           *vg_cli_str(h, "umr") ? ", umr " : "", vg_cli_str(h, "umr"));
  long long parts = vg_cli_num(h, "parts");
  if (strcmp(vg_cli_str(h, "complete"), "0") == 0)
    printf("  %-12s incomplete: %lld parts, missing %s\n", "parts", parts,
           vg_cli_str(h, "missing"));
  else
    printf("  %-12s %lld\n", "parts", parts);
  if (*vg_cli_str(h, "error"))
    printf("  %-12s %s (the text is shown in hex)\n", "error",
           vg_cli_str(h, "error"));
  if (ans->elements == 0)
    printf("  %-12s none\n", "answer");
  else
    printf("  %-12s %s: %s%s%s\n", "answer", reply_id,
           vg_cli_str(ans, "state"), *vg_cli_str(ans, "error") ? ", " : "",
           vg_cli_str(ans, "error"));
  printf("  %-12s %s\n", "text", vg_cli_str(h, "text"));
}

int vg_cli_mo_show(cli_t *c, int nw, const char **words) {
  if (nw != 3)
    return vg_cli_usage_error("usage: mo show ID");
  const char *id = words[2];
  if (!mo_id(id))
    return vg_cli_usage_error("mo show: '%s' is not an MO id (a number)", id);
  if (vg_cli_connect(c))
    return 1;
  /* The ids are short: "of-k" and at most 20 digits. */
  char key[VG_KEY_MAX], ids[2][32];
  snprintf(ids[0], sizeof ids[0], "re-%s", id);
  snprintf(ids[1], sizeof ids[1], "of-k%s", id);
  redisAppendCommand(c->rc, "HGETALL %s", vg_key(key, c->cfg.prefix, VG_K_MO, id));
  for (int i = 0; i < 2; i++)
    redisAppendCommand(c->rc, "HGETALL %s",
                       vg_key(key, c->cfg.prefix, VG_K_MSG, ids[i]));
  redisReply *r[3] = {NULL, NULL, NULL};
  int rc = 0;
  for (int i = 0; i < 3; i++) {
    if (redisGetReply(c->rc, (void **)&r[i]) != REDIS_OK) {
      rc = vg_cli_fail("Redis: %s", c->rc->errstr);
      break;
    }
    if (rc == 0 && r[i]->type != REDIS_REPLY_ARRAY)
      rc = vg_cli_fail("Redis: %s", r[i]->type == REDIS_REPLY_ERROR
                                        ? r[i]->str
                                        : "unexpected reply");
  }
  int a = rc == 0 && r[1]->elements == 0 ? 2 : 1;
  const char *reply_id = ids[a - 1];
  if (rc == 0 && r[0]->elements == 0)
    rc = vg_cli_fail("no MO %s (records are kept %d days)", id,
                     c->cfg.msg_ttl_days);
  if (rc == 0) {
    if (c->json)
      print_json(r[0], r[a], reply_id);
    else
      print_text(r[0], r[a], reply_id);
  }
  for (int i = 0; i < 3; i++)
    freeReplyObject(r[i]);
  return rc;
}
