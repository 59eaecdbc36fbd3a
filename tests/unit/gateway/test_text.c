/*
 * test_text.c — gateway/text.c: MT encoding and splitting, MO decoding and
 * UDH parsing, reassembly.  Every check compares exact wire bytes or exact
 * UTF-8, so a wrong table entry or an off-by-one at a part boundary fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/text.h"
#include "gateway/vg.h"

/* ---- helpers ------------------------------------------------------------- */

/* `unit` repeated `n` times, malloc'd and NUL-terminated. */
static char *rep(const char *unit, size_t n) {
  size_t ul = strlen(unit), i;
  char *s = malloc(ul * n + 1);

  assert_non_null(s);
  for (i = 0; i < n; i++)
    memcpy(s + i * ul, unit, ul);
  s[ul * n] = '\0';
  return s;
}

/* Concatenation of a, b and c, malloc'd. */
static char *cat3(const char *a, const char *b, const char *c) {
  size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
  char *s = malloc(la + lb + lc + 1);

  assert_non_null(s);
  memcpy(s, a, la);
  memcpy(s + la, b, lb);
  memcpy(s + la + lb, c, lc + 1);
  return s;
}

static void encode_ok(const char *s, uint8_t ref, vg_text_mt_t *mt) {
  assert_int_equal(vg_text_encode_mt(s, strlen(s), ref, mt), 0);
}

/* Check that part `p` carries the concatenation UDH ref/total/seq. */
static void assert_udh(const vg_text_mt_t *mt, size_t p, uint8_t ref) {
  const unsigned char *d = mt->parts[p].data;

  assert_true(mt->parts[p].len >= 6);
  assert_int_equal(d[0], 0x05);
  assert_int_equal(d[1], 0x00);
  assert_int_equal(d[2], 0x03);
  assert_int_equal(d[3], ref);
  assert_int_equal(d[4], mt->nparts);
  assert_int_equal(d[5], p + 1);
}

/* Decode and compare with the expected UTF-8. */
static void assert_mo(int dcs, int udhi, const void *data, size_t len,
                      const char *expect) {
  char *out = NULL;
  size_t olen = 0;
  vg_concat_t c;

  assert_int_equal(vg_text_decode_mo(dcs, udhi, data, len, &c, &out, &olen),
                   0);
  assert_non_null(out);
  assert_int_equal(olen, strlen(expect));
  assert_memory_equal(out, expect, olen);
  assert_int_equal(out[olen], '\0');
  free(out);
}

/* The body is not text in its alphabet: VG_ENOTTEXT, no text.  Decoded
 * from an exact-size heap copy, so ASan sees any read past `len`. */
static void assert_not_text(int dcs, int udhi, const void *data, size_t len) {
  char *out = (char *)"untouched";
  size_t olen = 12345;
  vg_concat_t c;
  unsigned char *copy = malloc(len ? len : 1);

  assert_non_null(copy);
  memcpy(copy, data, len);
  assert_int_equal(vg_text_decode_mo(dcs, udhi, copy, len, &c, &out, &olen),
                   VG_ENOTTEXT);
  assert_null(out);
  free(copy);
}

/* ---- MT: alphabet -------------------------------------------------------- */

static void test_gsm_ascii(void **state) {
  vg_text_mt_t mt;
  static const unsigned char expect[] = {'H', 'e', 'l', 'l', 'o', 0x0A,
                                         '1', '!', '?', ' ', '#'};
  (void)state;

  encode_ok("Hello\n1!? #", 7, &mt);
  assert_int_equal(mt.dcs, VG_DCS_GSM);
  assert_int_equal(mt.udhi, 0);
  assert_int_equal(mt.nparts, 1);
  assert_int_equal(mt.parts[0].len, sizeof(expect));
  assert_memory_equal(mt.parts[0].data, expect, sizeof(expect));
  vg_text_mt_free(&mt);
  assert_null(mt.parts);
}

/* Characters whose septet differs from their ASCII/Latin-1 code. */
static void test_gsm_national_chars(void **state) {
  vg_text_mt_t mt;
  static const unsigned char expect[] = {
      0x00, 0x01, 0x02, 0x03, 0x24, 0x40, 0x60, 0x11, 0x5B, 0x5C,
      0x5D, 0x5E, 0x5F, 0x7B, 0x7C, 0x7D, 0x7E, 0x7F, 0x04, 0x05,
      0x09, 0x1F, 0x1C, 0x1D, 0x1E, 0x10, 0x15, 0x18, 0x0E, 0x0F};
  (void)state;

  encode_ok("@£$¥¤¡¿_ÄÖÑÜ§äöñüàèéÇÉÆæßΔΩΣÅå", 0, &mt);
  assert_int_equal(mt.dcs, VG_DCS_GSM);
  assert_int_equal(mt.nparts, 1);
  assert_int_equal(mt.parts[0].len, sizeof(expect));
  assert_memory_equal(mt.parts[0].data, expect, sizeof(expect));
  vg_text_mt_free(&mt);
}

static void test_gsm_escapes(void **state) {
  vg_text_mt_t mt;
  static const unsigned char expect[] = {
      0x1B, 0x65, 0x1B, 0x3C, 0x1B, 0x3E, 0x1B, 0x28, 0x1B, 0x29, 0x1B,
      0x14, 0x1B, 0x3D, 0x1B, 0x40, 0x1B, 0x2F, 0x1B, 0x0A, 'x'};
  (void)state;

  encode_ok("€[]{}^~|\\\fx", 0, &mt);
  assert_int_equal(mt.dcs, VG_DCS_GSM);
  assert_int_equal(mt.parts[0].len, sizeof(expect));
  assert_memory_equal(mt.parts[0].data, expect, sizeof(expect));
  vg_text_mt_free(&mt);
}

