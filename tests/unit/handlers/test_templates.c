/*
 * test_templates.c — the texts people read (handlers/templates.h) and the
 * offer SMS built from them (handlers/offers.h): every template of both
 * locales loads; a broken template stops loading with its file and line;
 * rendering; the SMS that must fit do fit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "gateway/vg.h"
#include "handlers/offers.h"
#include "handlers/templates.h"

static const char *top(void) {
  return getenv("top_srcdir") ? getenv("top_srcdir") : VG_SRCDIR;
}

static vg_templates_t *load(const char *locale) {
  char dir[1024], err[512];
  snprintf(dir, sizeof dir, "%s/templates", top());
  vg_templates_t *t = vg_templates_load(dir, locale, err, sizeof err);
  if (t == NULL)
    fail_msg("templates: %s", err);
  return t;
}

static void test_both_locales_load(void **state) {
  (void)state;
  vg_templates_free(load("zh_CN"));
  vg_templates_free(load("en"));
}

/* A copy of templates/zh_CN in a temporary directory, to break. */
static char tmpdir[64];

static void copy_locale(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/vg-tpl-XXXXXX");
  assert_non_null(mkdtemp(tmpdir));
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "cp -r '%s/templates/zh_CN' '%s/'", top(), tmpdir);
  assert_int_equal(system(cmd), 0);
}

static void remove_copy(void) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  assert_int_equal(system(cmd), 0);
}

