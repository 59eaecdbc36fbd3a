/*
 * promoter_sms.h — the promoter conversation by SMS (docs/texting.md,
 * docs/promoters.md): ZC, TJ, ZS <msisdn> <svc>, CX, CX MX, YW.
 */
#ifndef VG_HANDLERS_PROMOTER_SMS_H
#define VG_HANDLERS_PROMOTER_SMS_H

#include "handlers/job.h"

/* Handle a job whose command is of the promoter family. */
void vg_promoter_handle(vg_mo_job_t *j);

/* The answer (malloc'd) to a command only an approved promoter may give,
 * from a number of the segments whose record has `status` and `staff_no`
 * ("" for both: never registered). */
char *vg_promoter_refusal(const vg_templates_t *t, const char *status,
                          const char *staff_no);

#endif
