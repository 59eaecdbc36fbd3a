/*
 * campaign.c — `vasgw campaign ...`: targeted campaigns for marketing staff
 * (docs/campaigns.md).
 *
 *   create   the template checked and made into the campaign's SMS, then
 *            the target file streamed in batches: what needs no Redis (a
 *            malformed row, a number off the operator's segments or the
 *            campaign's, a text too long) is decided here, the rest by
 *            campaign_add (handlers/lua/campaigns.lua)
 *   approve, start, pause, resume, cancel    campaign_act
 *   status [--watch], list, export           reads
 *
 * The daemons send a running campaign (handlers/campaign_runner.h); this
 * file only makes and steers it.
 */
#include "cli/cli.h"
#include "gateway/clock.h"
#include "gateway/keys.h"
#include "gateway/msisdn.h"
#include "gateway/mt_queue.h"
#include "gateway/redis_sync.h"
#include "gateway/vg.h"
#include "handlers/campaign.h"
#include "handlers/lua/functions.h"
#include "handlers/offers.h"
#include "handlers/oplog.h"
#include "handlers/promoters.h"
#include "handlers/segments.h"
#include "handlers/templates.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH 500          /* rows per campaign_add call */
#define IN_FLIGHT 4        /* calls sent before the first answer is read */
#define NAME_MAX_CHARS 64
#define RAW_MAX 64         /* a malformed row kept for the export */

/* How long an ended campaign's fates are kept ([campaigns] keep_days), ms. */
static long long fates_ttl(const vg_config_t *cfg) {
  return (long long)cfg->campaign_keep_days * 86400000;
}

/* --- the target file ----------------------------------------------------- */

typedef struct {
  cli_t *c;
  const char *id, *path, *segments, *region;
  vg_segments_t *segs; /* with --region: the segment table */
  vg_campaign_sms_t sms;
  int header;        /* the first record names the columns */
  char cols[VG_CAMPAIGN_VARS_MAX][VG_CAMPAIGN_VAR_NAME_MAX + 1];
  size_t ncols;
  int col_of[VG_CAMPAIGN_VARS_MAX]; /* each variable's field (header) */
  vg_fcall_t call;
  char *own[2 * BATCH]; /* the batch's strings: a call borrows them */
  int nown;
  int inbatch, sent, failed;
  long unreadable; /* records the CSV reader could not read */
  volatile sig_atomic_t stop; /* Ctrl-C or a termination signal */
  long long seq;
  char day[12], since[12];
  long long now;
  long rows;
} import_t;

static void trim(const char *s, const char **b, size_t *n) {
  while (*s == ' ' || *s == '\t')
    s++;
  size_t len = strlen(s);
  while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
    len--;
  *b = s;
  *n = len;
}

/* The reply of the oldest call on the way: 0, or 1 after saying why. */
static int read_reply(import_t *im) {
  redisReply *r = NULL;
  im->sent--;
  if (redisGetReply(im->c->rc, (void **)&r) != REDIS_OK)
    return vg_cli_fail("Redis: %s", im->c->rc->errstr);
  int rc = 0;
  if (r->type == REDIS_REPLY_ERROR)
    rc = vg_cli_fail("campaign create: %s", r->str);
  freeReplyObject(r);
  return rc;
}

static void batch_start(import_t *im) {
  vg_fn_campaign_add_t a = {
      .prefix = im->c->cfg.prefix,
      .id = im->id,
      .seq = ++im->seq,
      .now = im->now,
      .day = im->day,
      .interval = (long long)im->c->cfg.marketing_interval_days * 86400000,
      .cancel_block = (long long)im->c->cfg.cancel_block_days * 86400000,
      .max_per_day = im->c->cfg.max_marketing_per_day,
      .complaint_since = im->since};
  im->call = (vg_fcall_t)VG_FCALL_INIT;
  vg_fn_campaign_add(&im->call, &a);
  im->inbatch = 0;
}

static int batch_send(import_t *im) {
  if (im->inbatch == 0)
    return 0;
  vg_redis_sync_append(im->c->rc, &im->call);
  vg_fcall_free(&im->call);
  for (int i = 0; i < im->nown; i++)
    free(im->own[i]);
  im->nown = 0;
  im->sent++;
  int rc = 0;
  while (rc == 0 && im->sent >= IN_FLIGHT)
    rc = read_reply(im);
  batch_start(im);
  return rc;
}

static void add_row(import_t *im, const char *msisdn, long line,
                    const char *fate, const char *vars) {
  im->own[im->nown] = vg_strdup(msisdn);
  im->own[im->nown + 1] = vg_strdup(vars);
  vg_fn_campaign_add_rows_t g = {.msisdn = im->own[im->nown],
                                 .line = line,
                                 .fate = fate, /* a literal */
                                 .vars = im->own[im->nown + 1]};
  im->nown += 2;
  vg_fn_campaign_add_rows(&im->call, &g);
  im->inbatch++;
}

/* The value of variable `name` in a row without a header: a field
 * "name=value". */
static const char *kv(const vg_csv_row_t *r, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 1; i < r->n; i++)
    if (strncasecmp(r->f[i], name, n) == 0 && r->f[i][n] == '=')
      return r->f[i] + n + 1;
  return NULL;
}

/* What the CLI can tell of a row without Redis: "" (Redis decides), or
 * its fate; `vars` gets its values, tab-separated. */
static const char *row_fate(import_t *im, const vg_csv_row_t *r,
                            const char *m, char *vars, size_t varsz) {
  const vg_config_t *cfg = &im->c->cfg;
  if (cfg->number_segments[0] &&
      !vg_promoter_in_segments(m, cfg->country_code, cfg->number_segments))
    return "off_net";
  if (im->segments &&
      !vg_promoter_in_segments(m, cfg->country_code, im->segments))
    return "outside_target";
  if (im->region) {
    const vg_segment_t *g = vg_segments_find(im->segs, m, cfg->country_code);
    if (g == NULL ||
        (strcmp(g->region, im->region) != 0 && strcmp(g->city, im->region) != 0))
      return "outside_target";
  }
  const char *values[VG_CAMPAIGN_VARS_MAX];
  size_t used = 0;
  vars[0] = '\0';
  for (size_t i = 0; i < im->sms.nvars; i++) {
    const char *v = im->header ? (im->col_of[i] < (int)r->n
                                      ? r->f[im->col_of[i]]
                                      : NULL)
                               : kv(r, im->sms.vars[i]);
    if (v == NULL || vg_templates_blank(v))
      return "missing_variable";
    /* A tab would split the queue entry, a line break the SMS: the row
     * is not what the template means. */
    if (strpbrk(v, "\t\r\n"))
      return "malformed";
    if (strlen(v) > VG_CAMPAIGN_VALUE_MAX)
      return "text_too_long";
    values[i] = v;
    int n = snprintf(vars + used, varsz - used, "%s%s", i ? "\t" : "", v);
    used += (size_t)n;
  }
  if (im->sms.nvars > 0) {
    char *t = vg_campaign_row_text(&im->sms, values), why[VG_MT_WHY_MAX];
    int nparts, bad = vg_mt_check_text(t, strlen(t), cfg->max_parts, &nparts,
                                       why) != 0;
    free(t);
    if (bad)
      return "text_too_long";
  }
  return "";
}

