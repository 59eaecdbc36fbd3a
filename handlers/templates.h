/*
 * templates.h — every word a person reads, from templates/<locale>/<id>.txt.
 *
 * The table of template ids and the placeholders each may use is written
 * once (templates.c).  All templates are loaded and checked at start-up: a
 * missing file or an unknown {{placeholder}} stops the daemon with the file
 * and line.  Rendering replaces {{name}} with its value.
 */
#ifndef VG_TEMPLATES_H
#define VG_TEMPLATES_H

#include <stddef.h>

typedef enum {
  VG_TPL_HELP = 0, /* answer to help and to text that matches nothing */
  VG_TPL_USSD_MENU, /* first screen of the promoter USSD menu */
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

#endif
