/*
 * catalogue.h — the service catalogue (`vasgw service`, docs/keys.md):
 * what a service is called, what it costs, the code people reply with, the
 * code the provisioning system knows it by, the promoter's commission and
 * the words of its knowledge SMS.
 *
 * One entry is a plain struct with fixed-size fields, filled and checked by
 * pure functions (no I/O, no logging) that the CLI and the daemon's handlers
 * share.  The blocking-hiredis functions at the end are for the CLI; the
 * daemon reads the same hash (docs/keys.md, "Service catalogue") through its
 * async wrapper and vg_service_set_field().
 */
#ifndef VG_HANDLERS_CATALOGUE_H
#define VG_HANDLERS_CATALOGUE_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "handlers/import.h"
#include "handlers/templates.h"

/* Limits, in characters (Unicode code points) unless said otherwise. */
#define VG_SVC_CODE_MAX 8             /* ^[A-Z][A-Z0-9]{0,7}$ */
#define VG_SVC_NAME_MAX 20
#define VG_SVC_PRICE_MAX 20
#define VG_SVC_PROVISION_MAX 64       /* printable ASCII, no blank */
#define VG_SVC_TEXT_MAX 300           /* knowledge, usage, cancel */
#define VG_SVC_COMMISSION_MAX 10000000LL /* fen (100,000 yuan) */
/* The recommendation SMS should fit in this many parts (a warning only). */
#define VG_SVC_RECOMMEND_PARTS 2

/* Bytes for a UTF-8 text of n characters, with the NUL. */
#define VG_SVC_UTF8_BYTES(n) ((n) * 4 + 1)

/* One catalogue entry.  Strings are NUL-terminated UTF-8. */
typedef struct {
  char code[VG_SVC_CODE_MAX + 1];       /* "CL" */
  char name[VG_SVC_UTF8_BYTES(VG_SVC_NAME_MAX)];   /* "彩铃" */
  char price[VG_SVC_UTF8_BYTES(VG_SVC_PRICE_MAX)]; /* "5元/月" */
  char provision_code[VG_SVC_PROVISION_MAX + 1];
  long long commission_fen;             /* 0..VG_SVC_COMMISSION_MAX */
  char knowledge[VG_SVC_UTF8_BYTES(VG_SVC_TEXT_MAX)]; /* may be "" */
  char usage[VG_SVC_UTF8_BYTES(VG_SVC_TEXT_MAX)];
  char cancel[VG_SVC_UTF8_BYTES(VG_SVC_TEXT_MAX)];
  int enabled;                          /* 1, or 0: offers are refused */
  int64_t created_ms;                   /* UTC ms since the epoch */
  int64_t updated_ms;
} vg_service_t;

/*
 * The fields, in the order of the Redis hash (docs/keys.md): XX(ID, "name").
 * The name is the hash field, the CSV column of `vasgw service import` and,
 * with '_' written '-', the option of `vasgw service add`.
 */
#define VG_SVC_FIELD_MAP(XX)                                                 \
  XX(CODE, "code")                                                           \
  XX(NAME, "name")                                                           \
  XX(PRICE, "price")                                                         \
  XX(PROVISION_CODE, "provision_code")                                       \
  XX(COMMISSION_FEN, "commission_fen")                                       \
  XX(KNOWLEDGE, "knowledge")                                                 \
  XX(USAGE, "usage")                                                         \
  XX(CANCEL, "cancel")                                                       \
  XX(ENABLED, "enabled")                                                     \
  XX(CREATED, "created")                                                     \
  XX(UPDATED, "updated")

typedef enum {
#define XX(id, name) VG_SVC_F_##id,
  VG_SVC_FIELD_MAP(XX)
#undef XX
  VG_SVC_F_COUNT
} vg_svc_field_t;

/* A set of fields for vg_service_save(): VG_SVC_BIT(NAME) | ... */
#define VG_SVC_BIT(id) (1u << VG_SVC_F_##id)
#define VG_SVC_ALL ((1u << VG_SVC_F_COUNT) - 1)