/* One character outside GSM makes the whole text UCS-2; 'ç' is the trap:
 * GSM has 'Ç' but not 'ç', and charset_utf8_to_gsm would silently map it. */
static void test_ucs2_fallback(void **state) {
  vg_text_mt_t mt;
  static const unsigned char expect_c[] = {0x00, 'a', 0x00, 0xE7};
  static const unsigned char expect_zh[] = {0x00, 'O', 0x00, 'K',
                                            0x4F, 0x60, 0x59, 0x7D};
  (void)state;

  encode_ok("aç", 0, &mt);
  assert_int_equal(mt.dcs, VG_DCS_UCS2);
  assert_int_equal(mt.udhi, 0);
  assert_int_equal(mt.parts[0].len, sizeof(expect_c));
  assert_memory_equal(mt.parts[0].data, expect_c, sizeof(expect_c));
  vg_text_mt_free(&mt);

  encode_ok("OK你好", 0, &mt);
  assert_int_equal(mt.dcs, VG_DCS_UCS2);
  assert_int_equal(mt.parts[0].len, sizeof(expect_zh));
  assert_memory_equal(mt.parts[0].data, expect_zh, sizeof(expect_zh));
  vg_text_mt_free(&mt);
}

static void test_ucs2_surrogate_pairs(void **state) {
  vg_text_mt_t mt;
  /* U+1F600 -> D83D DE00, U+1F44D -> D83D DC4D */
  static const unsigned char expect[] = {0x00, 'H', 0xD8, 0x3D, 0xDE, 0x00,
                                         0xD8, 0x3D, 0xDC, 0x4D};
  (void)state;

  encode_ok("H😀👍", 0, &mt);
  assert_int_equal(mt.dcs, VG_DCS_UCS2);
  assert_int_equal(mt.parts[0].len, sizeof(expect));
  assert_memory_equal(mt.parts[0].data, expect, sizeof(expect));
  vg_text_mt_free(&mt);
}

static void test_invalid_input(void **state) {
  static const char *const bad[] = {
      "\xC3",             /* truncated 2-byte sequence */
      "ab\x80",           /* stray continuation byte */
      "\xC0\xAF",         /* overlong '/' */
      "\xE0\x80\xAF",     /* overlong, 3 bytes */
      "\xED\xA0\x80",     /* UTF-8-encoded surrogate */
      "\xF4\x90\x80\x80", /* above U+10FFFF */
      "\xE4\xBD",         /* truncated 3-byte sequence */
      "\xFF",
  };
  vg_text_mt_t mt;
  size_t i;
  (void)state;

  for (i = 0; i < VG_ARRAY_SIZE(bad); i++) {
    assert_int_equal(vg_text_encode_mt(bad[i], strlen(bad[i]), 0, &mt),
                     VG_EUTF8);
    assert_int_equal(mt.nparts, 0);
    assert_null(mt.parts);
  }
  assert_int_equal(vg_text_encode_mt("", 0, 0, &mt), VG_ETEXT);
  assert_null(mt.parts);
}

/* ---- MT: splitting ------------------------------------------------------- */

static void test_gsm_160_161(void **state) {
  vg_text_mt_t mt;
  char *s;
  (void)state;

  s = rep("a", 160);
  encode_ok(s, 9, &mt);
  assert_int_equal(mt.nparts, 1);
  assert_int_equal(mt.udhi, 0);
  assert_int_equal(mt.parts[0].len, 160);
  assert_memory_equal(mt.parts[0].data, s, 160);
  vg_text_mt_free(&mt);
  free(s);

  s = rep("a", 161);
  encode_ok(s, 9, &mt);
  assert_int_equal(mt.dcs, VG_DCS_GSM);
  assert_int_equal(mt.nparts, 2);
  assert_int_equal(mt.udhi, 1);
  assert_udh(&mt, 0, 9);
  assert_udh(&mt, 1, 9);
  assert_int_equal(mt.parts[0].len, 6 + 153);
  assert_int_equal(mt.parts[1].len, 6 + 8);
  assert_memory_equal(mt.parts[0].data + 6, s, 153);
  assert_memory_equal(mt.parts[1].data + 6, s, 8);
  vg_text_mt_free(&mt);
  free(s);
}

static void test_gsm_153_per_part(void **state) {
  vg_text_mt_t mt;
  char *s;
  size_t p;
  (void)state;

  s = rep("b", 153 * 3);
  encode_ok(s, 200, &mt);
  assert_int_equal(mt.nparts, 3);
  for (p = 0; p < 3; p++) {
    assert_udh(&mt, p, 200);
    assert_int_equal(mt.parts[p].len, 6 + 153);
  }
  vg_text_mt_free(&mt);
  free(s);

  s = rep("b", 153 * 3 + 1);
  encode_ok(s, 200, &mt);
  assert_int_equal(mt.nparts, 4);
  assert_int_equal(mt.parts[3].len, 6 + 1);
  vg_text_mt_free(&mt);
  free(s);
}

