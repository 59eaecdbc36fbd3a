/*
 * test_dlr.c — gateway/dlr.c: receipt text as SMSCs really write it, the
 * message_state mapping, and message-id keys that make hex and decimal
 * spellings of one id meet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/dlr.h"
#include "gateway/vg.h"

static void parse_ok(const char *s, vg_dlr_t *d) {
  assert_int_equal(vg_dlr_parse(s, strlen(s), d), 0);
}

/* ---- receipt text -------------------------------------------------------- */

static void test_parse_standard(void **state) {
  vg_dlr_t d;
  (void)state;

  parse_ok("id:0123456789 sub:001 dlvrd:001 submit date:2403011200 "
           "done date:2403011201 stat:DELIVRD err:000 text:Hello world",
           &d);
  assert_string_equal(d.id, "0123456789");
  assert_int_equal(d.stat, VG_DLR_DELIVERED);
  assert_string_equal(d.stat_text, "DELIVRD");
  assert_string_equal(d.err, "000");
  assert_string_equal(d.submit_date, "2403011200");
  assert_string_equal(d.done_date, "2403011201");
}

static void test_parse_lowercase_keys_and_stat(void **state) {
  vg_dlr_t d;
  (void)state;

  parse_ok("id:abc123 sub:001 dlvrd:000 submit date:2403011200 "
           "done date:2403011300 stat:undeliv err:012 text:",
           &d);
  assert_string_equal(d.id, "abc123");
  assert_int_equal(d.stat, VG_DLR_UNDELIVERABLE);
  assert_string_equal(d.stat_text, "UNDELIV");
  assert_string_equal(d.err, "012");

  parse_ok("ID:7F3A SUB:001 DLVRD:001 SUBMIT DATE:2403011200 "
           "DONE DATE:2403011300 STAT:EXPIRED ERR:000 TEXT:x",
           &d);
  assert_string_equal(d.id, "7F3A"); /* id as written, case kept */
  assert_int_equal(d.stat, VG_DLR_EXPIRED);
  assert_string_equal(d.done_date, "2403011300");
}

static void test_parse_extra_spaces(void **state) {
  vg_dlr_t d;
  (void)state;

  parse_ok("  id:42   sub:001  dlvrd:001\tsubmit  date:2403011200   "
           "done date: 2403011201 stat : DELIVRD   err:0  ",
           &d);
  assert_string_equal(d.id, "42");
  assert_string_equal(d.submit_date, "2403011200");
  assert_string_equal(d.done_date, "2403011201");
  assert_int_equal(d.stat, VG_DLR_DELIVERED);
  assert_string_equal(d.err, "0");
}

static void test_parse_12_digit_dates_and_underscores(void **state) {
  vg_dlr_t d;
  (void)state;

  parse_ok("id:99 sub:001 dlvrd:001 submit_date:240301120005 "
           "done_date:240301120107 stat:DELIVRD err:000",
           &d);
  assert_string_equal(d.submit_date, "240301120005");
  assert_string_equal(d.done_date, "240301120107");
  assert_int_equal(d.stat, VG_DLR_DELIVERED);

  parse_ok("id:99 Submit_Date:2403011200 Done_Date:2403011201 stat:DELIVRD",
           &d);
  assert_string_equal(d.submit_date, "2403011200");
  assert_string_equal(d.done_date, "2403011201");
}

