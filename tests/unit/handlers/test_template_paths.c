/*
 * test_template_paths.c — every template, on every path that renders it,
 * gets a value for each placeholder it may use: none is left empty unless
 * templates.def marks it "?name" (may be empty), none is a stand-in ("-").
 *
 * The texts people read cannot show this (a template rendered with a gap
 * reads "工号-，-" only on the path that forgot the value), so the paths are
 * run with marker templates instead of the real ones: each template's text
 * is its name followed by every placeholder templates.def allows, each
 * bracketed ("<promoter_only> staff_no=[{{staff_no}}] status=[{{status}}]",
 * a "?name" in parentheses).  An empty or blank bracket is a gap; a "{{" is
 * a placeholder no renderer replaced.
 *
 * The paths are the daemon's own: MO texts go through vg_dispatch_mo to the
 * subscriber and promoter conversations, against a real redis-server with
 * the Functions library (which renders what mo_reply answers), on a libuv
 * loop; every SMS that comes of them (the answer, and the offers a TJ or ZS
 * makes) is checked.  The result SMS of an order (vg_activation_text) and
 * the promoter status SMS (promoter_status) are rendered directly.  At the
 * end every template must have been seen; those rendered elsewhere are
 * named with where they are checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/redis.h"
#include "gateway/vg.h"
#include "handlers/activation.h"
#include "handlers/dispatch.h"
#include "handlers/job.h"
#include "handlers/lua/functions.h"
#include "handlers/templates.h"
#include "tests/unit/redis_server.h"

static vg_test_redis_t R;
static uv_loop_t loop;
static vg_redis_t redis;
static vg_config_t cfg;
static vg_handlers_t handlers;
static vg_templates_t *marks;
static char dir[64];

/* Templates seen in some checked text, and the gaps found. */
static int seen[VG_TPL_COUNT];
static int gaps;
static const char *step = "";

#define SUB "8613800138000"
#define PROM "8613900139000"     /* approved, staff no. 10001 */
#define PENDING "8613900139001"  /* registered, not yet approved */
#define STRANGER "8613900139002" /* in the segments, never registered */

/* ---- marker templates ---------------------------------------------------- */

static void write_marks(void) {
  char path[256];
  snprintf(dir, sizeof dir, "/tmp/vg-marks-XXXXXX");
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/mark", dir);
  assert_int_equal(mkdir(path, 0700), 0);
  snprintf(path, sizeof path, "%s/mark/ussd", dir); /* the USSD screens */
  assert_int_equal(mkdir(path, 0700), 0);
  for (int id = 0; id < VG_TPL_COUNT; id++) {
    const char *spec = vg_templates_vars((vg_tpl_id_t)id);
    char text[1024];
    size_t n = 0;
    if (spec[0] == '=') {
      /* A word list: the real one (its keys are checked at load). */
      char src[512];
      snprintf(src, sizeof src, "%s/templates/zh_CN/%s", VG_SRCDIR,
               vg_templates_file((vg_tpl_id_t)id));
      FILE *f = fopen(src, "r");
      assert_non_null(f);
      n = fread(text, 1, sizeof text - 1, f);
      fclose(f);
    } else {
      n = (size_t)snprintf(text, sizeof text, "<%s>",
                           vg_templates_name((vg_tpl_id_t)id));
      for (const char *p = spec; *p;) {
        while (*p == ' ')
          p++;
        size_t len = strcspn(p, " ");
        if (len == 0)
          break;
        int may_be_empty = *p == '?';
        const char *name = (*p == '!' || *p == '?') ? p + 1 : p;
        int nl = (int)(len - (size_t)(name - p));
        n += (size_t)snprintf(text + n, sizeof text - n,
                              may_be_empty ? " %.*s=({{%.*s}})"
                                           : " %.*s=[{{%.*s}}]",
                              nl, name, nl, name);
        p += len;
      }
    }
    text[n] = '\0';
    snprintf(path, sizeof path, "%s/mark/%s", dir,
             vg_templates_file((vg_tpl_id_t)id));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
  }
  char err[512];
  marks = vg_templates_load(dir, "mark", err, sizeof err);
  if (marks == NULL)
    fail_msg("marker templates: %s", err);
}

