/*
 * vg.c — error text, allocation wrappers, clock.
 */
#include "gateway/vg.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

const char *vg_strerror(int err) {
  switch (err) {
  case VG_OK:
    return "success";
#define XX(name, text)                                                       \
  case VG_##name:                                                            \
    return text;
    VG_ERR_MAP(XX)
#undef XX
  default:
    return "unknown error";
  }
}

static void oom(size_t n, const char *file, int line) {
  fprintf(stderr, "vasgw: out of memory allocating %zu bytes at %s:%d\n", n,
          file, line);
  abort();
}

void *vg_malloc_at(size_t n, const char *file, int line) {
  void *p = malloc(n ? n : 1);
  if (p == NULL)
    oom(n, file, line);
  return p;
}

void *vg_calloc_at(size_t c, size_t n, const char *file, int line) {
  void *p = calloc(c ? c : 1, n ? n : 1);
  if (p == NULL)
    oom(c * n, file, line);
  return p;
}

void *vg_realloc_at(void *old, size_t n, const char *file, int line) {
  void *p = realloc(old, n ? n : 1);
  if (p == NULL)
    oom(n, file, line);
  return p;
}

char *vg_strdup_at(const char *s, const char *file, int line) {
  return vg_strndup_at(s, strlen(s), file, line);
}

char *vg_strndup_at(const char *s, size_t n, const char *file, int line) {
  char *p = vg_malloc_at(n + 1, file, line);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

void vg_free(void *p) { free(p); }

int64_t vg_now_ms(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int vg_copy(char *dst, size_t size, const char *src) {
  size_t n = strlen(src);
  if (n >= size) {
    if (size)
      dst[0] = '\0';
    return VG_ETOOLONG;
  }
  memcpy(dst, src, n + 1);
  return 0;
}
