/*
 * test_ussd_menu.c — the USSD menus as data (handlers/ussd_menu.def), an
 * answer's step, the pages, and the screens people read: every USSD
 * template of both locales, rendered with the longest values the
 * catalogue and the promoter records allow, fits one USSD message, and so
 * does every SMS answer a menu action may end a dialogue with.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/ussd.h"
#include "gateway/vg.h"
#include "handlers/catalogue.h"
#include "handlers/templates.h"
#include "handlers/ussd_menu.h"

static const vg_ussd_who_t subscriber = {
    .optout = 0, .registered = 0, .can_register = 1, .self = "8613900139009"};

/* --- the table ------------------------------------------------------------- */

static void test_table(void **state) {
  (void)state;
  int reached[VG_USSD_NSCREENS] = {0};
  reached[VG_USSD_P_HOME] = reached[VG_USSD_S_HOME] = 1;
  vg_ussd_who_t all[] = {{0, 0, 1, NULL}, {1, 1, 0, NULL}};
  for (int s = VG_USSD_NONE + 1; s < VG_USSD_NSCREENS; s++) {
    const char *name = vg_ussd_name(s);
    assert_non_null(name);
    assert_int_equal(vg_ussd_by_name(name), s);
    assert_true(vg_ussd_template(s) < VG_TPL_COUNT);
    vg_ussd_kind_t k = vg_ussd_kind(s);
    int next = vg_ussd_next(s);
    /* an input leads somewhere; a menu only through its options */
    if (k == VG_USSD_MSISDN || k == VG_USSD_MONTH || k == VG_USSD_TEXT)
      assert_int_not_equal(next, VG_USSD_NONE);
    if (next > VG_USSD_NONE && next < VG_USSD_NSCREENS)
      reached[next] = 1;
    for (size_t w = 0; w < VG_ARRAY_SIZE(all); w++) {
      int targets[VG_USSD_MAX_OPTIONS];
      const char *words[VG_USSD_MAX_OPTIONS];
      size_t n = vg_ussd_options(s, &all[w], targets, words);
      /* a menu offers something, but for the screens that show a text
       * (a month's counters, a service) with back and home */
      if (k == VG_USSD_OPTIONS && s != VG_USSD_P_MONTH)
        assert_true(n >= 1);
      if (k != VG_USSD_OPTIONS)
        assert_int_equal(n, 0);
      for (size_t i = 0; i < n; i++) {
        assert_int_not_equal(targets[i], VG_USSD_NONE);
        if (targets[i] < VG_USSD_NSCREENS)
          reached[targets[i]] = 1;
      }
    }
  }
  for (int s = VG_USSD_NONE + 1; s < VG_USSD_NSCREENS; s++) {
    if (!reached[s])
      print_error("screen %s: no way leads to it\n", vg_ussd_name(s));
    assert_true(reached[s]);
  }
  assert_int_equal(vg_ussd_by_name("NO_SUCH"), VG_USSD_NONE);
}

/* The subscriber menu's options follow who dialled. */
static void test_options_by_who(void **state) {
  (void)state;
  static const struct {
    vg_ussd_who_t who;
    const char *words;
  } cases[] = {
      {{0, 0, 1, NULL}, "offers services optout register"},
      {{1, 0, 1, NULL}, "offers services optin register"},
      {{0, 0, 0, NULL}, "offers services optout"}, /* outside the segments */
      {{0, 1, 1, NULL}, "offers services optout promoter"}, /* registered */
  };
  for (size_t c = 0; c < VG_ARRAY_SIZE(cases); c++) {
    int targets[VG_USSD_MAX_OPTIONS];
    const char *words[VG_USSD_MAX_OPTIONS];
    size_t n = vg_ussd_options(VG_USSD_S_HOME, &cases[c].who, targets, words);
    char got[256] = "";
    for (size_t i = 0; i < n; i++)
      snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s",
               i ? " " : "", words[i]);
    assert_string_equal(got, cases[c].words);
  }
}

/* --- steps ------------------------------------------------------------------ */

