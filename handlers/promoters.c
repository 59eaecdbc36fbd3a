/*
 * promoters.c — see promoters.h.
 */
#include "handlers/promoters.h"
#include "gateway/msisdn.h"
#include "gateway/vg.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistr.h>

int vg_promoter_in_segments(const char *msisdn, const char *country_code,
                            const char *segments) {
  char norm[VG_MSISDN_MAX];
  size_t cc = strlen(country_code);

  if (vg_msisdn_normalize(msisdn, country_code, norm, NULL) != 0)
    return 0;
  if (strncmp(norm, country_code, cc) != 0)
    return 0; /* another country's number */
  const char *national = norm + cc;
  for (const char *s = segments; *s;) {
    while (*s == ' ' || *s == '\t' || *s == ',')
      s++;
    const char *start = s;
    while (*s && *s != ',' && *s != ' ' && *s != '\t')
      s++;
    size_t len = (size_t)(s - start);
    if (len > 0 && strncmp(national, start, len) == 0)
      return 1;
  }
  return 0;
}

static int say(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int say(char *why, size_t whysz, const char *fmt, ...) {
  va_list ap;
  if (why != NULL && whysz > 0) {
    va_start(ap, fmt);
    vsnprintf(why, whysz, fmt, ap);
    va_end(ap);
  }
  return VG_EINVAL;
}

/* `what` of min..max characters, valid UTF-8 without control characters
 * (C0, DEL, C1, U+2028/2029: a name is shown on one line of an SMS). */
static int check_text(const char *what, const char *v, size_t min, size_t max,
                      char *why, size_t whysz) {
  size_t len = strlen(v);
  const uint8_t *p = (const uint8_t *)v, *e = p + len;

  if (u8_check(p, len) != NULL)
    return say(why, whysz, "%s is not valid UTF-8", what);
  while (p < e) {
    ucs4_t u;
    p += u8_mbtouc(&u, p, (size_t)(e - p));
    if (u < 0x20 || (u >= 0x7f && u <= 0x9f) || u == 0x2028 || u == 0x2029)
      return say(why, whysz, "%s holds a control character (U+%04X)%s", what,
                 (unsigned)u,
                 u == '\n' || u == '\r' ? ": no line breaks" : "");
  }
  size_t n = u8_mbsnlen((const uint8_t *)v, len);
  if (n < min)
    return say(why, whysz, "%s is empty", what);
  if (n > max)
    return say(why, whysz, "%s has %zu characters (at most %zu)", what, n,
               max);
  return 0;
}

int vg_promoter_check_name(const char *name, char *why, size_t whysz) {
  return check_text("name", name, 1, VG_PROMOTER_NAME_MAX, why, whysz);
}

int vg_promoter_check_outlet(const char *outlet, char *why, size_t whysz) {
  return check_text("outlet", outlet, 0, VG_PROMOTER_OUTLET_MAX, why, whysz);
}

int vg_promoter_check_reason(const char *reason, char *why, size_t whysz) {
  return check_text("reason", reason, 1, VG_PROMOTER_REASON_MAX, why, whysz);
}