/* ---- checking a text ----------------------------------------------------- */

/* The template whose marker comes last before `at` in `text`. */
static void owner_of(const char *text, const char *at, char *out, size_t n) {
  const char *best = NULL;
  for (const char *p = strchr(text, '<'); p && p < at; p = strchr(p + 1, '<'))
    best = p;
  if (best == NULL) {
    snprintf(out, n, "?");
    return;
  }
  snprintf(out, n, "%.*s", (int)strcspn(best + 1, ">"), best + 1);
}

/* Mark every template named in `text`, and count its gaps. */
static void check_text(const char *what, const char *text) {
  for (int id = 0; id < VG_TPL_COUNT; id++) {
    char m[64];
    snprintf(m, sizeof m, "<%s>", vg_templates_name((vg_tpl_id_t)id));
    if (strstr(text, m))
      seen[id] = 1;
  }
  if (strstr(text, "{{")) {
    print_error("%s: %s: a placeholder left: %s\n", step, what, text);
    gaps++;
  }
  for (const char *p = strstr(text, "=["); p; p = strstr(p + 1, "=[")) {
    /* The bracket's contents, nested brackets included. */
    const char *v = p + 2, *e = v;
    int depth = 1;
    for (; *e && depth; e++)
      depth += *e == '[' ? 1 : *e == ']' ? -1 : 0;
    size_t len = (size_t)(e - v) - (depth == 0);
    int blank = 1;
    for (size_t i = 0; i < len; i++)
      if (v[i] != ' ' && v[i] != '-')
        blank = 0;
    if (blank) {
      const char *name = p;
      while (name > text && name[-1] != ' ')
        name--;
      char tpl[64];
      owner_of(text, p, tpl, sizeof tpl);
      print_error("%s: %s: template %s rendered {{%.*s}} as \"%.*s\": %s\n",
                  step, what, tpl, (int)(p - name), name, (int)len, v, text);
      gaps++;
    }
  }
}

/* Every SMS queued since the last call, each checked once. */
static void check_new_messages(void) {
  static char done[4096];
  redisReply *r = redisCommand(R.rc, "KEYS vasgw:msg:*");
  assert_non_null(r);
  for (size_t i = 0; i < r->elements; i++) {
    char key[256];
    snprintf(key, sizeof key, " %s ", r->element[i]->str);
    if (strstr(done, key))
      continue;
    if (strlen(done) + strlen(key) < sizeof done)
      strcat(done, key);
    redisReply *t = redisCommand(R.rc, "HGET %s text", r->element[i]->str);
    assert_non_null(t);
    /* Every message has its text (docs/keys.md, P:msg:<id>): one without
     * is a failure, not a message left unchecked. */
    if (t->type != REDIS_REPLY_STRING)
      print_error("%s: %s has no text (reply type %d)\n", step,
                  r->element[i]->str, t->type);
    assert_int_equal(t->type, REDIS_REPLY_STRING);
    check_text(r->element[i]->str, t->str);
    freeReplyObject(t);
  }
  freeReplyObject(r);
}

/* ---- running MO through the daemon's handlers ---------------------------- */

static void run_loop_until_idle(void) {
  for (int i = 0; i < 2000; i++) {
    uv_run(&loop, UV_RUN_NOWAIT);
    if (vg_redis_ready(&redis) && handlers.in_progress == 0 && redis.pending == 0)
      return;
    usleep(1000);
  }
  fail_msg("%s: the handlers did not finish", step);
}

typedef struct {
  const char *from, *text;
  int ussd;          /* 1: a USSD request (a dial unless `op`) */
  const char *error;
  const char *op;    /* the USSD op of an answer ("18"), NULL: a dial */
} mo_t;

