/*
 * daemon.c — see daemon.h.
 *
 * Five Redis connections: "redis" for every write and script, and one per
 * stream reader (MT, bulk MT, MO, orders), because a blocking XREADGROUP
 * holds its connection until it returns and must not delay the writes
 * behind it, nor one stream's read another's.
 */
#include "autoconfig.h"
#include "gateway/clock.h"
#include "gateway/daemon.h"
#include "gateway/inbox.h"
#include "gateway/keys.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/redis.h"
#include "gateway/smpp_link.h"
#include "gateway/ussd_guard.h"
#include "gateway/vg.h"
#include "gateway/provision.h"
#include "gateway/lua/functions.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_BLOCK_MS 1000
/* The node's claim (P:running:<node>) lives this long unless renewed; it
 * is renewed every second. */
#define CLAIM_TTL_MS 5000
/* Without Redis this long, the links unbind until it is back. */
#define VG_REDIS_GRACE_MS 10000

typedef struct vg_daemon_s daemon_t;

typedef enum { READ_MT, READ_MT_BULK, READ_MO, READ_ORDERS } read_kind_t;

/* A consumer-group reader of one stream on its own connection. */
typedef struct {
  daemon_t *d;
  vg_redis_t conn;
  char key[VG_KEY_MAX];
  read_kind_t kind;
  int reading;
  int group_ready;
  int pel;             /* reading our own pending entries first */
  char pel_cursor[48];
} reader_t;

struct vg_daemon_s {
  uv_loop_t *loop;
  const vg_config_t *cfg;
  vg_daemon_hooks_t hooks;
  vg_redis_t redis;
  reader_t mt_reader, bulk_reader, mo_reader, order_reader;
  vg_smpp_link_t links[2];
  vg_smpp_link_t *submit_links[2];
  int nlinks, nsubmit;
  vg_outbox_t *outbox;
  vg_inbox_t *inbox;
  vg_ussd_guard_t *guard;
  vg_provision_t *provision;
  uv_signal_t sigterm, sigint, sighup;
  uv_timer_t housekeeping;
  uv_prepare_t flush; /* once per loop iteration, before polling */
  uint64_t last_claim;
  int stopping;
  int exit_status; /* 1 after a fatal error (the library would not load) */
  uint64_t stop_deadline;
  int unbinding;
  uint64_t unbind_deadline;
  int closed_links;
  /* Running as the node: claimed, its claim renewed, and since when Redis
   * has been lost (0: it is not). */
  char instance[300]; /* host/pid/started ms */
  int claimed, claiming;
  int links_started, links_paused;
  uint64_t redis_lost_at;
};

/* --- stream readers ------------------------------------------------------- */

static void reader_kick(reader_t *rd);

static void handle_entry(reader_t *rd, redisReply *e, int recovered) {
  daemon_t *d = rd->d;
  if (e->type != REDIS_REPLY_ARRAY || e->elements < 2)
    return;
  const char *entry = e->element[0]->str;
  redisReply *f = e->element[1];
  if (f->type != REDIS_REPLY_ARRAY) {
    /* A pending entry whose data was deleted: nothing left to do. */
    vg_redis_command(&d->redis, NULL, NULL, "XACK %s %s %s", rd->key,
                     VG_GROUP, entry);
    return;
  }
  const char *v[12] = {0};
  static const char *const names[] = {"id",      "to",  "text", "src",
                                      "ussd_op", "its", "from", "complete",
                                      "error",   "umr", "expire_at"};
  for (size_t i = 0; i + 1 < f->elements; i += 2)
    for (size_t k = 0; k < VG_ARRAY_SIZE(names); k++)
      if (strcmp(f->element[i]->str, names[k]) == 0)
        v[k] = f->element[i + 1]->str;
  if (rd->kind == READ_MT || rd->kind == READ_MT_BULK) {
    vg_outbox_add(d->outbox, entry, v[0], v[1], v[2], v[3], v[4], v[5], v[9],
                  v[10], rd->kind == READ_MT_BULK, recovered);
  } else if (rd->kind == READ_ORDERS) {
    vg_provision_add(d->provision, entry, v[0]);
  } else {
    vg_mo_t mo = {.entry = entry,
                  .id = v[0] ? v[0] : "",
                  .from = v[6] ? v[6] : "",
                  .to = v[1] ? v[1] : "",
                  .text = v[2] ? v[2] : "",
                  .ussd_op = v[4] ? v[4] : "",
                  .its = v[5] ? v[5] : "",
                  .umr = v[9] ? v[9] : "",
                  .complete = v[7] ? atoi(v[7]) : 1,
                  .error = v[8] ? v[8] : ""};
    if (d->hooks.mo)
      d->hooks.mo(d->hooks.data, &mo);
  }
}

