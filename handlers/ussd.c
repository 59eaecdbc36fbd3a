/*
 * ussd.c — the USSD menus (docs/ussd.md): a request of a dialogue, from
 * its session in Redis to the screen that answers it.
 *
 * The profile ([ussd] profile, gateway/ussd.h) says whether a request
 * opens a dialogue, answers our last screen or ends it, and what
 * identifies its session.  A dial starts the menu afresh (one live
 * session per subscriber: the promoter menu for an approved promoter, the
 * subscriber menu for every other number); an answer moves the session as
 * handlers/ussd_menu.def says (ussd_menu.c, pure); the screen shown is
 * rendered from templates/<locale>/ussd/, cut into pages that fit a USSD
 * message, and queued with the session's new state in one script run
 * (ussd_show, handlers/lua/ussd.lua).  An action is the SMS command's own
 * handler run on the job (TJ, ZS, QX, TD, DY, ZC, a reply code, N), whose
 * answer becomes the dialogue's last screen (handlers/job.c): USSD and SMS
 * cannot disagree.
 *
 * A request is answered within its deadline or not at all: a screen is
 * not sent later than USSD_DEADLINE_MS after the request came (the
 * network has given up on the dialogue by then), and a last screen that
 * misses it goes as an SMS.  The gateway's wait guard (gateway/inbox.c)
 * sends the "please wait" screen when the answer is slow.
 */
#include "handlers/ussd.h"
#include "gateway/clock.h"
#include "gateway/log.h"
#include "gateway/msisdn.h"
#include "gateway/vg.h"
#include "handlers/lua/functions.h"
#include "handlers/normalize.h"
#include "handlers/promoter_sms.h"
#include "handlers/subscriber.h"
#include "handlers/ussd_menu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* No screen later than this after its request (ms). */
#define USSD_DEADLINE_MS 10000

#define MAX_ITEMS 40

typedef struct {
  vg_ussd_state_t s;
  vg_ussd_who_t who;
  char sid[VG_USSD_SID_MAX];
  char uid[VG_ID_MAX + 1]; /* the MO that opened the dialogue */
  char status[16], staff[16];
  int home;
  vg_tpl_id_t hint;
} menu_t;

static menu_t *menu(vg_mo_job_t *j) { return j->menu; }

static const vg_ussd_profile_t *profile(vg_mo_job_t *j) {
  return vg_ussd_profile_at((size_t)j->d->cfg->ussd_profile);
}

static const char *str(const redisReply *r, size_t i) {
  if (r == NULL || r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
      r->element[i]->type != REDIS_REPLY_STRING)
    return "";
  return r->element[i]->str;
}

static char *render(vg_mo_job_t *j, vg_tpl_id_t id, const vg_tpl_var_t *v,
                    size_t n) {
  return vg_templates_render(j->d->templates, id, v, n);
}

/* 8613800138000 -> 13800138000, as a person writes it. */
static const char *national(vg_mo_job_t *j, const char *m) {
  const char *cc = j->d->cfg->country_code;
  size_t n = strlen(cc);
  return strncmp(m, cc, n) == 0 && m[n] ? m + n : m;
}

/* What a phone sends, as the menus read it: spaces trimmed, full-width
 * forms (１, ＃) as ASCII.  Not the SMS normaliser: it takes # for a
 * separator and upper-cases a name. */
static void input_of(const char *in, char *out, size_t outsz) {
  size_t o = 0;
  const unsigned char *p = (const unsigned char *)in;
  while (*p && o + 4 < outsz) {
    /* U+FF01..U+FF5E: EF BC 81 .. EF BD 9E */
    if (p[0] == 0xEF && (p[1] == 0xBC || p[1] == 0xBD) && p[2]) {
      unsigned cp = 0xF000u | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
      if (cp >= 0xFF01 && cp <= 0xFF5E) {
        out[o++] = (char)(cp - 0xFEE0);
        p += 3;
        continue;
      }
    }
    if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) { /* U+3000 */
      out[o++] = ' ';
      p += 3;
      continue;
    }
    out[o++] = (char)*p++;
  }
  out[o] = '\0';
  char *s = out;
  while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
    s++;
  memmove(out, s, strlen(s) + 1);
  for (size_t n = strlen(out);
       n && (out[n - 1] == ' ' || out[n - 1] == '\t' || out[n - 1] == '\r' ||
             out[n - 1] == '\n');
       n--)
    out[n - 1] = '\0';
}

