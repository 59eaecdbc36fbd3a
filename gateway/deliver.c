/*
 * deliver.c — see deliver.h.
 */
#include "gateway/deliver.h"
#include "gateway/vg.h"

#include <stdio.h>
#include <string.h>

void vg_receipt_read(const vg_smpp_deliver_t *d, vg_receipt_t *r) {
  memset(r, 0, sizeof *r);
  r->text_rc = vg_dlr_parse((const char *)d->sm, d->sm_len, &r->text);
  int have_text = r->text_rc == 0;
  /* The TLVs are the SMSC's own fields; the text is often a copy of them
   * and sometimes the only place they are. */
  r->id = d->receipted_message_id && *d->receipted_message_id
              ? d->receipted_message_id
              : have_text ? r->text.id : NULL;
  r->stat = d->message_state >= 0
                ? vg_dlr_stat_from_message_state(d->message_state)
                : r->text.stat;
  if (r->stat == VG_DLR_UNKNOWN && have_text)
    r->stat = r->text.stat;
  /* network_error_code: a type octet and a two-octet code; both fit. */
  if (d->network_error_code)
    snprintf(r->err, sizeof r->err, "%u:%u", d->network_error_code[0],
             (unsigned)d->network_error_code[1] << 8 | d->network_error_code[2]);
  else
    snprintf(r->err, sizeof r->err, "%s", r->text.err);
}

void vg_hex(const unsigned char *b, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[b[i] >> 4];
    out[2 * i + 1] = digits[b[i] & 15];
  }
  out[2 * n] = '\0';
}

void vg_mo_read(const vg_smpp_deliver_t *d, vg_mo_read_t *m) {
  memset(m, 0, sizeof *m);
  m->error = "";
  m->rc = vg_text_decode_mo(d->data_coding, (d->esm_class & 0x40) != 0, d->sm,
                            d->sm_len, &m->concat, &m->text, &m->len);
  if (m->rc == 0)
    return;
  m->error = "undecodable";
  m->text = vg_malloc(d->sm_len * 2 + 1);
  vg_hex(d->sm, d->sm_len, m->text);
  m->len = d->sm_len * 2;
  if (m->rc != VG_ENOTTEXT)
    m->concat.present = 0;
}
