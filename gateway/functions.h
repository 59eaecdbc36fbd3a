/*
 * functions.h — vasgw's Redis Functions library: what it is, how it is put
 * into Redis, and how its errors are told.
 *
 * The library (docs/functions.md) is built from the Lua files of
 * gateway/lua/ and handlers/lua/ by tools/fngen.lua and embedded in the programs
 * (vg_lua_library, generated).  Its name carries a version, vasgw_<N>, and
 * so does every function in it (vasgw_<N>_mt_resp), so two releases can run
 * side by side against one Redis during an upgrade.  On connect the daemon
 * and the CLI make sure Redis holds exactly this build's library: loaded
 * when missing, replaced when another build's code is there under the same
 * name.  A library that does not load is an error naming the source file
 * and line, and the programs stop.
 */
#ifndef VG_FUNCTIONS_H
#define VG_FUNCTIONS_H

#include <hiredis/hiredis.h>
#include <stddef.h>

/* Lines [first, last] of the library came from `path` (its line 1). */
typedef struct {
  const char *path;
  int first, last;
} vg_lua_file_t;

typedef struct {
  const char *name; /* "vasgw_4" */
  const char *code; /* the whole library, as FUNCTION LOAD takes it */
  size_t len;
  const vg_lua_file_t *files;
  size_t nfiles;
} vg_lua_library_t;

/* This build's library (generated: functions_library.c). */
extern const vg_lua_library_t vg_lua_library;

/*
 * `err` (a Redis error about the library or one of its functions) with
 * every "user_function:N" told as "PATH:LINE" of the source file, into
 * `out`.  Returns `out`.
 */
const char *vg_lua_explain(const vg_lua_library_t *lib, const char *err,
                           char *out, size_t outsz);

/*
 * What to do about the library after FUNCTION LIST LIBRARYNAME <name>
 * WITHCODE answered `reply`: 0 it is there as built, 1 load it (missing),
 * 2 replace it (another build's code under our name).
 */
int vg_lua_needs_load(const vg_lua_library_t *lib, const redisReply *reply);

/*
 * The same from a blocking connection: list, then FUNCTION LOAD [REPLACE]
 * if needed.  0, or -1 with the reason in `err` (source file and line for
 * an error in the library).
 */
int vg_lua_ensure(redisContext *rc, const vg_lua_library_t *lib, char *err,
                  size_t errsz);

#endif