/* --- the screen shown ------------------------------------------------------- */

static void on_shown(vg_redis_t *r, redisReply *reply, void *data,
                     const char *err) {
  vg_mo_job_t *j = data;
  if (err) {
    vg_job_abandon(j, err);
    return;
  }
  menu_t *m = menu(j);
  vg_log_info("dispatch: MO %s: USSD %s at %d%s %s (MT re-%s)", j->id,
              vg_ussd_name(m->s.screen), m->s.at, m->s.next < 0 ? "" : " (more)",
              reply->type == REDIS_REPLY_STRING ? reply->str : "?", j->id);
  vg_job_acked(j);
}

/* Queue `text` (taken over) as the screen that waits for an answer, with
 * the session as it now is. */
static void show_text(vg_mo_job_t *j, char *text) {
  menu_t *m = menu(j);
  vg_ussd_reply_t rep;
  vg_ussd_req_t req = {j->ussd_op, j->its, j->umr};
  vg_ussd_reply(profile(j), &req, 0, &rep);
  char at[12], next[12];
  snprintf(at, sizeof at, "%d", m->s.at);
  snprintf(next, sizeof next, "%d", m->s.next);
  vg_fn_ussd_show_t a = {.prefix = j->d->cfg->prefix,
                         .now = vg_now_ms(),
                         .msisdn = j->from,
                         .mo = j->id,
                         .entry = j->entry,
                         .last = 0,
                         .close = 0,
                         .session_ttl = j->d->cfg->ussd_session_timeout,
                         .msg_ttl = (long long)j->d->cfg->msg_ttl_days * 86400,
                         .text = text,
                         .by_sms = "",
                         .op = rep.op,
                         .its = rep.its,
                         .umr = rep.umr,
                         .expire_at = j->expire_at};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_ussd_show(&call, &a);
  const char *f[][2] = {{"sid", m->sid},         {"uid", m->uid},
                        {"screen", vg_ussd_name(m->s.screen)},
                        {"at", at},              {"next", next},
                        {"back", m->s.back},     {"to", m->s.to},
                        {"svc", m->s.svc},       {"month", m->s.month},
                        {"name", m->s.name},
                        {"outlet", m->s.outlet}, {"items", m->s.items},
                        {"mo", j->id}};
  for (size_t i = 0; i < VG_ARRAY_SIZE(f); i++) {
    vg_fn_ussd_show_fields_t fl = {.name = f[i][0], .value = f[i][1]};
    vg_fn_ussd_show_fields(&call, &fl);
  }
  int rc = vg_redis_fcall(j->d->redis, &call, on_shown, j);
  vg_fcall_free(&call);
  free(text);
  if (rc != 0)
    vg_job_abandon(j, "Redis not connected");
}

/* A growing list of screen lines. */
typedef struct {
  char *line[MAX_ITEMS + VG_USSD_MAX_OPTIONS + 4];
  size_t n;
} lines_t;

static void add(lines_t *l, char *line) {
  if (l->n < VG_ARRAY_SIZE(l->line))
    l->line[l->n++] = line;
  else
    free(line);
}

static char *numbered(size_t k, const char *label) {
  char *s = vg_malloc(strlen(label) + 16);
  sprintf(s, "%zu %s", k, label);
  return s;
}

/* Render screen m->s.screen, its page at m->s.at, from `head` (taken over) and
 * `l` (taken over), add its options, and show it (last: the dialogue's
 * last screen). */
static void finish_screen(vg_mo_job_t *j, char *head, lines_t *l, int last) {
  menu_t *m = menu(j);
  int targets[VG_USSD_MAX_OPTIONS];
  const char *words[VG_USSD_MAX_OPTIONS];
  size_t n = vg_ussd_options(m->s.screen, &m->who, targets, words);
  for (size_t i = 0; i < n; i++) {
    char w[VG_TPL_WORD_MAX + 1];
    vg_templates_word(j->d->templates, VG_TPL_USSD_WORDS, words[i], w,
                      sizeof w);
    add(l, numbered(i + 1, w));
  }
  char *more = render(j, VG_TPL_USSD_MORE, NULL, 0);
  char *back = last || m->s.screen == m->home
                   ? NULL
                   : render(j, VG_TPL_USSD_BACK, NULL, 0);
  char *hint = m->hint != VG_TPL_COUNT ? render(j, m->hint, NULL, 0) : NULL;
  char *text = vg_ussd_page(hint, head, (const char *const *)l->line, l->n,
                            more, back, m->s.at, &m->s.next);
  for (size_t i = 0; i < l->n; i++)
    free(l->line[i]);
  free(head);
  free(more);
  free(back);
  free(hint);
  if (last)
    vg_job_reply_text(j, text); /* the last screen (handlers/job.c) */
  else
    show_text(j, text);
}

