/*
 * templates.c — loading, checking and rendering the templates of templates.h.
 */
#include "handlers/templates.h"
#include "gateway/log.h"
#include "gateway/text.h"
#include "gateway/vg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* id, file name, placeholders it may use ("!name": must use, "?name": may
 * be given empty). */
static const struct {
  const char *name;
  const char *file;
  const char *vars;
} table[VG_TPL_COUNT] = {
#define TPL(id, file, vars) [VG_TPL_##id] = {file, file ".txt", vars},
#include "handlers/templates.def"
};

struct vg_templates_s {
  char *text[VG_TPL_COUNT];
};

/* Placeholder `name` (len bytes) in `vars`: its mark ('!', '?' or ' ' for
 * none), or 0 when the template may not use it. */
static char mark_of(const char *vars, const char *name, size_t len) {
  const char *p = vars;
  while (*p) {
    const char *e = strchr(p, ' ');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    const char *w = p;
    char mark = ' ';
    if (*w == '!' || *w == '?') {
      mark = *w++;
      n--;
    }
    if (n == len && strncmp(w, name, len) == 0)
      return mark;
    if (!e)
      break;
    p = e + 1;
  }
  return 0;
}

static int allowed(const char *vars, const char *name, size_t len) {
  return mark_of(vars, name, len) != 0;
}

static char *read_file(const char *path, char *err, size_t errsz) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    snprintf(err, errsz, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 1024, len = 0;
  char *buf = vg_malloc(cap);
  size_t n;
  while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (cap - len - 1 == 0) {
      cap *= 2;
      buf = vg_realloc(buf, cap);
    }
  }
  fclose(f);
  buf[len] = '\0';
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
    buf[--len] = '\0';
  return buf;
}

static int check(const char *path, const char *text, const char *vars,
                 char *err, size_t errsz) {
  int line = 1;
  for (const char *p = text; *p; p++) {
    if (*p == '\n')
      line++;
    if (p[0] == '{' && p[1] == '{') {
      const char *e = strstr(p + 2, "}}");
      if (e == NULL) {
        snprintf(err, errsz, "%s:%d: '{{' without '}}'", path, line);
        return -1;
      }
      if (!allowed(vars, p + 2, (size_t)(e - p - 2))) {
        snprintf(err, errsz, "%s:%d: unknown placeholder {{%.*s}} (allowed: %s)",
                 path, line, (int)(e - p - 2), p + 2, vars);
        return -1;
      }
      p = e + 1;
    }
  }
  /* Every "!name" must appear. */
  for (const char *v = strchr(vars, '!'); v; v = strchr(v + 1, '!')) {
    size_t n = strcspn(v + 1, " ");
    char want[64];
    snprintf(want, sizeof want, "{{%.*s}}", (int)n, v + 1);
    if (strstr(text, want) == NULL) {
      snprintf(err, errsz, "%s:1: the template must use %s", path, want);
      return -1;
    }
  }
  return 0;
}

/* A word list: "key=text" lines; every "=key" of `vars` once, no other. */
static int check_words(const char *path, const char *text, const char *vars,
                       char *err, size_t errsz) {
  int line = 0;
  for (const char *p = text; *p;) {
    line++;
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    const char *eq = memchr(p, '=', n);
    if (n > 0) {
      char key[64];
      snprintf(key, sizeof key, "=%.*s", eq ? (int)(eq - p) : (int)n, p);
      const char *v = strstr(vars, key);
      size_t kl = strlen(key);
      if (eq == NULL || eq == p) {
        snprintf(err, errsz, "%s:%d: expected key=text", path, line);
        return -1;
      }
      if (v == NULL || (v[kl] != ' ' && v[kl] != '\0')) {
        snprintf(err, errsz, "%s:%d: unknown key '%s' (keys: %s)", path, line,
                 key + 1, vars);
        return -1;
      }
      size_t wl = n - (size_t)(eq - p) - 1;
      if (wl > VG_TPL_WORD_MAX) {
        snprintf(err, errsz, "%s:%d: the text of '%s' is %zu bytes, at most %d",
                 path, line, key + 1, wl, VG_TPL_WORD_MAX);
        return -1;
      }
    }
    p = e ? e + 1 : p + n;
  }
  for (const char *v = strchr(vars, '='); v; v = strchr(v + 1, '=')) {
    size_t kl = strcspn(v + 1, " ");
    int found = 0;
    for (const char *p = text; *p;) {
      if (strncmp(p, v + 1, kl) == 0 && p[kl] == '=')
        found = 1;
      const char *e = strchr(p, '\n');
      p = e ? e + 1 : p + strlen(p);
    }
    if (!found) {
      snprintf(err, errsz, "%s:%d: missing key '%.*s'", path, line + 1,
               (int)kl, v + 1);
      return -1;
    }
  }
  return 0;
}

