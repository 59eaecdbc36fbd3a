/*
 * dispatch.h — what happens to a stored MO: the business's entry point,
 * the daemon's `mo` hook (gateway/daemon.h).
 *
 * vg_dispatch_mo() decides who answers an MO: nobody for a short code or
 * an alphanumeric sender (that is how auto-reply loops between gateways
 * start); the USSD menu for a USSD request; otherwise the conversation the
 * command belongs to, as handlers/commands.def's family column says
 * (handlers/subscriber.h, handlers/promoter_sms.h), each passing the MO
 * gate first.
 */
#ifndef VG_HANDLERS_DISPATCH_H
#define VG_HANDLERS_DISPATCH_H

#include "gateway/daemon.h"
#include "handlers/job.h"

/* Handle one stored MO; `data` is the vg_handlers_t. */
void vg_dispatch_mo(void *data, const vg_mo_t *mo);

#endif
