/*
 * msisdn.h — one international form for every subscriber number, and the
 * masked form that is all a log line may show.  Pure functions.
 */
#ifndef VG_MSISDN_H
#define VG_MSISDN_H

#include <stddef.h>

#define VG_MSISDN_MAX 16 /* E.164: at most 15 digits, plus NUL */

/*
 * Normalise `in` to international digits without '+', using `country_code`
 * (e.g. "86") for national numbers.  Accepted: "13800138000",
 * "+8613800138000", "8613800138000", "008613800138000", with spaces,
 * '-' or '(' ')' between digits.  With country code 86 a national mobile
 * number is 11 digits starting with 1; a leading trunk '0' is dropped for
 * other national numbers.  The result has 8..15 digits.
 * Returns 0, or VG_EMSISDN with a reason in *why (a static string) when not
 * NULL: "empty", "contains 'x'", "too short", "too long", "not a mobile
 * number".
 */
int vg_msisdn_normalize(const char *in, const char *country_code,
                        char out[VG_MSISDN_MAX], const char **why);

/*
 * Masked for logs: national part with the middle four digits hidden,
 * "8613800138000" -> "138****8000".  Short numbers keep their first and
 * last two digits.  Never fails; `out` holds at least VG_MSISDN_MAX+4.
 */
void vg_msisdn_mask(const char *msisdn, const char *country_code, char *out,
                    size_t outsz);

#endif
