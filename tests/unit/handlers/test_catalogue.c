/*
 * test_catalogue.c — handlers/catalogue.c: the rules of a catalogue entry
 * (code, name and text lengths in characters, the commission in fen) and
 * the recommendation length check against the real templates/zh_CN.
 * The Redis functions are covered by tests/e2e/catalogue.sh against a real
 * redis-server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/vg.h"
#include "handlers/catalogue.h"
#include "handlers/grammar.h"
#include "handlers/templates.h"

/* ---- codes ------------------------------------------------------------------- */

static void test_code_ok(void **state) {
  static const char *const ok[] = {"CL", "SJB", "A", "X1", "ABCDEFGH",
                                   "QXX", "TDX", "MX", "K9"};
  char why[128], out[VG_SVC_CODE_MAX + 1];

  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(ok); i++) {
    why[0] = '\0';
    assert_int_equal(vg_service_check_code(ok[i], why, sizeof why), 0);
    assert_int_equal(vg_service_norm_code(ok[i], out, why, sizeof why), 0);
    assert_string_equal(out, ok[i]);
  }
}

static void test_code_upper_cased(void **state) {
  char why[128], out[VG_SVC_CODE_MAX + 1];

  (void)state;
  assert_int_equal(vg_service_norm_code("cl", out, why, sizeof why), 0);
  assert_string_equal(out, "CL");
  assert_int_equal(vg_service_norm_code("sJb2", out, why, sizeof why), 0);
  assert_string_equal(out, "SJB2");
  assert_int_equal(vg_service_check_code("cl", why, sizeof why), 0);
  /* lower-case keywords are keywords too */
  assert_int_equal(vg_service_check_code("td", why, sizeof why), VG_EINVAL);
  assert_string_equal(why, "code TD is a command keyword");
}

static void test_code_keywords(void **state) {
  static const char *const kw[] = {"TD", "Y", "N", "ZC", "TJ", "CX", "QX",
                                   "ZS", "YW", "BZ", "HELP", "STOP", "OK",
                                   "T", "KT", "DY", "START"};
  char why[128], out[VG_SVC_CODE_MAX + 1], want[128];

  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(kw); i++) {
    why[0] = '\0';
    assert_int_equal(vg_service_check_code(kw[i], why, sizeof why), VG_EINVAL);
    snprintf(want, sizeof want, "code %s is a command keyword", kw[i]);
    assert_string_equal(why, want);
    assert_int_equal(vg_service_norm_code(kw[i], out, why, sizeof why),
                     VG_EINVAL);
    assert_string_equal(out, "");
  }
}

static void test_code_malformed(void **state) {
  static const struct {
    const char *in, *why;
  } bad[] = {
      {"", "code is empty"},
      {"1CL", "code 1CL must start with a letter A-Z"},
      {"9", "code 9 must start with a letter A-Z"},
      {"ABCDEFGHI", "code ABCDEFGH... is longer than 8 characters"},
      {"C-L", "code C-L may hold only letters A-Z and digits"},
      {"C L", "code may hold only letters A-Z and digits"},
      {"C\nL", "code may hold only letters A-Z and digits"},
      {"彩铃", "code may hold only letters A-Z and digits"},
  };
  char why[128];

  (void)state;
  assert_int_equal(vg_service_check_code(NULL, why, sizeof why), VG_EINVAL);
  for (size_t i = 0; i < VG_ARRAY_SIZE(bad); i++) {
    why[0] = '\0';
    assert_int_equal(vg_service_check_code(bad[i].in, why, sizeof why),
                     VG_EINVAL);
    if (bad[i].why)
      assert_string_equal(why, bad[i].why);
    else
      assert_true(why[0] != '\0');
  }
  /* `why` is optional */
  assert_int_equal(vg_service_check_code("1", NULL, 0), VG_EINVAL);
}

