/*
 * redis_server.h — a real redis-server for unit tests of the Redis
 * Functions: started on a free 127.0.0.1 port in a fresh directory, with
 * vasgw's library loaded, and helpers to set up keys, call functions and
 * compare what came back and what is stored.
 *
 * Replies are compared as text (vg_test_render): "str" a string, 12 an
 * integer, [a,b] an array, nil, +OK a status, !ERR ... an error.
 */
#ifndef VG_TEST_REDIS_SERVER_H
#define VG_TEST_REDIS_SERVER_H

#include "gateway/fcall.h"

#include <hiredis/hiredis.h>
#include <sys/types.h>

typedef struct {
  pid_t pid;
  int port;
  char dir[128];
  redisContext *rc;
} vg_test_redis_t;

/* Start it and load the library; exits the test program when it cannot. */
void vg_test_redis_start(vg_test_redis_t *t);
/* SHUTDOWN NOSAVE, wait for it, remove its directory. */
void vg_test_redis_stop(vg_test_redis_t *t);
/* FLUSHALL: every key gone, the library kept. */
void vg_test_redis_reset(vg_test_redis_t *t);

/* A reply as text (malloc'd). */
char *vg_test_render(const redisReply *r);

/*
 * Run one command written as a line: words split on spaces, a word in
 * double quotes may hold spaces ("" is an empty word).  The rendered reply
 * (malloc'd).
 */
char *vg_test_run(vg_test_redis_t *t, const char *line);
/* Run every line of a NULL-terminated list, checking none answers an error. */
void vg_test_setup(vg_test_redis_t *t, const char *const *lines);
/* Call a function; the rendered reply (malloc'd). */
char *vg_test_fcall(vg_test_redis_t *t, const vg_fcall_t *c);

/*
 * Every key with its type and value (hash fields sorted, stream entries,
 * whether it has a TTL), as one text (malloc'd): two snapshots are equal
 * when nothing was written in between.  Fields of P:stats (prefix "vasgw")
 * named in `counters` (NULL-terminated, or NULL) are left out: the counters
 * that count a repeated call itself (offer_exists, mo_duplicate ...).
 */
char *vg_test_snapshot(vg_test_redis_t *t, const char *const *counters);

/* cmocka: the rendered result of `expr` (malloc'd text) equals `want`. */
/* `want` is evaluated once: a string, never an allocation to free. */
#define VG_EXPECT(expr, want)                                                \
  do {                                                                       \
    char *got_ = (expr);                                                     \
    const char *want_ = (want);                                              \
    if (strcmp(got_, want_) != 0)                                            \
      print_error("got:  %s\nwant: %s\n", got_, want_);                      \
    assert_string_equal(got_, want_);                                        \
    free(got_);                                                              \
  } while (0)

/* cmocka: calling `call` again answers `want` and changes nothing stored
 * (vg_test_snapshot, the P:stats fields in `counters` aside): a Function
 * run twice is idempotent. */
#define VG_EXPECT_AGAIN(t, call, want, counters)                             \
  do {                                                                       \
    char *before_ = vg_test_snapshot((t), (counters));                       \
    VG_EXPECT(vg_test_fcall((t), (call)), (want));                           \
    char *after_ = vg_test_snapshot((t), (counters));                        \
    assert_string_equal(before_, after_);                                    \
    free(before_);                                                           \
    free(after_);                                                            \
  } while (0)

/* cmocka: calling `call` is refused with an error that starts `want` (the
 * whole error when it ends with " script: ...", which Redis adds), and
 * nothing is written. */
#define VG_EXPECT_REFUSED(t, call, want)                                     \
  do {                                                                       \
    char *before_ = vg_test_snapshot((t), NULL);                             \
    char *got_ = vg_test_fcall((t), (call));                                 \
    const char *want_ = (want);                                              \
    int differ_ = strncmp(got_, want_, strlen(want_));                       \
    if (differ_)                                                             \
      print_error("got:  %s\nwant: %s ...\n", got_, want_);                  \
    assert_int_equal(differ_, 0);                                            \
    assert_non_null(strstr(got_, " script: "));                              \
    free(got_);                                                              \
    char *after_ = vg_test_snapshot((t), NULL);                              \
    assert_string_equal(before_, after_);                                    \
    free(before_);                                                           \
    free(after_);                                                            \
  } while (0)

#endif