static vg_ussd_step_t step(vg_ussd_state_t *s, const char *in,
                           const vg_ussd_who_t *who, int home) {
  vg_ussd_step_t out;
  vg_ussd_step(s, in, who, home, "86", &out);
  return out;
}

static void test_steps_promoter(void **state) {
  (void)state;
  vg_ussd_who_t who = {0, 1, 1, "8613900139000"};
  vg_ussd_state_t s;
  vg_ussd_start(&s, VG_USSD_P_HOME);
  /* a choice that is not one: the same screen, the hint */
  vg_ussd_step_t r = step(&s, "7", &who, VG_USSD_P_HOME);
  assert_int_equal(r.target, VG_USSD_P_HOME);
  assert_int_equal(r.hint, VG_TPL_USSD_INVALID);
  r = step(&s, "", &who, VG_USSD_P_HOME);
  assert_int_equal(r.hint, VG_TPL_USSD_INVALID);
  r = step(&s, "0", &who, VG_USSD_P_HOME); /* back from home: nowhere */
  assert_int_equal(r.hint, VG_TPL_USSD_INVALID);
  r = step(&s, "#", &who, VG_USSD_P_HOME); /* no next page */
  assert_int_equal(r.hint, VG_TPL_USSD_INVALID);
  /* 1 -> the number */
  r = step(&s, "1", &who, VG_USSD_P_HOME);
  assert_int_equal(r.target, VG_USSD_P_REC_NUMBER);
  assert_int_equal(r.hint, VG_TPL_COUNT);
  r = step(&s, "1380013800", &who, VG_USSD_P_HOME);
  assert_int_equal(r.target, VG_USSD_P_REC_NUMBER);
  assert_int_equal(r.hint, VG_TPL_USSD_BAD_MSISDN);
  r = step(&s, "13900139000", &who, VG_USSD_P_HOME); /* the promoter's own */
  assert_int_equal(r.target, VG_USSD_P_REC_NUMBER);
  assert_int_equal(r.hint, VG_TPL_USSD_BAD_SELF);
  r = step(&s, "#", &who, VG_USSD_P_HOME); /* no page: the input's hint */
  assert_int_equal(r.hint, VG_TPL_USSD_BAD_MSISDN);
  r = step(&s, "13800138000", &who, VG_USSD_P_HOME);
  assert_int_equal(r.target, VG_USSD_P_REC_SERVICE);
  assert_string_equal(s.to, "8613800138000");
  /* a list of two: 3 is not one, 2 is SJB */
  snprintf(s.items, sizeof s.items, "CL,SJB");
  s.next = 40; /* as the page shown said */
  r = step(&s, "#", &who, VG_USSD_P_HOME);
  assert_int_equal(s.at, 40);
  s.next = -1; /* the last page */
  r = step(&s, "#", &who, VG_USSD_P_HOME);
  assert_int_equal(r.hint, VG_TPL_USSD_INVALID);
  assert_int_equal(s.at, 40);
  r = step(&s, "3", &who, VG_USSD_P_HOME);
  assert_int_equal(r.hint, VG_TPL_USSD_INVALID);
  r = step(&s, "2", &who, VG_USSD_P_HOME);
  assert_int_equal(r.target, VG_USSD_P_REC_CONFIRM);
  assert_string_equal(s.svc, "SJB");
  /* back: the list again, on the page it was left at */
  r = step(&s, "0", &who, VG_USSD_P_HOME);
  assert_int_equal(r.target, VG_USSD_P_REC_SERVICE);
  assert_int_equal(s.at, 40);
  r = step(&s, "0", &who, VG_USSD_P_HOME);
  assert_int_equal(r.target, VG_USSD_P_REC_NUMBER);
  r = step(&s, "13800138000", &who, VG_USSD_P_HOME);
  snprintf(s.items, sizeof s.items, "CL,SJB");
  r = step(&s, "1", &who, VG_USSD_P_HOME);
  /* confirm: the action, with what was chosen */
  r = step(&s, "1", &who, VG_USSD_P_HOME);
  assert_int_equal(r.target, VG_USSD_A_RECOMMEND);
  assert_string_equal(s.to, "8613800138000");
  assert_string_equal(s.svc, "CL");
  /* another month: YYYYMM, as CX takes it */
  vg_ussd_start(&s, VG_USSD_P_COMMISSION);
  r = step(&s, "2", &who, VG_USSD_P_HOME);
  assert_int_equal(r.target, VG_USSD_P_ASK_MONTH);
  static const char *const bad[] = {"2026", "202613", "202600", "199912",
                                    "2026111", "abcdef", ""};
  for (size_t i = 0; i < VG_ARRAY_SIZE(bad); i++) {
    r = step(&s, bad[i], &who, VG_USSD_P_HOME);
    assert_int_equal(r.target, VG_USSD_P_ASK_MONTH);
    assert_int_equal(r.hint, VG_TPL_USSD_BAD_MONTH);
  }
  r = step(&s, "202611", &who, VG_USSD_P_HOME);
  assert_int_equal(r.target, VG_USSD_P_MONTH);
  assert_string_equal(s.month, "202611");
  r = step(&s, "1", &who, VG_USSD_P_HOME); /* a text: nothing to pick */
  assert_int_equal(r.hint, VG_TPL_USSD_INVALID);
  /* 00: home, the way back forgotten */
  r = step(&s, "00", &who, VG_USSD_P_HOME);
  assert_int_equal(r.target, VG_USSD_P_HOME);
  assert_string_equal(s.back, "");
}

