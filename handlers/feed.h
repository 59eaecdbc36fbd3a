/*
 * feed.h — the operator's billing and care feed (docs/promoters.md): one
 * CSV row `msisdn,service,event,date` becomes one fact
 * (handlers/audit.h, vg_fact_t) for the ledger's audit rules.
 *
 * The row functions are pure (no I/O, no logging); vg_feed_import() checks
 * a whole file with them and writes its facts (`vasgw feed import`, and
 * anything else that receives a feed); the settlement reads them back with
 * vg_feed_load().
 * Storage (docs/keys.md, "Ledger facts"): each fact is the member
 * "SERVICE|event|YYYYMMDD" of the set P:facts:{MSISDN}, so a fact imported
 * twice is stored once.
 */
#ifndef VG_HANDLERS_FEED_H
#define VG_HANDLERS_FEED_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/config.h"
#include "gateway/sha256.h"
#include "handlers/audit.h"
#include "handlers/import.h"

/* Bytes that always hold a member "SERVICE|event|YYYYMMDD" with its NUL. */
#define VG_FEED_MEMBER_MAX 32

/* The columns, in this order; a header row names them so. */
#define VG_FEED_COLUMNS 4

/* The event's name as the feed and the stored member write it ("charged");
 * NULL when out of range. */
const char *vg_feed_event_name(vg_fact_event_t e);

/* 1 for the events about the number rather than one of its services
 * (arrears, voice): their service column may be empty. */
int vg_feed_number_level(vg_fact_event_t e);

/*
 * Is this record a header?  `cells` are the record's `n` raw CSV fields.
 * 0 when the first field does not start with "msisdn" (any case, blanks
 * around ignored): a data row.  1 when it is the header
 * "msisdn,service,event,date" (any case, blanks around names ignored).
 * -1 when it starts with "msisdn" but names other columns, with the reason
 * in `why`.
 */
int vg_feed_header(char *const *cells, size_t n, char *why, size_t whysz);

/*
 * Check one row and turn it into a fact.  Each field is first NFKC-
 * normalised (full-width "１３８" become "138", U+3000 a space) and trimmed
 * of blanks at both ends.  Then:
 *   msisdn   vg_msisdn_normalize() with `country_code` ("86");
 *   service  a catalogue code (vg_service_norm_code(): upper-cased, 1-8 of
 *            A-Z 0-9 starting with a letter, no command keyword); empty only
 *            for number-level events (vg_feed_number_level());
 *   event    charged, cancelled, changed, arrears, complaint or voice, in
 *            any case;
 *   date     YYYY-MM-DD or YYYYMMDD, a real calendar day, not after the day
 *            after `today` (a local day YYYYMMDD; 0 skips that check: the
 *            feed runs in the operator's zone and may be a day ahead).
 * 0 with `out` filled, or VG_EINVAL with the first problem in `why`
 * ("event charged needs a service code", "date 2026-02-30 is not a real
 * day"); `out` is then unspecified.
 */
int vg_feed_parse_row(const char *msisdn, const char *service,
                      const char *event, const char *date,
                      const char *country_code, int32_t today, vg_fact_t *out,
                      char *why, size_t whysz);

/* The stored form of `f` (without its MSISDN, which names the set):
 * "CL|charged|20261122", "|voice|20261120".  Returns `out`. */
const char *vg_feed_member(const vg_fact_t *f, char out[VG_FEED_MEMBER_MAX]);

/* Read a stored member back into `out` with `msisdn` (copied).  0, or
 * VG_EINVAL when it is not what vg_feed_member() writes. */
int vg_feed_parse_member(const char *member, const char *msisdn,
                         vg_fact_t *out);

/* --- Redis, blocking hiredis (the CLI, the settlement) --------------------- */

/*
 * Every fact about `msisdn` (normalised) from P:facts:{MSISDN}, sorted by
 * date, then service, then event, in a malloc'd array the caller frees with
 * free() (NULL when *n is 0).  0; VG_EREDIS when Redis failed (the
 * context's errstr says why when rc->err is set) or the key is not a set;
 * VG_EINVAL when a stored member is malformed (nothing is returned then).
 */
int vg_feed_load(redisContext *rc, const char *prefix, const char *msisdn,
                 vg_fact_t **facts, size_t *n);

/* --- importing a file (handlers/feed_import.c) ------------------------------ */

typedef vg_import_opts_t vg_feed_import_opts_t;

typedef struct {
  int bad;                         /* rows refused (nothing written) */
  char sha256[VG_SHA256_HEX];      /* the file is known by its bytes' */
  size_t rows, repeated;           /* facts in it; ones repeated in it */
  long long added, known;          /* facts new to Redis; known already */
  int already;                     /* imported before: nothing written */
  long long imported_at, previous_rows;
  char imported_by[300];
  int not_logged; /* written, but the audit log's entry failed (err says) */
} vg_feed_import_result_t;

/* Check every row of a file (no Redis): 0, or VG_EINVAL with out->bad. */
int vg_feed_check(const vg_config_t *cfg, const char *buf, size_t len,
                  const vg_feed_import_opts_t *o, vg_feed_import_result_t *out);

/*
 * Import a feed file: every row checked first (a file with a bad row
 * writes nothing: VG_EINVAL), then its facts written, all or nothing up to
 * 100,000 rows (in whole-number batches beyond), with the file's record
 * P:feed:<sha256> and the audit log's entry.  The same file twice writes
 * nothing the second time (out->already).  0, VG_EINVAL, VG_EBUSY (the
 * file's record kept changing: try again), VG_EREDIS (`err`).
 */
int vg_feed_import(redisContext *rc, const vg_config_t *cfg, const char *buf,
                   size_t len, const vg_feed_import_opts_t *o,
                   vg_feed_import_result_t *out, char *err, size_t errsz);

#endif