/* This month and the last (local), YYYYMM. */
static void months_of(int64_t now, char this[16], char last[16]) {
  char day[12];
  vg_clock_day(day, now);
  int y = atoi(day) / 10000 % 10000, mo = atoi(day) / 100 % 100;
  snprintf(this, 16, "%04d%02d", y, mo);
  snprintf(last, 16, "%04d%02d", mo == 1 ? y - 1 : y, mo == 1 ? 12 : mo - 1);
}

/* fen as yuan: 1234 -> "12.34". */
static void yuan(char out[32], const char *fen) {
  long long f = atoll(fen);
  snprintf(out, 32, "%lld.%02lld", f / 100, f % 100);
}

/* The screen from its view's data (`v`, NULL for none). */
static void render_screen(vg_mo_job_t *j, const redisReply *v) {
  menu_t *m = menu(j);
  int screen = m->s.screen;
  lines_t l = {.n = 0};
  char *head = NULL;
  const char *to = national(j, m->s.to);
  vg_tpl_id_t tpl = vg_ussd_template(screen);
  size_t nv = v && v->type == REDIS_REPLY_ARRAY ? v->elements : 0;
  switch (vg_ussd_view(screen)) {
  case VG_USSD_V_SERVICES:
  case VG_USSD_V_OFFERS:
  case VG_USSD_V_ACTIVE: {
    /* a list to pick from: its keys kept for the answer */
    m->s.items[0] = '\0';
    size_t used = 0, k = 0;
    for (size_t i = 0; i + 1 < nv && k < MAX_ITEMS; i += 2) {
      const char *key = str(v, i);
      if (used + strlen(key) + 2 > sizeof m->s.items)
        break; /* the rest cannot be picked: not shown */
      used += (size_t)sprintf(m->s.items + used, "%s%s", k ? "," : "", key);
      add(&l, numbered(++k, str(v, i + 1)));
    }
    if (k == 0) {
      vg_ussd_view_t w = vg_ussd_view(screen);
      tpl = w == VG_USSD_V_SERVICES ? VG_TPL_USSD_NO_SERVICES
            : w == VG_USSD_V_OFFERS ? VG_TPL_USSD_NO_OFFERS
                                    : VG_TPL_USSD_NO_ACTIVE;
    }
    vg_tpl_var_t vars[] = {{"msisdn", to}};
    head = render(j, tpl, vars, 1);
    break;
  }
  case VG_USSD_V_SERVICE: {
    vg_tpl_var_t vars[] = {{"msisdn", to},
                           {"service_name", *str(v, 0) ? str(v, 0) : m->s.svc},
                           {"service_code", m->s.svc},
                           {"price", str(v, 1)},
                           {"knowledge", str(v, 2)}};
    head = render(j, tpl, vars, VG_ARRAY_SIZE(vars));
    break;
  }
  case VG_USSD_V_OFFER: {
    if (nv < 3) { /* no longer open: the list again */
      head = render(j, VG_TPL_USSD_NO_OFFERS, NULL, 0);
      finish_screen(j, head, &l, 0);
      return;
    }
    vg_tpl_var_t vars[] = {{"service_name", str(v, 1)},
                           {"service_code", str(v, 0)},
                           {"price", str(v, 2)}};
    head = render(j, tpl, vars, VG_ARRAY_SIZE(vars));
    break;
  }
  case VG_USSD_V_MONTHS: {
    char months[2][16];
    int n = 2;
    months_of(j->now, months[0], months[1]);
    if (screen == VG_USSD_P_MONTH) { /* the month asked for */
      snprintf(months[0], sizeof months[0], "%s", m->s.month);
      n = 1;
    }
    for (int k = 0; k < n; k++) {
      char pend[32], sett[32];
      yuan(pend, str(v, (size_t)k * 7 + 5));
      yuan(sett, str(v, (size_t)k * 7 + 6));
      vg_tpl_var_t vars[] = {{"month", months[k]},
                             {"recommended", str(v, (size_t)k * 7)},
                             {"confirmed", str(v, (size_t)k * 7 + 1)},
                             {"activated", str(v, (size_t)k * 7 + 2)},
                             {"valid", str(v, (size_t)k * 7 + 3)},
                             {"invalid", str(v, (size_t)k * 7 + 4)},
                             {"pending", pend},
                             {"settled", sett}};
      add(&l, render(j, VG_TPL_USSD_COMMISSION_MONTH, vars,
                     VG_ARRAY_SIZE(vars)));
    }
    vg_tpl_var_t vars[] = {{"staff_no", m->staff}};
    head = render(j, tpl, vars, 1);
    break;
  }
  case VG_USSD_V_DEVS: {
    for (size_t i = 0; i + 5 < nv; i += 6) {
      const char *d = str(v, i), *st = str(v, i + 4);
      char date[8], masked[VG_MSISDN_MAX + 8], word[VG_TPL_WORD_MAX + 1];
      snprintf(date, sizeof date, "%.2s-%.2s", strlen(d) == 8 ? d + 4 : "",
               strlen(d) == 8 ? d + 6 : "");
      vg_msisdn_mask(str(v, i + 1), j->d->cfg->country_code, masked,
                     sizeof masked);
      vg_templates_word(j->d->templates, VG_TPL_WORDS_DEV,
                        strcmp(st, "invalid") == 0 ? str(v, i + 5) : st, word,
                        sizeof word);
      vg_tpl_var_t vars[] = {{"date", date},
                             {"msisdn", masked},
                             {"service_code", str(v, i + 2)},
                             {"service_name", str(v, i + 3)},
                             {"state", word}};
      add(&l, render(j, VG_TPL_CX_DETAIL_ITEM, vars, VG_ARRAY_SIZE(vars)));
    }
    head = render(j, l.n ? tpl : VG_TPL_USSD_NO_DEVELOPMENTS, NULL, 0);
    break;
  }
  default: {
    char word[VG_TPL_WORD_MAX + 1];
    vg_templates_word(j->d->templates, VG_TPL_WORDS_STATUS, m->status, word,
                      sizeof word);
    vg_tpl_var_t vars[] = {{"staff_no", m->staff}, {"status", word}};
    head = render(j, tpl, vars, VG_ARRAY_SIZE(vars));
    break;
  }
  }
  finish_screen(j, head, &l, vg_ussd_kind(screen) == VG_USSD_END);
}

