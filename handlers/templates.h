/*
 * templates.h — every word a person reads, from templates/<locale>/<id>.txt.
 *
 * The table of template ids and the placeholders each may use is written
 * once (templates.def).  All templates are loaded and checked at start-up: a
 * missing file, an unknown {{placeholder}} or a missing required one stops
 * the daemon with the file and line.  Rendering replaces {{name}} with its
 * value.
 */
#ifndef VG_TEMPLATES_H
#define VG_TEMPLATES_H

#include <stddef.h>

typedef enum {
#define TPL(id, file, vars) VG_TPL_##id,
#include "handlers/templates.def"
  VG_TPL_COUNT
} vg_tpl_id_t;

typedef struct vg_templates_s vg_templates_t;

/* Load and check every template of `locale` under `dir`.  NULL and a
 * "FILE:LINE: reason" message in `err` on failure. */
vg_templates_t *vg_templates_load(const char *dir, const char *locale,
                                  char *err, size_t errsz);
void vg_templates_free(vg_templates_t *t);

/* A value for one placeholder. */
typedef struct {
  const char *name;
  const char *value;
} vg_tpl_var_t;

/*
 * Render into a malloc'd string (trailing newline removed).  A placeholder
 * of the text given no value, or a blank one (vg_templates_blank), that
 * templates.def does not mark "?name" is a bug of the caller: it is logged
 * as an error and counted (vg_templates_defects), and the text is
 * rendered with the gap.
 */
char *vg_templates_render(const vg_templates_t *t, vg_tpl_id_t id,
                          const vg_tpl_var_t *vars, size_t nvars);

/* A value that says nothing: NULL, "", or only spaces and '-' (the
 * stand-in a caller writes for a value it does not have, as in "工号-"). */
int vg_templates_blank(const char *value);

/* May placeholder name[0..len) of `id` be given empty ("?name")? */
int vg_templates_may_be_empty(vg_tpl_id_t id, const char *name, size_t len);

/* 1, with the placeholder's name in `name`, when the text of `id` uses a
 * placeholder that `vars` give no value or a blank one and that may not be
 * empty; 0 when every one has its value. */
int vg_templates_missing(const vg_templates_t *t, vg_tpl_id_t id,
                         const vg_tpl_var_t *vars, size_t nvars, char *name,
                         size_t namesz);

/* How many renderings so far had such a gap (for the tests). */
long vg_templates_defects(void);

/* The longest text of one key of a word list, in bytes of UTF-8: a longer
 * one stops loading with its file and line, so that a word always fits
 * the answer it goes into, whole. */
#define VG_TPL_WORD_MAX 63

/* The text of `key` in a word list (a template whose placeholders are
 * "=keys": "key=text" lines), copied into `out` (VG_TPL_WORD_MAX + 1 bytes
 * hold any listed word); the key itself when it is not in the list.  What
 * does not fit `out` is cut after a whole character, never inside one. */
const char *vg_templates_word(const vg_templates_t *t, vg_tpl_id_t id,
                              const char *key, char *out, size_t outsz);

/* The file name of a template ("recommend.txt"), for messages. */
const char *vg_templates_file(vg_tpl_id_t id);

/* Its name ("recommend"), and its text as loaded (placeholders unreplaced),
 * for the scripts that render an answer inside Redis (handlers/dispatch). */
const char *vg_templates_name(vg_tpl_id_t id);
const char *vg_templates_raw(const vg_templates_t *t, vg_tpl_id_t id);

/* The placeholders template `id` may use, as templates.def writes them
 * ("service_name !code", or "=key ..." for a word list). */
const char *vg_templates_vars(vg_tpl_id_t id);

/* How many SMS parts a text takes on the wire (GSM 03.38 or UCS-2,
 * concatenated as gateway/text.h splits it); 0 for invalid UTF-8. */
size_t vg_templates_parts(const char *utf8);

#endif
