/*
 * test_grammar.c — handlers/normalize.c and handlers/grammar.c: real-looking
 * MO texts, each with its exact normalised form and its exact meaning
 * (command, argument error, keyword, offer code, arguments).  One table row
 * per text; any wrong table entry, separator rule or slot check fails a row.
 * Every keyword of commands.def has a row of its own, and docs/texting.md's
 * keyword table lists exactly commands.def's keywords: a word added to one
 * and not the others fails here.
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
#include "handlers/grammar.h"
#include "handlers/normalize.h"

typedef struct {
  const char *in;
  int rc;           /* of vg_text_normalize */
  const char *norm; /* expected normalised text */
  vg_cmd_id_t cmd;
  vg_cmd_err_t err;
  const char *keyword;
  const char *code;
  const char *args; /* argv joined by '|' */
} gram_case_t;

#define OK_ VG_CMD_ERR_NONE
#define C(x) VG_CMD_##x
#define E(x) VG_CMD_ERR_##x

static const gram_case_t cases[] = {
    /* subscribers: confirm */
    {"Y", 0, "Y", C(CONFIRM), OK_, "Y", "Y", ""},
    {"y", 0, "Y", C(CONFIRM), OK_, "Y", "Y", ""},
    {"Ｙ", 0, "Y", C(CONFIRM), OK_, "Y", "Y", ""},
    {"ｙ", 0, "Y", C(CONFIRM), OK_, "Y", "Y", ""},
    {"y.", 0, "Y", C(CONFIRM), OK_, "Y", "Y", ""},
    {"Y!!!", 0, "Y", C(CONFIRM), OK_, "Y", "Y", ""},
    {" Y \r\n", 0, "Y", C(CONFIRM), OK_, "Y", "Y", ""},
    {"1", 0, "1", C(CONFIRM), OK_, "1", "1", ""},
    {"1 ", 0, "1", C(CONFIRM), OK_, "1", "1", ""},
    {"１", 0, "1", C(CONFIRM), OK_, "1", "1", ""},
    {"1\xef\xb8\x8f\xe2\x83\xa3", 0, "1", C(CONFIRM), OK_, "1", "1", ""},
    {"是", 0, "是", C(CONFIRM), OK_, "是", "", ""},
    {" 是的！", 0, "是的", C(CONFIRM), OK_, "是的", "", ""},
    {"确认", 0, "确认", C(CONFIRM), OK_, "确认", "", ""},
    {"确认。", 0, "确认", C(CONFIRM), OK_, "确认", "", ""},
    {"开通", 0, "开通", C(CONFIRM), OK_, "开通", "", ""},
    {"确认开通", 0, "确认开通", C(CONFIRM), OK_, "确认开通", "", ""},
    {"好", 0, "好", C(CONFIRM), OK_, "好", "", ""},
    {"好的～", 0, "好的", C(CONFIRM), OK_, "好的", "", ""},
    {"ok", 0, "OK", C(CONFIRM), OK_, "OK", "OK", ""},
    {"Ok!", 0, "OK", C(CONFIRM), OK_, "OK", "OK", ""},
    {"kt", 0, "KT", C(CONFIRM), OK_, "KT", "KT", ""},
    {"回复Y", 0, "Y", C(CONFIRM), OK_, "Y", "Y", ""},
    {"回复：Y", 0, "Y", C(CONFIRM), OK_, "Y", "Y", ""},
    {"回Y", 0, "Y", C(CONFIRM), OK_, "Y", "Y", ""},
    {"Y【张三】", 0, "Y", C(CONFIRM), OK_, "Y", "Y", ""},
    {"Y [Li Lei]", 0, "Y", C(CONFIRM), OK_, "Y", "Y", ""},
    {"Y--张三", 0, "Y", C(CONFIRM), OK_, "Y", "Y", ""},
    {"是——王五 发自我的手机", 0, "是", C(CONFIRM), OK_, "是", "", ""},
    {"y\xf0\x9f\x91\x8d", 0, "Y", C(CONFIRM), OK_, "Y", "Y", ""},
    {"好的\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbb", 0, "好的", C(CONFIRM), OK_,
     "好的", "", ""},
    {"OK\xe2\x9d\xa4\xef\xb8\x8f", 0, "OK", C(CONFIRM), OK_, "OK", "OK", ""},
    {"Y 确认", 0, "Y 确认", C(CONFIRM), OK_, "Y", "Y", ""},
    {"1开通", 0, "1开通", C(CONFIRM), OK_, "1", "1", ""},
    {"Y 谢谢", 0, "Y 谢谢", C(CONFIRM), E(EXTRA), "Y", "Y", ""},
    /* English, as a person writes it */
    {"YES", 0, "YES", C(CONFIRM), OK_, "YES", "YES", ""},
    {"yes", 0, "YES", C(CONFIRM), OK_, "YES", "YES", ""},
    {"Yes!", 0, "YES", C(CONFIRM), OK_, "YES", "YES", ""},
    {"ＹＥＳ", 0, "YES", C(CONFIRM), OK_, "YES", "YES", ""},
    {"yes 确认", 0, "YES 确认", C(CONFIRM), OK_, "YES", "YES", ""},
    {"Yes please", 0, "YES PLEASE", C(CONFIRM), E(EXTRA), "YES", "YES", ""},
    /* offer codes */
    {"2", 0, "2", C(CODE), OK_, "", "2", ""},
    {"２", 0, "2", C(CODE), OK_, "", "2", ""},
    {"cl", 0, "CL", C(CODE), OK_, "", "CL", ""},
    {"回复2开通", 0, "2开通", C(CODE), OK_, "", "2", ""},
    {"CL 开通", 0, "CL 开通", C(CODE), OK_, "", "CL", ""},
    {"Y1", 0, "Y1", C(CODE), OK_, "", "Y1", ""},
    {"ABCDE", 0, "ABCDE", C(UNKNOWN), OK_, "", "", ""},
    /* decline */
    {"N", 0, "N", C(DECLINE), OK_, "N", "", ""},
    {"n。", 0, "N", C(DECLINE), OK_, "N", "", ""},
    {"否", 0, "否", C(DECLINE), OK_, "否", "", ""},
    {"不", 0, "不", C(DECLINE), OK_, "不", "", ""},
    {"不要!", 0, "不要", C(DECLINE), OK_, "不要", "", ""},
    {"不需要，谢谢", 0, "不需要 谢谢", C(DECLINE), E(EXTRA), "不需要", "",
     ""},
    {"不需要。。。", 0, "不需要", C(DECLINE), OK_, "不需要", "", ""},
    {"不用", 0, "不用", C(DECLINE), OK_, "不用", "", ""},
    {"不用，谢谢", 0, "不用 谢谢", C(DECLINE), E(EXTRA), "不用", "", ""},
    {"NO", 0, "NO", C(DECLINE), OK_, "NO", "", ""},
    {"no.", 0, "NO", C(DECLINE), OK_, "NO", "", ""},
    {"No thanks", 0, "NO THANKS", C(DECLINE), E(EXTRA), "NO", "", ""},
    /* opt-out / opt-in */
    {"TD", 0, "TD", C(OPTOUT), OK_, "TD", "", ""},
    {"ｔｄ", 0, "TD", C(OPTOUT), OK_, "TD", "", ""},
    {"td ", 0, "TD", C(OPTOUT), OK_, "TD", "", ""},
    {"T", 0, "T", C(OPTOUT), OK_, "T", "", ""},
    {"退订", 0, "退订", C(OPTOUT), OK_, "退订", "", ""},
    {"TD退订", 0, "TD退订", C(OPTOUT), OK_, "TD", "", ""},
    {"回复TD退订", 0, "TD退订", C(OPTOUT), OK_, "TD", "", ""},
    {"stop", 0, "STOP", C(OPTOUT), OK_, "STOP", "", ""},
    {"STOP\xf0\x9f\x98\xa1\xf0\x9f\x98\xa1", 0, "STOP", C(OPTOUT), OK_,
     "STOP", "", ""},
    {"unsubscribe", 0, "UNSUBSCRIBE", C(OPTOUT), OK_, "UNSUBSCRIBE", "", ""},
    {"STOP 退订", 0, "STOP 退订", C(OPTOUT), OK_, "STOP", "", ""},
    {"DY", 0, "DY", C(OPTIN), OK_, "DY", "", ""},
    {"订阅", 0, "订阅", C(OPTIN), OK_, "订阅", "", ""},
    {"Start", 0, "START", C(OPTIN), OK_, "START", "", ""},
    /* cancel, knowledge */
    {"QX CL", 0, "QX CL", C(CANCEL), OK_, "QX", "", "CL"},
    {"qx，cl", 0, "QX CL", C(CANCEL), OK_, "QX", "", "CL"},
    {"QX", 0, "QX", C(CANCEL), E(MISSING_SERVICE), "QX", "", ""},
    {"QX 彩铃", 0, "QX 彩铃", C(CANCEL), E(BAD_SERVICE), "QX", "", ""},
    {"QX CL SJB", 0, "QX CL SJB", C(CANCEL), E(EXTRA), "QX", "", "CL"},
    /* QX is 取消's pinyin: the word itself, and in English */
    {"取消 CL", 0, "取消 CL", C(CANCEL), OK_, "取消", "", "CL"},
    {"取消cl", 0, "取消CL", C(CANCEL), OK_, "取消", "", "CL"},
    {"回复取消CL", 0, "取消CL", C(CANCEL), OK_, "取消", "", "CL"},
    {"取消", 0, "取消", C(CANCEL), E(MISSING_SERVICE), "取消", "", ""},
    {"cancel cl", 0, "CANCEL CL", C(CANCEL), OK_, "CANCEL", "", "CL"},
    {"CANCEL", 0, "CANCEL", C(CANCEL), E(MISSING_SERVICE), "CANCEL", "", ""},
    {"ZS CL", 0, "ZS CL", C(KNOWLEDGE), OK_, "ZS", "", "CL"},
    {"zs cl?", 0, "ZS CL", C(KNOWLEDGE), OK_, "ZS", "", "CL"},
    {"ZS 13800138000 CL", 0, "ZS 13800138000 CL", C(KNOWLEDGE), OK_, "ZS",
     "", "13800138000|CL"},
    {"ZS13800138000 CL", 0, "ZS13800138000 CL", C(KNOWLEDGE), OK_, "ZS", "",
     "13800138000|CL"},
    {"ZS 13800138000", 0, "ZS 13800138000", C(KNOWLEDGE),
     E(MISSING_SERVICE), "ZS", "", "13800138000"},
    {"ZS", 0, "ZS", C(KNOWLEDGE), E(MISSING_SERVICE), "ZS", "", ""},
    /* help */
    {"?", 0, "?", C(HELP), OK_, "?", "", ""},
    {"？", 0, "?", C(HELP), OK_, "?", "", ""},
    {"??", 0, "?", C(HELP), OK_, "?", "", ""},
    {"？！", 0, "?", C(HELP), OK_, "?", "", ""},
    {"BZ", 0, "BZ", C(HELP), OK_, "BZ", "", ""},
    {"帮助", 0, "帮助", C(HELP), OK_, "帮助", "", ""},
    {"help", 0, "HELP", C(HELP), OK_, "HELP", "", ""},
    {"Y?", 0, "Y", C(CONFIRM), OK_, "Y", "Y", ""},
    /* promoters: register */
    {"ZC 张三 城关营业厅", 0, "ZC 张三 城关营业厅", C(REGISTER), OK_, "ZC",
     "", "张三|城关营业厅"},
    {"zc张三", 0, "ZC张三", C(REGISTER), OK_, "ZC", "", "张三"},
    {"ZC＃张三＃城关 营业厅", 0, "ZC 张三 城关 营业厅", C(REGISTER), OK_,
     "ZC", "", "张三|城关 营业厅"},
    {"ZC*李四*东城区、3号店", 0, "ZC 李四 东城区 3号店", C(REGISTER), OK_,
     "ZC", "", "李四|东城区 3号店"},
    {"ZC", 0, "ZC", C(REGISTER), E(MISSING_NAME), "ZC", "", ""},
    /* recommend */
    {"TJ 13800138000 CL SJB", 0, "TJ 13800138000 CL SJB", C(RECOMMEND), OK_,
     "TJ", "", "13800138000|CL|SJB"},
    {"tj，13800138000，cl", 0, "TJ 13800138000 CL", C(RECOMMEND), OK_, "TJ",
     "", "13800138000|CL"},
    {"ＴＪ　１３８００１３８０００　ＣＬ", 0, "TJ 13800138000 CL",
     C(RECOMMEND), OK_, "TJ", "", "13800138000|CL"},
    {"TJ#8613800138000#CL#", 0, "TJ 8613800138000 CL", C(RECOMMEND), OK_,
     "TJ", "", "8613800138000|CL"},
    {"TJ +8613800138000 CL", 0, "TJ +8613800138000 CL", C(RECOMMEND), OK_,
     "TJ", "", "+8613800138000|CL"},
    {"TJ13800138000 CL", 0, "TJ13800138000 CL", C(RECOMMEND), OK_, "TJ", "",
     "13800138000|CL"},
    {"TJ", 0, "TJ", C(RECOMMEND), E(MISSING_MSISDN), "TJ", "", ""},
    {"TJ abc", 0, "TJ ABC", C(RECOMMEND), E(BAD_MSISDN), "TJ", "", ""},
    {"TJ 1380013800 CL", 0, "TJ 1380013800 CL", C(RECOMMEND), E(BAD_MSISDN),
     "TJ", "", ""},
    {"TJ 13800138000", 0, "TJ 13800138000", C(RECOMMEND), E(MISSING_SERVICE),
     "TJ", "", "13800138000"},
    {"TJ 13800138000 彩铃", 0, "TJ 13800138000 彩铃", C(RECOMMEND),
     E(BAD_SERVICE), "TJ", "", "13800138000"},
    {"TJ 13800138000 A B C D E F G H", 0, "TJ 13800138000 A B C D E F G H",
     C(RECOMMEND), E(TOO_MANY), "TJ", "", "13800138000|A|B|C|D|E|F|G"},
    /* query */
    {"CX", 0, "CX", C(QUERY), OK_, "CX", "", ""},
    {"cx", 0, "CX", C(QUERY), OK_, "CX", "", ""},
    {"CX 202611", 0, "CX 202611", C(QUERY), OK_, "CX", "", "202611"},
    {"CX202611", 0, "CX202611", C(QUERY), OK_, "CX", "", "202611"},
    {"CX 2026", 0, "CX 2026", C(QUERY), E(BAD_MONTH), "CX", "", ""},
    {"CX 202613", 0, "CX 202613", C(QUERY), E(BAD_MONTH), "CX", "", ""},
    {"CX 202611 1", 0, "CX 202611 1", C(QUERY), E(EXTRA), "CX", "",
     "202611"},
    {"CX MX", 0, "CX MX", C(QUERY_DETAIL), OK_, "CX MX", "", ""},
    {"cx,mx.", 0, "CX MX", C(QUERY_DETAIL), OK_, "CX MX", "", ""},
    {"CX MX 1", 0, "CX MX 1", C(QUERY_DETAIL), E(EXTRA), "CX MX", "", ""},
    {"YW", 0, "YW", C(SERVICES), OK_, "YW", "", ""},
    {"yw？", 0, "YW", C(SERVICES), OK_, "YW", "", ""},
    /* garbage, empty, emoji only */
    {"", 0, "", C(UNKNOWN), OK_, "", "", ""},
    {"   ", 0, "", C(UNKNOWN), OK_, "", "", ""},
    {",,#**", 0, "", C(UNKNOWN), OK_, "", "", ""},
    {"\xf0\x9f\x91\x8d", 0, "", C(UNKNOWN), OK_, "", "", ""},
    {"\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7",
     0, "", C(UNKNOWN), OK_, "", "", ""},
    {"你好，请问这是什么业务？", 0, "你好 请问这是什么业务", C(UNKNOWN), OK_,
     "", "", ""},
    {"好的谢谢", 0, "好的谢谢", C(UNKNOWN), OK_, "", "", ""},
    {"【Y】", 0, "【Y】", C(UNKNOWN), OK_, "", "", ""},
    {"hello world", 0, "HELLO WORLD", C(UNKNOWN), OK_, "", "", ""},
    {"TDX", 0, "TDX", C(CODE), OK_, "", "TDX", ""},
    /* invalid UTF-8 */
    {"Y\xff", VG_EUTF8, "", C(UNKNOWN), OK_, "", "", ""},
    {"\xe6\x98", VG_EUTF8, "", C(UNKNOWN), OK_, "", "", ""},
    {"\xc0\xaf", VG_EUTF8, "", C(UNKNOWN), OK_, "", "", ""},
    {"\xed\xa0\x80", VG_EUTF8, "", C(UNKNOWN), OK_, "", "", ""},
};

