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

void vg_mt_new_id(char out[VG_MSGID_LEN]) {
  uint64_t v = 0;
  if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
    v = (uint64_t)vg_now_ms() * 6364136223846793005ull + (uint64_t)rand();
  snprintf(out, VG_MSGID_LEN, "%016" PRIx64, v);
}

void vg_mt_enqueue_args(const vg_mt_t *m, const char *prefix, int ttl_s,
                        vg_mt_argbuf_t *b, const char **argv,
                        size_t *argvlen) {
  vg_key(b->msgkey, prefix, VG_K_MSG, m->id);
  vg_key(b->stream, prefix, "%s", VG_K_MT_STREAM);
  vg_key(b->stats, prefix, "%s", VG_K_STATS);
  snprintf(b->created, sizeof b->created, "%" PRId64, vg_now_ms());
  snprintf(b->ttl, sizeof b->ttl, "%d", ttl_s);
  if (m->ussd_service_op >= 0)
    snprintf(b->ussd, sizeof b->ussd, "%d", m->ussd_service_op);
  else
    b->ussd[0] = '\0';
  const char *v[VG_MT_ENQUEUE_ARGC] = {
      b->msgkey, b->stream,  b->stats,  m->id,
      m->to,     m->text,    b->created, b->ttl,
      m->src ? m->src : "", b->ussd, m->its_hex ? m->its_hex : "",
      m->origin ? m->origin : ""};
  for (int i = 0; i < VG_MT_ENQUEUE_ARGC; i++) {
    argv[i] = v[i];
    argvlen[i] = strlen(v[i]);
  }
}
