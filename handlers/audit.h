/*
 * audit.h — the commission ledger's audit rules (docs/promoters.md): is one development valid, or invalid by which rule, given the
 * subscriber's other developments of the service and the operator's facts
 * about the number.
 *
 * Pure functions over caller-owned arrays: no I/O, no Redis, no logging, no
 * allocation.  The ledger code loads a subscriber's developments
 * (devs:sub:{MSISDN}) and facts (facts:{MSISDN}) and the service's windows,
 * calls vg_audit(), and stores the answer; settlement (handlers/settlement.h)
 * then counts the answers.
 */
#ifndef VG_HANDLERS_AUDIT_H
#define VG_HANDLERS_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/ids.h"
#include "gateway/msisdn.h"

#define VG_DEV_ID_MAX VG_ID_MAX /* an order id, in bytes */
#define VG_LEDGER_SVC_MAX 8 /* a service code (== VG_SVC_CODE_MAX) */

/* The rules, in the order they are tried: XX(ID, "name").  The name is what
 * the ledger stores after "invalid:" and the report's column suffix. */
#define VG_AUDIT_RULE_MAP(XX)                                                \
  XX(DUPLICATE, "duplicate")                                                 \
  XX(REBATE, "rebate")                                                       \
  XX(RETENTION, "retention")                                                 \
  XX(VOICE, "voice")                                                         \
  XX(BILLING, "billing")                                                     \
  XX(ARREARS, "arrears")                                                     \
  XX(COMPLAINT, "complaint")

/* What vg_audit() answers: VG_AUDIT_OK (0) or the first rule that failed.
 * VG_AUDIT_RULE_END sizes arrays indexed by rule (slot 0 unused). */
typedef enum {
  VG_AUDIT_OK = 0,
#define XX(id, name) VG_AUDIT_##id,
  VG_AUDIT_RULE_MAP(XX)
#undef XX
  VG_AUDIT_RULE_END
} vg_audit_rule_t;

#define VG_AUDIT_NRULES (VG_AUDIT_RULE_END - 1)

typedef enum {
  VG_DEV_PENDING = 0, /* not audited yet */
  VG_DEV_VALID,
  VG_DEV_INVALID /* with the rule in vg_dev_t.rule */
} vg_dev_state_t;

/* One development: an activation credited to a promoter.  Strings are
 * NUL-terminated; MSISDNs in vg_msisdn_normalize() form. */
typedef struct {
  char id[VG_DEV_ID_MAX + 1];          /* the order id */
  char promoter[VG_MSISDN_MAX];        /* who is credited */
  char msisdn[VG_MSISDN_MAX];          /* the subscriber */
  char service[VG_LEDGER_SVC_MAX + 1]; /* upper-case code, "CL" */
  int32_t activated;                   /* local day YYYYMMDD */
  int64_t amount_fen;                  /* the commission, >= 0 */
  vg_dev_state_t state;
  int rule; /* vg_audit_rule_t when INVALID, else VG_AUDIT_OK */
} vg_dev_t;

/* The events of the operator's feed: XX(ID, "name as in the CSV"). */
#define VG_FACT_EVENT_MAP(XX)                                                \
  XX(CHARGED, "charged")                                                     \
  XX(CANCELLED, "cancelled")                                                 \
  XX(CHANGED, "changed")                                                     \
  XX(ARREARS, "arrears")                                                     \
  XX(COMPLAINT, "complaint")                                                 \
  XX(VOICE, "voice")

typedef enum {
#define XX(id, name) VG_FACT_##id,
  VG_FACT_EVENT_MAP(XX)
#undef XX
  VG_FACT_EVENT_END
} vg_fact_event_t;

/* One fact from the feed.  `service` is "" for number-level events
 * (arrears, voice); a fact with "" never matches a rule that asks for "the
 * same service". */
typedef struct {
  char msisdn[VG_MSISDN_MAX];
  char service[VG_LEDGER_SVC_MAX + 1];
  vg_fact_event_t event;
  int32_t date; /* local day YYYYMMDD */
} vg_fact_t;

/* The windows of the rules, configurable per service. */
typedef struct {
  int duplicate_months; /* 3; 0 turns the duplicate rule off */
  int rebate_months;    /* 6; >= duplicate_months; equal turns rebate off */
  int retention_days;   /* 60 */
  int voice_days;       /* 60 */
} vg_audit_windows_t;

/* Bytes that always hold vg_audit_windows_format()'s text. */
#define VG_AUDIT_WINDOWS_TEXT 96

