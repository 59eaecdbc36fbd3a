/*
 * activation.h — the words of an order's result SMS (templates/), for the
 * dispatcher in gateway/provision.h.
 */
#ifndef VG_HANDLERS_ACTIVATION_H
#define VG_HANDLERS_ACTIVATION_H

#include "gateway/provision.h"
#include "handlers/templates.h"

/* A vg_provision_text_cb; `data` is the vg_templates_t. */
char *vg_activation_text(void *data, const vg_order_fields_t *f,
                         vg_order_outcome_t outcome, const char *reason);

#endif