static int on_row(void *data, size_t nth, const vg_csv_row_t *r) {
  import_t *im = data;
  if (im->failed || im->stop)
    return 0;
  if (nth == 0 && im->header)
    return 0;
  im->rows++;
  const char *raw;
  size_t n;
  trim(r->n ? r->f[0] : "", &raw, &n);
  char num[64];
  snprintf(num, sizeof num, "%.*s", (int)(n < 63 ? n : 63), raw);
  char m[VG_MSISDN_MAX];
  const char *why;
  char vars[VG_CAMPAIGN_VARS_MAX * (VG_CAMPAIGN_VALUE_MAX + 1) + 1];
  if (n > 40 || vg_msisdn_normalize(num, im->c->cfg.country_code, m, &why)) {
    /* Kept for the export as it was written, or its start and its length
     * when it is long: never cut without saying so. */
    char keep[RAW_MAX + 32];
    if (n > RAW_MAX)
      snprintf(keep, sizeof keep, "%.*s... (%zu bytes)", RAW_MAX - 16, raw, n);
    else
      snprintf(keep, sizeof keep, "%.*s", (int)n, raw);
    add_row(im, keep, r->line, "malformed", "");
  } else {
    const char *fate = row_fate(im, r, m, vars, sizeof vars);
    add_row(im, m, r->line, fate, fate[0] ? "" : vars);
  }
  if (im->inbatch == BATCH && batch_send(im) != 0)
    im->failed = 1;
  return 0;
}

/* Is the first record a header?  Its first field names the column
 * ("msisdn", "phone", "手机号"): a field with no digit in it, which no
 * number is. */
static int is_header(const vg_csv_row_t *r) {
  const char *b;
  size_t n;
  trim(r->n ? r->f[0] : "", &b, &n);
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (b[i] >= '0' && b[i] <= '9')
      return 0;
  return 1;
}

/* A record the CSV reader could not read: a row of the file all the
 * same, counted malformed and kept for the export with why; the first
 * few are told on stderr, the rest only counted. */
static void on_bad_record(void *data, long line, const char *why) {
  import_t *im = data;
  if (im->failed || im->stop)
    return;
  im->rows++;
  if (++im->unreadable <= 3)
    vg_cli_bad_row(im->path, line, "%s (counted malformed)", why);
  char keep[300]; /* why is at most 255 bytes: kept whole */
  snprintf(keep, sizeof keep, "(unreadable: %s)", why);
  add_row(im, keep, line, "malformed", "");
  if (im->inbatch == BATCH && batch_send(im) != 0)
    im->failed = 1;
}

/* The first record of the file, for its header: 0, or 2 when the file
 * cannot be read (told): a refusal like the other options', nothing made. */
static int first_record(import_t *im, vg_csv_row_t *r, int *data_rows) {
  struct stat st;
  if (stat(im->path, &st) == 0 && !S_ISREG(st.st_mode))
    return vg_cli_refuse("campaign create", "%s is not a file", im->path);
  FILE *f = fopen(im->path, "rb");
  if (f == NULL)
    return vg_cli_refuse("campaign create", "%s: cannot read: %s", im->path,
                         strerror(errno));
  static char buf[65536];
  size_t len = fread(buf, 1, sizeof buf, f);
  int more = len == sizeof buf;
  fclose(f);
  vg_csv_t p;
  vg_csv_init(&p, buf, len);
  p.comments = 1;
  char why[256];
  int got;
  while ((got = vg_csv_next(&p, r, why, sizeof why)) > 0 && vg_csv_row_blank(r))
    ;
  if (got <= 0)
    r->n = 0;
  /* Any record after it (or after a header) is a row to count; a file
   * longer than what was read has some. */
  int header = is_header(r);
  *data_rows = more || (got != 0 && !header);
  vg_csv_row_t next = {0};
  while (!*data_rows && (got = vg_csv_next(&p, &next, why, sizeof why)) != 0)
    if (got < 0 || !vg_csv_row_blank(&next))
      *data_rows = 1;
  vg_csv_row_free(&next);
  return 0;
}

/* The columns: a header "msisdn,name,..." names them; without one, the
 * first row's "name=value" fields do. */
static int columns(import_t *im, const vg_csv_row_t *r) {
  im->header = is_header(r);
  for (size_t i = 1; i < r->n; i++) {
    const char *name = r->f[i];
    size_t len = strlen(name);
    if (!im->header) {
      const char *eq = strchr(name, '=');
      if (eq == NULL)
        continue;
      len = (size_t)(eq - name);
    }
    if (len == 0)
      continue;
    if (im->ncols == VG_CAMPAIGN_VARS_MAX || len > VG_CAMPAIGN_VAR_NAME_MAX)
      return vg_cli_refuse("campaign create",
                           "%s: at most %d columns of at most %d characters",
                           im->path, VG_CAMPAIGN_VARS_MAX,
                           VG_CAMPAIGN_VAR_NAME_MAX);
    snprintf(im->cols[im->ncols++], VG_CAMPAIGN_VAR_NAME_MAX + 1, "%.*s",
             (int)len, name);
  }
  return 0;
}

/* --- create --------------------------------------------------------------- */

static volatile sig_atomic_t *stopping;
static void on_stop_signal(int sig) {
  (void)sig;
  if (stopping)
    *stopping = 1;
}

/* --segments: "138,1391234", items of 1 to 15 digits, none empty. */
static int check_segments(const char *s) {
  if (*s == '\0')
    return -1;
  for (;;) {
    while (*s == ' ')
      s++;
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 15)
      return -1;
    s += n;
    while (*s == ' ')
      s++;
    if (*s == '\0')
      return 0;
    if (*s++ != ',')
      return -1;
  }
}

/* A time on the command line: local "YYYY-MM-DD HH:MM" or RFC 3339. */
static int parse_time(const char *what, const char *s, long long *ms) {
  if (vg_cli_parse_local(s, ms) == 0)
    return 0;
  *ms = vg_cli_rfc3339_ms(s);
  if (*ms >= 0)
    return 0;
  return vg_cli_refuse("campaign create",
                       "%s '%s': give 'YYYY-MM-DD HH:MM' (local) or RFC 3339",
                       what, s);
}

/* "5" or "2.5" percent -> basis points; -1 when not 0..50 with at most
 * two decimals. */
static long holdout_bp(const char *s) {
  char *end;
  errno = 0;
  long whole = strtol(s, &end, 10);
  long frac = 0;
  if (end == s || errno || whole < 0)
    return -1;
  if (*end == '.') {
    const char *d = end + 1;
    int k = 0;
    while (isdigit((unsigned char)d[k]) && k < 3)
      k++;
    if (k == 0 || k > 2 || d[k] != '\0')
      return -1;
    frac = strtol(d, NULL, 10) * (k == 1 ? 10 : 1);
  } else if (*end != '\0') {
    return -1;
  }
  long bp = whole * 100 + frac;
  return bp <= 5000 ? bp : -1;
}

