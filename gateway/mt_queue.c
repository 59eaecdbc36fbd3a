/*
 * mt_queue.c — message ids and the calls of mt_enqueue.
 */
#include "gateway/mt_queue.h"
#include "gateway/lua/functions.h"
#include "gateway/vg.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int vg_mt_text_verdict(int encoded, size_t nparts, int max_parts,
                       char why[VG_MT_WHY_MAX]) {
  why[0] = '\0';
  if (encoded == VG_EUTF8)
    snprintf(why, VG_MT_WHY_MAX, "text cannot be encoded: not valid UTF-8");
  else if (encoded == VG_ETEXT)
    snprintf(why, VG_MT_WHY_MAX, "text is empty: nothing to send");
  else if (encoded == VG_ETOOLONG)
    snprintf(why, VG_MT_WHY_MAX,
             "text too long: more than %d parts, at most %d ([gateway] "
             "max_parts)", VG_TEXT_MAX_PARTS, max_parts);
  else if (encoded != 0)
    snprintf(why, VG_MT_WHY_MAX, "text cannot be encoded: %s",
             vg_strerror(encoded));
  else if (nparts > (size_t)max_parts)
    snprintf(why, VG_MT_WHY_MAX,
             "text too long: %zu parts, at most %d ([gateway] max_parts)",
             nparts, max_parts);
  else
    return 0;
  return encoded ? encoded : VG_ETOOLONG;
}

int vg_mt_check_text(const char *text, size_t len, int max_parts, int *nparts,
                     char why[VG_MT_WHY_MAX]) {
  vg_text_mt_t enc;
  int rc = vg_text_encode_mt(text ? text : "", text ? len : 0, 0, &enc);
  *nparts = rc == 0 ? (int)enc.nparts : 0;
  if (rc == 0)
    vg_text_mt_free(&enc);
  return vg_mt_text_verdict(rc, (size_t)*nparts, max_parts, why);
}

void vg_mt_new_id(char out[VG_MSGID_LEN]) {
  uint64_t v = 0;
  if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
    v = (uint64_t)vg_now_ms() * 6364136223846793005ull + (uint64_t)rand();
  snprintf(out, VG_MSGID_LEN, "%016" PRIx64, v);
}

void vg_mt_batch_init(vg_mt_batch_t *b, const char *prefix, int ttl_s,
                      size_t max) {
  memset(b, 0, sizeof *b);
  b->max = max ? max : 1;
  b->prefix = prefix;
  b->ttl_s = ttl_s;
  vg_mt_batch_reset(b);
}

void vg_mt_batch_reset(vg_mt_batch_t *b) {
  b->count = 0;
  vg_fn_mt_enqueue_t a = {
      .prefix = b->prefix, .created = vg_now_ms(), .ttl = b->ttl_s};
  vg_fn_mt_enqueue(&b->call, &a);
}

int vg_mt_batch_add(vg_mt_batch_t *b, const vg_mt_t *m) {
  if (b->count == b->max)
    return VG_EBUSY;
  vg_fn_mt_enqueue_messages_t g = {.id = m->id,
                                   .to = m->to,
                                   .text = m->text,
                                   .src = m->src,
                                   .ussd_op = m->ussd_service_op,
                                   .its = m->its_hex,
                                   .origin = m->origin,
                                   .umr = m->umr ? m->umr : "",
                                   .expire_at = m->expire_at,
                                   .lane = m->lane ? m->lane : "",
                                   .tally = m->tally ? m->tally : ""};
  vg_fn_mt_enqueue_messages(&b->call, &g);
  b->count++;
  return 0;
}

void vg_mt_batch_free(vg_mt_batch_t *b) {
  vg_fcall_free(&b->call);
  memset(b, 0, sizeof *b);
}