static void on_view(vg_redis_t *r, redisReply *reply, void *data,
                    const char *err) {
  vg_mo_job_t *j = data;
  if (err) {
    vg_job_abandon(j, err);
    return;
  }
  render_screen(j, reply);
}

/* Show the session's screen, reading its view first. */
static void show(vg_mo_job_t *j) {
  menu_t *m = menu(j);
  static const char *const whats[] = {
      [VG_USSD_V_SERVICES] = "services", [VG_USSD_V_SERVICE] = "service",
      [VG_USSD_V_OFFERS] = "offers",     [VG_USSD_V_OFFER] = "offer",
      [VG_USSD_V_ACTIVE] = "active",     [VG_USSD_V_MONTHS] = "months",
      [VG_USSD_V_DEVS] = "devs"};
  vg_ussd_view_t v = vg_ussd_view(m->s.screen);
  if (v == VG_USSD_V_NONE) {
    render_screen(j, NULL);
    return;
  }
  char this[16] = "", last[16] = "";
  if (v == VG_USSD_V_MONTHS && m->s.screen == VG_USSD_P_MONTH)
    snprintf(this, sizeof this, "%s", m->s.month);
  else if (v == VG_USSD_V_MONTHS)
    months_of(j->now, this, last);
  vg_fn_ussd_view_t a = {.prefix = j->d->cfg->prefix,
                         .msisdn = j->from,
                         .now = j->now,
                         .what = whats[v],
                         .arg = v == VG_USSD_V_MONTHS ? this : m->s.svc,
                         .arg2 = last};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_ussd_view(&call, &a);
  int rc = vg_redis_fcall(j->d->redis, &call, on_view, j);
  vg_fcall_free(&call);
  if (rc != 0)
    vg_job_abandon(j, "Redis not connected");
}

/* The dialogue's last screen with template `tpl` (no options). */
static void last_screen(vg_mo_job_t *j, vg_tpl_id_t tpl) {
  vg_tpl_var_t vars[] = {{"ussd_code", j->d->cfg->ussd_service_code}};
  vg_job_reply_text(j, render(j, tpl, vars, 1));
}

