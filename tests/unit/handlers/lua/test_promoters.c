/*
 * test_promoters.c — handlers/lua/promoters.lua and render.lua against a
 * real redis-server: an operator's status change of a promoter and its SMS
 * (promoter_status, table-driven, the same change twice sending nothing),
 * the bulk onboarding (promoter_import), and the library's own renderer and
 * word lists (template_render, template_word) at their edges.
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
#include "handlers/lua/functions.h"
#include "tests/unit/redis_server.h"

static vg_test_redis_t R;

#define P "vasgw"
#define PR "8613900139000"
#define PR2 "8613900139002"
#define PR3 "8613900139003"
#define NOW 1767225600000LL /* 2026-01-01T00:00:00Z */
#define NOW_S "1767225600000"
#define THEN_S "1767139200000" /* a day before */
#define KEY "vasgw:promoter:" PR

static int setup(void **state) {
  (void)state;
  vg_test_redis_reset(&R);
  return 0;
}

/* "field=value" items by field. */
static int cmp_field(const void *a, const void *b) {
  const char *x = *(char *const *)a, *y = *(char *const *)b;
  size_t nx = strcspn(x, "="), ny = strcspn(y, "=");
  int c = strncmp(x, y, nx < ny ? nx : ny);
  return c ? c : (nx > ny) - (nx < ny);
}

/* A hash as "field=value ..." sorted by field ("" when it does not exist):
 * a record compared whole, so that a field written too many is seen. */
static char *sorted_hash(const char *key) {
  redisReply *r = redisCommand(R.rc, "HGETALL %s", key);
  size_t n = r->elements / 2, len = 1;
  char **items = calloc(n ? n : 1, sizeof *items);
  for (size_t i = 0; i < n; i++) {
    const redisReply *f = r->element[2 * i], *v = r->element[2 * i + 1];
    items[i] = malloc(f->len + v->len + 2);
    sprintf(items[i], "%s=%s", f->str, v->str);
    len += f->len + v->len + 2;
  }
  qsort(items, n, sizeof *items, cmp_field);
  char *out = calloc(1, len);
  for (size_t i = 0; i < n; i++) {
    if (i)
      strcat(out, " ");
    strcat(out, items[i]);
    free(items[i]);
  }
  free(items);
  freeReplyObject(r);
  return out;
}

/* A stream's entries without their ids (made by XADD *): "f=v f=v | ...". */
static char *entries(const char *key) {
  redisReply *r = redisCommand(R.rc, "XRANGE %s - +", key);
  size_t cap = 64, len = 0;
  char *out = calloc(1, cap);
  for (size_t i = 0; i < r->elements; i++) {
    const redisReply *f = r->element[i]->element[1];
    for (size_t k = 0; k < f->elements; k++) {
      const char *sep = k == 0 ? (i ? " | " : "") : (k % 2 ? "=" : " ");
      while (len + strlen(sep) + f->element[k]->len + 1 > cap)
        out = realloc(out, cap *= 2);
      len += (size_t)sprintf(out + len, "%s%s", sep, f->element[k]->str);
    }
  }
  freeReplyObject(r);
  return out;
}

/* --- promoter_status ------------------------------------------------------- */

/* The SMS's template: every placeholder promoter_status fills. */
#define TEMPLATE "{{name}}({{staff_no}},{{outlet}}): {{status}} {{reason}}"