/* An escape counts two septets against both limits and is never split. */
static void test_gsm_escape_at_boundary(void **state) {
  vg_text_mt_t mt;
  char *a, *s;
  (void)state;

  a = rep("a", 158);
  s = cat3(a, "€", "");
  encode_ok(s, 0, &mt); /* 158 + 2 = 160 septets: still one part */
  assert_int_equal(mt.nparts, 1);
  assert_int_equal(mt.parts[0].len, 160);
  assert_int_equal(mt.parts[0].data[158], 0x1B);
  assert_int_equal(mt.parts[0].data[159], 0x65);
  vg_text_mt_free(&mt);
  free(s);
  free(a);

  a = rep("a", 159);
  s = cat3(a, "€", "");
  encode_ok(s, 0, &mt); /* 161 septets */
  assert_int_equal(mt.nparts, 2);
  assert_int_equal(mt.parts[0].len, 6 + 153);
  assert_int_equal(mt.parts[1].len, 6 + 6 + 2);
  vg_text_mt_free(&mt);
  free(s);
  free(a);

  /* 152 + escape: the escape would occupy septets 153 and 154, so it
   * opens part 2 whole and part 1 has only 152 septets. */
  a = rep("a", 152);
  s = cat3(a, "€", "bbbbbbbbbb");
  encode_ok(s, 0, &mt);
  assert_int_equal(mt.nparts, 2);
  assert_int_equal(mt.parts[0].len, 6 + 152);
  assert_int_equal(mt.parts[0].data[6 + 151], 'a');
  assert_int_equal(mt.parts[1].len, 6 + 2 + 10);
  assert_int_equal(mt.parts[1].data[6], 0x1B);
  assert_int_equal(mt.parts[1].data[7], 0x65);
  assert_int_equal(mt.parts[1].data[8], 'b');
  vg_text_mt_free(&mt);
  free(s);
  free(a);

  /* 151 + escape fits exactly 153. */
  a = rep("a", 151);
  s = cat3(a, "[", "bbbbbbbbbb");
  encode_ok(s, 0, &mt);
  assert_int_equal(mt.nparts, 2);
  assert_int_equal(mt.parts[0].len, 6 + 153);
  assert_int_equal(mt.parts[0].data[6 + 151], 0x1B);
  assert_int_equal(mt.parts[0].data[6 + 152], 0x3C);
  assert_int_equal(mt.parts[1].len, 6 + 10);
  vg_text_mt_free(&mt);
  free(s);
  free(a);
}

static void test_ucs2_70_71(void **state) {
  vg_text_mt_t mt;
  char *s;
  size_t i;
  (void)state;

  s = rep("你", 70);
  encode_ok(s, 1, &mt);
  assert_int_equal(mt.dcs, VG_DCS_UCS2);
  assert_int_equal(mt.nparts, 1);
  assert_int_equal(mt.udhi, 0);
  assert_int_equal(mt.parts[0].len, 140);
  for (i = 0; i < 70; i++) {
    assert_int_equal(mt.parts[0].data[2 * i], 0x4F);
    assert_int_equal(mt.parts[0].data[2 * i + 1], 0x60);
  }
  vg_text_mt_free(&mt);
  free(s);

  s = rep("你", 71);
  encode_ok(s, 1, &mt);
  assert_int_equal(mt.nparts, 2);
  assert_udh(&mt, 0, 1);
  assert_udh(&mt, 1, 1);
  assert_int_equal(mt.parts[0].len, 6 + 2 * 67);
  assert_int_equal(mt.parts[1].len, 6 + 2 * 4);
  vg_text_mt_free(&mt);
  free(s);

  s = rep("你", 67 * 2);
  encode_ok(s, 1, &mt);
  assert_int_equal(mt.nparts, 2);
  assert_int_equal(mt.parts[0].len, 6 + 134);
  assert_int_equal(mt.parts[1].len, 6 + 134);
  vg_text_mt_free(&mt);
  free(s);
}

/* A surrogate pair counts two units and is never split. */
static void test_ucs2_pair_at_boundary(void **state) {
  vg_text_mt_t mt;
  char *a, *s;
  (void)state;

  a = rep("你", 68);
  s = cat3(a, "😀", "");
  encode_ok(s, 0, &mt); /* 70 units */
  assert_int_equal(mt.nparts, 1);
  assert_int_equal(mt.parts[0].len, 140);
  vg_text_mt_free(&mt);
  free(s);
  free(a);

  a = rep("你", 69);
  s = cat3(a, "😀", "");
  encode_ok(s, 0, &mt); /* 71 units */
  assert_int_equal(mt.nparts, 2);
  assert_int_equal(mt.parts[0].len, 6 + 134);
  assert_int_equal(mt.parts[1].len, 6 + 4 + 4); /* 你你 + pair */
  vg_text_mt_free(&mt);
  free(s);
  free(a);

  /* Pair would be units 67 and 68: it moves to part 2 whole. */
  a = rep("你", 66);
  s = cat3(a, "😀", "你你你你你");
  encode_ok(s, 0, &mt);
  assert_int_equal(mt.nparts, 2);
  assert_int_equal(mt.parts[0].len, 6 + 132);
  assert_int_equal(mt.parts[0].data[6 + 130], 0x4F); /* last: 你 */
  assert_int_equal(mt.parts[1].len, 6 + 4 + 10);
  assert_int_equal(mt.parts[1].data[6], 0xD8);
  assert_int_equal(mt.parts[1].data[7], 0x3D);
  assert_int_equal(mt.parts[1].data[8], 0xDE);
  assert_int_equal(mt.parts[1].data[9], 0x00);
  vg_text_mt_free(&mt);
  free(s);
  free(a);
}