/* The template's text: "recommend" or "knowledge" (the catalogue's), or a
 * file.  malloc'd, or NULL after saying why. */
static char *template_text(const char *t, const vg_templates_t *tpl) {
  if (strcmp(t, "recommend") == 0)
    return vg_strdup(vg_templates_raw(tpl, VG_TPL_RECOMMEND));
  if (strcmp(t, "knowledge") == 0)
    return vg_strdup(vg_templates_raw(tpl, VG_TPL_KNOWLEDGE));
  size_t len;
  char *text = vg_cli_read_file(t, &len);
  if (text == NULL) {
    vg_cli_fail("campaign create: template %s: %s (give recommend, knowledge "
                "or a file)",
                t, strerror(errno));
    return NULL;
  }
  while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
    text[--len] = '\0';
  return text;
}

/* --region R: the segment table (vasgw segment import), which must know
 * R as a region or a city.  0, or the exit status after saying why. */
static int load_region(cli_t *c, import_t *im) {
  char err[256];
  if (vg_segments_load(c->rc, c->cfg.prefix, &im->segs, err, sizeof err) != 0)
    return vg_cli_fail("campaign create: the segment table: %s", err);
  for (size_t i = 0; i < vg_segments_count(im->segs); i++) {
    const vg_segment_t *g = vg_segments_at(im->segs, i);
    if (strcmp(g->region, im->region) == 0 || strcmp(g->city, im->region) == 0)
      return 0;
  }
  vg_segments_free(im->segs);
  im->segs = NULL;
  return vg_cli_refuse("campaign create",
                       "--region %s: no segment has that region or city "
                       "(vasgw segment list)",
                       im->region);
}

static size_t buckets_for(const char *path) {
  struct stat st;
  size_t rows = stat(path, &st) == 0 ? (size_t)st.st_size / 14 : 1000;
  size_t n = 1;
  /* About 64 numbers a bucket: a small hash Redis keeps compact. */
  while (n * 64 < rows && n < (1u << 20))
    n *= 2;
  return n;
}

static void print_counts(cli_t *c, const char *id);

