/*
 * grammar.c — MO command grammar (ARCHITECTURE.md, handlers/: after the
 * normaliser, before the handler that acts on a command).
 *
 * The text is cut into words, the first word is looked up in the table
 * generated from commands.def (longest keyword first), and the remaining
 * words are checked against that row's argument slots.  Nothing here knows
 * a command by name: adding a keyword or a command is a commands.def row.
 * Pure code: no I/O, no logging, no allocation (STYLE.md 2, 7).
 */
#include "handlers/grammar.h"

#include <string.h>

#include "gateway/vg.h"

#define MAX_WORDS 32

typedef struct {
  vg_cmd_id_t id;
  const char *name;
  const char *keywords; /* "|"-separated */
  const char *args;     /* slot letters and modifiers */
  vg_cmd_family_t family;
} cmd_row_t;

static const cmd_row_t cmd_rows[] = {
#define CMD(name, keywords, args, family)                                     \
  {VG_CMD_##name, #name, keywords, args, VG_CMD_FAMILY_##family},
#include "handlers/commands.def"
};

static const char *const cmd_err_text[] = {
#define XX(name, text) text,
    VG_CMD_ERR_MAP(XX)
#undef XX
};

typedef struct {
  const char *s;
  size_t len;
} word_t;

typedef struct {
  word_t w[MAX_WORDS];
  size_t n;
  int overflow; /* more than MAX_WORDS words */
} words_t;

const char *vg_command_name(vg_cmd_id_t cmd) {
  size_t i;

  if (cmd == VG_CMD_CODE)
    return "CODE";
  for (i = 0; i < VG_ARRAY_SIZE(cmd_rows); i++)
    if (cmd_rows[i].id == cmd)
      return cmd_rows[i].name;
  return "UNKNOWN";
}

vg_cmd_family_t vg_command_family(const vg_command_t *c) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(cmd_rows); i++)
    if (cmd_rows[i].id == c->cmd) {
      if (cmd_rows[i].family != VG_CMD_FAMILY_BY_NUMBER)
        return cmd_rows[i].family;
      return c->argc >= 2 ? VG_CMD_FAMILY_PROMOTER : VG_CMD_FAMILY_SUBSCRIBER;
    }
  return VG_CMD_FAMILY_SUBSCRIBER;
}

const char *vg_command_strerr(vg_cmd_err_t err) {
  if ((size_t)err >= VG_ARRAY_SIZE(cmd_err_text))
    return "unknown error";
  return cmd_err_text[err];
}

int vg_command_is_keyword(const char *word) {
  size_t i, wl;

  if (word == NULL)
    return 0;
  wl = strlen(word);
  for (i = 0; i < VG_ARRAY_SIZE(cmd_rows); i++) {
    const char *k = cmd_rows[i].keywords;

    while (*k != '\0') {
      const char *bar = strchr(k, '|');
      size_t kl = bar ? (size_t)(bar - k) : strlen(k);

      if (kl == wl && memchr(k, ' ', kl) == NULL && memcmp(k, word, kl) == 0)
        return 1;
      k += kl + (bar ? 1 : 0);
    }
  }
  return 0;
}

/* ---- words ---------------------------------------------------------------- */

static void split_words(const char *s, words_t *ws) {
  memset(ws, 0, sizeof *ws);
  while (*s != '\0') {
    const char *e;

    while (*s == ' ')
      s++;
    if (*s == '\0')
      break;
    for (e = s; *e != '\0' && *e != ' '; e++)
      ;
    if (ws->n == MAX_WORDS) {
      ws->overflow = 1;
      return;
    }
    ws->w[ws->n].s = s;
    ws->w[ws->n].len = (size_t)(e - s);
    ws->n++;
    s = e;
  }
}

/* Cut word i at byte offset `at` into two words. */
static void cut_word(words_t *ws, size_t i, size_t at) {
  if (ws->n == MAX_WORDS) {
    ws->overflow = 1;
    return;
  }
  memmove(&ws->w[i + 2], &ws->w[i + 1], (ws->n - i - 1) * sizeof ws->w[0]);
  ws->w[i + 1].s = ws->w[i].s + at;
  ws->w[i + 1].len = ws->w[i].len - at;
  ws->w[i].len = at;
  ws->n++;
}

/* Offset of the first change between ASCII and non-ASCII bytes, or 0. */
static size_t script_boundary(const word_t *w) {
  size_t i;

  for (i = 1; i < w->len; i++)
    if (((unsigned char)w->s[i] < 0x80) !=
        ((unsigned char)w->s[i - 1] < 0x80))
      return i;
  return 0;
}

static int is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int all_digits(const char *s, size_t len) {
  size_t i;

  for (i = 0; i < len; i++)
    if (!is_digit(s[i]))
      return 0;
  return len > 0;
}

