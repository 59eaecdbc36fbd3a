/*
 * test_render.c — templates are rendered in two places, handlers/templates.c
 * (the C handlers) and handlers/lua/render.lua (the answers a Redis
 * Function composes itself, through template_render and template_word):
 * every template of every locale is rendered both ways, with every
 * placeholder it may use given, with each one left out, and with values
 * that a pattern engine could misread, and the two must agree byte for
 * byte.  Word lists are looked up both ways, every key and one that is
 * not there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/log.h"
#include "gateway/vg.h"
#include "handlers/lua/functions.h"
#include "handlers/templates.h"
#include "tests/unit/redis_server.h"

static vg_test_redis_t R;
static const char *const locales[] = {"zh_CN", "en"};

/* Values no renderer may treat as anything but text. */
static const char *const values[] = {"彩铃", "5%d %s %%", "{{code}}",
                                     "a\\1b", "$1 & \\n", ""};

/* The placeholder names of `vars` ("service_name !code") into names[]. */
/* Room for every placeholder or key a template has, and one more (the
 * word-list test adds a key no list has). */
#define MAX_NAMES 32

static int names_of(const char *vars, char names[MAX_NAMES][32]) {
  int n = 0;
  for (const char *p = vars; *p;) {
    while (*p == ' ')
      p++;
    if (*p == '!' || *p == '?')
      p++;
    size_t len = strcspn(p, " ");
    if (len) {
      if (n >= MAX_NAMES - 1)
        fail_msg("more than %d names in \"%s\": raise MAX_NAMES", MAX_NAMES - 1,
                 vars);
      snprintf(names[n++], 32, "%.*s", (int)len, p);
    }
    p += len;
  }
  return n;
}

/* template_render of `text` with vars[0..n): the text it returns. */
static char *lua_render(const char *text, const vg_tpl_var_t *vars, int n) {
  vg_fcall_t c = VG_FCALL_INIT;
  vg_fn_template_render_t a = {.text = text};
  vg_fn_template_render(&c, &a);
  for (int i = 0; i < n; i++) {
    vg_fn_template_render_vars_t v = {.name = vars[i].name,
                                      .value = vars[i].value};
    vg_fn_template_render_vars(&c, &v);
  }
  redisReply *r = redisCommandArgv(R.rc, c.argc, c.argv, c.argvlen);
  vg_fcall_free(&c);
  assert_non_null(r);
  if (r->type != REDIS_REPLY_STRING)
    fail_msg("template_render: %s", r->str ? r->str : "not a string");
  char *s = strndup(r->str, r->len);
  freeReplyObject(r);
  return s;
}

/* Render `id` both ways with `vars`; they must agree. */
static void same(const vg_templates_t *t, vg_tpl_id_t id,
                 const vg_tpl_var_t *vars, int n, const char *locale) {
  char *c = vg_templates_render(t, id, vars, (size_t)n);
  /* The C renderer drops the file's trailing newlines at load: the raw
   * text handed to Lua is the same loaded text. */
  char *lua = lua_render(vg_templates_raw(t, id), vars, n);
  if (strcmp(c, lua) != 0)
    fail_msg("%s/%s: C and Lua differ:\n  C:   %s\n  Lua: %s", locale,
             vg_templates_file(id), c, lua);
  free(c);
  free(lua);
}

static void test_every_template(void **state) {
  (void)state;
  int compared = 0;
  for (size_t l = 0; l < VG_ARRAY_SIZE(locales); l++) {
    char err[512];
    vg_templates_t *t = vg_templates_load(VG_SRCDIR "/templates", locales[l],
                                          err, sizeof err);
    if (t == NULL)
      fail_msg("%s", err);
    for (int id = 0; id < VG_TPL_COUNT; id++) {
      const char *spec = vg_templates_vars((vg_tpl_id_t)id);
      if (spec[0] == '=')
        continue; /* a word list: test_word_lists */
      char names[MAX_NAMES][32];
      int n = names_of(spec, names);
      vg_tpl_var_t vars[MAX_NAMES];
      /* Each set of values in turn, every placeholder given ... */
      for (size_t v = 0; v < VG_ARRAY_SIZE(values); v++) {
        for (int i = 0; i < n; i++)
          vars[i] = (vg_tpl_var_t){names[i], values[(v + (size_t)i) %
                                                    VG_ARRAY_SIZE(values)]};
        same(t, (vg_tpl_id_t)id, vars, n, locales[l]);
        compared++;
      }
      /* ... then each one left out (it renders as ""). */
      for (int skip = 0; skip < n; skip++) {
        int k = 0;
        for (int i = 0; i < n; i++)
          if (i != skip)
            vars[k++] = (vg_tpl_var_t){names[i], "值"};
        same(t, (vg_tpl_id_t)id, vars, k, locales[l]);
        compared++;
      }
    }
    vg_templates_free(t);
  }
  print_message("%d renderings compared\n", compared);
  assert_true(compared > 2 * VG_TPL_COUNT);
}

static void test_word_lists(void **state) {
  (void)state;
  int compared = 0;
  for (size_t l = 0; l < VG_ARRAY_SIZE(locales); l++) {
    char err[512];
    vg_templates_t *t = vg_templates_load(VG_SRCDIR "/templates", locales[l],
                                          err, sizeof err);
    if (t == NULL)
      fail_msg("%s", err);
    for (int id = 0; id < VG_TPL_COUNT; id++) {
      const char *spec = vg_templates_vars((vg_tpl_id_t)id);
      if (spec[0] != '=')
        continue;
      char keys[MAX_NAMES][32];
      int n = names_of(spec, keys);
      snprintf(keys[n++], 32, "%s", "no_such_key"); /* the key itself */
      for (int k = 0; k < n; k++) {
        const char *key = keys[k][0] == '=' ? keys[k] + 1 : keys[k];
        char c[256];
        vg_templates_word(t, (vg_tpl_id_t)id, key, c, sizeof c);
        vg_fcall_t call = VG_FCALL_INIT;
        vg_fn_template_word_t a = {.list = vg_templates_raw(t, (vg_tpl_id_t)id),
                                   .key = key};
        vg_fn_template_word(&call, &a);
        redisReply *r =
            redisCommandArgv(R.rc, call.argc, call.argv, call.argvlen);
        vg_fcall_free(&call);
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_STRING);
        if (strcmp(c, r->str) != 0)
          fail_msg("%s/%s key %s: C '%s', Lua '%s'", locales[l],
                   vg_templates_file((vg_tpl_id_t)id), key, c, r->str);
        freeReplyObject(r);
        compared++;
      }
    }
    vg_templates_free(t);
  }
  print_message("%d word lookups compared\n", compared);
  assert_true(compared > 10);
}

int main(void) {
  /* Left out on purpose, a placeholder is a defect the C renderer logs:
   * not news here. */
  vg_log_open("/dev/null", VG_LOG_ERROR);
  vg_test_redis_start(&R);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_template),
      cmocka_unit_test(test_word_lists),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vg_test_redis_stop(&R);
  return rc;
}