/* argv joined by '|'. */
static void join_args(const vg_command_t *c, char *buf, size_t sz) {
  int i;

  buf[0] = '\0';
  for (i = 0; i < c->argc; i++) {
    if (i > 0)
      strncat(buf, "|", sz - strlen(buf) - 1);
    strncat(buf, c->argv[i], sz - strlen(buf) - 1);
  }
}

static void test_table(void **state) {
  size_t i, failed = 0;

  (void)state;
  for (i = 0; i < VG_ARRAY_SIZE(cases); i++) {
    const gram_case_t *k = &cases[i];
    char norm[256], args[VG_CMD_MAX_ARGS * VG_CMD_ARG_MAX];
    vg_command_t c;
    int rc = vg_text_normalize(k->in, strlen(k->in), norm, sizeof norm);

    if (rc != k->rc || strcmp(norm, k->norm) != 0) {
      print_error("case %zu \"%s\": normalize rc %d \"%s\", want %d \"%s\"\n",
                  i, k->in, rc, norm, k->rc, k->norm);
      failed++;
      continue;
    }
    assert_int_equal(vg_command_parse(norm, &c), 0);
    join_args(&c, args, sizeof args);
    if (c.cmd != k->cmd || c.err != k->err || strcmp(c.keyword, k->keyword) ||
        strcmp(c.code, k->code) || strcmp(args, k->args)) {
      print_error("case %zu \"%s\" -> \"%s\": got %s/%s kw \"%s\" code \"%s\" "
                  "args \"%s\"; want %s/%s kw \"%s\" code \"%s\" args \"%s\"\n",
                  i, k->in, norm, vg_command_name(c.cmd),
                  vg_command_strerr(c.err), c.keyword, c.code, args,
                  vg_command_name(k->cmd), vg_command_strerr(k->err),
                  k->keyword, k->code, k->args);
      failed++;
    }
  }
  print_message("%zu cases, %zu failed\n", VG_ARRAY_SIZE(cases), failed);
  assert_int_equal(failed, 0);
}

