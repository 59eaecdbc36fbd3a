/*
 * msisdn.c — subscriber numbers in one form (STYLE.md 13: "MSISDNs in one
 * normalised form from the moment they enter").
 *
 * Every number that enters vasgw — from an MO, the HTTP API or the CLI —
 * passes vg_msisdn_normalize() once and is international digits without
 * '+' from then on, so Redis keys, blacklists and rate limits all see the
 * same string for "138 0013 8000", "+86 138-0013-8000" and
 * "008613800138000".  vg_msisdn_mask() is the only form a log line may
 * show.  Pure functions, no I/O.
 */
#include "gateway/msisdn.h"

#include <string.h>

#include "gateway/vg.h"

/* Raw digits we are willing to collect; anything longer is "too long"
 * whatever prefix it turns out to have ("00" + 15 digits = 17). */
#define RAW_MAX 17

/* Mainland China: mobile numbers are 11 digits starting with 13..19. */
#define CN_CC "86"
#define CN_MOBILE_LEN 11

/*
 * "contains 'x'" for every printable ASCII character, built at compile time
 * so that *why stays a static string, as the header promises.
 */
#define CONTAINS(c) [c] = {'c', 'o', 'n', 't', 'a', 'i', 'n', 's', ' ', '\'', \
                           (c), '\'', '\0'}
#define CONTAINS16(b)                                                        \
  CONTAINS(b), CONTAINS(b + 1), CONTAINS(b + 2), CONTAINS(b + 3),            \
      CONTAINS(b + 4), CONTAINS(b + 5), CONTAINS(b + 6), CONTAINS(b + 7),    \
      CONTAINS(b + 8), CONTAINS(b + 9), CONTAINS(b + 10), CONTAINS(b + 11),  \
      CONTAINS(b + 12), CONTAINS(b + 13), CONTAINS(b + 14), CONTAINS(b + 15)
static const char contains_msg[128][13] = {
    CONTAINS16(0x20), CONTAINS16(0x30), CONTAINS16(0x40),
    CONTAINS16(0x50), CONTAINS16(0x60), CONTAINS16(0x70),
};
#undef CONTAINS16
#undef CONTAINS

/* The reason for an unexpected character `c`. */
static const char *why_contains(unsigned char c) {
  if (c >= 0x20 && c < 0x7F)
    return contains_msg[c];
  return "contains an invalid character";
}

static int is_sep(char c) {
  return c == ' ' || c == '\t' || c == '-' || c == '(' || c == ')';
}

/* 1 when `cc` is a usable country code: 1 to 3 digits, not starting 0. */
static int cc_ok(const char *cc) {
  size_t n;

  if (cc == NULL || cc[0] < '1' || cc[0] > '9')
    return 0;
  n = strspn(cc, "0123456789");
  return n <= 3 && cc[n] == '\0';
}

static int fail(const char **why, const char *reason) {
  if (why != NULL)
    *why = reason;
  return VG_EMSISDN;
}

int vg_msisdn_normalize(const char *in, const char *country_code,
                        char out[VG_MSISDN_MAX], const char **why) {
  char raw[RAW_MAX + 1], res[RAW_MAX + 4];
  const char *p = in, *d;
  size_t nraw = 0, ccl, nres;
  int plus = 0, overflow = 0;

  out[0] = '\0';
  if (why != NULL)
    *why = NULL;
  if (in == NULL)
    return fail(why, "empty");

  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '+') {
    plus = 1;
    p++;
  }
  /* Collect the digits; a bad character wins over a length complaint. */
  for (; *p != '\0'; p++) {
    if (*p >= '0' && *p <= '9') {
      if (nraw < RAW_MAX)
        raw[nraw++] = *p;
      else
        overflow = 1;
    } else if (!is_sep(*p)) {
      return fail(why, why_contains((unsigned char)*p));
    }
  }
  raw[nraw] = '\0';
  if (nraw == 0)
    return fail(why, plus ? "too short" : "empty");
  if (overflow)
    return fail(why, "too long");

  /* Decide which digits are already international. */
  ccl = cc_ok(country_code) ? strlen(country_code) : 0;
  d = raw;
  res[0] = '\0';
  if (plus) {
    /* as written */
  } else if (raw[0] == '0' && raw[1] == '0') {
    d = raw + 2; /* international call prefix */
  } else if (ccl > 0 && strncmp(raw, country_code, ccl) == 0) {
    /* "8613800138000": international without the '+' */
  } else if (ccl > 0) {
    /* National: drop a trunk '0', put the country code in front. */
    memcpy(res, country_code, ccl + 1);
    if (raw[0] == '0')
      d = raw + 1;
  }
  strcat(res, d);
  nres = strlen(res);

  if (nres > VG_MSISDN_MAX - 1)
    return fail(why, "too long");
  if (nres < 8)
    return fail(why, "too short");
  if (res[0] == '0')
    return fail(why, "bad country code"); /* no E.164 code starts with 0 */

  /* China: a mobile is 1[3-9] and 9 more digits; anything else is a
   * landline (Beijing's area code 10 also starts with 1) and cannot receive
   * SMS.  Wrong-length mobiles get the length as their reason. */
  if (strncmp(res, CN_CC, strlen(CN_CC)) == 0) {
    const char *nat = res + strlen(CN_CC);
    size_t nl = strlen(nat);
    if (nat[0] != '1' || nat[1] < '3' || nat[1] > '9')
      return fail(why, "not a mobile number");
    if (nl < CN_MOBILE_LEN)
      return fail(why, "too short");
    if (nl > CN_MOBILE_LEN)
      return fail(why, "too long");
  }

  memcpy(out, res, nres + 1);
  return 0;
}

void vg_msisdn_mask(const char *msisdn, const char *country_code, char *out,
                    size_t outsz) {
  const char *nat = msisdn != NULL ? msisdn : "";
  size_t n, keep_head, keep_tail, stars, o = 0, k;

  if (out == NULL || outsz == 0)
    return;
  if (country_code != NULL && country_code[0] != '\0') {
    size_t ccl = strlen(country_code);
    if (strncmp(nat, country_code, ccl) == 0 && strlen(nat) > ccl)
      nat += ccl;
  }
  n = strlen(nat);

  if (n <= 4) {
    keep_head = keep_tail = 0; /* too few digits to show any of them */
  } else if (n < 8) {
    keep_head = keep_tail = 2;
  } else {
    keep_head = (n - 4) / 2; /* 11 digits: 3 + 4 hidden + 4 */
    keep_tail = n - 4 - keep_head;
  }
  stars = n - keep_head - keep_tail;

  for (k = 0; k < n && o + 1 < outsz; k++)
    out[o++] = (k >= keep_head && k < keep_head + stars) ? '*' : nat[k];
  out[o] = '\0';
}
