/*
 * ledger_date.c — calendar arithmetic on YYYYMMDD days for the commission
 * ledger (handlers/ledger_date.h).  The audits of handlers/audit.c measure
 * their windows with it; the CLI parses `vasgw settle YYYY-MM` with it.
 *
 * Day counting is Howard Hinnant's days_from_civil / civil_from_days
 * ("chrono-Compatible Low-Level Date Algorithms"), written for int64_t: a
 * 400-year era holds exactly 146097 days, so the year is split into its
 * era and year-of-era and the day into day-of-era, with March as the first
 * month so that the leap day falls at the end of the counted year.
 */
#include "handlers/ledger_date.h"

#include "gateway/vg.h"

#define YEAR_MIN 1
#define YEAR_MAX 9999

static int is_leap(int32_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int vg_days_in_month(int32_t y, int32_t m) {
  static const unsigned char len[12] = {31, 28, 31, 30, 31, 30,
                                        31, 31, 30, 31, 30, 31};

  if (m < 1 || m > 12)
    return 0;
  return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

int vg_date_valid(int32_t date) {
  int32_t y = date / 10000, m = date / 100 % 100, d = date % 100;

  if (date <= 0 || y < YEAR_MIN || y > YEAR_MAX)
    return 0;
  return d >= 1 && d <= vg_days_in_month(y, m);
}

int vg_month_valid(int32_t month) {
  int32_t y = month / 100, m = month % 100;

  return month > 0 && y >= YEAR_MIN && y <= YEAR_MAX && m >= 1 && m <= 12;
}

int64_t vg_days_from_civil(int32_t y, int32_t m, int32_t d) {
  int64_t yy = (int64_t)y - (m <= 2); /* the year counted from March */
  int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  int64_t yoe = yy - era * 400;                              /* [0, 399] */
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;      /* [0, 146096] */

  return era * 146097 + doe - 719468; /* 719468: 0000-03-01 to 1970-01-01 */
}

void vg_civil_from_days(int64_t days, int32_t *y, int32_t *m, int32_t *d) {
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;                           /* [0, 146096] */
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);    /* [0, 365] */
  int64_t mp = (5 * doy + 2) / 153;                         /* [0, 11] */
  int32_t mm = (int32_t)(mp < 10 ? mp + 3 : mp - 9);

  *d = (int32_t)(doy - (153 * mp + 2) / 5 + 1);
  *m = mm;
  *y = (int32_t)(yoe + era * 400 + (mm <= 2));
}

/* YYYYMMDD of y-m-d, or 0 outside the years we hold. */
static int32_t make_date(int64_t y, int32_t m, int32_t d) {
  if (y < YEAR_MIN || y > YEAR_MAX)
    return 0;
  return (int32_t)y * 10000 + m * 100 + d;
}

int32_t vg_date_add_days(int32_t date, int64_t n) {
  int64_t days;
  int32_t y, m, d;

  if (!vg_date_valid(date))
    return 0;
  /* The whole range 0001..9999 is about 3.65 million days; anything larger
   * is out of range, and checking first keeps the sum from overflowing. */
  if (n > 4000000 || n < -4000000)
    return 0;
  days = vg_days_from_civil(date / 10000, date / 100 % 100, date % 100) + n;
  vg_civil_from_days(days, &y, &m, &d);
  return make_date(y, m, d);
}

int32_t vg_date_add_months(int32_t date, int32_t n) {
  int64_t months, y;
  int32_t m, d, len;

  if (!vg_date_valid(date))
    return 0;
  /* Months since year 0, with the shift; floor division for negatives. */
  months = (int64_t)(date / 10000) * 12 + (date / 100 % 100 - 1) + n;
  if (months < (int64_t)YEAR_MIN * 12 || months >= (int64_t)(YEAR_MAX + 1) * 12)
    return 0;
  y = months / 12;
  m = (int32_t)(months % 12) + 1;
  len = vg_days_in_month((int32_t)y, m);
  d = date % 100;
  return make_date(y, m, d < len ? d : len);
}

int32_t vg_date_month(int32_t date) {
  return vg_date_valid(date) ? date / 100 : 0;
}

int32_t vg_month_first(int32_t month) {
  return vg_month_valid(month) ? month * 100 + 1 : 0;
}

int32_t vg_month_last(int32_t month) {
  if (!vg_month_valid(month))
    return 0;
  return month * 100 + vg_days_in_month(month / 100, month % 100);
}

/* The value of exactly `n` decimal digits at `s`, or -1. */
static int32_t digits(const char *s, int n) {
  int32_t v = 0;

  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/*
 * YYYY, MM and (when `with_day`) DD of "YYYY-MM[-DD]" or "YYYYMM[DD]" as
 * one integer YYYYMM[DD], or -1 when the text has another shape.
 */
static int32_t parse_shape(const char *s, int with_day) {
  int32_t y, m, d = 0;
  size_t len = 0;

  while (s[len] != '\0' && len < 11)
    len++;
  if (len == (with_day ? 10u : 7u) && s[4] == '-' &&
      (!with_day || s[7] == '-')) {
    y = digits(s, 4);
    m = digits(s + 5, 2);
    if (with_day)
      d = digits(s + 8, 2);
  } else if (len == (with_day ? 8u : 6u)) {
    y = digits(s, 4);
    m = digits(s + 4, 2);
    if (with_day)
      d = digits(s + 6, 2);
  } else {
    return -1;
  }
  if (y < 0 || m < 0 || d < 0)
    return -1;
  return with_day ? y * 10000 + m * 100 + d : y * 100 + m;
}

int vg_date_parse(const char *text, int32_t *date) {
  int32_t v;

  if (text == NULL)
    return VG_EINVAL;
  v = parse_shape(text, 1);
  if (v < 0 || !vg_date_valid(v))
    return VG_EINVAL;
  *date = v;
  return 0;
}

int vg_month_parse(const char *text, int32_t *month) {
  int32_t v;

  if (text == NULL)
    return VG_EINVAL;
  v = parse_shape(text, 0);
  if (v < 0 || !vg_month_valid(v))
    return VG_EINVAL;
  *month = v;
  return 0;
}

char *vg_date_format(int32_t date, char buf[VG_DATE_TEXT]) {
  /* Where each digit of YYYYMMDD goes in "YYYY-MM-DD".  By hand, because
   * snprintf's range analysis cannot see that the year has four digits. */
  static const int pos[8] = {0, 1, 2, 3, 5, 6, 8, 9};
  int32_t v = date;

  if (!vg_date_valid(date)) {
    buf[0] = '\0';
    return buf;
  }
  for (int i = 7; i >= 0; i--) {
    buf[pos[i]] = (char)('0' + v % 10);
    v /= 10;
  }
  buf[4] = buf[7] = '-';
  buf[10] = '\0';
  return buf;
}
