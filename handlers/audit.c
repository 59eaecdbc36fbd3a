/*
 * audit.c — the seven audit rules of the commission ledger
 * (handlers/audit.h).  The ledger code feeds it one development with the
 * subscriber's other developments and facts; settlement counts the answers.
 *
 * Each rule is a window on the calendar around the activation day A.  The
 * duplicate and rebate windows are measured in months and share their
 * boundary A - duplicate_months, so together they cover
 * [A - rebate_months, A) exactly once; the fact windows are in days.
 */
#include "handlers/audit.h"

#include <stdio.h>
#include <string.h>

#include "gateway/vg.h"
#include "handlers/ledger_date.h"

/* The catalogue's code limit, without pulling hiredis into a pure module. */
#define VG_SVC_CODE_MAX_EXPECTED 8
_Static_assert(VG_LEDGER_SVC_MAX == VG_SVC_CODE_MAX_EXPECTED,
               "service code limit differs from handlers/catalogue.h");

static const char *const rule_names[VG_AUDIT_RULE_END] = {
    "valid",
#define XX(id, name) name,
    VG_AUDIT_RULE_MAP(XX)
#undef XX
};

static const char *const event_names[VG_FACT_EVENT_END] = {
#define XX(id, name) name,
    VG_FACT_EVENT_MAP(XX)
#undef XX
};

/* The windows as a table: name, bounds, default, field (STYLE.md, "Tables"). */
static const struct {
  const char *name;
  int min, max, def;
  size_t off;
} windows[] = {
    {"duplicate_months", 0, 120, 3,
     offsetof(vg_audit_windows_t, duplicate_months)},
    {"rebate_months", 0, 120, 6, offsetof(vg_audit_windows_t, rebate_months)},
    {"retention_days", 0, 3660, 60,
     offsetof(vg_audit_windows_t, retention_days)},
    {"voice_days", 0, 3660, 60, offsetof(vg_audit_windows_t, voice_days)},
};

#define WINDOW(w, i) (*(int *)((char *)(w) + windows[i].off))
#define CWINDOW(w, i) (*(const int *)((const char *)(w) + windows[i].off))

const char *vg_audit_rule_name(int rule) {
  if (rule < 0 || rule >= VG_AUDIT_RULE_END)
    return NULL;
  return rule_names[rule];
}

int vg_audit_rule_parse(const char *name, int *rule) {
  for (int i = 0; name != NULL && i < VG_AUDIT_RULE_END; i++)
    if (strcmp(name, rule_names[i]) == 0) {
      *rule = i;
      return 0;
    }
  return VG_EINVAL;
}

const char *vg_fact_event_name(int event) {
  if (event < 0 || event >= VG_FACT_EVENT_END)
    return NULL;
  return event_names[event];
}

int vg_fact_event_parse(const char *name, vg_fact_event_t *event) {
  for (int i = 0; name != NULL && i < VG_FACT_EVENT_END; i++)
    if (strcmp(name, event_names[i]) == 0) {
      *event = (vg_fact_event_t)i;
      return 0;
    }
  return VG_EINVAL;
}

void vg_audit_windows_default(vg_audit_windows_t *w) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(windows); i++)
    WINDOW(w, i) = windows[i].def;
}

