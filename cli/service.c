/*
 * service.c — `vasgw service ...`: the operator's side of the service
 * catalogue (handlers/catalogue.h), written straight to Redis so that every
 * daemon sees it at once.
 *
 *   service add CODE --name N --price P --provision-code X --commission-fen F
 *               [--knowledge T] [--usage T] [--cancel T]
 *   service set CODE [the same options] [--enable]
 *   service show CODE | list [--all] | disable CODE | import FILE.csv
 *
 * Exit status (cli.h): 0 done; 1 a runtime failure (Redis, an unknown or
 * existing code, a CSV file with bad rows); 2 a usage error — a malformed
 * command line, and also a refused value on it (a bad code, a name too long,
 * a commission that is not a whole number of fen).
 */
#include "cli/cli.h"
#include "gateway/clock.h"
#include "gateway/csv.h"
#include "gateway/keys.h"
#include "gateway/vg.h"
#include "handlers/audit.h"
#include "handlers/catalogue.h"
#include "handlers/ledger_date.h"
#include "handlers/templates.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uniwidth.h>


/* A refused value on the command line: "vasgw: service add: why", exit 2. */
static int refuse(const char *sub, const char *why) {
  char cmd[32];
  snprintf(cmd, sizeof cmd, "service %s", sub);
  return vg_cli_refuse(cmd, "%s", why);
}

/* --- output ---------------------------------------------------------------- */

static void print_json(const vg_service_t *s) {
  char buf[VG_SVC_UTF8_BYTES(VG_SVC_TEXT_MAX) + 1];

  printf("{");
  for (int f = 0; f < VG_SVC_F_COUNT; f++) {
    vg_service_field_text(s, (vg_svc_field_t)f, buf, sizeof buf);
    printf("%s\"%s\":", f ? "," : "", vg_service_field_name((vg_svc_field_t)f));
    if (f == VG_SVC_F_ENABLED)
      printf("%s", s->enabled ? "true" : "false");
    else if (f == VG_SVC_F_COMMISSION_FEN)
      printf("%s", buf);
    else if (f == VG_SVC_F_CREATED || f == VG_SVC_F_UPDATED) {
      printf("%s", buf);
      vg_cli_json_time(stdout, vg_service_field_name((vg_svc_field_t)f),
                       f == VG_SVC_F_CREATED ? s->created_ms : s->updated_ms);
    } else
      vg_cli_json_str(stdout, buf);
  }
  printf("}");
}

static void print_show(const vg_service_t *s) {
  char y[32], t[VG_CLI_WHEN_MAX];

  printf("service %s (%s)\n", s->code, s->enabled ? "enabled" : "disabled");
  printf("  %-15s %s\n", "name", s->name);
  printf("  %-15s %s\n", "price", s->price);
  printf("  %-15s %s\n", "provision_code", s->provision_code);
  printf("  %-15s %s yuan (%lld fen)\n", "commission",
         vg_cli_yuan(y, s->commission_fen), s->commission_fen);
  printf("  %-15s %s\n", "knowledge", s->knowledge);
  printf("  %-15s %s\n", "usage", s->usage);
  printf("  %-15s %s\n", "cancel", s->cancel);
  printf("  %-15s %s\n", "created", vg_cli_local(t, s->created_ms, VG_CLI_TIME));
  printf("  %-15s %s\n", "updated", vg_cli_local(t, s->updated_ms, VG_CLI_TIME));
}

static void print_table(const vg_service_t *s, size_t n) {
  static const char *const head[] = {"CODE", "NAME", "PRICE",
                                     "COMMISSION (yuan)", "ENABLED"};
  size_t w[5];
  char y[32];

  for (int k = 0; k < 5; k++)
    w[k] = strlen(head[k]);
  for (size_t i = 0; i < n; i++) {
    const char *v[3] = {s[i].code, s[i].name, s[i].price};
    for (int k = 0; k < 3; k++)
      if (vg_cli_width(v[k]) > w[k])
        w[k] = vg_cli_width(v[k]);
    if (strlen(vg_cli_yuan(y, s[i].commission_fen)) > w[3])
      w[3] = strlen(y);
  }
  for (int k = 0; k < 5; k++) {
    vg_cli_cell(head[k], w[k], k == 3, "");
    printf(k < 4 ? "  " : "\n");
  }
  for (size_t i = 0; i < n; i++) {
    vg_cli_cell(s[i].code, w[0], 0, "");
    printf("  ");
    vg_cli_cell(s[i].name, w[1], 0, "");
    printf("  ");
    vg_cli_cell(s[i].price, w[2], 0, "");
    printf("  ");
    vg_cli_cell(vg_cli_yuan(y, s[i].commission_fen), w[3], 1, "");
    printf("  %s\n", s[i].enabled ? "yes" : "no");
  }
}