/* 1..max upper-case ASCII letters or digits. */
static int is_code_shape(const char *s, size_t len, size_t max) {
  size_t i;

  if (len == 0 || len > max)
    return 0;
  for (i = 0; i < len; i++)
    if (!is_upper(s[i]) && !is_digit(s[i]))
      return 0;
  return 1;
}

/* ---- the table ------------------------------------------------------------- */

/* Does keyword k (kl bytes, words separated by one space) match the words
 * from `from`?  Returns its number of words, or 0. */
static size_t keyword_matches(const char *k, size_t kl, const words_t *ws,
                              size_t from) {
  size_t nw = 0;

  while (kl > 0) {
    const char *sp = memchr(k, ' ', kl);
    size_t l = sp ? (size_t)(sp - k) : kl;

    if (from + nw >= ws->n || ws->w[from + nw].len != l ||
        memcmp(ws->w[from + nw].s, k, l) != 0)
      return 0;
    nw++;
    k += l;
    kl -= l;
    if (sp) {
      k++;
      kl--;
    }
  }
  return nw;
}

/* The row whose keyword matches most words from `from`; *nw gets the count. */
static const cmd_row_t *lookup(const words_t *ws, size_t from, size_t *nw) {
  const cmd_row_t *best = NULL;
  size_t i;

  *nw = 0;
  for (i = 0; i < VG_ARRAY_SIZE(cmd_rows); i++) {
    const char *k = cmd_rows[i].keywords;

    while (*k != '\0') {
      const char *bar = strchr(k, '|');
      size_t kl = bar ? (size_t)(bar - k) : strlen(k);
      size_t m = keyword_matches(k, kl, ws, from);

      if (m > *nw) {
        *nw = m;
        best = &cmd_rows[i];
      }
      k += kl + (bar ? 1 : 0);
    }
  }
  return best;
}

/* Is word i a one-word keyword of `row`? */
static int is_keyword_of(const words_t *ws, size_t i, const cmd_row_t *row) {
  size_t nw;
  const cmd_row_t *r = lookup(ws, i, &nw);

  return r == row && nw == 1;
}

/* Is every word from `from` on a one-word keyword of `row`? */
static int rest_all_keywords_of(const words_t *ws, size_t from,
                                const cmd_row_t *row) {
  size_t i;

  for (i = from; i < ws->n; i++)
    if (!is_keyword_of(ws, i, row))
      return 0;
  return 1;
}

static const cmd_row_t *row_of(vg_cmd_id_t id) {
  size_t i;

  for (i = 0; i < VG_ARRAY_SIZE(cmd_rows); i++)
    if (cmd_rows[i].id == id)
      return &cmd_rows[i];
  return NULL;
}

/* "zc张三" -> "ZC" "张三"; "CX202611" -> "CX" "202611" when CX takes
 * arguments (so "Y1" stays one word, a possible offer code). */
static void split_first_word(words_t *ws) {
  size_t at, nw, i;
  const cmd_row_t *row;

  if (ws->n == 0)
    return;
  at = script_boundary(&ws->w[0]);
  if (at > 0) {
    cut_word(ws, 0, at);
    return;
  }
  for (i = 0; i < ws->w[0].len && is_upper(ws->w[0].s[i]); i++)
    ;
  if (i == 0 || !all_digits(ws->w[0].s + i, ws->w[0].len - i))
    return;
  cut_word(ws, 0, i);
  row = lookup(ws, 0, &nw);
  if (row == NULL || nw != 1 || row->args[0] == '\0') { /* undo */
    ws->w[0].len += ws->w[1].len;
    memmove(&ws->w[1], &ws->w[2], (ws->n - 2) * sizeof ws->w[0]);
    ws->n--;
  }
}

/* ---- arguments ------------------------------------------------------------- */

/* 11 digits starting with 1, optionally after "86" or "+86". */
static int is_msisdn(const char *s, size_t len) {
  if (len > 0 && s[0] == '+') {
    if (len < 3 || s[1] != '8' || s[2] != '6')
      return 0;
    s++;
    len--;
  }
  if (len == 13 && s[0] == '8' && s[1] == '6') {
    s += 2;
    len -= 2;
  }
  return len == 11 && s[0] == '1' && all_digits(s, len);
}

/* YYYYMM, year 2000-2099, month 01-12. */
static int is_month(const char *s, size_t len) {
  int m;

  if (len != 6 || !all_digits(s, len) || s[0] != '2' || s[1] != '0')
    return 0;
  m = (s[4] - '0') * 10 + (s[5] - '0');
  return m >= 1 && m <= 12;
}

static int fits(char slot, const word_t *w) {
  switch (slot) {
  case 'M':
    return is_msisdn(w->s, w->len);
  case 'S':
    return is_code_shape(w->s, w->len, 8);
  case 'Y':
    return is_month(w->s, w->len);
  default: /* N, R */
    return w->len > 0;
  }
}