static void on_read(vg_redis_t *r, redisReply *reply, void *data,
                    const char *err) {
  reader_t *rd = data;
  rd->reading = 0;
  if (rd->d->stopping)
    return; /* what it read stays pending for this node's next start */
  if (err) {
    if (reply && strncmp(err, "NOGROUP", 7) == 0)
      rd->group_ready = 0;
    if (reply)
      vg_log_warn("reader %s: %s", rd->key, err);
    return; /* a lost connection re-reads on connect */
  }
  size_t n = 0;
  if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
    redisReply *entries = reply->element[0]->element[1];
    n = entries->elements;
    for (size_t i = 0; i < n; i++) {
      redisReply *e = entries->element[i];
      handle_entry(rd, e, rd->pel);
      if (rd->pel && e->element[0]->str)
        snprintf(rd->pel_cursor, sizeof rd->pel_cursor, "%s",
                 e->element[0]->str);
    }
  }
  if (rd->pel && n == 0)
    rd->pel = 0; /* our pending list is read: now new entries */
  if (rd->kind == READ_MT || rd->kind == READ_MT_BULK)
    vg_outbox_pump(rd->d->outbox);
  reader_kick(rd);
}

static void create_group(reader_t *rd);

static void reader_kick(reader_t *rd) {
  daemon_t *d = rd->d;
  /* Not before this process runs as the node: the consumer name, and the
   * pending entries under it, are the node's. */
  if (rd->reading || !vg_redis_ready(&rd->conn) || d->stopping || !d->claimed)
    return;
  if (!rd->group_ready) {
    create_group(rd);
    return;
  }
  int count = 200;
  if (rd->kind != READ_MO) {
    count = rd->kind == READ_MT        ? vg_outbox_wants(d->outbox)
            : rd->kind == READ_MT_BULK ? vg_outbox_wants_bulk(d->outbox)
                                       : vg_provision_wants(d->provision);
    if (count <= 0)
      return;
    if (count > 500)
      count = 500;
  }
  char cnt[16], block[16];
  snprintf(cnt, sizeof cnt, "%d", count);
  snprintf(block, sizeof block, "%d", READ_BLOCK_MS);
  int rc;
  if (rd->pel) {
    const char *argv[] = {"XREADGROUP", "GROUP", VG_GROUP, d->cfg->node,
                          "COUNT", cnt, "STREAMS", rd->key,
                          rd->pel_cursor};
    rc = vg_redis_command_argv(&rd->conn, on_read, rd, 9, argv, NULL);
  } else {
    const char *argv[] = {"XREADGROUP", "GROUP", VG_GROUP, d->cfg->node,
                          "COUNT", cnt, "BLOCK", block, "STREAMS",
                          rd->key, ">"};
    rc = vg_redis_command_argv(&rd->conn, on_read, rd, 11, argv, NULL);
  }
  if (rc == 0)
    rd->reading = 1;
}

static void on_group_created(vg_redis_t *r, redisReply *reply, void *data,
                             const char *err);

/* Create the group (an existing one answers BUSYGROUP), then read.  From
 * "0", not "$": what the CLI queued before any daemon ran counts. */
static void create_group(reader_t *rd) {
  rd->reading = 1;
  if (vg_redis_command(&rd->conn, on_group_created, rd,
                       "XGROUP CREATE %s %s 0 MKSTREAM", rd->key,
                       VG_GROUP) != 0)
    rd->reading = 0;
}

/* On every (re)connect: our own pending entries first, then new ones. */
static void reader_connected(vg_redis_t *r) {
  reader_t *rd = r->data;
  rd->reading = 0;
  rd->group_ready = 0;
  rd->pel = 1;
  snprintf(rd->pel_cursor, sizeof rd->pel_cursor, "0");
  create_group(rd);
}

static void on_group_created(vg_redis_t *r, redisReply *reply, void *data,
                             const char *err) {
  reader_t *rd = data;
  rd->reading = 0;
  if (err && !reply)
    return;
  if (err && strncmp(err, "BUSYGROUP", 9) != 0) {
    vg_log_error("reader %s: cannot create the consumer group: %s", rd->key,
                 err);
    return;
  }
  rd->group_ready = 1;
  reader_kick(rd);
}