static void test_is_keyword(void **state) {
  (void)state;
  assert_true(vg_command_is_keyword("TD"));
  assert_true(vg_command_is_keyword("退订"));
  assert_true(vg_command_is_keyword("?"));
  assert_true(vg_command_is_keyword("1"));
  assert_false(vg_command_is_keyword("CX MX")); /* two words */
  assert_false(vg_command_is_keyword("MX"));
  assert_false(vg_command_is_keyword("CL"));
  assert_false(vg_command_is_keyword("td")); /* table form only */
  assert_false(vg_command_is_keyword(""));
  assert_false(vg_command_is_keyword(NULL));
}

/* ---- fields ------------------------------------------------------------------- */

static void test_name_characters(void **state) {
  vg_service_t s;
  char why[128];
  char buf[256] = "";

  (void)state;
  vg_service_init(&s);
  /* 20 Chinese characters: 60 bytes, within 20 characters */
  for (int i = 0; i < 20; i++)
    strcat(buf, "彩");
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_NAME, buf, why,
                                        sizeof why), 0);
  assert_string_equal(s.name, buf);
  strcat(buf, "铃");
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_NAME, buf, why,
                                        sizeof why), VG_EINVAL);
  assert_string_equal(why, "name has 21 characters (at most 20)");
  assert_int_equal(strlen(s.name), 60); /* unchanged */
  /* 20 ASCII fine, 21 not */
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_NAME,
                                        "abcdefghijklmnopqrst", why,
                                        sizeof why), 0);
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_NAME,
                                        "abcdefghijklmnopqrstu", why,
                                        sizeof why), VG_EINVAL);
  /* 4-byte characters count once */
  buf[0] = '\0';
  for (int i = 0; i < 20; i++)
    strcat(buf, "\xf0\x9f\x8e\xb5");
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_NAME, buf, why,
                                        sizeof why), 0);
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_NAME, "", why,
                                        sizeof why), VG_EINVAL);
  assert_string_equal(why, "name is empty");
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_NAME, "\xe5\xbd", why,
                                        sizeof why), VG_EINVAL);
  assert_string_equal(why, "name is not valid UTF-8");
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_PRICE, "5元/月", why,
                                        sizeof why), 0);
  assert_string_equal(s.price, "5元/月");
}

static void test_texts(void **state) {
  vg_service_t s;
  char why[128];
  char *big = malloc(VG_SVC_TEXT_MAX * 3 + 8);

  (void)state;
  vg_service_init(&s);
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_KNOWLEDGE, "", why,
                                        sizeof why), 0);
  big[0] = '\0';
  for (int i = 0; i < VG_SVC_TEXT_MAX; i++)
    strcat(big, "铃");
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_KNOWLEDGE, big, why,
                                        sizeof why), 0);
  strcat(big, "a");
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_USAGE, big, why,
                                        sizeof why), VG_EINVAL);
  assert_string_equal(why, "usage has 301 characters (at most 300)");
  free(big);
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_CANCEL, "回复\n退订", why,
                                        sizeof why), VG_EINVAL);
  assert_string_equal(why,
                      "cancel holds a control character (U+000A): no line "
                      "breaks");
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_CANCEL, "a\x7f", why,
                                        sizeof why), VG_EINVAL);
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_CANCEL, "a\xc2\x85", why,
                                        sizeof why), VG_EINVAL);
  /* provision code: printable ASCII without blanks */
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_PROVISION_CODE,
                                        "ISMP:CL-001/a", why, sizeof why), 0);
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_PROVISION_CODE, "CL 1",
                                        why, sizeof why), VG_EINVAL);
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_PROVISION_CODE, "彩铃",
                                        why, sizeof why), VG_EINVAL);
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_PROVISION_CODE, "", why,
                                        sizeof why), VG_EINVAL);
  assert_string_equal(s.provision_code, "ISMP:CL-001/a");
}

