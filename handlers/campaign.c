/*
 * campaign.c — see campaign.h.
 */
#include "handlers/campaign.h"
#include "gateway/clock.h"
#include "gateway/mt_queue.h"
#include "gateway/redis.h"
#include "gateway/vg.h"
#include "handlers/offers.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A growing string. */
typedef struct {
  char *s;
  size_t len, cap;
} buf_t;

static void put(buf_t *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->s = vg_realloc(b->s, b->cap);
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

/* The placeholder at `p` ("{{name}}", name of [A-Za-z0-9_]): its name's
 * length, 0 when `p` starts none. */
static size_t placeholder(const char *p) {
  if (p[0] != '{' || p[1] != '{')
    return 0;
  size_t n = 0;
  while (isalnum((unsigned char)p[2 + n]) || p[2 + n] == '_')
    n++;
  return n > 0 && p[2 + n] == '}' && p[3 + n] == '}' ? n : 0;
}

static const char *value_of(const vg_tpl_var_t *vars, size_t n,
                            const char *name, size_t len) {
  for (size_t i = 0; i < n; i++)
    if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
      return vars[i].value ? vars[i].value : "";
  return NULL;
}

char *vg_campaign_fill(const char *text, const vg_tpl_var_t *vars, size_t n,
                       int keep) {
  buf_t b = {0};
  put(&b, "", 0);
  for (const char *p = text; *p;) {
    size_t len = placeholder(p);
    if (len == 0) {
      put(&b, p++, 1);
      continue;
    }
    const char *v = value_of(vars, n, p + 2, len);
    if (v)
      put(&b, v, strlen(v));
    else if (keep)
      put(&b, p, len + 4);
    p += len + 4;
  }
  return b.s;
}

/* The service's fields a template may name. */
static const char *const FIELDS[] = {"service_name", "service_code", "price",
                                     "knowledge",    "usage",        "cancel",
                                     "code",         "optout"};

static int is_field(const char *name, size_t len) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(FIELDS); i++)
    if (strlen(FIELDS[i]) == len && strncasecmp(FIELDS[i], name, len) == 0)
      return 1;
  return 0;
}

static const char *field(const redisReply *svc, const char *name) {
  const char *v = vg_reply_field(svc, name);
  return v ? v : "";
}

int vg_campaign_sms(const char *raw, const redisReply *svc, const char *optout,
                    const char *const *columns, size_t ncolumns, int max_parts,
                    vg_campaign_sms_t *out, char *err, size_t errsz) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < ncolumns; i++)
    if (is_field(columns[i], strlen(columns[i]))) {
      snprintf(err, errsz,
               "the target file's column '%s' has the name of a service "
               "field; rename it",
               columns[i]);
      return -1;
    }
  int has_code = 0, has_optout = 0;
  for (const char *p = raw; *p; p++) {
    size_t len = placeholder(p);
    if (len == 0 && p[0] == '{' && p[1] == '{') {
      /* "{{ code }}", "{{城市}}": no placeholder to the renderer, so it
       * would reach the subscriber as it is written. */
      const char *end = strstr(p, "}}");
      int n = end ? (int)(end - p) + 2 : (int)strlen(p);
      snprintf(err, errsz,
               "the template's %.*s is not a placeholder: a name between "
               "{{ and }} is letters A-Z a-z, digits and _, with no spaces "
               "(a column used in the template needs such a name in the "
               "header)",
               n > 60 ? 60 : n, p);
      return -1;
    }
    if (len == 0)
      continue;
    const char *name = p + 2;
    if (len == 4 && memcmp(name, "code", 4) == 0)
      has_code = 1;
    else if (len == 6 && memcmp(name, "optout", 6) == 0)
      has_optout = 1;
    else if (!is_field(name, len)) {
      /* A column by its header's name in any case ("Name" is {{name}}). */
      size_t c = 0;
      while (c < ncolumns && (strlen(columns[c]) != len ||
                              strncasecmp(columns[c], name, len) != 0))
        c++;
      if (c == ncolumns) {
        snprintf(err, errsz,
                 "the template's {{%.*s}} is neither a service field "
                 "(service_name, service_code, price, knowledge, usage, "
                 "cancel, code, optout) nor a column of the target file",
                 (int)len, name);
        return -1;
      }
      /* Listed as the template spells it: the renderer at send time
       * looks the value up by that name. */
      size_t k = 0;
      while (k < out->nvars && (strlen(out->vars[k]) != len ||
                                memcmp(out->vars[k], name, len) != 0))
        k++;
      if (k == out->nvars) {
        if (out->nvars == VG_CAMPAIGN_VARS_MAX) {
          snprintf(err, errsz, "the template uses more than %d columns",
                   VG_CAMPAIGN_VARS_MAX);
          return -1;
        }
        snprintf(out->vars[out->nvars++], VG_CAMPAIGN_VAR_NAME_MAX + 1, "%.*s",
                 (int)len, name);
      }
    }
    p += len + 3;
  }
  if (!has_code) {
    snprintf(err, errsz,
             "the template has no {{code}}: the subscriber would not know "
             "what to reply");
    return -1;
  }
  vg_tpl_var_t vars[] = {
      {"service_name", field(svc, "name")[0] ? field(svc, "name")
                                               : field(svc, "code")},
      {"service_code", field(svc, "code")},
      {"price", field(svc, "price")},
      {"knowledge", field(svc, "knowledge")},
      {"usage", field(svc, "usage")},
      {"cancel", field(svc, "cancel")},
      {"code", VG_OFFER_CODE_MARK},
      {"optout", optout},
  };
  out->text = vg_campaign_fill(raw, vars, VG_ARRAY_SIZE(vars), 1);
  /* The wording itself, or its placeholder: the subscriber must be told
   * how to stop these. */
  if (!has_optout && (optout[0] == '\0' || strstr(out->text, optout) == NULL)) {
    snprintf(err, errsz,
             "the template has no opt-out wording: put {{optout}} in it (\"%s\")",
             optout);
    vg_campaign_sms_free(out);
    return -1;
  }
  const char *empty[VG_CAMPAIGN_VARS_MAX] = {0};
  for (size_t i = 0; i < out->nvars; i++)
    empty[i] = "";
  char *t = vg_campaign_row_text(out, empty), why[VG_MT_WHY_MAX];
  int rc = vg_mt_check_text(t, strlen(t), max_parts, &out->nparts, why);
  free(t);
  if (rc != 0) {
    snprintf(err, errsz, "the campaign's SMS: %s", why);
    vg_campaign_sms_free(out);
    return -1;
  }
  return 0;
}