static void test_steps_subscriber(void **state) {
  (void)state;
  vg_ussd_state_t s;
  vg_ussd_start(&s, VG_USSD_S_HOME);
  vg_ussd_step_t r = step(&s, "4", &subscriber, VG_USSD_S_HOME);
  assert_int_equal(r.target, VG_USSD_S_REG_NAME);
  r = step(&s, "", &subscriber, VG_USSD_S_HOME);
  assert_int_equal(r.hint, VG_TPL_USSD_BAD_NAME);
  /* longer than a promoter's name may be: refused, not cut */
  r = step(&s, "一二三四五六七八九十一二三四五六七八九十一", &subscriber,
           VG_USSD_S_HOME);
  assert_int_equal(r.hint, VG_TPL_USSD_BAD_NAME);
  r = step(&s, "王五", &subscriber, VG_USSD_S_HOME);
  assert_int_equal(r.target, VG_USSD_S_REG_OUTLET);
  assert_string_equal(s.name, "王五");
  r = step(&s, "", &subscriber, VG_USSD_S_HOME);
  assert_int_equal(r.hint, VG_TPL_USSD_BAD_OUTLET);
  r = step(&s, "城关营业厅", &subscriber, VG_USSD_S_HOME);
  assert_int_equal(r.target, VG_USSD_A_REGISTER);
  assert_string_equal(s.outlet, "城关营业厅");
  /* the offers list: a pick, then activate or decline */
  vg_ussd_start(&s, VG_USSD_S_HOME);
  step(&s, "1", &subscriber, VG_USSD_S_HOME);
  snprintf(s.items, sizeof s.items, "1,2");
  r = step(&s, "2", &subscriber, VG_USSD_S_HOME);
  assert_int_equal(r.target, VG_USSD_S_OFFER);
  assert_string_equal(s.svc, "2");
  assert_int_equal(step(&s, "2", &subscriber, VG_USSD_S_HOME).target,
                   VG_USSD_A_DECLINE);
  assert_int_equal(step(&s, "1", &subscriber, VG_USSD_S_HOME).target,
                   VG_USSD_A_CONFIRM);
  /* opted out: 3 is opting back in */
  vg_ussd_who_t out = subscriber;
  out.optout = 1;
  vg_ussd_start(&s, VG_USSD_S_HOME);
  assert_int_equal(step(&s, "3", &out, VG_USSD_S_HOME).target, VG_USSD_S_OPTIN);
  assert_int_equal(step(&s, "1", &out, VG_USSD_S_HOME).target, VG_USSD_A_OPTIN);
  /* the developments are read, not picked */
  vg_ussd_start(&s, VG_USSD_P_DEVELOPMENTS);
  snprintf(s.items, sizeof s.items, "A1");
  assert_int_equal(step(&s, "1", &subscriber, VG_USSD_P_HOME).hint,
                   VG_TPL_USSD_INVALID);
}