static void test_normalize_limits(void **state) {
  char out[4];

  (void)state;
  assert_int_equal(vg_text_normalize("TJ 1", 4, out, sizeof out),
                   VG_ETOOLONG);
  assert_string_equal(out, "");
  assert_int_equal(vg_text_normalize("TJ", 2, out, 3), 0);
  assert_string_equal(out, "TJ");
  assert_int_equal(vg_text_normalize("是", 3, out, 3), VG_ETOOLONG);
  assert_int_equal(vg_text_normalize("Y", 1, out, 0), VG_ETOOLONG);
  assert_int_equal(vg_text_normalize(NULL, 1, out, sizeof out), VG_EINVAL);
  assert_int_equal(vg_text_normalize("Y", 1, NULL, 4), VG_EINVAL);
  /* len is honoured: the bytes after it are not read */
  assert_int_equal(vg_text_normalize("YES", 1, out, sizeof out), 0);
  assert_string_equal(out, "Y");
}

static void test_parse_limits(void **state) {
  vg_command_t c;
  char name[100];

  (void)state;
  assert_int_equal(vg_command_parse(NULL, &c), VG_EINVAL);
  assert_int_equal(vg_command_parse("Y", NULL), VG_EINVAL);
  memset(name, 'A', sizeof name - 1);
  memcpy(name, "ZC ", 3);
  name[sizeof name - 1] = '\0';
  assert_int_equal(vg_command_parse(name, &c), 0);
  assert_int_equal(c.cmd, VG_CMD_REGISTER);
  assert_int_equal(c.err, VG_CMD_ERR_TOO_LONG);
  assert_int_equal(c.argc, 0);
  assert_string_equal(vg_command_name(VG_CMD_QUERY_DETAIL), "QUERY_DETAIL");
  assert_string_equal(vg_command_strerr(VG_CMD_ERR_MISSING_MSISDN),
                      "missing msisdn");
}