int vg_audit_windows_check(const vg_audit_windows_t *w, char *why,
                           size_t whysz) {
  char dummy[1];

  if (why == NULL) {
    why = dummy;
    whysz = sizeof dummy;
  }
  for (size_t i = 0; i < VG_ARRAY_SIZE(windows); i++) {
    int v = CWINDOW(w, i);

    if (v < windows[i].min || v > windows[i].max) {
      snprintf(why, whysz, "%s=%d is out of range %d..%d", windows[i].name, v,
               windows[i].min, windows[i].max);
      return VG_EINVAL;
    }
  }
  if (w->rebate_months < w->duplicate_months) {
    snprintf(why, whysz,
             "rebate_months (%d) is less than duplicate_months (%d)",
             w->rebate_months, w->duplicate_months);
    return VG_EINVAL;
  }
  return 0;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* One "key=value" item of `len` bytes at `s` (blanks trimmed) into `w`;
 * `seen` marks keys given before. */
static int parse_item(const char *s, size_t len, vg_audit_windows_t *w,
                      unsigned *seen, char *why, size_t whysz) {
  const char *eq = memchr(s, '=', len);
  size_t klen, vlen, i;
  const char *v;
  long val = 0;

  if (len == 0) {
    snprintf(why, whysz, "empty item");
    return VG_EINVAL;
  }
  klen = eq != NULL ? (size_t)(eq - s) : len;
  while (klen > 0 && is_blank(s[klen - 1]))
    klen--;
  if (klen == 0) {
    snprintf(why, whysz, "no window name before '='");
    return VG_EINVAL;
  }
  for (i = 0; i < VG_ARRAY_SIZE(windows); i++)
    if (strlen(windows[i].name) == klen &&
        memcmp(windows[i].name, s, klen) == 0)
      break;
  if (i == VG_ARRAY_SIZE(windows)) {
    snprintf(why, whysz, "unknown window %.*s", (int)(klen > 40 ? 40 : klen),
             s);
    return VG_EINVAL;
  }
  if (eq == NULL) {
    snprintf(why, whysz, "%s: missing '='", windows[i].name);
    return VG_EINVAL;
  }
  if (*seen & (1u << i)) {
    snprintf(why, whysz, "%s given twice", windows[i].name);
    return VG_EINVAL;
  }
  *seen |= 1u << i;
  v = eq + 1;
  vlen = len - (size_t)(v - s);
  while (vlen > 0 && is_blank(*v)) {
    v++;
    vlen--;
  }
  if (vlen == 0) {
    snprintf(why, whysz, "%s: no value", windows[i].name);
    return VG_EINVAL;
  }
  for (size_t k = 0; k < vlen; k++) {
    if (v[k] < '0' || v[k] > '9') {
      snprintf(why, whysz, "%s: not a number: %.*s", windows[i].name,
               (int)(vlen > 20 ? 20 : vlen), v);
      return VG_EINVAL;
    }
    if (val <= 1000000) /* saturate: anything this big is out of range */
      val = val * 10 + (v[k] - '0');
  }
  if (val < windows[i].min || val > windows[i].max) {
    snprintf(why, whysz, "%s=%.*s is out of range %d..%d", windows[i].name,
             (int)(vlen > 20 ? 20 : vlen), v, windows[i].min, windows[i].max);
    return VG_EINVAL;
  }
  WINDOW(w, i) = (int)val;
  return 0;
}

int vg_audit_windows_parse(const char *text, vg_audit_windows_t *w,
                           char *why, size_t whysz) {
  vg_audit_windows_t tmp = *w;
  unsigned seen = 0;
  const char *p = text;
  char dummy[1];
  int rc;

  if (why == NULL) {
    why = dummy;
    whysz = sizeof dummy;
  }
  if (text == NULL) {
    snprintf(why, whysz, "no text");
    return VG_EINVAL;
  }
  while (is_blank(*p))
    p++;
  if (*p == '\0')
    return 0;
  for (;;) {
    const char *end = strchr(p, ',');
    size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

    while (len > 0 && is_blank(*p)) {
      p++;
      len--;
    }
    while (len > 0 && is_blank(p[len - 1]))
      len--;
    rc = parse_item(p, len, &tmp, &seen, why, whysz);
    if (rc != 0)
      return rc;
    if (end == NULL)
      break;
    p = end + 1;
  }
  rc = vg_audit_windows_check(&tmp, why, whysz);
  if (rc != 0)
    return rc;
  *w = tmp;
  return 0;
}

char *vg_audit_windows_format(const vg_audit_windows_t *w, char *buf,
                              size_t bufsz) {
  size_t used = 0;

  if (bufsz == 0)
    return buf;
  buf[0] = '\0';
  for (size_t i = 0; i < VG_ARRAY_SIZE(windows) && used < bufsz; i++) {
    int n = snprintf(buf + used, bufsz - used, "%s%s=%d", i ? "," : "",
                     windows[i].name, CWINDOW(w, i));
    if (n < 0)
      break;
    used += (size_t)n;
  }
  return buf;
}

int vg_dev_cmp(const void *a, const void *b) {
  const vg_dev_t *x = a, *y = b;

  if (x->activated != y->activated)
    return x->activated < y->activated ? -1 : 1;
  return strcmp(x->id, y->id);
}

/* Does the other development `o` count against `d` for the duplicate rule,
 * activated in [lo, d->activated) or on the same day with a smaller id? */
static int is_duplicate_of(const vg_dev_t *d, const vg_dev_t *o, int32_t lo) {
  if (o->state == VG_DEV_INVALID)
    return 0;
  if (o->activated >= lo && o->activated < d->activated)
    return 1;
  return o->activated == d->activated && strcmp(o->id, d->id) < 0;
}

static int same_service(const vg_fact_t *f, const vg_dev_t *d) {
  return f->service[0] != '\0' && strcmp(f->service, d->service) == 0;
}

int vg_audit(const vg_dev_t *d, const vg_dev_t *others, size_t nothers,
             const vg_fact_t *facts, size_t nfacts,
             const vg_audit_windows_t *w) {
  vg_audit_windows_t def;
  int32_t a = d->activated, dup_lo, rebate_lo, retention_hi, voice_hi;
  int duplicate = 0, rebate = 0, retention = 0, voice = 0, charged = 0;
  int arrears = 0, complaint = 0;

  if (w == NULL) {
    vg_audit_windows_default(&def);
    w = &def;
  }
  if (!vg_date_valid(a) || vg_audit_windows_check(w, NULL, 0) != 0)
    return VG_EINVAL;
  dup_lo = vg_date_add_months(a, -w->duplicate_months);
  rebate_lo = vg_date_add_months(a, -w->rebate_months);
  retention_hi = vg_date_add_days(a, w->retention_days);
  voice_hi = vg_date_add_days(a, w->voice_days);
  /* Near year 1 or 9999 a bound leaves the calendar: the window then runs
   * to the calendar's edge. */
  if (dup_lo == 0)
    dup_lo = 10101;
  if (rebate_lo == 0)
    rebate_lo = 10101;
  if (retention_hi == 0)
    retention_hi = 99991231;
  if (voice_hi == 0)
    voice_hi = 99991231;

  for (size_t i = 0; i < nothers; i++) {
    const vg_dev_t *o = &others[i];

    if (strcmp(o->id, d->id) == 0 || strcmp(o->msisdn, d->msisdn) != 0 ||
        strcmp(o->service, d->service) != 0)
      continue;
    if (w->duplicate_months > 0 && is_duplicate_of(d, o, dup_lo))
      duplicate = 1;
    else if (o->state == VG_DEV_VALID && o->activated >= rebate_lo &&
             o->activated < dup_lo)
      rebate = 1;
  }
  if (duplicate)
    return VG_AUDIT_DUPLICATE;
  if (rebate)
    return VG_AUDIT_REBATE;

  for (size_t i = 0; i < nfacts; i++) {
    const vg_fact_t *f = &facts[i];

    if (strcmp(f->msisdn, d->msisdn) != 0 || f->date < a)
      continue;
    switch (f->event) {
    case VG_FACT_CANCELLED:
    case VG_FACT_CHANGED:
      if (same_service(f, d) && f->date <= retention_hi)
        retention = 1;
      break;
    case VG_FACT_VOICE:
      if (f->date <= voice_hi)
        voice = 1;
      break;
    case VG_FACT_CHARGED:
      if (same_service(f, d))
        charged = 1;
      break;
    case VG_FACT_ARREARS:
      arrears = 1;
      break;
    case VG_FACT_COMPLAINT:
      if (same_service(f, d))
        complaint = 1;
      break;
    default:
      break;
    }
  }
  if (retention)
    return VG_AUDIT_RETENTION;
  if (!voice)
    return VG_AUDIT_VOICE;
  if (!charged)
    return VG_AUDIT_BILLING;
  if (arrears)
    return VG_AUDIT_ARREARS;
  if (complaint)
    return VG_AUDIT_COMPLAINT;
  return VG_AUDIT_OK;
}
