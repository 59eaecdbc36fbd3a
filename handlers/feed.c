/*
 * feed.c — see feed.h.  The checks of one feed row, the stored form of a
 * fact, and the loader the settlement uses.
 */
#include "handlers/feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uninorm.h>
#include <unistr.h>

#include "gateway/keys.h"
#include "gateway/msisdn.h"
#include "gateway/vg.h"
#include "handlers/catalogue.h"
#include "handlers/ledger_date.h"

/* audit.h's service field holds a catalogue code. */
_Static_assert(VG_LEDGER_SVC_MAX == VG_SVC_CODE_MAX,
               "a fact's service is a catalogue code");

static const char *const event_names[] = {
#define XX(id, name) [VG_FACT_##id] = name,
    VG_FACT_EVENT_MAP(XX)
#undef XX
};

/* Longest field accepted, in bytes after normalisation: a number written
 * "+86 (138) 0013-8000" is the longest sensible one. */
#define FIELD_MAX 48

const char *vg_feed_event_name(vg_fact_event_t e) {
  if ((int)e < 0 || (size_t)e >= VG_ARRAY_SIZE(event_names))
    return NULL;
  return event_names[e];
}

int vg_feed_number_level(vg_fact_event_t e) {
  return e == VG_FACT_ARREARS || e == VG_FACT_VOICE;
}

/* --- fields ------------------------------------------------------------------ */

/* Blank at the start of `s` (after NFKC): ASCII white space, and the zero-
 * width space and the byte order mark, which NFKC keeps.  Its length. */
static size_t blank_at(const char *s, size_t len) {
  if (len >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' ||
                   s[0] == '\n' || s[0] == '\v' || s[0] == '\f'))
    return 1;
  if (len >= 3 && (memcmp(s, "\xe2\x80\x8b", 3) == 0 ||  /* U+200B */
                   memcmp(s, "\xef\xbb\xbf", 3) == 0))   /* U+FEFF */
    return 3;
  return 0;
}

/* The same at the end of s[0..len). */
static size_t blank_before(const char *s, size_t len) {
  if (len >= 1 && blank_at(s + len - 1, 1))
    return 1;
  if (len >= 3 && blank_at(s + len - 3, 3) == 3)
    return 3;
  return 0;
}

/*
 * `in` NFKC-normalised and trimmed into `out` (FIELD_MAX + 1 bytes).
 * 0, or VG_EUTF8 / VG_ETOOLONG.
 */
static int clean(const char *in, char out[FIELD_MAX + 1]) {
  size_t len = strlen(in), nlen = 0, k;
  uint8_t *nfkc;

  if (u8_check((const uint8_t *)in, len) != NULL)
    return VG_EUTF8;
  nfkc = u8_normalize(UNINORM_NFKC, (const uint8_t *)in, len, NULL, &nlen);
  if (nfkc == NULL)
    return VG_EUTF8;
  const char *s = (const char *)nfkc;
  while ((k = blank_at(s, nlen)) > 0)
    s += k, nlen -= k;
  while ((k = blank_before(s, nlen)) > 0)
    nlen -= k;
  int rc = nlen > FIELD_MAX ? VG_ETOOLONG : 0;
  if (rc == 0) {
    memcpy(out, s, nlen);
    out[nlen] = '\0';
  }
  free(nfkc);
  return rc;
}

static void lower(char *s) {
  for (; *s; s++)
    if (*s >= 'A' && *s <= 'Z')
      *s = (char)(*s - 'A' + 'a');
}

/* The event called `name` (lower-case), or -1. */
static int event_lookup(const char *name) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(event_names); i++)
    if (strcmp(event_names[i], name) == 0)
      return (int)i;
  return -1;
}

/* --- dates ------------------------------------------------------------------- */

/* "2026-11-22" or "20261122" in shape (a real day or not)?  To tell a
 * malformed date from one that does not exist (handlers/ledger_date.h
 * parses it). */
