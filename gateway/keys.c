/*
 * keys.c — key formatting.
 */
#include "gateway/keys.h"

#include <stdarg.h>
#include <stdio.h>

const char *vg_key(char out[VG_KEY_MAX], const char *prefix, const char *fmt,
                   ...) {
  int n = snprintf(out, VG_KEY_MAX, "%s:", prefix);
  if (n < 0 || n >= VG_KEY_MAX)
    return out;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out + n, VG_KEY_MAX - (size_t)n, fmt, ap);
  va_end(ap);
  return out;
}
