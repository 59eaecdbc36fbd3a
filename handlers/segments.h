/*
 * segments.h — number segments with their regions: which region and city
 * a number belongs to, by the leading digits of its national number
 * (docs/keys.md, "Do-not-contact list and number segments").  The
 * operator loads the table with `vasgw segment import`; campaigns pick
 * their audience by region with vg_segments_find().
 *
 * A prefix is written as [promoters] number_segments writes them and
 * vg_promoter_in_segments() matches them: digits of the national number,
 * after the country code ("138", "1391234" for 86 1391234 ....).  The most
 * specific wins: the longest prefix that starts the number.
 *
 * The lookup is pure (no I/O): a table built with vg_segments_new() and
 * vg_segments_add(), or read from Redis with vg_segments_load().
 */
#ifndef VG_HANDLERS_SEGMENTS_H
#define VG_HANDLERS_SEGMENTS_H

#include "gateway/csv.h"

#include <hiredis/hiredis.h>
#include <stddef.h>

#define VG_SEGMENT_PREFIX_MAX 15 /* digits: a whole national number */
#define VG_SEGMENT_NAME_MAX 40   /* characters of a region or a city */

typedef struct {
  char prefix[VG_SEGMENT_PREFIX_MAX + 1];
  char region[VG_SEGMENT_NAME_MAX * 4 + 1];
  char city[VG_SEGMENT_NAME_MAX * 4 + 1]; /* "" when not given */
} vg_segment_t;

/* A table of segments, sorted by prefix; the caller owns it. */
typedef struct vg_segments_s vg_segments_t;

vg_segments_t *vg_segments_new(void);
void vg_segments_free(vg_segments_t *s);

/*
 * Check one segment and add it: `prefix` 1 to VG_SEGMENT_PREFIX_MAX digits;
 * `region` 1 and `city` 0 to VG_SEGMENT_NAME_MAX characters of UTF-8 on
 * one line (no control characters: a tab separates them in Redis).  Blanks
 * around each are trimmed.  `line` is where it came from, for telling a
 * prefix given twice (vg_segments_sort).  0, or VG_EINVAL with why in
 * `why` (the table unchanged).
 */
int vg_segments_add(vg_segments_t *s, const char *prefix, const char *region,
                    const char *city, long line, char *why, size_t whysz);

/* One record of an imported file, `prefix,region[,city]`, added with
 * vg_segments_add().  0, or VG_EINVAL with why in `why`. */
int vg_segments_add_row(vg_segments_t *s, const vg_csv_row_t *r, char *why,
                        size_t whysz);

/*
 * Sort the table by prefix, after the adds and before any lookup (a sort
 * at the end keeps an import of a national table, some 400,000 segments,
 * fast).  Each prefix added more than once is told to `dup` (may be NULL)
 * with the lines of its first and of its repeated add; returns how many
 * repeats there were (the table must then not be used).
 */
size_t vg_segments_sort(vg_segments_t *s,
                        void (*dup)(void *data, const char *prefix,
                                    long first_line, long line),
                        void *data);

/* Is the first record of a file the header "prefix,region[,city]"? */
int vg_segments_is_header(const vg_csv_row_t *r);

/* How many segments, and the i-th by prefix (0 <= i < count). */
size_t vg_segments_count(const vg_segments_t *s);
const vg_segment_t *vg_segments_at(const vg_segments_t *s, size_t i);

/*
 * The segment of `msisdn_normalised` in a sorted table (international digits, as
 * vg_msisdn_normalize() gives them): the longest prefix that starts its
 * national number, the digits after `country_code`.  NULL when none does,
 * or when the number is of another country.  The pointer lives as long
 * as the table.
 */
const vg_segment_t *vg_segments_find(const vg_segments_t *s,
                                     const char *msisdn_normalised,
                                     const char *country_code);

/*
 * Read the table P:segments (prefix -> "region\tcity") into a new *out
 * (vg_segments_free it).  An empty or missing table is an empty table.
 * 0; VG_EREDIS with the reason in `err`; VG_EINVAL when a stored entry is
 * not one vg_segments_add() accepts (*out NULL either way).
 */
int vg_segments_load(redisContext *rc, const char *prefix,
                     vg_segments_t **out, char *err, size_t errsz);

/*
 * Replace P:segments with `s` in one step (MULTI: DEL and HSET of
 * P:segments:new, RENAME onto P:segments; EXEC): a reader sees the old
 * table or the new one.  `s` must not be empty.  0, or VG_EREDIS with the
 * reason in `err`.
 */
int vg_segments_store(redisContext *rc, const char *prefix,
                      const vg_segments_t *s, char *err, size_t errsz);

#endif
