/*
 * api_static.c — see api_static.h.
 */
#include "autoconfig.h"
#include "handlers/api_static.h"
#include "gateway/log.h"
#include "gateway/vg.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* A file larger than this is not served (the dashboard's are small). */
#define STATIC_FILE_MAX (4u << 20)

typedef struct {
  char *name; /* "app.js" */
  char *body;
  size_t len;
  const char *type;
} file_t;

struct vg_api_static_s {
  file_t *f;
  size_t n;
};

static const char *type_of(const char *name) {
  static const struct {
    const char *ext, *type;
  } types[] = {{".html", "text/html; charset=utf-8"},
               {".js", "text/javascript; charset=utf-8"},
               {".css", "text/css; charset=utf-8"},
               {".svg", "image/svg+xml"},
               {".png", "image/png"},
               {".json", "application/json"},
               {".ico", "image/x-icon"}};
  const char *dot = strrchr(name, '.');
  for (size_t i = 0; dot && i < VG_ARRAY_SIZE(types); i++)
    if (strcmp(dot, types[i].ext) == 0)
      return types[i].type;
  return "application/octet-stream";
}

vg_api_static_t *vg_api_static_load(const char *dir) {
  vg_api_static_t *s = vg_calloc(1, sizeof *s);
  DIR *d = opendir(dir);
  if (d == NULL) {
    vg_log_warn("http: the dashboard's files are not in %s (%s): / will "
                "answer 404 ([http] dashboard)",
                dir, strerror(errno));
    return s;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
        (size_t)st.st_size > STATIC_FILE_MAX)
      continue;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
      continue;
    char *body = vg_malloc((size_t)st.st_size + 1);
    size_t len = fread(body, 1, (size_t)st.st_size, f);
    fclose(f);
    s->f = vg_realloc(s->f, (s->n + 1) * sizeof *s->f);
    s->f[s->n++] = (file_t){vg_strdup(e->d_name), body, len,
                            type_of(e->d_name)};
  }
  closedir(d);
  return s;
}

void vg_api_static_free(vg_api_static_t *s) {
  if (s == NULL)
    return;
  for (size_t i = 0; i < s->n; i++) {
    vg_free(s->f[i].name);
    vg_free(s->f[i].body);
  }
  vg_free(s->f);
  vg_free(s);
}

int vg_api_static_serve(const vg_api_static_t *s, vg_httpd_req_t *req) {
  const char *path = vg_httpd_path(req);
  if (path[0] != '/')
    return 0;
  const char *name = strcmp(path, "/") == 0 ? "index.html" : path + 1;
  for (size_t i = 0; i < s->n; i++) {
    if (strcmp(s->f[i].name, name) != 0)
      continue;
    char *copy = vg_malloc(s->f[i].len + 1);
    memcpy(copy, s->f[i].body, s->f[i].len);
    vg_httpd_add_header(req, "Cache-Control", "no-cache");
    vg_httpd_add_header(req, "X-Content-Type-Options", "nosniff");
    vg_httpd_respond(req, 200, s->f[i].type, copy, s->f[i].len);
    return 1;
  }
  return 0;
}