/* Every stat word, 7-letter and spelled out, and how each classifies. */
static void test_parse_stat_words(void **state) {
  static const struct {
    const char *word;
    vg_dlr_stat_t stat;
    int final, failure;
  } cases[] = {
      {"DELIVRD", VG_DLR_DELIVERED, 1, 0},
      {"Delivered", VG_DLR_DELIVERED, 1, 0},
      {"EXPIRED", VG_DLR_EXPIRED, 1, 1},
      {"DELETED", VG_DLR_DELETED, 1, 1},
      {"UNDELIV", VG_DLR_UNDELIVERABLE, 1, 1},
      {"undeliverable", VG_DLR_UNDELIVERABLE, 1, 1},
      {"ACCEPTD", VG_DLR_ACCEPTED, 0, 0},
      {"ACCEPTED", VG_DLR_ACCEPTED, 0, 0},
      {"UNKNOWN", VG_DLR_UNKNOWN, 0, 0},
      {"REJECTD", VG_DLR_REJECTED, 1, 1},
      {"rejected", VG_DLR_REJECTED, 1, 1},
      {"ENROUTE", VG_DLR_ENROUTE, 0, 0},
      {"FAILED", VG_DLR_UNDELIVERABLE, 1, 1},
      {"2", VG_DLR_DELIVERED, 1, 0}, /* numeric message_state */
      {"BOGUS", VG_DLR_UNKNOWN, 0, 0},
  };
  char buf[128];
  vg_dlr_t d;
  size_t i;
  (void)state;

  for (i = 0; i < VG_ARRAY_SIZE(cases); i++) {
    snprintf(buf, sizeof(buf), "id:1 sub:001 dlvrd:001 stat:%s err:000",
             cases[i].word);
    parse_ok(buf, &d);
    assert_int_equal(d.stat, cases[i].stat);
    assert_int_equal(vg_dlr_stat_is_final(d.stat), cases[i].final);
    assert_int_equal(vg_dlr_stat_is_failure(d.stat), cases[i].failure);
  }
  parse_ok("id:1 stat:delivered", &d);
  assert_string_equal(d.stat_text, "DELIVERED");
}

static void test_parse_missing_fields(void **state) {
  vg_dlr_t d;
  (void)state;

  parse_ok("id:5 sub:001 dlvrd:001 submit date:2403011200 "
           "done date:2403011201 stat:DELIVRD text:hi",
           &d);
  assert_string_equal(d.err, "");
  assert_int_equal(d.stat, VG_DLR_DELIVERED);

  parse_ok("id:5", &d);
  assert_string_equal(d.id, "5");
  assert_int_equal(d.stat, VG_DLR_UNKNOWN);
  assert_string_equal(d.stat_text, "");
  assert_string_equal(d.submit_date, "");

  /* An empty value followed by the next key stays empty. */
  parse_ok("id:5 err: stat:DELIVRD", &d);
  assert_string_equal(d.err, "");
  assert_int_equal(d.stat, VG_DLR_DELIVERED);
}

/* Words in text: must not override the real fields. */
static void test_parse_text_with_keywords(void **state) {
  vg_dlr_t d;
  (void)state;

  parse_ok("id:77 sub:001 dlvrd:000 submit date:2403011200 done "
           "date:2403011201 stat:UNDELIV err:001 text:stat:DELIVRD id:1 err:0",
           &d);
  assert_string_equal(d.id, "77");
  assert_int_equal(d.stat, VG_DLR_UNDELIVERABLE);
  assert_string_equal(d.err, "001");
  assert_string_equal(d.done_date, "2403011201");

  /* No stat before text: the one inside text: is not taken either. */
  parse_ok("id:78 err:000 text:stat:DELIVRD err:999", &d);
  assert_int_equal(d.stat, VG_DLR_UNKNOWN);
  assert_string_equal(d.stat_text, "");
  assert_string_equal(d.err, "000");
}

/* Keys are recognised only as whole words: "msgid:" is not "id:". */
static void test_parse_word_boundaries(void **state) {
  vg_dlr_t d;
  (void)state;

  parse_ok("msgid:1 id:2 xstat:EXPIRED stat:DELIVRD", &d);
  assert_string_equal(d.id, "2");
  assert_int_equal(d.stat, VG_DLR_DELIVERED);

  /* Reordered fields; the first occurrence of a key wins. */
  parse_ok("stat:REJECTD err:0a1 id:ab-CD:9 stat:DELIVRD", &d);
  assert_string_equal(d.id, "ab-CD:9");
  assert_int_equal(d.stat, VG_DLR_REJECTED);
  assert_string_equal(d.err, "0a1");
}

