/*
 * tokens.h — the HTTP API's bearer tokens (docs/api.md, "Tokens"): made by
 * `vasgw token create`, shown once, stored only as their SHA-256
 * (handlers/lua/api.lua), each with a name and one role.
 */
#ifndef VG_HANDLERS_TOKENS_H
#define VG_HANDLERS_TOKENS_H

#include "gateway/sha256.h"

#include <hiredis/hiredis.h>
#include <stddef.h>

/* Roles, as a mask (vg_token_role names them). */
#define VG_ROLE_ADMIN 1u
#define VG_ROLE_MARKETING 2u
#define VG_ROLE_FINANCE 4u
#define VG_ROLE_SEAT 8u
#define VG_ROLE_VIEWER 16u
#define VG_ROLE_ANY 31u
#define VG_ROLE_PUBLIC 0u /* no token needed */

/* "vgt_" and 64 hex digits: 256 random bits. */
#define VG_TOKEN_LEN 69 /* with the NUL */
/* A token's name: letters, digits, '.', '-', '_', '@'; at most this. */
#define VG_TOKEN_NAME_MAX 64

/* A new token from the system's random source: 0, or -1 when it has none. */
int vg_token_new(char out[VG_TOKEN_LEN]);

/* The hash a token is stored by. */
const char *vg_token_hash(const char *token, char out[VG_SHA256_HEX]);

/* The role's bit (VG_ROLE_*), 0 for no such role. */
unsigned vg_token_role(const char *name);
/* The roles, "admin, marketing, finance, seat, viewer". */
const char *vg_token_roles(void);

/* NULL when `name` may name a token, else why not. */
const char *vg_token_name_refused(const char *name);

typedef enum {
  VG_TOKEN_OK = 0,
  VG_TOKEN_UNKNOWN,  /* no token has that hash */
  VG_TOKEN_REVOKED,
  VG_TOKEN_REDIS,    /* Redis did not answer: `name` holds why */
} vg_token_found_t;

/* Who a presented token is: its name and role. */
vg_token_found_t vg_token_find(redisContext *rc, const char *prefix,
                               const char *token, char name[VG_TOKEN_NAME_MAX + 1],
                               unsigned *role);

#endif