static void mo(const mo_t *m) {
  static int n;
  char id[16];
  snprintf(id, sizeof id, "t%d", ++n);
  vg_mo_t v = {.entry = "",
               .id = id,
               .from = m->from,
               .to = "10658000",
               .text = m->text,
               .ussd_op = m->ussd ? (m->op ? m->op : "1") : "",
               /* an answer's end-of-session bit clear: it would end the
                * dialogue */
               .its = m->ussd ? (m->op ? "0a00" : "0a01") : "",
               .complete = 1,
               .error = m->error ? m->error : ""};
  vg_dispatch_mo(&handlers, &v);
  run_loop_until_idle();
  check_new_messages();
}

/* Redis as every story starts: a catalogue (CL whole, SJB with only what
 * the catalogue requires), an approved and a pending promoter. */
static const char *const base[] = {
    "HSET vasgw:svc:CL code CL name Ring price 5/month provision_code RBT "
    "commission_fen 300 knowledge Songs usage Dial cancel QX-CL enabled 1",
    "HSET vasgw:svc:SJB code SJB name News price 3/month provision_code NEWS "
    "commission_fen 200 enabled 1",
    "SADD vasgw:svc:index CL SJB",
    "HSET vasgw:promoter:" PROM " msisdn " PROM " status approved staff_no "
    "10001 name Zhang outlet East",
    "HSET vasgw:promoter:" PENDING " msisdn " PENDING " status pending "
    "staff_no 10002 name Li outlet West",
    NULL};

static void story(const char *name) {
  step = name;
  print_message("story: %s\n", name);
  vg_test_redis_reset(&R);
  vg_test_setup(&R, base);
}

/* Run `line` on Redis (a setup between MO). */
static void redis_do(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  free(vg_test_run(&R, line));
}

/* The first key matching `pattern` (one is expected), into out. */
static void key_of(const char *pattern, char *out, size_t n) {
  redisReply *r = redisCommand(R.rc, "KEYS %s", pattern);
  assert_non_null(r);
  if (r->elements < 1)
    fail_msg("%s: no key %s", step, pattern);
  snprintf(out, n, "%s", r->element[0]->str);
  freeReplyObject(r);
}

#define SAY(from, text) mo(&(mo_t){from, text, 0, NULL, NULL})

/* ---- the stories ----------------------------------------------------------- */

static void subscriber_stories(void) {
  story("help, unknown text, not text");
  SAY(SUB, "BZ");
  SAY("8613800138001", "what is this");
  mo(&(mo_t){SUB, "005900", 0, "undecodable", NULL});
  mo(&(mo_t){SUB, "*123#", 1, NULL, NULL});

  story("opt out and in");
  SAY(SUB, "TD");
  SAY(SUB, "DY");

  story("QX");
  SAY(SUB, "QX");
  SAY(SUB, "QX ZZ");
  SAY(SUB, "QX CL");
  redis_do("HSET vasgw:sub:{" SUB "} svc:CL active svc:CL:at 1");
  SAY(SUB, "QX CL");
  SAY(SUB, "QX CL"); /* cancelling: processing */

  story("ZS");
  SAY(SUB, "ZS");
  SAY(SUB, "ZS ZZ");
  SAY(SUB, "ZS CL");
  SAY(SUB, "ZS SJB"); /* no knowledge, usage, cancel in the catalogue */
  redis_do("HSET vasgw:sub:{" SUB "} svc:CL active");
  SAY(SUB, "ZS CL");
  redis_do("HSET vasgw:sub:{" SUB "} svc:CL ordering");
  SAY(SUB, "ZS CL");

  story("no offer");
  SAY(SUB, "Y");
  SAY(SUB, "N");
  SAY(SUB, "7");
}

/* One offer of CL to SUB from the approved promoter, answered: each state
 * its order can be in. */