/* --- the recommendation length check ----------------------------------------- */

/* The templates for the check, loaded once; NULL (said once) when they
 * cannot be: the check is a warning and never stops a command. */
static vg_templates_t *templates(cli_t *c) {
  static vg_templates_t *t;
  static int tried;
  char err[512];

  if (!tried) {
    tried = 1;
    t = vg_templates_load(c->cfg.templates, c->cfg.locale, err, sizeof err);
    if (t == NULL)
      fprintf(stderr,
              "vasgw: warning: cannot check the recommendation SMS: %s\n",
              err);
  }
  return t;
}

/* A service whose recommendation or knowledge SMS would not be sent
 * ([gateway] max_parts, or text that cannot be encoded) is refused where it
 * is made: an offer of it would otherwise be made and never reach the
 * subscriber.  1 after saying why (`sub`: add, set, import), else 0. */
static int refuse_unsendable(cli_t *c, const char *sub, const vg_service_t *s,
                             size_t n) {
  vg_templates_t *t = templates(c);
  char why[160], msg[256];

  for (size_t i = 0; t != NULL && i < n; i++)
    if (vg_service_check_sms(t, &s[i], c->cfg.max_parts, why, sizeof why)) {
      snprintf(msg, sizeof msg, "%s: %s; shorten its %s", s[i].code, why,
               strncmp(why, "the knowledge", 13) == 0
                   ? "knowledge, usage or cancel text"
                   : "name or price");
      return refuse(sub, msg);
    }
  return 0;
}

static void warn_length(cli_t *c, const vg_service_t *s, size_t n) {
  vg_templates_t *t = templates(c);

  for (size_t i = 0; t != NULL && i < n; i++) {
    size_t parts = vg_service_recommend_parts(t, &s[i]);
    if (parts > VG_SVC_RECOMMEND_PARTS)
      fprintf(stderr,
              "vasgw: warning: %s: the recommendation SMS takes %zu parts "
              "(at most %d expected); shorten the name or price\n",
              s[i].code, parts, VG_SVC_RECOMMEND_PARTS);
  }
}

/* --- Redis ------------------------------------------------------------------- */

/* Load `code`; 0, or 1 after saying why. */
static int load(cli_t *c, const char *code, vg_service_t *s) {
  int rc = vg_service_load(c->rc, c->cfg.prefix, code, s);

  if (rc == VG_ENOTFOUND)
    return vg_cli_fail("no service %s in the catalogue (see 'vasgw service "
                       "list --all')", code);
  if (rc == VG_EINVAL)
    return vg_cli_fail("service %s: the stored record is malformed", code);
  if (rc != 0)
    return vg_cli_fail("Redis: %s", c->rc->err ? c->rc->errstr
                                               : "cannot read the service");
  return 0;
}

static int save(cli_t *c, const vg_service_t *s, size_t n, unsigned overwrite,
                size_t *added) {
  char err[512];
  int rc = vg_service_save(c->rc, c->cfg.prefix, s, n, overwrite, added, err,
                           sizeof err);

  if (rc == VG_EBUSY)
    return vg_cli_fail("service %s was changed meanwhile by someone else; "
                       "nothing written, try again", s[0].code);
  if (rc != 0)
    return vg_cli_fail("Redis: %s", err);
  return 0;
}

static void simple(cli_t *c, const char *cmd) {
  redisReply *r = redisCommand(c->rc, "%s", cmd);
  freeReplyObject(r);
}

/* --- command-line options ------------------------------------------------------ */

typedef struct {
  const char *sub;           /* "add", "set" */
  const char *code;          /* the positional argument */
  const char *value[VG_SVC_F_COUNT];
  unsigned given;            /* VG_SVC_BIT of each option given */
  int enable;                /* --enable */
  const char *effective;     /* --effective DATE: when the commission applies */
  const char *windows;       /* --audit-windows TEXT */
} opts_t;