/* commands.def's rows, as the grammar reads them. */
static const struct {
  vg_cmd_id_t id;
  const char *keywords;
} rows[] = {
#define CMD(name, keywords, args, family) {VG_CMD_##name, keywords},
#include "handlers/commands.def"
};

/* Calls fn(id, keyword, len, arg) for every keyword of commands.def. */
static void each_keyword(void (*fn)(vg_cmd_id_t, const char *, size_t, void *),
                         void *arg) {
  for (size_t r = 0; r < VG_ARRAY_SIZE(rows); r++)
    for (const char *k = rows[r].keywords; *k;) {
      size_t n = strcspn(k, "|");
      fn(rows[r].id, k, n, arg);
      k += n + (k[n] == '|');
    }
}

static void keyword_has_case(vg_cmd_id_t id, const char *kw, size_t n,
                             void *arg) {
  size_t *missing = arg;
  for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++)
    if (cases[i].cmd == id && strlen(cases[i].keyword) == n &&
        memcmp(cases[i].keyword, kw, n) == 0)
      return;
  print_error("keyword \"%.*s\" (%s) has no row in the table\n", (int)n, kw,
              vg_command_name(id));
  (*missing)++;
}

static void test_every_keyword_tested(void **state) {
  size_t missing = 0;
  (void)state;
  each_keyword(keyword_has_case, &missing);
  assert_int_equal(missing, 0);
}

