/*
 * dlr.c — delivery receipts (docs/encoding.md, "Receipts").
 *
 * Two pure jobs.  vg_dlr_parse() reads the SMPP 3.4 appendix B receipt
 * text the way SMSCs actually write it: keys in any case, runs of spaces,
 * fields missing or reordered, "submit date"/"submit_date", and a free
 * text: field that may itself contain words such as "stat:" — so parsing
 * stops at text:, which by convention is always last.  vg_msgid_keys()
 * turns an SMSC message id into the few canonical spellings under which
 * the outbox stores and looks up the message, because many SMSCs return
 * the id in hex in submit_sm_resp and in decimal in the receipt, or the
 * other way round.  No I/O, no logging.
 */
#include "gateway/dlr.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gateway/vg.h"

/* ---- receipt states ------------------------------------------------------ */

static const char *const stat_names[] = {
    [VG_DLR_UNKNOWN] = "unknown",
    [VG_DLR_ENROUTE] = "enroute",
    [VG_DLR_DELIVERED] = "delivered",
    [VG_DLR_EXPIRED] = "expired",
    [VG_DLR_DELETED] = "deleted",
    [VG_DLR_UNDELIVERABLE] = "undeliverable",
    [VG_DLR_ACCEPTED] = "accepted",
    [VG_DLR_REJECTED] = "rejected",
};

int vg_dlr_stat_is_failure(vg_dlr_stat_t s) {
  return s == VG_DLR_EXPIRED || s == VG_DLR_DELETED ||
         s == VG_DLR_UNDELIVERABLE || s == VG_DLR_REJECTED;
}

int vg_dlr_stat_is_final(vg_dlr_stat_t s) {
  return s == VG_DLR_DELIVERED || vg_dlr_stat_is_failure(s);
}

const char *vg_dlr_stat_name(vg_dlr_stat_t s) {
  if ((unsigned)s >= VG_ARRAY_SIZE(stat_names))
    return "unknown";
  return stat_names[s];
}

vg_dlr_stat_t vg_dlr_stat_from_message_state(int message_state) {
  /* SMPP 3.4 5.2.28: 1 ENROUTE .. 8 REJECTED; 7 is UNKNOWN, which sits
   * between ACCEPTED and REJECTED on the wire but first in our enum. */
  switch (message_state) {
  case 1:
    return VG_DLR_ENROUTE;
  case 2:
    return VG_DLR_DELIVERED;
  case 3:
    return VG_DLR_EXPIRED;
  case 4:
    return VG_DLR_DELETED;
  case 5:
    return VG_DLR_UNDELIVERABLE;
  case 6:
    return VG_DLR_ACCEPTED;
  case 8:
    return VG_DLR_REJECTED;
  default:
    return VG_DLR_UNKNOWN;
  }
}

/* Stat words seen in receipts, upper-cased: the 7-letter forms of appendix
 * B, the spelled-out forms, and a few common SMSC inventions. */
static const struct {
  const char *word;
  vg_dlr_stat_t stat;
} stat_words[] = {
    {"DELIVRD", VG_DLR_DELIVERED},     {"DELIVERED", VG_DLR_DELIVERED},
    {"EXPIRED", VG_DLR_EXPIRED},       {"DELETED", VG_DLR_DELETED},
    {"UNDELIV", VG_DLR_UNDELIVERABLE}, {"UNDELIVERABLE", VG_DLR_UNDELIVERABLE},
    {"UNDELIVERED", VG_DLR_UNDELIVERABLE},
    {"FAILED", VG_DLR_UNDELIVERABLE},  {"ACCEPTD", VG_DLR_ACCEPTED},
    {"ACCEPTED", VG_DLR_ACCEPTED},     {"UNKNOWN", VG_DLR_UNKNOWN},
    {"REJECTD", VG_DLR_REJECTED},      {"REJECTED", VG_DLR_REJECTED},
    {"ENROUTE", VG_DLR_ENROUTE},       {"EN_ROUTE", VG_DLR_ENROUTE},
};