vg_templates_t *vg_templates_load(const char *dir, const char *locale,
                                  char *err, size_t errsz) {
  vg_templates_t *t = vg_calloc(1, sizeof *t);
  for (int i = 0; i < VG_TPL_COUNT; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", dir, locale, table[i].file);
    t->text[i] = read_file(path, err, errsz);
    int words = table[i].vars[0] == '=';
    if (t->text[i] == NULL ||
        (words ? check_words(path, t->text[i], table[i].vars, err, errsz)
               : check(path, t->text[i], table[i].vars, err, errsz)) != 0) {
      vg_templates_free(t);
      return NULL;
    }
  }
  return t;
}

void vg_templates_free(vg_templates_t *t) {
  if (t == NULL)
    return;
  for (int i = 0; i < VG_TPL_COUNT; i++)
    free(t->text[i]);
  free(t);
}

int vg_templates_blank(const char *value) {
  if (value == NULL)
    return 1;
  for (; *value; value++)
    if (*value != ' ' && *value != '-')
      return 0;
  return 1;
}

int vg_templates_may_be_empty(vg_tpl_id_t id, const char *name, size_t len) {
  return id < VG_TPL_COUNT && mark_of(table[id].vars, name, len) == '?';
}

/* The value `vars` give placeholder name[0..n), or NULL. */
static const char *value_of(const vg_tpl_var_t *vars, size_t nvars,
                            const char *name, size_t n) {
  const char *val = NULL;
  for (size_t i = 0; i < nvars; i++)
    if (strlen(vars[i].name) == n && strncmp(vars[i].name, name, n) == 0)
      val = vars[i].value;
  return val;
}

int vg_templates_missing(const vg_templates_t *t, vg_tpl_id_t id,
                         const vg_tpl_var_t *vars, size_t nvars, char *name,
                         size_t namesz) {
  for (const char *p = strstr(t->text[id], "{{"); p; p = strstr(p, "{{")) {
    const char *e = strstr(p + 2, "}}"); /* checked at load */
    size_t n = (size_t)(e - p - 2);
    if (!vg_templates_may_be_empty(id, p + 2, n) &&
        vg_templates_blank(value_of(vars, nvars, p + 2, n))) {
      if (namesz > 0)
        snprintf(name, namesz, "%.*s", (int)n, p + 2);
      return 1;
    }
    p = e + 2;
  }
  return 0;
}

static long defects;

long vg_templates_defects(void) { return defects; }

char *vg_templates_render(const vg_templates_t *t, vg_tpl_id_t id,
                          const vg_tpl_var_t *vars, size_t nvars) {
  char missing[64];
  /* A gap where a person expects a word is a bug of the caller, which no
   * test of the text alone can see ("工号-，-"): said loudly, counted for
   * the tests, and the text goes out as it is. */
  if (vg_templates_missing(t, id, vars, nvars, missing, sizeof missing)) {
    defects++;
    vg_log_error("template %s rendered without a value for {{%s}}: a bug",
                 table[id].file, missing);
  }
  const char *src = t->text[id];
  size_t cap = strlen(src) + 64, len = 0;
  char *out = vg_malloc(cap);
  for (const char *p = src; *p;) {
    const char *val = NULL;
    size_t skip = 1;
    if (p[0] == '{' && p[1] == '{') {
      const char *e = strstr(p + 2, "}}");
      size_t n = (size_t)(e - p - 2);
      val = value_of(vars, nvars, p + 2, n);
      if (val == NULL)
        val = "";
      skip = n + 4;
    }
    size_t add = val ? strlen(val) : 1;
    if (len + add + 1 > cap) {
      cap = (len + add + 1) * 2;
      out = vg_realloc(out, cap);
    }
    if (val)
      memcpy(out + len, val, add);
    else
      out[len] = *p;
    len += add;
    p += skip;
  }
  out[len] = '\0';
  return out;
}

const char *vg_templates_file(vg_tpl_id_t id) {
  return id < VG_TPL_COUNT ? table[id].file : "?";
}

size_t vg_templates_parts(const char *utf8) {
  vg_text_mt_t mt;
  if (vg_text_encode_mt(utf8, strlen(utf8), 0, &mt) != 0)
    return 0;
  size_t n = mt.nparts;
  vg_text_mt_free(&mt);
  return n;
}

const char *vg_templates_name(vg_tpl_id_t id) {
  return id < VG_TPL_COUNT ? table[id].name : "?";
}

const char *vg_templates_vars(vg_tpl_id_t id) {
  return id < VG_TPL_COUNT ? table[id].vars : "";
}

const char *vg_templates_raw(const vg_templates_t *t, vg_tpl_id_t id) {
  return t->text[id];
}

/* s[0..n) into out, as much as fits after whole characters. */
static void copy_whole(char *out, size_t outsz, const char *s, size_t n) {
  if (outsz == 0)
    return;
  n = vg_text_utf8_prefix(s, n, outsz - 1);
  memcpy(out, s, n);
  out[n] = '\0';
}

const char *vg_templates_word(const vg_templates_t *t, vg_tpl_id_t id,
                              const char *key, char *out, size_t outsz) {
  size_t kl = strlen(key);
  for (const char *p = t->text[id]; *p;) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
      copy_whole(out, outsz, p + kl + 1, n - kl - 1);
      return out;
    }
    p = e ? e + 1 : p + n;
  }
  copy_whole(out, outsz, key, kl); /* not a listed key: the key itself */
  return out;
}
