/*
 * clock.h — local time for the business rules: the configured time zone
 * ([gateway] timezone) decides what "today" is for the daily marketing cap,
 * when quiet hours hold a campaign, and the offset in a webhook's
 * requested_at.
 *
 * vg_clock_setup() sets TZ for the whole process (vasgwd and vasgw are
 * single-threaded); the rest are pure functions of a time in ms.
 */
#ifndef VG_CLOCK_H
#define VG_CLOCK_H

#include <stdint.h>

/* Use `zone` (an IANA name, checked by the config loader) from now on. */
void vg_clock_setup(const char *zone);

/* "2026-11-22T10:15:00+08:00" (RFC 3339, local offset). */
const char *vg_clock_iso(char out[32], int64_t ms);

/* The local calendar day, "20261122". */
const char *vg_clock_day(char out[12], int64_t ms);

/*
 * Quiet hours "HH:MM-HH:MM" (local; the end is exclusive; a window may
 * cross midnight; "" means none).  Returns 0 when `ms` is outside the
 * window, else the time (ms) at which it ends.  -1 when `window` is
 * malformed.
 */
int64_t vg_clock_quiet_until(const char *window, int64_t ms);

#endif