/* "--provision-code" -> the field, or -1. */
static int option_field(const char *opt, size_t len) {
  for (size_t i = 1; i < vg_service_ninput_fields; i++) {
    const char *n = vg_service_field_name(vg_service_input_fields[i]);
    size_t k;
    if (strlen(n) != len)
      continue;
    for (k = 0; k < len; k++)
      if (opt[k] != (n[k] == '_' ? '-' : n[k]))
        break;
    if (k == len)
      return (int)vg_service_input_fields[i];
  }
  return -1;
}

/* Parse words[2..] of add/set: the code and the options.  0, or the exit
 * status of a usage error (already reported). */
static int parse_options(int nw, const char **words, int allow_enable,
                         opts_t *o) {
  memset(o, 0, sizeof *o);
  o->sub = words[1];
  for (int i = 2; i < nw; i++) {
    const char *w = words[i];
    if (strncmp(w, "--", 2) != 0) {
      if (o->code != NULL)
        return vg_cli_usage_error("service %s: unexpected argument '%s'",
                                  o->sub, w);
      o->code = w;
      continue;
    }
    if (allow_enable && strcmp(w, "--enable") == 0) {
      o->enable = 1;
      continue;
    }
    if ((strcmp(w, "--effective") == 0 || strcmp(w, "--audit-windows") == 0) &&
        i + 1 < nw) {
      *(w[2] == 'e' ? &o->effective : &o->windows) = words[++i];
      continue;
    }
    const char *eq = strchr(w, '=');
    size_t len = eq ? (size_t)(eq - w - 2) : strlen(w + 2);
    int f = option_field(w + 2, len);
    if (f < 0)
      return vg_cli_usage_error("service %s: unknown option '%.*s'", o->sub,
                                (int)(len + 2), w);
    if (o->given & (1u << f))
      return vg_cli_usage_error("service %s: option '%.*s' given twice",
                                o->sub, (int)(len + 2), w);
    const char *v;
    if (eq != NULL)
      v = eq + 1;
    else if (i + 1 < nw && strncmp(words[i + 1], "--", 2) != 0)
      v = words[++i];
    else
      return vg_cli_usage_error("service %s: option '%s' needs a value",
                                o->sub, w);
    o->value[f] = v;
    o->given |= 1u << f;
  }
  if (o->code == NULL)
    return vg_cli_usage_error("service %s: missing CODE", o->sub);
  return 0;
}

/* Apply the options to `s`; 0, or 2 after saying which value is refused. */
static int apply_options(const opts_t *o, vg_service_t *s) {
  char why[256];

  for (int f = 0; f < VG_SVC_F_COUNT; f++)
    if ((o->given & (1u << f)) &&
        vg_service_set_field(s, (vg_svc_field_t)f, o->value[f], why,
                             sizeof why) != 0)
      return refuse(o->sub, why);
  return 0;
}

/* Exactly one CODE after the subcommand, upper-cased and checked. */
static int one_code(int nw, const char **words, char code[VG_SVC_CODE_MAX + 1],
                    const char *usage) {
  char why[256];

  if (nw != 3 || strncmp(words[2], "--", 2) == 0)
    return vg_cli_usage_error("usage: service %s", usage);
  if (vg_service_norm_code(words[2], code, why, sizeof why) != 0)
    return refuse(words[1], why);
  return 0;
}

/* --- add, set, show, disable, list ----------------------------------------------- */

/*
 * The commission rule and audit windows options.  A commission is a rule
 * in force from a date (P:svc:<code>:rules, "YYYYMMDD:fen" scored by the
 * date): an activation earns the rule in force on its day, so changing the
 * commission never rewrites a development already credited.  Checked
 * before anything is written; 0 or the exit status.
 */
static int check_ledger_options(const opts_t *o, int32_t *day,
                                vg_audit_windows_t *w) {
  char why[160], today[12];
  *day = (int32_t)atol(vg_clock_day(today, vg_now_ms()));
  if (o->effective) {
    if (!(o->given & VG_SVC_BIT(COMMISSION_FEN)))
      return vg_cli_usage_error("service %s: --effective goes with "
                                "--commission-fen",
                                o->sub);
    if (vg_date_parse(o->effective, day) != 0)
      return vg_cli_usage_error("service %s: --effective %s: expected "
                                "YYYY-MM-DD",
                                o->sub, o->effective);
  }
  if (o->windows && vg_audit_windows_parse(o->windows, w, why, sizeof why))
    return refuse(o->sub, why);
  return 0;
}