/* The way back keeps the latest steps when it is longer than its field. */
static void test_long_way_back(void **state) {
  (void)state;
  vg_ussd_who_t who = {0, 1, 1, "8613900139000"};
  vg_ussd_state_t s;
  vg_ussd_start(&s, VG_USSD_P_HOME);
  for (int i = 0; i < 40; i++) {
    step(&s, "1", &who, VG_USSD_P_HOME); /* -> number */
    step(&s, "0", &who, VG_USSD_P_HOME); /* <- home, popped */
    step(&s, "3", &who, VG_USSD_P_HOME); /* -> knowledge list */
    snprintf(s.items, sizeof s.items, "CL");
    step(&s, "1", &who, VG_USSD_P_HOME); /* -> CL */
    step(&s, "1", &who, VG_USSD_P_HOME); /* -> number */
  }
  assert_true(strlen(s.back) < sizeof s.back);
  assert_int_equal(s.screen, VG_USSD_P_KNOW_NUMBER);
  assert_int_equal(step(&s, "0", &who, VG_USSD_P_HOME).target,
                   VG_USSD_P_KNOW_SERVICE);
  assert_int_equal(step(&s, "0", &who, VG_USSD_P_HOME).target,
                   VG_USSD_P_KNOW_LIST);
}

/* --- pages ------------------------------------------------------------------ */

static int fits(const char *t) {
  size_t n;
  return vg_ussd_fits(t, &n);
}

/* Every page from the first, following "#" (next), with `hint` on page
 * `hinted` (-1: none): the pages, at most 40. */
static int all_pages(const char *hint, int hinted, const char *head,
                     const char *const *lines, size_t n, char *out[40]) {
  int at = 0, k = 0;
  for (; k < 40; k++) {
    int next;
    out[k] = vg_ussd_page(k == hinted ? hint : NULL, head, lines, n,
                          "#下一页", "0返回 00主页", at, &next);
    if (next < 0)
      return k + 1;
    assert_true(next > at);
    at = next;
  }
  fail_msg("more than 40 pages");
  return k;
}