static int create(cli_t *c, int nw, const char **w) {
  vg_cli_opt_t o[] = {{"--name", 0, NULL},    {"--service", 0, NULL},
                      {"--template", 0, NULL}, {"--targets", 0, NULL},
                      {"--tps", 0, NULL},     {"--start", 0, NULL},
                      {"--end", 0, NULL},     {"--window", 0, NULL},
                      {"--segments", 0, NULL}, {"--region", 0, NULL},
                      {"--holdout", 0, NULL}};
  const char *pos[1];
  int np, rc = vg_cli_options("campaign create", nw, w, 2, o,
                              VG_ARRAY_SIZE(o), pos, 0, &np);
  if (rc)
    return rc;
  const char *name = o[0].value, *svc = o[1].value, *tname = o[2].value,
             *path = o[3].value;
  if (!name || !svc || !tname || !path)
    return vg_cli_usage_error("campaign create: --name, --service, --template "
                              "and --targets are needed");
  size_t nl = vg_cli_width(name);
  if (name[0] == '\0' || nl > NAME_MAX_CHARS || strpbrk(name, "\t\r\n"))
    return vg_cli_refuse("campaign create",
                         "the name must be 1 to %d characters on one line",
                         NAME_MAX_CHARS);
  char code[16];
  if (strlen(svc) >= sizeof code)
    return vg_cli_refuse("campaign create", "no service '%s'", svc);
  for (size_t i = 0; i <= strlen(svc); i++)
    code[i] = (char)toupper((unsigned char)svc[i]);
  long tps = c->cfg.campaign_tps;
  if (o[4].value) {
    char *end;
    tps = strtol(o[4].value, &end, 10);
    if (*end || tps < 1 || tps > 10000)
      return vg_cli_refuse("campaign create", "--tps must be 1 to 10000");
  }
  long long start = 0, end_at = 0, now = vg_now_ms();
  if (o[5].value && (rc = parse_time("--start", o[5].value, &start)))
    return rc;
  if (o[6].value && (rc = parse_time("--end", o[6].value, &end_at)))
    return rc;
  if (end_at && end_at <= (start > now ? start : now))
    return vg_cli_refuse("campaign create",
                         "--end must be later than the start and than now");
  const char *window = o[7].value ? o[7].value : "";
  if (window[0] && vg_clock_quiet_until(window, now) < 0)
    return vg_cli_refuse("campaign create",
                         "--window '%s': give HH:MM-HH:MM (local)", window);
  if (o[8].value && check_segments(o[8].value) != 0)
    return vg_cli_refuse("campaign create",
                         "--segments '%s': give national prefixes of 1 to 15 "
                         "digits, comma-separated (138,1391234), none empty",
                         o[8].value);
  if (o[8].value && o[9].value)
    return vg_cli_usage_error("campaign create: --segments or --region, not "
                              "both");
  long bp = 0;
  if (o[10].value && (bp = holdout_bp(o[10].value)) < 0)
    return vg_cli_refuse("campaign create",
                         "--holdout is a percentage from 0 to 50 with at "
                         "most two decimals (2.5 is 2.5%%)");
  char err[512], target[300] = "", abspath[4096];
  if (o[8].value)
    snprintf(target, sizeof target, "segments %s", o[8].value);
  if (o[9].value)
    snprintf(target, sizeof target, "region %s", o[9].value);

  static import_t im;
  memset(&im, 0, sizeof im);
  im.c = c;
  im.path = path;
  im.segments = o[8].value;
  im.region = o[9].value;
  im.now = now;
  vg_clock_day(im.day, now);
  vg_offer_complaint_since(&c->cfg, now, im.since);
  if (strcmp(path, "-") == 0)
    return vg_cli_refuse("campaign create",
                         "--targets must be a file (it is read twice)");
  vg_csv_row_t first = {0};
  int data_rows = 0;
  if ((rc = first_record(&im, &first, &data_rows)))
    return rc;
  rc = columns(&im, &first);
  vg_csv_row_free(&first);
  if (rc)
    return rc;
  if (data_rows == 0)
    return vg_cli_refuse("campaign create", "%s has no target rows%s", path,
                         im.header ? " (only a header)" : "");

  vg_templates_t *tpl =
      vg_templates_load(c->cfg.templates, c->cfg.locale, err, sizeof err);
  if (tpl == NULL)
    return vg_cli_fail("%s", err);
  char *raw = template_text(tname, tpl);
  if (raw == NULL) {
    vg_templates_free(tpl);
    return 1;
  }
  if (vg_cli_connect(c)) {
    free(raw);
    vg_templates_free(tpl);
    return 1;
  }
  if (im.region && (rc = load_region(c, &im)) != 0) {
    free(raw);
    vg_templates_free(tpl);
    return rc;
  }
  char key[VG_KEY_MAX];
  redisReply *h = redisCommand(c->rc, "HGETALL %s",
                               vg_key(key, c->cfg.prefix, VG_K_SVC, code));
  if (h == NULL || h->type != REDIS_REPLY_ARRAY || h->elements == 0) {
    freeReplyObject(h);
    free(raw);
    vg_templates_free(tpl);
    return vg_cli_refuse("campaign create", "no service %s in the catalogue",
                         code);
  }
  const char *enabled = vg_cli_field(h, "enabled");
  if (enabled == NULL || strcmp(enabled, "1") != 0) {
    freeReplyObject(h);
    free(raw);
    vg_templates_free(tpl);
    return vg_cli_refuse("campaign create",
                         "service %s is disabled (vasgw service set %s "
                         "--enable)",
                         code, code);
  }
  char *optout = vg_templates_render(tpl, VG_TPL_OPTOUT_NOTE, NULL, 0);
  const char *cols[VG_CAMPAIGN_VARS_MAX];
  for (size_t i = 0; i < im.ncols; i++)
    cols[i] = im.cols[i];
  rc = vg_campaign_sms(raw, h, optout, cols, im.ncols, c->cfg.max_parts,
                       &im.sms, err, sizeof err);
  free(optout);
  free(raw);
  freeReplyObject(h);
  vg_templates_free(tpl);
  if (rc != 0)
    return vg_cli_refuse("campaign create", "%s", err);
  char vars[VG_CAMPAIGN_VARS_MAX * (VG_CAMPAIGN_VAR_NAME_MAX + 1) + 1] = "";
  for (size_t i = 0; i < im.sms.nvars; i++) {
    if (i)
      strcat(vars, ",");
    strcat(vars, im.sms.vars[i]);
    for (size_t k = 0; k < im.ncols; k++)
      if (strcasecmp(im.cols[k], im.sms.vars[i]) == 0)
        im.col_of[i] = (int)k + 1;
  }
  char user[300], people[300];
  vg_fn_campaign_create_t a = {.prefix = c->cfg.prefix,
                               .now = now,
                               .name = name,
                               .service = code,
                               .text = im.sms.text,
                               .vars = vars,
                               .tps = tps,
                               .start = start,
                               .end_at = end_at,
                               .window = window,
                               .target = target,
                               .holdout_bp = bp,
                               .user = vg_oplog_user(user, sizeof user),
                               .people = vg_oplog_people(people, sizeof people),
                               .buckets = (long long)buckets_for(path),
                               .file = vg_cli_abspath(path, abspath,
                                                      sizeof abspath)};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_campaign_create(&call, &a);
  redisReply *r = vg_cli_fcall(c, &call);
  vg_fcall_free(&call);
  if (r == NULL || r->type != REDIS_REPLY_STRING) {
    freeReplyObject(r);
    vg_campaign_sms_free(&im.sms);
    return 1;
  }
  char id[VG_ID_MAX + 1];
  snprintf(id, sizeof id, "%s", r->str);
  freeReplyObject(r);
  im.id = id;
  /* In the audit log from the moment it exists: an import of millions
   * takes a while, and one that is stopped is recorded too. */
  vg_cli_audit(c, "campaign.create", "%s \"%s\" service %s from %s", id, name,
               code, abspath);

  batch_start(&im);
  /* Interrupted (Ctrl-C, a pipe closed), the import stops and the
   * campaign is cancelled: never left half imported without a word. */
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {.sa_handler = on_stop_signal};
  sigemptyset(&sa.sa_mask);
  stopping = &im.stop;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  int bad = vg_cli_each_record_or_bad(path, on_row, on_bad_record, &im);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  if (im.unreadable > 3)
    fprintf(stderr, "vasgw: %s: %ld rows in all could not be read as CSV "
                    "(counted malformed)\n",
            path, im.unreadable);
  if (!im.failed && batch_send(&im) != 0)
    im.failed = 1;
  vg_fcall_free(&im.call);
  for (int i = 0; i < im.nown; i++)
    free(im.own[i]);
  while (im.sent > 0)
    if (read_reply(&im) != 0)
      im.failed = 1;
  vg_campaign_sms_free(&im.sms);
  vg_segments_free(im.segs);
  if (bad < 0 || im.failed || im.stop) {
    /* Cancelled, so that nobody approves half a list by mistake. */
    char user2[300], day2[12];
    long long t = vg_now_ms();
    vg_fn_campaign_act_t x = {.prefix = c->cfg.prefix,
                              .id = id,
                              .action = "cancel",
                              .user = vg_oplog_user(user2, sizeof user2),
                              .now = t,
                              .day = vg_clock_day(day2, t),
                              .require_approval = 1,
                              .fates_ttl = fates_ttl(&c->cfg)};
    vg_fn_campaign_act(&call, &x);
    redisReply *cr = vg_cli_fcall(c, &call);
    vg_fcall_free(&call);
    if (cr)
      vg_cli_audit(c, "campaign.cancel", "%s: its import %s after %ld row%s",
                   id, im.stop ? "was interrupted" : "failed", im.rows,
                   im.rows == 1 ? "" : "s");
    freeReplyObject(cr);
    return vg_cli_fail("campaign %s: the import %s after %ld rows; the "
                       "campaign is cancelled (create it again)",
                       id, im.stop ? "was interrupted" : "failed", im.rows);
  }
  vg_fn_campaign_act_t act = {.prefix = c->cfg.prefix,
                              .id = id,
                              .action = "ready",
                              .user = user,
                              .now = vg_now_ms(),
                              .day = im.day,
                              .require_approval = c->cfg.campaign_approval,
                              .fates_ttl = fates_ttl(&c->cfg)};
  vg_fn_campaign_act(&call, &act);
  r = vg_cli_fcall(c, &call);
  vg_fcall_free(&call);
  if (r == NULL)
    return 1;
  freeReplyObject(r);
  vg_cli_audit(c, "campaign.import", "%s: %ld row%s imported", id, im.rows,
               im.rows == 1 ? "" : "s");
  if (c->json) {
    print_counts(c, id);
  } else {
    printf("%s\n", id);
    print_counts(c, id);
    printf("next: vasgw campaign %s %s\n",
           c->cfg.campaign_approval ? "approve" : "start", id);
  }
  return 0;
}

/* --- the funnel ----------------------------------------------------------- */

typedef struct {
  redisReply *c, *n, *mt; /* HGETALLs of the campaign, its funnel, its MT */
  long long left;
} view_t;

static void view_free(view_t *v) {
  freeReplyObject(v->c);
  freeReplyObject(v->n);
  freeReplyObject(v->mt);
  memset(v, 0, sizeof *v);
}

