/*
 * mt_queue.c — message ids and the arguments of the enqueue script.
 */
#include "gateway/mt_queue.h"
#include "gateway/keys.h"
#include "gateway/vg.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#define COMMON 5 /* 2 keys + prefix, created, ttl */
#define PER_MSG 7

void vg_mt_new_id(char out[VG_MSGID_LEN]) {
  uint64_t v = 0;
  if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
    v = (uint64_t)vg_now_ms() * 6364136223846793005ull + (uint64_t)rand();
  snprintf(out, VG_MSGID_LEN, "%016" PRIx64, v);
}

static void set(vg_mt_batch_t *b, int i, const char *s) {
  b->argv[i] = s ? s : "";
  b->argvlen[i] = strlen(b->argv[i]);
}

void vg_mt_batch_init(vg_mt_batch_t *b, const char *prefix, int ttl_s,
                      size_t max) {
  memset(b, 0, sizeof *b);
  b->max = max ? max : 1;
  b->argv = vg_malloc((COMMON + PER_MSG * b->max) * sizeof *b->argv);
  b->argvlen = vg_malloc((COMMON + PER_MSG * b->max) * sizeof *b->argvlen);
  b->ussd = vg_malloc(b->max * sizeof *b->ussd);
  vg_key(b->stream, prefix, "%s", VG_K_MT_STREAM);
  vg_key(b->stats, prefix, "%s", VG_K_STATS);
  snprintf(b->ttl, sizeof b->ttl, "%d", ttl_s);
  set(b, 0, b->stream);
  set(b, 1, b->stats);
  /* The prefix is argv[2]: the script builds each message's key from it. */
  b->argv[2] = prefix;
  b->argvlen[2] = strlen(prefix);
  vg_mt_batch_reset(b);
}

void vg_mt_batch_reset(vg_mt_batch_t *b) {
  b->count = 0;
  snprintf(b->created, sizeof b->created, "%" PRId64, vg_now_ms());
  set(b, 3, b->created);
  set(b, 4, b->ttl);
  b->argc = COMMON;
}

int vg_mt_batch_add(vg_mt_batch_t *b, const vg_mt_t *m) {
  if (b->count == b->max)
    return VG_EBUSY;
  char *ussd = b->ussd[b->count];
  if (m->ussd_service_op >= 0)
    snprintf(ussd, sizeof b->ussd[0], "%d", m->ussd_service_op);
  else
    ussd[0] = '\0';
  const char *v[PER_MSG] = {m->id,  m->to,      m->text,  m->src,
                            ussd,   m->its_hex, m->origin};
  for (int i = 0; i < PER_MSG; i++)
    set(b, b->argc++, v[i]);
  b->count++;
  return 0;
}

void vg_mt_batch_free(vg_mt_batch_t *b) {
  free(b->argv);
  free(b->argvlen);
  free(b->ussd);
  memset(b, 0, sizeof *b);
}
