/*
 * ussd.c — see ussd.h: the vendor table and what it says about a request
 * and its screens.
 */
#include "gateway/ussd.h"
#include "gateway/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const vg_ussd_profile_t profiles[] = {
#define VG_USSD_PROFILE(n, b, c, a, e, s, rc, re) {#n, b, c, a, e, s, rc, re},
#include "gateway/ussd_profiles.def"
};

const vg_ussd_profile_t *vg_ussd_profile(const char *name) {
  for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
    if (strcmp(profiles[i].name, name) == 0)
      return &profiles[i];
  return NULL;
}

const vg_ussd_profile_t *vg_ussd_profile_at(size_t i) {
  return i < sizeof profiles / sizeof profiles[0] ? &profiles[i] : NULL;
}

/* its_session_info "0102" as a number; -1 when absent or not 4 hex digits. */
static long its_value(const char *its) {
  if (its == NULL || strlen(its) != 4)
    return -1;
  char *end;
  long v = strtol(its, &end, 16);
  return *end == '\0' ? v : -1;
}

vg_ussd_event_t vg_ussd_classify(const vg_ussd_profile_t *p,
                                 const vg_ussd_req_t *r,
                                 char sid[VG_USSD_SID_MAX]) {
  long its = its_value(r->its);
  sid[0] = '\0';
  switch (p->sid) {
  case VG_USSD_SID_ITS_OCTET:
    if (its >= 0)
      snprintf(sid, VG_USSD_SID_MAX, "%02x", (unsigned)(its >> 8) & 0xffu);
    break;
  case VG_USSD_SID_ITS_15:
    if (its >= 0)
      snprintf(sid, VG_USSD_SID_MAX, "%04x", (unsigned)its & 0xfffeu);
    break;
  default: /* a decimal 0..65535 as the SMSC sent it */
    if (r->umr && *r->umr && strlen(r->umr) < VG_USSD_SID_MAX)
      snprintf(sid, VG_USSD_SID_MAX, "%s", r->umr);
    break;
  }
  if (r->op == p->abort)
    return VG_USSD_ABORT;
  if (p->end_bit && its >= 0 && (its & 1) && r->op != p->begin)
    return VG_USSD_ABORT;
  if (r->op == p->begin)
    return VG_USSD_BEGIN;
  if (p->cont < 0 ? r->op >= 0 : r->op == p->cont)
    return VG_USSD_CONTINUE;
  return VG_USSD_OTHER;
}

void vg_ussd_reply(const vg_ussd_profile_t *p, const vg_ussd_req_t *r,
                   int last, vg_ussd_reply_t *out) {
  out->op = last ? p->reply_end : p->reply_cont;
  out->its[0] = out->umr[0] = '\0';
  long its = its_value(r->its);
  /* The request's own its_session_info back, the end bit set on the last
   * screen only (SMPP 3.4 5.3.2.43); a profile keyed on
   * user_message_reference echoes that, and its_session_info only when the
   * request had one. */
  if (its >= 0)
    snprintf(out->its, sizeof out->its, "%04x",
             (unsigned)(last ? (its | 1) : (its & ~1L)) & 0xffffu);
  if (r->umr && *r->umr && strlen(r->umr) < sizeof out->umr)
    snprintf(out->umr, sizeof out->umr, "%s", r->umr);
}

int vg_ussd_fits(const char *text, size_t *chars) {
  vg_text_mt_t mt;
  int rc = vg_text_encode_one(text, strlen(text), VG_USSD_GSM_MAX,
                              VG_USSD_UCS2_MAX, &mt, chars);
  if (rc == 0)
    vg_text_mt_free(&mt);
  return rc == 0;
}
