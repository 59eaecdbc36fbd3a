/*
 * test_feed.c — handlers/feed.c: one row of the billing and care feed
 * (every event, the service column, dates, numbers, full-width and odd
 * blanks), the header row, the stored member, and the SHA-256 that names an
 * imported file (gateway/sha256.c).  The import and vg_feed_load() run
 * against a real redis-server in tests/e2e/feed.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/sha256.h"
#include "gateway/vg.h"
#include "handlers/feed.h"

#define TODAY 20261122

/* Parse a row with country code 86 and TODAY; the return code. */
static int row(const char *m, const char *s, const char *e, const char *d,
               vg_fact_t *f, char *why, size_t whysz) {
  why[0] = '\0';
  return vg_feed_parse_row(m, s, e, d, "86", TODAY, f, why, whysz);
}

/* The row must be refused with a reason containing `part`. */
static void refused(const char *m, const char *s, const char *e,
                    const char *d, const char *part) {
  vg_fact_t f;
  char why[256];

  assert_int_equal(row(m, s, e, d, &f, why, sizeof why), VG_EINVAL);
  if (strstr(why, part) == NULL)
    fail_msg("'%s,%s,%s,%s': reason '%s' lacks '%s'", m, s, e, d, why, part);
}

/* ---- events -------------------------------------------------------------------- */

static void test_every_event(void **state) {
  static const struct {
    const char *text;
    vg_fact_event_t ev;
    int number_level;
  } ev[] = {{"charged", VG_FACT_CHARGED, 0},
            {"cancelled", VG_FACT_CANCELLED, 0},
            {"changed", VG_FACT_CHANGED, 0},
            {"arrears", VG_FACT_ARREARS, 1},
            {"complaint", VG_FACT_COMPLAINT, 0},
            {"voice", VG_FACT_VOICE, 1}};
  vg_fact_t f;
  char why[256], member[VG_FEED_MEMBER_MAX], want[64];

  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(ev); i++) {
    assert_int_equal(row("8613800138000", "CL", ev[i].text, "2026-11-20", &f,
                         why, sizeof why), 0);
    assert_int_equal(f.event, ev[i].ev);
    assert_string_equal(f.msisdn, "8613800138000");
    assert_string_equal(f.service, "CL");
    assert_int_equal(f.date, 20261120);
    assert_string_equal(vg_feed_event_name(f.event), ev[i].text);
    assert_int_equal(vg_feed_number_level(f.event), ev[i].number_level);
    snprintf(want, sizeof want, "CL|%s|20261120", ev[i].text);
    assert_string_equal(vg_feed_member(&f, member), want);
  }
  /* any case */
  assert_int_equal(row("13800138000", "cl", "Charged", "20261120", &f, why,
                       sizeof why), 0);
  assert_int_equal(f.event, VG_FACT_CHARGED);
  assert_int_equal(row("13800138000", "CL", "VOICE", "20261120", &f, why,
                       sizeof why), 0);
  assert_int_equal(f.event, VG_FACT_VOICE);
  refused("13800138000", "CL", "paid", "2026-11-20", "unknown event 'paid'");
  refused("13800138000", "CL", "", "2026-11-20", "unknown event ''");
  refused("13800138000", "CL", "charge d", "2026-11-20", "unknown event");
  assert_null(vg_feed_event_name(VG_FACT_EVENT_END));
}

static void test_service_column(void **state) {
  vg_fact_t f;
  char why[256], member[VG_FEED_MEMBER_MAX];

  (void)state;
  /* empty: only for the number-level events */
  assert_int_equal(row("13800138000", "", "arrears", "2026-11-01", &f, why,
                       sizeof why), 0);
  assert_string_equal(f.service, "");
  assert_string_equal(vg_feed_member(&f, member), "|arrears|20261101");
  assert_int_equal(row("13800138000", "  ", "voice", "2026-11-01", &f, why,
                       sizeof why), 0);
  assert_string_equal(vg_feed_member(&f, member), "|voice|20261101");
  refused("13800138000", "", "charged", "2026-11-01",
          "event charged needs a service code");
  refused("13800138000", "", "cancelled", "2026-11-01",
          "event cancelled needs a service code");
  refused("13800138000", "", "changed", "2026-11-01", "needs a service code");
  refused("13800138000", " ", "complaint", "2026-11-01",
          "needs a service code");
  /* a number-level event may still name the service */
  assert_int_equal(row("13800138000", "sjb", "voice", "2026-11-01", &f, why,
                       sizeof why), 0);
  assert_string_equal(f.service, "SJB");
  /* codes as the catalogue has them */
  assert_int_equal(row("13800138000", "ll10", "charged", "2026-11-01", &f,
                       why, sizeof why), 0);
  assert_string_equal(f.service, "LL10");
  refused("13800138000", "1CL", "charged", "2026-11-01",
          "must start with a letter");
  refused("13800138000", "ABCDEFGHI", "charged", "2026-11-01",
          "longer than 8");
  refused("13800138000", "C-L", "charged", "2026-11-01", "letters A-Z");
  refused("13800138000", "TD", "charged", "2026-11-01", "command keyword");
  refused("13800138000", "彩铃", "charged", "2026-11-01", "service code");
}

