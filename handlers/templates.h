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

/* Render into a malloc'd string (trailing newline removed). */
char *vg_templates_render(const vg_templates_t *t, vg_tpl_id_t id,
                          const vg_tpl_var_t *vars, size_t nvars);

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
