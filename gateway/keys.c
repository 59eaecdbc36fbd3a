/*
 * keys.c — key formatting.
 */
#include "gateway/keys.h"

#include <stdarg.h>
#include <stdio.h>

const char *vg_key(char out[VG_KEY_MAX], const char *prefix, const char *fmt,
                   ...) {
  int n = snprintf(out, VG_KEY_MAX, "%s:", prefix);
  if (n < 0 || n >= VG_KEY_MAX) {
    out[0] = '\0';
    return NULL;
  }
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(out + n, VG_KEY_MAX - (size_t)n, fmt, ap);
  va_end(ap);
  if (m < 0 || m >= VG_KEY_MAX - n) {
    out[0] = '\0';
    return NULL;
  }
  return out;
}
