/*
 * clock.c — see clock.h.
 */
#include "gateway/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void vg_clock_setup(const char *zone) {
  setenv("TZ", zone, 1);
  tzset();
}

const char *vg_clock_iso(char out[32], int64_t ms) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  localtime_r(&t, &tm);
  long off = tm.tm_gmtoff / 60;
  char sign = off < 0 ? '-' : '+';
  if (off < 0)
    off = -off;
  size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, 32 - n, "%c%02d:%02d", sign, (int)(off / 60 % 100),
           (int)(off % 60));
  return out;
}

const char *vg_clock_day(char out[12], int64_t ms) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  localtime_r(&t, &tm);
  strftime(out, 12, "%Y%m%d", &tm);
  return out;
}

static int hhmm(const char *s) {
  if (strlen(s) < 5 || s[2] != ':')
    return -1;
  for (int i = 0; i < 5; i++)
    if (i != 2 && (s[i] < '0' || s[i] > '9'))
      return -1;
  int h = (s[0] - '0') * 10 + (s[1] - '0');
  int m = (s[3] - '0') * 10 + (s[4] - '0');
  return h < 24 && m < 60 ? h * 60 + m : -1;
}

int64_t vg_clock_quiet_until(const char *window, int64_t ms) {
  if (window == NULL || *window == '\0')
    return 0;
  if (strlen(window) != 11 || window[5] != '-')
    return -1;
  int start = hhmm(window), end = hhmm(window + 6);
  if (start < 0 || end < 0 || start == end)
    return -1;
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  localtime_r(&t, &tm);
  int now = tm.tm_hour * 60 + tm.tm_min;
  int quiet = start < end ? (now >= start && now < end)
                          : (now >= start || now < end);
  if (!quiet)
    return 0;
  /* The window ends today at `end`, or tomorrow when it crosses midnight
   * and we are before it.  mktime normalises the day and applies the zone's
   * offset for that date (daylight saving included). */
  struct tm e = tm;
  e.tm_hour = end / 60;
  e.tm_min = end % 60;
  e.tm_sec = 0;
  e.tm_isdst = -1;
  if (start > end && now >= start)
    e.tm_mday += 1;
  return (int64_t)mktime(&e) * 1000;
}
