/*
 * deliver.h — what a deliver_sm (or data_sm) says, read once for the inbox,
 * which stores it, and for the fuzzer, which checks the same reading:
 * a receipt (esm_class 0x04) from its TLVs and its text together; an MO as
 * text, or as the octets it came as when it is not text.
 */
#ifndef VG_DELIVER_H
#define VG_DELIVER_H

#include "gateway/dlr.h"
#include "gateway/smpp_session.h"
#include "gateway/text.h"

typedef struct {
  vg_dlr_t text;      /* the short_message read as receipt text */
  int text_rc;        /* vg_dlr_parse's answer: 0 when it had an id:,
                       * VG_ETOOLONG when a field was too long to read */
  const char *id;     /* the SMSC's id of the message: the
                       * receipted_message_id TLV, else the text's id:
                       * field; NULL when neither (points into d or text) */
  vg_dlr_stat_t stat; /* the message_state TLV, else the text's stat: */
  char err[VG_DLR_FIELD_MAX + 1]; /* network_error_code as "type:code",
                                   * else the text's err: */
} vg_receipt_t;

/* Read receipt `d` into `r`; r->id points into `d` or `r`. */
void vg_receipt_read(const vg_smpp_deliver_t *d, vg_receipt_t *r);

typedef struct {
  int rc;             /* vg_text_decode_mo's answer */
  vg_concat_t concat; /* a part of a concatenated message (present) */
  char *text;         /* UTF-8; the octets as hex when not text; vg_free */
  size_t len;
  const char *error;  /* "" or "undecodable" (stored as the MO's error) */
} vg_mo_read_t;

/* Read MO `d` into `m`: its text, or, when it is not text, its octets as
 * hex so that nothing acknowledged is lost; a part whose header was sound
 * (VG_ENOTTEXT) stays a part, and its message is undecodable as a whole. */
void vg_mo_read(const vg_smpp_deliver_t *d, vg_mo_read_t *m);

/* `n` octets as lower-case hex into `out` (2n + 1 bytes). */
void vg_hex(const unsigned char *b, size_t n, char *out);

#endif