/* The hash field name of `f` ("provision_code"), or NULL when out of range. */
const char *vg_service_field_name(vg_svc_field_t f);

/* The field called `name` (exact, lower-case), or -1. */
int vg_service_field_lookup(const char *name);

/* An empty entry: every string "", commission 0, enabled, no times. */
void vg_service_init(vg_service_t *s);

/*
 * Check a service code.  ASCII letters are upper-cased first (operators type
 * "cl"); the code must then match ^[A-Z][A-Z0-9]{0,7}$ — a leading digit
 * would collide with the numeric reply codes 1-9 of offers — and must not be
 * a one-word command keyword of handlers/commands.def (vg_command_is_keyword:
 * "Y", "N", "TD", "ZC", "HELP" ...).  0, or VG_EINVAL with the reason in
 * `why` ("code TD is a command keyword").  `why` may be NULL.
 */
int vg_service_check_code(const char *code, char *why, size_t whysz);

/*
 * Upper-case `in` into `out` and check it as vg_service_check_code() does.
 * 0, or VG_EINVAL with the reason in `why` (`out` then holds "").
 */
int vg_service_norm_code(const char *in, char out[VG_SVC_CODE_MAX + 1],
                         char *why, size_t whysz);

/*
 * Parse a commission in fen strictly: decimal digits only (no sign, no
 * decimal point, no blank, no other character), 0..VG_SVC_COMMISSION_MAX.
 * 0, or VG_EINVAL (not a whole number) / VG_ERANGE (too large); *fen is set
 * only on success.
 */
int vg_service_parse_fen(const char *text, long long *fen);

/*
 * Set field `f` of `s` from its text form (an option, a CSV cell, a Redis
 * hash value), checking that field alone: the code is upper-cased and
 * checked, texts are checked for UTF-8, control characters and length in
 * characters, the commission is parsed strictly, enabled is "1" or "0",
 * created and updated are decimal ms.  0, or VG_EINVAL with the reason in
 * `why` ("name has 21 characters (at most 20)"); `s` is unchanged then.
 */
int vg_service_set_field(vg_service_t *s, vg_svc_field_t f, const char *value,
                         char *why, size_t whysz);

/*
 * The text form of field `f` of `s` (what vg_service_set_field() reads and
 * the Redis hash stores) in `buf`; returns `buf`.
 */
const char *vg_service_field_text(const vg_service_t *s, vg_svc_field_t f,
                                  char *buf, size_t bufsz);

/*
 * Check a whole entry: every field as vg_service_set_field() would, and the
 * required ones (code, name, price, provision_code) present.  0, or
 * VG_EINVAL with the first problem in `why`.
 */
int vg_service_check(const vg_service_t *s, char *why, size_t whysz);

/*
 * How many SMS parts the recommendation of `s` takes: VG_TPL_RECOMMEND
 * rendered with its name, code and price, reply code "9" and the rendered
 * VG_TPL_OPTOUT_NOTE, counted by vg_templates_parts().  Callers warn when
 * it is more than VG_SVC_RECOMMEND_PARTS.  Does not check `s`.
 */
/*
 * Would both SMS of `s` — its recommendation and its knowledge SMS, with
 * these templates, reply code "9" — be sent, within `max_parts` ([gateway]
 * max_parts)?  0, or VG_ETOOLONG (or the text's other error) with `why`:
 * "the knowledge SMS: text too long: 14 parts, at most 10 ([gateway]
 * max_parts)".  vasgw service add, set and import refuse a service that
 * fails it: an offer of it would be made and its SMS never sent.
 */
int vg_service_check_sms(const vg_templates_t *t, const vg_service_t *s,
                         int max_parts, char *why, size_t whysz);

size_t vg_service_recommend_parts(const vg_templates_t *t,
                                  const vg_service_t *s);

/* --- Redis, blocking hiredis (the CLI) ------------------------------------ */

/*
 * Load the entry `code` (as stored: upper-case) from P:svc:<code>.
 * 0; VG_ENOTFOUND when there is no such entry; VG_EREDIS when Redis failed
 * (the context's errstr says why when rc->err is set) or the key is not a
 * hash; VG_EINVAL when the stored record does not pass vg_service_check().
 * Unknown hash fields are ignored.
 */