/* 0, or 1 after saying why (no such campaign). */
static int view_read(cli_t *c, const char *id, view_t *v) {
  char k1[VG_KEY_MAX], k2[VG_KEY_MAX], k3[VG_KEY_MAX], k4[VG_KEY_MAX];
  memset(v, 0, sizeof *v);
  redisAppendCommand(c->rc, "HGETALL %s",
                     vg_key(k1, c->cfg.prefix, VG_K_CAMPAIGN, id));
  redisAppendCommand(c->rc, "HGETALL %s",
                     vg_key(k2, c->cfg.prefix, VG_K_CAMPAIGN_COUNTS, id));
  redisAppendCommand(c->rc, "HGETALL %s",
                     vg_key(k3, c->cfg.prefix, VG_K_CAMPAIGN_MT, id));
  redisAppendCommand(c->rc, "LLEN %s",
                     vg_key(k4, c->cfg.prefix, VG_K_CAMPAIGN_QUEUE, id));
  redisReply *r[4] = {0};
  for (int i = 0; i < 4; i++)
    if (redisGetReply(c->rc, (void **)&r[i]) != REDIS_OK) {
      for (int k = 0; k < i; k++)
        freeReplyObject(r[k]);
      return vg_cli_fail("Redis: %s", c->rc->errstr);
    }
  v->c = r[0];
  v->n = r[1];
  v->mt = r[2];
  v->left = r[3]->type == REDIS_REPLY_INTEGER ? r[3]->integer : 0;
  freeReplyObject(r[3]);
  if (v->c->type != REDIS_REPLY_ARRAY || v->c->elements == 0) {
    view_free(v);
    return vg_cli_fail("no campaign %s", id);
  }
  return 0;
}

/* The import's filters, in the order a number is checked (docs/
 * campaigns.md): a number is counted under the first that applies. */
static const char *const FILTERS[] = {
    "malformed",      "off_net",           "outside_target",
    "missing_variable", "text_too_long",   "duplicate",
    "opted_out",      "blocklisted",       "complained",
    "already_subscribed", "order_in_progress", "contacted_recently",
    "cancelled_recently", "daily_limit"};

