/*
 * dispatch.c — the minimal dispatcher of dispatch.h.
 */
#include "handlers/dispatch.h"
#include "gateway/keys.h"
#include "gateway/log.h"
#include "gateway/msisdn.h"
#include "gateway/mt_queue.h"
#include "gateway/scripts.h"
#include "gateway/vg.h"

#include <stdio.h>
#include <string.h>

/* USSD service operations (SMPP 3.4, 5.3.2.44). */
#define USSD_PSSR_INDICATION 1
#define USSD_PSSR_RESPONSE 17

typedef struct {
  vg_dispatch_t *d;
  char entry[48];
} ack_ctx_t;

static void on_acked(vg_redis_t *r, redisReply *reply, void *data,
                     const char *err) {
  vg_dispatch_t *d = data;
  d->in_progress--;
}

static void on_queued(vg_redis_t *r, redisReply *reply, void *data,
                      const char *err) {
  ack_ctx_t *c = data;
  vg_dispatch_t *d = c->d;
  if (err) {
    /* Left pending in the stream: read again after a reconnect. */
    vg_log_warn("dispatch: cannot queue the answer to MO entry %s: %s",
                c->entry, err);
    d->in_progress--;
    free(c);
    return;
  }
  char stream[VG_KEY_MAX];
  vg_key(stream, d->cfg->prefix, "%s", VG_K_MO_STREAM);
  d->handled++;
  /* XACK then XDEL: handled entries do not accumulate in the stream. */
  vg_redis_command(r, NULL, NULL, "XACK %s %s %s", stream, VG_GROUP,
                   c->entry);
  if (vg_redis_command(r, on_acked, d, "XDEL %s %s", stream, c->entry) != 0)
    d->in_progress--;
  free(c);
}

void vg_dispatch_mo(vg_dispatch_t *d, const vg_mo_t *mo) {
  char norm[VG_MSISDN_MAX];
  int is_ussd = mo->ussd_op && *mo->ussd_op;
  char stream[VG_KEY_MAX];
  vg_key(stream, d->cfg->prefix, "%s", VG_K_MO_STREAM);
  /* Never answer a short code or an alphanumeric sender: that is how
   * auto-reply loops between gateways start. */
  if (vg_msisdn_normalize(mo->from, d->cfg->country_code, norm, NULL) != 0) {
    vg_log_info("dispatch: MO %s from a non-subscriber sender: not answered",
                mo->id);
    vg_redis_command(d->redis, NULL, NULL, "XACK %s %s %s", stream, VG_GROUP,
                     mo->entry);
    vg_redis_command(d->redis, NULL, NULL, "XDEL %s %s", stream, mo->entry);
    return;
  }
  vg_tpl_var_t vars[] = {{"service_number", d->cfg->service_number}};
  char *text = vg_templates_render(
      d->templates, is_ussd ? VG_TPL_USSD_MENU : VG_TPL_HELP, vars, 1);
  char id[64];
  snprintf(id, sizeof id, "re-%s", mo->id);
  vg_mt_t m = {.id = id,
               .to = norm,
               .text = text,
               .src = "",
               .ussd_service_op = is_ussd ? USSD_PSSR_RESPONSE : -1,
               .its_hex = is_ussd ? mo->its : "",
               .origin = "reply"};
  vg_mt_batch_t b;
  vg_mt_batch_init(&b, d->cfg->prefix, d->cfg->msg_ttl_days * 86400, 1);
  vg_mt_batch_add(&b, &m);
  ack_ctx_t *c = vg_malloc(sizeof *c);
  c->d = d;
  snprintf(c->entry, sizeof c->entry, "%s", mo->entry);
  d->in_progress++;
  int rc = vg_redis_script(d->redis, VG_SCRIPT_MT_ENQUEUE, on_queued, c,
                           VG_MT_ENQUEUE_NKEYS, b.argc, b.argv, b.argvlen);
  vg_mt_batch_free(&b);
  if (rc != 0) {
    d->in_progress--;
    free(c);
  }
  free(text);
}
