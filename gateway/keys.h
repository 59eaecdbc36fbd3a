/*
 * keys.h — the Redis key schema in one place (docs/keys.md explains it).
 *
 * Every key starts with the configured prefix.  Names here are the only
 * spelling of a key in C; the Redis Functions (gateway/lua, handlers/lua)
 * build the keys they derive from values with the same words.
 */
#ifndef VG_KEYS_H
#define VG_KEYS_H

#include <stddef.h>

#define VG_KEY_MAX 192
#define VG_GROUP "vasgw" /* consumer group on every stream */

/*
 * prefix ":" suffix into `out` (VG_KEY_MAX bytes with the NUL): `out`, or
 * NULL when the key does not fit (`out` is then ""), never a cut key that
 * names another record.  A key of the prefix (at most 63 bytes) and values
 * that vasgw bounds itself (ids of at most VG_ID_MAX bytes, MSISDNs,
 * service codes, dates) always fits; a caller that puts in a value from
 * outside (a command-line argument, a member of a set written by hand)
 * refuses one too long, or checks for NULL, before it uses the key.
 */
const char *vg_key(char out[VG_KEY_MAX], const char *prefix,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The fixed keys: */
#define VG_K_MT_STREAM "mt"           /* MT queue (stream) */
#define VG_K_MT_BULK_STREAM "mt:bulk" /* the bulk lane's MT queue (stream) */
#define VG_K_MO_STREAM "mo"           /* stored MO for the dispatcher */
#define VG_K_STATS "stats"            /* counters (hash) */
#define VG_K_STATS_HISTORY "stats:history" /* copies of them (stream) */
#define VG_K_ASM_PENDING "mo:asm:pending" /* MO reassemblies by deadline */
/* Per-object keys, with printf arguments: */
#define VG_K_MSG "msg:%s"             /* MT message record (hash) */
#define VG_K_MO "mo:%s"               /* MO record (hash) */
#define VG_K_SMSCID "smscid:%s"       /* canonical SMSC id -> "msgid|part" */
#define VG_K_DLR_UNMATCHED "dlr:unmatched:%s"
#define VG_K_NODE "node:%s"           /* a daemon's live status (hash, TTL) */
#define VG_K_NODE_OWNER "running:%s" /* the vasgwd running as node %s (string, TTL) */
#define VG_K_AUDIT "audit"            /* operator actions (stream, kept) */
#define VG_K_TOKEN "token:%s"       /* an API token by its SHA-256 (hash) */
#define VG_K_TOKENS "tokens"          /* API token name -> SHA-256 (hash) */
#define VG_K_IDEM "idem:%s"           /* an Idempotency-Key's first answer (hash, TTL) */
#define VG_K_USSD_LATE "ussd:late:%s" /* a USSD request shown the wait
                                       * screen, by MO id (string, TTL) */

/* The subscriber side (docs/keys.md, "Offers and orders").  Keys of one
 * subscriber carry the MSISDN as a hash tag: sub:{8613800138000}... */
#define VG_K_SVC "svc:%s"             /* a catalogue entry (hash) */
#define VG_K_SVC_INDEX "svc:index"    /* every service code (set) */
#define VG_K_OFFER "offer:%s"         /* an offer (hash, TTL) */
#define VG_K_SUB "sub:{%s}"           /* a subscriber's state (hash) */
#define VG_K_SUB_OFFERS "sub:{%s}:offers" /* reply code -> offer id (hash) */
#define VG_K_ORDER "order:%s"         /* an activation order (hash) */
#define VG_K_ORDER_ATTEMPTS "order:%s:attempts" /* its webhook calls (list) */
#define VG_K_ORDER_STREAM "orders"    /* orders to dispatch (stream) */
#define VG_K_ORDER_INDEX "orders:index" /* order ids by creation ms (zset) */
#define VG_K_MT_SCHEDULED "mt:scheduled" /* MT held for quiet hours (zset) */

/* Billing and care facts for the ledger's audits (docs/keys.md, "Ledger
 * facts"), kept per subscriber with the MSISDN as hash tag. */
#define VG_K_FACTS "facts:{%s}"       /* "SERVICE|event|YYYYMMDD" (set) */
#define VG_K_FACTS_INDEX "facts:index" /* MSISDNs having facts (set) */
#define VG_K_FEED "feed:%s"           /* an imported file, by SHA-256 (hash) */

/* The do-not-contact list and the number segments (docs/keys.md,
 * "Do-not-contact list and number segments"). */
#define VG_K_BLOCKLIST "blocklist"           /* normalised MSISDNs (set) */
#define VG_K_BLOCKLIST_INFO "blocklist:info" /* MSISDN -> "at|user|reason" */
#define VG_K_SEGMENTS "segments"             /* prefix -> "region\tcity" */

/* Promoters and the commission ledger (docs/keys.md, "Promoters"). */
#define VG_K_PROMOTER "promoter:%s"    /* a promoter (hash), by MSISDN */
#define VG_K_PROMOTERS "promoters"     /* MSISDNs by registration ms (zset) */
#define VG_K_STAFF "staff:%s"          /* staff number -> MSISDN */
#define VG_K_STAFF_SEQ "seq:staff"     /* the last staff number given */
#define VG_K_PROMOTER_MONTH "promoter:%s:month:%s" /* counters (hash) */
#define VG_K_PROMOTER_TJ "promoter:%s:tj:%s" /* services recommended that day */
#define VG_K_SVC_RULES "svc:%s:rules"  /* commission rules by date (zset) */
#define VG_K_DEV "dev:%s"              /* a development (hash), by order id */
#define VG_K_DEVS_MONTH "devs:month:%s" /* order ids of a month (zset) */
#define VG_K_DEVS_PROMOTER "devs:promoter:%s" /* of a promoter (zset) */
#define VG_K_DEVS_SUB "devs:sub:{%s}"  /* of a subscriber (zset) */
#define VG_K_SETTLE "settle:%s"        /* a month's settlement (hash) */
#define VG_K_SETTLE_LOCK "settle:%s:lock" /* who settles it now (string, TTL) */

/* Campaigns (handlers/lua/campaigns.lua) */
#define VG_K_CAMPAIGN "campaign:%s"         /* a campaign (hash) */
#define VG_K_CAMPAIGN_COUNTS "campaign:%s:n" /* its funnel (hash) */
#define VG_K_CAMPAIGN_MT "campaign:%s:mt"   /* its messages' states (hash) */
#define VG_K_CAMPAIGN_QUEUE "campaign:%s:q" /* recipients to send (list) */
#define VG_K_CAMPAIGN_FATES "campaign:%s:r:%s" /* msisdn -> fate, one bucket */
#define VG_K_CAMPAIGN_BAD "campaign:%s:bad" /* unreadable rows (list) */
#define VG_K_CAMPAIGNS "campaigns"          /* ids by creation ms (zset) */
#define VG_K_CAMPAIGNS_RUNNING "campaigns:running" /* ids being sent (set) */
#define VG_K_CAMPAIGNS_SVC "campaigns:svc:%s" /* ids offering a service (set) */

#endif