static double pct(long long part, long long whole) {
  return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* Every field "<prefix><reason>" of h, with its count. */
static long long sum_prefixed(const redisReply *h, const char *prefix) {
  long long s = 0;
  size_t pl = strlen(prefix);
  for (size_t i = 0; i + 1 < h->elements; i += 2)
    if (strncmp(h->element[i]->str, prefix, pl) == 0)
      s += strtoll(h->element[i + 1]->str, NULL, 10);
  return s;
}

static void line(const char *label, long long n, long long of,
                 const char *of_what) {
  printf("  %-26s %10lld", label, n);
  if (of_what)
    printf("  %5.1f%% of %s", pct(n, of), of_what);
  printf("\n");
}

static void prefixed_lines(const redisReply *h, const char *prefix,
                           long long of, const char *of_what) {
  size_t pl = strlen(prefix);
  for (size_t i = 0; i + 1 < h->elements; i += 2)
    if (strncmp(h->element[i]->str, prefix, pl) == 0) {
      char label[80];
      snprintf(label, sizeof label, "  %s", h->element[i]->str + pl);
      line(label, strtoll(h->element[i + 1]->str, NULL, 10), of, of_what);
    }
}

/* The share of the list dealt with: sent, filtered at send, expired,
 * cancelled, of all that were to be messaged. */
static void progress(const view_t *v, long long *done, long long *total) {
  long long queued = vg_cli_num(v->n, "queued");
  *done = queued - v->left;
  *total = queued;
}

static void bar(long long done, long long total) {
  int width = 40, fill = total > 0 ? (int)(width * done / total) : width;
  printf("  [");
  for (int i = 0; i < width; i++)
    putchar(i < fill ? '#' : '.');
  printf("] %5.1f%%\n", total > 0 ? pct(done, total) : 100.0);
}

static void print_text(cli_t *c, const view_t *v) {
  const redisReply *h = v->c, *n = v->n, *mt = v->mt;
  char t1[VG_CLI_WHEN_MAX];
  const char *waiting = vg_cli_str(h, "waiting");
  printf("campaign %s \"%s\": %s%s%s\n", vg_cli_str(h, "id"),
         vg_cli_str(h, "name"), vg_cli_str(h, "state"),
         waiting[0] && strcmp(vg_cli_str(h, "state"), "running") == 0
             ? ", waiting: "
             : "",
         waiting[0] && strcmp(vg_cli_str(h, "state"), "running") == 0
             ? (strcmp(waiting, "quiet_hours") == 0 ? "quiet hours"
                : strcmp(waiting, "window") == 0    ? "outside its window"
                : strcmp(waiting, "start") == 0     ? "its start time"
                : strcmp(waiting, "backpressure") == 0
                    ? "the SMSC takes them slower than its rate"
                    : waiting)
             : "");
  long long ends = vg_cli_num(h, "end");
  if (strcmp(vg_cli_str(h, "state"), "paused") == 0 && ends > 0 &&
      ends <= vg_now_ms())
    printf("  its end has passed: what is left will not be sent (resume "
           "completes it, cancel cancels it)\n");
  if (strcmp(vg_cli_str(h, "state"), "importing") == 0)
    printf("  its import has not finished: a vasgw campaign create still "
           "running, or one that was stopped (then: vasgw campaign cancel "
           "%s)\n",
           vg_cli_str(h, "id"));
  printf("  service %s, %lld/s", vg_cli_str(h, "service"),
         vg_cli_num(h, "tps"));
  if (vg_cli_str(h, "window")[0])
    printf(", window %s", vg_cli_str(h, "window"));
  if (vg_cli_num(h, "holdout_bp"))
    printf(", holdout %.2f%%", vg_cli_num(h, "holdout_bp") / 100.0);
  if (vg_cli_str(h, "target")[0])
    printf(", %s", vg_cli_str(h, "target"));
  printf("\n  created %s by %s", vg_cli_local(t1, vg_cli_num(h, "created"),
                                              VG_CLI_TIME),
         vg_cli_str(h, "creator"));
  if (vg_cli_field(h, "approve_by"))
    printf("; approved by %s", vg_cli_str(h, "approve_by"));
  if (vg_cli_field(h, "start_at"))
    printf("; started %s", vg_cli_local(t1, vg_cli_num(h, "start_at"),
                                        VG_CLI_TIME));
  printf("\n");
  if (vg_cli_num(h, "start") > 0)
    printf("  not before %s\n",
           vg_cli_local(t1, vg_cli_num(h, "start"), VG_CLI_TIME));
  if (vg_cli_num(h, "end") > 0)
    printf("  ends %s\n", vg_cli_local(t1, vg_cli_num(h, "end"), VG_CLI_TIME));

  long long targets = vg_cli_num(n, "targets");
  long long filtered = sum_prefixed(n, "filtered:");
  long long hold = vg_cli_num(n, "holdout");
  long long queued = vg_cli_num(n, "queued");
  long long sent = vg_cli_num(n, "sent");
  printf("targets\n");
  line("rows", targets, 0, NULL);
  line("filtered at import", filtered, targets, "rows");
  for (size_t i = 0; i < VG_ARRAY_SIZE(FILTERS); i++) {
    char f[64], label[64];
    snprintf(f, sizeof f, "filtered:%s", FILTERS[i]);
    snprintf(label, sizeof label, "  %s", FILTERS[i]);
    if (vg_cli_num(n, f))
      line(label, vg_cli_num(n, f), targets, "rows");
  }
  line("held out (not messaged)", hold, targets, "rows");
  line("to message", queued, targets, "rows");
  printf("sending\n");
  long long done, total;
  progress(v, &done, &total);
  bar(done, total);
  line("sent (offers made)", sent, queued, "to message");
  long long fs = sum_prefixed(n, "filtered_send:");
  line("filtered at send", fs, queued, "to message");
  prefixed_lines(n, "filtered_send:", queued, "to message");
  if (vg_cli_num(n, "expired"))
    line("not sent: ended", vg_cli_num(n, "expired"), queued, "to message");
  if (vg_cli_num(n, "cancelled"))
    line("not sent: cancelled", vg_cli_num(n, "cancelled"), queued,
         "to message");
  line("still to send", v->left, queued, "to message");
  printf("messages\n");
  line("submitted", vg_cli_num(mt, "submitted"), sent, "sent");
  line("accepted", vg_cli_num(mt, "accepted"), sent, "sent");
  line("delivered", vg_cli_num(mt, "delivered"), sent, "sent");
  line("failed", vg_cli_num(mt, "failed"), sent, "sent");
  prefixed_lines(mt, "failed:", sent, "sent");
  printf("answers\n");
  line("replied", vg_cli_num(n, "replied"), sent, "sent");
  line("confirmed", vg_cli_num(n, "confirmed"), sent, "sent");
  line("declined", vg_cli_num(n, "declined"), sent, "sent");
  line("activated", vg_cli_num(n, "activated"), sent, "sent");
  if (vg_cli_num(n, "activation_failed"))
    line("activation failed", vg_cli_num(n, "activation_failed"), sent,
         "sent");
  long long mc = vg_cli_num(n, "messaged_charged");
  long long hc = vg_cli_num(n, "holdout_charged");
  printf("billing feed (charged for %s since the start)\n",
         vg_cli_str(h, "service"));
  line("messaged and charged", mc, sent, "sent");
  line("valid developments", vg_cli_num(n, "valid"), sent, "sent");
  if (hold > 0) {
    line("held out and charged", hc, hold, "held out");
    printf("  %-26s %+9.2f points (%.2f%% against %.2f%%)\n", "lift",
           pct(mc, sent) - pct(hc, hold), pct(mc, sent), pct(hc, hold));
  }
  (void)c;
}

static void json_counts(const char *name, const redisReply *h) {
  printf(",\"%s\":{", name);
  for (size_t i = 0; i + 1 < h->elements; i += 2) {
    if (i)
      putchar(',');
    vg_cli_json_str(stdout, h->element[i]->str);
    printf(":%s", h->element[i + 1]->str);
  }
  putchar('}');
}

static void print_json(const view_t *v) {
  const redisReply *h = v->c;
  static const char *const texts[] = {"id", "name", "service", "state",
                                      "waiting", "window", "target", "creator",
                                      "approve_by", "start_by", "file"};
  /* The campaign's own times, then when each action was taken, named so
   * that no two give the same "..._time" (vg_cli_json_time). */
  static const char *const times[][2] = {
      {"created", "created"},       {"start", "start"},
      {"end", "end"},               {"approve_at", "approved_at"},
      {"start_at", "started_at"},   {"pause_at", "paused_at"},
      {"cancel_at", "cancelled_at"}, {"completed_at", "completed_at"}};
  printf("{");
  for (size_t i = 0; i < VG_ARRAY_SIZE(texts); i++)
    vg_cli_json_member(texts[i], vg_cli_str(h, texts[i]), i == 0);
  printf(",\"tps\":%lld,\"holdout_pct\":%.2f", vg_cli_num(h, "tps"),
         vg_cli_num(h, "holdout_bp") / 100.0);
  for (size_t i = 0; i < VG_ARRAY_SIZE(times); i++) {
    printf(",\"%s\":%lld", times[i][1], vg_cli_num(h, times[i][0]));
    vg_cli_json_time(stdout, times[i][1], vg_cli_num(h, times[i][0]));
  }
  printf(",\"left\":%lld", v->left);
  json_counts("funnel", v->n);
  json_counts("messages", v->mt);
  long long sent = vg_cli_num(v->n, "sent"), hold = vg_cli_num(v->n, "holdout");
  double mr = pct(vg_cli_num(v->n, "messaged_charged"), sent),
         hr = pct(vg_cli_num(v->n, "holdout_charged"), hold);
  printf(",\"messaged_charged_pct\":%.4f", mr);
  if (hold > 0)
    printf(",\"holdout_charged_pct\":%.4f,\"lift_points\":%.4f", hr, mr - hr);
  printf("}\n");
}

static void print_counts(cli_t *c, const char *id) {
  view_t v;
  if (view_read(c, id, &v) != 0)
    return;
  if (c->json) {
    print_json(&v);
  } else {
    long long filtered = sum_prefixed(v.n, "filtered:");
    printf("  rows %lld: to message %lld, held out %lld, filtered %lld",
           vg_cli_num(v.n, "targets"), vg_cli_num(v.n, "queued"),
           vg_cli_num(v.n, "holdout"), filtered);
    const char *sep = " (";
    for (size_t i = 0; i < VG_ARRAY_SIZE(FILTERS); i++) {
      char f[64];
      snprintf(f, sizeof f, "filtered:%s", FILTERS[i]);
      if (vg_cli_num(v.n, f)) {
        printf("%s%s %lld", sep, FILTERS[i], vg_cli_num(v.n, f));
        sep = ", ";
      }
    }
    printf("%s\n", sep[0] == ',' ? ")" : "");
  }
  view_free(&v);
}

/* A campaign's id as typed: "c7" is C7 (ids are C and a number). */
static const char *campaign_id(const char *typed) {
  static char id[VG_ID_MAX + 1];
  snprintf(id, sizeof id, "%s", typed);
  if (id[0] == 'c' && id[1] >= '0' && id[1] <= '9')
    id[0] = 'C';
  return id;
}

/* The campaign a command names (one word besides its options), read:
 * 0 with *v filled (view_free it), or the exit status after saying why. */
/* The campaign a command names, its options parsed, connected: 0, or the
 * exit status after saying why. */
static int named_campaign(cli_t *c, const char *cmd, int nw, const char **w,
                          vg_cli_opt_t *o, size_t no, const char **pos) {
  int np, rc = vg_cli_options(cmd, nw, w, 2, o, no, pos, 1, &np);
  if (rc)
    return rc;
  if (np != 1)
    return vg_cli_usage_error("%s: which campaign?", cmd);
  if ((rc = vg_cli_check_id(cmd, "campaign", pos[0])))
    return rc;
  pos[0] = campaign_id(pos[0]);
  return vg_cli_connect(c) ? 1 : 0;
}

static int one_campaign(cli_t *c, const char *cmd, int nw, const char **w,
                        vg_cli_opt_t *o, size_t no, const char **pos,
                        view_t *v) {
  int rc = named_campaign(c, cmd, nw, w, o, no, pos);
  return rc ? rc : view_read(c, pos[0], v) != 0;
}

/* --- status --------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;
static void on_int(int sig) {
  (void)sig;
  interrupted = 1;
}

static int final(const view_t *v) {
  const char *st = vg_cli_str(v->c, "state");
  return strcmp(st, "completed") == 0 || strcmp(st, "cancelled") == 0;
}

static int status(cli_t *c, int nw, const char **w) {
  vg_cli_opt_t o[] = {{"--watch", 1, NULL}};
  const char *pos[1];
  view_t v;
  int rc = one_campaign(c, "campaign status", nw, w, o, 1, pos, &v);
  if (rc)
    return rc;
  if (!o[0].value) {
    c->json ? print_json(&v) : print_text(c, &v);
    view_free(&v);
    return 0;
  }
  /* --watch: on a terminal the view is redrawn in place each second, with
   * the send rate and what is left's ETA; otherwise (--json, a pipe) one
   * view a second, until the campaign ends or Ctrl-C. */
  int tty = isatty(STDOUT_FILENO) && !c->json;
  signal(SIGINT, on_int);
  /* The rate is of SMS sent (not of recipients filtered at send), over
   * the last ten views; the time left is what is left at that rate. */
  enum { SAMPLES = 10 };
  long long sent_at[SAMPLES], t_at[SAMPLES];
  int ns = 0;
  double rate = 0;
  for (;;) {
    long long done, total, t = vg_now_ms();
    progress(&v, &done, &total);
    long long sent = vg_cli_num(v.n, "sent");
    if (ns == SAMPLES) {
      memmove(sent_at, sent_at + 1, (SAMPLES - 1) * sizeof *sent_at);
      memmove(t_at, t_at + 1, (SAMPLES - 1) * sizeof *t_at);
      ns--;
    }
    sent_at[ns] = sent;
    t_at[ns++] = t;
    rate = ns > 1 && t > t_at[0] ? (double)(sent - sent_at[0]) * 1000.0 /
                                       (double)(t - t_at[0])
                                 : 0;
    if (tty)
      printf("\033[H\033[J");
    if (c->json) {
      print_json(&v);
    } else {
      print_text(c, &v);
      double left_s = rate > 0.05 ? (double)(total - done) / rate : 0;
      long long ends = vg_cli_num(v.c, "end");
      if (ends > 0 && (double)(ends - t) / 1000.0 < left_s)
        printf("sending %.1f/s, about %.0f s left: the end comes first, in "
               "%.0f s\n",
               rate, left_s, (double)(ends - t) / 1000.0);
      else if (rate > 0.05)
        printf("sending %.1f/s, about %.0f s left\n", rate, left_s);
      else
        printf("sending 0/s\n");
    }
    fflush(stdout);
    int end = final(&v);
    view_free(&v);
    if (end || interrupted)
      break;
    sleep(1);
    if (interrupted || view_read(c, pos[0], &v) != 0)
      break;
  }
  return 0;
}