/* "id:1 KEY:" and `n` times `c` (the text of a receipt sent in
 * message_payload, which has room for long fields). */
static const char *long_field(char *buf, const char *key, char c, size_t n) {
  int h = sprintf(buf, "id:1 stat:DELIVRD %s:", key);
  memset(buf + h, c, n);
  buf[h + (int)n] = '\0';
  return buf;
}

/* Every field is read whole up to its limit (71 bytes for an id,
 * VG_DLR_FIELD_MAX, a whole short_message, for the others); one byte more
 * and the text is refused, VG_ETOOLONG, never read cut. */
static void test_parse_long_fields(void **state) {
  static const char *const keys[] = {"err", "submit date", "done date"};
  char buf[600];
  vg_dlr_t d;
  (void)state;

  assert_int_equal(VG_DLR_FIELD_MAX, 254);
  for (size_t i = 0; i < VG_ARRAY_SIZE(keys); i++) {
    parse_ok(long_field(buf, keys[i], '1', VG_DLR_FIELD_MAX), &d);
    const char *v = i == 0 ? d.err : i == 1 ? d.submit_date : d.done_date;
    assert_int_equal(strlen(v), VG_DLR_FIELD_MAX);
    assert_int_equal(strspn(v, "1"), VG_DLR_FIELD_MAX);
    assert_string_equal(d.id, "1");
    long_field(buf, keys[i], '1', VG_DLR_FIELD_MAX + 1);
    memset(&d, 'x', sizeof d);
    assert_int_equal(vg_dlr_parse(buf, strlen(buf), &d), VG_ETOOLONG);
    assert_string_equal(d.id, "");
    assert_string_equal(d.err, "");
  }
  /* err:12345678901234567890, cut to 15 bytes before: whole. */
  parse_ok("id:1 stat:DELIVRD err:12345678901234567890", &d);
  assert_string_equal(d.err, "12345678901234567890");
  /* A stat word: whole, and not a state. */
  sprintf(buf, "id:1 stat:");
  memset(buf + 10, 'd', VG_DLR_FIELD_MAX);
  buf[10 + VG_DLR_FIELD_MAX] = '\0';
  parse_ok(buf, &d);
  assert_int_equal(strlen(d.stat_text), VG_DLR_FIELD_MAX);
  assert_int_equal(strspn(d.stat_text, "D"), VG_DLR_FIELD_MAX);
  assert_int_equal(d.stat, VG_DLR_UNKNOWN);
  strcat(buf, "d");
  assert_int_equal(vg_dlr_parse(buf, strlen(buf), &d), VG_ETOOLONG);

  memset(buf, 0, sizeof(buf));
  memcpy(buf, "id:", 3);
  memset(buf + 3, '7', 71);
  parse_ok(buf, &d);
  assert_int_equal(strlen(d.id), 71);
  memset(buf + 3, '7', 72);
  assert_int_equal(vg_dlr_parse(buf, strlen(buf), &d), VG_ETOOLONG);
}

static void test_parse_garbage(void **state) {
  static const char *const bad[] = {
      "",
      "hello world",
      "sub:001 dlvrd:001 stat:DELIVRD err:000",
      "id: sub:001 stat:DELIVRD",
      "text:id:123 stat:DELIVRD",
      "identifier:5",
      "id",
  };
  vg_dlr_t d;
  size_t i;
  (void)state;

  for (i = 0; i < VG_ARRAY_SIZE(bad); i++)
    assert_int_equal(vg_dlr_parse(bad[i], strlen(bad[i]), &d), VG_EINVAL);
}

/* `len` is honoured: nothing after it is read. */
static void test_parse_respects_len(void **state) {
  const char *s = "id:12345 stat:DELIVRD";
  vg_dlr_t d;
  (void)state;

  assert_int_equal(vg_dlr_parse(s, 6, &d), 0);
  assert_string_equal(d.id, "123");
  assert_int_equal(d.stat, VG_DLR_UNKNOWN);
}

/* ---- states -------------------------------------------------------------- */