/* The commission rule and the audit windows the options ask for, in one
 * step (vg_service_terms); `before` is the amount until now, -1 for a new
 * service. */
static int write_ledger_options(cli_t *c, const opts_t *o,
                                const vg_service_t *s, int32_t day,
                                long long before) {
  int fen = (o->given & VG_SVC_BIT(COMMISSION_FEN)) != 0;
  if (!fen && o->windows == NULL)
    return 0;
  char err[512];
  if (vg_service_terms(c->rc, c->cfg.prefix, s->code, day,
                       fen ? s->commission_fen : -1, before, o->windows, err,
                       sizeof err) != 0)
    return vg_cli_fail("cannot record the commission rule or audit windows "
                       "of %s: %s",
                       s->code, err);
  return 0;
}

int vg_cli_service_add(cli_t *c, int nw, const char **words) {
  opts_t o;
  vg_service_t s;
  char why[256], key[VG_KEY_MAX];
  int rc;

  if ((rc = parse_options(nw, words, 0, &o)) != 0)
    return rc;
  for (size_t i = 1; i < vg_service_ninput_fields; i++) {
    vg_svc_field_t f = vg_service_input_fields[i];
    if ((VG_SVC_REQUIRED & (1u << f)) && !(o.given & (1u << f))) {
      char opt[32];
      snprintf(opt, sizeof opt, "%s", vg_service_field_name(f));
      for (char *p = opt; *p; p++)
        if (*p == '_')
          *p = '-';
      return vg_cli_usage_error("service add: missing --%s", opt);
    }
  }
  vg_service_init(&s);
  if (vg_service_set_field(&s, VG_SVC_F_CODE, o.code, why, sizeof why) != 0)
    return refuse("add", why);
  if ((rc = apply_options(&o, &s)) != 0)
    return rc;
  s.created_ms = s.updated_ms = vg_now_ms();
  if (vg_service_check(&s, why, sizeof why) != 0)
    return refuse("add", why);
  if (refuse_unsendable(c, "add", &s, 1))
    return 1;
  int32_t day;
  vg_audit_windows_t w;
  vg_audit_windows_default(&w);
  if ((rc = check_ledger_options(&o, &day, &w)) != 0)
    return rc;

  if (vg_cli_connect(c))
    return 1;
  /* WATCH, then EXISTS: a concurrent add of the same code makes EXEC fail. */
  vg_key(key, c->cfg.prefix, VG_K_SVC, s.code);
  freeReplyObject(redisCommand(c->rc, "WATCH %s", key));
  redisReply *r = redisCommand(c->rc, "EXISTS %s", key);
  if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
    rc = vg_cli_fail("Redis: %s", r ? r->str : c->rc->errstr);
    freeReplyObject(r);
    return rc;
  }
  long long exists = r->integer;
  freeReplyObject(r);
  if (exists) {
    simple(c, "UNWATCH");
    return vg_cli_fail("service %s already exists; use 'vasgw service set "
                       "%s ...' to change it", s.code, s.code);
  }
  if (save(c, &s, 1, VG_SVC_ALL, NULL) ||
      write_ledger_options(c, &o, &s, day, -1))
    return 1;
  rc = vg_cli_audit(c, "service.add",
                    "%s: %s, %s, commission %lld fen from %08d%s%s", s.code,
                    s.name, s.price, s.commission_fen, (int)day,
                    o.windows ? ", audit windows " : "",
                    o.windows ? o.windows : "");
  if (c->json) {
    print_json(&s);
    printf("\n");
  } else {
    printf("service %s added\n", s.code);
  }
  warn_length(c, &s, 1);
  return rc;
}

