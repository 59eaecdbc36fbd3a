/*
 * ids.h — how long an id may be.  Every id vasgw makes — a message
 * ("re-<MO id>", "pr-<M>-approved-<ms>", a `vasgw send` id), an offer, an
 * order — fits VG_ID_MAX bytes: the Redis Functions refuse a longer one
 * where it is made (gateway/lua/base.lua, ID_MAX, the same number), and the
 * C that builds one checks that it fits (vg_id_fmt) instead of cutting it.
 * Offers have a shorter limit so that the ids made from theirs ("of-<offer
 * id>", "A<offer id>", "or-A<offer id>") fit too.
 */
#ifndef VG_IDS_H
#define VG_IDS_H

#include <stddef.h>

#define VG_ID_MAX 64       /* bytes, without the NUL */
#define VG_OFFER_ID_LEN 48 /* bytes, without the NUL */
#define VG_ENTRY_ID_MAX 48 /* a stream entry id, "1767225600000-12", with NUL */

/* snprintf into `out` (`size` bytes): 0, or VG_ETOOLONG when it does not
 * fit or is longer than VG_ID_MAX (`out` is then ""). */
int vg_id_fmt(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