static void test_commission(void **state) {
  static const struct {
    const char *in;
    int rc;
    long long fen;
  } cases[] = {
      {"0", 0, 0},
      {"1", 0, 1},
      {"250", 0, 250},
      {"0250", 0, 250},
      {"10000000", 0, 10000000},
      {"10000001", VG_ERANGE, 0},
      {"99999999999999999999999", VG_ERANGE, 0},
      {"", VG_EINVAL, 0},
      {"-1", VG_EINVAL, 0},
      {"+1", VG_EINVAL, 0},
      {"2.5", VG_EINVAL, 0},
      {"2.50", VG_EINVAL, 0},
      {"250 ", VG_EINVAL, 0},
      {" 250", VG_EINVAL, 0},
      {"250fen", VG_EINVAL, 0},
      {"1e3", VG_EINVAL, 0},
      {"0x10", VG_EINVAL, 0},
      {"２５０", VG_EINVAL, 0},
      {"1,000", VG_EINVAL, 0},
  };
  vg_service_t s;
  char why[160];

  (void)state;
  for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++) {
    long long fen = -7;
    assert_int_equal(vg_service_parse_fen(cases[i].in, &fen), cases[i].rc);
    assert_int_equal(fen, cases[i].rc == 0 ? cases[i].fen : -7);
  }
  assert_int_equal(vg_service_parse_fen(NULL, &(long long){0}), VG_EINVAL);
  vg_service_init(&s);
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_COMMISSION_FEN, "550",
                                        why, sizeof why), 0);
  assert_int_equal(s.commission_fen, 550);
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_COMMISSION_FEN, "5.5",
                                        why, sizeof why), VG_EINVAL);
  assert_string_equal(why, "commission_fen '5.5' is not a whole number of fen "
                           "(digits only; 5.50 yuan is 550)");
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_COMMISSION_FEN,
                                        "20000000", why, sizeof why),
                   VG_EINVAL);
  assert_string_equal(why, "commission_fen 20000000 is more than 10000000 fen "
                           "(100000 yuan)");
  assert_int_equal(s.commission_fen, 550);
}

static void fill(vg_service_t *s, const char *code, const char *name,
                 const char *price) {
  char why[128];

  vg_service_init(s);
  assert_int_equal(vg_service_set_field(s, VG_SVC_F_CODE, code, why,
                                        sizeof why), 0);
  snprintf(s->name, sizeof s->name, "%s", name);
  snprintf(s->price, sizeof s->price, "%s", price);
  snprintf(s->provision_code, sizeof s->provision_code, "PC-%s", code);
  s->commission_fen = 250;
}

static void test_whole_entry(void **state) {
  vg_service_t s, back;
  char why[128], text[1300];

  (void)state;
  fill(&s, "cl", "彩铃", "5元/月");
  assert_string_equal(s.code, "CL");
  assert_int_equal(vg_service_check(&s, why, sizeof why), 0);
  s.created_ms = 1763800000123LL;
  /* text form round trip, field by field, as the Redis hash stores it */
  vg_service_init(&back);
  for (int f = 0; f < VG_SVC_F_COUNT; f++) {
    vg_service_field_text(&s, (vg_svc_field_t)f, text, sizeof text);
    assert_int_equal(vg_service_set_field(&back, (vg_svc_field_t)f, text, why,
                                          sizeof why), 0);
    assert_int_equal(vg_service_field_lookup(
                         vg_service_field_name((vg_svc_field_t)f)), f);
  }
  assert_memory_equal(&s, &back, sizeof s);
  assert_string_equal(vg_service_field_text(&s, VG_SVC_F_ENABLED, text,
                                            sizeof text), "1");
  assert_string_equal(vg_service_field_text(&s, VG_SVC_F_CREATED, text,
                                            sizeof text), "1763800000123");
  assert_int_equal(vg_service_field_lookup("nope"), -1);
  assert_null(vg_service_field_name(VG_SVC_F_COUNT));
  /* required fields */
  s.price[0] = '\0';
  assert_int_equal(vg_service_check(&s, why, sizeof why), VG_EINVAL);
  assert_string_equal(why, "price is empty");
  fill(&s, "CL", "彩铃", "5元/月");
  strcpy(s.code, "cl"); /* stored codes are upper-case */
  assert_int_equal(vg_service_check(&s, why, sizeof why), VG_EINVAL);
  fill(&s, "CL", "彩铃", "5元/月");
  strcpy(s.code, "TD");
  assert_int_equal(vg_service_check(&s, why, sizeof why), VG_EINVAL);
  assert_string_equal(why, "code TD is a command keyword");
  fill(&s, "CL", "彩铃", "5元/月");
  s.commission_fen = -1;
  assert_int_equal(vg_service_check(&s, why, sizeof why), VG_EINVAL);
  fill(&s, "CL", "彩铃", "5元/月");
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_ENABLED, "yes", why,
                                        sizeof why), VG_EINVAL);
  assert_int_equal(vg_service_set_field(&s, VG_SVC_F_ENABLED, "0", why,
                                        sizeof why), 0);
  assert_int_equal(s.enabled, 0);
}

