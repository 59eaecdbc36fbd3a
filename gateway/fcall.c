/*
 * fcall.c — see fcall.h.
 */
#include "gateway/fcall.h"
#include "gateway/vg.h"

#include <stdio.h>
#include <string.h>

#define CHUNK 4096

struct vg_fcall_chunk_s {
  vg_fcall_chunk_t *next;
  size_t used;
  char buf[CHUNK];
};

static void push(vg_fcall_t *c, const char *p, size_t len) {
  if (c->argc == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 32;
    c->argv = vg_realloc(c->argv, (size_t)c->cap * sizeof *c->argv);
    c->argvlen = vg_realloc(c->argvlen, (size_t)c->cap * sizeof *c->argvlen);
  }
  c->argv[c->argc] = p;
  c->argvlen[c->argc] = len;
  c->argc++;
}

void vg_fcall_begin(vg_fcall_t *c, const char *fn) {
  c->argc = 0;
  for (vg_fcall_chunk_t *k = c->chunks; k; k = k->next)
    k->used = 0;
  push(c, "FCALL", 5);
  push(c, fn, strlen(fn));
  push(c, "0", 1); /* numkeys: every function builds its keys itself */
}

void vg_fcall_str(vg_fcall_t *c, const char *s) {
  if (s == NULL)
    s = "";
  push(c, s, strlen(s));
}

void vg_fcall_bytes(vg_fcall_t *c, vg_bytes_t b) {
  push(c, b.p ? b.p : "", b.p ? b.len : 0);
}

/* Room for one number, in the first chunk that has it (chunks never move,
 * so pointers already handed out stay valid). */
static char *room(vg_fcall_t *c, size_t n) {
  vg_fcall_chunk_t **k = &c->chunks;
  for (; *k; k = &(*k)->next)
    if (CHUNK - (*k)->used >= n)
      break;
  if (*k == NULL) {
    *k = vg_malloc(sizeof **k);
    (*k)->next = NULL;
    (*k)->used = 0;
  }
  char *p = (*k)->buf + (*k)->used;
  (*k)->used += n;
  return p;
}

void vg_fcall_int(vg_fcall_t *c, long long v) {
  char *p = room(c, 24);
  int n = snprintf(p, 24, "%lld", v);
  push(c, p, (size_t)n);
}

void vg_fcall_bool(vg_fcall_t *c, int v) { push(c, v ? "1" : "0", 1); }

const char *vg_fcall_name(const vg_fcall_t *c) {
  return c->argc >= 2 ? c->argv[1] : "";
}

int vg_fcall_nargs(const vg_fcall_t *c) {
  return c->argc > 3 ? c->argc - 3 : 0;
}

void vg_fcall_free(vg_fcall_t *c) {
  while (c->chunks) {
    vg_fcall_chunk_t *n = c->chunks->next;
    free(c->chunks);
    c->chunks = n;
  }
  free(c->argv);
  free(c->argvlen);
  memset(c, 0, sizeof *c);
}