static void offer_stories(void) {
  static const char *const order_states[][2] = {
      {"done", ""},      {"failed", ""}, {"rejected", "No credit"},
      {"rejected", ""},  {"retrying", ""}};
  for (size_t i = 0; i < VG_ARRAY_SIZE(order_states); i++) {
    story("an offer confirmed, its order ...");
    SAY(PROM, "TJ 13800138000 CL");
    SAY(SUB, "Y");
    char order[128];
    key_of("vasgw:order:A*", order, sizeof order);
    redis_do("HSET %s state %s reason \"%s\"", order, order_states[i][0],
             order_states[i][1]);
    SAY(SUB, "Y");
  }

  story("two offers: choose, decline, codes");
  SAY(PROM, "TJ 13800138000 CL SJB");
  SAY(SUB, "Y");
  SAY(SUB, "N");
  SAY(SUB, "2");

  story("an offer lapsed");
  SAY(PROM, "TJ 13800138000 SJB");
  char offer[128];
  key_of("vasgw:offer:*", offer, sizeof offer);
  redis_do("HSET %s expires 1", offer);
  SAY(SUB, "1");

  story("the promoter's knowledge SMS");
  SAY(PROM, "ZS 13800138000 CL");
  SAY(PROM, "ZS 13800138000 SJB");
}

static void promoter_stories(void) {
  story("registration");
  SAY("8613900139005", "ZC Wang");             /* no outlet */
  SAY("8613900139006", "ZC Zhao North street"); /* with one */
  SAY("8613900139006", "ZC Zhao");              /* registered already */
  SAY("8613900139007", "ZC");
  SAY(SUB, "ZC Sun"); /* outside the segments */
  cfg.auto_approve = 1;
  SAY("8613900139008", "ZC Qian");
  cfg.auto_approve = 0;

  story("refused: not an approved promoter");
  SAY(STRANGER, "TJ 13800138000 CL");
  SAY(PENDING, "TJ 13800138000 CL");
  SAY(STRANGER, "CX");
  SAY(PENDING, "CX MX");
  redis_do("HSET vasgw:promoter:" PENDING " status rejected");
  SAY(PENDING, "ZS 13800138000 CL");
  redis_do("HSET vasgw:promoter:" PENDING " status disabled");
  SAY(PENDING, "TJ 13800138000 CL");
  SAY(SUB, "TJ 13800138001 CL"); /* outside the segments */

  story("TJ");
  SAY(PROM, "TJ");
  SAY(PROM, "TJ 1380013800 CL");
  SAY(PROM, "TJ 13900139000 CL"); /* the promoter's own number */
  SAY(PROM, "TJ 13800138001 ZZ"); /* refused: unknown service */
  SAY(PROM, "TJ 13800138001 CL");
  SAY(PROM, "ZS 13800138000");
  SAY(PROM, "ZS 13800138000 CL SJB"); /* one code too many */
  cfg.daily_recommend_limit = 1;
  SAY(PROM, "TJ 13800138002 CL");
  cfg.daily_recommend_limit = 20;

  story("CX, CX MX, YW");
  SAY(PROM, "CX");
  SAY(PROM, "CX 2026");
  SAY(PROM, "CX 202601");
  SAY(PROM, "CX MX");
  redis_do("HSET vasgw:dev:Ao1 activated 20260105 activated_at 1 msisdn " SUB
           " service CL service_name Ring state pending rule \"\"");
  redis_do("HSET vasgw:dev:Ao2 activated 20260106 activated_at 2 msisdn " SUB
           " service SJB service_name News state invalid rule duplicate");
  redis_do("ZADD vasgw:devs:promoter:" PROM " 1 Ao1 2 Ao2");
  SAY(PROM, "CX MX");
  SAY(PROM, "YW");

  story("no service enabled: QX, ZS and YW say there is none");
  redis_do("HSET vasgw:svc:CL enabled 0");
  redis_do("HSET vasgw:svc:SJB enabled 0");
  SAY(SUB, "QX ZZ");
  SAY(SUB, "ZS ZZ");
  SAY(PROM, "YW");
}