/* The rule's name ("duplicate"), "valid" for VG_AUDIT_OK, NULL when out of
 * range. */
const char *vg_audit_rule_name(int rule);

/* The rule called `name` (exact, lower-case; "valid" gives VG_AUDIT_OK):
 * 0 with *rule set, or VG_EINVAL. */
int vg_audit_rule_parse(const char *name, int *rule);

/* The event's name ("charged"), NULL when out of range. */
const char *vg_fact_event_name(int event);

/* The event called `name` (exact, lower-case, as in the feed): 0 with *event
 * set, or VG_EINVAL. */
int vg_fact_event_parse(const char *name, vg_fact_event_t *event);

/* The defaults: 3 months, 6 months, 60 days, 60 days. */
void vg_audit_windows_default(vg_audit_windows_t *w);

/*
 * Check `w`: months 0..120, days 0..3660, rebate_months >= duplicate_months.
 * 0, or VG_EINVAL with the reason in `why` (may be NULL).
 */
int vg_audit_windows_check(const vg_audit_windows_t *w, char *why,
                           size_t whysz);

/*
 * Apply a per-service override such as "retention_days=30" or
 * "duplicate_months=3,rebate_months=6,retention_days=60,voice_days=60" to
 * `w` (fill it with vg_audit_windows_default() or the global windows
 * first).  Any subset of the four keys, comma-separated, blanks around
 * items allowed; "" changes nothing.  Each value is a decimal number.  The
 * result is checked as vg_audit_windows_check() does.
 *
 * 0, or VG_EINVAL with the reason in `why` (may be NULL) and `w` unchanged:
 * "unknown window foo", "empty item", "no window name before '='",
 * "voice_days: missing '='", "voice_days: no value",
 * "voice_days: not a number: 6x", "voice_days given twice",
 * "voice_days=9999 is out of range 0..3660",
 * "rebate_months (2) is less than duplicate_months (3)".
 */
int vg_audit_windows_parse(const char *text, vg_audit_windows_t *w,
                           char *why, size_t whysz);

/* The canonical text of `w`, all four keys in the order above, in `buf`;
 * returns `buf`.  vg_audit_windows_parse() reads it back. */
char *vg_audit_windows_format(const vg_audit_windows_t *w, char *buf,
                              size_t bufsz);

/*
 * Audit development `d`.  Returns VG_AUDIT_OK (0) when valid, else the first
 * rule, in this order, that makes it invalid:
 *
 *  1 duplicate  another development of the number and service, in any state
 *               but INVALID, activated in [A - duplicate_months, A), A being
 *               d->activated; one activated on A itself counts when its id
 *               sorts (strcmp) before d's, so of two same-day developments
 *               exactly one survives.
 *  2 rebate     a VALID one activated in [A - rebate_months,
 *               A - duplicate_months): a rebate earned in the past 6 months
 *               that the duplicate rule, covering the most recent 3, did not
 *               already catch.
 *  3 retention  a CANCELLED or CHANGED fact of the service dated in
 *               [A, A + retention_days].
 *  4 voice      no VOICE fact (any service field) dated in [A, A + voice_days].
 *  5 billing    no CHARGED fact of the service dated on or after A.
 *  6 arrears    an ARREARS fact (any service field) dated on or after A.
 *  7 complaint  a COMPLAINT fact of the service dated on or after A.
 *
 * Month bounds come from vg_date_add_months() (day clamped to the month's
 * length); all bounds are inclusive except the two marked ')'.
 *
 * `others` may be any set of developments: entries of another number or
 * service, and `d` itself (same id), are skipped, so a caller can pass the
 * subscriber's whole list.  `facts` likewise: facts of another number are
 * skipped.  Both may be NULL when their count is 0.  `w` may be NULL for the
 * defaults.  d->state and d->rule are not read.
 *
 * The duplicate rule reads the others' states, so audit a number's
 * developments in vg_dev_cmp() order and store each answer before the next
 * audit: an earlier development that turned out INVALID then does not make a
 * later one a duplicate.  Facts arriving later can change an answer; the
 * caller decides when a month's answers are final (settlement).
 *
 * VG_EINVAL (negative) when d->activated is not a valid day or `w` does not
 * pass vg_audit_windows_check().
 */
int vg_audit(const vg_dev_t *d, const vg_dev_t *others, size_t nothers,
             const vg_fact_t *facts, size_t nfacts,
             const vg_audit_windows_t *w);

/* qsort() order of developments: by activation day, then id (strcmp). */
int vg_dev_cmp(const void *a, const void *b);

#endif
