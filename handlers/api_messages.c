/*
 * api_messages.c — POST /v1/messages and GET /v1/messages/{id}: queue an
 * SMS through the daemon's own mt_enqueue (gateway/mt_queue.h), with the
 * same checks as `vasgw send`, and read a message's record as `vasgw msg
 * show --json` does.
 */
#include "autoconfig.h"
#include "handlers/api.h"
#include "gateway/ids.h"
#include "gateway/keys.h"
#include "gateway/msisdn.h"
#include "gateway/mt_queue.h"
#include "gateway/redis_sync.h"
#include "gateway/text.h"
#include "gateway/vg.h"

#include <stdlib.h>
#include <string.h>

int vg_api_message_send(vg_api_call_t *c) {
  /* Delivery callbacks (callback_url) are not built yet: the field is
   * refused as unknown rather than taken and never called. */
  static const char *const known[] = {"to", "text", NULL};
  const char *to, *text;
  if (vg_api_only(c, known) || vg_api_str(c, "to", 1, &to) ||
      vg_api_str(c, "text", 1, &text))
    return -1;
  char norm[VG_MSISDN_MAX];
  const char *why = NULL;
  if (vg_msisdn_normalize(to, c->cfg->country_code, norm, &why) != 0)
    return vg_api_error(c, 400, "bad_field", "to",
                        "'%s' is not a subscriber number: %s", to, why);
  char refused[VG_MT_WHY_MAX];
  int nparts;
  if (vg_mt_check_text(text, strlen(text), c->cfg->max_parts, &nparts,
                       refused) != 0)
    return vg_api_error(c, 400, "bad_field", "text", "%s", refused);
  char id[VG_MSGID_LEN];
  vg_mt_new_id(id);
  vg_mt_batch_t b;
  vg_mt_batch_init(&b, c->cfg->prefix, c->cfg->msg_ttl_days * 86400, 1);
  vg_mt_t m = {.id = id, .to = norm, .text = text, .src = "",
               .ussd_service_op = -1, .its_hex = "", .origin = "api",
               .lane = "", .tally = ""};
  vg_mt_batch_add(&b, &m);
  char err[300];
  redisReply *r = vg_redis_sync_fcall(c->rc, &b.call, err, sizeof err);
  vg_mt_batch_free(&b);
  if (r == NULL)
    return vg_api_error(c, 503, "redis", NULL, "%s", err);
  long long queued = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
  freeReplyObject(r);
  if (queued != 1)
    return vg_api_error(c, 500, "not_queued", NULL,
                        "message %s was not queued", id);
  snprintf(c->audit, sizeof c->audit, "message %s to %s, %d part%s", id,
           norm, nparts, nparts == 1 ? "" : "s");
  json_t *o = json_pack("{s:s,s:s,s:s,s:i}", "id", id, "to", norm, "state",
                        "queued", "parts", nparts);
  vg_api_ok(c, 202, o);
  return 0;
}

static int time_field(const char *f) {
  size_t n = strlen(f);
  return strcmp(f, "created") == 0 || (n > 3 && strcmp(f + n - 3, "_at") == 0);
}

int vg_api_message_show(vg_api_call_t *c) {
  const char *id = c->param[0];
  if (strlen(id) > VG_ID_MAX)
    return vg_api_error(c, 404, "not_found", NULL,
                        "no message '%.64s...': ids are at most %d bytes", id,
                        VG_ID_MAX);
  char key[VG_KEY_MAX];
  vg_key(key, c->cfg->prefix, VG_K_MSG, id);
  redisReply *h = redisCommand(c->rc, "HGETALL %s", key);
  if (h == NULL || h->type != REDIS_REPLY_ARRAY) {
    int rc = vg_api_redis_error(c, h);
    freeReplyObject(h);
    return rc;
  }
  if (h->elements == 0) {
    freeReplyObject(h);
    return vg_api_error(c, 404, "not_found", NULL,
                        "no message '%s' (records are kept %d days)", id,
                        c->cfg->msg_ttl_days);
  }
  json_t *o = json_pack("{s:s}", "id", id);
  const char *text = NULL;
  for (size_t i = 0; i + 1 < h->elements; i += 2) {
    const char *f = h->element[i]->str, *v = h->element[i + 1]->str;
    if (strcmp(f, "text") == 0)
      text = v;
    if (time_field(f) && *v && strspn(v, "0123456789") == strlen(v))
      json_object_set_new(o, f, json_integer(strtoll(v, NULL, 10)));
    else
      json_object_set_new(o, f, json_string(v));
  }
  vg_text_mt_t enc;
  if (text && vg_text_encode_mt(text, strlen(text), 0, &enc) == 0) {
    json_object_set_new(o, "encoding",
                        json_string(enc.dcs == VG_DCS_UCS2 ? "ucs2" : "gsm7"));
    vg_text_mt_free(&enc);
  }
  freeReplyObject(h);
  vg_api_ok(c, 200, o);
  return 0;
}
