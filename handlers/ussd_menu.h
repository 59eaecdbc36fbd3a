/*
 * ussd_menu.h — the USSD menus as data (handlers/ussd_menu.def) and the
 * pure steps of a dialogue: what an answer does to a session, and a screen
 * cut into pages that each fit one USSD message.  No I/O: handlers/ussd.c
 * reads and writes the session in Redis and runs the actions.
 */
#ifndef VG_HANDLERS_USSD_MENU_H
#define VG_HANDLERS_USSD_MENU_H

#include "gateway/msisdn.h"
#include "handlers/grammar.h"
#include "handlers/promoters.h"
#include "handlers/templates.h"

#include <stddef.h>

/* Screens, then actions: the targets of a pick. */
typedef enum {
  VG_USSD_NONE = 0,
#define SCREEN(id, kind, tpl, view, next) VG_USSD_##id,
#define OPTION(screen, word, target, when)
#include "handlers/ussd_menu.def"
  VG_USSD_NSCREENS,
  /* the SMS command each runs (handlers/ussd.c) */
  VG_USSD_A_RECOMMEND, /* TJ <to> <svc> */
  VG_USSD_A_KNOWLEDGE, /* ZS <to> <svc> */
  VG_USSD_A_CONFIRM,   /* the offer's code */
  VG_USSD_A_DECLINE,   /* N, for that offer */
  VG_USSD_A_CANCEL,    /* QX <svc> */
  VG_USSD_A_OPTOUT,    /* TD */
  VG_USSD_A_OPTIN,     /* DY */
  VG_USSD_A_REGISTER   /* ZC <name> <outlet> */
} vg_ussd_target_t;

typedef enum {
  VG_USSD_OPTIONS,
  VG_USSD_LIST,
  VG_USSD_MSISDN,
  VG_USSD_MONTH,
  VG_USSD_TEXT,
  VG_USSD_END
} vg_ussd_kind_t;

typedef enum {
  VG_USSD_V_NONE,
  VG_USSD_V_SERVICES, /* the enabled services: code, name */
  VG_USSD_V_SERVICE,  /* the session's service */
  VG_USSD_V_OFFERS,   /* the subscriber's pending offers: code, name */
  VG_USSD_V_OFFER,    /* the session's offer */
  VG_USSD_V_ACTIVE,   /* services active through vasgw: code, name */
  VG_USSD_V_MONTHS,   /* the promoter's counters: this month and last, or
                         the month asked for (P_MONTH) */
  VG_USSD_V_DEVS      /* the promoter's latest five developments */
} vg_ussd_view_t;

/* Who dialled: what decides the options shown. */
typedef struct {
  int optout;       /* opted out of marketing SMS */
  int registered;   /* has a promoter record (any state) */
  int can_register; /* number in [promoters] number_segments */
  const char *self; /* the number dialling (normalised), or NULL */
} vg_ussd_who_t;

vg_ussd_kind_t vg_ussd_kind(int screen);
vg_tpl_id_t vg_ussd_template(int screen);
vg_ussd_view_t vg_ussd_view(int screen);
int vg_ussd_next(int screen);
/* "P_HOME" ..., NULL for no screen; and back (VG_USSD_NONE if unknown). */
const char *vg_ussd_name(int screen);
int vg_ussd_by_name(const char *name);

#define VG_USSD_MAX_OPTIONS 8
/* The options of `screen` that `who` sees, in order: their targets and
 * word keys (ussd/words).  Returns how many. */
size_t vg_ussd_options(int screen, const vg_ussd_who_t *who, int *targets,
                       const char **words);

/* A dialogue's state, as kept in Redis (handlers/lua/ussd.lua). */
#define VG_USSD_ITEMS_MAX 512
#define VG_USSD_BACK_MAX 160
typedef struct {
  int screen;
  /* Where the page shown starts, and where "#" goes: byte offsets into the
   * screen's text (its head and lines, a newline after each); next -1
   * when the page shown is the last. */
  int at, next;
  char back[VG_USSD_BACK_MAX]; /* "SCREEN.at/..." the way back, last last */
  char to[VG_MSISDN_MAX];      /* the number entered */
  char svc[16];                /* the service (or offer code) picked */
  char month[8];               /* YYYYMM asked for */
  /* as ZC takes them: an argument of the SMS grammar at most (a longer
   * answer is refused with the hint, never cut) */
  char name[VG_CMD_ARG_MAX];
  char outlet[VG_CMD_ARG_MAX];
  char items[VG_USSD_ITEMS_MAX]; /* keys of the list shown, "a,b,c" */
} vg_ussd_state_t;

/* The hint for an answer `screen` does not take (an input's own rule, or
 * "choose again"): the line a re-prompt shows. */
vg_tpl_id_t vg_ussd_hint(int screen);

/* A fresh dialogue on `home`. */
void vg_ussd_start(vg_ussd_state_t *s, int home);

/* What an answer did. */
typedef struct {
  int target;       /* the screen now shown, or an action to run */
  vg_tpl_id_t hint; /* VG_TPL_COUNT, or the line to show above the screen
                       (the answer was not one of its choices) */
} vg_ussd_step_t;

/*
 * Apply the subscriber's answer `input` (trimmed) to `s`: "#" the next
 * page, "0" back, "00" home (`home`), else what the screen takes.  A
 * screen shown changes `s`; an action leaves it (the caller runs it with
 * s->to, s->svc ...); an answer that is not a choice leaves `s` and names
 * the hint.  `cc` is [gateway] country_code.
 */
void vg_ussd_step(vg_ussd_state_t *s, const char *input,
                  const vg_ussd_who_t *who, int home, const char *cc,
                  vg_ussd_step_t *out);

/*
 * The page of a screen that starts `at` bytes into its text (`head`, then
 * `lines`, a newline after each): `hint` (or NULL) first, then what fits
 * of the text from there (a line is moved whole to the next page unless
 * it would not fit a page of its own: then it is cut at characters and
 * goes on), then `more` when text is left, then `back` (NULL: none, the
 * home screen).  It fits one USSD message (gateway/ussd.h).  *next is
 * where the following page starts, -1 when none does.  An `at` beyond the
 * text starts at its beginning.  Returns the page, malloc'd.
 *
 * Pages go by position, not by number: a hint shown on a page may leave
 * less room for the text, and "#" then goes on from the last line shown,
 * so that nothing is skipped.  The hint is left out when it would cut a
 * line the page shows whole without it, or make the last page need
 * another.
 */
char *vg_ussd_page(const char *hint, const char *head,
                   const char *const *lines, size_t nlines, const char *more,
                   const char *back, int at, int *next);

#endif
