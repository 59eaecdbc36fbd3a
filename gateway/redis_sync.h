/*
 * redis_sync.h — a blocking Redis connection with vasgw's Functions
 * library loaded: what the CLI uses, and what business steps that run
 * outside the daemon's loop use (the monthly settlement, in a worker
 * thread).  The daemon's own connections are gateway/redis.h.
 */
#ifndef VG_REDIS_SYNC_H
#define VG_REDIS_SYNC_H

#include "gateway/config.h"
#include "gateway/fcall.h"

#include <hiredis/hiredis.h>
#include <stddef.h>

/*
 * Connect to [redis] of `cfg` (3 s to connect, 10 s per command), AUTH,
 * SELECT, and make sure the library is loaded (gateway/functions.h).  The
 * context, or NULL with the reason in `err`.
 */
redisContext *vg_redis_sync_connect(const vg_config_t *cfg, char *err,
                                    size_t errsz);

/*
 * Call a Redis Function and wait for the reply.  The reply is the caller's
 * to free; NULL with the reason in `err` (a Lua error told with its source
 * file and line) when the connection failed or the function answered an
 * error.
 */
redisReply *vg_redis_sync_fcall(redisContext *rc, const vg_fcall_t *c,
                                char *err, size_t errsz);

/* Queue the call without waiting (pipelining, inside MULTI); the reply is
 * read later with redisGetReply. */
void vg_redis_sync_append(redisContext *rc, const vg_fcall_t *c);

#endif
