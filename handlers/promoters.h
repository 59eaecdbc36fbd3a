/*
 * promoters.h — the rules a promoter's registration must meet
 * (docs/promoters.md), shared by the daemon's ZC handler and the import of
 * promoters: the number must be in one of the operator's number segments
 * ([promoters] number_segments), the name and outlet within their lengths.
 *
 * The checks are pure functions: no I/O, no logging.  Lengths are in characters (Unicode
 * code points), so that "张三" is 2 whatever its UTF-8 bytes.
 */
#ifndef VG_HANDLERS_PROMOTERS_H
#define VG_HANDLERS_PROMOTERS_H

#include "gateway/config.h"
#include "gateway/msisdn.h"
#include "handlers/import.h"

#include <hiredis/hiredis.h>
#include <stddef.h>

#define VG_PROMOTER_NAME_MAX 20   /* characters; at least 1 */
#define VG_PROMOTER_OUTLET_MAX 40 /* characters; may be empty */
#define VG_PROMOTER_REASON_MAX 60 /* characters; an operator's, in an SMS */

/* Bytes for a UTF-8 text of n characters, with the NUL. */
#define VG_PROMOTER_UTF8_BYTES(n) ((n) * 4 + 1)

/*
 * 1 when `msisdn` is in one of `segments`, else 0.
 *
 * `msisdn` is international ("8613800138000") or national ("13800138000");
 * it is normalised with `country_code` ("86") first (gateway/msisdn.h), and a
 * number that is malformed or of another country is in no segment.
 * `segments` is the configuration's "134,135,..." (blanks around the commas
 * are allowed, empty items ignored): national prefixes, matched against the
 * number without its country code, whole prefix against the start of the
 * number ("134" admits 13400000000, not 13500000000; "13" admits both).  An
 * empty list admits no number.
 */
int vg_promoter_in_segments(const char *msisdn, const char *country_code,
                            const char *segments);

/*
 * Check a promoter's name: valid UTF-8, no control character or line break,
 * 1 to VG_PROMOTER_NAME_MAX characters.  0, or VG_EINVAL with the reason in
 * `why` ("name has 21 characters (at most 20)", "name is empty", ...).
 * The caller trims blanks first if it wants them dropped.
 */
int vg_promoter_check_name(const char *name, char *why, size_t whysz);

/* The same for an outlet (the shop or office): 0 to VG_PROMOTER_OUTLET_MAX
 * characters ("outlet has 41 characters (at most 40)"). */
int vg_promoter_check_outlet(const char *outlet, char *why, size_t whysz);

/* The same for the reason an operator gives for a rejection or disabling,
 * which the promoter reads in the SMS: 1 to VG_PROMOTER_REASON_MAX. */
int vg_promoter_check_reason(const char *reason, char *why, size_t whysz);

/* --- importing a file (handlers/promoter_import.c) ------------------------- */

/* One promoter of a file. */
typedef struct {
  char msisdn[VG_MSISDN_MAX];
  char *name, *outlet;
  long line;
  char staff[16]; /* after the write: the staff number */
  int created;    /* after the write: 1 added, 0 registered already */
} vg_promoter_row_t;

typedef struct {
  vg_promoter_row_t *rows;
  size_t n;
  int bad;        /* rows refused */
  size_t added;   /* after the write */
  size_t written; /* after a failed write: how many were written */
  int not_logged; /* written, but the audit log's entry failed */
} vg_promoter_import_t;

/*
 * Read and check a promoters file: a header naming the columns msisdn,
 * name and optionally outlet, then a promoter a row; a number outside
 * [promoters] number_segments, a number twice, a name or outlet too long is
 * a bad row, told to o->bad_row.  0, or VG_EINVAL with `err`.  No Redis.
 */
int vg_promoter_import_parse(const vg_config_t *cfg, const char *buf,
                             size_t len, const vg_import_opts_t *o,
                             vg_promoter_import_t *out, char *err,
                             size_t errsz);

/*
 * Register what vg_promoter_import_parse read, approved at once, each told
 * its staff number by SMS (`approved_text`: the template promoter_approved
 * as loaded), in batches of the function promoter_import; a number already
 * registered is left as it is.  Each batch is atomic and running the file
 * again is safe.  0, or VG_EREDIS with `err` and in->written.
 */
int vg_promoter_import_write(redisContext *rc, const vg_config_t *cfg,
                             const char *approved_text,
                             vg_promoter_import_t *in,
                             const vg_import_opts_t *o, char *err,
                             size_t errsz);
void vg_promoter_import_free(vg_promoter_import_t *in);

#endif
