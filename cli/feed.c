/*
 * feed.c — `vasgw feed import FILE.csv`: the operator's billing and care
 * facts (`msisdn,service,event,date`, docs/promoters.md) into Redis, where
 * the settlement's audits read them (the import itself is the business's:
 * handlers/feed.h, vg_feed_import); `vasgw feed show MSISDN`: the facts
 * about one number, as the audits will see them.
 *
 * All or nothing: every row is read and checked first and each bad one
 * reported as FILE:LINE: reason; a file with a bad row writes nothing (exit
 * 1).  Importing the same file again changes nothing: facts are set members,
 * and the file itself is recorded under the SHA-256 of its bytes, so a
 * second import says when and by whom it was imported (exit 0).
 */
#include "cli/cli.h"
#include "gateway/clock.h"
#include "gateway/csv.h"
#include "gateway/keys.h"
#include "gateway/msisdn.h"
#include "gateway/sha256.h"
#include "gateway/vg.h"
#include "handlers/feed.h"
#include "handlers/oplog.h"
#include "handlers/ledger_date.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- output -------------------------------------------------------------------- */

/* The file was imported before: say when and by whom. */
static void print_known(cli_t *c, const char *path,
                        const vg_feed_import_result_t *r) {
  const char *user = *r->imported_by ? r->imported_by : "?";
  char when[VG_CLI_WHEN_MAX];

  if (c->json) {
    printf("{\"file\":");
    vg_cli_json_str(stdout, path);
    printf(",\"sha256\":\"%s\",\"rows\":%lld,\"new_facts\":0,"
           "\"already_imported\":true,\"imported_at\":%lld",
           r->sha256, r->previous_rows, r->imported_at);
    vg_cli_json_time(stdout, "imported_at", r->imported_at);
    printf(",\"user\":");
    vg_cli_json_str(stdout, *r->imported_by ? r->imported_by : "");
    printf("}\n");
  } else {
    printf("%s: already imported on %s by %s; 0 new facts\n", path,
           r->imported_at ? vg_cli_local(when, r->imported_at, VG_CLI_TIME) : "?", user);
  }
}

/* --- feed import ----------------------------------------------------------------- */

static void bad_row(void *data, long line, const char *why) {
  vg_cli_bad_row(data, line, "%s", why);
}

int vg_cli_feed_import(cli_t *c, int nw, const char **words) {
  if (nw != 3 || (strncmp(words[2], "--", 2) == 0))
    return vg_cli_usage_error("usage: feed import FILE.csv");
  const char *path = words[2];
  size_t len = 0;
  char *buf = vg_cli_read_file(path, &len);
  if (buf == NULL)
    return vg_cli_fail("%s: cannot read: %s", path, strerror(errno));
  char abs[4096], err[1024];
  vg_feed_import_opts_t o = {.bad_row = bad_row,
                             .data = (void *)path,
                             .file = vg_cli_abspath(path, abs, sizeof abs)};
  vg_feed_import_result_t res;
  int rc = 0;
  /* A file with a bad row is refused before Redis is asked anything (the
   * import checks again: the rows are told once, here). */
  vg_feed_import_result_t checked;
  if (vg_feed_check(&c->cfg, buf, len, &o, &checked) != 0) {
    rc = vg_cli_fail("%s: %d bad row%s; nothing imported", path, checked.bad,
                     checked.bad == 1 ? "" : "s");
    goto out;
  }
  if (vg_cli_connect(c)) {
    rc = 1;
    goto out;
  }
  o.bad_row = NULL;
  int r = vg_feed_import(c->rc, &c->cfg, buf, len, &o, &res, err, sizeof err);
  if (r == VG_EINVAL) {
    rc = vg_cli_fail("%s: %s", path, err);
    goto out;
  }
  if (r != 0) {
    rc = vg_cli_fail("%s: %s", path, err);
    goto out;
  }
  if (res.already) {
    print_known(c, path, &res);
    goto out;
  }
  if (res.not_logged)
    rc = vg_cli_fail("feed.import done, but not recorded in the audit log: %s",
                     err);
  if (c->json) {
    printf("{\"file\":");
    vg_cli_json_str(stdout, path);
    printf(",\"sha256\":\"%s\",\"rows\":%zu,\"new_facts\":%lld,"
           "\"already_known\":%lld,\"repeated\":%zu,"
           "\"already_imported\":false}\n",
           res.sha256, res.rows, res.added, res.known, res.repeated);
  } else {
    printf("%s: %zu row%s, %lld new fact%s (%lld already known", path,
           res.rows, res.rows == 1 ? "" : "s", res.added,
           res.added == 1 ? "" : "s", res.known);
    if (res.repeated)
      printf(", %zu repeated in the file", res.repeated);
    printf(")\n");
  }
out:
  free(buf);
  return rc;
}

/* --- feed show ------------------------------------------------------------------- */

/* What the audits will see of one number: vg_feed_load(), as the settlement
 * calls it. */
int vg_cli_feed_show(cli_t *c, int nw, const char **words) {
  char norm[VG_MSISDN_MAX], date[VG_DATE_TEXT];
  const char *why = NULL;
  vg_fact_t *f;
  size_t n;

  if (nw != 3 || strncmp(words[2], "--", 2) == 0)
    return vg_cli_usage_error("usage: feed show MSISDN");
  if (vg_msisdn_normalize(words[2], c->cfg.country_code, norm, &why) != 0)
    return vg_cli_usage_error("feed show: malformed number '%s': %s",
                              words[2], why);
  if (vg_cli_connect(c))
    return 1;
  int rc = vg_feed_load(c->rc, c->cfg.prefix, norm, &f, &n);
  if (rc == VG_EINVAL)
    return vg_cli_fail("%s: a stored fact is malformed", norm);
  if (rc != 0)
    return vg_cli_fail("Redis: %s", c->rc->err ? c->rc->errstr
                                               : "cannot read the facts");
  if (c->json)
    printf("{\"msisdn\":\"%s\",\"facts\":[", norm);
  else if (n == 0)
    printf("(no facts about %s)\n", norm);
  for (size_t i = 0; i < n; i++) {
    vg_date_format(f[i].date, date);
    if (c->json)
      printf("%s{\"date\":\"%s\",\"service\":\"%s\",\"event\":\"%s\"}",
             i ? "," : "", date, f[i].service, vg_feed_event_name(f[i].event));
    else
      printf("%s  %-8s  %s\n", date, f[i].service[0] ? f[i].service : "-",
             vg_feed_event_name(f[i].event));
  }
  if (c->json)
    printf("]}\n");
  free(f);
  return 0;
}