static void test_pages(void **state) {
  (void)state;
  int next = 0;
  /* short: one page, the back line last */
  const char *few[] = {"1 彩铃", "2 手机报"};
  char *p = vg_ussd_page(NULL, "向13800138000推荐：", few, 2, "#下一页",
                         "0返回 00主页", 0, &next);
  assert_int_equal(next, -1);
  assert_string_equal(p, "向13800138000推荐：\n1 彩铃\n2 手机报\n0返回 00主页");
  free(p);
  /* the home screen: no back line; a hint first */
  p = vg_ussd_page("输入有误，请重新选择。", "自助服务", few, 2, "#下一页", NULL, 0,
                   &next);
  assert_string_equal(p, "输入有误，请重新选择。\n自助服务\n1 彩铃\n2 手机报");
  free(p);
  /* thirty services of the longest names: pages that each fit, every item
   * on exactly one, whole, in order, "#" on all but the last */
  char names[30][96];
  const char *lines[30];
  for (int i = 0; i < 30; i++) {
    snprintf(names[i], sizeof names[i],
             "%d 二十个字的业务名称二十个字的业务名称%02d", i + 1, i);
    lines[i] = names[i];
  }
  char *pg[40];
  int pages = all_pages(NULL, -1, "业务知识：", lines, 30, pg);
  assert_true(pages > 5);
  int seen = 0;
  for (int k = 0; k < pages; k++) {
    assert_true(fits(pg[k]));
    assert_int_equal(strstr(pg[k], "#下一页") != NULL, k < pages - 1);
    for (int i = 0; i < 30; i++)
      if (strstr(pg[k], names[i]))
        seen++;
    free(pg[k]);
  }
  assert_int_equal(seen, 30);
  /* a hint on page 2 leaves less room: "#" goes on from the last line it
   * showed, so that every item is still on a page */
  int hpages = all_pages("输入有误，请重新选择。", 2, "业务知识：", lines, 30, pg);
  assert_true(hpages >= pages);
  seen = 0;
  for (int k = 0; k < hpages; k++) {
    assert_true(fits(pg[k]));
    if (k == 2)
      assert_true(strncmp(pg[k], "输入有误", strlen("输入有误")) == 0);
    for (int i = 0; i < 30; i++)
      if (strstr(pg[k], names[i]))
        seen++;
    free(pg[k]);
  }
  assert_int_equal(seen, 30);
  /* the last page of a list again with the hint: if the hint would push
   * its last item to another page, the page comes without it */
  const char *three[] = {"7 二十个字的业务名称二十个字的业务名称7",
                         "8 二十个字的业务名称二十个字的业务名称8",
                         "9 二十个字的业务名称二十个字的业务名称9"};
  p = vg_ussd_page(NULL, "", three, 3, "#下一页", "0返回 00主页", 0, &next);
  assert_int_equal(next, -1);
  char *again = vg_ussd_page("输入有误，请重新选择。", "", three, 3, "#下一页",
                             "0返回 00主页", 0, &next);
  assert_int_equal(next, -1);
  assert_string_equal(again, p);
  free(again);
  free(p);
  /* ... and a hint that would cut a line that fits without it */
  const char *opt[] = {"1 Confirm"};
  const char *q = "Recommend 二十个字的业务名称二十个字的业务名称十 to 13800138000?";
  p = vg_ussd_page(NULL, q, opt, 1, "# more", "0 back 00 home", 0, &next);
  assert_int_equal(next, -1);
  again = vg_ussd_page("Not an option: choose again.", q, opt, 1, "# more",
                       "0 back 00 home", 0, &next);
  assert_string_equal(again, p);
  assert_int_equal(next, -1);
  free(again);
  free(p);
  /* where it costs nothing, the hint is there */
  p = vg_ussd_page("输入有误，请重新选择。", "自助服务", few, 2, "#下一页", NULL, 0,
                   &next);
  assert_true(strncmp(p, "输入有误", strlen("输入有误")) == 0);
  free(p);
  /* a line that fits a page is never cut: a screen's head of 60
   * characters stays whole on the first page */
  const char *one_line[] = {"1 确认"};
  p = vg_ussd_page(NULL,
                   "向13800138000推荐一二三四五六七八九十一二三四五六七八九十"
                   "（每月十元含国内流量一百兆每月十元含国内流）？",
                   one_line, 1, "#下一页", "0返回 00主页", 0, &next);
  assert_int_equal(next, -1);
  assert_non_null(strstr(p, "内流）？\n1 确认\n0返回 00主页"));
  free(p);
  /* a text longer than a page (a service's knowledge) is cut at
   * characters and read on, page by page, nothing lost */
  char text[40 * 39 + 1] = ""; /* 40 times 13 characters of 3 bytes */
  for (int i = 0; i < 40; i++)
    strcat(text, "彩铃让来电者听到您选的歌。");
  const char *one[] = {text};
  pages = all_pages(NULL, -1, "【彩铃】5元/月", one, 1, pg);
  assert_true(pages >= 7);
  char joined[4000] = "";
  for (int k = 0; k < pages; k++) {
    assert_true(fits(pg[k]));
    char *body = pg[k];
    if (k == 0)
      body = strchr(pg[k], '\n') + 1;
    char *end = strstr(body, k < pages - 1 ? "\n#下一页" : "\n0返回");
    assert_non_null(end);
    strncat(joined, body, (size_t)(end - body));
    free(pg[k]);
  }
  assert_string_equal(joined, text);
  /* GSM text has 182 characters a screen */
  char en[400];
  memset(en, 'a', 300);
  en[300] = '\0';
  const char *e[] = {en};
  p = vg_ussd_page(NULL, "Head", e, 1, "# more", "0 back 00 home", 0, &next);
  size_t chars;
  assert_true(vg_ussd_fits(p, &chars));
  assert_true(chars > 170 && chars <= VG_USSD_GSM_MAX);
  assert_true(next > 0);
  free(p);
  /* a position past the text (the list got shorter): the first page */
  p = vg_ussd_page(NULL, "Head", e, 1, "# more", "0 back 00 home", 9999, &next);
  assert_true(strncmp(p, "Head\n", 5) == 0);
  free(p);
}

