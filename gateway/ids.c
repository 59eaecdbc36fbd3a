/*
 * ids.c — see ids.h.
 */
#include "gateway/ids.h"
#include "gateway/vg.h"

#include <stdarg.h>
#include <stdio.h>

int vg_id_fmt(char *out, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(out, size, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= size || n > VG_ID_MAX) {
    if (size)
      out[0] = '\0';
    return VG_ETOOLONG;
  }
  return 0;
}
