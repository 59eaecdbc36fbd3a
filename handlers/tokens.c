/*
 * tokens.c — see tokens.h.
 */
#include "autoconfig.h"
#include "handlers/tokens.h"
#include "gateway/keys.h"
#include "gateway/vg.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

static const struct {
  const char *name;
  unsigned bit;
} roles[] = {{"admin", VG_ROLE_ADMIN},
             {"marketing", VG_ROLE_MARKETING},
             {"finance", VG_ROLE_FINANCE},
             {"seat", VG_ROLE_SEAT},
             {"viewer", VG_ROLE_VIEWER}};

int vg_token_new(char out[VG_TOKEN_LEN]) {
  unsigned char b[32];
  if (RAND_bytes(b, sizeof b) != 1)
    return -1;
  memcpy(out, "vgt_", 4);
  for (size_t i = 0; i < sizeof b; i++)
    snprintf(out + 4 + 2 * i, 3, "%02x", b[i]);
  return 0;
}

const char *vg_token_hash(const char *token, char out[VG_SHA256_HEX]) {
  return vg_sha256_hex(token, strlen(token), out);
}

unsigned vg_token_role(const char *name) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(roles); i++)
    if (strcmp(roles[i].name, name) == 0)
      return roles[i].bit;
  return 0;
}

const char *vg_token_roles(void) {
  return "admin, marketing, finance, seat, viewer";
}

const char *vg_token_name_refused(const char *name) {
  size_t n = strlen(name);
  if (n == 0)
    return "the name is empty";
  if (n > VG_TOKEN_NAME_MAX)
    return "the name is longer than 64 bytes";
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || strchr(".-_@", *p)))
      return "a name holds only letters, digits, '.', '-', '_' and '@'";
  return NULL;
}

vg_token_found_t vg_token_find(redisContext *rc, const char *prefix,
                               const char *token,
                               char name[VG_TOKEN_NAME_MAX + 1],
                               unsigned *role) {
  char hash[VG_SHA256_HEX], key[VG_KEY_MAX];
  vg_key(key, prefix, VG_K_TOKEN, vg_token_hash(token, hash));
  redisReply *r = redisCommand(rc, "HMGET %s name role revoked", key);
  name[0] = '\0';
  *role = 0;
  if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 3) {
    vg_copy(name, VG_TOKEN_NAME_MAX + 1,
            r && r->type == REDIS_REPLY_ERROR ? r->str : rc->errstr);
    freeReplyObject(r);
    return VG_TOKEN_REDIS;
  }
  vg_token_found_t found = VG_TOKEN_OK;
  if (r->element[0]->type != REDIS_REPLY_STRING)
    found = VG_TOKEN_UNKNOWN;
  else if (r->element[2]->type == REDIS_REPLY_STRING)
    found = VG_TOKEN_REVOKED;
  if (found != VG_TOKEN_UNKNOWN) {
    vg_copy(name, VG_TOKEN_NAME_MAX + 1, r->element[0]->str);
    if (r->element[1]->type == REDIS_REPLY_STRING)
      *role = vg_token_role(r->element[1]->str);
  }
  freeReplyObject(r);
  return found;
}