/* ---- dates ---------------------------------------------------------------------- */

static void test_dates(void **state) {
  vg_fact_t f;
  char why[256];

  (void)state;
  assert_int_equal(row("13800138000", "CL", "charged", "2024-02-29", &f, why,
                       sizeof why), 0);
  assert_int_equal(f.date, 20240229);
  assert_int_equal(row("13800138000", "CL", "charged", "20001231", &f, why,
                       sizeof why), 0);
  assert_int_equal(f.date, 20001231);
  refused("13800138000", "CL", "charged", "20260230", "not a real day");
  refused("13800138000", "CL", "charged", "2026-02-30", "not a real day");
  refused("13800138000", "CL", "charged", "2026-13-01", "not a real day");
  refused("13800138000", "CL", "charged", "2025-02-29", "not a real day");
  refused("13800138000", "CL", "charged", "2026-04-31", "not a real day");
  refused("13800138000", "CL", "charged", "2026-00-10", "not a real day");
  refused("13800138000", "CL", "charged", "2026-11-00", "not a real day");
  refused("13800138000", "CL", "charged", "2026/11/20",
          "not YYYY-MM-DD or YYYYMMDD");
  refused("13800138000", "CL", "charged", "2026-1-20", "not YYYY-MM-DD");
  refused("13800138000", "CL", "charged", "26-11-20", "not YYYY-MM-DD");
  refused("13800138000", "CL", "charged", "2026112", "not YYYY-MM-DD");
  refused("13800138000", "CL", "charged", "+0261120", "not YYYY-MM-DD");
  refused("13800138000", "CL", "charged", "", "not YYYY-MM-DD");
  /* today and tomorrow (the feed's zone may be ahead), not later */
  assert_int_equal(row("13800138000", "CL", "charged", "2026-11-22", &f, why,
                       sizeof why), 0);
  assert_int_equal(row("13800138000", "CL", "charged", "2026-11-23", &f, why,
                       sizeof why), 0);
  refused("13800138000", "CL", "charged", "2026-11-24", "in the future");
  refused("13800138000", "CL", "charged", "2027-01-01", "in the future");
  /* across a month and a year end */
  assert_int_equal(vg_feed_parse_row("13800138000", "CL", "charged",
                                     "2027-01-01", "86", 20261231, &f, why,
                                     sizeof why), 0);
  assert_int_equal(vg_feed_parse_row("13800138000", "CL", "charged",
                                     "2024-03-01", "86", 20240229, &f, why,
                                     sizeof why), 0);
  assert_int_equal(vg_feed_parse_row("13800138000", "CL", "charged",
                                     "2024-03-01", "86", 20240228, &f, why,
                                     sizeof why), VG_EINVAL);
  /* no "today": no future check */
  assert_int_equal(vg_feed_parse_row("13800138000", "CL", "charged",
                                     "2099-01-01", "86", 0, &f, why,
                                     sizeof why), 0);
}

/* ---- numbers, full-width and blanks --------------------------------------------------- */

static void test_numbers(void **state) {
  static const char *const same[] = {
      "13800138000", "+8613800138000", "8613800138000", "008613800138000",
      "138 0013 8000", "138-0013-8000"};
  vg_fact_t f;
  char why[256];

  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(same); i++) {
    assert_int_equal(row(same[i], "CL", "charged", "2026-11-20", &f, why,
                         sizeof why), 0);
    assert_string_equal(f.msisdn, "8613800138000");
  }
  refused("", "CL", "charged", "2026-11-20", "malformed number");
  refused("1380013800", "CL", "charged", "2026-11-20", "malformed number");
  refused("13800x38000", "CL", "charged", "2026-11-20", "malformed number");
  refused("23800138000", "CL", "charged", "2026-11-20", "malformed number");
}

