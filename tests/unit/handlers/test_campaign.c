/*
 * test_campaign.c — the pure parts of a campaign (handlers/campaign.h):
 * the placeholder filling, a campaign's SMS made from a template and each
 * refusal of one, a row's own text, and the gate that says when a
 * campaign may send (quiet hours, its window, its end) in a real zone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "gateway/clock.h"
#include "gateway/vg.h"
#include "handlers/campaign.h"
#include "handlers/offers.h"

/* --- vg_campaign_fill ----------------------------------------------------- */

static const vg_tpl_var_t fill_vars[] = {
    {"name", "张三"}, {"city", "北京"}, {"none", NULL}};

typedef struct {
  const char *text;
  int keep;
  const char *want;
} fill_case_t;

static const fill_case_t fill_cases[] = {
    /* known names, with text of any script around them */
    {"您好{{name}}，来自{{city}}！", 1, "您好张三，来自北京！"},
    {"{{name}}", 0, "张三"},
    {"a NULL value is empty: [{{none}}]", 1, "a NULL value is empty: []"},
    /* an unknown name kept, or emptied */
    {"{{name}} {{who}}", 1, "张三 {{who}}"},
    {"{{name}} {{who}}", 0, "张三 "},
    {"{{names}} {{nam}}", 1, "{{names}} {{nam}}"}, /* no prefix match */
    {"{{names}} {{nam}}", 0, " "},
    /* adjacent */
    {"{{name}}{{city}}", 1, "张三北京"},
    {"{{name}}{{who}}{{city}}", 0, "张三北京"},
    {"{{who}}{{name}}", 1, "{{who}}张三"},
    /* malformed braces are text, whatever keep says */
    {"{{name}", 0, "{{name}"},
    {"{name}}", 0, "{name}}"},
    {"{{ name }}", 0, "{{ name }}"},
    {"{{}}", 0, "{{}}"},
    {"{{na-me}}", 0, "{{na-me}}"},
    {"{{name", 0, "{{name"},
    {"abc{{", 0, "abc{{"},
    {"{", 1, "{"},
    {"{{{name}}}", 1, "{张三}"},
    {"{{name}}}", 1, "张三}"},
    {"", 1, ""},
};

static void test_fill(void **state) {
  (void)state;
  /* A value is not filled again. */
  static const vg_tpl_var_t again[] = {{"a", "{{b}}"}, {"b", "x"}};
  for (size_t i = 0; i < VG_ARRAY_SIZE(fill_cases); i++) {
    const fill_case_t *k = &fill_cases[i];
    print_message("case: \"%s\" keep %d\n", k->text, k->keep);
    char *got =
        vg_campaign_fill(k->text, fill_vars, VG_ARRAY_SIZE(fill_vars), k->keep);
    assert_string_equal(got, k->want);
    free(got);
  }
  char *got = vg_campaign_fill("{{a}}{{b}}", again, 2, 0);
  assert_string_equal(got, "{{b}}x");
  free(got);
  got = vg_campaign_fill("{{a}}", NULL, 0, 1);
  assert_string_equal(got, "{{a}}");
  free(got);
}

/* --- vg_campaign_sms ------------------------------------------------------ */

/* A service's HGETALL reply, built by hand: name/value pairs. */
typedef struct {
  redisReply top, el[16];
  redisReply *ptr[16];
} fake_hash_t;

static const redisReply *fake_hash(fake_hash_t *h, const char *const *kv) {
  memset(h, 0, sizeof *h);
  size_t n = 0;
  while (kv[n] && n < VG_ARRAY_SIZE(h->el)) {
    h->el[n].type = REDIS_REPLY_STRING;
    h->el[n].str = (char *)kv[n];
    h->el[n].len = strlen(kv[n]);
    h->ptr[n] = &h->el[n];
    n++;
  }
  h->top.type = REDIS_REPLY_ARRAY;
  h->top.elements = n;
  h->top.element = h->ptr;
  return &h->top;
}

static const char *const CL[] = {
    "code",   "CL",           "name",     "彩铃",  "price",
    "5元/月", "knowledge",    "个性铃音", "usage", "拨打即听",
    "cancel", "回复QXCL退订", "enabled",  "1",     NULL};

#define OPTOUT "回复TD不再接收"
static const char *const COLUMNS[] = {"name", "city", "extra"};