/* For the audit log: "CL: price=6元/月, commission_fen=300, enabled". */
static const char *changed(const opts_t *o, const vg_service_t *s, char *out,
                           size_t outsz) {
  char buf[VG_SVC_UTF8_BYTES(VG_SVC_TEXT_MAX) + 1];
  size_t n = (size_t)snprintf(out, outsz, "%s:", s->code);
  const char *sep = " ";

  for (int f = 0; f < VG_SVC_F_COUNT && n < outsz; f++) {
    if (!(o->given & (1u << f)) || f == VG_SVC_F_CODE)
      continue;
    vg_service_field_text(s, (vg_svc_field_t)f, buf, sizeof buf);
    n += (size_t)snprintf(out + n, outsz - n, "%s%s=%s", sep,
                          vg_service_field_name((vg_svc_field_t)f), buf);
    sep = ", ";
  }
  if (o->enable && n < outsz)
    snprintf(out + n, outsz - n, "%senabled", sep);
  return out;
}

int vg_cli_service_set(cli_t *c, int nw, const char **words) {
  opts_t o;
  vg_service_t s, scratch;
  char why[256], code[VG_SVC_CODE_MAX + 1];
  int rc;

  if ((rc = parse_options(nw, words, 1, &o)) != 0)
    return rc;
  if (vg_service_norm_code(o.code, code, why, sizeof why) != 0)
    return refuse("set", why);
  if (o.given == 0 && !o.enable && !o.windows && !o.effective)
    return vg_cli_usage_error("service set: nothing to change (give an "
                              "option such as --name, or --enable)");
  /* Refuse a bad value before touching Redis. */
  vg_service_init(&scratch);
  if ((rc = apply_options(&o, &scratch)) != 0)
    return rc;
  int32_t day;
  vg_audit_windows_t w;
  vg_audit_windows_default(&w);
  if ((rc = check_ledger_options(&o, &day, &w)) != 0)
    return rc;

  if (vg_cli_connect(c))
    return 1;
  if (load(c, code, &s))
    return 1;
  long long before = s.commission_fen;
  apply_options(&o, &s);
  unsigned overwrite = o.given | VG_SVC_BIT(UPDATED);
  if (o.enable) {
    s.enabled = 1;
    overwrite |= VG_SVC_BIT(ENABLED);
  }
  s.updated_ms = vg_now_ms();
  if (vg_service_check(&s, why, sizeof why) != 0)
    return refuse("set", why);
  if (refuse_unsendable(c, "set", &s, 1))
    return 1;
  /* Only the fields asked for: a concurrent change of others is kept. */
  if (save(c, &s, 1, overwrite, NULL) ||
      write_ledger_options(c, &o, &s, day, before))
    return 1;
  char detail[4 * VG_SVC_UTF8_BYTES(VG_SVC_TEXT_MAX)];
  char from[32] = "";
  if (o.given & VG_SVC_BIT(COMMISSION_FEN))
    snprintf(from, sizeof from, ", from %08d", (int)day);
  rc = vg_cli_audit(c, "service.set", "%s%s%s%s",
                    changed(&o, &s, detail, sizeof detail), from,
                    o.windows ? ", audit windows " : "",
                    o.windows ? o.windows : "");
  if (c->json) {
    print_json(&s);
    printf("\n");
  } else {
    printf("service %s updated\n", s.code);
  }
  warn_length(c, &s, 1);
  return rc;
}

int vg_cli_service_show(cli_t *c, int nw, const char **words) {
  char code[VG_SVC_CODE_MAX + 1];
  vg_service_t s;
  int rc;

  if ((rc = one_code(nw, words, code, "show CODE")) != 0)
    return rc;
  if (vg_cli_connect(c) || load(c, code, &s))
    return 1;
  if (c->json) {
    print_json(&s);
    printf("\n");
  } else {
    print_show(&s);
  }
  return 0;
}

int vg_cli_service_disable(cli_t *c, int nw, const char **words) {
  char code[VG_SVC_CODE_MAX + 1];
  vg_service_t s;
  int rc, was;

  if ((rc = one_code(nw, words, code, "disable CODE")) != 0)
    return rc;
  if (vg_cli_connect(c) || load(c, code, &s))
    return 1;
  was = s.enabled;
  if (was) {
    s.enabled = 0;
    s.updated_ms = vg_now_ms();
    if (save(c, &s, 1, VG_SVC_BIT(ENABLED) | VG_SVC_BIT(UPDATED), NULL))
      return 1;
    rc = vg_cli_audit(c, "service.disable", "%s: %s", s.code, s.name);
  }
  if (c->json) {
    print_json(&s);
    printf("\n");
  } else {
    printf(was ? "service %s disabled\n" : "service %s was already disabled\n",
           s.code);
  }
  return rc;
}

