/*
 * scripts.h — the Lua scripts that make each state change one atomic,
 * idempotent step in Redis (ARCHITECTURE.md, "State and delivery").
 *
 * Every script takes the key prefix as ARGV[1] where it must build keys
 * from values it reads (smscid -> msg); such scripts assume one Redis, not a
 * cluster (docs/keys.md says which).  The daemon loads them with SCRIPT
 * LOAD on connect and calls EVALSHA; the CLI calls EVAL.
 */
#ifndef VG_SCRIPTS_H
#define VG_SCRIPTS_H

enum {
  /* KEYS msg, mt-stream, stats; ARGV id to text created ttl src ussd_op its origin
   * -> 1 queued, 0 already there (idempotent by message id) */
  VG_SCRIPT_MT_ENQUEUE = 0,
  /* KEYS msg, stats; ARGV now nparts -> 1 when it moved queued -> submitted */
  VG_SCRIPT_MT_SUBMITTED,
  /* KEYS msg, mt-stream, stats; ARGV prefix part nparts status status_name
   * smscid key0 now ttl group entry_id cand... -> resulting message state,
   * or "partial" while parts are unanswered */
  VG_SCRIPT_MT_RESP,
  /* KEYS stats; ARGV prefix stat err now ttl raw_id cand... ->
   * {"matched"|"dup"|"unmatched", msgid} */
  VG_SCRIPT_DLR,
  /* KEYS stats, mo-stream, asm-pending; ARGV prefix dedup from to text dcs esm
   * ussd_op its received ttl ref total seq asm_deadline dedup_ttl error
   * -> {"stored"|"part"|"dup", mo_id} */
  VG_SCRIPT_MO_STORE,
  /* KEYS stats, mo-stream, asm-pending; ARGV prefix now ttl
   * -> number of incomplete messages delivered */
  VG_SCRIPT_MO_EXPIRE,
  VG_SCRIPT_COUNT
};

const char *vg_script_body(int id);
const char *vg_script_name(int id);
/* SHA1 as returned by SCRIPT LOAD ("" before the first load). */
const char *vg_script_sha(int id);
void vg_script_set_sha(int id, const char *sha);

#endif