/* --- list ----------------------------------------------------------------- */

static int list(cli_t *c, int nw, const char **w) {
  const char *pos[1];
  int np, rc = vg_cli_options("campaign list", nw, w, 2, NULL, 0, pos, 0, &np);
  if (rc)
    return rc;
  if (vg_cli_connect(c))
    return 1;
  char key[VG_KEY_MAX];
  redisReply *ids = redisCommand(c->rc, "ZREVRANGE %s 0 -1",
                                 vg_key(key, c->cfg.prefix, "%s",
                                        VG_K_CAMPAIGNS));
  if (ids == NULL || ids->type != REDIS_REPLY_ARRAY) {
    freeReplyObject(ids);
    return vg_cli_fail("Redis: %s", c->rc->errstr);
  }
  if (c->json)
    printf("[");
  else if (ids->elements == 0)
    printf("(no campaigns)\n");
  else
    printf("%-8s %-10s %-8s %10s %10s %10s  %s\n", "ID", "STATE", "SERVICE",
           "TO MESSAGE", "SENT", "LEFT", "NAME");
  for (size_t i = 0; i < ids->elements; i++) {
    view_t v;
    if (view_read(c, ids->element[i]->str, &v) != 0)
      continue;
    if (c->json) {
      if (i)
        putchar(',');
      print_json(&v);
    } else {
      printf("%-8s %-10s %-8s %10lld %10lld %10lld  %s\n",
             vg_cli_str(v.c, "id"), vg_cli_str(v.c, "state"),
             vg_cli_str(v.c, "service"), vg_cli_num(v.n, "queued"),
             vg_cli_num(v.n, "sent"), v.left, vg_cli_str(v.c, "name"));
    }
    view_free(&v);
  }
  if (c->json)
    printf("]\n");
  freeReplyObject(ids);
  return 0;
}

/* --- the lifecycle -------------------------------------------------------- */

static int act(cli_t *c, int nw, const char **w) {
  const char *action = w[1];
  char cmd[32];
  snprintf(cmd, sizeof cmd, "campaign %s", action);
  const char *pos[1];
  int rc = named_campaign(c, cmd, nw, w, NULL, 0, pos);
  if (rc)
    return rc;
  char user[300], people[300], day[12];
  long long now = vg_now_ms();
  vg_fn_campaign_act_t a = {.prefix = c->cfg.prefix,
                            .id = pos[0],
                            .action = action,
                            .user = vg_oplog_user(user, sizeof user),
                            .people = vg_oplog_people(people, sizeof people),
                            .now = now,
                            .day = vg_clock_day(day, now),
                            .require_approval = c->cfg.campaign_approval,
                            .fates_ttl = fates_ttl(&c->cfg)};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_campaign_act(&call, &a);
  redisReply *r = vg_cli_fcall(c, &call);
  vg_fcall_free(&call);
  if (r == NULL)
    return 1;
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
    freeReplyObject(r);
    return vg_cli_fail("%s: unexpected answer", cmd);
  }
  const char *res = r->element[0]->str, *state = r->element[1]->str;
  rc = 0;
  if (strcmp(res, "refused") == 0) {
    rc = vg_cli_fail("%s %s: %s", cmd, pos[0],
                     r->elements > 2 ? r->element[2]->str : "refused");
  } else {
    char what[32];
    snprintf(what, sizeof what, "campaign.%s", action);
    if (strcmp(res, "ok") == 0)
      vg_cli_audit(c, what, "%s -> %s", pos[0], state);
    if (c->json)
      printf("{\"id\":\"%s\",\"state\":\"%s\",\"changed\":%s}\n", pos[0],
             state, strcmp(res, "ok") == 0 ? "true" : "false");
    else
      printf("campaign %s: %s%s\n", pos[0], state,
             strcmp(res, "ok") == 0 ? "" : " already");
  }
  freeReplyObject(r);
  return rc;
}

/* --- export --------------------------------------------------------------- */

/* A CSV field, quoted when it must be (RFC 4180). */
static void csv_field(FILE *f, const char *s, int last) {
  if (strpbrk(s, ",\"\r\n")) {
    fputc('"', f);
    for (; *s; s++) {
      if (*s == '"')
        fputc('"', f);
      fputc(*s, f);
    }
    fputc('"', f);
  } else {
    fputs(s, f);
  }
  fputc(last ? '\n' : ',', f);
}