void vg_campaign_sms_free(vg_campaign_sms_t *s) {
  free(s->text);
  s->text = NULL;
}

char *vg_campaign_row_text(const vg_campaign_sms_t *s,
                           const char *const *values) {
  vg_tpl_var_t vars[VG_CAMPAIGN_VARS_MAX];
  for (size_t i = 0; i < s->nvars; i++) {
    vars[i].name = s->vars[i];
    vars[i].value = values[i];
  }
  char *t = vg_campaign_fill(s->text, vars, s->nvars, 0);
  for (char *m = t; (m = strstr(m, VG_OFFER_CODE_MARK)) != NULL; m++)
    *m = '1';
  return t;
}

/* "HH:MM-HH:MM" the other way round: the time outside it. */
static int complement(const char *w, char out[16]) {
  const char *dash = strchr(w, '-');
  if (dash == NULL || dash - w > 5 || strlen(dash + 1) > 5)
    return -1;
  snprintf(out, 16, "%s-%.*s", dash + 1, (int)(dash - w), w);
  return 0;
}

static void earliest(int64_t *at, int64_t t) {
  if (t > 0 && (*at == 0 || t < *at))
    *at = t;
}

const char *vg_campaign_gate(const char *quiet, const char *window,
                             int64_t end, int64_t now, int64_t *until,
                             int64_t *expire_at) {
  char c[16];
  *until = 0;
  *expire_at = 0;
  if (quiet && quiet[0]) {
    int64_t q = vg_clock_quiet_until(quiet, now);
    if (q > 0) {
      *until = q;
      return "quiet_hours";
    }
    /* Outside quiet hours: they begin when the time outside them ends. */
    if (complement(quiet, c) == 0)
      earliest(expire_at, vg_clock_quiet_until(c, now));
  }
  if (window && window[0]) {
    int64_t w = vg_clock_quiet_until(window, now);
    if (w <= 0) {
      *until = complement(window, c) == 0 ? vg_clock_quiet_until(c, now) : 0;
      *expire_at = 0;
      return "window";
    }
    earliest(expire_at, w);
  }
  earliest(expire_at, end);
  return "";
}

int vg_campaign_every(int tps) {
  if (tps <= 0)
    return 50;
  int every = 1000 / tps;
  return every < 5 ? 5 : every > 50 ? 50 : every;
}