/* 500 Chinese characters: 8 parts of 67 (the last 31), payloads in order. */
static void test_long_chinese(void **state) {
  static const char *const words = "短信网关测试中文长消息";
  vg_text_mt_t mt;
  char *s, *back;
  size_t p, off = 0, n = 500, wlen = strlen(words);
  unsigned char *wire;
  char *parts[8];
  int complete;
  (void)state;

  /* Build 500 characters by cycling through `words` (3 bytes each). */
  s = malloc(n * 3 + 1);
  assert_non_null(s);
  for (p = 0; p < n; p++)
    memcpy(s + 3 * p, words + (3 * p) % wlen, 3);
  s[n * 3] = '\0';

  encode_ok(s, 0xAB, &mt);
  assert_int_equal(mt.dcs, VG_DCS_UCS2);
  assert_int_equal(mt.nparts, 8);
  wire = malloc(n * 2);
  assert_non_null(wire);
  for (p = 0; p < 8; p++) {
    size_t plen = mt.parts[p].len - 6;
    assert_udh(&mt, p, 0xAB);
    assert_int_equal(plen, p < 7 ? 134 : 2 * (500 - 7 * 67));
    memcpy(wire + off, mt.parts[p].data + 6, plen);
    off += plen;
  }
  assert_int_equal(off, n * 2);
  assert_int_equal(wire[0], 0x77); /* 短 U+77ED */
  assert_int_equal(wire[1], 0xED);

  /* And back through the MO decoder and reassembly. */
  for (p = 0; p < 8; p++) {
    vg_concat_t c;
    assert_int_equal(vg_text_decode_mo(VG_DCS_UCS2, 1, mt.parts[p].data,
                                       mt.parts[p].len, &c, &parts[p], NULL),
                     0);
    assert_int_equal(c.present, 1);
    assert_int_equal(c.ref, 0xAB);
    assert_int_equal(c.total, 8);
    assert_int_equal(c.seq, p + 1);
  }
  back = vg_text_join_parts(parts, 8, &complete);
  assert_int_equal(complete, 1);
  assert_string_equal(back, s);
  free(back);
  for (p = 0; p < 8; p++)
    free(parts[p]);
  free(wire);
  vg_text_mt_free(&mt);
  free(s);
}

static void test_too_long(void **state) {
  vg_text_mt_t mt;
  char *s;
  (void)state;

  s = rep("a", 255 * 153);
  encode_ok(s, 0, &mt);
  assert_int_equal(mt.nparts, 255);
  assert_udh(&mt, 254, 0);
  vg_text_mt_free(&mt);
  free(s);

  s = rep("a", 255 * 153 + 1);
  assert_int_equal(vg_text_encode_mt(s, strlen(s), 0, &mt), VG_ETOOLONG);
  assert_null(mt.parts);
  free(s);

  s = rep("你", 255 * 67 + 1);
  assert_int_equal(vg_text_encode_mt(s, strlen(s), 0, &mt), VG_ETOOLONG);
  free(s);
}

/* ---- MO ------------------------------------------------------------------ */

static void test_mo_gsm(void **state) {
  static const unsigned char d[] = {'H', 'i', 0x00, 0x02, 0x1B, 0x65,
                                    0x1B, 0x3C, 0x1B, 0x3E, 0x11, 0x7F};
  static const unsigned char unk[] = {0x1B, 'A', 0x1B, 0x1B, 'z'};
  static const unsigned char euro_last[] = {'Y', 0x1B, 0x65};
  (void)state;

  assert_mo(VG_DCS_GSM, 0, d, sizeof(d), "Hi@$€[]_à");
  /* escape + unknown septet shows the basic one; 1B 1B a space */
  assert_mo(VG_DCS_GSM, 0, unk, sizeof(unk), "A z");
  /* an escape pair may end the text */
  assert_mo(VG_DCS_GSM, 0, euro_last, sizeof(euro_last), "Y€");
  assert_mo(VG_DCS_GSM, 0, "", 0, "");
  /* septet 0 is '@', not a NUL: nothing is padding in GSM */
  assert_mo(VG_DCS_GSM, 0, "Y\0", 2, "Y@");
}

/* GSM that is not GSM: half an escape, an octet that is no septet. */
static void test_mo_gsm_not_text(void **state) {
  static const unsigned char esc_last[] = {'Y', 0x1B};
  static const unsigned char esc_only[] = {0x1B};
  static const unsigned char esc_esc_esc[] = {'Y', 0x1B, 0x1B, 0x1B};
  static const unsigned char esc_high[] = {'Y', 0x1B, 0x80};
  static const unsigned char high[] = {'a', 0x80};
  static const unsigned char high_first[] = {0xFF, 'Y'};
  /* "是" in UTF-8, sent as if it were GSM or IA5 */
  static const unsigned char utf8[] = {0xE6, 0x98, 0xAF};
  (void)state;

  assert_not_text(VG_DCS_GSM, 0, esc_last, sizeof(esc_last));
  assert_not_text(VG_DCS_GSM, 0, esc_only, sizeof(esc_only));
  assert_not_text(VG_DCS_GSM, 0, esc_esc_esc, sizeof(esc_esc_esc));
  assert_not_text(VG_DCS_GSM, 0, esc_high, sizeof(esc_high));
  assert_not_text(VG_DCS_GSM, 0, high, sizeof(high));
  assert_not_text(VG_DCS_GSM, 0, high_first, sizeof(high_first));
  assert_not_text(VG_DCS_GSM, 0, utf8, sizeof(utf8));
  assert_not_text(VG_DCS_IA5, 0, utf8, sizeof(utf8));
}

static void test_mo_ia5_latin1(void **state) {
  (void)state;

  assert_mo(VG_DCS_IA5, 0, "Hi@[x", 5, "Hi@[x");
  assert_mo(VG_DCS_LATIN1, 0, "caf\xE9 \xA3", 6, "café £");
  /* SMPP has no UTF-8 data_coding: UTF-8 octets labelled Latin-1 are
   * Latin-1 characters, as labelled (every octet is one). */
  assert_mo(VG_DCS_LATIN1, 0, "\xE6\x98\xAF", 3, "æ\xC2\x98¯");
  /* The NUL that ends a C string, once or more: padding. */
  assert_mo(VG_DCS_IA5, 0, "Y\0", 2, "Y");
  assert_mo(VG_DCS_IA5, 0, "Y\0\0\0", 4, "Y");
  assert_mo(VG_DCS_LATIN1, 0, "Y\0", 2, "Y");
  assert_mo(VG_DCS_IA5, 0, "\0", 1, "");
  assert_not_text(VG_DCS_IA5, 0, "a\xE9", 2);
  assert_not_text(VG_DCS_IA5, 0, "\x80", 1);
  /* A NUL with text after it: cut short anywhere it is a C string. */
  assert_not_text(VG_DCS_IA5, 0, "\0Y", 2);
  assert_not_text(VG_DCS_IA5, 0, "Y\0N", 3);
  assert_not_text(VG_DCS_LATIN1, 0, "Y\0\0N\0", 5);
}