/* --- the screens people read ------------------------------------------------ */

static const char *top(void) {
  return getenv("top_srcdir") ? getenv("top_srcdir") : VG_SRCDIR;
}

/* The longest value each placeholder can have: names at their limits, in
 * the locale's own script (Chinese names take UCS-2, 80 characters a
 * screen; an English catalogue's take GSM, 182), counts of a promoter at
 * the default daily_recommend_limit for a month, amounts to match. */
static int english;
static const char *longest(const char *name) {
  static const struct {
    const char *name, *value;
  } en[] = {
      {"service_name", "Twenty chars service"},
      {"name", "Twenty chars person."},
      {"outlet", "Forty characters in the name of an outle"},
      {"price", "Twenty chars price.."},
      {"status", "pending approval"},
  };
  for (size_t i = 0; english && i < VG_ARRAY_SIZE(en); i++)
    if (strcmp(en[i].name, name) == 0)
      return en[i].value;
  static const struct {
    const char *name, *value;
  } v[] = {
      {"price", "二十个字的价格说明二十个字的价格说明十"},
      {"pending", "9999.99"},
      {"settled", "9999.99"},
      {"service_name", "二十个字的业务名称二十个字的业务名称十"},
      {"name", "二十个字的推广员姓名二十个字的推广员姓名"},
      {"outlet", "四十个字的网点名称四十个字的网点名称四十个字的网点名称"
                 "四十个字的网点名称四十"},
      {"service_code", "ABCDEFGH"},
      {"staff_no", "1234567"},
      {"msisdn", "13800138000"},
      {"month", "202612"},
      {"ussd_code", "*123*8#"},
      {"status", "待审核"},
      {"code", "9"},
      {"service_number", "10658000"},
  };
  for (size_t i = 0; i < VG_ARRAY_SIZE(v); i++)
    if (strcmp(v[i].name, name) == 0)
      return v[i].value;
  return "6200"; /* a count: 200 a day, 31 days */
}

/* `id` rendered with the longest values of its placeholders, NULL for a
 * word list.  ?knowledge is left out: a service's own text is paged. */
static char *render_longest(const vg_templates_t *t, vg_tpl_id_t id) {
  const char *spec = vg_templates_vars(id);
  if (spec[0] == '=')
    return NULL;
  vg_tpl_var_t vars[16];
  char names[16][32];
  size_t n = 0;
  for (const char *p = spec; *p && n < 16;) {
    while (*p == ' ')
      p++;
    size_t len = strcspn(p, " ");
    if (len == 0)
      break;
    const char *nm = (*p == '!' || *p == '?') ? p + 1 : p;
    snprintf(names[n], sizeof names[n], "%.*s", (int)(len - (size_t)(nm - p)),
             nm);
    vars[n].name = names[n];
    vars[n].value = strcmp(names[n], "knowledge") == 0 ? "" : longest(names[n]);
    n++;
    p += len;
  }
  return vg_templates_render(t, id, vars, n);
}

/* The answers a menu action can end a dialogue with. */
static const vg_tpl_id_t last_answers[] = {
    VG_TPL_CONFIRM_RECEIVED,   VG_TPL_DECLINED,       VG_TPL_EXPIRED,
    VG_TPL_PROCESSING,         VG_TPL_ALREADY_ACTIVE, VG_TPL_NO_OFFER,
    VG_TPL_OPTED_OUT,          VG_TPL_OPTED_IN,       VG_TPL_CANCEL_RECEIVED,
    VG_TPL_CANCEL_NOT_ACTIVE,  VG_TPL_PROMOTER_PENDING,
    VG_TPL_PROMOTER_ALREADY,   VG_TPL_USSD_PROMOTER_APPROVED,
    VG_TPL_TJ_SELF,            VG_TPL_TJ_LIMIT,       VG_TPL_PROMOTER_ONLY,
    VG_TPL_PROMOTER_NOT_IN_SEGMENT};