int vg_service_load(redisContext *rc, const char *prefix, const char *code,
                    vg_service_t *out);

/*
 * Write `n` entries in one MULTI/EXEC: all of them or none.  For each, the
 * fields in `overwrite` (VG_SVC_BIT set) are written with HSET, every other
 * field with HSETNX — so a new entry is complete and an existing one keeps
 * what was not asked for (its `created` in particular, which should never be
 * in `overwrite`) — and the code is added to P:svc:index.  `*added` (may be
 * NULL) gets how many codes were new to the index.
 *
 * A caller that WATCHed keys before gets VG_EBUSY when one changed (nothing
 * was written).  0, VG_EBUSY, or VG_EREDIS with the reason in `err`.
 * The entries are not checked here: check them first.
 */
int vg_service_save(redisContext *rc, const char *prefix,
                    const vg_service_t *s, size_t n, unsigned overwrite,
                    size_t *added, char *err, size_t errsz);

/*
 * The commission rule and the audit windows of `code`, in one atomic step
 * (the function service_terms, handlers/lua/catalogue.lua): when fen >= 0,
 * a rule "fen from `day` (YYYYMMDD)" replacing that day's, and, for a
 * service that has no rule yet, `before` (when >= 0) as the rule since
 * always; when `windows` is not NULL, the audit windows it names (checked by
 * vg_audit_windows_parse) over those stored.  The service must exist.
 * 0, or VG_EREDIS with the reason in `err`.
 */
int vg_service_terms(redisContext *rc, const char *prefix, const char *code,
                     int32_t day, long long fen, long long before,
                     const char *windows, char *err, size_t errsz);

/* --- importing a file (handlers/service_import.c) ------------------------- */

/* The fields an operator gives, as options (--provision-code) or columns,
 * and those a new service must have. */
extern const vg_svc_field_t vg_service_input_fields[];
extern const size_t vg_service_ninput_fields;
#define VG_SVC_REQUIRED                                                      \
  (VG_SVC_BIT(CODE) | VG_SVC_BIT(NAME) | VG_SVC_BIT(PRICE) |                 \
   VG_SVC_BIT(PROVISION_CODE) | VG_SVC_BIT(COMMISSION_FEN))

/* A catalogue file, checked. */
typedef struct {
  vg_service_t *svc; /* the rows, checked */
  long *lines;       /* the line of each */
  size_t n;
  unsigned have;     /* VG_SVC_BIT of the columns the file has */
  int bad;           /* rows refused */
  size_t added;      /* after the write: codes new to the catalogue */
  int not_logged;    /* written, but the audit log's entry failed */
} vg_service_import_t;

/*
 * Read and check a catalogue file (a header row naming the columns, then
 * one service a row): every bad row told to o->bad_row.  0, or VG_EINVAL
 * with `err` (a bad header, "N bad rows; nothing imported").  No Redis.
 */
int vg_service_import_parse(const char *buf, size_t len,
                            const vg_import_opts_t *o, vg_service_import_t *out,
                            char *err, size_t errsz);

/*
 * Write what vg_service_import_parse read: one MULTI/EXEC (the file's
 * columns overwrite; an existing entry keeps its `created`, its enabled
 * state and any column the file lacks), each row's commission as the rule
 * from today, and the audit log's entry.  0, VG_EBUSY (changed meanwhile),
 * or VG_EREDIS with `err`.
 */
int vg_service_import_write(redisContext *rc, const char *prefix,
                            vg_service_import_t *in, const vg_import_opts_t *o,
                            char *err, size_t errsz);
void vg_service_import_free(vg_service_import_t *in);

/*
 * Every code in P:svc:index, sorted, in a malloc'd array the caller frees
 * with free().  0, or VG_EREDIS with the reason in `err`.
 */
typedef char vg_service_code_t[VG_SVC_CODE_MAX + 1];
int vg_service_codes(redisContext *rc, const char *prefix,
                     vg_service_code_t **codes, size_t *n, char *err,
                     size_t errsz);

#endif