/* vg_campaign_sms of `raw` for CL with COLUMNS, at most `max_parts`. */
static int sms(const char *raw, int max_parts, vg_campaign_sms_t *s, char *err,
               size_t errsz) {
  fake_hash_t h;
  err[0] = '\0';
  return vg_campaign_sms(raw, fake_hash(&h, CL), OPTOUT, COLUMNS,
                         VG_ARRAY_SIZE(COLUMNS), max_parts, s, err, errsz);
}

static void test_sms_accepted(void **state) {
  (void)state;
  vg_campaign_sms_t s;
  char err[512];
  int rc = sms("{{service_name}}({{service_code}}) {{price}}: {{city}}的"
               "{{name}}您好, {{knowledge}}, {{usage}}, 回复{{code}}订购, "
               "{{name}}; {{cancel}} {{optout}}",
               1, &s, err, sizeof err);
  if (rc != 0)
    print_error("%s\n", err);
  assert_int_equal(rc, 0);
  assert_string_equal(s.text,
                      "彩铃(CL) 5元/月: {{city}}的{{name}}您好, 个性铃音, "
                      "拨打即听, 回复" VG_OFFER_CODE_MARK "订购, {{name}}; "
                      "回复QXCL退订 " OPTOUT);
  /* the file's columns the text uses, in order, once each; "extra" not */
  assert_int_equal(s.nvars, 2);
  assert_string_equal(s.vars[0], "city");
  assert_string_equal(s.vars[1], "name");
  assert_int_equal(s.nparts, 1);

  /* Each row's text: its values in, the code "1". */
  const char *values[] = {"上海", "李四"};
  char *t = vg_campaign_row_text(&s, values);
  assert_string_equal(t, "彩铃(CL) 5元/月: 上海的李四您好, 个性铃音, 拨打即听, "
                         "回复1订购, 李四; 回复QXCL退订 " OPTOUT);
  free(t);
  vg_campaign_sms_free(&s);
  assert_null(s.text);
}

/* The opt-out wording itself, in place of its placeholder, will do; the
 * parts are counted with every variable empty; the service's name falls
 * back to its code. */
static void test_sms_literal_optout(void **state) {
  (void)state;
  vg_campaign_sms_t s;
  char err[512];
  assert_int_equal(
      sms("回复{{code}}订购{{service_name}}。" OPTOUT, 1, &s, err, sizeof err),
      0);
  assert_string_equal(s.text, "回复" VG_OFFER_CODE_MARK "订购彩铃。" OPTOUT);
  assert_int_equal(s.nvars, 0);
  char *t = vg_campaign_row_text(&s, NULL);
  assert_string_equal(t, "回复1订购彩铃。" OPTOUT);
  free(t);
  vg_campaign_sms_free(&s);

  fake_hash_t h;
  static const char *const nameless[] = {"code", "SJB", "name", "", NULL};
  assert_int_equal(vg_campaign_sms("{{service_name}} {{code}} {{optout}}",
                                   fake_hash(&h, nameless), "TD", NULL, 0, 1,
                                   &s, err, sizeof err),
                   0);
  assert_string_equal(s.text, "SJB " VG_OFFER_CODE_MARK " TD");
  vg_campaign_sms_free(&s);

  /* 80 characters of Chinese and the rest: two parts, each variable
   * empty. */
  char raw[512] = "{{code}}{{optout}}{{name}}";
  for (int i = 0; i < 80; i++)
    strcat(raw, "字");
  assert_int_equal(sms(raw, 2, &s, err, sizeof err), 0);
  assert_int_equal(s.nparts, 2);
  vg_campaign_sms_free(&s);
}

typedef struct {
  const char *name;
  const char *raw;
  const char *const *columns;
  size_t ncolumns;
  const char *optout;
  int max_parts;
  const char *err; /* what it starts with */
} refusal_t;

static const char *const PRICE_COLUMN[] = {"name", "price"};
static const char *const CODE_COLUMN[] = {"code"};