static void test_mo_ucs2(void **state) {
  static const unsigned char ok[] = {0x4F, 0x60, 0x59, 0x7D, 0xD8,
                                     0x3D, 0xDE, 0x00, 0x00, 0x21};
  static const unsigned char pair_only[] = {0xD8, 0x3D, 0xDE, 0x00};
  static const unsigned char pair_first[] = {0xD8, 0x3D, 0xDC, 0x4D, 0x00,
                                             0x59};
  static const unsigned char two_pairs[] = {0xD8, 0x3D, 0xDE, 0x00,
                                            0xDB, 0xFF, 0xDF, 0xFF};
  static const unsigned char padded[] = {0x00, 0x59, 0x00, 0x00};
  static const unsigned char fffd[] = {0xFF, 0xFD}; /* sent as such */
  (void)state;

  assert_mo(VG_DCS_UCS2, 0, ok, sizeof(ok), "你好😀!");
  assert_mo(VG_DCS_UCS2, 0, pair_only, sizeof(pair_only), "😀");
  assert_mo(VG_DCS_UCS2, 0, pair_first, sizeof(pair_first), "👍Y");
  assert_mo(VG_DCS_UCS2, 0, two_pairs, sizeof(two_pairs),
            "😀\xF4\x8F\xBF\xBF");
  assert_mo(VG_DCS_UCS2, 0, padded, sizeof(padded), "Y");
  assert_mo(VG_DCS_UCS2, 0, fffd, sizeof(fffd), "\xEF\xBF\xBD");
  assert_mo(VG_DCS_UCS2, 0, "", 0, "");
}

/* UCS-2 that is not UTF-16: each would have decoded, with U+FFFD, to
 * something the grammar reads ("Y", "A"). */
static void test_mo_ucs2_not_text(void **state) {
  static const unsigned char odd_y[] = {0x00, 0x59, 0x00};
  static const unsigned char odd_one[] = {0x59};
  static const unsigned char odd_pair[] = {0xD8, 0x3D, 0xDE, 0x00, 0x00};
  static const unsigned char hi_alone[] = {0xD8, 0x3D, 0x00, 0x59};
  static const unsigned char hi_at_end[] = {0x00, 0x59, 0xD8, 0x3D};
  static const unsigned char hi_hi_lo[] = {0xD8, 0x3D, 0xD8, 0x3D, 0xDE, 0x00};
  static const unsigned char hi_then_pad[] = {0x00, 0x59, 0xD8, 0x3D, 0x00,
                                              0x00};
  static const unsigned char lo_alone[] = {0xDE, 0x00, 0x00, 0x59};
  static const unsigned char lo_at_end[] = {0x00, 0x59, 0xDE, 0x00};
  static const unsigned char reversed[] = {0xDE, 0x00, 0xD8, 0x3D};
  static const unsigned char pair_lo[] = {0xD8, 0x3D, 0xDE, 0x00, 0xDE, 0x00};
  static const unsigned char nul_first[] = {0x00, 0x00, 0x00, 0x59};
  static const unsigned char nul_inside[] = {0x00, 0x59, 0x00, 0x00, 0x00,
                                             0x4E};
  const struct {
    const unsigned char *d;
    size_t n;
  } bad[] = {
      {odd_y, sizeof(odd_y)},         {odd_one, sizeof(odd_one)},
      {odd_pair, sizeof(odd_pair)},   {hi_alone, sizeof(hi_alone)},
      {hi_at_end, sizeof(hi_at_end)}, {hi_hi_lo, sizeof(hi_hi_lo)},
      {hi_then_pad, sizeof(hi_then_pad)}, {lo_alone, sizeof(lo_alone)},
      {lo_at_end, sizeof(lo_at_end)}, {reversed, sizeof(reversed)},
      {pair_lo, sizeof(pair_lo)},     {nul_first, sizeof(nul_first)},
      {nul_inside, sizeof(nul_inside)},
  };
  (void)state;

  for (size_t i = 0; i < VG_ARRAY_SIZE(bad); i++) {
    print_message("  case %zu\n", i);
    assert_not_text(VG_DCS_UCS2, 0, bad[i].d, bad[i].n);
    /* the coding groups that mean UCS-2 decode the same way */
    assert_not_text(0x18, 0, bad[i].d, bad[i].n);
    assert_not_text(0xE0, 0, bad[i].d, bad[i].n);
  }
}

/* A part whose text is not text still says which part it is: its header
 * was sound, so the message can still be put together (and refused as a
 * whole). */
static void test_mo_not_text_keeps_concat(void **state) {
  static const unsigned char d[] = {0x05, 0x00, 0x03, 0x2A, 0x02,
                                    0x02, 0x00, 0x59, 0x00};
  vg_concat_t c;
  char *out = NULL;
  size_t n;
  (void)state;

  assert_int_equal(
      vg_text_decode_mo(VG_DCS_UCS2, 1, d, sizeof(d), &c, &out, &n),
      VG_ENOTTEXT);
  assert_null(out);
  assert_int_equal(c.present, 1);
  assert_int_equal(c.ref, 0x2A);
  assert_int_equal(c.total, 2);
  assert_int_equal(c.seq, 2);
}