/* promoter_status of PR to `status` at NOW: the reply. */
static char *status_change(const char *status, const char *reason,
                           const char *word) {
  vg_fn_promoter_status_t a = {.prefix = P,
                               .now = NOW,
                               .msisdn = PR,
                               .status = status,
                               .reason = reason,
                               .msg_ttl = 7 * 86400,
                               .template = TEMPLATE,
                               .status_word = word,
                               .ussd_code = "*123*8#"};
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_promoter_status(&c, &a);
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

/* PR's record as ZC left it, with `status`: */
#define RECORD(status)                                                       \
  "HSET " KEY " msisdn " PR " name 张三 outlet 城关营业厅 staff_no 10001 "   \
  "status " status " source sms registered_at " THEN_S " updated_at " THEN_S
/* ... and as a change left it, sorted. */
#define CHANGED(reason, status)                                              \
  "msisdn=" PR " name=张三 outlet=城关营业厅 reason=" reason                  \
  " registered_at=" THEN_S " source=sms staff_no=10001 status=" status        \
  " updated_at=" NOW_S

typedef struct {
  const char *name;
  const char *setup[3];
  const char *status, *reason, *word;
  const char *want;   /* the reply */
  const char *record; /* the record afterwards, sorted */
  const char *text;   /* the SMS pr-PR-<status>-NOW; NULL: none */
  const char *stats;
} status_case_t;

static const status_case_t status_cases[] = {
    {"pending -> approved", {RECORD("pending")}, "approved", "", "已通过",
     "[\"changed\",\"pending\",\"张三\",\"10001\",\"pr-" PR "-approved-" NOW_S "\"]", CHANGED("", "approved"),
     "张三(10001,城关营业厅): 已通过 ", "promoters_approved=1 queued=1"},
    {"pending -> rejected", {RECORD("pending")}, "rejected", "非本网点员工",
     "未通过", "[\"changed\",\"pending\",\"张三\",\"10001\",\"pr-" PR "-rejected-" NOW_S "\"]",
     CHANGED("非本网点员工", "rejected"),
     "张三(10001,城关营业厅): 未通过 非本网点员工",
     "promoters_rejected=1 queued=1"},
    {"approved -> disabled", {RECORD("approved")}, "disabled", "多次违规",
     "已停用", "[\"changed\",\"approved\",\"张三\",\"10001\",\"pr-" PR "-disabled-" NOW_S "\"]",
     CHANGED("多次违规", "disabled"), "张三(10001,城关营业厅): 已停用 多次违规",
     "promoters_disabled=1 queued=1"},
    /* approving again enables, and empties the reason */
    {"disabled -> approved",
     {RECORD("disabled"), "HSET " KEY " reason 多次违规"}, "approved", "",
     "已通过", "[\"changed\",\"disabled\",\"张三\",\"10001\",\"pr-" PR "-approved-" NOW_S "\"]",
     CHANGED("", "approved"), "张三(10001,城关营业厅): 已通过 ",
     "promoters_approved=1 queued=1"},
    {"rejected -> approved", {RECORD("rejected")}, "approved", "", "已通过",
     "[\"changed\",\"rejected\",\"张三\",\"10001\",\"pr-" PR "-approved-" NOW_S "\"]", CHANGED("", "approved"),
     "张三(10001,城关营业厅): 已通过 ", "promoters_approved=1 queued=1"},
    /* the operator's words go in as they are, not as a pattern or a
     * template */
    {"a reason with % and {{", {RECORD("approved")}, "disabled",
     "100%违规{{name}}%1", "已停用",
     "[\"changed\",\"approved\",\"张三\",\"10001\",\"pr-" PR "-disabled-" NOW_S "\"]",
     CHANGED("100%违规{{name}}%1", "disabled"),
     "张三(10001,城关营业厅): 已停用 100%违规{{name}}%1",
     "promoters_disabled=1 queued=1"},
    {"no outlet",
     {"HSET " KEY " msisdn " PR " name 张三 staff_no 10001 status pending"},
     "approved", "", "已通过", "[\"changed\",\"pending\",\"张三\",\"10001\",\"pr-" PR "-approved-" NOW_S "\"]",
     "msisdn=" PR " name=张三 reason= staff_no=10001 status=approved "
     "updated_at=" NOW_S,
     "张三(10001,): 已通过 ", "promoters_approved=1 queued=1"},
    {"unchanged", {RECORD("approved")}, "approved", "", "已通过",
     "[\"unchanged\",\"approved\",\"张三\",\"10001\",\"\"]",
     "msisdn=" PR " name=张三 outlet=城关营业厅 registered_at=" THEN_S
     " source=sms staff_no=10001 status=approved updated_at=" THEN_S,
     NULL, ""},
    {"unchanged, with another reason",
     {RECORD("rejected"), "HSET " KEY " reason 旧理由"}, "rejected", "新理由",
     "未通过", "[\"unchanged\",\"rejected\",\"张三\",\"10001\",\"\"]",
     "msisdn=" PR " name=张三 outlet=城关营业厅 reason=旧理由 registered_at="
     THEN_S " source=sms staff_no=10001 status=rejected updated_at=" THEN_S,
     NULL, ""},
    {"missing", {NULL}, "approved", "", "已通过", "[\"missing\",\"\",\"\",\"\",\"\"]",
     "", NULL, ""},
};

static void test_status(void **state) {
  for (size_t i = 0; i < VG_ARRAY_SIZE(status_cases); i++) {
    const status_case_t *k = &status_cases[i];
    print_message("case: %s\n", k->name);
    setup(state);
    vg_test_setup(&R, k->setup);
    VG_EXPECT(status_change(k->status, k->reason, k->word), k->want);
    VG_EXPECT(sorted_hash(KEY), k->record);
    VG_EXPECT(sorted_hash("vasgw:stats"), k->stats);
    char key[96], want[512];
    snprintf(key, sizeof key, "vasgw:msg:pr-" PR "-%s-" NOW_S, k->status);
    if (k->text) {
      snprintf(want, sizeof want,
               "created=" NOW_S " id=pr-" PR "-%s-" NOW_S " origin=promoter "
               "state=queued text=%s to=" PR,
               k->status, k->text);
      VG_EXPECT(sorted_hash(key), want);
      snprintf(want, sizeof want, "TTL %s", key);
      VG_EXPECT(vg_test_run(&R, want), "604800");
      snprintf(want, sizeof want, "id=pr-" PR "-%s-" NOW_S " to=" PR " text=%s",
               k->status, k->text);
      VG_EXPECT(entries("vasgw:mt"), want);
    }
    /* The only message, if any. */
    VG_EXPECT(vg_test_run(&R, "KEYS vasgw:msg:*"),
              k->text ? (snprintf(want, sizeof want, "[\"%s\"]", key), want)
                      : "[]");
    /* The same change again: nothing written, nothing sent. */
    char *before = vg_test_snapshot(&R, NULL);
    char *again = status_change(k->status, k->reason, k->word);
    char *after = vg_test_snapshot(&R, NULL);
    if (strstr(k->want, "missing"))
      assert_string_equal(again, k->want);
    else {
      snprintf(want, sizeof want,
               "[\"unchanged\",\"%s\",\"张三\",\"10001\",\"\"]", k->status);
      assert_string_equal(again, want);
    }
    assert_string_equal(before, after);
    free(again);
    free(before);
    free(after);
  }
}

/* --- promoter_import --------------------------------------------------------- */

#define IMPORT_TEMPLATE "{{name}}，工号{{staff_no}}，{{outlet}}{{status}}。"

static char *import(const char *const rows[][3], size_t n, long long now) {
  vg_fn_promoter_import_t a = {
      .prefix = P, .now = now, .msg_ttl = 7 * 86400, .template = IMPORT_TEMPLATE,
      .ussd_code = "*123*8#"};
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_promoter_import(&c, &a);
  for (size_t i = 0; i < n; i++) {
    vg_fn_promoter_import_promoters_t g = {
        .msisdn = rows[i][0], .name = rows[i][1], .outlet = rows[i][2]};
    vg_fn_promoter_import_promoters(&c, &g);
  }
  char *r = vg_test_fcall(&R, &c);
  vg_fcall_free(&c);
  return r;
}

/* New numbers: approved at once, consecutive staff numbers after the last
 * one given, an SMS each.  A number registered already (by ZC, or twice in
 * the file) is left as it is and sent nothing. */
static void test_import(void **state) {
  (void)state;
  vg_test_setup(&R, (const char *const[]){
                        RECORD("pending"), "SET vasgw:seq:staff 1",
                        "SET vasgw:staff:10001 " PR,
                        "ZADD vasgw:promoters " THEN_S " " PR, NULL});
  static const char *const rows[][3] = {
      {PR2, "李四", "西街"},
      {PR, "张三丰", "东街"},
      {PR3, "王五", ""},
      {PR2, "李四四", "北街"},
  };
  VG_EXPECT(import(rows, VG_ARRAY_SIZE(rows), NOW),
            "[[1,\"approved\",\"10002\"],[0,\"pending\",\"10001\"],"
            "[1,\"approved\",\"10003\"],[0,\"approved\",\"10002\"]]");
  VG_EXPECT(sorted_hash("vasgw:promoter:" PR2),
            "msisdn=" PR2 " name=李四 outlet=西街 registered_at=" NOW_S
            " source=import staff_no=10002 status=approved updated_at=" NOW_S);
  VG_EXPECT(sorted_hash("vasgw:promoter:" PR3),
            "msisdn=" PR3 " name=王五 outlet= registered_at=" NOW_S
            " source=import staff_no=10003 status=approved updated_at=" NOW_S);
  VG_EXPECT(sorted_hash(KEY),
            "msisdn=" PR " name=张三 outlet=城关营业厅 registered_at=" THEN_S
            " source=sms staff_no=10001 status=pending updated_at=" THEN_S);
  VG_EXPECT(vg_test_run(&R, "MGET vasgw:staff:10001 vasgw:staff:10002 "
                            "vasgw:staff:10003 vasgw:seq:staff"),
            "[\"" PR "\",\"" PR2 "\",\"" PR3 "\",\"3\"]");
  VG_EXPECT(vg_test_run(&R, "ZRANGE vasgw:promoters 0 -1 WITHSCORES"),
            "[\"" PR "\",\"" THEN_S "\",\"" PR2 "\",\"" NOW_S "\",\"" PR3
            "\",\"" NOW_S "\"]");
  VG_EXPECT(sorted_hash("vasgw:msg:pr-" PR2 "-approved-" NOW_S),
            "created=" NOW_S " id=pr-" PR2 "-approved-" NOW_S
            " origin=promoter state=queued text=李四，工号10002，西街。 to=" PR2);
  VG_EXPECT(vg_test_run(&R, "KEYS vasgw:msg:pr-" PR "-*"), "[]");
  VG_EXPECT(entries("vasgw:mt"),
            "id=pr-" PR2 "-approved-" NOW_S " to=" PR2
            " text=李四，工号10002，西街。 | id=pr-" PR3 "-approved-" NOW_S
            " to=" PR3 " text=王五，工号10003，。");
  VG_EXPECT(sorted_hash("vasgw:stats"), "promoters_registered=2 queued=2");
  /* The same file again, later: every number known, nothing written. */
  char *before = vg_test_snapshot(&R, NULL);
  VG_EXPECT(import(rows, VG_ARRAY_SIZE(rows), NOW + 60000),
            "[[0,\"approved\",\"10002\"],[0,\"pending\",\"10001\"],"
            "[0,\"approved\",\"10003\"],[0,\"approved\",\"10002\"]]");
  char *after = vg_test_snapshot(&R, NULL);
  assert_string_equal(before, after);
  free(before);
  free(after);
}

/* The first promoter of all is 10001. */
static void test_import_first(void **state) {
  (void)state;
  static const char *const rows[][3] = {{PR, "张三", "城关营业厅"}};
  VG_EXPECT(import(rows, 1, NOW), "[[1,\"approved\",\"10001\"]]");
  VG_EXPECT(vg_test_run(&R, "HGET vasgw:msg:pr-" PR "-approved-" NOW_S " text"),
            "\"张三，工号10001，城关营业厅。\"");
  /* An empty import: nothing. */
  char *before = vg_test_snapshot(&R, NULL);
  VG_EXPECT(import(rows, 0, NOW), "[]");
  char *after = vg_test_snapshot(&R, NULL);
  assert_string_equal(before, after);
  free(before);
  free(after);
}

/* --- template_render, template_word --------------------------------------- */

static void test_render(void **state) {
  (void)state;
  static const struct {
    const char *name, *text;
    const char *vars[4][2];
    const char *want;
  } cases[] = {
      {"placeholders", "{{name}}，工号{{staff_no}}",
       {{"name", "张三"}, {"staff_no", "10001"}}, "\"张三，工号10001\""},
      {"repeated", "{{a}}-{{a}}", {{"a", "x"}}, "\"x-x\""},
      {"a name not given", "a{{nope}}b", {{"name", "张三"}}, "\"ab\""},
      {"no vars at all", "{{name}}/{{outlet}}", {{NULL, NULL}}, "\"/\""},
      {"a var not in the text", "plain", {{"x", "y"}}, "\"plain\""},
      {"an empty value", "[{{a}}]", {{"a", ""}}, "\"[]\""},
      {"% in a value", "{{a}}", {{"a", "100% %1 %%"}}, "\"100% %1 %%\""},
      {"{{ in a value", "{{a}}{{b}}", {{"a", "{{b}}"}, {"b", "X"}},
       "\"{{b}}X\""},
      {"the last of a name given twice", "{{a}}", {{"a", "1"}, {"a", "2"}},
       "\"2\""},
      {"underscores and digits", "{{x_1}}", {{"x_1", "ok"}}, "\"ok\""},
      {"empty text", "", {{"a", "x"}}, "\"\""},
      {"no placeholder, braces", "{a} {{", {{"a", "x"}}, "\"{a} {{\""},
  };
  for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++) {
    print_message("case: %s\n", cases[i].name);
    vg_fn_template_render_t a = {.text = cases[i].text};
    vg_fcall_t c = VG_FCALL_INIT;
    vg_fn_template_render(&c, &a);
    for (int k = 0; k < 4 && cases[i].vars[k][0]; k++) {
      vg_fn_template_render_vars_t v = {.name = cases[i].vars[k][0],
                                        .value = cases[i].vars[k][1]};
      vg_fn_template_render_vars(&c, &v);
    }
    VG_EXPECT(vg_test_fcall(&R, &c), cases[i].want);
    vg_fcall_free(&c);
  }
  /* It writes nothing. */
  VG_EXPECT(vg_test_run(&R, "DBSIZE"), "0");
}