static void test_fullwidth_and_blanks(void **state) {
  vg_fact_t f;
  char why[256];

  (void)state;
  /* full-width digits, letters and hyphens; U+3000, tabs, NBSP, ZWSP */
  assert_int_equal(row("\xe3\x80\x80１３８００１３８０００ ", " ｃｌ\t",
                       "\xc2\xa0ＣＨＡＲＧＥＤ\xe3\x80\x80",
                       "\xe2\x80\x8b２０２６－１１－２０ ", &f, why,
                       sizeof why), 0);
  assert_string_equal(f.msisdn, "8613800138000");
  assert_string_equal(f.service, "CL");
  assert_int_equal(f.event, VG_FACT_CHARGED);
  assert_int_equal(f.date, 20261120);
  /* ＋86 full-width plus */
  assert_int_equal(row("＋86 138 0013 8000", "SJB", " voice ", " 20261120",
                       &f, why, sizeof why), 0);
  assert_string_equal(f.msisdn, "8613800138000");
  /* blanks inside a code or a date are not trimmed away */
  refused("13800138000", "C L", "charged", "2026-11-20", "service code");
  refused("13800138000", "CL", "charged", "2026 11 20", "not YYYY-MM-DD");
  /* not UTF-8 */
  refused("13800138000", "C\xff", "charged", "2026-11-20",
          "service is not valid UTF-8");
  refused("13800138000", "CL", "charged",
          "2026-11-20                                                    x",
          "date is too long");
}

/* ---- the header row -------------------------------------------------------------------- */

static void test_header(void **state) {
  char *good[] = {"msisdn", "service", "event", "date"};
  char *loose[] = {"\xef\xbb\xbf MSISDN ", "Service", " EVENT", "date "};
  char *data[] = {"13800138000", "CL", "charged", "2026-11-20"};
  char *order[] = {"msisdn", "event", "service", "date"};
  char *more[] = {"msisdn", "service", "event", "date", "amount"};
  char *fewer[] = {"msisdn", "service", "event"};
  char why[256];

  (void)state;
  assert_int_equal(vg_feed_header(good, 4, why, sizeof why), 1);
  assert_int_equal(vg_feed_header(loose, 4, why, sizeof why), 1);
  assert_int_equal(vg_feed_header(data, 4, why, sizeof why), 0);
  assert_int_equal(vg_feed_header(order, 4, why, sizeof why), -1);
  assert_non_null(strstr(why, "column 2 is 'event'"));
  assert_int_equal(vg_feed_header(more, 5, why, sizeof why), -1);
  assert_non_null(strstr(why, "5 columns"));
  assert_int_equal(vg_feed_header(fewer, 3, why, sizeof why), -1);
  assert_int_equal(vg_feed_header(NULL, 0, why, sizeof why), 0);
}

/* ---- the stored member ------------------------------------------------------------------- */

static void test_member(void **state) {
  static const char *const good[] = {"CL|charged|20261120",
                                     "|arrears|20261101", "|voice|20240229",
                                     "LL10|complaint|20261122",
                                     "SJB|voice|20261101"};
  static const char *const bad[] = {
      "",          "CL",           "CL|charged",        "CL|paid|20261120",
      "CL|charged|2026-11-20", "|charged|20261120", "1CL|charged|20261120",
      "CL|charged|20260230", "ABCDEFGHI|charged|20261120",
      "CL|Charged|20261120", "CL|charged|20261120|x"};
  vg_fact_t f;
  char member[VG_FEED_MEMBER_MAX];

  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(good); i++) {
    assert_int_equal(vg_feed_parse_member(good[i], "8613800138000", &f), 0);
    assert_string_equal(f.msisdn, "8613800138000");
    assert_string_equal(vg_feed_member(&f, member), good[i]);
  }
  for (size_t i = 0; i < VG_ARRAY_SIZE(bad); i++)
    if (vg_feed_parse_member(bad[i], "8613800138000", &f) == 0)
      fail_msg("member '%s' accepted", bad[i]);
}

/* ---- the digest that names an imported file ----------------------------------------------- */

static void test_sha256(void **state) {
  char hex[VG_SHA256_HEX];
  char big[1000];

  (void)state;
  assert_string_equal(vg_sha256_hex("", 0, hex),
                      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert_string_equal(vg_sha256_hex("abc", 3, hex),
                      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  /* 56 bytes: the length needs a second padding block */
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  assert_string_equal(vg_sha256_hex(two, strlen(two), hex),
                      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  memset(big, 'a', sizeof big);
  assert_string_equal(vg_sha256_hex(big, sizeof big, hex),
                      "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_event),
      cmocka_unit_test(test_service_column),
      cmocka_unit_test(test_dates),
      cmocka_unit_test(test_numbers),
      cmocka_unit_test(test_fullwidth_and_blanks),
      cmocka_unit_test(test_header),
      cmocka_unit_test(test_member),
      cmocka_unit_test(test_sha256),
  };
  return cmocka_run_group_tests_name("feed", tests, NULL, NULL);
}