/* The result SMS of an order, for each action, outcome and reason. */
static void order_results(void) {
  step = "order results";
  const char *names[] = {"id",       "action", "service", "service_name",
                         "price",    "usage",  "cancel"};
  const char *with[] = {"Ao1", "activate", "CL", "Ring", "5/month", "Dial",
                        "QX-CL"};
  const char *bare[] = {"Ao2", "activate", "SJB", "News", "3/month", "", ""};
  for (int d = 0; d < 2; d++) {
    for (int k = 0; k < 2; k++) {
      const char **v = k ? bare : with;
      const char *vals[7];
      memcpy(vals, v, sizeof vals);
      vals[1] = d ? "deactivate" : "activate";
      vg_order_fields_t f = {7, (char **)names, (char **)vals};
      for (int o = VG_ORDER_DONE; o <= VG_ORDER_FAILED; o++) {
        for (int r = 0; r < 2; r++) {
          char *text = vg_activation_text(marks, &f, (vg_order_outcome_t)o,
                                          r ? "No credit" : "");
          check_text(vals[1], text);
          free(text);
        }
      }
    }
  }
}

/* The SMS an operator's promoter approve / reject / disable sends
 * (promoter_status, with the values the CLI gives). */
static void promoter_status_sms(void) {
  story("promoter status SMS");
  static const struct {
    vg_tpl_id_t tpl;
    const char *status, *reason;
  } cases[] = {{VG_TPL_PROMOTER_APPROVED, "approved", ""},
               {VG_TPL_PROMOTER_REJECTED, "rejected", "Not staff"},
               {VG_TPL_PROMOTER_DISABLED, "disabled", "Left"}};
  for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++) {
    vg_fcall_t c = VG_FCALL_INIT;
    vg_fn_promoter_status_t a = {.prefix = "vasgw",
                                 .now = 1767225600000LL + (long long)i,
                                 .msisdn = PENDING,
                                 .status = cases[i].status,
                                 .reason = cases[i].reason,
                                 .template = vg_templates_raw(marks,
                                                              cases[i].tpl),
                                 .status_word = cases[i].status,
                                 .ussd_code = "*123*8#",
                                 .msg_ttl = 86400};
    vg_fn_promoter_status(&c, &a);
    free(vg_test_fcall(&R, &c));
    vg_fcall_free(&c);
    check_new_messages();
  }
}

/* Rendered where this test does not reach, and checked there. */
static const struct {
  vg_tpl_id_t id;
  const char *where;
} elsewhere[] = {
    {VG_TPL_SETTLED, "the monthly settlement (handlers/settle.c): "
                     "tests/e2e/ledger_settle.sh and settle_daemon.sh "
                     "compare its whole text"},
    {VG_TPL_OPTOUT_NOTE, "has no placeholder; part of every offer SMS"},
    {VG_TPL_LIST_SEPARATOR, "has no placeholder; between list items"},
    {VG_TPL_REASON_UNKNOWN, "has no placeholder; stands for a reason"},
    {VG_TPL_USSD_BY_SMS, "the last screen of an answer too long for one: "
                         "tests/e2e/ussd_menus.sh"},
    {VG_TPL_USSD_WAIT, "has no placeholder; the gateway's wait screen "
                       "(tests/e2e/ussd_wait.sh)"},
};

/* A USSD dialogue: dial, then each answer in turn (handlers/ussd.c). */
static void dialogue(const char *from, const char *const *answers) {
  mo(&(mo_t){.from = from, .text = "*123*8#", .ussd = 1});
  for (size_t i = 0; answers[i]; i++)
    mo(&(mo_t){.from = from, .text = answers[i], .ussd = 1, .op = "18"});
}