static void check_locale(const char *locale) {
  char dir[1024], err[512];
  snprintf(dir, sizeof dir, "%s/templates", top());
  vg_templates_t *t = vg_templates_load(dir, locale, err, sizeof err);
  if (t == NULL)
    fail_msg("templates: %s", err);
  char *more = vg_templates_render(t, VG_TPL_USSD_MORE, NULL, 0);
  char *back = vg_templates_render(t, VG_TPL_USSD_BACK, NULL, 0);
  english = strcmp(locale, "en") == 0;
  char *hint = vg_templates_render(t, VG_TPL_USSD_INVALID, NULL, 0);
  int bad = 0;
  /* Every screen's head, with the hint above it and both footer lines
   * below, on one page: a head is never cut. */
  for (int id = 0; id < VG_TPL_COUNT; id++) {
    if (strncmp(vg_templates_name((vg_tpl_id_t)id), "ussd/", 5) != 0)
      continue;
    int answer = 0; /* a last screen, checked below: no hint, no footer */
    for (size_t i = 0; i < VG_ARRAY_SIZE(last_answers); i++)
      answer |= last_answers[i] == (vg_tpl_id_t)id;
    if (answer)
      continue;
    char *head = render_longest(t, (vg_tpl_id_t)id);
    if (head == NULL)
      continue;
    char *page = vg_malloc(strlen(head) * 2 + 512);
    sprintf(page, "%s\n%s\n%s\n%s", hint, head, more, back);
    size_t chars;
    if (!vg_ussd_fits(page, &chars)) {
      print_error("%s %s: %zu characters with the hint and footer: %s\n",
                  locale, vg_templates_name((vg_tpl_id_t)id), chars, page);
      bad++;
    }
    free(page);
    free(head);
  }
  /* Every answer a dialogue may end with fits the last screen. */
  for (size_t i = 0; i < VG_ARRAY_SIZE(last_answers); i++) {
    char *text = render_longest(t, last_answers[i]);
    size_t chars;
    if (!vg_ussd_fits(text, &chars)) {
      print_error("%s %s: %zu characters: %s\n", locale,
                  vg_templates_name(last_answers[i]), chars, text);
      bad++;
    }
    free(text);
  }
  /* and a promoter's recommendation of one service */
  vg_tpl_var_t item[] = {{"service_code", longest("service_code")},
                         {"service_name", longest("service_name")},
                         {"code", "9"}};
  char *sent = vg_templates_render(t, VG_TPL_TJ_SENT_ITEM, item, 3);
  vg_tpl_var_t res[] = {{"staff_no", longest("staff_no")},
                        {"msisdn", longest("msisdn")},
                        {"list", sent}};
  char *text = vg_templates_render(t, VG_TPL_TJ_RESULT, res, 3);
  size_t chars;
  if (!vg_ussd_fits(text, &chars)) {
    print_error("%s tj_result: %zu characters: %s\n", locale, chars, text);
    bad++;
  }
  free(text);
  free(sent);
  free(more);
  free(back);
  free(hint);
  vg_templates_free(t);
  assert_int_equal(bad, 0);
}

static void test_screens_fit_zh(void **state) {
  (void)state;
  check_locale("zh_CN");
}

static void test_screens_fit_en(void **state) {
  (void)state;
  check_locale("en");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_options_by_who),
      cmocka_unit_test(test_steps_promoter),
      cmocka_unit_test(test_steps_subscriber),
      cmocka_unit_test(test_long_way_back),
      cmocka_unit_test(test_pages),
      cmocka_unit_test(test_screens_fit_zh),
      cmocka_unit_test(test_screens_fit_en),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