int vg_cli_service_list(cli_t *c, int nw, const char **words) {
  int all = 0;
  vg_service_code_t *codes;
  size_t ncodes, n = 0;
  char err[512];

  for (int i = 2; i < nw; i++) {
    if (strcmp(words[i], "--all") == 0)
      all = 1;
    else if (strncmp(words[i], "--", 2) == 0)
      return vg_cli_usage_error("service list: unknown option '%s'", words[i]);
    else
      return vg_cli_usage_error("service list: unexpected argument '%s'",
                                words[i]);
  }
  if (vg_cli_connect(c))
    return 1;
  if (vg_service_codes(c->rc, c->cfg.prefix, &codes, &ncodes, err,
                       sizeof err) != 0)
    return vg_cli_fail("Redis: %s", err);
  vg_service_t *s = vg_malloc((ncodes ? ncodes : 1) * sizeof *s);
  int rc = 0;
  for (size_t i = 0; i < ncodes && rc == 0; i++) {
    int r = vg_service_load(c->rc, c->cfg.prefix, codes[i], &s[n]);
    if (r == VG_ENOTFOUND)
      continue; /* in the index, its hash removed by hand */
    if (r == VG_EINVAL)
      fprintf(stderr, "vasgw: warning: %s: the stored record is malformed\n",
              codes[i]);
    else if (r != 0)
      rc = vg_cli_fail("Redis: %s", c->rc->err ? c->rc->errstr
                                               : "cannot read the catalogue");
    else if (all || s[n].enabled)
      n++;
  }
  if (rc == 0) {
    if (c->json) {
      printf("[");
      for (size_t i = 0; i < n; i++) {
        printf(i ? "," : "");
        print_json(&s[i]);
      }
      printf("]\n");
    } else if (n == 0) {
      printf(all ? "(the catalogue is empty)\n"
                 : "(no enabled service; 'service list --all' shows all)\n");
    } else {
      print_table(s, n);
    }
  }
  free(s);
  free(codes);
  return rc;
}

/* --- import ---------------------------------------------------------------------- */

/* Report one bad row: "FILE:LINE: reason". */
/* Match a header cell to a column: trimmed, any case. */
static void bad_row(void *data, long line, const char *why) {
  vg_cli_bad_row(data, line, "%s", why);
}

int vg_cli_service_import(cli_t *c, int nw, const char **words) {
  if (nw != 3 || (strncmp(words[2], "--", 2) == 0))
    return vg_cli_usage_error("usage: service import FILE.csv");
  const char *path = words[2];
  size_t len = 0;
  char *buf = vg_cli_read_file(path, &len);
  if (buf == NULL)
    return vg_cli_fail("%s: cannot read: %s", path, strerror(errno));
  char abs[4096], err[1024];
  vg_import_opts_t o = {.bad_row = bad_row,
                        .data = (void *)path,
                        .file = vg_cli_abspath(path, abs, sizeof abs)};
  vg_service_import_t in;
  int rc = 0;
  if (vg_service_import_parse(buf, len, &o, &in, err, sizeof err) != 0) {
    rc = vg_cli_fail("%s: %s", path, err);
    goto out;
  }
  if (refuse_unsendable(c, "import", in.svc, in.n)) {
    rc = 1;
    goto out;
  }
  if (vg_cli_connect(c)) {
    rc = 1;
    goto out;
  }
  if (vg_service_import_write(c->rc, c->cfg.prefix, &in, &o, err,
                              sizeof err) != 0) {
    rc = vg_cli_fail("%s", err);
    goto out;
  }
  if (in.not_logged)
    rc = vg_cli_fail("service.import done, but not recorded in the audit "
                     "log: %s",
                     err);
  size_t n = in.n, added = in.added;
  if (c->json) {
    printf("{\"added\":%zu,\"updated\":%zu,\"codes\":[", added, n - added);
    for (size_t i = 0; i < n; i++) {
      printf(i ? "," : "");
      vg_cli_json_str(stdout, in.svc[i].code);
    }
    printf("]}\n");
  } else {
    printf("%s: %zu service%s imported (%zu added, %zu updated)\n", path, n,
           n == 1 ? "" : "s", added, n - added);
  }
  warn_length(c, in.svc, n);
out:
  vg_service_import_free(&in);
  free(buf);
  return rc;
}