/* --- actions: the SMS commands' own handlers -------------------------------- */

/* Run `text` as if it had come by SMS: parsed by the same grammar and
 * handled by the same conversation (handlers/dispatch.c's routing). */
static void run_command(vg_mo_job_t *j, const char *text) {
  char norm[512];
  if (vg_text_normalize(text, strlen(text), norm, sizeof norm) != 0)
    norm[0] = '\0';
  vg_command_parse(norm, &j->cmd);
  vg_log_info("dispatch: MO %s: USSD action %s", j->id,
              vg_command_name(j->cmd.cmd));
  if (vg_command_family(&j->cmd) == VG_CMD_FAMILY_PROMOTER)
    vg_promoter_handle(j);
  else
    vg_subscriber_handle(j);
}

static void run_action(vg_mo_job_t *j, int action) {
  menu_t *m = menu(j);
  char text[256];
  switch (action) {
  case VG_USSD_A_RECOMMEND:
    snprintf(text, sizeof text, "TJ %s %s", m->s.to, m->s.svc);
    break;
  case VG_USSD_A_KNOWLEDGE:
    snprintf(text, sizeof text, "ZS %s %s", m->s.to, m->s.svc);
    break;
  case VG_USSD_A_CONFIRM: /* the offer's reply code, as its SMS says */
    snprintf(text, sizeof text, "%s", m->s.svc);
    break;
  case VG_USSD_A_DECLINE:
    /* N, for this offer only (the SMS has no code to name one) */
    vg_log_info("dispatch: MO %s: USSD action decline %s", j->id, m->s.svc);
    vg_job_answer(j, "decline", m->s.svc, "", 0);
    return;
  case VG_USSD_A_CANCEL:
    snprintf(text, sizeof text, "QX %s", m->s.svc);
    break;
  case VG_USSD_A_OPTOUT:
    snprintf(text, sizeof text, "TD");
    break;
  case VG_USSD_A_OPTIN:
    snprintf(text, sizeof text, "DY");
    break;
  default: /* VG_USSD_A_REGISTER: ZC <name> <outlet>, as the menu took them
              (a name may hold what the grammar would split at) */
    memset(&j->cmd, 0, sizeof j->cmd);
    j->cmd.cmd = VG_CMD_REGISTER;
    j->cmd.argc = 2;
    snprintf(j->cmd.argv[0], sizeof j->cmd.argv[0], "%s", m->s.name);
    snprintf(j->cmd.argv[1], sizeof j->cmd.argv[1], "%s", m->s.outlet);
    vg_log_info("dispatch: MO %s: USSD action %s", j->id,
                vg_command_name(j->cmd.cmd));
    vg_promoter_handle(j);
    return;
  }
  run_command(j, text);
}

/* --- the request ------------------------------------------------------------ */

