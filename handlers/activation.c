/*
 * activation.c — see activation.h.
 */
#include "handlers/activation.h"
#include "gateway/vg.h"

#include <stdlib.h>
#include <string.h>

char *vg_activation_text(void *data, const vg_order_fields_t *f,
                         vg_order_outcome_t outcome, const char *reason) {
  const vg_templates_t *t = data;
  int activate = strcmp(vg_order_field(f, "action"), "deactivate") != 0;
  static const vg_tpl_id_t ids[2][3] = {
      [0] = {VG_TPL_DEACTIVATED, VG_TPL_DEACTIVATION_REJECTED,
             VG_TPL_DEACTIVATION_FAILED},
      [1] = {VG_TPL_ACTIVATED, VG_TPL_REJECTED, VG_TPL_ACTIVATION_FAILED},
  };
  /* A rejection without a reason still says something a person can act
   * on. */
  char *why = reason && *reason
                  ? vg_strdup(reason)
                  : vg_templates_render(t, VG_TPL_REASON_UNKNOWN, NULL, 0);
  const char *name = vg_order_field(f, "service_name");
  vg_tpl_var_t v[] = {
      {"service_name", *name ? name : vg_order_field(f, "service")},
      {"service_code", vg_order_field(f, "service")},
      {"price", vg_order_field(f, "price")},
      {"usage", vg_order_field(f, "usage")},
      {"cancel", vg_order_field(f, "cancel")},
      {"reason", why},
  };
  char *text = vg_templates_render(t, ids[activate][outcome], v,
                                   VG_ARRAY_SIZE(v));
  free(why);
  return text;
}