static const refusal_t refusals[] = {
    {"no {{code}}", "回复1订购{{optout}}", COLUMNS, 3, OPTOUT, 1,
     "the template has no {{code}}: the subscriber would not know what to "
     "reply"},
    {"a malformed {{code}}", "回复{{code }}订购{{optout}}", COLUMNS, 3, OPTOUT,
     1, "the template's {{code }} is not a placeholder"},
    {"a column named in Chinese", "{{城市}}回复{{code}}{{optout}}", COLUMNS, 3,
     OPTOUT, 1, "the template's {{城市}} is not a placeholder"},
    {"spaces inside the braces", "{{ name }}回复{{code}}{{optout}}", COLUMNS, 3,
     OPTOUT, 1, "the template's {{ name }} is not a placeholder"},
    {"no opt-out wording", "回复{{code}}订购", COLUMNS, 3, OPTOUT, 1,
     "the template has no opt-out wording: put {{optout}} in it "
     "(\"" OPTOUT "\")"},
    {"part of the wording", "回复{{code}}订购 回复TD", COLUMNS, 3, OPTOUT, 1,
     "the template has no opt-out wording"},
    {"no wording configured", "回复{{code}}订购", COLUMNS, 3, "", 1,
     "the template has no opt-out wording"},
    {"neither a field nor a column", "{{code}}{{optout}}{{nickname}}", COLUMNS,
     3, OPTOUT, 1,
     "the template's {{nickname}} is neither a service field (service_name, "
     "service_code, price, knowledge, usage, cancel, code, optout) nor a "
     "column of the target file"},
    {"a column's name with no file", "{{code}}{{optout}}{{name}}", NULL, 0,
     OPTOUT, 1, "the template's {{name}} is neither"},
    {"a column named like a field", "{{code}}{{optout}}{{name}}", PRICE_COLUMN,
     2, OPTOUT, 1,
     "the target file's column 'price' has the name of a service field; "
     "rename it"},
    {"a column named code", "{{code}}{{optout}}", CODE_COLUMN, 1, OPTOUT, 1,
     "the target file's column 'code' has the name of a service field"},
    {"too many parts", NULL /* 80 characters */, COLUMNS, 3, OPTOUT, 1,
     "the campaign's SMS: text too long"},
};

static void test_sms_refused(void **state) {
  (void)state;
  char long_raw[512] = "{{code}}{{optout}}";
  for (int i = 0; i < 80; i++)
    strcat(long_raw, "字");
  fake_hash_t h;
  for (size_t i = 0; i < VG_ARRAY_SIZE(refusals); i++) {
    const refusal_t *k = &refusals[i];
    print_message("case: %s\n", k->name);
    vg_campaign_sms_t s;
    char err[512] = "";
    int rc = vg_campaign_sms(k->raw ? k->raw : long_raw, fake_hash(&h, CL),
                             k->optout, k->columns, k->ncolumns, k->max_parts,
                             &s, err, sizeof err);
    assert_int_equal(rc, -1);
    if (strncmp(err, k->err, strlen(k->err)) != 0)
      print_error("got:  %s\nwant: %s...\n", err, k->err);
    assert_true(strncmp(err, k->err, strlen(k->err)) == 0);
    assert_null(s.text); /* nothing to free */
  }
}

/* More columns used than a queue entry may carry. */
static void test_sms_too_many_vars(void **state) {
  (void)state;
  char names[VG_CAMPAIGN_VARS_MAX + 1][8], raw[512] = "{{code}}{{optout}}";
  const char *cols[VG_CAMPAIGN_VARS_MAX + 1];
  for (int i = 0; i <= VG_CAMPAIGN_VARS_MAX; i++) {
    snprintf(names[i], sizeof names[i], "v%d", i);
    cols[i] = names[i];
    strcat(raw, "{{");
    strcat(raw, names[i]);
    strcat(raw, "}}");
  }
  fake_hash_t h;
  vg_campaign_sms_t s;
  char err[256];
  assert_int_equal(vg_campaign_sms(raw, fake_hash(&h, CL), OPTOUT, cols,
                                   VG_CAMPAIGN_VARS_MAX, 5, &s, err,
                                   sizeof err),
                   -1); /* v16 is no column */
  assert_int_equal(vg_campaign_sms(raw, fake_hash(&h, CL), OPTOUT, cols,
                                   VG_CAMPAIGN_VARS_MAX + 1, 5, &s, err,
                                   sizeof err),
                   -1);
  assert_string_equal(err, "the template uses more than 16 columns");
  /* Sixteen is the most, and fine. */
  char *cut = strstr(raw, "{{v16}}");
  *cut = '\0';
  assert_int_equal(vg_campaign_sms(raw, fake_hash(&h, CL), OPTOUT, cols,
                                   VG_CAMPAIGN_VARS_MAX + 1, 5, &s, err,
                                   sizeof err),
                   0);
  assert_int_equal(s.nvars, VG_CAMPAIGN_VARS_MAX);
  assert_string_equal(s.vars[15], "v15");
  vg_campaign_sms_free(&s);
}

/* --- vg_campaign_gate ----------------------------------------------------- */

