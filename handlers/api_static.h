/*
 * api_static.h — the dashboard's files (dashboard/ in the source tree,
 * installed under $(pkgdatadir)/dashboard), read into memory when the API
 * starts and served from there on the loop: no disk read while serving,
 * no file outside that directory, nothing from a CDN.
 */
#ifndef VG_HANDLERS_API_STATIC_H
#define VG_HANDLERS_API_STATIC_H

#include "gateway/httpd.h"

typedef struct vg_api_static_s vg_api_static_t;

/* Every regular file directly in `dir` (a missing directory gives none,
 * with a warning: the API still runs). */
vg_api_static_t *vg_api_static_load(const char *dir);
void vg_api_static_free(vg_api_static_t *s);

/* Answer a GET of one of the files ("/" is index.html): 1, or 0 when the
 * path names none of them. */
int vg_api_static_serve(const vg_api_static_t *s, vg_httpd_req_t *req);

#endif