/* ---- the recommendation length ------------------------------------------------- */

static vg_templates_t *load_templates(const char *locale) {
  /* make check gives top_srcdir; run by hand, the tree it was built from. */
  const char *top = getenv("top_srcdir") ? getenv("top_srcdir") : VG_SRCDIR;
  char dir[1024], err[512];
  vg_templates_t *t;

  snprintf(dir, sizeof dir, "%s/templates", top);
  t = vg_templates_load(dir, locale, err, sizeof err);
  if (t == NULL)
    fail_msg("templates: %s", err);
  return t;
}

static void test_recommend_parts(void **state) {
  vg_templates_t *zh = load_templates("zh_CN"), *en = load_templates("en");
  vg_service_t s;
  char name[128] = "", price[128] = "";

  (void)state;
  fill(&s, "CL", "彩铃", "5元/月");
  assert_int_equal(vg_service_recommend_parts(zh, &s), 1);
  assert_int_equal(vg_service_recommend_parts(en, &s), 1);
  fill(&s, "CL", "Ring tone", "5 yuan/month");
  assert_int_equal(vg_service_recommend_parts(en, &s), 1); /* GSM 7-bit */

  /* The longest valid entry: 20 + 20 Chinese characters stay within two
   * UCS-2 parts with the shipped templates: zh_CN's "【N】P。回复9开通，
   * 回复TD退订" is 55 characters, one part (70); en's "N: P. Reply 9 to
   * activate. Reply TD to opt out." 85, two (67 each). */
  for (int i = 0; i < VG_SVC_NAME_MAX; i++) {
    strcat(name, "铃");
    strcat(price, "元");
  }
  fill(&s, "CL", name, price);
  assert_int_equal(vg_service_check(&s, NULL, 0), 0);
  assert_int_equal(vg_service_recommend_parts(zh, &s), 1);
  assert_int_equal(vg_service_recommend_parts(en, &s), 2);
  assert_true(2 <= VG_SVC_RECOMMEND_PARTS);

  /* Far too long (the check does not validate): UCS-2 because of the
   * template's Chinese, 80 + 80 characters and the rest, three parts. */
  memset(name, 'N', 80);
  name[80] = '\0';
  memset(price, 'P', 80);
  price[80] = '\0';
  fill(&s, "CL", name, price);
  assert_int_equal(vg_service_recommend_parts(zh, &s), 3);
  assert_true(vg_service_recommend_parts(zh, &s) > VG_SVC_RECOMMEND_PARTS);
  vg_templates_free(zh);
  vg_templates_free(en);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_code_ok),
      cmocka_unit_test(test_code_upper_cased),
      cmocka_unit_test(test_code_keywords),
      cmocka_unit_test(test_code_malformed),
      cmocka_unit_test(test_is_keyword),
      cmocka_unit_test(test_name_characters),
      cmocka_unit_test(test_texts),
      cmocka_unit_test(test_commission),
      cmocka_unit_test(test_whole_entry),
      cmocka_unit_test(test_recommend_parts),
  };
  return cmocka_run_group_tests_name("catalogue", tests, NULL, NULL);
}