/* State for an upper-cased stat word; a lone digit is a message_state. */
static vg_dlr_stat_t stat_from_word(const char *w) {
  size_t i;

  if (w[0] >= '1' && w[0] <= '9' && w[1] == '\0')
    return vg_dlr_stat_from_message_state(w[0] - '0');
  for (i = 0; i < VG_ARRAY_SIZE(stat_words); i++)
    if (strcmp(w, stat_words[i].word) == 0)
      return stat_words[i].stat;
  return VG_DLR_UNKNOWN;
}

/* ---- receipt text -------------------------------------------------------- */

enum { F_ID, F_SUB, F_DLVRD, F_SUBMIT, F_DONE, F_STAT, F_ERR, F_TEXT, F_N };

/* Keys, matched case-insensitively at the start of a word and followed by
 * optional blanks and ':'.  A ' ' in a key matches any run (even empty) of
 * blanks, '_' or '-', covering "submit date", "submit_date", "submitdate". */
static const struct {
  const char *key;
  int field;
} dlr_keys[] = {
    {"id", F_ID},          {"sub", F_SUB},     {"dlvrd", F_DLVRD},
    {"submit date", F_SUBMIT}, {"done date", F_DONE}, {"stat", F_STAT},
    {"err", F_ERR},        {"text", F_TEXT},
};

static int is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * When a key of dlr_keys matches at s[*i] (n bytes total), move *i past its
 * ':' and return its field; otherwise return -1 and leave *i alone.
 */
static int match_key(const char *s, size_t n, size_t *i) {
  size_t k;

  for (k = 0; k < VG_ARRAY_SIZE(dlr_keys); k++) {
    const char *key = dlr_keys[k].key;
    size_t p = *i;

    for (; *key != '\0'; key++) {
      if (*key == ' ') {
        while (p < n && (is_blank(s[p]) || s[p] == '_' || s[p] == '-'))
          p++;
      } else if (p < n && tolower((unsigned char)s[p]) == *key) {
        p++;
      } else {
        break;
      }
    }
    if (*key != '\0')
      continue;
    while (p < n && is_blank(s[p]))
      p++;
    if (p < n && s[p] == ':') {
      *i = p + 1;
      return dlr_keys[k].field;
    }
  }
  return -1;
}

/* Copy s[0..n) into dst, NUL-terminated; the caller made sure it fits. */
static void copy_field(char *dst, const char *s, size_t n, int upper) {
  size_t k;

  for (k = 0; k < n; k++)
    dst[k] = upper ? (char)toupper((unsigned char)s[k]) : s[k];
  dst[n] = '\0';
}

int vg_dlr_parse(const char *text, size_t len, vg_dlr_t *out) {
  size_t i = 0;
  int seen[F_N] = {0};

  memset(out, 0, sizeof(*out));
  if (text == NULL)
    return VG_EINVAL;

  while (i < len) {
    size_t vstart, vlen;
    int f;

    while (i < len && is_blank(text[i]))
      i++;
    if (i >= len)
      break;
    f = match_key(text, len, &i);
    if (f < 0) {
      /* Not a field we know: skip the word. */
      while (i < len && !is_blank(text[i]))
        i++;
      continue;
    }
    if (f == F_TEXT)
      break; /* free text, last by convention: its words are not keys */

    /* The value may follow the ':' after blanks ("stat: DELIVRD"), but
     * when the next word is itself a key the value is empty ("err: text:"). */
    while (i < len && is_blank(text[i]))
      i++;
    vstart = i;
    {
      size_t probe = i;
      if (match_key(text, len, &probe) >= 0)
        continue;
    }
    while (i < len && !is_blank(text[i]))
      i++;
    vlen = i - vstart;
    if (seen[f]++)
      continue; /* the first occurrence wins */

    char *dst = NULL;
    size_t size = 0;
    switch (f) {
    case F_ID:
      dst = out->id, size = sizeof(out->id);
      break;
    case F_STAT:
      dst = out->stat_text, size = sizeof(out->stat_text);
      break;
    case F_ERR:
      dst = out->err, size = sizeof(out->err);
      break;
    case F_SUBMIT:
      dst = out->submit_date, size = sizeof(out->submit_date);
      break;
    case F_DONE:
      dst = out->done_date, size = sizeof(out->done_date);
      break;
    default:
      continue; /* sub and dlvrd carry nothing we use */
    }
    /* Too long for its place: the text is refused, not read cut (a cut id
     * would match the wrong message, a cut err say what the SMSC did not). */
    if (vlen > size - 1) {
      memset(out, 0, sizeof(*out));
      return VG_ETOOLONG;
    }
    copy_field(dst, text + vstart, vlen, f == F_STAT);
  }

  if (out->id[0] == '\0') {
    memset(out, 0, sizeof(*out));
    return VG_EINVAL;
  }
  out->stat = stat_from_word(out->stat_text);
  return 0;
}