/* data_coding values other than 0/1/3/8, by their coding group. */
static void test_mo_other_dcs(void **state) {
  /* As Latin-1 "Aé"; as UCS-2 U+41E9; as GSM 'A' and a non-septet. */
  static const unsigned char d[] = {0x41, 0xE9};
  static const unsigned char g[] = {0x00, 0x05}; /* GSM "@é" */
  (void)state;

  assert_mo(0xF4, 0, d, 2, "A\xC3\xA9"); /* class group, 8-bit */
  assert_mo(0xF5, 0, d, 2, "A\xC3\xA9");
  assert_mo(0xF0, 0, g, 2, "@é"); /* class group, GSM */
  assert_not_text(0xF1, 0, d, 2);
  assert_mo(0x04, 0, d, 2, "A\xC3\xA9"); /* SMPP/GSM 8-bit binary */
  assert_mo(0x02, 0, d, 2, "A\xC3\xA9"); /* SMPP octet unspecified */
  assert_mo(0x06, 0, d, 2, "A\xC3\xA9"); /* SMPP Cyrillic: octets kept */
  assert_mo(0x14, 0, d, 2, "A\xC3\xA9"); /* general group, 8-bit */
  assert_mo(0x18, 0, d, 2, "\xE4\x87\xA9"); /* general, UCS-2: U+41E9 */
  assert_mo(0xE0, 0, d, 2, "\xE4\x87\xA9"); /* message waiting, UCS-2 */
  assert_mo(0x10, 0, g, 2, "@é"); /* general group, GSM */
  assert_mo(0xC0, 0, g, 2, "@é"); /* message waiting, GSM */
  /* binary with a NUL inside is kept as octets, not cut at the NUL */
  assert_not_text(0x04, 0, "\x01\x00\x02", 3);
}

static void test_mo_udh_8bit(void **state) {
  static const unsigned char d[] = {0x05, 0x00, 0x03, 0x2A, 0x03, 0x02,
                                    'H',  'i'};
  vg_concat_t c;
  char *out;
  size_t n;
  (void)state;

  assert_int_equal(
      vg_text_decode_mo(VG_DCS_GSM, 1, d, sizeof(d), &c, &out, &n), 0);
  assert_int_equal(c.present, 1);
  assert_int_equal(c.ref, 0x2A);
  assert_int_equal(c.total, 3);
  assert_int_equal(c.seq, 2);
  assert_int_equal(n, 2);
  assert_string_equal(out, "Hi");
  free(out);

  /* Without udhi the header is body: Latin-1 with a NUL inside, which is
   * no text (it would be cut short at the NUL). */
  assert_not_text(VG_DCS_LATIN1, 0, d, sizeof(d));
  /* ... and from its third octet on, text with control characters. */
  assert_int_equal(
      vg_text_decode_mo(VG_DCS_LATIN1, 0, d + 2, sizeof(d) - 2, &c, &out, &n),
      0);
  assert_int_equal(c.present, 0);
  assert_int_equal(n, 6);
  free(out);
}

static void test_mo_udh_16bit_and_skipped_ies(void **state) {
  static const unsigned char d16[] = {0x06, 0x08, 0x04, 0x12, 0x34,
                                      0x02, 0x01, 0x00, 0x41};
  /* Port addressing (05) before the concatenation IE, a 0-length IE after. */
  static const unsigned char mixed[] = {0x0D, 0x05, 0x04, 0x0B, 0x84, 0x23,
                                        0xF0, 0x00, 0x03, 0x07, 0x02, 0x02,
                                        0x70, 0x00, 'o',  'k'};
  /* Only a non-concatenation IE. */
  static const unsigned char other[] = {0x03, 0x24, 0x01, 0x05, 'x'};
  vg_concat_t c;
  char *out;
  size_t n;
  (void)state;

  assert_int_equal(
      vg_text_decode_mo(VG_DCS_UCS2, 1, d16, sizeof(d16), &c, &out, &n), 0);
  assert_int_equal(c.present, 1);
  assert_int_equal(c.ref, 0x1234);
  assert_int_equal(c.total, 2);
  assert_int_equal(c.seq, 1);
  assert_string_equal(out, "A");
  free(out);

  assert_int_equal(
      vg_text_decode_mo(VG_DCS_GSM, 1, mixed, sizeof(mixed), &c, &out, &n), 0);
  assert_int_equal(c.present, 1);
  assert_int_equal(c.ref, 7);
  assert_int_equal(c.total, 2);
  assert_int_equal(c.seq, 2);
  assert_string_equal(out, "ok");
  free(out);

  assert_int_equal(
      vg_text_decode_mo(VG_DCS_GSM, 1, other, sizeof(other), &c, &out, &n), 0);
  assert_int_equal(c.present, 0);
  assert_string_equal(out, "x");
  free(out);

  /* UDH only, no text: an empty string. */
  assert_int_equal(vg_text_decode_mo(VG_DCS_GSM, 1, d16, 7, &c, &out, &n), 0);
  assert_int_equal(c.present, 1);
  assert_int_equal(n, 0);
  assert_string_equal(out, "");
  free(out);
}

/* Concatenation IEs with impossible numbers are ignored (TS 23.040). */
static void test_mo_udh_bad_numbers_ignored(void **state) {
  static const unsigned char zero_total[] = {0x05, 0x00, 0x03, 0x01,
                                             0x00, 0x01, 'a'};
  static const unsigned char seq_over[] = {0x05, 0x00, 0x03, 0x01,
                                           0x02, 0x03, 'a'};
  static const unsigned char seq_zero[] = {0x05, 0x00, 0x03, 0x01,
                                           0x02, 0x00, 'a'};
  const unsigned char *cases[] = {zero_total, seq_over, seq_zero};
  vg_concat_t c;
  char *out;
  size_t i, n;
  (void)state;

  for (i = 0; i < 3; i++) {
    assert_int_equal(
        vg_text_decode_mo(VG_DCS_GSM, 1, cases[i], 7, &c, &out, &n), 0);
    assert_int_equal(c.present, 0);
    assert_string_equal(out, "a");
    free(out);
  }
}

