/*
 * ussd_menu.c — see ussd_menu.h: the menu table, an answer's step, and
 * pages that fit a USSD message.
 */
#include "handlers/ussd_menu.h"
#include "gateway/ussd.h"
#include "gateway/vg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *name;
  vg_ussd_kind_t kind;
  vg_tpl_id_t tpl;
  vg_ussd_view_t view;
  int next;
} screen_t;

static const screen_t screens[VG_USSD_NSCREENS] = {
#define SCREEN(id, kind, tpl, view, next)                                     \
  [VG_USSD_##id] = {#id, VG_USSD_##kind, VG_TPL_##tpl, VG_USSD_V_##view,      \
                    VG_USSD_##next},
#define OPTION(screen, word, target, when)
#include "handlers/ussd_menu.def"
};

/* Who sees an option. */
enum { ALWAYS, OPTED_IN, OPTED_OUT, CAN_REGISTER, REGISTERED };

typedef struct {
  int screen;
  const char *word;
  int target;
  int when;
} option_t;

static const option_t options[] = {
#define SCREEN(id, kind, tpl, view, next)
#define OPTION(screen, word, target, when)                                    \
  {VG_USSD_##screen, word, VG_USSD_##target, when},
#include "handlers/ussd_menu.def"
};

static int known(int s) { return s > VG_USSD_NONE && s < VG_USSD_NSCREENS; }

vg_ussd_kind_t vg_ussd_kind(int s) {
  return known(s) ? screens[s].kind : VG_USSD_END;
}
vg_tpl_id_t vg_ussd_template(int s) {
  return known(s) ? screens[s].tpl : VG_TPL_COUNT;
}
vg_ussd_view_t vg_ussd_view(int s) {
  return known(s) ? screens[s].view : VG_USSD_V_NONE;
}
int vg_ussd_next(int s) { return known(s) ? screens[s].next : VG_USSD_NONE; }
const char *vg_ussd_name(int s) { return known(s) ? screens[s].name : NULL; }

int vg_ussd_by_name(const char *name) {
  for (int s = VG_USSD_NONE + 1; s < VG_USSD_NSCREENS; s++)
    if (strcmp(screens[s].name, name) == 0)
      return s;
  return VG_USSD_NONE;
}

static int visible(int when, const vg_ussd_who_t *w) {
  switch (when) {
  case OPTED_IN:
    return !w->optout;
  case OPTED_OUT:
    return w->optout;
  case CAN_REGISTER:
    return w->can_register && !w->registered;
  case REGISTERED:
    return w->registered;
  default:
    return 1;
  }
}

size_t vg_ussd_options(int screen, const vg_ussd_who_t *who, int *targets,
                       const char **words) {
  size_t n = 0;
  for (size_t i = 0; i < VG_ARRAY_SIZE(options) && n < VG_USSD_MAX_OPTIONS;
       i++) {
    if (options[i].screen != screen || !visible(options[i].when, who))
      continue;
    targets[n] = options[i].target;
    words[n] = options[i].word;
    n++;
  }
  return n;
}

void vg_ussd_start(vg_ussd_state_t *s, int home) {
  memset(s, 0, sizeof *s);
  s->screen = home;
  s->next = -1;
}

/* "12" -> 12; -1 unless 1 to 3 digits. */
static int number(const char *in) {
  size_t n = strlen(in);
  if (n == 0 || n > 3 || strspn(in, "0123456789") != n)
    return -1;
  return atoi(in);
}

/* The k-th (1-based) key of "a,b,c" into out; 0 when there is none. */
static int item(const char *items, int k, char *out, size_t outsz) {
  const char *p = items;
  for (int i = 1; *p; i++) {
    size_t len = strcspn(p, ",");
    if (i == k) {
      if (len == 0 || len >= outsz)
        return 0;
      memcpy(out, p, len);
      out[len] = '\0';
      return 1;
    }
    p += len;
    if (*p == ',')
      p++;
  }
  return 0;
}

/* Remember the screen shown on the way back (the oldest step is forgotten
 * when the way is longer than the field). */
static void push(vg_ussd_state_t *s) {
  char step[40];
  snprintf(step, sizeof step, "%s.%d", vg_ussd_name(s->screen), s->at);
  while (strlen(s->back) + strlen(step) + 2 > sizeof s->back) {
    char *slash = strchr(s->back, '/');
    if (slash == NULL)
      s->back[0] = '\0';
    else
      memmove(s->back, slash + 1, strlen(slash + 1) + 1);
  }
  if (s->back[0])
    strcat(s->back, "/");
  strcat(s->back, step);
}

static int pop(vg_ussd_state_t *s) {
  if (s->back[0] == '\0')
    return 0;
  char *last = strrchr(s->back, '/');
  char *step = last ? last + 1 : s->back;
  char name[40];
  int at = 0;
  char *dot = strrchr(step, '.');
  snprintf(name, sizeof name, "%.*s", dot ? (int)(dot - step) : (int)strlen(step),
           step);
  if (dot)
    at = atoi(dot + 1);
  int screen = vg_ussd_by_name(name);
  if (last)
    *last = '\0';
  else
    s->back[0] = '\0';
  if (screen == VG_USSD_NONE)
    return 0;
  s->screen = screen;
  s->at = at;
  s->next = -1; /* known again once it is shown */
  return 1;
}

/* The hint for an answer a screen does not take: its input's own rule, or
 * "choose again". */
static vg_tpl_id_t hint_of(int screen) {
  switch (vg_ussd_kind(screen)) {
  case VG_USSD_MSISDN:
    return VG_TPL_USSD_BAD_MSISDN;
  case VG_USSD_MONTH:
    return VG_TPL_USSD_BAD_MONTH;
  case VG_USSD_TEXT:
    return screen == VG_USSD_S_REG_NAME ? VG_TPL_USSD_BAD_NAME
                                        : VG_TPL_USSD_BAD_OUTLET;
  default:
    return VG_TPL_USSD_INVALID;
  }
}

vg_tpl_id_t vg_ussd_hint(int screen) { return hint_of(screen); }

static void go(vg_ussd_state_t *s, int target, vg_ussd_step_t *out) {
  out->target = target;
  if (target >= VG_USSD_NSCREENS)
    return; /* an action: the state is its arguments */
  push(s);
  s->screen = target;
  s->at = 0;
  s->next = -1;
  s->items[0] = '\0';
}

void vg_ussd_step(vg_ussd_state_t *s, const char *input,
                  const vg_ussd_who_t *who, int home, const char *cc,
                  vg_ussd_step_t *out) {
  out->target = s->screen;
  out->hint = VG_TPL_COUNT;
  if (strcmp(input, "#") == 0) {
    if (s->next > s->at)
      s->at = s->next;
    else
      out->hint = hint_of(s->screen);
    return;
  }
  if (strcmp(input, "00") == 0) {
    vg_ussd_start(s, home);
    out->target = home;
    return;
  }
  if (strcmp(input, "0") == 0 && vg_ussd_kind(s->screen) != VG_USSD_MSISDN) {
    if (!pop(s)) {
      if (s->screen == home) {
        out->hint = VG_TPL_USSD_INVALID;
        return;
      }
      vg_ussd_start(s, home);
    }
    out->target = s->screen;
    return;
  }
  int k = number(input);
  switch (vg_ussd_kind(s->screen)) {
  case VG_USSD_OPTIONS: {
    int targets[VG_USSD_MAX_OPTIONS];
    const char *words[VG_USSD_MAX_OPTIONS];
    size_t n = vg_ussd_options(s->screen, who, targets, words);
    if (k >= 1 && (size_t)k <= n) {
      go(s, targets[k - 1], out);
      return;
    }
    break;
  }
  case VG_USSD_LIST: {
    char key[sizeof s->svc];
    int next = vg_ussd_next(s->screen);
    if (next != VG_USSD_NONE && k >= 1 && item(s->items, k, key, sizeof key)) {
      snprintf(s->svc, sizeof s->svc, "%s", key);
      go(s, next, out);
      return;
    }
    break;
  }
  case VG_USSD_MSISDN: {
    char m[VG_MSISDN_MAX];
    if (strcmp(input, "0") == 0) { /* no number starts with 0 here: back */
      if (!pop(s))
        vg_ussd_start(s, home);
      out->target = s->screen;
      return;
    }
    if (vg_msisdn_normalize(input, cc, m, NULL) == 0 && who->self &&
        strcmp(m, who->self) == 0) {
      out->hint = VG_TPL_USSD_BAD_SELF; /* as TJ and ZS refuse it */
      return;
    }
    if (vg_msisdn_normalize(input, cc, m, NULL) == 0) {
      memcpy(s->to, m, sizeof s->to);
      go(s, vg_ussd_next(s->screen), out);
      return;
    }
    out->hint = VG_TPL_USSD_BAD_MSISDN;
    return;
  }
  case VG_USSD_MONTH: {
    /* YYYYMM, as CX takes it: 200001 .. 209912 */
    int y = atoi(input) / 100, mo = atoi(input) % 100;
    if (strlen(input) == 6 && strspn(input, "0123456789") == 6 && y >= 2000 &&
        y <= 2099 && mo >= 1 && mo <= 12) {
      snprintf(s->month, sizeof s->month, "%s", input);
      go(s, vg_ussd_next(s->screen), out);
      return;
    }
    out->hint = VG_TPL_USSD_BAD_MONTH;
    return;
  }
  case VG_USSD_TEXT: {
    char why[128];
    if (s->screen == VG_USSD_S_REG_NAME) {
      if (vg_promoter_check_name(input, why, sizeof why) == 0 &&
          strlen(input) < sizeof s->name) {
        snprintf(s->name, sizeof s->name, "%s", input);
        go(s, vg_ussd_next(s->screen), out);
        return;
      }
      out->hint = VG_TPL_USSD_BAD_NAME;
      return;
    }
    if (*input && vg_promoter_check_outlet(input, why, sizeof why) == 0 &&
        strlen(input) < sizeof s->outlet) {
      snprintf(s->outlet, sizeof s->outlet, "%s", input);
      go(s, vg_ussd_next(s->screen), out);
      return;
    }
    out->hint = VG_TPL_USSD_BAD_OUTLET;
    return;
  }
  default:
    break;
  }
  out->hint = VG_TPL_USSD_INVALID;
}

/* --- pages ------------------------------------------------------------------ */

static int fits(const char *t) {
  size_t n;
  return vg_ussd_fits(t, &n);
}

/* a + "\n" + b (either may be NULL or empty), malloc'd. */
static char *join(const char *a, const char *b) {
  a = a ? a : "";
  b = b ? b : "";
  char *out = vg_malloc(strlen(a) + strlen(b) + 2);
  sprintf(out, "%s%s%s", a, *a && *b ? "\n" : "", b);
  return out;
}

static char *footer(const char *more, const char *back, int last) {
  return last ? join(NULL, back) : join(more, back);
}

/* Does `page` + `line` + the footer fit? */
static int fits_with(const char *page, const char *line, const char *foot) {
  char *a = join(page, line), *b = join(a, foot);
  int ok = fits(b);
  free(a);
  free(b);
  return ok;
}

/* The longest prefix of `line` (bytes, on a character boundary, at least
 * one character) that fits after `page` with `foot`. */
static size_t cut(const char *page, const char *line, const char *foot) {
  size_t len = strlen(line), best = 0;
  char *buf = vg_malloc(len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (i < len && ((unsigned char)line[i] & 0xC0) == 0x80)
      continue; /* inside a character */
    memcpy(buf, line, i);
    buf[i] = '\0';
    if (!fits_with(page, buf, foot))
      break;
    best = i;
  }
  free(buf);
  if (best == 0) { /* not even one character: take one anyway */
    best = 1;
    while (best < len && ((unsigned char)line[best] & 0xC0) == 0x80)
      best++;
  }
  return best;
}

/* One page from `at` (see vg_ussd_page), *cut set when it ended inside a
 * line. */
static char *layout(const char *hint, const char *head,
                    const char *const *lines, size_t nlines, const char *more,
                    const char *back, int at, int *next, int *cut_line) {
  /* the text: head, then the lines, a newline after each */
  size_t n = nlines + 1;
  const char **all = vg_malloc(n * sizeof *all);
  all[0] = head ? head : "";
  for (size_t i = 0; i < nlines; i++)
    all[i + 1] = lines[i];
  size_t i = 0, off = 0, pos = 0;
  for (; i < n; i++) { /* the line `at` falls in */
    size_t len = strlen(all[i]);
    if ((size_t)at < pos + len + 1) {
      off = (size_t)at - pos;
      break;
    }
    pos += len + 1;
  }
  if (at < 0 || i >= n || off > strlen(all[i])) { /* beyond: the start */
    i = 0;
    off = 0;
    pos = 0;
  }
  char *text = vg_strdup(hint ? hint : "");
  int added = 0;
  while (i < n) {
    const char *line = all[i] + off;
    if (*line == '\0') { /* an empty head, or a line ended by a cut */
      pos += strlen(all[i]) + 1;
      i++;
      off = 0;
      continue;
    }
    int last = i == n - 1;
    char *foot = footer(more, back, last);
    int fit = fits_with(text, line, foot);
    free(foot);
    if (fit) {
      char *t = join(text, line);
      free(text);
      text = t;
      pos += strlen(all[i]) + 1;
      i++;
      off = 0;
      added++;
      continue;
    }
    /* A line that would not fit a page of its own is cut to fill this
     * one; any other waits for the next page. */
    char *mfoot = footer(more, back, 0);
    int alone = fits_with("", line, mfoot);
    if (!alone || added == 0) {
      size_t k = cut(text, line, mfoot);
      char *piece = vg_malloc(k + 1);
      memcpy(piece, line, k);
      piece[k] = '\0';
      char *t = join(text, piece);
      free(piece);
      free(text);
      text = t;
      off += k;
      *cut_line = line[k] != '\0';
    }
    free(mfoot);
    break;
  }
  int done = i >= n;
  *next = done ? -1 : (int)(pos + off);
  char *foot = footer(more, back, done);
  char *page = join(text, foot);
  free(foot);
  free(text);
  free(all);
  return page;
}

char *vg_ussd_page(const char *hint, const char *head,
                   const char *const *lines, size_t nlines, const char *more,
                   const char *back, int at, int *next) {
  int cut_h = 0, cut_n = 0, next_n;
  char *page = layout(hint, head, lines, nlines, more, back, at, next, &cut_h);
  if (hint == NULL)
    return page;
  /* The hint is worth less than the page's shape: when it would cut a line
   * the page shows whole without it, or push the last page's end to
   * another page, the page is shown without it (the screen shown again
   * says the answer was not taken). */
  char *plain =
      layout(NULL, head, lines, nlines, more, back, at, &next_n, &cut_n);
  if ((cut_h && !cut_n) || (next_n < 0 && *next >= 0)) {
    free(page);
    *next = next_n;
    return plain;
  }
  free(plain);
  return page;
}
