/*
 * settle.h — the monthly settlement against Redis (docs/promoters.md):
 * every pending development of a month is decided by the audit rules
 * (handlers/audit.h) over the developments and the operator's feed of
 * facts, the month is counted (handlers/settlement.h), and then, in one
 * MULTI/EXEC: each development's state, the promoters' monthly counters,
 * the month's record with its totals and CSV report, an SMS to each
 * promoter, and the audit log's entry.  A settled month never changes:
 * settling it again reports the same totals and sends nothing.
 *
 * `vasgw settle` and the daemon's timer (handlers/settle_timer.h) both call
 * vg_settle_month(): one implementation, and a lock in Redis makes sure one
 * run at a time settles a month, whichever node or operator.  It blocks on
 * a connection of its own (gateway/redis_sync.h): the daemon runs it in a
 * worker thread.
 */
#ifndef VG_HANDLERS_SETTLE_H
#define VG_HANDLERS_SETTLE_H

#include "gateway/config.h"
#include "gateway/msisdn.h"
#include "handlers/audit.h"
#include "handlers/promoters.h"
#include "handlers/settlement.h"
#include "handlers/templates.h"

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

/* What the report and the SMS show of a promoter: room for the longest
 * name and outlet vg_promoter_check_* accept (4-byte characters too). */
typedef struct {
  char msisdn[VG_MSISDN_MAX], staff[16];
  char name[VG_PROMOTER_UTF8_BYTES(VG_PROMOTER_NAME_MAX)];
  char outlet[VG_PROMOTER_UTF8_BYTES(VG_PROMOTER_OUTLET_MAX)];
} vg_settle_who_t;

typedef enum {
  VG_SETTLED_NOW,    /* settled by this call; promoters told by SMS */
  VG_SETTLED_BEFORE, /* settled already: totals recounted, nothing written */
  VG_SETTLE_DRY_RUN, /* decided, counted, nothing written */
} vg_settle_state_t;

typedef struct {
  vg_settle_state_t state;
  vg_settlement_t s;    /* the rows (per promoter) and the totals */
  vg_settle_who_t *who; /* one per row of s */
  char *csv;            /* the report */
  vg_settle_row_t *rows_;
} vg_settle_result_t;

typedef struct {
  int dry_run;      /* decide and count, write nothing */
  int force;        /* settle the current month although it is not over */
  const char *user; /* the audit log's user; NULL: the OS user */
  /* A warning that does not stop the settlement (a service's audit
   * windows cannot be read: the defaults are used). */
  void (*warn)(void *data, const char *msg);
  void *data;
} vg_settle_opts_t;

/*
 * Settle `month` (YYYYMM) on `rc` (library loaded).  `t` words the
 * promoters' SMS.  0 with `out` filled (free it with
 * vg_settle_result_free); else `err` says why and nothing was written:
 *   VG_EINVAL  the month has not begun, or is not over and !force
 *   VG_EBUSY   another run holds the month's lock, or settled it meanwhile
 *   VG_EREDIS  Redis failed (the month is written whole or not at all)
 */
int vg_settle_month(redisContext *rc, const vg_config_t *cfg,
                    const vg_templates_t *t, int32_t month,
                    const vg_settle_opts_t *o, vg_settle_result_t *out,
                    char *err, size_t errsz);
void vg_settle_result_free(vg_settle_result_t *r);

/* Is `month` settled?  1 yes, 0 no, -1 Redis failed. */
int vg_settle_done(redisContext *rc, const char *prefix, int32_t month);

/*
 * The developments whose ids are in `ids` (a reply holding ids),
 * pipelined; ids whose record is gone are skipped.  *n gets the count.
 * NULL with `err` when Redis fails.  The array is the caller's to free.
 */
vg_dev_t *vg_devs_load(redisContext *rc, const char *prefix,
                       const redisReply *ids, size_t *n, char *err,
                       size_t errsz);

#endif