static void test_mo_udh_malformed(void **state) {
  static const unsigned char udhl_past_end[] = {0x07, 0x00, 0x03,
                                                0x01, 0x02, 0x01};
  static const unsigned char iel_past_udh[] = {0x05, 0x00, 0x05, 0x01,
                                               0x02, 0x01, 'a', 'b'};
  static const unsigned char iei_no_len[] = {0x06, 0x00, 0x03, 0x01,
                                             0x02, 0x01, 0x00, 'a'};
  static const unsigned char concat_bad_size[] = {0x04, 0x00, 0x02,
                                                  0x01, 0x02, 'a'};
  static const unsigned char concat16_bad_size[] = {0x05, 0x08, 0x03, 0x01,
                                                    0x02, 0x01, 'a'};
  /* A non-concatenation IE whose length runs 1 octet past the UDH. */
  static const unsigned char other_past_udh[] = {0x04, 0x24, 0x03, 0x01,
                                                 0x02, 'a',  'b'};
  static const unsigned char udhl_only[] = {0x05};
  struct {
    const unsigned char *d;
    size_t n;
  } bad[] = {
      {udhl_past_end, sizeof(udhl_past_end)},
      {iel_past_udh, sizeof(iel_past_udh)},
      {iei_no_len, sizeof(iei_no_len)},
      {concat_bad_size, sizeof(concat_bad_size)},
      {concat16_bad_size, sizeof(concat16_bad_size)},
      {other_past_udh, sizeof(other_past_udh)},
      {udhl_only, sizeof(udhl_only)},
      {udhl_only, 0},
  };
  vg_concat_t c;
  char *out = NULL;
  size_t i, n;
  (void)state;

  for (i = 0; i < VG_ARRAY_SIZE(bad); i++) {
    /* An exact-size heap copy, so ASan catches any read past `len`. */
    unsigned char *copy = malloc(bad[i].n ? bad[i].n : 1);
    assert_non_null(copy);
    memcpy(copy, bad[i].d, bad[i].n);
    assert_int_equal(
        vg_text_decode_mo(VG_DCS_GSM, 1, copy, bad[i].n, &c, &out, &n),
        VG_EPDU);
    assert_null(out);
    free(copy);
  }
  /* Truncating a good PDU inside its UDH is malformed at every length. */
  {
    static const unsigned char good[] = {0x06, 0x08, 0x04, 0x12,
                                         0x34, 0x02, 0x01};
    for (i = 0; i < sizeof(good); i++) {
      unsigned char *copy = malloc(i ? i : 1);
      assert_non_null(copy);
      memcpy(copy, good, i);
      assert_int_equal(
          vg_text_decode_mo(VG_DCS_UCS2, 1, copy, i, &c, &out, &n), VG_EPDU);
      free(copy);
    }
  }
}

/* ---- keeping a text at a maximum ----------------------------------------- */

static void test_utf8_prefix(void **state) {
  char *a255 = rep("a", 255), *zh85 = rep("是", 85), *zh86 = rep("是", 86);
  char *a_zh85 = cat3("a", zh85, ""), *a253 = rep("a", 253);
  char *emoji = cat3(a253, "😀", "");
  (void)state;

  /* Within the maximum: whole. */
  assert_int_equal(vg_text_utf8_prefix(a255, 255, 255), 255);
  assert_int_equal(vg_text_utf8_prefix(zh85, 255, 255), 255);
  assert_int_equal(vg_text_utf8_prefix("", 0, 255), 0);
  /* One over: the last whole character within it. */
  assert_int_equal(vg_text_utf8_prefix(a255, 255, 254), 254);
  assert_int_equal(vg_text_utf8_prefix(zh86, 258, 255), 255);
  assert_int_equal(vg_text_utf8_prefix(a_zh85, 256, 255), 253);
  assert_int_equal(vg_text_utf8_prefix(zh85, 255, 254), 252);
  assert_int_equal(vg_text_utf8_prefix(zh85, 255, 253), 252);
  /* A 4-octet character across the maximum goes whole. */
  assert_int_equal(vg_text_utf8_prefix(emoji, 257, 256), 253);
  assert_int_equal(vg_text_utf8_prefix(emoji, 257, 257), 257);
  assert_int_equal(vg_text_utf8_prefix("是", 3, 2), 0);
  assert_int_equal(vg_text_utf8_prefix("是", 3, 0), 0);
  free(a255);
  free(zh85);
  free(zh86);
  free(a_zh85);
  free(a253);
  free(emoji);
}

/* ---- MT -> MO round trip and reassembly ---------------------------------- */

static void test_roundtrip_gsm_multipart(void **state) {
  vg_text_mt_t mt;
  char *a, *s, *joined, *texts[3];
  size_t p;
  int complete;
  (void)state;

  a = rep("x€", 120); /* 360 septets, with escapes at both boundaries */
  s = cat3("Start {", a, "} Ende äöü");
  encode_ok(s, 77, &mt);
  assert_int_equal(mt.dcs, VG_DCS_GSM);
  assert_int_equal(mt.nparts, 3);
  for (p = 0; p < mt.nparts; p++) {
    vg_concat_t c;
    assert_int_equal(vg_text_decode_mo(VG_DCS_GSM, 1, mt.parts[p].data,
                                       mt.parts[p].len, &c, &texts[p], NULL),
                     0);
    assert_int_equal(c.seq, p + 1);
  }
  joined = vg_text_join_parts(texts, 3, &complete);
  assert_int_equal(complete, 1);
  assert_string_equal(joined, s);
  free(joined);
  for (p = 0; p < 3; p++)
    free(texts[p]);
  vg_text_mt_free(&mt);
  free(s);
  free(a);
}

static void test_join_parts_missing(void **state) {
  char *texts[4] = {"one ", NULL, "three ", "four"};
  char *all[2] = {"ab", "cd"};
  char *none[2] = {NULL, NULL};
  char *out;
  int complete = -1;
  (void)state;

  out = vg_text_join_parts(texts, 4, &complete);
  assert_int_equal(complete, 0);
  assert_string_equal(out, "one three four");
  free(out);

  out = vg_text_join_parts(all, 2, &complete);
  assert_int_equal(complete, 1);
  assert_string_equal(out, "abcd");
  free(out);

  out = vg_text_join_parts(none, 2, &complete);
  assert_int_equal(complete, 0);
  assert_string_equal(out, "");
  free(out);
}

