/*
 * cli.h — what every `vasgw` command shares: the parsed options, the
 * blocking Redis connection with vasgw's scripts loaded, error exits with
 * the right status (0 success, 1 runtime failure, 2 usage error) and JSON
 * string output.  Each family of commands lives in its own cli_*.c file.
 */
#ifndef VG_CLI_H
#define VG_CLI_H

#include "gateway/config.h"

#include <hiredis/hiredis.h>
#include <stdio.h>

typedef struct {
  vg_config_t cfg;
  redisContext *rc;
  int json;
} cli_t;

/* "vasgw: message" on stderr; returns 1. */
int vg_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "vasgw: message (try 'vasgw --help')" on stderr; returns 2. */
int vg_cli_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* A JSON string literal with escapes. */
void vg_cli_json_str(FILE *out, const char *s);

/* Connect, AUTH, SELECT and SCRIPT LOAD every script; 0 or 1 (reported). */
int vg_cli_connect(cli_t *c);

/*
 * EVALSHA of a script (scripts.h) with `nkeys` of `argc` arguments; the
 * reply (NULL after a reported failure, error replies reported too) is the
 * caller's to free.
 */
redisReply *vg_cli_script(cli_t *c, int script, int nkeys, int argc,
                          const char **argv, const size_t *argvlen);

/* The value of `name` in an HGETALL reply, or NULL. */
const char *vg_cli_field(const redisReply *h, const char *name);

/*
 * Call `line` for each line of `path` ("-": stdin) without its line end,
 * skipping empty lines and "#" comments.  `line` returns 0, or non-zero for
 * a bad line (it reports it).  Returns how many lines were bad, or -1 when
 * the file cannot be read (reported).
 */
int vg_cli_each_line(const char *path,
                     int (*line)(void *data, long lineno, char *text),
                     void *data);

/* A time in ms since the epoch as UTC "YYYY-MM-DDTHH:MM:SSZ" ("-" if 0). */
const char *vg_cli_time(char out[32], long long ms);

/* Command families, each in its own file: words[0] is the family name,
 * `nw` counts it.  They return the exit status. */
int vg_cli_service(cli_t *c, int nw, const char **words);   /* cli_service.c */
int vg_cli_recommend(cli_t *c, int nw, const char **words); /* cli_offer.c */
int vg_cli_order(cli_t *c, int nw, const char **words);     /* cli_order.c */

#endif