static int date_shape(const char *s) {
  size_t len = strlen(s);

  for (size_t i = 0; i < len; i++) {
    int dash = len == 10 && (i == 4 || i == 7);
    if (dash ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
      return 0;
  }
  return len == 10 || len == 8;
}

/* --- rows ---------------------------------------------------------------------- */

int vg_feed_header(char *const *cells, size_t n, char *why, size_t whysz) {
  static const char *const names[VG_FEED_COLUMNS] = {"msisdn", "service",
                                                     "event", "date"};
  char c[FIELD_MAX + 1];

  if (n == 0 || clean(cells[0], c) != 0)
    return 0;
  lower(c);
  if (strncmp(c, "msisdn", 6) != 0)
    return 0;
  for (size_t i = 0; i < VG_FEED_COLUMNS; i++) {
    if (i < n && clean(cells[i], c) == 0) {
      lower(c);
      if (strcmp(c, names[i]) == 0)
        continue;
    }
    snprintf(why, whysz, "a header row must be msisdn,service,event,date "
             "(column %zu is '%s')", i + 1, i < n ? cells[i] : "");
    return -1;
  }
  if (n != VG_FEED_COLUMNS) {
    snprintf(why, whysz, "a header row must be msisdn,service,event,date "
             "(%zu columns)", n);
    return -1;
  }
  return 1;
}

int vg_feed_parse_row(const char *msisdn, const char *service,
                      const char *event, const char *date,
                      const char *country_code, int32_t today, vg_fact_t *out,
                      char *why, size_t whysz) {
  char m[FIELD_MAX + 1], s[FIELD_MAX + 1], e[FIELD_MAX + 1], d[FIELD_MAX + 1];
  const char *const raw[4] = {msisdn, service, event, date};
  char *const clean_of[4] = {m, s, e, d};
  static const char *const column[4] = {"msisdn", "service", "event", "date"};
  const char *mwhy = NULL;
  int rc;

  memset(out, 0, sizeof *out);
  for (int i = 0; i < 4; i++) {
    rc = clean(raw[i] ? raw[i] : "", clean_of[i]);
    if (rc == VG_EUTF8) {
      snprintf(why, whysz, "%s is not valid UTF-8", column[i]);
      return VG_EINVAL;
    }
    if (rc != 0) {
      snprintf(why, whysz, "%s is too long (more than %d bytes)", column[i],
               FIELD_MAX);
      return VG_EINVAL;
    }
  }

  if (vg_msisdn_normalize(m, country_code, out->msisdn, &mwhy) != 0) {
    snprintf(why, whysz, "malformed number '%s': %s", m,
             mwhy ? mwhy : "invalid");
    return VG_EINVAL;
  }

  lower(e);
  int ev = event_lookup(e);
  if (ev < 0) {
    snprintf(why, whysz, "unknown event '%s' (charged, cancelled, changed, "
             "arrears, complaint or voice)", e);
    return VG_EINVAL;
  }
  out->event = (vg_fact_event_t)ev;

  if (s[0] == '\0') {
    if (!vg_feed_number_level(out->event)) {
      snprintf(why, whysz, "event %s needs a service code (only arrears and "
               "voice may leave it empty)", e);
      return VG_EINVAL;
    }
  } else {
    char swhy[128];
    if (vg_service_norm_code(s, out->service, swhy, sizeof swhy) != 0) {
      snprintf(why, whysz, "service %s", swhy);
      return VG_EINVAL;
    }
  }

  if (!date_shape(d)) {
    snprintf(why, whysz, "date '%s' is not YYYY-MM-DD or YYYYMMDD", d);
    return VG_EINVAL;
  }
  if (vg_date_parse(d, &out->date) != 0) {
    snprintf(why, whysz, "date %s is not a real day", d);
    return VG_EINVAL;
  }
  if (today > 0 && out->date > vg_date_add_days(today, 1)) {
    snprintf(why, whysz, "date %s is in the future (today is %04d-%02d-%02d)",
             d, (int)(today / 10000), (int)(today / 100 % 100),
             (int)(today % 100));
    return VG_EINVAL;
  }
  return 0;
}

/* --- the stored form ----------------------------------------------------------- */

const char *vg_feed_member(const vg_fact_t *f, char out[VG_FEED_MEMBER_MAX]) {
  const char *ev = vg_feed_event_name(f->event);
  snprintf(out, VG_FEED_MEMBER_MAX, "%.*s|%s|%08ld", VG_LEDGER_SVC_MAX,
           f->service, ev ? ev : "?", (long)f->date);
  return out;
}

int vg_feed_parse_member(const char *member, const char *msisdn,
                         vg_fact_t *out) {
  const char *bar1 = strchr(member, '|');
  const char *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
  char ev[16], why[128];
  int32_t date;

  memset(out, 0, sizeof *out);
  if (bar2 == NULL || strlen(msisdn) >= sizeof out->msisdn)
    return VG_EINVAL;
  size_t slen = (size_t)(bar1 - member), elen = (size_t)(bar2 - bar1 - 1);
  if (slen > VG_LEDGER_SVC_MAX || elen >= sizeof ev)
    return VG_EINVAL;
  memcpy(ev, bar1 + 1, elen);
  ev[elen] = '\0';
  int e = event_lookup(ev);
  if (e < 0 || strlen(bar2 + 1) != 8 || vg_date_parse(bar2 + 1, &date) != 0)
    return VG_EINVAL;
  memcpy(out->service, member, slen);
  out->service[slen] = '\0';
  if (slen == 0 ? !vg_feed_number_level((vg_fact_event_t)e)
                : vg_service_check_code(out->service, why, sizeof why) != 0)
    return VG_EINVAL;
  snprintf(out->msisdn, sizeof out->msisdn, "%s", msisdn);
  out->event = (vg_fact_event_t)e;
  out->date = date;
  return 0;
}

/* --- Redis --------------------------------------------------------------------- */

static int fact_cmp(const void *a, const void *b) {
  const vg_fact_t *x = a, *y = b;
  int c;

  if (x->date != y->date)
    return x->date < y->date ? -1 : 1;
  if ((c = strcmp(x->service, y->service)) != 0)
    return c;
  return (int)x->event - (int)y->event;
}

int vg_feed_load(redisContext *rc, const char *prefix, const char *msisdn,
                 vg_fact_t **facts, size_t *n) {
  char key[VG_KEY_MAX];
  redisReply *r;
  int ret = 0;

  *facts = NULL;
  *n = 0;
  vg_key(key, prefix, VG_K_FACTS, msisdn);
  r = redisCommand(rc, "SMEMBERS %s", key);
  if (r == NULL)
    return VG_EREDIS;
  if (r->type != REDIS_REPLY_ARRAY) {
    freeReplyObject(r);
    return VG_EREDIS;
  }
  vg_fact_t *f = vg_malloc((r->elements ? r->elements : 1) * sizeof *f);
  for (size_t i = 0; i < r->elements && ret == 0; i++) {
    const redisReply *e = r->element[i];
    if (e->type != REDIS_REPLY_STRING ||
        vg_feed_parse_member(e->str, msisdn, &f[i]) != 0)
      ret = VG_EINVAL;
  }
  if (ret == 0 && r->elements > 0) {
    qsort(f, r->elements, sizeof *f, fact_cmp);
    *facts = f;
    *n = r->elements;
  } else {
    free(f);
  }
  freeReplyObject(r);
  return ret;
}