/* The keywords column of docs/texting.md's "The keywords" table: every
 * `word` in it, "|"-separated. */
static char *documented_keywords(void) {
  FILE *f = fopen(VG_SRCDIR "/docs/texting.md", "r");
  assert_non_null(f);
  char line[1024];
  size_t cap = 4096, len = 0;
  char *out = calloc(1, cap);
  int in_table = 0;
  assert_non_null(out);
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "### The keywords", 16) == 0)
      in_table = 1;
    else if (in_table && strncmp(line, "Argument shapes", 15) == 0)
      break;
    if (!in_table || strncmp(line, "| ", 2) != 0)
      continue;
    /* | command | keywords | arguments | whose | */
    char *col = strchr(line + 1, '|');
    char *end = col ? strchr(col + 1, '|') : NULL;
    if (end == NULL)
      continue;
    *end = '\0';
    for (char *p = strchr(col, '`'); p; p = strchr(p + 1, '`')) {
      char *q = strchr(p + 1, '`');
      if (q == NULL)
        break;
      assert_true(len + (size_t)(q - p) + 1 < cap);
      len += (size_t)sprintf(out + len, "%s%.*s", len ? "|" : "",
                             (int)(q - p - 1), p + 1);
      p = q;
    }
  }
  fclose(f);
  return out;
}