static void reader_closed(vg_redis_t *r, const char *why) {
  reader_t *rd = r->data;
  rd->reading = 0;
}

static void reader_init(daemon_t *d, reader_t *rd, const char *name,
                        const char *stream, read_kind_t kind) {
  const vg_config_t *c = d->cfg;
  rd->d = d;
  rd->kind = kind;
  vg_key(rd->key, c->prefix, "%s", stream);
  vg_redis_init(d->loop, &rd->conn, name, c->redis_host, c->redis_port,
                c->redis_password, c->redis_db);
  rd->conn.data = rd;
  rd->conn.on_connect = reader_connected;
  rd->conn.on_close = reader_closed;
  rd->conn.library = 0; /* it only reads streams */
  /* A blocked read is silent for READ_BLOCK_MS: allow for it. */
  rd->conn.command_timeout_ms = READ_BLOCK_MS + 10000;
}

static void kick_reader(void *data) { reader_kick(data); }

/* The outbox wants entries of either lane. */
static void kick_mt_readers(void *data) {
  daemon_t *d = data;
  reader_kick(&d->mt_reader);
  reader_kick(&d->bulk_reader);
}

/* --- recovery of entries a dead node left pending ------------------------- */

static void on_claimed(vg_redis_t *r, redisReply *reply, void *data,
                       const char *err) {
  reader_t *rd = data;
  if (err || rd->d->stopping || reply->type != REDIS_REPLY_ARRAY ||
      reply->elements < 2)
    return;
  redisReply *entries = reply->element[1];
  for (size_t i = 0; i < entries->elements; i++)
    handle_entry(rd, entries->element[i], 1);
  if (entries->elements)
    vg_log_info("reader %s: claimed %zu idle entries from other nodes",
                rd->key, entries->elements);
}

static void claim_idle(daemon_t *d) {
  char idle[24];
  snprintf(idle, sizeof idle, "%lld", (long long)d->cfg->claim_idle * 1000);
  reader_t *rds[] = {&d->mt_reader, &d->bulk_reader, &d->mo_reader,
                     &d->order_reader};
  for (int i = 0; i < 4; i++) {
    /* The bulk lane holds little (its limit is about 2 s of sending):
     * claim no more than it has room for. */
    int want = rds[i]->kind == READ_MT_BULK ? vg_outbox_wants_bulk(d->outbox)
                                            : 100;
    if (want > 100)
      want = 100;
    if (!rds[i]->group_ready ||
        (rds[i]->kind == READ_MT && vg_outbox_wants(d->outbox) < 100) ||
        (rds[i]->kind == READ_MT_BULK && want < 1) ||
        (rds[i]->kind == READ_ORDERS && vg_provision_wants(d->provision) < 1))
      continue;
    char count[16];
    snprintf(count, sizeof count, "%d", want);
    const char *argv[] = {"XAUTOCLAIM", rds[i]->key, VG_GROUP, d->cfg->node,
                          idle, "0-0", "COUNT", count};
    vg_redis_command_argv(&d->redis, on_claimed, rds[i], 8, argv, NULL);
  }
}

/* --- links ------------------------------------------------------------------------ */

static void link_bound(vg_smpp_link_t *l) {
  daemon_t *d = l->data;
  vg_outbox_pump(d->outbox);
}

static void link_down(vg_smpp_link_t *l) {}

static void link_submit_resp(vg_smpp_link_t *l, void *tag, int64_t status,
                             const char *msgid) {
  daemon_t *d = l->data;
  /* A wait screen's answer is the guard's; its slot in the window is free
   * again for the outbox. */
  if (vg_ussd_guard_submit_resp(d->guard, tag, status, msgid)) {
    vg_outbox_pump(d->outbox);
    return;
  }
  vg_outbox_submit_resp(d->outbox, tag, status, msgid);
  kick_mt_readers(d);
}

static void link_deliver(vg_smpp_link_t *l, const vg_smpp_deliver_t *dl,
                         uint32_t seq) {
  daemon_t *d = l->data;
  vg_inbox_deliver(d->inbox, l, dl, seq);
}

static void link_peer_read(vg_smpp_link_t *l, uint64_t upto) {
  daemon_t *d = l->data;
  vg_inbox_peer_read(d->inbox, l, upto);
}

static void link_closed(vg_smpp_link_t *l) {
  daemon_t *d = l->data;
  d->closed_links++;
}

/* --- running as the node ----------------------------------------------------- */