static void write_file(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/zh_CN/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void expect_load_error(const char *want) {
  char err[512];
  vg_templates_t *t = vg_templates_load(tmpdir, "zh_CN", err, sizeof err);
  assert_null(t);
  char full[1024];
  snprintf(full, sizeof full, "%s/zh_CN/%s", tmpdir, want);
  assert_string_equal(err, full);
}

static void test_broken_templates(void **state) {
  (void)state;
  copy_locale();
  /* An unknown placeholder, on line 2. */
  write_file("declined.txt", "好的，\n不为您开通{{servce_name}}。\n");
  expect_load_error("declined.txt:2: unknown placeholder {{servce_name}} "
                    "(allowed: service_name service_code)");
  write_file("declined.txt", "好的，不为您开通{{service_name}}。\n");
  /* An offer SMS without its reply code. */
  write_file("recommend.txt", "【{{service_name}}】{{price}}。{{optout}}\n");
  expect_load_error("recommend.txt:1: the template must use {{code}}");
  /* ... or without the opt-out wording. */
  write_file("recommend.txt", "【{{service_name}}】回复{{code}}开通\n");
  expect_load_error("recommend.txt:1: the template must use {{optout}}");
  write_file("recommend.txt", "{{code}}{{optout}}\n");
  /* An unclosed placeholder. */
  write_file("expired.txt", "过期{{service_name\n");
  expect_load_error("expired.txt:1: '{{' without '}}'");
  write_file("expired.txt", "过期\n");
  /* A word longer than any answer keeps: refused, not cut (63 bytes is the
   * most: 21 Chinese characters). */
  write_file("words_status.txt", "pending=待审核\napproved="
             "已审核已审核已审核已审核已审核已审核已审核x\n"
             "rejected=未通过\ndisabled=已停用\n");
  expect_load_error("words_status.txt:2: the text of 'approved' is 64 bytes, "
                    "at most 63");
  write_file("words_status.txt", "pending=待审核\napproved="
             "已审核已审核已审核已审核已审核已审核已审核\n"
             "rejected=未通过\ndisabled=已停用\n");
  {
    char err[512];
    vg_templates_t *t = vg_templates_load(tmpdir, "zh_CN", err, sizeof err);
    if (t == NULL)
      fail_msg("a word of 63 bytes: %s", err);
    char w[VG_TPL_WORD_MAX + 1], small[8];
    assert_string_equal(vg_templates_word(t, VG_TPL_WORDS_STATUS, "approved",
                                          w, sizeof w),
                        "已审核已审核已审核已审核已审核已审核已审核");
    /* A smaller buffer gets whole characters only. */
    assert_string_equal(vg_templates_word(t, VG_TPL_WORDS_STATUS, "approved",
                                          small, sizeof small),
                        "已审");
    vg_templates_free(t);
  }
  /* A missing file. */
  char path[512];
  snprintf(path, sizeof path, "%s/zh_CN/no_offer.txt", tmpdir);
  assert_int_equal(unlink(path), 0);
  char err[512];
  assert_null(vg_templates_load(tmpdir, "zh_CN", err, sizeof err));
  assert_non_null(strstr(err, "no_offer.txt: cannot open"));
  remove_copy();
}

static void test_render(void **state) {
  (void)state;
  vg_templates_t *t = load("zh_CN");
  vg_tpl_var_t v[] = {{"service_name", "彩铃"}, {"reason", "余额不足"}};
  char *s = vg_templates_render(t, VG_TPL_REJECTED, v, 2);
  assert_string_equal(s, "抱歉，彩铃未能开通：余额不足。");
  free(s);
  long d0 = vg_templates_defects();
  /* A placeholder without a value, or with a stand-in, renders empty or as
   * given, and is a defect: counted (and logged). */
  char name[32];
  s = vg_templates_render(t, VG_TPL_REJECTED, v, 1);
  assert_string_equal(s, "抱歉，彩铃未能开通：。");
  free(s);
  assert_int_equal(vg_templates_defects(), d0 + 1);
  assert_int_equal(vg_templates_missing(t, VG_TPL_REJECTED, v, 1, name,
                                        sizeof name), 1);
  assert_string_equal(name, "reason");
  vg_tpl_var_t dash[] = {{"service_name", "彩铃"}, {"reason", " - "}};
  free(vg_templates_render(t, VG_TPL_REJECTED, dash, 2));
  assert_int_equal(vg_templates_defects(), d0 + 2);
  /* "?usage": an activation SMS without the catalogue's usage text is
   * fine; without the price it is not. */
  vg_tpl_var_t act[] = {{"service_name", "彩铃"}, {"service_code", "CL"},
                        {"price", "5元/月"},     {"usage", ""},
                        {"cancel", ""}};
  assert_int_equal(vg_templates_missing(t, VG_TPL_ACTIVATED, act, 5, name,
                                        sizeof name), 0);
  act[2].value = "";
  assert_int_equal(vg_templates_missing(t, VG_TPL_ACTIVATED, act, 5, name,
                                        sizeof name), 1);
  assert_string_equal(name, "price");
  assert_true(vg_templates_may_be_empty(VG_TPL_ACTIVATED, "usage", 5));
  assert_false(vg_templates_may_be_empty(VG_TPL_ACTIVATED, "price", 5));
  assert_true(vg_templates_blank(NULL) && vg_templates_blank("") &&
              vg_templates_blank("-") && vg_templates_blank(" -- "));
  assert_false(vg_templates_blank("0") || vg_templates_blank("-1") ||
               vg_templates_blank("—"));
  vg_templates_free(t);
}

static void test_parts(void **state) {
  (void)state;
  assert_int_equal(vg_templates_parts("hello"), 1);
  char gsm[200];
  memset(gsm, 'a', 160);
  gsm[160] = '\0';
  assert_int_equal(vg_templates_parts(gsm), 1);
  gsm[160] = 'a';
  gsm[161] = '\0';
  assert_int_equal(vg_templates_parts(gsm), 2);
  assert_int_equal(vg_templates_parts("你好"), 1);
  assert_int_equal(vg_templates_parts("\xff"), 0);
}

/* The help text fits one SMS in each locale; every reply to a subscriber
 * fits one SMS with a 20-character service name, and a promoter's
 * approval with a 20-character name. */
static void test_replies_fit(void **state) {
  (void)state;
  static const char *const locales[] = {"zh_CN", "en"};
  /* The longest name a catalogue entry may have, in each locale's script. */
  static const char *const names[] = {"二十个字的业务名称二十个字的业务名称二",
                                      "Twenty chars service"};
  static const vg_tpl_id_t one_sms[] = {
      VG_TPL_HELP,           VG_TPL_CONFIRM_RECEIVED, VG_TPL_DECLINED,
      VG_TPL_EXPIRED,        VG_TPL_NO_OFFER,         VG_TPL_PROCESSING,
      VG_TPL_ALREADY_ACTIVE, VG_TPL_OPTED_OUT,        VG_TPL_OPTED_IN,
      VG_TPL_CANCEL_RECEIVED, VG_TPL_CANCEL_NOT_ACTIVE, VG_TPL_DEACTIVATED,
      VG_TPL_ACTIVATION_FAILED, VG_TPL_USAGE_CANCEL, VG_TPL_USAGE_KNOWLEDGE};
  for (size_t l = 0; l < 2; l++) {
    vg_templates_t *t = load(locales[l]);
    vg_tpl_var_t v[] = {{"service_name", names[l]},
                        {"service_code", "ABCDEFGH"},
                        {"service_number", "10658000"}};
    for (size_t i = 0; i < VG_ARRAY_SIZE(one_sms); i++) {
      char *s = vg_templates_render(t, one_sms[i], v, 3);
      if (vg_templates_parts(s) != 1)
        fail_msg("%s/%s takes %zu parts: %s", locales[l],
                 vg_templates_file(one_sms[i]), vg_templates_parts(s), s);
      free(s);
    }
    /* The approval a promoter gets, with the longest name and staff
     * number and the USSD code. */
    static const char *const pnames[] = {
        "二十个字的推广员姓名二十个字的推广员姓名", "Twenty chars person."};
    vg_tpl_var_t pv[] = {{"name", pnames[l]},
                         {"staff_no", "1234567"},
                         {"outlet", ""},
                         {"ussd_code", "*123*8#"}};
    char *s = vg_templates_render(t, VG_TPL_PROMOTER_APPROVED, pv, 4);
    if (vg_templates_parts(s) != 1)
      fail_msg("%s/promoter_approved takes %zu parts: %s", locales[l],
               vg_templates_parts(s), s);
    free(s);
    vg_templates_free(t);
  }
}

/* The offer SMS carries the code mark where the reply code goes. */
static void test_offer_render(void **state) {
  (void)state;
  vg_templates_t *t = load("zh_CN");
  /* An HGETALL reply of a service, built by hand. */
  static const char *const kv[] = {"name", "彩铃", "price", "5元/月",
                                   "knowledge", "来电听歌。", "usage", "拨12530。",
                                   "cancel", "回复QX CL。"};
  redisReply *el[10], r = {.type = REDIS_REPLY_ARRAY, .elements = 10,
                           .element = el};
  redisReply items[10];
  for (int i = 0; i < 10; i++) {
    items[i] = (redisReply){.type = REDIS_REPLY_STRING, .str = (char *)kv[i],
                            .len = strlen(kv[i])};
    el[i] = &items[i];
  }
  char *s = vg_offer_render(t, 0, "CL", &r);
  assert_string_equal(s, "【彩铃】5元/月。回复" VG_OFFER_CODE_MARK "开通，回复TD退订");
  free(s);
  s = vg_offer_render(t, 1, "CL", &r);
  assert_string_equal(s, "【彩铃】来电听歌。资费：5元/月。拨12530。回复QX CL。回复"
                         VG_OFFER_CODE_MARK "开通，回复TD退订");
  free(s);
  /* A service without knowledge, usage or cancel text (they may be empty):
   * the SMS reads whole, no label left with nothing after it ("使用： 取消："
   * it read before). */
  static const char *const bare[] = {"name", "彩铃", "price", "5元/月"};
  redisReply bare_el[4], *bare_p[4];
  for (int i = 0; i < 4; i++) {
    bare_el[i] = (redisReply){.type = REDIS_REPLY_STRING,
                              .str = (char *)bare[i], .len = strlen(bare[i])};
    bare_p[i] = &bare_el[i];
  }
  redisReply br = {.type = REDIS_REPLY_ARRAY, .elements = 4, .element = bare_p};
  s = vg_offer_render(t, 1, "CL", &br);
  assert_string_equal(s, "【彩铃】资费：5元/月。回复" VG_OFFER_CODE_MARK
                         "开通，回复TD退订");
  free(s);
  /* No catalogue entry: no text (the offer is refused, unknown_service),
   * rather than one with a gap for the price. */
  long defects = vg_templates_defects();
  s = vg_offer_render(t, 0, "XX", NULL);
  assert_string_equal(s, "");
  free(s);
  r.elements = 0;
  s = vg_offer_render(t, 1, "XX", &r);
  assert_string_equal(s, "");
  free(s);
  assert_int_equal(vg_templates_defects(), defects);
  vg_templates_free(t);
}

static void test_offer_ids(void **state) {
  (void)state;
  char a[VG_OFFER_ID_MAX], b[VG_OFFER_ID_MAX], c[VG_OFFER_ID_MAX];
  vg_offer_new_id(a, 1795380000000);
  vg_offer_new_id(b, 1795380000000);
  vg_offer_new_id(c, 1795380000001);
  assert_string_not_equal(a, b); /* same ms: still distinct */
  /* <ms in base 36><8 hex digits> (docs/keys.md): 1795380000000 ms is
   * "mwsawa2o", a ms later "mwsawa2p"; so ids sort by time. */
  assert_int_equal(strlen(a), 16);
  assert_memory_equal(a, "mwsawa2o", 8);
  assert_memory_equal(b, "mwsawa2o", 8);
  assert_memory_equal(c, "mwsawa2p", 8);
  assert_int_equal(strspn(a + 8, "0123456789abcdef"), 8);
  assert_int_equal(strspn(c + 8, "0123456789abcdef"), 8);
  assert_true(strcmp(a, c) < 0); /* by time, whatever the random part */
  /* Within the offer limit, so that the ids made from it fit VG_ID_MAX:
   * the order "A<id>", its result SMS "or-A<id>", the offer SMS "of-<id>". */
  assert_true(strlen(a) <= VG_OFFER_ID_LEN);
  assert_true(strlen("or-A") + VG_OFFER_ID_LEN <= VG_ID_MAX);
  assert_string_equal(vg_offer_rule_text("opted_out"),
                      "the subscriber opted out of marketing (TD)");
  assert_string_equal(vg_offer_rule_text("something_new"), "something_new");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_both_locales_load),
      cmocka_unit_test(test_broken_templates),
      cmocka_unit_test(test_render),
      cmocka_unit_test(test_parts),
      cmocka_unit_test(test_replies_fit),
      cmocka_unit_test(test_offer_render),
      cmocka_unit_test(test_offer_ids),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
