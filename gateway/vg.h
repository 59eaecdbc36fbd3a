/*
 * vg.h — what every vasgw file shares: the error table, the allocation
 * wrappers that abort on out-of-memory, and container_of.
 *
 * Kannel's libgw exports hundreds of generic names into the same link, so
 * every non-static symbol of ours starts with vg_ (STYLE.md, "Names").
 */
#ifndef VG_H
#define VG_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* One table gives both the error enum and its text (libuv's UV_ERRNO_MAP). */
#define VG_ERR_MAP(XX)                                                       \
  XX(EINVAL, "invalid argument")                                             \
  XX(ENOMEM, "out of memory")                                                \
  XX(ERANGE, "value out of range")                                           \
  XX(EMSISDN, "malformed MSISDN")                                            \
  XX(ETEXT, "text cannot be encoded")                                        \
  XX(EUTF8, "invalid UTF-8")                                                 \
  XX(EPDU, "malformed PDU")                                                  \
  XX(ETOOLONG, "too long")                                                   \
  XX(ECONFIG, "configuration error")                                         \
  XX(EREDIS, "Redis error")                                                  \
  XX(ENOTCONN, "not connected")                                              \
  XX(EBUSY, "busy")                                                          \
  XX(ENOTFOUND, "not found")                                                 \
  XX(EIO, "input/output error")                                              \
  XX(ENOTTEXT, "not text in its data_coding")

typedef enum {
  VG_OK = 0,
#define XX(name, _) VG_##name,
  VG__ERR_FIRST = -1000,
  VG_ERR_MAP(XX)
#undef XX
} vg_err_t;

/* Text of a code returned by any vg_ function (0 or negative). */
const char *vg_strerror(int err);

#define vg_malloc(n) vg_malloc_at((n), __FILE__, __LINE__)
#define vg_calloc(c, n) vg_calloc_at((c), (n), __FILE__, __LINE__)
#define vg_realloc(p, n) vg_realloc_at((p), (n), __FILE__, __LINE__)
#define vg_strdup(s) vg_strdup_at((s), __FILE__, __LINE__)
#define vg_strndup(s, n) vg_strndup_at((s), (n), __FILE__, __LINE__)

/* Allocation that never returns NULL: out of memory aborts with file:line. */
void *vg_malloc_at(size_t n, const char *file, int line);
void *vg_calloc_at(size_t c, size_t n, const char *file, int line);
void *vg_realloc_at(void *p, size_t n, const char *file, int line);
char *vg_strdup_at(const char *s, const char *file, int line);
char *vg_strndup_at(const char *s, size_t n, const char *file, int line);
/* free(); use it in files that include libgw, whose gwmem.h hides free(). */
void vg_free(void *p);

#define vg_container_of(ptr, type, member)                                   \
  ((type *)((char *)(ptr) - offsetof(type, member)))

#define VG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Wall-clock milliseconds since the epoch (UTC). */
int64_t vg_now_ms(void);

/* Copy `src` into `dst` (`size` bytes with the NUL): 0, or VG_ETOOLONG
 * when it does not fit (`dst` is then ""), never a cut copy.  For values
 * from outside (Redis records, replies, the environment) that a fixed
 * buffer holds: one that does not fit is an error where it is read. */
int vg_copy(char *dst, size_t size, const char *src);

#endif
