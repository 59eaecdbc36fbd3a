/*
 * scripts.h — the Lua scripts that make each state change one atomic,
 * idempotent step in Redis (ARCHITECTURE.md, "State and delivery").
 *
 * Every script takes the key prefix as ARGV[1] and builds the per-object
 * keys it touches from it, so a batch of messages is one run; they assume
 * one Redis, not a cluster (docs/keys.md).  The daemon loads them with SCRIPT
 * LOAD on connect and calls EVALSHA; the CLI calls EVAL.
 */
#ifndef VG_SCRIPTS_H
#define VG_SCRIPTS_H

enum {
  /* KEYS mt-stream, stats; ARGV prefix created ttl, then per message:
   * id to text src ussd_op its origin -> how many were new (a message id
   * already there is skipped: enqueueing is idempotent by id) */
  VG_SCRIPT_MT_ENQUEUE = 0,
  /* KEYS mt-stream, stats; ARGV prefix now ttl group, then per answered
   * part: msgid part nparts status status_name smscid key0 entry_id
   * submitted_ms key1 key2 -> per part the message state, or "partial"
   * while other parts are unanswered */
  VG_SCRIPT_MT_RESP,
  /* KEYS stats; ARGV prefix now ttl, then per receipt: stat err raw_id
   * from key0 key1 key2 -> per receipt "matched" | "dup" | "unmatched" */
  VG_SCRIPT_DLR,
  /* KEYS stats, mo-stream, asm-pending; ARGV prefix dedup from to text dcs esm
   * ussd_op its received ttl ref total seq asm_deadline dedup_ttl error
   * -> {"stored"|"part"|"dup", mo_id} */
  VG_SCRIPT_MO_STORE,
  /* KEYS stats, mo-stream, asm-pending; ARGV prefix now ttl
   * -> number of incomplete messages delivered */
  VG_SCRIPT_MO_EXPIRE,
  /* The subscriber side (scripts_offers.c, where each documents its
   * arguments): */
  VG_SCRIPT_MT_RELEASE,    /* MT held for quiet hours, now due */
  VG_SCRIPT_OFFER_CREATE,  /* offers of one contact, within the rules */
  VG_SCRIPT_MO_REPLY,      /* gate, state change and answer of an MO */
  VG_SCRIPT_ORDER_ATTEMPT, /* a webhook call begins */
  VG_SCRIPT_ORDER_RESULT,  /* ... and what it came to */
  /* The promoter side (scripts_promoters.c): */
  VG_SCRIPT_PROMOTER_STATUS, /* approve, reject, disable; SMS the promoter */
  VG_SCRIPT_PROMOTER_IMPORT, /* bulk onboarding */
  VG_SCRIPT_COUNT
};

extern const char vg_lua_mt_release[], vg_lua_offer_create[],
    vg_lua_mo_reply[], vg_lua_order_attempt[], vg_lua_order_result[],
    vg_lua_promoter_status[], vg_lua_promoter_import[];

const char *vg_script_body(int id);
const char *vg_script_name(int id);
/* SHA1 as returned by SCRIPT LOAD ("" before the first load). */
const char *vg_script_sha(int id);
void vg_script_set_sha(int id, const char *sha);

#endif