static vg_cmd_err_t missing_err(char slot) {
  switch (slot) {
  case 'M':
    return VG_CMD_ERR_MISSING_MSISDN;
  case 'S':
    return VG_CMD_ERR_MISSING_SERVICE;
  case 'N':
    return VG_CMD_ERR_MISSING_NAME;
  case 'Y':
    return VG_CMD_ERR_BAD_MONTH;
  default:
    return VG_CMD_ERR_NONE;
  }
}

static vg_cmd_err_t bad_err(char slot) {
  switch (slot) {
  case 'M':
    return VG_CMD_ERR_BAD_MSISDN;
  case 'S':
    return VG_CMD_ERR_BAD_SERVICE;
  case 'Y':
    return VG_CMD_ERR_BAD_MONTH;
  default:
    return VG_CMD_ERR_NONE;
  }
}

/* Append words [from, to) joined by one space as the next argument. */
static vg_cmd_err_t add_arg(vg_command_t *out, const words_t *ws, size_t from,
                            size_t to) {
  char *a;
  size_t o = 0, i;

  if (out->argc == VG_CMD_MAX_ARGS)
    return VG_CMD_ERR_TOO_MANY;
  a = out->argv[out->argc];
  for (i = from; i < to; i++) {
    size_t need = ws->w[i].len + (i > from ? 1 : 0);

    if (o + need >= VG_CMD_ARG_MAX) {
      a[0] = '\0';
      return VG_CMD_ERR_TOO_LONG;
    }
    if (i > from)
      a[o++] = ' ';
    memcpy(a + o, ws->w[i].s, ws->w[i].len);
    o += ws->w[i].len;
  }
  a[o] = '\0';
  out->argc++;
  return VG_CMD_ERR_NONE;
}

/* Check words from `pos` against the row's slots, filling out->argv. */
static vg_cmd_err_t parse_args(const cmd_row_t *row, const words_t *ws,
                               size_t pos, vg_command_t *out) {
  const char *p = row->args;
  vg_cmd_err_t err;

  while (*p != '\0') {
    char slot = *p++, mod = 0;

    if (*p == '?' || *p == '+' || *p == '*')
      mod = *p++;
    if (slot == 'R') {
      if (pos < ws->n) {
        if ((err = add_arg(out, ws, pos, ws->n)) != VG_CMD_ERR_NONE)
          return err;
        pos = ws->n;
      } else if (mod == 0) {
        return missing_err(slot);
      }
      continue;
    }
    if (pos >= ws->n) {
      if (mod == 0 || mod == '+')
        return missing_err(slot);
      continue;
    }
    /* An optional slot with slots after it takes only a word that fits. */
    if (mod == '?' && *p != '\0' && !fits(slot, &ws->w[pos]))
      continue;
    do {
      if (!fits(slot, &ws->w[pos]))
        return bad_err(slot);
      if ((err = add_arg(out, ws, pos, pos + 1)) != VG_CMD_ERR_NONE)
        return err;
      pos++;
    } while ((mod == '+' || mod == '*') && pos < ws->n);
  }
  if (pos < ws->n && !(row->args[0] == '\0' &&
                       rest_all_keywords_of(ws, pos, row)))
    return VG_CMD_ERR_EXTRA;
  return VG_CMD_ERR_NONE;
}

/* ---- entry ----------------------------------------------------------------- */

static void copy_word(char *dst, size_t dstsz, const word_t *w) {
  size_t l = w->len < dstsz - 1 ? w->len : dstsz - 1;

  memcpy(dst, w->s, l);
  dst[l] = '\0';
}

int vg_command_parse(const char *normalized, vg_command_t *out) {
  words_t ws;
  const cmd_row_t *row;
  size_t nw, i;
  word_t kw;

  if (normalized == NULL || out == NULL)
    return VG_EINVAL;
  memset(out, 0, sizeof *out);
  split_words(normalized, &ws);
  split_first_word(&ws);
  if (ws.n == 0)
    return 0;

  row = lookup(&ws, 0, &nw);
  if (row == NULL) {
    const word_t *w = &ws.w[0];

    /* "2", "CL", and "2 开通" copied from "回复2开通彩铃" */
    if (!ws.overflow && is_code_shape(w->s, w->len, VG_CMD_CODE_MAX / 2) &&
        rest_all_keywords_of(&ws, 1, row_of(VG_CMD_CONFIRM))) {
      out->cmd = VG_CMD_CODE;
      copy_word(out->code, sizeof out->code, w);
    }
    return 0;
  }

  out->cmd = row->id;
  kw.s = ws.w[0].s;
  kw.len = 0;
  for (i = 0; i < nw; i++) /* multi-word keywords came from one run */
    kw.len = (size_t)(ws.w[i].s + ws.w[i].len - kw.s);
  copy_word(out->keyword, sizeof out->keyword, &kw);
  if (row->id == VG_CMD_CONFIRM && is_code_shape(kw.s, kw.len, 4))
    copy_word(out->code, sizeof out->code, &kw);
  out->err = ws.overflow ? VG_CMD_ERR_TOO_MANY
                         : parse_args(row, &ws, nw, out);
  return 0;
}
