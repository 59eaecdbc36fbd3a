/*
 * normalize.h — the text normaliser for MO commands (docs/texting.md):
 * what a subscriber or promoter typed, reduced to one canonical form
 * before handlers/grammar.c matches it against handlers/commands.def.
 *
 * Pure code: no I/O, no logging, no allocation visible to the caller.
 */
#ifndef VG_HANDLERS_NORMALIZE_H
#define VG_HANDLERS_NORMALIZE_H

#include <stddef.h>

/*
 * Normalise `len` bytes of UTF-8 `utf8` into `out` (NUL-terminated UTF-8,
 * at most `outsz` bytes including the NUL).  In order:
 *   1. Unicode NFKC (full-width "Ｙ１，ｔｄ" become "Y1,td", U+3000 a space);
 *   2. ASCII letters upper-cased;
 *   3. separators — whitespace and control characters, ',' '#' '*' and
 *      '、' — become one space; runs collapse; both ends are trimmed;
 *   4. a leading "回复" or "回" (copied from "回复Y开通") is dropped, with
 *      any ':' or space after it;
 *   5. a signature is dropped: everything from the first "--" or "——", or
 *      a trailing bracketed "【…】", "[…]" or "(…)", when text precedes it;
 *   6. trailing punctuation, symbols (categories P, Sm, Sk, So), emoji
 *      (U+1F000–U+1FAFF, U+2600–U+27BF), variation selectors, ZWJ, keycap
 *      and tag characters are dropped, repeatedly, except that a text which
 *      would otherwise be only "?" stays "?" (it asks for help).
 * The result may be "" (emoji only, empty input).
 *
 * Returns 0; VG_EINVAL when utf8 (with len > 0) or out is NULL;
 * VG_EUTF8 when the input is not valid UTF-8; VG_ETOOLONG when the result
 * with its NUL does not fit in outsz (out is then "" if outsz > 0).
 */
int vg_text_normalize(const char *utf8, size_t len, char *out, size_t outsz);

#endif
