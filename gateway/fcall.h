/*
 * fcall.h — one call of a Redis Function (FCALL name 0 args...), built up
 * argument by argument: the generated packers (gateway/lua/functions.h,
 * handlers/lua/functions.h) fill it, and vg_redis_fcall() (the daemon) or
 * vg_redis_sync_fcall() (the CLI) sends it.
 *
 * Strings are borrowed, not copied: they must live until the call is sent
 * (hiredis copies the arguments when it formats the command).  Numbers are
 * formatted into the call's own memory.  A call is reused by starting it
 * again with vg_fcall_begin(); vg_fcall_free() releases it.
 */
#ifndef VG_FCALL_H
#define VG_FCALL_H

#include <stddef.h>

/* Bytes with their length: text that may hold a NUL. */
typedef struct {
  const char *p;
  size_t len;
} vg_bytes_t;

typedef struct vg_fcall_chunk_s vg_fcall_chunk_t;

typedef struct {
  const char **argv; /* "FCALL", the function, "0", its arguments */
  size_t *argvlen;
  int argc, cap;
  vg_fcall_chunk_t *chunks; /* where the numbers are written */
} vg_fcall_t;

#define VG_FCALL_INIT {0}

/* Start (or restart) a call of function `fn` (its full name). */
void vg_fcall_begin(vg_fcall_t *c, const char *fn);
/* Append one argument.  NULL strings are sent as "". */
void vg_fcall_str(vg_fcall_t *c, const char *s);
void vg_fcall_bytes(vg_fcall_t *c, vg_bytes_t b);
void vg_fcall_int(vg_fcall_t *c, long long v);
void vg_fcall_bool(vg_fcall_t *c, int v);
/* The function's name ("" before vg_fcall_begin). */
const char *vg_fcall_name(const vg_fcall_t *c);
/* How many arguments have been appended (not counting the name). */
int vg_fcall_nargs(const vg_fcall_t *c);
void vg_fcall_free(vg_fcall_t *c);

#endif
