/*
 * ussd.h — USSD dialogues as SMPP carries them: which requests open,
 * continue or end a dialogue, what identifies its session, and the
 * ussd_service_op / its_session_info / user_message_reference of each
 * screen sent back, per SMSC vendor (the profiles of
 * gateway/ussd_profiles.def).  Pure functions: no I/O, no business (the
 * menus are handlers/ussd*.c).
 */
#ifndef VG_GATEWAY_USSD_H
#define VG_GATEWAY_USSD_H

#include <stddef.h>

/* The profiles' numbers, in the table's order ([ussd] profile). */
enum {
#define VG_USSD_PROFILE(n, b, c, a, e, s, rc, re) VG_USSD_PROFILE_##n,
#include "gateway/ussd_profiles.def"
  VG_USSD_NPROFILES
};

/* Where a profile keeps the session number. */
enum { VG_USSD_SID_ITS_OCTET, VG_USSD_SID_ITS_15, VG_USSD_SID_UMR };

typedef struct {
  const char *name;
  int begin, cont, abort, end_bit, sid, reply_cont, reply_end;
} vg_ussd_profile_t;

/* The profile named `name`, or NULL. */
const vg_ussd_profile_t *vg_ussd_profile(const char *name);
/* The i-th profile (0-based), NULL past the last: for the config check and
 * its message. */
const vg_ussd_profile_t *vg_ussd_profile_at(size_t i);

/* What a USSD request is to the dialogue. */
typedef enum {
  VG_USSD_BEGIN,    /* the subscriber dialled the code: a new dialogue */
  VG_USSD_CONTINUE, /* an answer to our last screen */
  VG_USSD_ABORT,    /* the dialogue ended (subscriber, network): no screen */
  VG_USSD_OTHER     /* an op this profile does not use in dialogues */
} vg_ussd_event_t;

/* A request as stored (gateway/lua/mo.lua): ussd_service_op, its_session_info
 * as 4 hex digits or "", user_message_reference in decimal or "". */
typedef struct {
  int op;
  const char *its;
  const char *umr;
} vg_ussd_req_t;

#define VG_USSD_SID_MAX 8
/*
 * Classify `r` under profile `p`, and give its session number in `sid`
 * (text, "" when the request carries none where the profile looks).
 */
vg_ussd_event_t vg_ussd_classify(const vg_ussd_profile_t *p,
                                 const vg_ussd_req_t *r,
                                 char sid[VG_USSD_SID_MAX]);

/* The SMPP fields of a screen answering `r`. */
typedef struct {
  int op;       /* ussd_service_op */
  char its[5];  /* its_session_info as hex, "" for none */
  char umr[8];  /* user_message_reference in decimal, "" for none */
} vg_ussd_reply_t;

/* The fields of a screen answering `r`: one that waits for an answer
 * (last 0) or the last one (1). */
void vg_ussd_reply(const vg_ussd_profile_t *p, const vg_ussd_req_t *r,
                   int last, vg_ussd_reply_t *out);

/* SMPP 3.4's limit on a USSD string: 182 characters of GSM 7-bit, 80 of
 * UCS-2 (one 160-octet unit). */
#define VG_USSD_GSM_MAX 182
#define VG_USSD_UCS2_MAX 80

/* Does UTF-8 `text` fit one USSD screen (GSM 7-bit when it can be, UCS-2
 * otherwise)?  *chars gets its length in that alphabet's characters. */
int vg_ussd_fits(const char *text, size_t *chars);

#endif
