/*
 * promoters.h — the rules a promoter's registration must meet (SPEC.md,
 * "Promoters"), shared by the daemon's ZC handler and `vasgw promoter
 * import`: the number must be in one of the operator's number segments
 * ([promoters] number_segments), the name and outlet within their lengths.
 *
 * Pure functions: no I/O, no logging.  Lengths are in characters (Unicode
 * code points), so that "张三" is 2 whatever its UTF-8 bytes.
 */
#ifndef VG_HANDLERS_PROMOTERS_H
#define VG_HANDLERS_PROMOTERS_H

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

#endif
