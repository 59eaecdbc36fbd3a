/*
 * blocklist.h — the do-not-contact list (docs/keys.md, "Do-not-contact
 * list and number segments"): numbers that get no marketing, whatever
 * promoter or campaign asks.  The marketing rule itself is offers.lua's
 * `blocklisted` (refusal `blocklisted`); this is the operator's side:
 * adding, removing, looking up and importing, for `vasgw blocklist` and
 * anything else that receives such a list.
 *
 * Storage: P:blocklist, a set of normalised MSISDNs (what the rule asks
 * with SISMEMBER), and P:blocklist:info, a hash MSISDN -> "at_ms|user|reason"
 * (since when, who, why; the reason last, so it may hold '|').  A number is
 * listed once: adding it again keeps when, who and why it was first listed,
 * so every add is idempotent and an import can simply be run again.
 */
#ifndef VG_HANDLERS_BLOCKLIST_H
#define VG_HANDLERS_BLOCKLIST_H

#include "gateway/csv.h"
#include "gateway/msisdn.h"

#include <hiredis/hiredis.h>
#include <stddef.h>

/* Characters (not bytes) a reason may have. */
#define VG_BLOCKLIST_REASON_MAX 100
/* Numbers written per MULTI/EXEC by an import. */
#define VG_BLOCKLIST_BATCH 10000

/* One number of the list, as stored. */
typedef struct {
  char msisdn[VG_MSISDN_MAX];
  long long at; /* ms since the epoch; 0 when the record has no info */
  char user[128];
  char reason[VG_BLOCKLIST_REASON_MAX * 4 + 1];
} vg_blocklist_entry_t;

/* A reason the operator gives: 0 to VG_BLOCKLIST_REASON_MAX characters of
 * valid UTF-8 without control characters (it is shown on one line).  0, or
 * VG_EINVAL with why in `why`. */
int vg_blocklist_check_reason(const char *reason, char *why, size_t whysz);

/*
 * One record of an imported file: `msisdn[,reason]`.  The number is
 * normalised with `country_code` into `msisdn`; *reason points into the
 * record ("" when it has none).  0, or VG_EINVAL with why in `why`.  A
 * header ("msisdn" or "msisdn,reason", any case) is the caller's to skip
 * (vg_blocklist_is_header).
 */
int vg_blocklist_parse_row(const vg_csv_row_t *r, const char *country_code,
                           char msisdn[VG_MSISDN_MAX], const char **reason,
                           char *why, size_t whysz);

/* Is the first record of a file the header "msisdn" or "msisdn,reason"? */
int vg_blocklist_is_header(const vg_csv_row_t *r);

/*
 * A batch of numbers being added: vg_blocklist_batch_add() collects them,
 * vg_blocklist_batch_flush() writes what was collected in one MULTI/EXEC
 * (SADD P:blocklist, and HSETNX P:blocklist:info of each: the first
 * listing's record is kept).  The caller owns the struct; init before use,
 * free after.
 */
typedef struct {
  redisContext *rc;
  const char *prefix;
  long long at;     /* the listing's time, ms */
  const char *user; /* who lists them (vg_oplog_user) */
  size_t n, cap;
  char (*msisdn)[VG_MSISDN_MAX];
  char **reason;
  long long added; /* numbers that were new to the list, all batches */
} vg_blocklist_batch_t;

void vg_blocklist_batch_init(vg_blocklist_batch_t *b, redisContext *rc,
                             const char *prefix, long long at,
                             const char *user);
/* Add one number (copied); when the batch holds VG_BLOCKLIST_BATCH it is
 * flushed.  0, or the flush's error. */
int vg_blocklist_batch_add(vg_blocklist_batch_t *b, const char *msisdn,
                           const char *reason, char *err, size_t errsz);
/* Write what is collected: 0, or VG_EREDIS with the reason in `err` (what
 * earlier batches wrote stays: adding again is harmless). */
int vg_blocklist_batch_flush(vg_blocklist_batch_t *b, char *err, size_t errsz);
void vg_blocklist_batch_free(vg_blocklist_batch_t *b);

/*
 * Look `msisdn` (normalised) up: 1 listed (`out` filled; at 0 when the
 * number has no info record), 0 not listed, VG_EREDIS with the reason in
 * `err`.
 */
int vg_blocklist_get(redisContext *rc, const char *prefix, const char *msisdn,
                     vg_blocklist_entry_t *out, char *err, size_t errsz);

/* Take `msisdn` off the list, with its record: 1 removed, 0 it was not
 * listed, VG_EREDIS with the reason in `err`. */
int vg_blocklist_remove(redisContext *rc, const char *prefix,
                        const char *msisdn, char *err, size_t errsz);

/* Parse a stored info value "at_ms|user|reason" into `out` (msisdn left as
 * it is).  0, or VG_EINVAL (out's at 0). */
int vg_blocklist_parse_info(const char *value, vg_blocklist_entry_t *out);

#endif
