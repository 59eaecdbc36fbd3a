/*
 * subscriber.h — the subscriber conversation (docs/texting.md): answers to
 * offers, opt-out and opt-in, QX, ZS <svc>, help, and unknown text.
 */
#ifndef VG_HANDLERS_SUBSCRIBER_H
#define VG_HANDLERS_SUBSCRIBER_H

#include "handlers/job.h"

/* Handle a job whose command is of the subscriber family. */
void vg_subscriber_handle(vg_mo_job_t *j);

#endif
