/*
 * ussd.h — the USSD menus' conversation (handlers/ussd.c, docs/ussd.md):
 * the dispatcher's handler for an MO that came as a USSD request.
 */
#ifndef VG_HANDLERS_USSD_H
#define VG_HANDLERS_USSD_H

#include "handlers/job.h"

/* Handle one USSD request: answer it with the dialogue's next screen (or
 * its last, or none when the dialogue ended), ending the job. */
void vg_ussd_handle(vg_mo_job_t *j);

#endif
