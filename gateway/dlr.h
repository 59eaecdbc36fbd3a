/*
 * dlr.h — delivery receipts: the standard receipt text and the SMSC message
 * id in its many spellings.  Pure functions, no I/O.
 *
 * The receipt text (SMPP 3.4 appendix B, and what SMSCs really send):
 *   id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done
 *   date:YYMMDDhhmm stat:DDDDDDD err:E text:...
 * Fields may be in any case, separated by one or more spaces, some absent,
 * dates with seconds (12 digits), "submit_date"/"done_date" with underscores,
 * stat abbreviated to 7 letters (DELIVRD, EXPIRED, DELETED, UNDELIV,
 * ACCEPTD, UNKNOWN, REJECTD, ENROUTE) or spelled out.
 */
#ifndef VG_DLR_H
#define VG_DLR_H

#include <stddef.h>

typedef enum {
  VG_DLR_UNKNOWN = 0, /* stat not recognised or absent */
  VG_DLR_ENROUTE,
  VG_DLR_DELIVERED,
  VG_DLR_EXPIRED,
  VG_DLR_DELETED,
  VG_DLR_UNDELIVERABLE,
  VG_DLR_ACCEPTED,
  VG_DLR_REJECTED,
} vg_dlr_stat_t;

/* 1 when the state is final and a failure (expired/deleted/undeliv/rejected). */
int vg_dlr_stat_is_failure(vg_dlr_stat_t s);
/* 1 when the state is final (delivered or a failure). */
int vg_dlr_stat_is_final(vg_dlr_stat_t s);
/* Short lower-case name: "delivered", "expired", ... */
const char *vg_dlr_stat_name(vg_dlr_stat_t s);
/* From the SMPP message_state TLV value (1 ENROUTE .. 8 REJECTED). */
vg_dlr_stat_t vg_dlr_stat_from_message_state(int message_state);

/* The longest value of a receipt field but the id, in bytes: a whole
 * short_message (254 octets), where the receipt text is sent.  Nothing a
 * receipt can say there is cut. */
#define VG_DLR_FIELD_MAX 254

typedef struct {
  char id[72];         /* SMSC message id as written in the receipt */
  vg_dlr_stat_t stat;
  char stat_text[VG_DLR_FIELD_MAX + 1]; /* the stat word, upper-cased */
  char err[VG_DLR_FIELD_MAX + 1];       /* err: as written, "" when absent */
  char submit_date[VG_DLR_FIELD_MAX + 1];
  char done_date[VG_DLR_FIELD_MAX + 1];
} vg_dlr_t;

/*
 * Parse receipt text of `len` bytes (not NUL-terminated).  Returns 0 and
 * fills `out` when an id: field is present, VG_EINVAL otherwise; and
 * VG_ETOOLONG, `out` empty, when a field is longer than its place (an id
 * over 71 bytes, another over VG_DLR_FIELD_MAX: only a text sent in
 * message_payload has room for one): the text is refused whole, never read
 * cut (a cut id would match another message).
 */
int vg_dlr_parse(const char *text, size_t len, vg_dlr_t *out);

#define VG_MSGID_MAX_CANDIDATES 3
#define VG_MSGID_KEY_MAX 72

/*
 * Canonical lookup keys for an SMSC message id, so that an id written as
 * hex in submit_sm_resp and decimal in the receipt (or the other way round,
 * or in another case, or with leading zeros) still matches.
 *   keys[0]: the id lower-cased, leading zeros removed ("0" if all zeros),
 *            surrounding spaces trimmed;
 *   then, when the id is all decimal digits and fits 64 bits, its value in
 *   lower-case hex; when it is all hex digits and fits 64 bits, its value in
 *   decimal (a digits-only id yields both readings).
 * Duplicates are dropped.  Returns the number of keys written (0 for an
 * empty id or one longer than VG_MSGID_KEY_MAX - 1).
 * Store an id under keys[0] only; look a receipt's id up under all its keys.
 */
int vg_msgid_keys(const char *id, size_t len,
                  char keys[VG_MSGID_MAX_CANDIDATES][VG_MSGID_KEY_MAX]);

#endif
