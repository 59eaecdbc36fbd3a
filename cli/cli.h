/*
 * cli.h — what every `vasgw` command shares: the parsed options, the
 * blocking Redis connection with vasgw's scripts loaded, error exits with
 * the right status (0 success, 1 runtime failure, 2 usage error) and JSON
 * string output.  Each family of commands lives in its own cli_*.c file.
 */
#ifndef VG_CLI_CLI_H
#define VG_CLI_CLI_H

#include "gateway/config.h"
#include "gateway/csv.h"
#include "gateway/fcall.h"

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
/* `"name":"value"` on stdout, after a comma unless `first`. */
void vg_cli_json_member(const char *name, const char *value, int first);

/* Connect, AUTH, SELECT and load the Functions library (redis_sync.h);
 * 0 or 1 (reported). */
int vg_cli_connect(cli_t *c);

/*
 * Call a Redis Function (gateway/fcall.h) and wait; the reply (NULL after a
 * reported failure, error replies reported too) is the caller's to free.
 */
redisReply *vg_cli_fcall(cli_t *c, const vg_fcall_t *call);

/* The value of `name` in an HGETALL reply, or NULL. */
const char *vg_cli_field(const redisReply *h, const char *name);
/* The same, "" when absent; and as a number (0 when absent). */
const char *vg_cli_str(const redisReply *h, const char *name);
long long vg_cli_num(const redisReply *h, const char *name);

/*
 * Each record of the CSV file `path` ("-": standard input), read by the
 * imports' RFC 4180 reader (gateway/csv.h: a byte order mark skipped,
 * quoted fields, CRLF or LF), blank records and lines starting with "#"
 * skipped.  `row` gets every other record with its place among them (0:
 * the first, which may be a header) and returns 0, or 1 when it is bad (it
 * tells why); a record that cannot be read is told here as FILE:LINE.
 * Returns how many were bad, or -1 when the file cannot be read (told).
 */
int vg_cli_each_record(const char *path,
                       int (*row)(void *data, size_t nth,
                                  const vg_csv_row_t *r),
                       void *data);

/* The same, a record that cannot be read given to `bad_record` (its line
 * and why) instead of being told on stderr; NULL: told. */
int vg_cli_each_record_or_bad(const char *path,
                              int (*row)(void *data, size_t nth,
                                         const vg_csv_row_t *r),
                              void (*bad_record)(void *data, long line,
                                                 const char *why),
                              void *data);
/* Is `r` the optional header "msisdn,<second>" of such a file (any case)?
 * `second` lists the names the second column may have, "|"-separated
 * ("service|services"). */
int vg_cli_is_header(const vg_csv_row_t *r, const char *second);

/* "vasgw: FILE:LINE: reason" on stderr: one bad row of an imported file. */
void vg_cli_bad_row(const char *path, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "vasgw: CMD: why" on stderr; returns 2: a value on the command line that
 * is refused ("service add: the name has 21 characters, at most 20"). */
int vg_cli_refuse(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* 0 when `id` may name a record vasgw made (1 to VG_ID_MAX bytes, the
 * most any id has: gateway/ids.h); else "vasgw: CMD: KIND ids are at most
 * 64 bytes; this one has N" and 2.  Before a key is built from an id given
 * on the command line: one too long names no record, and is not cut into
 * one that does. */
int vg_cli_check_id(const char *cmd, const char *kind, const char *id);

/* Money for people: fen as yuan, "12.34" (integer arithmetic). */
const char *vg_cli_yuan(char out[32], long long fen);

/* Columns on a terminal: the width of a UTF-8 text (a Chinese character
 * takes two); and a cell of it padded to `w` columns, on the left when
 * `right` (numbers), followed by `after` ("  ", or "\n" with no padding). */
size_t vg_cli_width(const char *s);
void vg_cli_cell(const char *s, size_t w, int right, const char *after);

/*
 * Times, one rule for every command (the same moment reads the same day
 * wherever it is shown): local to [gateway] timezone (main has set TZ),
 * with the offset, from `ms` since the epoch.
 *   VG_CLI_TIME     "2026-12-01 08:05:03 +08:00"   text output
 *   VG_CLI_DAY      "2026-12-01"                   a day (a table's column)
 *   VG_CLI_RFC3339  "2026-12-01T08:05:03+08:00"    --json
 * "-" for 0 or less (no such time).  Returns `out`.
 */
typedef enum { VG_CLI_TIME, VG_CLI_DAY, VG_CLI_RFC3339 } vg_cli_when_t;
#define VG_CLI_WHEN_MAX 48
const char *vg_cli_local(char out[VG_CLI_WHEN_MAX], long long ms,
                         vg_cli_when_t how);

/*
 * A time in --json, beside the milliseconds the record stores (which the
 * caller prints, as before, for programs that count): `,"NAME_time":"RFC
 * 3339"`, NAME being `field` less a trailing "_at" ("done_at" -> done_time,
 * "created" -> created_time, "at" -> time); null when there is no such
 * time.
 */
void vg_cli_json_time(FILE *out, const char *field, long long ms);

/* An RFC 3339 time as stored in a record ("2026-11-22T10:15:00+08:00", an
 * order's requested_at) -> ms since the epoch; -1 when it is not one. */
long long vg_cli_rfc3339_ms(const char *s);

/*
 * The whole of `path` ("-": standard input) in a malloc'd buffer the caller
 * frees: *len bytes, followed by a NUL that *len does not count.  NULL with
 * errno set when the file cannot be opened or read (not reported).
 */
char *vg_cli_read_file(const char *path, size_t *len);

/* `path` made absolute for the record (realpath), "stdin" for "-", or
 * `path` itself when it cannot be resolved.  Returns `out`. */
const char *vg_cli_abspath(const char *path, char *out, size_t outsz);

/*
 * Record an operator action in the audit log, the stream P:audit (docs/
 * keys.md, "Audit log"; handlers/oplog.h), `detail` a printf of `fmt`.  Call
 * it after the action's write succeeded; connects first when c->rc is NULL.
 * 0, or 1 after saying on stderr that the action was done but not recorded.
 */
int vg_cli_audit(cli_t *c, const char *action, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" (also with 'T') as local time (main
 * has set TZ to [gateway] timezone) -> ms since the epoch.  0, or -1 for
 * anything else, or a day or time that does not exist.
 */
int vg_cli_parse_local(const char *s, long long *ms);

/* One option of a command: "--name VALUE", "--name=VALUE", or a flag. */
typedef struct {
  const char *name; /* "--tps" */
  int flag;         /* takes no value: set to "" when given */
  const char *value; /* NULL when not given */
} vg_cli_opt_t;

/*
 * Parse w[from..nw): the options of `opts` (each at most once) and up to
 * `maxpos` other words into pos[].  0, or the exit status of a usage error
 * (reported, naming `cmd`).
 */
int vg_cli_options(const char *cmd, int nw, const char **w, int from,
                   vg_cli_opt_t *opts, size_t nopts, const char **pos,
                   int maxpos, int *npos);

/* Every command (cli/commands.def): `words` are the command line's words
 * from the command's first on; the exit status. */
#define CLI(words_, fn, args_, help_) int fn(cli_t *c, int nw, const char **words);
#include "cli/commands.def"

#endif