/* ms of a local time in the zone set up. */
static int64_t local_ms(int y, int mo, int d, int h, int mi) {
  struct tm tm = {.tm_year = y - 1900,
                  .tm_mon = mo - 1,
                  .tm_mday = d,
                  .tm_hour = h,
                  .tm_min = mi,
                  .tm_isdst = -1};
  return (int64_t)mktime(&tm) * 1000;
}

typedef struct {
  const char *name;
  const char *quiet, *window;
  int64_t end, now;
  const char *want;
  int64_t until, expire_at;
} gate_case_t;

#define QUIET "22:00-08:00"
#define WINDOW "09:00-20:00"
#define L(d, h, m) local_ms(2026, 3, d, h, m)

/* How often a campaign is called: every 5 ms from 200/s up, one recipient
 * a call below, never slower than every 50 ms. */
static void test_every(void **state) {
  (void)state;
  static const int cases[][2] = {{10000, 5}, {1000, 5}, {200, 5}, {199, 5},
                                 {100, 10}, {50, 20},  {20, 50}, {1, 50},
                                 {0, 50}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    assert_int_equal(vg_campaign_every(cases[i][0]), cases[i][1]);
}

static void test_gate(void **state) {
  (void)state;
  vg_clock_setup("Asia/Shanghai");
  const gate_case_t cases[] = {
      /* quiet hours, across midnight: until they end */
      {"quiet, before midnight", QUIET, "", 0, L(10, 23, 30), "quiet_hours",
       L(11, 8, 0), 0},
      {"quiet, after midnight", QUIET, "", 0, L(11, 1, 0), "quiet_hours",
       L(11, 8, 0), 0},
      {"quiet, its first minute", QUIET, WINDOW, 0, L(10, 22, 0), "quiet_hours",
       L(11, 8, 0), 0},
      {"quiet, with an end", QUIET, "", L(11, 2, 0), L(11, 1, 0), "quiet_hours",
       L(11, 8, 0), 0},
      /* outside: its SMS must go before quiet hours begin */
      {"outside quiet", QUIET, "", 0, L(10, 8, 0), "", 0, L(10, 22, 0)},
      {"outside quiet, late", QUIET, "", 0, L(10, 21, 59), "", 0, L(10, 22, 0)},
      /* the window: closed until it opens next */
      {"before the window", QUIET, WINDOW, 0, L(10, 8, 30), "window",
       L(10, 9, 0), 0},
      {"after the window", QUIET, WINDOW, 0, L(10, 20, 0), "window",
       L(11, 9, 0), 0},
      {"after the window, no quiet", "", WINDOW, 0, L(10, 23, 0), "window",
       L(11, 9, 0), 0},
      /* inside both: the earliest of window end, quiet start, end */
      {"inside", QUIET, WINDOW, 0, L(10, 9, 0), "", 0, L(10, 20, 0)},
      {"inside, quiet first", "19:00-07:00", WINDOW, 0, L(10, 10, 0), "", 0,
       L(10, 19, 0)},
      {"inside, the end first", QUIET, WINDOW, L(10, 11, 0), L(10, 10, 0), "",
       0, L(10, 11, 0)},
      {"inside, the end later", QUIET, WINDOW, L(12, 0, 0), L(10, 10, 0), "", 0,
       L(10, 20, 0)},
      /* neither */
      {"no rules", "", "", 0, L(10, 3, 0), "", 0, 0},
      {"no rules, an end", "", "", L(10, 4, 0), L(10, 3, 0), "", 0,
       L(10, 4, 0)},
      {"NULL rules", NULL, NULL, 0, L(10, 3, 0), "", 0, 0},
      {"window only", "", WINDOW, 0, L(10, 12, 0), "", 0, L(10, 20, 0)},
  };
  for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++) {
    const gate_case_t *k = &cases[i];
    print_message("case: %s\n", k->name);
    int64_t until = -1, expire_at = -1;
    const char *why = vg_campaign_gate(k->quiet, k->window, k->end, k->now,
                                       &until, &expire_at);
    assert_string_equal(why, k->want);
    assert_int_equal(until, k->until);
    assert_int_equal(expire_at, k->expire_at);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fill),
      cmocka_unit_test(test_sms_accepted),
      cmocka_unit_test(test_sms_literal_optout),
      cmocka_unit_test(test_sms_refused),
      cmocka_unit_test(test_sms_too_many_vars),
      cmocka_unit_test(test_gate),
      cmocka_unit_test(test_every),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