static void ussd_stories(void) {
  story("USSD: the promoter menu");
  /* recommend: a bad number, a number, a service, confirm */
  dialogue(PROM, (const char *const[]){"1", "12", "13800138000", "1", "1",
                                       NULL});
  /* the commission, its second page, the developments; back, home */
  redis_do("ZADD vasgw:devs:promoter:" PROM " 1 A1");
  redis_do("HSET vasgw:dev:A1 activated 20261201 msisdn 8613800138000 "
           "service CL service_name Ring state invalid rule duplicate");
  dialogue(PROM, (const char *const[]){"2", "#", "1", "0", "00", "3", "1",
                                       "1", "13800138002", NULL});
  dialogue(PROM, (const char *const[]){"2", "2", "13", "202612", NULL});
  /* its own number; its own services */
  dialogue(PROM, (const char *const[]){"1", "13900139000", "4", "1", NULL});
  /* a catalogue with nothing enabled, no development yet */
  redis_do("DEL vasgw:devs:promoter:" PROM);
  redis_do("HSET vasgw:svc:CL enabled 0");
  redis_do("HSET vasgw:svc:SJB enabled 0");
  dialogue(PROM, (const char *const[]){"3", "00", "2", "1", NULL});
  story("USSD: the subscriber menu");
  dialogue(SUB, (const char *const[]){"1", NULL}); /* no offer */
  SAY(PROM, "TJ 13800138000 CL SJB");
  dialogue(SUB, (const char *const[]){"9", "1", "1", "1", NULL});
  dialogue(SUB, (const char *const[]){"1", "1", "2", NULL});
  dialogue(SUB, (const char *const[]){"2", "1", "1", NULL});
  redis_do("HSET vasgw:sub:{" SUB "} svc:CL active");
  dialogue(SUB, (const char *const[]){"2", "1", "1", NULL});
  dialogue(SUB, (const char *const[]){"3", "1", NULL});
  dialogue(SUB, (const char *const[]){"3", "1", NULL});
  /* registration: a bad name, a name, an outlet; a pending number's state */
  dialogue(STRANGER, (const char *const[]){"4", "", "Wu", "", "Market", NULL});
  cfg.auto_approve = 1;
  dialogue("8613900139009", (const char *const[]){"4", "Qian", "South", NULL});
  cfg.auto_approve = 0;
  dialogue(PENDING, (const char *const[]){"4", NULL});
  story("USSD: an answer to no live session");
  mo(&(mo_t){.from = SUB, .text = "1", .ussd = 1, .op = "18"});
}

static void test_every_path(void **state) {
  (void)state;
  long before = vg_templates_defects();
  subscriber_stories();
  offer_stories();
  promoter_stories();
  order_results();
  promoter_status_sms();
  ussd_stories();
  /* The C renderer counts a gap in a text it rendered but that went
   * nowhere (an offer refused by a rule) too. */
  if (vg_templates_defects() != before) {
    print_error("the C renderer saw %ld rendering(s) with a gap\n",
                vg_templates_defects() - before);
    gaps++;
  }
  int unseen = 0;
  for (int id = 0; id < VG_TPL_COUNT; id++) {
    if (seen[id] || vg_templates_vars((vg_tpl_id_t)id)[0] == '=')
      continue;
    int told = 0;
    for (size_t k = 0; k < VG_ARRAY_SIZE(elsewhere); k++)
      told |= elsewhere[k].id == (vg_tpl_id_t)id;
    if (!told) {
      print_error("template %s: no path of this test renders it\n",
                  vg_templates_name((vg_tpl_id_t)id));
      unseen++;
    }
  }
  assert_int_equal(gaps, 0);
  assert_int_equal(unseen, 0);
}

static int group_setup(void **state) {
  (void)state;
  vg_log_open(NULL, VG_LOG_ERROR); /* a gap the C renderer sees, and errors */
  vg_test_redis_start(&R);
  write_marks();
  vg_config_defaults(&cfg);
  snprintf(cfg.prefix, sizeof cfg.prefix, "vasgw");
  snprintf(cfg.service_number, sizeof cfg.service_number, "10658000");
  snprintf(cfg.number_segments, sizeof cfg.number_segments, "139");
  cfg.mo_rate_limit_per_min = 1000;
  cfg.daily_recommend_limit = 20;
  cfg.auto_approve = 0;
  uv_loop_init(&loop);
  vg_redis_init(&loop, &redis, "redis", "127.0.0.1", R.port, "", 0);
  vg_redis_start(&redis);
  for (int i = 0; i < 5000 && !vg_redis_ready(&redis); i++) {
    uv_run(&loop, UV_RUN_NOWAIT);
    usleep(1000);
  }
  assert_true(vg_redis_ready(&redis));
  handlers.cfg = &cfg;
  handlers.redis = &redis;
  handlers.templates = marks;
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  vg_redis_stop(&redis);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  vg_templates_free(marks);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  vg_test_redis_stop(&R);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_path),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
