/*
 * campaign.h — the pure parts of a campaign (docs/campaigns.md): its SMS
 * made from a template at create time and checked there, each target
 * row's own text, and whether the campaign may send at a given moment.
 * The state, the filters that need Redis and the sending itself are
 * handlers/lua/campaigns.lua; the CLI (cli/campaign.c) and the daemon's
 * runner (handlers/campaign_runner.h) call these.
 */
#ifndef VG_HANDLERS_CAMPAIGN_H
#define VG_HANDLERS_CAMPAIGN_H

#include "handlers/templates.h"

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

/* The most template variables a target file may bring, and a variable's
 * longest name and value. */
#define VG_CAMPAIGN_VARS_MAX 16
#define VG_CAMPAIGN_VAR_NAME_MAX 32
#define VG_CAMPAIGN_VALUE_MAX 200

/*
 * `text` with each {{name}} whose name `vars` gives replaced by its value;
 * any other placeholder kept as it is when `keep`, else replaced by ""
 * (handlers/lua/render.lua's rule, which renders the rest at send time).
 * malloc'd.
 */
char *vg_campaign_fill(const char *text, const vg_tpl_var_t *vars, size_t n,
                       int keep);

/* What a campaign's template became. */
typedef struct {
  char *text; /* service fields filled, VG_OFFER_CODE_MARK for {{code}},
               * the file's variables still {{name}}; malloc'd */
  char vars[VG_CAMPAIGN_VARS_MAX][VG_CAMPAIGN_VAR_NAME_MAX + 1];
  size_t nvars;   /* the file's variables the text uses, in order */
  int nparts;     /* its parts with every variable empty */
} vg_campaign_sms_t;

/*
 * Make a campaign's SMS from template `raw` for service `svc` (its HGETALL
 * reply): {{service_name}} {{service_code}} {{price}} {{knowledge}}
 * {{usage}} {{cancel}} from the service, {{optout}} the opt-out wording
 * (`optout`), {{code}} the reply code, and any name of `columns` (the
 * target file's header) left for each row.  Refused, with why in `err`:
 * no {{code}} (nobody could answer it), no opt-out wording (neither
 * {{optout}} nor its text), a placeholder that is neither, a column
 * named like a service field, or a text over `max_parts` even with every
 * variable empty.  0 or -1.
 */
int vg_campaign_sms(const char *raw, const redisReply *svc, const char *optout,
                    const char *const *columns, size_t ncolumns, int max_parts,
                    vg_campaign_sms_t *out, char *err, size_t errsz);
void vg_campaign_sms_free(vg_campaign_sms_t *s);

/*
 * One row's SMS as the subscriber gets it ("1" for the code), for the
 * part count at import: `values` in the order of s->vars.  malloc'd.
 */
char *vg_campaign_row_text(const vg_campaign_sms_t *s,
                           const char *const *values);

/*
 * May a campaign send at `now`?  "" when it may, with *expire_at the
 * moment its SMS must have gone by (quiet hours begin, its window closes,
 * its end; 0: none); else why not ("quiet_hours", "window") with *until
 * when that ends.  quiet and window are "HH:MM-HH:MM" local or "".
 */
const char *vg_campaign_gate(const char *quiet, const char *window,
                             int64_t end, int64_t now, int64_t *until,
                             int64_t *expire_at);

/*
 * How often (ms) a daemon calls campaign_send for a campaign of `tps`: a
 * few recipients a call, so that no call holds Redis long (a reply waits
 * behind it), and at least one, so that the bucket (two calls' worth) stays
 * small against the rate: 5 ms from 200/s up, 1000/tps below, at most
 * 50 ms.
 */
int vg_campaign_every(int tps);

#endif