static void test_message_state(void **state) {
  static const vg_dlr_stat_t expect[] = {
      VG_DLR_UNKNOWN,       VG_DLR_ENROUTE, VG_DLR_DELIVERED,
      VG_DLR_EXPIRED,       VG_DLR_DELETED, VG_DLR_UNDELIVERABLE,
      VG_DLR_ACCEPTED,      VG_DLR_UNKNOWN, VG_DLR_REJECTED,
      VG_DLR_UNKNOWN,
  };
  int i;
  (void)state;

  for (i = 0; i < (int)VG_ARRAY_SIZE(expect); i++)
    assert_int_equal(vg_dlr_stat_from_message_state(i), expect[i]);
  assert_int_equal(vg_dlr_stat_from_message_state(-1), VG_DLR_UNKNOWN);
  assert_string_equal(vg_dlr_stat_name(VG_DLR_DELIVERED), "delivered");
  assert_string_equal(vg_dlr_stat_name(VG_DLR_UNDELIVERABLE),
                      "undeliverable");
  assert_string_equal(vg_dlr_stat_name(VG_DLR_REJECTED), "rejected");
  assert_string_equal(vg_dlr_stat_name(VG_DLR_UNKNOWN), "unknown");
  assert_string_equal(vg_dlr_stat_name((vg_dlr_stat_t)99), "unknown");
}

/* ---- message id keys ----------------------------------------------------- */

static char keys[VG_MSGID_MAX_CANDIDATES][VG_MSGID_KEY_MAX];

static int mkeys(const char *id) {
  memset(keys, 0, sizeof(keys));
  return vg_msgid_keys(id, strlen(id), keys);
}

/* 1 when `k` is among the first `n` keys. */
static int has_key(int n, const char *k) {
  int i;

  for (i = 0; i < n; i++)
    if (strcmp(keys[i], k) == 0)
      return 1;
  return 0;
}

static void test_keys_decimal(void **state) {
  (void)state;

  /* decimal digits: read both as decimal (-> hex) and as hex (-> dec) */
  assert_int_equal(mkeys("1234567890"), 3);
  assert_string_equal(keys[0], "1234567890");
  assert_string_equal(keys[1], "499602d2");
  assert_string_equal(keys[2], "78187493520");

  assert_int_equal(mkeys("5"), 1); /* all readings agree */
  assert_string_equal(keys[0], "5");
}

static void test_keys_hex(void **state) {
  (void)state;

  assert_int_equal(mkeys("499602D2"), 2);
  assert_string_equal(keys[0], "499602d2");
  assert_string_equal(keys[1], "1234567890");

  assert_int_equal(mkeys("ff"), 2);
  assert_string_equal(keys[0], "ff");
  assert_string_equal(keys[1], "255");
}

/* The point of it all: submit_sm_resp in one spelling, receipt in another,
 * stored under keys[0] of one and found among the keys of the other. */
static void test_keys_match_across_spellings(void **state) {
  static const struct {
    const char *stored, *receipt;
  } pairs[] = {
      {"499602D2", "1234567890"},   /* hex resp, decimal receipt */
      {"1234567890", "499602d2"},   /* decimal resp, hex receipt */
      {"00AbCdEf", "abcdef"},       /* case and leading zeros */
      {"abcdef", "0000ABCDEF"},
      {"000000001234567890", "499602D2"},
      {"  42  ", "42"},
      {"00000", "0"},
  };
  char stored[VG_MSGID_KEY_MAX];
  size_t i;
  int n;
  (void)state;

  for (i = 0; i < VG_ARRAY_SIZE(pairs); i++) {
    assert_true(mkeys(pairs[i].stored) >= 1);
    strcpy(stored, keys[0]);
    n = mkeys(pairs[i].receipt);
    assert_true(n >= 1);
    assert_true(has_key(n, stored));
  }
  /* And different ids do not meet. */
  assert_true(mkeys("499602D3") >= 1);
  strcpy(stored, keys[0]);
  n = mkeys("1234567890");
  assert_false(has_key(n, stored));
}

