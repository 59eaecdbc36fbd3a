/*
 * oplog.h — the audit log of operator actions: who did what, when, from
 * where (docs/keys.md, "Audit log"; `vasgw audit-log` reads it).  Every
 * change an operator makes — catalogue, promoters, feeds, settlements —
 * is recorded, whether it came from the CLI or the daemon's own timer.
 *
 * One entry of the stream P:audit (kept, no TTL): `at` (ms since the
 * epoch), `user`, `host`, `action` ("service.add", "promoter.approve",
 * "feed.import", "settle" ...) and `detail` (free text).
 */
#ifndef VG_HANDLERS_OPLOG_H
#define VG_HANDLERS_OPLOG_H

#include <hiredis/hiredis.h>
#include <stddef.h>

/*
 * The person at the keyboard: the effective user's login name ("alice"),
 * "root (sudo by alice)" when run through sudo, "uid 1234" when the user
 * has no name.  Returns `out`.
 */
const char *vg_oplog_user(char *out, size_t outsz);

/*
 * The people an action may be the work of, for a rule that wants two
 * (a campaign's approval): the effective user and, when set, the sudo
 * user, comma-separated ("alice", "bob,alice" for alice's `sudo -u bob`);
 * root is left out when a sudo user names the person ("alice" for root
 * through sudo by alice): operators who share root through sudo stay
 * apart, while nobody escapes the rule by setting SUDO_USER on an account
 * of their own.  Returns `out`.
 */
const char *vg_oplog_people(char *out, size_t outsz);

/* Queue the entry's XADD on `rc` without reading its reply (inside a
 * MULTI, or pipelined); `user` NULL for vg_oplog_user(). */
void vg_oplog_append(redisContext *rc, const char *prefix, const char *user,
                     const char *action, const char *detail);

/* Write the entry and wait: 0, or -1 with the reason in `err`. */
int vg_oplog_write(redisContext *rc, const char *prefix, const char *user,
                   const char *action, const char *detail, char *err,
                   size_t errsz);

#endif
