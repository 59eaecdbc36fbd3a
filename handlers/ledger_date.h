/*
 * ledger_date.h — calendar days and months for the commission ledger
 * (docs/promoters.md): the audit windows ("the previous 3
 * months", "within 2 months of activation") and the month a development
 * is settled in.
 *
 * A date is a local calendar day held as an int32_t YYYYMMDD (20261122), a
 * month as YYYYMM (202611); both compare correctly as integers.  The zone is
 * applied at the edge, where a UTC time becomes a local day.  Years run
 * from 1 to 9999 (proleptic Gregorian).  Pure functions: no I/O, no
 * allocation, no global state.
 */
#ifndef VG_HANDLERS_LEDGER_DATE_H
#define VG_HANDLERS_LEDGER_DATE_H

#include <stdint.h>

/* Bytes for "YYYY-MM-DD" with its NUL (vg_date_format). */
#define VG_DATE_TEXT 11

/* 1 when `date` is a real day YYYYMMDD of years 1..9999, else 0. */
int vg_date_valid(int32_t date);

/* 1 when `month` is YYYYMM of years 1..9999 with MM 01..12, else 0. */
int vg_month_valid(int32_t month);

/* Days in month `m` (1..12) of year `y` (Gregorian leap years); 0 when `m`
 * is out of range. */
int vg_days_in_month(int32_t y, int32_t m);

/*
 * Days from 1970-01-01 to the day y-m-d (negative before it), by Howard
 * Hinnant's days_from_civil.  The arguments are not checked: pass a valid
 * day (m 1..12, d 1..vg_days_in_month).
 */
int64_t vg_days_from_civil(int32_t y, int32_t m, int32_t d);

/* The inverse of vg_days_from_civil(): the day `days` after 1970-01-01. */
void vg_civil_from_days(int64_t days, int32_t *y, int32_t *m, int32_t *d);

/* `date` + `n` days (n may be negative).  0 when `date` is not valid or the
 * result falls outside years 1..9999. */
int32_t vg_date_add_days(int32_t date, int64_t n);

/*
 * `date` + `n` calendar months (n may be negative), the day clamped to the
 * length of the target month: 20260831 + 1 = 20260930, 20240229 - 12 =
 * 20230228, 20260131 + 1 = 20260228.  0 when `date` is not valid or the
 * result falls outside years 1..9999.
 */
int32_t vg_date_add_months(int32_t date, int32_t n);

/* The month YYYYMM of a date (20261122 -> 202611); 0 when not valid. */
int32_t vg_date_month(int32_t date);

/* The first and the last day of month YYYYMM (202602 -> 20260201,
 * 20260228); 0 when `month` is not valid. */
int32_t vg_month_first(int32_t month);
int32_t vg_month_last(int32_t month);

/*
 * Parse a day written "YYYY-MM-DD" or "YYYYMMDD": exactly those digits, no
 * sign or blank, and a real day.  0 with *date set, or VG_EINVAL (*date
 * unchanged).
 */
int vg_date_parse(const char *text, int32_t *date);

/* Parse a month written "YYYY-MM" or "YYYYMM" likewise; 0 with *month set,
 * or VG_EINVAL (*month unchanged). */
int vg_month_parse(const char *text, int32_t *month);

/* "YYYY-MM-DD" of `date` in `buf`, which is returned; "" when not valid. */
char *vg_date_format(int32_t date, char buf[VG_DATE_TEXT]);

#endif