static void load_state(menu_t *m, const redisReply *h) {
  const char *v;
  if ((v = vg_reply_field(h, "screen")))
    m->s.screen = vg_ussd_by_name(v);
  if ((v = vg_reply_field(h, "at")))
    m->s.at = atoi(v);
  if ((v = vg_reply_field(h, "next")))
    m->s.next = atoi(v);
#define FIELD(f)                                                              \
  if ((v = vg_reply_field(h, #f)))                                            \
  snprintf(m->s.f, sizeof m->s.f, "%s", v)
  FIELD(back);
  FIELD(to);
  FIELD(svc);
  FIELD(month);
  FIELD(name);
  FIELD(outlet);
  FIELD(items);
#undef FIELD
  if ((v = vg_reply_field(h, "uid")))
    snprintf(m->uid, sizeof m->uid, "%s", v);
}

static void on_load(vg_redis_t *r, redisReply *reply, void *data,
                    const char *err) {
  vg_mo_job_t *j = data;
  if (err) {
    vg_job_abandon(j, err);
    return;
  }
  menu_t *m = menu(j);
  const vg_config_t *cfg = j->d->cfg;
  const redisReply *sess =
      reply->type == REDIS_REPLY_ARRAY && reply->elements >= 5
          ? reply->element[0]
          : NULL;
  snprintf(m->status, sizeof m->status, "%s", str(reply, 1));
  snprintf(m->staff, sizeof m->staff, "%s", str(reply, 2));
  m->who.optout = strcmp(str(reply, 4), "1") == 0;
  m->who.registered = m->status[0] != '\0';
  m->who.can_register = /* in the segments: may register (or act) */
      vg_promoter_in_segments(j->from, cfg->country_code, cfg->number_segments);
  /* The promoter menu for whom the promoter commands take: approved, and a
   * number of the segments (ZC, TJ, CX refuse any other by SMS). */
  m->home = strcmp(m->status, "approved") == 0 && m->who.can_register
                ? VG_USSD_P_HOME
                : VG_USSD_S_HOME;
  m->who.self = j->from;
  m->hint = VG_TPL_COUNT;
  char sid[VG_USSD_SID_MAX];
  vg_ussd_req_t req = {j->ussd_op, j->its, j->umr};
  if (vg_ussd_classify(profile(j), &req, sid) == VG_USSD_BEGIN) {
    vg_ussd_start(&m->s, m->home);
    snprintf(m->uid, sizeof m->uid, "%s", j->id);
    show(j);
    return;
  }
  /* An answer: to the dialogue the session is, or to none. */
  const char *had = sess ? vg_reply_field(sess, "sid") : NULL;
  if (had == NULL || strcmp(had, sid) != 0) {
    vg_log_info("dispatch: MO %s: USSD answer to no live session (%s)", j->id,
                had ? "another dialogue's" : "lapsed or never opened");
    j->ussd_keep = had != NULL; /* a newer dialogue's: left alone */
    last_screen(j, VG_TPL_USSD_ENDED);
    return;
  }
  vg_ussd_start(&m->s, m->home);
  load_state(m, sess);
  if (m->s.screen == VG_USSD_NONE) /* a screen this release does not have */
    vg_ussd_start(&m->s, m->home);
  char in[128];
  input_of(j->text, in, sizeof in);
  vg_ussd_step_t st;
  vg_ussd_step(&m->s, in, &m->who, m->home, cfg->country_code, &st);
  m->hint = st.hint;
  if (st.target >= VG_USSD_NSCREENS) {
    run_action(j, st.target);
    return;
  }
  show(j);
}

static void on_closed(vg_redis_t *r, redisReply *reply, void *data,
                      const char *err) {
  vg_mo_job_t *j = data;
  if (err) {
    vg_job_abandon(j, err);
    return;
  }
  vg_log_info("dispatch: MO %s: USSD dialogue ended by the network%s", j->id,
              reply->type == REDIS_REPLY_INTEGER && reply->integer
                  ? ": session closed"
                  : "");
  vg_job_finish(j);
}

/* The request's time: its stream entry id is "<ms>-<n>", written when the
 * MO was stored (before the SMSC was answered). */
static int64_t received_at(const vg_mo_job_t *j) {
  long long ms = atoll(j->entry);
  return ms > 0 ? ms : j->now;
}

void vg_ussd_handle(vg_mo_job_t *j) {
  j->menu = vg_calloc(1, sizeof(menu_t));
  j->ussd = 1;
  j->expire_at = received_at(j) + USSD_DEADLINE_MS;
  vg_ussd_req_t req = {j->ussd_op, j->its, j->umr};
  vg_ussd_reply(profile(j), &req, 1, &j->last);
  menu_t *m = menu(j);
  vg_ussd_event_t ev = vg_ussd_classify(profile(j), &req, m->sid);
  if (ev == VG_USSD_OTHER) {
    vg_log_info("dispatch: MO %s: ussd_service_op %d is not part of a "
                "dialogue under [ussd] profile %s: not answered",
                j->id, j->ussd_op, profile(j)->name);
    vg_job_finish(j);
    return;
  }
  if (ev == VG_USSD_ABORT) {
    vg_fn_ussd_close_t a = {.prefix = j->d->cfg->prefix,
                            .msisdn = j->from,
                            .sid = m->sid,
                            .entry = j->entry};
    vg_fcall_t call = VG_FCALL_INIT;
    vg_fn_ussd_close(&call, &a);
    int rc = vg_redis_fcall(j->d->redis, &call, on_closed, j);
    vg_fcall_free(&call);
    if (rc != 0)
      vg_job_abandon(j, "Redis not connected");
    return;
  }
  vg_fn_ussd_load_t a = {.prefix = j->d->cfg->prefix, .msisdn = j->from};
  vg_fcall_t call = VG_FCALL_INIT;
  vg_fn_ussd_load(&call, &a);
  int rc = vg_redis_fcall(j->d->redis, &call, on_load, j);
  vg_fcall_free(&call);
  if (rc != 0)
    vg_job_abandon(j, "Redis not connected");
}