static void test_keys_leading_zeros_and_case(void **state) {
  (void)state;

  assert_int_equal(mkeys("000ABC"), 2);
  assert_string_equal(keys[0], "abc");
  assert_string_equal(keys[1], "2748");

  assert_int_equal(mkeys("0000"), 1);
  assert_string_equal(keys[0], "0");

  assert_int_equal(mkeys("0010"), 3);
  assert_string_equal(keys[0], "10");
  assert_string_equal(keys[1], "a");
  assert_string_equal(keys[2], "16");
  /* Zeros padded with blanks: the key starts with neither (the fuzzer
   * found "0 5" giving " 5", not its own canonical form). */
  assert_int_equal(mkeys("0 5"), 1);
  assert_string_equal(keys[0], "5");
  assert_int_equal(mkeys("00  07"), 1);
  assert_string_equal(keys[0], "7");
  assert_int_equal(mkeys("0 0"), 1);
  assert_string_equal(keys[0], "0");
}

static void test_keys_non_numeric(void **state) {
  (void)state;

  assert_int_equal(mkeys("MSG-2024-XYZ"), 1);
  assert_string_equal(keys[0], "msg-2024-xyz");

  assert_int_equal(mkeys("c7f3e2a1-9b4d-4e8f-a0b1-112233445566"), 1);
  assert_string_equal(keys[0], "c7f3e2a1-9b4d-4e8f-a0b1-112233445566");

  assert_int_equal(mkeys("0xyz"), 1);
  assert_string_equal(keys[0], "xyz");
}

static void test_keys_overflow_and_limits(void **state) {
  char buf[VG_MSGID_KEY_MAX + 8];
  (void)state;

  /* UINT64_MAX: both readings of 20 digits; as hex it overflows. */
  assert_int_equal(mkeys("18446744073709551615"), 2);
  assert_string_equal(keys[1], "ffffffffffffffff");
  /* one more: decimal overflows too */
  assert_int_equal(mkeys("18446744073709551616"), 1);
  /* 16 hex digits fit, 17 do not (leading zeros do not count) */
  assert_int_equal(mkeys("FFFFFFFFFFFFFFFF"), 2);
  assert_string_equal(keys[1], "18446744073709551615");
  assert_int_equal(mkeys("1FFFFFFFFFFFFFFFF"), 1);
  assert_int_equal(mkeys("000FFFFFFFFFFFFFFFF"), 2);

  assert_int_equal(mkeys(""), 0);
  assert_int_equal(mkeys("   "), 0);

  memset(buf, 0, sizeof(buf));
  memset(buf, 'z', VG_MSGID_KEY_MAX - 1);
  assert_int_equal(mkeys(buf), 1);
  assert_int_equal(strlen(keys[0]), VG_MSGID_KEY_MAX - 1);
  buf[VG_MSGID_KEY_MAX - 1] = 'z';
  assert_int_equal(mkeys(buf), 0);

  /* an embedded NUL cannot be a key */
  assert_int_equal(vg_msgid_keys("12\0" "3", 4, keys), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_standard),
      cmocka_unit_test(test_parse_lowercase_keys_and_stat),
      cmocka_unit_test(test_parse_extra_spaces),
      cmocka_unit_test(test_parse_12_digit_dates_and_underscores),
      cmocka_unit_test(test_parse_stat_words),
      cmocka_unit_test(test_parse_missing_fields),
      cmocka_unit_test(test_parse_text_with_keywords),
      cmocka_unit_test(test_parse_word_boundaries),
      cmocka_unit_test(test_parse_long_fields),
      cmocka_unit_test(test_parse_garbage),
      cmocka_unit_test(test_parse_respects_len),
      cmocka_unit_test(test_message_state),
      cmocka_unit_test(test_keys_decimal),
      cmocka_unit_test(test_keys_hex),
      cmocka_unit_test(test_keys_match_across_spellings),
      cmocka_unit_test(test_keys_leading_zeros_and_case),
      cmocka_unit_test(test_keys_non_numeric),
      cmocka_unit_test(test_keys_overflow_and_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