/* ---- message id keys ----------------------------------------------------- */

static int is_dec(const char *s) {
  for (; *s != '\0'; s++)
    if (*s < '0' || *s > '9')
      return 0;
  return 1;
}

static int is_hex(const char *s) {
  for (; *s != '\0'; s++)
    if (!isxdigit((unsigned char)*s))
      return 0;
  return 1;
}

/* Parse a leading-zero-free lower-case id in `base` (10 or 16); 0 when it
 * does not fit 64 bits. */
static int parse_u64(const char *s, unsigned base, uint64_t *v) {
  uint64_t x = 0;

  for (; *s != '\0'; s++) {
    unsigned d = (*s <= '9') ? (unsigned)(*s - '0') : (unsigned)(*s - 'a' + 10);
    if (x > (UINT64_MAX - d) / base)
      return 0;
    x = x * base + d;
  }
  *v = x;
  return 1;
}

/* Append `k` to keys[*n] unless it is already there. */
static void add_key(char keys[VG_MSGID_MAX_CANDIDATES][VG_MSGID_KEY_MAX],
                    int *n, const char *k) {
  int j;

  for (j = 0; j < *n; j++)
    if (strcmp(keys[j], k) == 0)
      return;
  if (*n < VG_MSGID_MAX_CANDIDATES)
    snprintf(keys[(*n)++], VG_MSGID_KEY_MAX, "%s", k);
}

int vg_msgid_keys(const char *id, size_t len,
                  char keys[VG_MSGID_MAX_CANDIDATES][VG_MSGID_KEY_MAX]) {
  char canon[VG_MSGID_KEY_MAX], num[24];
  size_t b = 0, e = len, k, o = 0;
  uint64_t v;
  int n = 0;

  if (id == NULL)
    return 0;
  while (b < e && isspace((unsigned char)id[b]))
    b++;
  while (e > b && isspace((unsigned char)id[e - 1]))
    e--;
  if (e == b || e - b > VG_MSGID_KEY_MAX - 1)
    return 0;
  /* A NUL inside would make two different ids the same C string. */
  if (memchr(id + b, '\0', e - b) != NULL)
    return 0;

  /* Leading zeros, keeping the last character, and the blanks they
   * padded ("0 5" is "5", never " 5"): the key starts with neither. */
  while (b < e - 1 && (id[b] == '0' || isspace((unsigned char)id[b])))
    b++;
  for (k = b; k < e; k++)
    canon[o++] = (char)tolower((unsigned char)id[k]);
  canon[o] = '\0';
  add_key(keys, &n, canon);

  if (is_dec(canon) && parse_u64(canon, 10, &v)) {
    snprintf(num, sizeof(num), "%" PRIx64, v);
    add_key(keys, &n, num);
  }
  if (is_hex(canon) && parse_u64(canon, 16, &v)) {
    snprintf(num, sizeof(num), "%" PRIu64, v);
    add_key(keys, &n, num);
  }
  return n;
}
