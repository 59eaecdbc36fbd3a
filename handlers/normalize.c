/*
 * normalize.c — MO command text normalisation (ARCHITECTURE.md, handlers/:
 * the step between the decoded MO text and the command grammar).
 *
 * Works on code points: the input is checked and NFKC-normalised with
 * libunistring, decoded to UTF-32, rewritten in place (separators, case,
 * prefixes, signatures, trailing noise) and encoded back into the caller's
 * buffer.  Pure code: no I/O, no logging (STYLE.md 2).
 */
#include "handlers/normalize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "gateway/vg.h"

#define CP_IDEO_COMMA 0x3001u /* 、 */
#define CP_EM_DASH 0x2014u    /* — */
#define CP_LENTICULAR_OPEN 0x3010u  /* 【 */
#define CP_LENTICULAR_CLOSE 0x3011u /* 】 */
#define CP_HUI 0x56DEu  /* 回 */
#define CP_FU 0x590Du   /* 复 */

/* Characters that separate words: "space , ， # *" (docs/texting.md) after NFKC,
 * plus every control character (tabs, newlines) and the ideographic comma. */
static int is_separator(uint32_t c) {
  return c == ' ' || c == ',' || c == '#' || c == '*' || c < 0x20 ||
         c == 0x7F || c == CP_IDEO_COMMA;
}

/* Emoji blocks, variation selectors, ZWJ, combining keycap and tag
 * characters: decoration that may trail a command. */
static int is_emoji_noise(uint32_t c) {
  return (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF) ||
         (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0100 && c <= 0xE01EF) ||
         (c >= 0xE0020 && c <= 0xE007F) || c == 0x200D || c == 0x20E3;
}

/* What may be dropped from the end of a command: punctuation, symbols
 * (not currency: "¥" is not noise people add) and emoji. */
static int is_trailing_noise(uint32_t c) {
  return is_emoji_noise(c) || uc_is_general_category(c, UC_CATEGORY_P) ||
         uc_is_general_category(c, UC_CATEGORY_Sm) ||
         uc_is_general_category(c, UC_CATEGORY_Sk) ||
         uc_is_general_category(c, UC_CATEGORY_So);
}

/* The opening bracket of a signature closed by `c`, or 0. */
static uint32_t signature_opener(uint32_t c) {
  switch (c) {
  case CP_LENTICULAR_CLOSE:
    return CP_LENTICULAR_OPEN;
  case ']':
    return '[';
  case ')':
    return '(';
  default:
    return 0;
  }
}

/* Map separators to one space and upper-case ASCII, collapsing runs and
 * trimming both ends; returns the new length. */
static size_t fold_separators(uint32_t *cp, size_t n) {
  size_t i, o = 0;

  for (i = 0; i < n; i++) {
    uint32_t c = cp[i];

    if (is_separator(c)) {
      if (o > 0 && cp[o - 1] != ' ')
        cp[o++] = ' ';
      continue;
    }
    if (c >= 'a' && c <= 'z')
      c -= 'a' - 'A';
    cp[o++] = c;
  }
  if (o > 0 && cp[o - 1] == ' ')
    o--;
  return o;
}

/* Drop a leading "回复" / "回" and any ':' or space after it. */
static size_t drop_reply_prefix(uint32_t *cp, size_t n) {
  size_t skip = 0;

  if (n >= 2 && cp[0] == CP_HUI && cp[1] == CP_FU)
    skip = 2;
  else if (n >= 1 && cp[0] == CP_HUI)
    skip = 1;
  if (skip == 0)
    return n;
  while (skip < n && (cp[skip] == ' ' || cp[skip] == ':'))
    skip++;
  memmove(cp, cp + skip, (n - skip) * sizeof *cp);
  return n - skip;
}

/* Cut at the first "--" or "——" that has text before it. */
static size_t drop_dash_signature(const uint32_t *cp, size_t n) {
  size_t i;

  for (i = 1; i + 1 < n; i++)
    if ((cp[i] == '-' && cp[i + 1] == '-') ||
        (cp[i] == CP_EM_DASH && cp[i + 1] == CP_EM_DASH))
      return i;
  return n;
}

/* Repeatedly drop trailing spaces, bracketed signatures and noise. */
static size_t drop_trailing(const uint32_t *cp, size_t n) {
  while (n > 0) {
    uint32_t open;

    if (cp[n - 1] == ' ') {
      n--;
      continue;
    }
    if (n == 1 && cp[0] == '?')
      break; /* a lone "?" is the help command */
    open = signature_opener(cp[n - 1]);
    if (open != 0) {
      size_t i = n - 1;

      while (i > 0 && cp[i - 1] != open)
        i--;
      if (i >= 2) { /* found at i-1, with text before it */
        n = i - 1;
        continue;
      }
      if (i == 1)
        break; /* the whole text is bracketed: leave it alone */
    }
    if (!is_trailing_noise(cp[n - 1]))
      break;
    n--;
  }
  return n;
}

int vg_text_normalize(const char *utf8, size_t len, char *out, size_t outsz) {
  uint8_t *nfkc;
  uint32_t *cp;
  size_t nlen = 0, n = 0, i, o = 0;
  int rc = 0;

  if (out == NULL || (utf8 == NULL && len > 0))
    return VG_EINVAL;
  if (outsz > 0)
    out[0] = '\0';
  if (len == 0)
    return outsz > 0 ? 0 : VG_ETOOLONG;
  if (u8_check((const uint8_t *)utf8, len) != NULL)
    return VG_EUTF8;
  nfkc = u8_normalize(UNINORM_NFKC, (const uint8_t *)utf8, len, NULL, &nlen);
  if (nfkc == NULL)
    return VG_ENOMEM;

  cp = vg_malloc((nlen + 1) * sizeof *cp);
  for (i = 0; i < nlen;) {
    ucs4_t c;
    int l = u8_mbtouc_unsafe(&c, nfkc + i, nlen - i);

    cp[n++] = c;
    i += (size_t)(l > 0 ? l : 1);
  }
  free(nfkc);

  n = fold_separators(cp, n);
  n = drop_reply_prefix(cp, n);
  n = drop_dash_signature(cp, n);
  n = drop_trailing(cp, n);

  for (i = 0; i < n; i++) {
    uint8_t buf[6];
    int l = u8_uctomb(buf, cp[i], (int)sizeof buf);

    if (l <= 0)
      continue; /* cannot happen after u8_check; skip rather than fail */
    if (o + (size_t)l + 1 > outsz) {
      rc = VG_ETOOLONG;
      o = 0;
      break;
    }
    memcpy(out + o, buf, (size_t)l);
    o += (size_t)l;
  }
  if (outsz > 0)
    out[o] = '\0';
  else
    rc = VG_ETOOLONG;
  vg_free(cp);
  return rc;
}
