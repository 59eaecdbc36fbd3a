/*
 * dispatch.c — see dispatch.h.
 */
#include "handlers/dispatch.h"
#include "gateway/log.h"
#include "gateway/msisdn.h"
#include "handlers/normalize.h"
#include "handlers/promoter_sms.h"
#include "handlers/subscriber.h"
#include "handlers/ussd.h"

#include <stdio.h>
#include <string.h>

void vg_dispatch_mo(void *data, const vg_mo_t *mo) {
  vg_handlers_t *d = data;
  char norm[VG_MSISDN_MAX];
  if (vg_msisdn_normalize(mo->from, d->cfg->country_code, norm, NULL) != 0) {
    vg_log_info("dispatch: MO %s from a non-subscriber sender: not answered",
                mo->id);
    vg_job_ack(d, mo->entry);
    return;
  }
  vg_mo_job_t *j = vg_job_new(d, mo, norm);
  if (j == NULL) {
    vg_log_warn("dispatch: MO entry %.60s: a field is longer than vasgw "
                "writes (not from mo_store): not answered",
                mo->entry);
    vg_job_ack(d, mo->entry);
    return;
  }
  if (j->ussd_op >= 0) {
    vg_ussd_handle(j); /* the menus (handlers/ussd.c) */
    return;
  }
  if (mo->error && *mo->error) {
    /* Its octets are not text (docs/encoding.md): no command is read in
     * them, none is guessed, and the subscriber is told so. */
    vg_log_debug("dispatch: MO %s: %s", j->id, mo->error);
    vg_job_answer(j, "unreadable", "", "", 1);
    return;
  }
  char norm_text[512];
  if (vg_text_normalize(j->text, strlen(j->text), norm_text,
                        sizeof norm_text) != 0)
    norm_text[0] = '\0';
  vg_command_parse(norm_text, &j->cmd);
  vg_log_debug("dispatch: MO %s: %s%s%s", j->id, vg_command_name(j->cmd.cmd),
               j->cmd.err ? ": " : "", vg_command_strerr(j->cmd.err));
  /* The command table says whose conversation it is. */
  if (vg_command_family(&j->cmd) == VG_CMD_FAMILY_PROMOTER)
    vg_promoter_handle(j);
  else
    vg_subscriber_handle(j);
}