static void stop(daemon_t *d, const char *why);
static void kick_all(daemon_t *d);

/* A holder "host/pid/started" that is a dead process of this host: a
 * previous run of ours (same pid: a restarted container), or a pid that is
 * gone.  Its claim may be taken at once instead of waiting for it to lapse. */
static int holder_dead(const daemon_t *d, const char *holder) {
  char host[256];
  if (gethostname(host, sizeof host) != 0)
    return 0;
  host[sizeof host - 1] = '\0';
  size_t hl = strlen(host);
  if (strncmp(holder, host, hl) != 0 || holder[hl] != '/')
    return 0;
  char *end;
  long pid = strtol(holder + hl + 1, &end, 10);
  if (*end != '/' || pid <= 0)
    return 0;
  if (pid == (long)getpid())
    return strcmp(holder, d->instance) != 0;
  return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static void claim(daemon_t *d, const char *stale);

static void on_claim(vg_redis_t *r, redisReply *reply, void *data,
                     const char *err) {
  daemon_t *d = data;
  d->claiming = 0;
  if (err || d->stopping)
    return; /* Redis is gone: tried again when it is back */
  const char *holder = reply->type == REDIS_REPLY_STRING ? reply->str : "";
  if (holder[0] == '\0') {
    if (!d->claimed)
      vg_log_info("running as node %s (%s)", d->cfg->node, d->instance);
    d->claimed = 1;
    d->redis_lost_at = 0;
    if (!d->links_started) {
      d->links_started = 1;
      for (int i = 0; i < d->nlinks; i++)
        vg_smpp_link_start(&d->links[i]);
    } else if (d->links_paused) {
      d->links_paused = 0;
      vg_log_info("Redis is back: binding to the SMSC again");
      for (int i = 0; i < d->nlinks; i++)
        vg_smpp_link_resume(&d->links[i]);
    }
    kick_all(d);
    return;
  }
  if (holder_dead(d, holder)) {
    vg_log_info("node %s: taking over from %s, which is no longer running",
                d->cfg->node, holder);
    claim(d, holder);
    return;
  }
  vg_log_fatal("node %s is already running: %s (host/pid/started) holds it; "
               "two vasgwd must not share a [gateway] node name: give this "
               "one its own, or stop the other",
               d->cfg->node, holder);
  d->claimed = 0;
  d->exit_status = 1;
  stop(d, "node name in use");
}

/* Take or renew P:running:<node> (lock_hold). */
static void claim(daemon_t *d, const char *stale) {
  if (d->claiming || !vg_redis_ready(&d->redis))
    return;
  char name[VG_KEY_MAX];
  snprintf(name, sizeof name, VG_K_NODE_OWNER, d->cfg->node);
  vg_fn_lock_hold_t a = {.prefix = d->cfg->prefix,
                         .name = name,
                         .holder = d->instance,
                         .stale = stale,
                         .ttl = CLAIM_TTL_MS};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_lock_hold(&call, &a);
  if (vg_redis_fcall(&d->redis, &call, on_claim, d) == 0)
    d->claiming = 1;
  vg_fcall_free(&call);
}

/* Every second: without Redis for longer than VG_REDIS_GRACE_MS, unbind,
 * so that the SMSC keeps the MO for us (or gives them to another node)
 * instead of hearing a temporary error for each; bind again once Redis is
 * back and the node claimed again (on_claim). */
static void watch_redis(daemon_t *d) {
  if (vg_redis_ready(&d->redis)) {
    claim(d, "");
    return;
  }
  uint64_t now = uv_now(d->loop);
  if (d->redis_lost_at == 0) {
    d->redis_lost_at = now;
    return;
  }
  if (d->links_started && !d->links_paused &&
      now - d->redis_lost_at >= VG_REDIS_GRACE_MS) {
    d->links_paused = 1;
    vg_log_warn("Redis unreachable for %d s: unbinding from the SMSC until "
                "it is back",
                VG_REDIS_GRACE_MS / 1000);
    for (int i = 0; i < d->nlinks; i++)
      vg_smpp_link_pause(&d->links[i]);
  }
}

/* On a clean stop the node is free at once for its next run. */
static void unclaim(daemon_t *d) {
  if (!d->claimed || !vg_redis_ready(&d->redis))
    return;
  char name[VG_KEY_MAX];
  snprintf(name, sizeof name, VG_K_NODE_OWNER, d->cfg->node);
  vg_fn_lock_release_t a = {
      .prefix = d->cfg->prefix, .name = name, .holder = d->instance};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_lock_release(&call, &a);
  vg_redis_fcall(&d->redis, &call, NULL, NULL);
  vg_fcall_free(&call);
  d->claimed = 0;
}

void vg_daemon_state(vg_daemon_t *d, vg_daemon_state_t *out) {
  memset(out, 0, sizeof *out);
  out->redis_ready = vg_redis_ready(&d->redis);
  out->stopping = d->stopping;
  out->nbinds = d->nlinks;
  for (int i = 0; i < d->nlinks && i < 2; i++) {
    vg_smpp_link_t *l = &d->links[i];
    vg_smpp_state_t st = vg_smpp_session_state(l->session);
    out->bind[i].role = vg_smpp_role_name(vg_smpp_session_role(l->session));
    out->bind[i].state = vg_smpp_state_name(st);
    out->bind[i].bound = st == VG_SMPP_BOUND;
    out->bind[i].in_flight = vg_smpp_session_in_flight(l->session);
    out->bind[i].binds = l->binds;
    out->bind[i].disconnects = l->disconnects;
  }
}

/* --- status published for `vasgw stats` ---------------------------------------- */

static void publish_status(daemon_t *d) {
  if (!d->claimed)
    return; /* the node's status is the running one's */
  char key[VG_KEY_MAX];
  vg_key(key, d->cfg->prefix, VG_K_NODE, d->cfg->node);
  long held, in_flight, throttled, bheld, bqueued, bflight, bpaused;
  vg_outbox_counts(d->outbox, &held, &in_flight, &throttled);
  vg_outbox_bulk_counts(d->outbox, &bheld, &bqueued, &bflight, &bpaused);
  /* One hash per node: fixed fields, then bN.* per bind. */
  const char *argv[64];
  int argc = 0;
  argv[argc++] = "HSET";
  argv[argc++] = key;
  argv[argc++] = "node";
  argv[argc++] = d->cfg->node;
  argv[argc++] = "redis";
  argv[argc++] = vg_redis_ready(&d->redis) ? "ready" : "down";
  char updated[24], window[16], inflight[16], heldb[16], thr[16], mo[16],
      nb[8], bh[16], bq[16], bf[16], bp[16];
  snprintf(updated, sizeof updated, "%" PRId64, vg_now_ms());
  snprintf(window, sizeof window, "%d", d->cfg->window);
  snprintf(inflight, sizeof inflight, "%ld", in_flight);
  snprintf(heldb, sizeof heldb, "%ld", held);
  snprintf(thr, sizeof thr, "%ld", throttled);
  snprintf(mo, sizeof mo, "%ld",
           d->hooks.mo_handled ? d->hooks.mo_handled(d->hooks.data) : 0L);
  snprintf(nb, sizeof nb, "%d", d->nlinks);
  snprintf(bh, sizeof bh, "%ld", bheld);
  snprintf(bq, sizeof bq, "%ld", bqueued);
  snprintf(bf, sizeof bf, "%ld", bflight);
  snprintf(bp, sizeof bp, "%ld", bpaused);
  const char *fixed[][2] = {
      {"updated", updated},   {"window", window},       {"in_flight", inflight},
      {"held", heldb},        {"throttled", thr},       {"mo_handled", mo},
      {"binds", nb},          {"bulk_held", bh},        {"bulk_queued", bq},
      {"bulk_in_flight", bf}, {"bulk_paused_ms", bp}};
  for (size_t i = 0; i < VG_ARRAY_SIZE(fixed); i++) {
    argv[argc++] = fixed[i][0];
    argv[argc++] = fixed[i][1];
  }
  /* The strings as they are (the bind's last_error whole, whatever its
   * length: hiredis copies the arguments in the call); the numbers, which
   * fit 24 bytes, formatted. */
  char names[2][7][24], nums[2][4][24];
  for (int i = 0; i < d->nlinks; i++) {
    vg_smpp_link_t *l = &d->links[i];
    const char *f[7] = {"role",        "state",      "in_flight", "connects",
                        "disconnects", "last_error", "quickacks"};
    snprintf(nums[i][0], sizeof nums[i][0], "%u",
             vg_smpp_session_in_flight(l->session));
    snprintf(nums[i][1], sizeof nums[i][1], "%" PRIu64, l->binds);
    snprintf(nums[i][2], sizeof nums[i][2], "%" PRIu64, l->disconnects);
    snprintf(nums[i][3], sizeof nums[i][3], "%" PRIu64, l->quickacks);
    const char *v[7] = {vg_smpp_role_name(vg_smpp_session_role(l->session)),
                        vg_smpp_state_name(vg_smpp_session_state(l->session)),
                        nums[i][0], nums[i][1], nums[i][2], l->last_error,
                        nums[i][3]};
    for (int k = 0; k < 7; k++) {
      snprintf(names[i][k], sizeof names[i][k], "b%d.%s", i, f[k]);
      argv[argc++] = names[i][k];
      argv[argc++] = v[k];
    }
  }
  vg_redis_command_argv(&d->redis, NULL, NULL, argc, argv, NULL);
  vg_redis_command(&d->redis, NULL, NULL, "EXPIRE %s 10", key);
}

/* A copy of the counters every 10 s, for `vasgw stats` rates (any node;
 * the function writes one copy per period). */
static void snapshot_stats(daemon_t *d) {
  vg_fn_stats_snapshot_t a = {
      .prefix = d->cfg->prefix, .every = 10000, .keep = 360};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_stats_snapshot(&call, &a);
  vg_redis_fcall(&d->redis, &call, NULL, NULL);
  vg_fcall_free(&call);
}

/* --- MT held for quiet hours ---------------------------------------------- */

/* Every second: the held messages now due join the MT stream (any node may
 * do it; the script moves each message once). */
static void release_held(daemon_t *d) {
  vg_fn_mt_release_t a = {
      .prefix = d->cfg->prefix, .now = vg_now_ms(), .max = 1000};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_mt_release(&call, &a);
  vg_redis_fcall(&d->redis, &call, NULL, NULL);
  vg_fcall_free(&call);
}

/* --- shutdown ------------------------------------------------------------------ */

static void close_all(daemon_t *d) {
  unclaim(d);
  vg_redis_flush(&d->redis);
  vg_redis_stop(&d->redis);
  vg_redis_stop(&d->mt_reader.conn);
  vg_redis_stop(&d->bulk_reader.conn);
  vg_redis_stop(&d->mo_reader.conn);
  vg_redis_stop(&d->order_reader.conn);
  vg_provision_close(d->provision);
  for (int i = 0; i < d->nlinks; i++)
    vg_smpp_link_close(&d->links[i]);
  uv_close((uv_handle_t *)&d->housekeeping, NULL);
  uv_close((uv_handle_t *)&d->flush, NULL);
  uv_close((uv_handle_t *)&d->sigterm, NULL);
  uv_close((uv_handle_t *)&d->sigint, NULL);
  uv_close((uv_handle_t *)&d->sighup, NULL);
  vg_outbox_close(d->outbox);
  vg_ussd_guard_close(d->guard);
}

static void shutdown_step(daemon_t *d) {
  uint64_t now = uv_now(d->loop);
  if (!d->unbinding) {
    int idle = vg_outbox_idle(d->outbox) && vg_inbox_idle(d->inbox);
    if (!idle && now < d->stop_deadline)
      return;
    if (!idle)
      vg_log_warn("shutdown: window not drained in time; unbinding anyway");
    d->unbinding = 1;
    d->unbind_deadline = now + (uint64_t)d->cfg->response_timeout * 1000 + 500;
    for (int i = 0; i < d->nlinks; i++)
      vg_smpp_link_stop(&d->links[i]);
  }
  int down = 1;
  for (int i = 0; i < d->nlinks; i++)
    down &= vg_smpp_link_is_down(&d->links[i]);
  if (!down && now < d->unbind_deadline)
    return;
  vg_log_info("shutdown: done");
  close_all(d);
}

static void on_housekeeping(uv_timer_t *t) {
  daemon_t *d = t->data;
  if (d->stopping) {
    shutdown_step(d);
    return;
  }
  watch_redis(d);
  if (!d->claimed)
    return; /* nothing is ours to do before we run as the node */
  vg_inbox_expire(d->inbox);
  release_held(d);
  if (d->hooks.tick)
    d->hooks.tick(d->hooks.data);
  publish_status(d);
  snapshot_stats(d);
  uint64_t now = uv_now(d->loop);
  /* Look for a dead node's entries four times per idle period. */
  uint64_t every = (uint64_t)d->cfg->claim_idle * 250;
  if (now - d->last_claim >= (every < 1000 ? 1000 : every)) {
    d->last_claim = now;
    claim_idle(d);
  }
  kick_all(d);
}

static void kick_all(daemon_t *d) {
  reader_kick(&d->mt_reader);
  reader_kick(&d->bulk_reader);
  reader_kick(&d->mo_reader);
  reader_kick(&d->order_reader);
}

/* Stop taking work and drain the window, then unbind and close. */
static void stop(daemon_t *d, const char *why) {
  if (d->stopping)
    return;
  vg_log_info("%s: stopping: no new work, draining the window", why);
  d->stopping = 1;
  if (d->hooks.stop)
    d->hooks.stop(d->hooks.data);
  d->stop_deadline =
      uv_now(d->loop) + (uint64_t)d->cfg->response_timeout * 1000 + 1000;
  vg_outbox_drain(d->outbox);
  uv_timer_start(&d->housekeeping, on_housekeeping, 0, 100);
}

static void on_signal(uv_signal_t *s, int signum) {
  daemon_t *d = s->data;
  if (signum == SIGHUP) {
    vg_log_reopen();
    vg_log_info("SIGHUP: log reopened");
    return;
  }
  stop(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* Redis refused the Functions library: nothing can work, and trying again
 * will not help (redis.c has logged the file and line). */
static void on_redis_fatal(vg_redis_t *r, const char *why) {
  daemon_t *d = r->data;
  d->exit_status = 1;
  stop(d, "cannot go on without the Functions library");
}

/* Everything answered in this iteration is written in one script run per
 * kind: the responses first, then the receipts, which often arrive in the
 * same read as the responses they follow (same connection: in order). */
static void on_flush(uv_prepare_t *h) {
  daemon_t *d = h->data;
  vg_outbox_flush(d->outbox);
  vg_inbox_flush(d->inbox);
  vg_redis_flush(&d->redis); /* what they sent goes before the loop polls */
}

/* --- main Redis connection hooks ---------------------------------------------- */

static void redis_connected(vg_redis_t *r) {
  daemon_t *d = r->data;
  claim(d, ""); /* the links start, or bind again, once it is ours */
  vg_outbox_pump(d->outbox);
}

/* The wait screen's words, from the business's hook. */
static char *ussd_wait_text(void *data) {
  daemon_t *d = data;
  return d->hooks.ussd_wait_text ? d->hooks.ussd_wait_text(d->hooks.data)
                                 : NULL;
}

/* The result SMS of an order, from the business's hook. */
static char *order_text(void *data, const vg_order_fields_t *f,
                        vg_order_outcome_t outcome, const char *reason) {
  daemon_t *d = data;
  return d->hooks.order_text ? d->hooks.order_text(d->hooks.data, f, outcome,
                                                   reason)
                             : NULL;
}

vg_daemon_t *vg_daemon_new(const vg_config_t *cfg) {
  daemon_t *d = vg_calloc(1, sizeof *d);
  uv_loop_t *loop = uv_default_loop();
  d->loop = loop;
  d->cfg = cfg;
  signal(SIGPIPE, SIG_IGN);

  vg_redis_init(loop, &d->redis, "redis", cfg->redis_host, cfg->redis_port,
                cfg->redis_password, cfg->redis_db);
  d->redis.data = d;
  d->redis.on_connect = redis_connected;
  d->redis.on_fatal = on_redis_fatal;
  reader_init(d, &d->mt_reader, "redis-mt-reader", VG_K_MT_STREAM, READ_MT);
  reader_init(d, &d->bulk_reader, "redis-bulk-reader", VG_K_MT_BULK_STREAM,
              READ_MT_BULK);
  reader_init(d, &d->mo_reader, "redis-mo-reader", VG_K_MO_STREAM, READ_MO);
  reader_init(d, &d->order_reader, "redis-order-reader", VG_K_ORDER_STREAM,
              READ_ORDERS);

  vg_smpp_session_opts_t opts = {
      .system_id = cfg->system_id,
      .password = cfg->smsc_password,
      .system_type = cfg->system_type,
      .response_timeout_ms = (uint32_t)cfg->response_timeout * 1000,
      .enquire_link_interval_ms = (uint32_t)cfg->enquire_link_interval * 1000,
      .window = (uint32_t)cfg->window,
  };
  vg_smpp_link_cb_t lcb = {link_bound,   link_down,   link_submit_resp,
                           link_deliver, link_closed, link_peer_read};
  uint32_t rmax = (uint32_t)cfg->reconnect_max * 1000;
  if (cfg->bind == VG_BIND_TRX) {
    opts.role = VG_SMPP_ROLE_TRX;
    vg_smpp_link_init(loop, &d->links[0], "trx", cfg->smsc_host,
                      cfg->smsc_port, &opts, rmax, &lcb, d);
    d->nlinks = 1;
    d->submit_links[d->nsubmit++] = &d->links[0];
  } else {
    opts.role = VG_SMPP_ROLE_TX;
    vg_smpp_link_init(loop, &d->links[0], "tx", cfg->smsc_host,
                      cfg->smsc_port, &opts, rmax, &lcb, d);
    opts.role = VG_SMPP_ROLE_RX;
    vg_smpp_link_init(loop, &d->links[1], "rx", cfg->smsc_host,
                      cfg->smsc_port, &opts, rmax, &lcb, d);
    d->nlinks = 2;
    d->submit_links[d->nsubmit++] = &d->links[0];
  }
  d->outbox = vg_outbox_new(loop, cfg, &d->redis, d->submit_links, d->nsubmit);
  vg_outbox_on_want(d->outbox, kick_mt_readers, d);
  d->provision = vg_provision_new(loop, cfg, &d->redis, order_text, d);
  vg_provision_on_want(d->provision, kick_reader, &d->order_reader);
  d->inbox = vg_inbox_new(loop, cfg, &d->redis);
  d->guard = vg_ussd_guard_new(loop, cfg, &d->redis, d->submit_links,
                               d->nsubmit, ussd_wait_text, d);
  vg_inbox_set_guard(d->inbox, d->guard);
  vg_outbox_set_guard(d->outbox, d->guard);
  return d;
}

uv_loop_t *vg_daemon_loop(vg_daemon_t *d) { return d->loop; }

vg_redis_t *vg_daemon_redis(vg_daemon_t *d) { return &d->redis; }

void vg_daemon_set_hooks(vg_daemon_t *d, const vg_daemon_hooks_t *h) {
  d->hooks = *h;
}

int vg_daemon_run(vg_daemon_t *d) {
  uv_loop_t *loop = d->loop;
  const vg_config_t *cfg = d->cfg;
  uv_signal_init(loop, &d->sigterm);
  uv_signal_init(loop, &d->sigint);
  uv_signal_init(loop, &d->sighup);
  d->sigterm.data = d->sigint.data = d->sighup.data = d;
  uv_signal_start(&d->sigterm, on_signal, SIGTERM);
  uv_signal_start(&d->sigint, on_signal, SIGINT);
  uv_signal_start(&d->sighup, on_signal, SIGHUP);
  uv_prepare_init(loop, &d->flush);
  d->flush.data = d;
  uv_prepare_start(&d->flush, on_flush);
  uv_timer_init(loop, &d->housekeeping);
  d->housekeeping.data = d;
  uv_timer_start(&d->housekeeping, on_housekeeping, 1000, 1000);

  vg_log_info("vasgwd %s node %s: SMSC %s:%d (%s), Redis %s:%d prefix %s",
              PACKAGE_VERSION, cfg->node, cfg->smsc_host, cfg->smsc_port,
              cfg->bind == VG_BIND_TRX ? "transceiver" : "transmitter+receiver",
              cfg->redis_host, cfg->redis_port, cfg->prefix);
  char host[256];
  if (gethostname(host, sizeof host) != 0)
    snprintf(host, sizeof host, "unknown");
  host[sizeof host - 1] = '\0';
  snprintf(d->instance, sizeof d->instance, "%s/%ld/%" PRId64, host,
           (long)getpid(), vg_now_ms());
  /* The links bind once Redis is ready and this process runs as the node
   * (on_claim): an SMSC's MO would only get temporary errors before. */
  vg_log_info("waiting for Redis before binding to the SMSC");
  vg_redis_start(&d->redis);
  vg_redis_start(&d->mt_reader.conn);
  vg_redis_start(&d->bulk_reader.conn);
  vg_redis_start(&d->mo_reader.conn);
  vg_redis_start(&d->order_reader.conn);

  uv_run(loop, UV_RUN_DEFAULT);

  for (int i = 0; i < d->nlinks; i++)
    vg_smpp_link_free(&d->links[i]);
  vg_inbox_free(d->inbox);
  vg_outbox_free(d->outbox);
  vg_ussd_guard_free(d->guard);
  vg_provision_free(d->provision);
  int rc = uv_loop_close(loop);
  if (rc != 0)
    vg_log_warn("loop closed with handles open: %s", uv_strerror(rc));
  int status = d->exit_status;
  free(d);
  return status;
}