#define WORDS "pending=待审核\napproved=已通过\nrejected=未通过\ndisabled=已停用"

static void test_word(void **state) {
  (void)state;
  static const struct {
    const char *name, *list, *key, *want;
  } cases[] = {
      {"a key", WORDS, "approved", "\"已通过\""},
      {"the first line", WORDS, "pending", "\"待审核\""},
      {"the last line", WORDS, "disabled", "\"已停用\""},
      {"an unknown key: the key", WORDS, "frozen", "\"frozen\""},
      {"an empty list", "", "approved", "\"approved\""},
      {"= in the text", "a=b=c", "a", "\"b=c\""},
      {"an empty text", "a=\nb=x", "a", "\"\""},
      {"a key that begins another", "approved_x=1\napproved=2", "approved",
       "\"2\""},
      {"a key given twice: the first", "a=1\na=2", "a", "\"1\""},
      {"blank lines", "\n\na=1\n\n", "a", "\"1\""},
      {"a line without =", "approved\napproved=2", "approved", "\"2\""},
  };
  for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++) {
    print_message("case: %s\n", cases[i].name);
    vg_fn_template_word_t a = {.list = cases[i].list, .key = cases[i].key};
    vg_fcall_t c = VG_FCALL_INIT;
    vg_fn_template_word(&c, &a);
    VG_EXPECT(vg_test_fcall(&R, &c), cases[i].want);
    vg_fcall_free(&c);
  }
}

int main(void) {
  vg_test_redis_start(&R);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_status, setup),
      cmocka_unit_test_setup(test_import, setup),
      cmocka_unit_test_setup(test_import_first, setup),
      cmocka_unit_test_setup(test_render, setup),
      cmocka_unit_test_setup(test_word, setup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vg_test_redis_stop(&R);
  return rc;
}
