/*
 * token.c — `vasgw token create|list|revoke`: the HTTP API's bearer tokens
 * (handlers/tokens.h, handlers/lua/api.lua; docs/api.md, "Tokens").
 *
 * A token is printed once, by create, and never again: Redis keeps only
 * its SHA-256.  Lose it and revoke it, then make another.
 */
#include "cli/cli.h"
#include "gateway/clock.h"
#include "gateway/keys.h"
#include "gateway/vg.h"
#include "handlers/lua/functions.h"
#include "handlers/oplog.h"
#include "handlers/tokens.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vg_cli_token_create(cli_t *c, int nw, const char **w) {
  vg_cli_opt_t o[] = {{"--name", 0, NULL}, {"--role", 0, NULL}};
  int npos;
  int rc = vg_cli_options("token create", nw, w, 2, o, 2, NULL, 0, &npos);
  if (rc)
    return rc;
  if (!o[0].value || !o[1].value)
    return vg_cli_usage_error("usage: token create --name NAME --role ROLE");
  const char *why = vg_token_name_refused(o[0].value);
  if (why)
    return vg_cli_refuse("token create", "%s", why);
  if (vg_token_role(o[1].value) == 0)
    return vg_cli_refuse("token create", "no role '%s': the roles are %s",
                         o[1].value, vg_token_roles());
  char token[VG_TOKEN_LEN], hash[VG_SHA256_HEX], user[128];
  if (vg_token_new(token) != 0)
    return vg_cli_fail("token create: the system has no random source");
  if (vg_cli_connect(c))
    return 1;
  vg_fn_token_create_t a = {.prefix = c->cfg.prefix,
                            .name = o[0].value,
                            .role = o[1].value,
                            .hash = vg_token_hash(token, hash),
                            .now = vg_now_ms(),
                            .by = vg_oplog_user(user, sizeof user)};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_token_create(&call, &a);
  redisReply *r = vg_cli_fcall(c, &call);
  vg_fcall_free(&call);
  if (r == NULL)
    return 1;
  rc = 0;
  if (r->type != REDIS_REPLY_STRING)
    rc = vg_cli_fail("token create: unexpected reply");
  else if (strcmp(r->str, "exists") == 0)
    rc = vg_cli_fail("token create: a token is named '%s' already (token "
                     "list); revoked names stay taken",
                     o[0].value);
  freeReplyObject(r);
  if (rc)
    return rc;
  vg_cli_audit(c, "token.create", "token %s, role %s", o[0].value,
               o[1].value);
  if (c->json) {
    printf("{");
    vg_cli_json_member("name", o[0].value, 1);
    vg_cli_json_member("role", o[1].value, 0);
    vg_cli_json_member("token", token, 0);
    printf("}\n");
  } else {
    printf("%s\n", token);
    fprintf(stderr,
            "vasgw: token '%s' (%s) made; it is shown this once: keep it "
            "now\n",
            o[0].value, o[1].value);
  }
  return 0;
}

int vg_cli_token_list(cli_t *c, int nw, const char **w) {
  if (nw > 2)
    return vg_cli_usage_error("usage: token list");
  if (vg_cli_connect(c))
    return 1;
  char key[VG_KEY_MAX];
  vg_key(key, c->cfg.prefix, "%s", VG_K_TOKENS);
  redisReply *names = redisCommand(c->rc, "HGETALL %s", key);
  if (names == NULL || names->type != REDIS_REPLY_ARRAY) {
    int rc = vg_cli_fail("Redis: %s", names ? names->str : c->rc->errstr);
    freeReplyObject(names);
    return rc;
  }
  if (c->json)
    printf("[");
  else if (names->elements)
    printf("%-24s %-10s %-26s %-16s %s\n", "NAME", "ROLE", "CREATED", "BY",
           "REVOKED");
  for (size_t i = 0; i + 1 < names->elements; i += 2) {
    char tk[VG_KEY_MAX];
    vg_key(tk, c->cfg.prefix, VG_K_TOKEN, names->element[i + 1]->str);
    redisReply *h = redisCommand(c->rc, "HGETALL %s", tk);
    if (h == NULL)
      return vg_cli_fail("Redis: %s", c->rc->errstr);
    char when[VG_CLI_WHEN_MAX], rev[VG_CLI_WHEN_MAX];
    long long revoked = vg_cli_num(h, "revoked");
    if (c->json) {
      printf("%s{", i ? "," : "");
      vg_cli_json_member("name", names->element[i]->str, 1);
      vg_cli_json_member("role", vg_cli_str(h, "role"), 0);
      printf(",\"created\":%lld", vg_cli_num(h, "created"));
      vg_cli_json_time(stdout, "created", vg_cli_num(h, "created"));
      vg_cli_json_member("by", vg_cli_str(h, "by"), 0);
      printf(",\"revoked\":%s", revoked ? "true" : "false");
      if (revoked) {
        printf(",\"revoked_at\":%lld", revoked);
        vg_cli_json_time(stdout, "revoked_at", revoked);
      }
      printf("}");
    } else {
      printf("%-24s %-10s %-26s %-16s %s\n", names->element[i]->str,
             vg_cli_str(h, "role"),
             vg_cli_local(when, vg_cli_num(h, "created"), VG_CLI_TIME),
             vg_cli_str(h, "by"),
             revoked ? vg_cli_local(rev, revoked, VG_CLI_TIME) : "-");
    }
    freeReplyObject(h);
  }
  if (c->json)
    printf("]\n");
  else if (names->elements == 0)
    printf("no tokens (vasgw token create --name NAME --role ROLE)\n");
  freeReplyObject(names);
  return 0;
}

int vg_cli_token_revoke(cli_t *c, int nw, const char **w) {
  const char *pos[1];
  int npos = 0;
  int rc = vg_cli_options("token revoke", nw, w, 2, NULL, 0, pos, 1, &npos);
  if (rc)
    return rc;
  if (npos != 1)
    return vg_cli_usage_error("usage: token revoke NAME");
  const char *why = vg_token_name_refused(pos[0]);
  if (why)
    return vg_cli_refuse("token revoke", "%s", why);
  if (vg_cli_connect(c))
    return 1;
  char user[128];
  vg_fn_token_revoke_t a = {.prefix = c->cfg.prefix,
                            .name = pos[0],
                            .now = vg_now_ms(),
                            .by = vg_oplog_user(user, sizeof user)};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_token_revoke(&call, &a);
  redisReply *r = vg_cli_fcall(c, &call);
  vg_fcall_free(&call);
  if (r == NULL)
    return 1;
  rc = 0;
  if (r->type != REDIS_REPLY_STRING)
    rc = vg_cli_fail("token revoke: unexpected reply");
  else if (strcmp(r->str, "unknown") == 0)
    rc = vg_cli_fail("token revoke: no token named '%s' (token list)",
                     pos[0]);
  else if (strcmp(r->str, "revoked") == 0)
    fprintf(stderr, "vasgw: token '%s' was revoked already\n", pos[0]);
  else
    vg_cli_audit(c, "token.revoke", "token %s", pos[0]);
  freeReplyObject(r);
  if (rc == 0 && !c->json)
    printf("token %s revoked\n", pos[0]);
  else if (rc == 0)
    printf("{\"name\":\"%s\",\"revoked\":true}\n", pos[0]);
  return rc;
}