/* ---- one part, never split (a USSD screen) --------------------------------- */

/* At the limits given (182 septets, 80 UCS-2 units: ussd.h): one part with
 * no UDH up to the limit, the exact bytes; VG_ETOOLONG one unit beyond it,
 * with the length told; an extension character and a surrogate pair
 * counting two. */
static int one(const char *s, vg_text_mt_t *mt, size_t *units) {
  return vg_text_encode_one(s, strlen(s), 182, 80, mt, units);
}

static void test_encode_one(void **state) {
  vg_text_mt_t mt;
  size_t units;
  char *s = rep("a", 182);

  (void)state;
  assert_int_equal(one(s, &mt, &units), 0);
  assert_int_equal(units, 182);
  assert_int_equal(mt.dcs, VG_DCS_GSM);
  assert_int_equal(mt.udhi, 0);
  assert_int_equal(mt.nparts, 1);
  assert_int_equal(mt.parts[0].len, 182);
  assert_memory_equal(mt.parts[0].data, s, 182);
  vg_text_mt_free(&mt);
  free(s);

  s = rep("a", 183);
  assert_int_equal(one(s, &mt, &units),
                   VG_ETOOLONG);
  assert_int_equal(units, 183);
  assert_int_equal(mt.dcs, VG_DCS_GSM);
  assert_null(mt.parts);
  free(s);

  /* 180 + the euro sign (1B 65) = 182 septets; one more '{' is 184. */
  char *r = rep("a", 180);
  s = cat3(r, "\xe2\x82\xac", "");
  free(r);
  assert_int_equal(one(s, &mt, &units), 0);
  assert_int_equal(units, 182);
  assert_int_equal(mt.parts[0].data[180], 0x1B);
  assert_int_equal(mt.parts[0].data[181], 0x65);
  vg_text_mt_free(&mt);
  char *t = cat3(s, "{", "");
  assert_int_equal(one(t, &mt, &units),
                   VG_ETOOLONG);
  assert_int_equal(units, 184);
  free(t);
  free(s);

  /* UCS-2: 80 Chinese characters fit, 81 do not. */
  s = rep("\xe4\xbd\xa0", 80); /* 你 */
  assert_int_equal(one(s, &mt, &units), 0);
  assert_int_equal(units, 80);
  assert_int_equal(mt.dcs, VG_DCS_UCS2);
  assert_int_equal(mt.udhi, 0);
  assert_int_equal(mt.nparts, 1);
  assert_int_equal(mt.parts[0].len, 160);
  assert_int_equal(mt.parts[0].data[0], 0x4F);
  assert_int_equal(mt.parts[0].data[1], 0x60);
  vg_text_mt_free(&mt);
  free(s);
  s = rep("\xe4\xbd\xa0", 81);
  assert_int_equal(one(s, &mt, &units),
                   VG_ETOOLONG);
  assert_int_equal(units, 81);
  assert_int_equal(mt.dcs, VG_DCS_UCS2);
  free(s);
  /* 78 + one emoji (a surrogate pair) = 80 units; 79 + it = 81. */
  r = rep("\xe4\xbd\xa0", 78);
  s = cat3(r, "\xf0\x9f\x98\x80", "");
  free(r);
  assert_int_equal(one(s, &mt, &units), 0);
  assert_int_equal(units, 80);
  vg_text_mt_free(&mt);
  free(s);
  r = rep("\xe4\xbd\xa0", 79);
  s = cat3(r, "\xf0\x9f\x98\x80", "");
  free(r);
  assert_int_equal(one(s, &mt, &units),
                   VG_ETOOLONG);
  free(s);

  /* Not text, or nothing. */
  assert_int_equal(vg_text_encode_one("\xff", 1, 182, 80, &mt, &units),
                   VG_EUTF8);
  assert_int_equal(vg_text_encode_one("", 0, 182, 80, &mt, &units), VG_ETEXT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gsm_ascii),
      cmocka_unit_test(test_gsm_national_chars),
      cmocka_unit_test(test_gsm_escapes),
      cmocka_unit_test(test_ucs2_fallback),
      cmocka_unit_test(test_ucs2_surrogate_pairs),
      cmocka_unit_test(test_invalid_input),
      cmocka_unit_test(test_gsm_160_161),
      cmocka_unit_test(test_gsm_153_per_part),
      cmocka_unit_test(test_gsm_escape_at_boundary),
      cmocka_unit_test(test_ucs2_70_71),
      cmocka_unit_test(test_ucs2_pair_at_boundary),
      cmocka_unit_test(test_long_chinese),
      cmocka_unit_test(test_too_long),
      cmocka_unit_test(test_encode_one),
      cmocka_unit_test(test_mo_gsm),
      cmocka_unit_test(test_mo_gsm_not_text),
      cmocka_unit_test(test_mo_ia5_latin1),
      cmocka_unit_test(test_mo_ucs2),
      cmocka_unit_test(test_mo_ucs2_not_text),
      cmocka_unit_test(test_mo_not_text_keeps_concat),
      cmocka_unit_test(test_mo_other_dcs),
      cmocka_unit_test(test_mo_udh_8bit),
      cmocka_unit_test(test_mo_udh_16bit_and_skipped_ies),
      cmocka_unit_test(test_mo_udh_bad_numbers_ignored),
      cmocka_unit_test(test_mo_udh_malformed),
      cmocka_unit_test(test_utf8_prefix),
      cmocka_unit_test(test_roundtrip_gsm_multipart),
      cmocka_unit_test(test_join_parts_missing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