static const char *FATE_WORDS[][2] = {
    {"q", "queued"}, {"h", "holdout"}, {"s", "sent"},
    {"e", "ended"},  {"c", "cancelled"}};

/* One bucket's recipients: their fates, and for those sent their offer,
 * message and order, read in one pipeline. */
static int export_bucket(cli_t *c, FILE *f, const char *id, size_t b,
                         const char *rest, long *rows) {
  char key[VG_KEY_MAX], bs[24];
  snprintf(bs, sizeof bs, "%zu", b);
  redisReply *h = redisCommand(c->rc, "HGETALL %s",
                               vg_key(key, c->cfg.prefix, VG_K_CAMPAIGN_FATES,
                                      id, bs));
  if (h == NULL || h->type != REDIS_REPLY_ARRAY) {
    freeReplyObject(h);
    return vg_cli_fail("Redis: %s", c->rc->errstr);
  }
  size_t n = h->elements / 2;
  for (size_t i = 0; i < n; i++) {
    char oid[VG_ID_MAX + 1], k2[VG_KEY_MAX], mid[VG_ID_MAX + 8];
    snprintf(oid, sizeof oid, "%s.%s", id, h->element[2 * i]->str);
    snprintf(mid, sizeof mid, "of-%s", oid);
    redisAppendCommand(c->rc, "HMGET %s state code order",
                       vg_key(k2, c->cfg.prefix, VG_K_OFFER, oid));
    redisAppendCommand(c->rc, "HMGET %s state error",
                       vg_key(k2, c->cfg.prefix, VG_K_MSG, mid));
  }
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    redisReply *o = NULL, *m = NULL;
    if (redisGetReply(c->rc, (void **)&o) != REDIS_OK ||
        redisGetReply(c->rc, (void **)&m) != REDIS_OK) {
      freeReplyObject(o);
      rc = vg_cli_fail("Redis: %s", c->rc->errstr);
      break;
    }
    const char *msisdn = h->element[2 * i]->str, *fate = h->element[2 * i + 1]->str;
    if (fate[0] == 'q' && rest[0])
      fate = rest;
    char base[8], reason[64] = "";
    snprintf(base, sizeof base, "%.1s", fate);
    const char *word = base;
    if (fate[0] == 'f' || fate[0] == 'x') {
      word = fate[0] == 'f' ? "filtered" : "filtered_at_send";
      snprintf(reason, sizeof reason, "%s", fate + 2);
    } else {
      for (size_t k = 0; k < VG_ARRAY_SIZE(FATE_WORDS); k++)
        if (fate[0] == FATE_WORDS[k][0][0])
          word = FATE_WORDS[k][1];
    }
    int sent = fate[0] == 's';
    const char *charged = strchr(fate, '+') ? "yes" : "";
    char oid[VG_ID_MAX + 1], mid[VG_ID_MAX + 8];
    snprintf(oid, sizeof oid, "%s.%s", id, msisdn);
    snprintf(mid, sizeof mid, "of-%s", oid);
#define EL(r, k) \
  ((r)->type == REDIS_REPLY_ARRAY && (r)->element[k]->str ? (r)->element[k]->str : "")
    csv_field(f, msisdn, 0);
    csv_field(f, word, 0);
    csv_field(f, reason, 0);
    csv_field(f, sent ? mid : "", 0);
    csv_field(f, sent ? EL(m, 0) : "", 0);
    csv_field(f, sent ? EL(m, 1) : "", 0);
    csv_field(f, sent ? EL(o, 0) : "", 0);
    csv_field(f, sent ? EL(o, 2) : "", 0);
    csv_field(f, charged, 1);
#undef EL
    (*rows)++;
    freeReplyObject(o);
    freeReplyObject(m);
  }
  freeReplyObject(h);
  return rc;
}

static int export_(cli_t *c, int nw, const char **w) {
  vg_cli_opt_t o[] = {{"--file", 0, NULL}};
  const char *pos[1];
  view_t v;
  int rc = one_campaign(c, "campaign export", nw, w, o, 1, pos, &v);
  if (rc)
    return rc;
  if (!o[0].value) {
    view_free(&v);
    return vg_cli_usage_error("campaign export: ID --file FILE.csv");
  }
  long long nb = vg_cli_num(v.c, "buckets");
  /* An ended campaign's recipients still queued were dropped whole: their
   * fate is the campaign's rest (e: ended, c: cancelled). */
  char rest[4];
  snprintf(rest, sizeof rest, "%.1s", vg_cli_str(v.c, "rest"));
  view_free(&v);
  FILE *f = strcmp(o[0].value, "-") == 0 ? stdout : fopen(o[0].value, "w");
  if (f == NULL)
    return vg_cli_fail("campaign export: %s: %s", o[0].value, strerror(errno));
  fprintf(f, "msisdn,fate,reason,message,message_state,message_error,"
             "offer_state,order,charged\n");
  long rows = 0;
  for (long long b = 0; rc == 0 && b < nb; b++)
    rc = export_bucket(c, f, pos[0], (size_t)b, rest, &rows);
  /* The rows that named no number, by their line in the file. */
  char key[VG_KEY_MAX];
  redisReply *bad = rc ? NULL
                       : redisCommand(c->rc, "LRANGE %s 0 -1",
                                      vg_key(key, c->cfg.prefix,
                                             VG_K_CAMPAIGN_BAD, pos[0]));
  if (bad && bad->type == REDIS_REPLY_ARRAY)
    for (size_t i = 0; i < bad->elements; i++) {
      const char *e = bad->element[i]->str, *tab = strchr(e, '\t');
      char where[48];
      snprintf(where, sizeof where, "line %.*s", tab ? (int)(tab - e) : 0, e);
      csv_field(f, tab ? tab + 1 : e, 0);
      csv_field(f, "filtered", 0);
      csv_field(f, "malformed", 0);
      for (int k = 0; k < 5; k++)
        csv_field(f, "", 0);
      csv_field(f, where, 1);
      rows++;
    }
  freeReplyObject(bad);
  if (f != stdout && fclose(f) != 0 && rc == 0)
    rc = vg_cli_fail("campaign export: %s: %s", o[0].value, strerror(errno));
  if (rc == 0 && f != stdout) {
    if (c->json)
      printf("{\"id\":\"%s\",\"file\":", pos[0]), vg_cli_json_str(stdout, o[0].value),
          printf(",\"rows\":%ld}\n", rows);
    else
      printf("campaign %s: %ld rows written to %s\n", pos[0], rows, o[0].value);
  }
  return rc;
}

/* --- the commands (cli/commands.def) ------------------------------------- */

int vg_cli_campaign_create(cli_t *c, int nw, const char **w) {
  return create(c, nw, w);
}
int vg_cli_campaign_act(cli_t *c, int nw, const char **w) {
  return act(c, nw, w);
}
int vg_cli_campaign_status(cli_t *c, int nw, const char **w) {
  return status(c, nw, w);
}
int vg_cli_campaign_list(cli_t *c, int nw, const char **w) {
  return list(c, nw, w);
}
int vg_cli_campaign_export(cli_t *c, int nw, const char **w) {
  return export_(c, nw, w);
}