static int in_list(const char *list, const char *w, size_t n) {
  for (const char *k = list; *k;) {
    size_t l = strcspn(k, "|");
    if (l == n && memcmp(k, w, n) == 0)
      return 1;
    k += l + (k[l] == '|');
  }
  return 0;
}

typedef struct {
  const char *doc;
  char all[1024];
  size_t len, undocumented;
} doc_check_t;

static void keyword_documented(vg_cmd_id_t id, const char *kw, size_t n,
                               void *arg) {
  doc_check_t *d = arg;
  if (!in_list(d->doc, kw, n)) {
    print_error("keyword \"%.*s\" (%s) is not in docs/texting.md\n", (int)n,
                kw, vg_command_name(id));
    d->undocumented++;
  }
  d->len += (size_t)snprintf(d->all + d->len, sizeof d->all - d->len, "%s%.*s",
                             d->len ? "|" : "", (int)n, kw);
}

static void test_keywords_documented(void **state) {
  doc_check_t d = {.doc = documented_keywords()};
  size_t unknown = 0;
  (void)state;
  each_keyword(keyword_documented, &d);
  /* ... and the document promises no word the grammar does not know. */
  for (const char *k = d.doc; *k;) {
    size_t l = strcspn(k, "|");
    if (!in_list(d.all, k, l)) {
      print_error("docs/texting.md lists \"%.*s\", commands.def does not\n",
                  (int)l, k);
      unknown++;
    }
    k += l + (k[l] == '|');
  }
  free((void *)d.doc);
  assert_int_equal(d.undocumented, 0);
  assert_int_equal(unknown, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_every_keyword_tested),
      cmocka_unit_test(test_keywords_documented),
      cmocka_unit_test(test_normalize_limits),
      cmocka_unit_test(test_parse_limits),
  };

  return cmocka_run_group_tests_name("handlers/grammar", tests, NULL, NULL);
}
